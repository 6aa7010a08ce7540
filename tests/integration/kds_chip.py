#!/usr/bin/python3
"""kds_chip.py: simulated chips whose chain this test holds the keys of.

`kbs-client sim-init` discards its ARK and ASK keys, so nothing can sign a
CRL for its root. For the KDS test the chain is issued again here, with
the openssl command (Debian 12's python3-cryptography cannot sign with
RSASSA-PSS), built like sim-init's (client/sim_chain.c): RSA-4096 ARK and
ASK, RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48, names saying SIMULATED, and
a VCEK with serial 0 and AMD's extensions taken from the chip's
chip.conf. Several chips are issued under one ASK, as AMD's are.

    kds_chip.py ca CADIR PRODUCT         a new ARK and ASK (keys kept in CADIR)
    kds_chip.py issue CADIR CHIPDIR      CHIPDIR's VCEK (its own vcek.key)
                                         issued under CADIR for its chip.conf
    kds_chip.py crl CADIR OUT NEXT_SECONDS [ask]
                                         a CRL of CADIR's ARK (thisUpdate
                                         now), revoking the ASK when "ask"
"""
import os
import shutil
import subprocess
import sys
import tempfile

PSS = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48",
       "-sigopt", "rsa_mgf1_md:sha384", "-sha384"]
NAME = "/OU=SIMULATED - NOT AMD/O=kbs simulated SEV-SNP chip/CN="
PRODUCTS = {  # chip.conf name: (CN part, productName, structVersion, hwID bytes)
    "milan": ("Milan", "Milan-B0", 0, 64),
    "genoa": ("Genoa", "Genoa", 0, 64),
    "turin": ("Turin", "Turin", 1, 8),
}
ARC = "1.3.6.1.4.1.3704.1."


def run(*args, stdin=None):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, input=stdin).stdout


def der_int(v):
    body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return "DER:02%02x%s" % (len(body), body.hex())


def der_ia5(s):
    return "DER:16%02x%s" % (len(s), s.encode().hex())


def sign_cert(cfg_text, section, subject, key, out, ca=None, ca_key=None, serial=1, days=3650):
    with tempfile.TemporaryDirectory() as t:
        cfg = os.path.join(t, "ext.cnf")
        with open(cfg, "w") as f:
            f.write(cfg_text)
        csr = run("req", "-new", "-key", key, "-subj", subject)
        args = ["x509", "-req", "-days", str(days), "-set_serial", str(serial), *PSS,
                "-extfile", cfg, "-extensions", section, "-out", out]
        if ca is None:
            args += ["-signkey", key]
        else:
            args += ["-CA", ca, "-CAkey", ca_key]
        run(*args, stdin=csr)


def ca(cadir, product):
    cn = PRODUCTS[product][0]
    os.makedirs(cadir, exist_ok=True)
    for k in ("ark", "ask"):
        run("genrsa", "-out", os.path.join(cadir, k + ".key"), "4096")
    cfg = ("[ark]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n"
           "subjectKeyIdentifier=hash\n"
           "[ask]\nbasicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign\n"
           "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    ark, ark_key = os.path.join(cadir, "ark.pem"), os.path.join(cadir, "ark.key")
    sign_cert(cfg, "ark", NAME + "ARK-" + cn, ark_key, ark, serial=0x1001, days=9000)
    sign_cert(cfg, "ask", NAME + "SEV-" + cn, os.path.join(cadir, "ask.key"),
              os.path.join(cadir, "ask.pem"), ark, ark_key, serial=0x2002, days=8000)
    with open(os.path.join(cadir, "serial"), "w") as f:
        f.write("2002")


def conf(chipdir):
    out = {}
    for line in open(os.path.join(chipdir, "chip.conf")):
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def issue(cadir, chipdir):
    c = conf(chipdir)
    _, pname, sv, hwlen = PRODUCTS[c["product"]]
    tcb = dict(kv.split("=") for kv in c["tcb"].split(","))
    turin = c["product"] == "turin"
    spls = [("3.9", tcb.get("fmc")) if turin else None, ("3.1", tcb["bl"]), ("3.2", tcb["tee"]),
            None if turin else ("3.4", 0), ("3.5", 0), ("3.6", 0), ("3.7", 0),
            ("3.3", tcb["snp"]), ("3.8", tcb["ucode"])]
    lines = ["[vcek]", ARC + "1=" + der_int(sv), ARC + "2=" + der_ia5(pname)]
    lines += [ARC + o + "=" + der_int(int(v)) for o, v in filter(None, spls)]
    lines.append(ARC + "4=DER:" + c["chip_id"][: 2 * hwlen])  # raw bytes, no inner tag
    sign_cert("\n".join(lines) + "\n", "vcek", NAME + "SEV-VCEK",
              os.path.join(chipdir, "vcek.key"), os.path.join(chipdir, "vcek.pem"),
              os.path.join(cadir, "ask.pem"), os.path.join(cadir, "ask.key"), serial=0,
              days=2500)
    shutil.copy(os.path.join(cadir, "ark.pem"), os.path.join(chipdir, "ark.pem"))
    shutil.copy(os.path.join(cadir, "ask.pem"), os.path.join(chipdir, "ask.pem"))


def crl(cadir, out, next_seconds, revoke=None):
    with tempfile.TemporaryDirectory() as t:
        index = os.path.join(t, "index.txt")
        with open(index, "w") as f:
            if revoke == "ask":
                f.write("R\t491231235959Z\t250101000000Z\t2002\tunknown\t/CN=SEV\n")
        with open(os.path.join(t, "crlnumber"), "w") as f:
            f.write("1000\n")
        cfg = os.path.join(t, "ca.cnf")
        with open(cfg, "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s/crlnumber\n"
                    "default_md=sha384\ncrl_extensions=ext\n[ext]\n"
                    "authorityKeyIdentifier=keyid:always\n" % (index, t))
        run("ca", "-gencrl", "-config", cfg, "-keyfile", os.path.join(cadir, "ark.key"),
            "-cert", os.path.join(cadir, "ark.pem"), "-crlsec", str(next_seconds), *PSS[:6],
            "-out", os.path.join(t, "crl.pem"))
        run("crl", "-in", os.path.join(t, "crl.pem"), "-outform", "DER", "-out", out)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ca":
        ca(sys.argv[2], sys.argv[3])
    elif cmd == "issue":
        issue(sys.argv[2], sys.argv[3])
    elif cmd == "crl":
        crl(*sys.argv[2:])
    else:
        sys.exit("usage: kds_chip.py ca|issue|crl ...")
