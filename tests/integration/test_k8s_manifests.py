#!/usr/bin/python3
"""test_k8s_manifests.py ROOT: deploy/kubernetes/ checked structurally.

The manifests are parsed with PyYAML (python3-yaml) and held against the
daemon itself: the default ports of kbs/config.c (listen 8080, admin_listen
8081), the probe paths of kbs/routes.c (/healthz, /readyz on the public
listener), the data directory and configuration the Containerfile starts
kbs with. Checked:

- a StatefulSet of 3 replicas with a headless serviceName that exists, a
  volumeClaimTemplate per replica mounted where --data-dir points, pods
  run as a non-root user without privilege escalation;
- the master and identity keys from a Secret volume with mode 0400, the
  configuration from a ConfigMap whose config.json is JSON, listens on the
  container ports, and names etcd endpoints;
- container ports equal to the daemon's default ports; a liveness probe on
  /healthz and a readiness probe on /readyz, both on the public port;
- a Service for the attestation port and a ClusterIP one for the admin
  port; a NetworkPolicy over the kbs pods that opens the public port and
  admits the admin port only from selected pods (no ipBlock);
- the Containerfile: Debian 12 base, a meson build, a non-root USER.

Then the same checks against mutated copies (a probe path, a port, the
Secret's mode, the admin Service's type, the NetworkPolicy's admin rule,
the replica count, the base image, the user): each must be refused with
its own message, so a check that stops seeing what it checks fails here.
Prints "N passed, M failed"; exit 77 (skip) without PyYAML.
"""
import copy
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed (deploy/setup.sh installs it)")
    sys.exit(77)


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def daemon_facts(root):
    """Default ports (config.c) and the public routes (routes.c)."""
    cfg = read(root, "kbs/config.c")
    m = re.search(r'snprintf\(cfg->listen,[^"]*"[^"]*:(\d+)"\)', cfg)
    a = re.search(r'snprintf\(cfg->admin_listen,[^"]*"[^"]*:(\d+)"\)', cfg)
    routes = read(root, "kbs/routes.c")
    public = set(re.findall(r'\{\s*PUB[^,]*,\s*KBS_GET,\s*"([^"]+)"', routes))
    if not m or not a or not public:
        raise SystemExit("test_k8s_manifests: cannot read the daemon's defaults")
    return {"listen": int(m.group(1)), "admin": int(a.group(1)), "public_get": public}


def load(root):
    docs = []
    kdir = os.path.join(root, "deploy/kubernetes")
    for name in sorted(os.listdir(kdir)):
        if name.endswith(".yaml"):
            with open(os.path.join(kdir, name), encoding="utf-8") as f:
                docs += [d for d in yaml.safe_load_all(f) if d]
    return docs, read(root, "deploy/kubernetes/Containerfile")


def check(docs, containerfile, facts):
    problems = []
    p = problems.append
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)

    sts = by_kind.get("StatefulSet", [])
    if len(sts) != 1:
        p("want one StatefulSet")
        return problems
    sts = sts[0]
    spec = sts.get("spec", {})
    if spec.get("replicas") != 3:
        p("StatefulSet: replicas must be 3")
    labels = spec.get("selector", {}).get("matchLabels", {})
    pod = spec.get("template", {})
    if not labels or any(pod.get("metadata", {}).get("labels", {}).get(k) != v
                         for k, v in labels.items()):
        p("StatefulSet: the selector does not match the pod labels")
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    headless = services.get(spec.get("serviceName"))
    if headless is None or headless.get("spec", {}).get("clusterIP") != "None":
        p("StatefulSet: serviceName must name a headless Service")
    claims = [c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])]
    if not claims:
        p("StatefulSet: no volumeClaimTemplates (a volume per replica)")
    pspec = pod.get("spec", {})
    containers = [c for c in pspec.get("containers", []) if c.get("name") == "kbs"]
    if len(containers) != 1:
        p("StatefulSet: no container named kbs")
        return problems
    c = containers[0]

    # Where the data directory and the configuration are.
    args = c.get("args") or []
    cmd = re.search(r'^CMD\s+(\[.*\])\s*$', containerfile, re.M)
    if not args and cmd:
        args = json.loads(cmd.group(1))
    try:
        data_dir = args[args.index("--data-dir") + 1]
        config_path = args[args.index("--config") + 1]
    except (ValueError, IndexError):
        p("kbs container: --data-dir and --config are not given")
        return problems
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    if not any(n in mounts and (data_dir + "/").startswith(mounts[n].rstrip("/") + "/")
               for n in claims):
        p("kbs container: --data-dir %s is not on a volumeClaimTemplate" % data_dir)

    # Ports and probes.
    ports = {pt.get("name"): pt.get("containerPort") for pt in c.get("ports", [])}
    public_name = next((n for n, v in ports.items() if v == facts["listen"]), None)
    admin_name = next((n for n, v in ports.items() if v == facts["admin"]), None)
    if public_name is None:
        p("kbs container: no port %d (the default listen port)" % facts["listen"])
    if admin_name is None:
        p("kbs container: no port %d (the default admin_listen port)" % facts["admin"])
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        h = c.get(probe, {}).get("httpGet", {})
        if h.get("path") != path or path not in facts["public_get"]:
            p("kbs container: %s must be GET %s" % (probe, path))
        if h.get("port") not in (public_name, facts["listen"]):
            p("kbs container: %s must use the public port" % probe)
    sc = c.get("securityContext", {})
    if sc.get("runAsNonRoot") is not True or sc.get("runAsUser", 0) == 0 \
            or sc.get("allowPrivilegeEscalation") is not False:
        p("kbs container: must run as a non-root user without privilege escalation")

    # The keys from a Secret (0400), the configuration from a ConfigMap.
    vols = {v["name"]: v for v in pspec.get("volumes", [])}
    secrets = [v for v in vols.values() if "secret" in v]
    if not secrets:
        p("no Secret volume for the keys")
    for v in secrets:
        s = v["secret"]
        keys = {i.get("key") for i in s.get("items", [])}
        if s.get("defaultMode") != 0o400:
            p("Secret volume %s: defaultMode must be 0400" % v["name"])
        if "master.key" not in keys:
            p("Secret volume %s: no master.key" % v["name"])
    cms = [v["configMap"]["name"] for v in vols.values() if "configMap" in v]
    maps = {m["metadata"]["name"]: m for m in by_kind.get("ConfigMap", [])}
    if not cms or cms[0] not in maps:
        p("no ConfigMap volume with the configuration")
    else:
        try:
            conf = json.loads(maps[cms[0]]["data"]["config.json"])
        except (KeyError, ValueError):
            p("ConfigMap: config.json is missing or not JSON")
            conf = {}
        for key, want in (("listen", facts["listen"]), ("admin_listen", facts["admin"])):
            if not str(conf.get(key, "")).endswith(":%d" % want):
                p("ConfigMap: %s must use port %d" % (key, want))
        if not conf.get("etcd", {}).get("endpoints"):
            p("ConfigMap: no etcd endpoints")
        if os.path.basename(config_path) != "config.json":
            p("kbs container: --config is not the ConfigMap's config.json")

    # Services and the NetworkPolicy.
    def targets(svc):
        return {pt.get("targetPort") for pt in svc.get("spec", {}).get("ports", [])} | \
            {pt.get("port") for pt in svc.get("spec", {}).get("ports", [])}
    pub_svc = [s for s in services.values() if s is not headless
               and targets(s) & {public_name, facts["listen"]}]
    adm_svc = [s for s in services.values() if targets(s) & {admin_name, facts["admin"]}]
    if not pub_svc:
        p("no Service for the attestation port")
    if not adm_svc:
        p("no Service for the admin port")
    for s in adm_svc:
        if s.get("spec", {}).get("type", "ClusterIP") != "ClusterIP":
            p("Service %s: the admin port must stay ClusterIP" % s["metadata"]["name"])
    nps = [n for n in by_kind.get("NetworkPolicy", [])
           if all(n.get("spec", {}).get("podSelector", {}).get("matchLabels", {}).get(k) == v
                  for k, v in labels.items())]
    if not nps:
        p("no NetworkPolicy selects the kbs pods")
    for n in nps:
        nspec = n["spec"]
        if "Ingress" not in nspec.get("policyTypes", []):
            p("NetworkPolicy: policyTypes must include Ingress")
        admin_ok = public_ok = False
        for rule in nspec.get("ingress", []):
            rports = {pt.get("port") for pt in rule.get("ports", [])}
            frm = rule.get("from")
            if rports & {admin_name, facts["admin"]} or not rports:
                if not frm or any("ipBlock" in f for f in frm):
                    p("NetworkPolicy: the admin port is open to everyone")
                else:
                    admin_ok = True
            if rports & {public_name, facts["listen"]}:
                public_ok = True
        if not admin_ok:
            p("NetworkPolicy: no rule admits the admin port from selected pods")
        if not public_ok:
            p("NetworkPolicy: the public port is not admitted")

    # The image.
    froms = re.findall(r"^FROM\s+(\S+)", containerfile, re.M)
    if not froms or any(not re.fullmatch(r"debian:(12|bookworm)(-slim)?", f) for f in froms):
        p("Containerfile: the base must be Debian 12")
    if "meson setup" not in containerfile:
        p("Containerfile: kbs must be built with meson")
    users = re.findall(r"^USER\s+(\S+)", containerfile, re.M)
    if not users or users[-1].split(":")[0] in ("0", "root"):
        p("Containerfile: the last USER must not be root")
    return problems


def main():
    if len(sys.argv) != 2:
        print("usage: test_k8s_manifests.py ROOT", file=sys.stderr)
        return 2
    root = sys.argv[1]
    facts = daemon_facts(root)
    docs, cf = load(root)
    passed = failed = 0

    got = check(docs, cf, facts)
    if got:
        failed += 1
        print("FAIL the manifests: " + "; ".join(got))
    else:
        passed += 1

    def find(kind, name=None):
        return next(d for d in docs_m if d["kind"] == kind
                    and (name is None or d["metadata"]["name"] == name))

    def container():
        return find("StatefulSet")["spec"]["template"]["spec"]["containers"][0]

    mutants = [
        ("readiness path", lambda: container()["readinessProbe"]["httpGet"]
         .__setitem__("path", "/ready"), "kbs container: readinessProbe must be GET /readyz"),
        ("liveness path", lambda: container()["livenessProbe"]["httpGet"]
         .__setitem__("path", "/metrics"), "kbs container: livenessProbe must be GET /healthz"),
        ("probe on the admin port", lambda: container()["readinessProbe"]["httpGet"]
         .__setitem__("port", "admin"), "kbs container: readinessProbe must use the public port"),
        ("public port", lambda: container()["ports"][0].__setitem__("containerPort", 9090),
         "kbs container: no port 8080 (the default listen port)"),
        ("secret mode", lambda: find("StatefulSet")["spec"]["template"]["spec"]["volumes"][0]
         ["secret"].__setitem__("defaultMode", 0o444),
         "Secret volume keys: defaultMode must be 0400"),
        ("admin service exposed", lambda: find("Service", "kbs-admin")["spec"]
         .__setitem__("type", "LoadBalancer"),
         "Service kbs-admin: the admin port must stay ClusterIP"),
        ("admin port open", lambda: find("NetworkPolicy")["spec"]["ingress"][1].pop("from"),
         "NetworkPolicy: the admin port is open to everyone"),
        ("replicas", lambda: find("StatefulSet")["spec"].__setitem__("replicas", 1),
         "StatefulSet: replicas must be 3"),
        ("no claims", lambda: find("StatefulSet")["spec"].pop("volumeClaimTemplates"),
         "StatefulSet: no volumeClaimTemplates (a volume per replica)"),
        ("root", lambda: container()["securityContext"].__setitem__("runAsUser", 0),
         "kbs container: must run as a non-root user without privilege escalation"),
    ]
    cf_mutants = [
        ("base image", lambda s: s.replace("FROM debian:12\n", "FROM ubuntu:24.04\n"),
         "Containerfile: the base must be Debian 12"),
        ("user", lambda s: s.replace("USER 10001:10001", "USER root"),
         "Containerfile: the last USER must not be root"),
    ]
    for name, edit, want in mutants:
        docs_m = copy.deepcopy(docs)
        edit()
        got = check(docs_m, cf, facts)
        if want in got:
            passed += 1
        else:
            failed += 1
            print("FAIL mutant %s: want %r, got %r" % (name, want, got))
    for name, edit, want in cf_mutants:
        cf_m = edit(cf)
        got = check(docs, cf_m, facts) if cf_m != cf else []
        if want in got:
            passed += 1
        else:
            failed += 1
            print("FAIL mutant %s: want %r, got %r" % (name, want, got))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
