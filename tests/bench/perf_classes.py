#!/usr/bin/env python3
"""perf_classes.py: where the broker's CPU time goes, from perf samples.

    perf record -e cpu-clock --call-graph dwarf,16384 -F 999 -p PID -o perf.data
    perf script -i perf.data | tests/bench/perf_classes.py

Each sample (one stack) goes to the first class below whose pattern
matches any frame of its stack, so the order matters: the verification
before GMP's callers, the commit's system calls before LMDB's own code.
Prints the share of samples per class (docs/performance.md, "Where the
broker's time goes").
"""
import collections
import re
import sys

CLASSES = [
    ("P-384 verification (nettle, GMP)", r"snp_sig_verify_p384|nettle|gmpn|hogweed|libgmp"),
    ("Ed25519 signatures (by name)", r"crypto_sign|kbs_token_sign"),
    ("X25519 (by name)", r"crypto_scalarmult"),
    ("libsodium, unnamed (stripped library)", r"libsodium"),
    ("LMDB commit: fdatasync", r"fdatasync"),
    ("LMDB commit: pwrite", r"pwrite"),
    ("LMDB reads, transactions, cursors", r"\bmdb_|keystore_"),
    ("the request log line", r"\bkbs_log\b|kbs_broker_log_request"),
    ("JSON parse (request)", r"\bpj_"),
    ("JSON print (answer, token, audit)", r"cJSON_"),
    ("base64 decode", r"kbs_b64_decode|b64_block"),
    ("base64 encode", r"sodium_bin2base64|kbs_b64_encode"),
    ("certificate cache, chain checks (OpenSSL)",
     r"libcrypto|X509|EVP_|snp_verifier_certs_add|snp_certs"),
    ("policy evaluation", r"policy_eval"),
    ("thread hand-offs (futex)", r"futex|pthread_cond|try_to_wake_up"),
    ("sockets: send, receive, loopback softirq",
     r"sendmsg|sendto|recvfrom|__sys_recv|tcp_|net_rx|do_softirq|handle_softirqs"),
    ("epoll and scheduling", r"epoll|schedule|finish_task_switch|_raw_spin_unlock_irq"),
    ("malloc/free", r"malloc|_int_free|cfree|calloc|realloc"),
    ("libmicrohttpd", r"libmicrohttpd"),
]


def main():
    patterns = [(name, re.compile(p)) for name, p in CLASSES]
    counts = collections.Counter()
    total = 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        text = "\n".join(stack)
        for name, pattern in patterns:
            if pattern.search(text):
                counts[name] += 1
                return
        counts["other"] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            stack.clear()
        elif line[0] in " \t":
            stack.append(line.strip())
    flush()
    if total == 0:
        sys.exit("perf_classes: no samples on standard input")
    for name, n in counts.most_common():
        print("%6.1f%%  %s" % (100.0 * n / total, name))
    print("samples: %d" % total)


if __name__ == "__main__":
    main()
