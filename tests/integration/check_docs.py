#!/usr/bin/python3
"""check_docs.py ROOT: the broker's documents against its code.

Fails (exit 1, one line per problem) when
- a route of kbs/routes.c (method, path, listeners) is not an operation of
  docs/openapi.yaml, or the reverse; an admin route's x-kbs-role is not the
  role its handler asks kbs_admin_begin for, or a route lacks its bearer
  scheme; a route whose handler asks for a role is not marked TOKEN in the
  table (its token checked before the body is read), or one marked TOKEN
  asks for none;
- the error codes of a status in kbs/status.c (named through
  common/kbs_err_list.h) are not exactly the ErrorCodeNNN enum of that
  status in docs/openapi.yaml;
- a request field table of kbs/*.c has no request schema of
  docs/openapi.yaml with the same members (and required ones) and
  additionalProperties: false;
- a setting of kbs/config.c's table has no row in docs/operations.md, or
  the row lacks its default or bounds, or the table has a row too many;
- a metrics series of kbs/metrics.c or kbs/broker.c has no row in
  docs/operations.md, or the reverse; an alert of docs/operations.md names
  a series kbs/ does not export.

The C tables are read with regular expressions, the YAML with the small
reader below (block mappings, block and flow sequences, block scalars:
the subset docs/openapi.yaml uses), so the test needs no YAML module.
"""
import os
import re
import sys

problems = []


def problem(msg):
    problems.append(msg)


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


# ---- a reader for the YAML subset of docs/openapi.yaml ---------------------

def scalar(text):
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [scalar(x) for x in inner.split(",")] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def yaml_lines(text):
    out = []
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            out.append(None)  # kept, so block scalars can span blank lines
            continue
        out.append((len(raw) - len(raw.lstrip(" ")), raw.strip()))
    return out


def skip_blank(lines, i):
    while i < len(lines) and lines[i] is None:
        i += 1
    return i


def split_key(content):
    m = re.match(r"""^('[^']*'|"[^"]*"|[^:'"]+?):(?:\s+(.*))?$""", content)
    if not m:
        return None
    return scalar(m.group(1)), (m.group(2) or "")


def parse_block(lines, i, indent):
    """Parses the node whose lines start at i with this indentation."""
    i = skip_blank(lines, i)
    if i >= len(lines) or lines[i][0] != indent:
        return None, i
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        items = []
        while True:
            i = skip_blank(lines, i)
            if i >= len(lines) or lines[i][0] != indent or not lines[i][1].startswith("-"):
                return items, i
            rest = lines[i][1][1:].lstrip(" ")
            if split_key(rest) is None:
                items.append(scalar(rest))
                i += 1
                continue
            # "- key: value" opens a mapping indented past the dash.
            sub = indent + 2
            lines[i] = (sub, rest)
            node, i = parse_block(lines, i, sub)
            items.append(node)
    node = {}
    while True:
        i = skip_blank(lines, i)
        if i >= len(lines) or lines[i][0] != indent:
            return node, i
        kv = split_key(lines[i][1])
        if kv is None:
            raise ValueError("line %d: not a mapping entry: %s" % (i + 1, lines[i][1]))
        key, value = kv
        i += 1
        if value in ("|", ">", "|-", ">-"):
            while i < len(lines) and (lines[i] is None or lines[i][0] > indent):
                i += 1
            node[key] = "<text>"
        elif value:
            node[key] = scalar(value)
        else:
            j = skip_blank(lines, i)
            if j < len(lines) and lines[j][0] > indent:
                node[key], i = parse_block(lines, j, lines[j][0])
            elif j < len(lines) and lines[j][0] == indent and lines[j][1].startswith("-"):
                node[key], i = parse_block(lines, j, indent)
            else:
                node[key] = None


def yaml_load(text):
    node, i = parse_block(yaml_lines(text), 0, 0)
    return node


# ---- the C side ------------------------------------------------------------

def c_block(text, start_pattern):
    m = re.search(start_pattern + r"\s*=\s*\{(.*?)\n\};", text, re.S)
    if not m:
        problem("cannot find %s" % start_pattern)
        return ""
    return m.group(1)


def c_int(expr):
    expr = re.sub(r"(\d+)[uU]", r"\1", expr.strip())
    if not re.fullmatch(r"[\d\s<()+*]+", expr):
        return None
    return eval(expr)  # digits, shifts and sums only, checked above


def err_names(root):
    text = read(root, "common/kbs_err_list.h")
    return dict(re.findall(r"KBS_ERR_X\(\s*(\w+)\s*,\s*(\w+)\s*,", text))


def status_table(root, names):
    out = {}
    for const, status in re.findall(r"\{\s*KBS_ERR_(\w+)\s*,\s*(\d{3})\s*\}",
                                    c_block(read(root, "kbs/status.c"), r"statuses\[\]")):
        if const not in names:
            problem("kbs/status.c names KBS_ERR_%s, which common/kbs_err_list.h lacks" % const)
            continue
        out.setdefault(status, set()).add(names[const])
    if not out:
        problem("kbs/status.c: no entries found")
    return out


def routes_table(root):
    block = c_block(read(root, "kbs/routes.c"), r"static const struct kbs_route routes\[\]")
    rx = (r"\{\s*(PUB\s*\|\s*ADM|ADM\s*\|\s*PUB|PUB|ADM)\s*,\s*KBS_(GET|POST|PUT|DELETE)\s*,"
          r"\s*\"([^\"]+)\"\s*,\s*\w+\s*,\s*(\w+)\s*,\s*(TOKEN|OPEN)\s*\}")
    out = []
    for lst, method, pattern, handler, gate in re.findall(rx, block):
        listeners = set()
        if "PUB" in lst:
            listeners.add("public")
        if "ADM" in lst:
            listeners.add("admin")
        out.append((method, pattern, frozenset(listeners), handler, gate == "TOKEN"))
    if not out:
        problem("kbs/routes.c: no routes found")
    return out


def kbs_sources(root):
    """(file name, text) of every kbs/*.c, in name order."""
    for fn in sorted(os.listdir(os.path.join(root, "kbs"))):
        if fn.endswith(".c"):
            yield fn, read(root, "kbs/" + fn)


def handler_roles(root):
    roles = {}
    for fn, text in kbs_sources(root):
        for name, body in re.findall(r"\n(kbs_h_\w+)\(struct kbs_broker[^{;]*\{(.*?)\n\}", text,
                                     re.S):
            m = re.search(r"kbs_admin_begin\([^;]*KEYSTORE_ROLE_(ADMIN|AUDITOR)", body, re.S)
            roles[name] = m.group(1).lower() if m else None
    return roles


def field_tables(root):
    out = {}
    for fn, text in kbs_sources(root):
        for name, body in re.findall(r"static const struct kbs_field (\w+)\[[^\]]*\]\s*=\s*\{(.*?)\};",
                                     text, re.S):
            fields = re.findall(r"\{\s*\"(\w+)\"\s*,\s*KBS_FIELD_(\w+)\s*,\s*(\d)", body)
            out["kbs/%s:%s" % (fn, name)] = {f: (t, req == "1") for f, t, req in fields}
    if not out:
        problem("kbs/*.c: no kbs_field tables found")
    return out


def settings_table(root):
    text = read(root, "kbs/config.c")
    block = c_block(text, r"static const struct setting settings\[\]")
    out = {}
    for name, field in re.findall(r"S_STR\(\"(\w+)\"\s*,\s*(\w+)\)", block):
        out[name] = ("string", field, None, None)
    for name, field, lo, hi in re.findall(
            r"S_UINT\(\"(\w+)\"\s*,\s*(\w+)\s*,\s*([^,]+?)\s*,\s*([^)]+?)\)", block):
        out[name] = ("uint", field, c_int(lo), c_int(hi))
    for name, field in re.findall(r"S_LIST\(\"(\w+)\"\s*,\s*(\w+)\)", block):
        out[name] = ("list", field, None, None)
    for name, kind, field in re.findall(
            r"\{\s*\"(\w+)\"\s*,\s*SET_(BOOL|LOG_LEVEL|WEBHOOKS|ETCD)\s*,\s*offsetof\(struct kbs_config,\s*(\w+)\)",
            block):
        out[name] = (kind.lower(), field, None, None)
    if not out:
        problem("kbs/config.c: no settings found")
    m = re.search(r"\nkbs_config_defaults\(struct kbs_config \*cfg\)\n\{(.*?)\n\}", text, re.S)
    defaults = {}
    if m:
        for field, value in re.findall(r"snprintf\(cfg->(\w+),[^,]+,\s*\"([^\"]*)\"\)", m.group(1)):
            defaults[field] = value
        for field, value in re.findall(r"cfg->(\w+)\s*=\s*([^;]+);", m.group(1)):
            defaults[field] = value.strip()
    else:
        problem("kbs/config.c: kbs_config_defaults not found")
    return out, defaults


def metric_names(root):
    text = read(root, "kbs/metrics.c")
    names = set(re.findall(r"family\(\s*o\s*,\s*\"(kbs_\w+)\"", text))
    names |= set(re.findall(r"render_counter\(\s*&o\s*,\s*\"(kbs_\w+)\"", text))
    names |= set(re.findall(r"static const char name\[\]\s*=\s*\"(kbs_\w+)\"", text))
    names |= set(re.findall(r"render_labelled\(\s*o\s*,\s*\"(kbs_\w+)\"", text))
    names |= set(re.findall(r"struct kbs_metrics_gauge \w+\s*=\s*\{\s*\"(kbs_\w+)\"",
                            read(root, "kbs/broker.c")))
    if os.path.exists(os.path.join(root, "kbs/replica.c")):
        names |= set(re.findall(r"=\s*\{\s*\"(kbs_etcd_\w+)\"", read(root, "kbs/replica.c")))
    if not names:
        problem("kbs/metrics.c: no series found")
    return names


# ---- docs/operations.md ----------------------------------------------------

def md_table(text, header_start):
    """The rows (lists of cells) of the table whose header row starts so."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(header_start):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
                rows.append([c.strip() for c in cells])
            return rows
    problem("docs/operations.md: no table starting %r" % header_start)
    return []


def first_code(cell):
    m = re.match(r"^`([^`]+)`", cell)
    return m.group(1) if m else None


# ---- the checks ------------------------------------------------------------

def check_routes(root, spec):
    roles = handler_roles(root)
    paths = spec.get("paths") or {}
    doc_ops = {}
    for path, item in paths.items():
        ports = {s.get("url", "").rsplit(":", 1)[-1] for s in (item.get("servers") or [])}
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            pattern = re.sub(r"\{[^}/]+\}$", "*", path)
            doc_ops[(method.upper(), pattern)] = (op, ports)
    code_ops = set()
    want_ports = {"public": "8080", "admin": "8081"}
    for method, pattern, listeners, handler, gated in routes_table(root):
        key = (method, pattern)
        code_ops.add(key)
        where = "%s %s (%s)" % (method, pattern, ",".join(sorted(listeners)))
        if key not in doc_ops:
            problem("route %s is missing from docs/openapi.yaml" % where)
            continue
        op, ports = doc_ops[key]
        doc_listeners = set(op.get("x-kbs-listeners") or [])
        if doc_listeners != set(listeners):
            problem("route %s: docs/openapi.yaml says x-kbs-listeners %s"
                    % (where, sorted(doc_listeners)))
        if ports != {want_ports[x] for x in listeners}:
            problem("route %s: docs/openapi.yaml path servers are on ports %s"
                    % (where, sorted(ports)))
        schemes = {k for req in (op.get("security") or []) for k in req}
        role = roles.get(handler, "missing")
        if role == "missing":
            problem("route %s: handler %s not found in kbs/*.c" % (where, handler))
        elif (role is not None) != gated:
            problem("route %s: handler %s asks for %s, the table marks it %s" % (
                where, handler, "role " + role if role else "no token", "TOKEN" if gated else "OPEN"))
        if role not in (None, "missing"):
            if op.get("x-kbs-role") != role:
                problem("route %s: handler %s asks for role %s, docs/openapi.yaml says %s"
                        % (where, handler, role, op.get("x-kbs-role")))
            if schemes != {"adminToken"}:
                problem("route %s: security should be adminToken, is %s" % (where, sorted(schemes)))
        elif role is None:
            if op.get("x-kbs-role") is not None:
                problem("route %s: x-kbs-role on a route without an admin token" % where)
            want = {"attestationToken"} if handler == "kbs_h_secret_get" else set()
            if schemes != want:
                problem("route %s: security should be %s, is %s"
                        % (where, sorted(want), sorted(schemes)))
    for key in sorted(set(doc_ops) - code_ops):
        problem("docs/openapi.yaml has %s %s, which kbs/routes.c does not route" % key)


def check_errors(root, spec):
    names = err_names(root)
    if not names:
        problem("common/kbs_err_list.h: no codes found")
    table = status_table(root, names)
    schemas = (spec.get("components") or {}).get("schemas") or {}
    doc = {}
    for name, schema in schemas.items():
        m = re.fullmatch(r"ErrorCode(\d{3})", name)
        if m:
            doc[m.group(1)] = set((schema or {}).get("enum") or [])
    for status in sorted(set(table) | set(doc)):
        code = table.get(status, set())
        listed = doc.get(status, set())
        for n in sorted(code - listed):
            problem("error code %s (status %s in kbs/status.c) is missing from "
                    "ErrorCode%s in docs/openapi.yaml" % (n, status, status))
        for n in sorted(listed - code):
            problem("docs/openapi.yaml ErrorCode%s lists %s, which kbs/status.c does not "
                    "give status %s" % (status, n, status))


def check_requests(root, spec):
    schemas = (spec.get("components") or {}).get("schemas") or {}
    strict = {}
    for name, s in schemas.items():
        if isinstance(s, dict) and s.get("additionalProperties") == "false":
            strict[name] = s
    for table, fields in field_tables(root).items():
        match = None
        for name, s in strict.items():
            if set((s.get("properties") or {}).keys()) == set(fields):
                match = name
        if match is None:
            problem("%s (%s) has no request schema with additionalProperties: false and "
                    "exactly these members in docs/openapi.yaml" % (table, ", ".join(sorted(fields))))
            continue
        s = strict[match]
        required = set(s.get("required") or [])
        for f, (kind, req) in fields.items():
            if req != (f in required):
                problem("%s: member %s is %srequired, schema %s says otherwise"
                        % (table, f, "" if req else "not ", match))
            is_array = (s["properties"][f] or {}).get("type") == "array"
            if is_array != (kind == "STRING_ARRAY"):
                problem("%s: member %s is KBS_FIELD_%s, schema %s says type %s"
                        % (table, f, kind, match, (s["properties"][f] or {}).get("type")))


def default_text(kind, raw):
    if raw is None:
        return None
    if kind == "uint":
        v = c_int(raw)
        return None if v is None else str(v)
    if kind == "bool":
        return "false" if raw == "0" else "true"
    if kind == "log_level":
        m = re.fullmatch(r"KBS_LOG_(\w+)", raw)
        return m.group(1).lower() if m else None
    if kind == "string":
        return raw if raw else '""'
    return None


def check_settings(root, ops):
    settings, defaults = settings_table(root)
    rows = md_table(ops, "| setting |")
    doc = {}
    for cells in rows:
        name = first_code(cells[0]) if cells else None
        if name:
            doc[name] = cells
    for name in sorted(settings):
        kind, field, lo, hi = settings[name]
        if name not in doc:
            problem("setting %s of kbs/config.c is missing from docs/operations.md" % name)
            continue
        cells = doc[name]
        if len(cells) != 5:
            problem("docs/operations.md: the row of %s has %d cells, not 5" % (name, len(cells)))
            continue
        want = default_text(kind, defaults.get(field, "" if kind == "string" else None))
        if field in defaults and want is None and kind != "list":
            problem("kbs/config.c: cannot read the default of %s" % name)
        if want is not None and want not in re.findall(r"[^\s`()|]+|\"\"", cells[2]):
            problem("setting %s: docs/operations.md gives default %r, kbs/config.c %r"
                    % (name, cells[2], want))
        if kind == "uint":
            if lo is None or hi is None:
                problem("kbs/config.c: cannot read the bounds of %s" % name)
            elif re.findall(r"\d+", cells[3]) != [str(lo), str(hi)]:
                problem("setting %s: docs/operations.md gives bounds %r, kbs/config.c %d .. %d"
                        % (name, cells[3], lo, hi))
    for name in sorted(set(doc) - set(settings)):
        problem("docs/operations.md documents setting %s, which kbs/config.c lacks" % name)


def check_metrics(root, ops):
    names = metric_names(root)
    doc = {first_code(c[0]) for c in md_table(ops, "| series |") if c and first_code(c[0])}
    for n in sorted(names - doc):
        problem("metrics series %s is missing from docs/operations.md" % n)
    for n in sorted(doc - names):
        problem("docs/operations.md documents series %s, which kbs/ does not export" % n)


def check_alerts(root, ops):
    """Every series an alert expression names is one kbs/ exports."""
    names = metric_names(root)
    rows = md_table(ops, "| alert |")
    if not rows:
        problem("docs/operations.md: the alert table is empty")
    for cells in rows:
        if len(cells) < 2:
            continue
        for n in re.findall(r"\b(kbs_\w+)", cells[1]):
            base = re.sub(r"_(bucket|sum|count)$", "", n)
            if n not in names and base not in names:
                problem("docs/operations.md: alert %r uses series %s, which kbs/ does not export"
                        % (cells[0], n))


def main():
    if len(sys.argv) != 2:
        print("usage: check_docs.py ROOT", file=sys.stderr)
        return 2
    root = sys.argv[1]
    try:
        spec = yaml_load(read(root, "docs/openapi.yaml")) or {}
    except ValueError as e:
        print("docs/openapi.yaml: %s" % e)
        return 1
    if spec.get("openapi") != "3.0.3":
        problem("docs/openapi.yaml: not an OpenAPI 3.0.3 document")
    ops = read(root, "docs/operations.md")
    check_routes(root, spec)
    check_errors(root, spec)
    check_requests(root, spec)
    check_settings(root, ops)
    check_metrics(root, ops)
    check_alerts(root, ops)
    for p in problems:
        print(p)
    print("check_docs: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
