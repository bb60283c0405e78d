"""Time verify_callback with a cached key against its pure-Python floor.

Run from the repository root (with ``cryptography`` importable, it is timed
too, as a ratio: C code, not a target)::

    python bench/bench_callback.py [--quick]

For a 1024-bit test key (testdata/callback) and OSS's own 512-bit key (the
signed example of OSS's Callback documentation), it prints microseconds per
verification (median of interleaved repeats) for ``ossign.verify_callback``
with the key already cached, for the floor (one ``pow(signature, e, n)`` and
one MD5 of the signed bytes: what any pure-Python verifier must do), and for
``cryptography``'s RSA PKCS#1 v1.5 / MD5 verification of a loaded key.
Target: ossign at most 1.25x its floor.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import statistics
import sys
import timeit
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ossign  # noqa: E402

DATA = os.path.join(ROOT, "testdata", "callback")
OSS_PEM = (b"-----BEGIN PUBLIC KEY-----\n"
           b"MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKs/JBGzwUB2aVht4crBx3oIPBLNsjGs\n"
           b"C0fTXv+nvlmklvkcolvpvXLTjaxUHR3W9LXxQ2EHXAJfCB+6H2YF1k8CAwEAAQ==\n"
           b"-----END PUBLIC KEY-----\n")  # fmt: skip
KEY_HEADER = base64.b64encode(b"https://gosspublic.alicdn.com/callback_pub_key_v1.pem").decode("ascii")
#: A callback as a web server hands it over: typical proxy and OSS headers.
BASE_HEADERS = {
    "Host": "app.example.com", "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "0",
    "User-Agent": "ehttp-client/0.0.1", "Connection": "close", "X-Forwarded-For": "47.96.1.2",
    "x-oss-pub-key-url": KEY_HEADER,
}


class _Response:
    status = 200

    def __init__(self, data):
        self._body = io.BytesIO(data)

    def read(self, size=-1):
        return self._body.read(size)

    def close(self):
        pass


class _Opener:
    """Serves one PEM for every URL (the bench never leaves the machine)."""

    def __init__(self, pem):
        self.pem = pem

    def open(self, request, timeout=None):
        return _Response(self.pem)


def _read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def cases():
    """{name: (pem, request target, authorization, body)}."""
    return {
        "1024-bit test key": (_read("rsa1024.pem"), _read("request-target.txt").decode("ascii"),
                              _read("rsa1024.md5.sig").decode("ascii"), _read("body.txt")),
        "OSS 512-bit key": (OSS_PEM, "/index.php?id=1&index=2",
                            "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==",
                            b"bucket=yonghu-test"),
    }  # fmt: skip


def contenders(pem, target, authorization, body):
    """{name: callable} verifying the same callback."""
    headers = dict(BASE_HEADERS, Authorization=authorization, **{"Content-Length": str(len(body))})
    context = ossign.Context(opener=_Opener(pem))
    ossign.verify_callback(target, headers, body, context=context)  # fetch and cache the key
    path, _, query = target.partition("?")
    signed = urllib.parse.unquote_to_bytes(path) + b"?" + query.encode() + b"\n" + body if query else \
        urllib.parse.unquote_to_bytes(path) + b"\n" + body  # fmt: skip
    signature = base64.b64decode(authorization)
    n, e = _numbers(pem)
    s = int.from_bytes(signature, "big")
    funcs = {
        "ossign": lambda: ossign.verify_callback(target, headers, body, context=context),
        "floor": lambda: (pow(s, e, n), hashlib.md5(signed).digest()),
    }
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        print("note: cryptography not importable; skipped")
    else:
        key = serialization.load_pem_public_key(pem)
        pkcs1, md5 = padding.PKCS1v15(), hashes.MD5()
        key.verify(signature, signed, pkcs1, md5)
        funcs["cryptography"] = lambda: key.verify(signature, signed, pkcs1, md5)
    return funcs


def _numbers(pem):
    """(n, e) of a SubjectPublicKeyInfo PEM (these well-formed keys only)."""
    der = base64.b64decode(b"".join(pem.strip().splitlines()[1:-1]))

    def tlv(pos):  # -> (start, end) of the value at pos
        length, pos = der[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(der[pos:pos + count], "big"), pos + count
        return pos, pos + length

    outer = tlv(0)[0]
    bits = tlv(tlv(outer)[1])[0]  # the BIT STRING after the AlgorithmIdentifier
    n_start, n_end = tlv(tlv(bits + 1)[0])
    e_start, e_end = tlv(n_end)
    return int.from_bytes(der[n_start:n_end], "big"), int.from_bytes(der[e_start:e_end], "big")


def per_call_us(funcs, quick):
    """({name: median microseconds per call}, {name: median ratio to the floor}).

    Small batches, interleaved: each round times every contender once, back
    to back, and the ratio to the floor is taken within the round, so that
    the load of a shared machine, which changes from round to round, hits
    both sides of a ratio alike.
    """
    timers = {}
    for name, func in funcs.items():
        timer = timeit.Timer(func)
        number, _ = timer.autorange()
        timers[name] = (timer, max(number // 10, 20))
    runs = {name: [] for name in funcs}
    for _ in range(15 if quick else 61):
        for name, (timer, number) in timers.items():
            runs[name].append(timer.timeit(number) / number)
    ratios = {name: statistics.median(a / b for a, b in zip(values, runs["floor"])) for name, values in runs.items()}
    return {name: statistics.median(values) * 1e6 for name, values in runs.items()}, ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    args = parser.parse_args(argv)
    print("%-18s %9s %9s %13s %12s %18s" % ("verify_callback", "ossign", "floor", "cryptography", "ossign/floor",
                                            "ossign/cryptography"))  # fmt: skip
    ok = True
    for name, case in cases().items():
        row, ratios = per_call_us(contenders(*case), args.quick)
        ratio = ratios["ossign"]
        ok = ok and ratio <= 1.25
        crypto = row.get("cryptography")
        print("%-18s %9.2f %9.2f %13s %12.2f %18s" % (
            name, row["ossign"], row["floor"], "%.2f" % crypto if crypto else "-", ratio,
            "%.1f" % (ratio / ratios["cryptography"]) if crypto else "-"))  # fmt: skip
    print("(microseconds per verification, key cached, median; ratios: median of per-round ratios;\n"
          " target ossign/floor <= 1.25: %s)"
          % ("PASS" if ok else "MISS"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
