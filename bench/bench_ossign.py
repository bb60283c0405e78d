"""Benchmark ossign against the official OSS SDKs and against the hashing floor.

Run from the repository root::

    python bench/bench_ossign.py [--json FILE] [--quick] [--sdk-site-packages DIR]

It prints microseconds per call (median of repeats) for V1 header, V1
presign, V2 header, V4 header (PUT with content-type, content-md5, two
``x-oss-meta-*`` headers and an STS token) and V4 presign (STS token), for
ossign, for ``oss2`` and ``alibabacloud-oss-v2`` when they can be imported,
and for the floor: the bare hashlib/hmac work each version must do. Then it
measures cold starts: whole processes run with ``python -S``, interleaved,
median of at least 10 runs each. The official SDKs are found on ``sys.path``
or in ``--sdk-site-packages`` (or ``OSSIGN_BENCH_SDK_PATH``): install them in
a throwaway virtual environment, never as a dependency of ossign.

Standard library only: timeit, subprocess, statistics, json, argparse.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ossign  # noqa: E402

KEY_ID = "LTAI5tQm8XkP3vN7bR2cW9dE"
SECRET = "Xz7Qp2Lm9Kv4Nw8Rt1Ys6Bc3Fh5Dj0"
TOKEN = ("CAIS8gF1q6Ft5B2yfSjIr5bSEPT+2e1K0oC+cUzVsmQzVuRUvZbZsjz2IHhMeXFsBe0ft/4ynG9U6/8elqF="
         "KoN1Qq+Gp5Y3X/oRQ5vXG8=")
BUCKET = "ossign-bench"
REGION = "cn-hangzhou"
KEY = "docs/report-2024.pdf"
URL = "https://%s.oss-%s.aliyuncs.com/%s" % (BUCKET, REGION, KEY)
HEADERS = {
    "Content-Type": "application/pdf",
    "Content-MD5": "b1kCrCNwJL3QwXbLkwY9xA==",
    "x-oss-meta-author": "zhang",
    "x-oss-meta-project": "ossign",
}

#: (operation, ratio limit against the fastest SDK, ratio limit against the floor)
TARGETS = {
    "v4 header": (0.3, 3.5),
    "v4 presign": (0.2, None),
    "v1 header": (0.4, 3.5),
    "v2 header": (0.3, None),  # against oss2 (the only SDK with V2)
}


# ---- what each contender does for one call ---------------------------------


def ossign_ops():
    """ossign: one Signer per version, as an application keeps them."""
    signers = {}
    for version, token in (("v1", None), ("v2", None), ("v4", TOKEN)):
        provider = ossign.StaticCredentialProvider(KEY_ID, SECRET, token)
        signers[version] = ossign.Signer(BUCKET, provider, region=REGION, version=version)
    v1, v2, v4 = signers["v1"], signers["v2"], signers["v4"]
    return {
        "v1 header": lambda: v1.sign("PUT", URL, HEADERS),
        "v1 presign": lambda: v1.presign(URL),
        "v2 header": lambda: v2.sign("PUT", URL, HEADERS),
        "v4 header": lambda: v4.sign("PUT", URL, HEADERS),
        "v4 presign": lambda: v4.presign(URL),
    }


def oss2_ops():
    """oss2: its auth classes, given a fresh oss2.http.Request per call."""
    import oss2
    from oss2.http import Request

    v1 = oss2.Auth(KEY_ID, SECRET)
    v2 = oss2.AuthV2(KEY_ID, SECRET)
    v4 = oss2.StsAuth(KEY_ID, SECRET, TOKEN, auth_version=oss2.AUTH_VERSION_4)

    def request(method="PUT", headers=HEADERS):
        return Request(method, URL, headers=dict(headers), region=REGION, product="oss")

    return {
        "v1 header": lambda: v1._sign_request(request(), BUCKET, KEY),
        "v1 presign": lambda: v1._sign_url(request("GET", {}), BUCKET, KEY, 3600),
        "v2 header": lambda: v2._sign_request(request(), BUCKET, KEY),
        "v4 header": lambda: v4._sign_request(request(), BUCKET, KEY),
        "v4 presign": lambda: v4._sign_url(request("GET", {}), BUCKET, KEY, 3600),
    }


def ossv2_ops():
    """alibabacloud-oss-v2: its signers with a SigningContext per call (no V2)."""
    import datetime

    from alibabacloud_oss_v2.credentials import StaticCredentialsProvider  # noqa: F401 (import cost parity)
    from alibabacloud_oss_v2.signer import SignerV1, SignerV4
    from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

    plain = Credentials(KEY_ID, SECRET)
    sts = Credentials(KEY_ID, SECRET, TOKEN)
    v1, v4 = SignerV1(), SignerV4()

    def context(creds, method="PUT", headers=HEADERS, query=False):
        ctx = SigningContext(product="oss", region=REGION, bucket=BUCKET, key=KEY,
                             request=HttpRequest(method, URL, headers=dict(headers)), credentials=creds)
        if query:
            ctx.auth_method_query = True
            ctx.expiration_time = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        return ctx

    return {
        "v1 header": lambda: v1.sign(context(plain)),
        "v1 presign": lambda: v1.sign(context(plain, "GET", {}, True)),
        "v4 header": lambda: v4.sign(context(sts)),
        "v4 presign": lambda: v4.sign(context(sts, "GET", {}, True)),
    }


def floor_ops():
    """The hashing every signer must do, with realistic message sizes."""
    signer = ossign.Signer(BUCKET, ossign.StaticCredentialProvider(KEY_ID, SECRET, TOKEN), region=REGION)
    key = ossign._v4_signing_key(SECRET, "20240101", REGION, "oss")
    canonical = ("PUT\n/%s/%s\n\ncontent-md5:%s\ncontent-type:%s\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n"
                 "x-oss-date:20240101T000000Z\nx-oss-meta-author:zhang\nx-oss-meta-project:ossign\n"
                 "x-oss-security-token:%s\n\n\nUNSIGNED-PAYLOAD"
                 % (BUCKET, KEY, HEADERS["Content-MD5"], HEADERS["Content-Type"], TOKEN))
    string_to_sign_v4 = "OSS4-HMAC-SHA256\n20240101T000000Z\n20240101/%s/oss/aliyun_v4_request\n%s" % (
        REGION, "0" * 64)
    v1_fields = (HEADERS["Content-MD5"], HEADERS["Content-Type"], BUCKET, KEY)
    string_to_sign_v1 = ("PUT\n%s\n%s\nMon, 01 Jan 2024 00:00:00 GMT\nx-oss-meta-author:zhang\n"
                         "x-oss-meta-project:ossign\n/%s/%s" % v1_fields)
    secret = SECRET.encode()
    v4_canonical = canonical.encode()
    v4_sts_prefix = string_to_sign_v4[:-64]
    del signer

    def v4():
        digest = hashlib.sha256(v4_canonical).hexdigest()
        return hmac.digest(key, (v4_sts_prefix + digest).encode(), "sha256").hex()

    sts1 = string_to_sign_v1.encode()
    return {
        "v1 header": lambda: hmac.digest(secret, sts1, "sha1"),
        "v1 presign": lambda: hmac.digest(secret, sts1, "sha1"),
        "v2 header": lambda: hmac.digest(secret, sts1, "sha256"),
        "v4 header": v4,
        "v4 presign": v4,
    }


# ---- measuring --------------------------------------------------------------


def per_call_us(funcs, quick):
    """{name: median microseconds per call} for ``funcs`` ({name: callable}).

    The repeats are interleaved (one round times every contender once) so
    that drift of a shared machine hits all of them alike.
    """
    timers = {}
    for name, func in funcs.items():
        timer = timeit.Timer(func)
        number, _ = timer.autorange()
        timers[name] = (timer, max(number, 200))
    runs = {name: [] for name in funcs}
    for _ in range(5 if quick else 15):
        for name, (timer, number) in timers.items():
            runs[name].append(timer.timeit(number) / number)
    return {name: statistics.median(values) * 1e6 for name, values in runs.items()}


def load_sdks(path):
    if path:
        sys.path.append(path)
    sdks = {}
    for name, factory in (("oss2", oss2_ops), ("oss-v2", ossv2_ops)):
        try:
            sdks[name] = factory()
        except ImportError as exc:
            print("note: %s not importable (%s); skipped" % (name, exc))
    return sdks


def cold_starts(sdk_path, runs):
    """Median wall time of whole ``python -S`` processes, interleaved."""
    sign = ("s=ossign.Signer(%r, ossign.StaticCredentialProvider(%r, %r, %r), region=%r);"
            "s.sign('PUT', %r, %r)" % (BUCKET, KEY_ID, SECRET, TOKEN, REGION, URL, HEADERS))
    commands = {
        "python -S -c pass": ("pass", None),
        "stdlib a signer needs": ("import hashlib, hmac, binascii, threading, urllib.parse", None),
        "import ossign": ("import ossign", None),
        "ossign: import + Signer + 1 V4 sign": ("import ossign;" + sign, None),
    }
    if sdk_path or _importable("oss2"):
        commands["oss2: import + 1 V4 sign"] = (
            "import oss2; from oss2.http import Request;"
            "a=oss2.StsAuth(%r,%r,%r,auth_version=oss2.AUTH_VERSION_4);"
            "a._sign_request(Request('PUT',%r,headers=%r,region=%r,product='oss'),%r,%r)"
            % (KEY_ID, SECRET, TOKEN, URL, HEADERS, REGION, BUCKET, KEY), sdk_path)
    if sdk_path or _importable("alibabacloud_oss_v2"):
        commands["oss-v2: import + 1 V4 sign"] = (
            "from alibabacloud_oss_v2.signer import SignerV4;"
            "from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext;"
            "SignerV4().sign(SigningContext(product='oss',region=%r,bucket=%r,key=%r,"
            "request=HttpRequest('PUT',%r,headers=%r),credentials=Credentials(%r,%r,%r)))"
            % (REGION, BUCKET, KEY, URL, HEADERS, KEY_ID, SECRET, TOKEN), sdk_path)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the cold start of a deployed module has its .pyc
    # Warm up: write ossign's .pyc (and the SDKs') and check every command works.
    subprocess.run([sys.executable, "-m", "py_compile", os.path.join(ROOT, "ossign.py")], check=True)
    for name, (code, extra) in commands.items():
        run_env = dict(env, PYTHONPATH=os.pathsep.join(p for p in (ROOT, extra) if p))
        subprocess.run([sys.executable, "-S", "-c", code], env=run_env, check=True, cwd=ROOT)
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, (code, extra) in commands.items():
            run_env = dict(env, PYTHONPATH=os.pathsep.join(p for p in (ROOT, extra) if p))
            start = time.perf_counter()
            subprocess.run([sys.executable, "-S", "-c", code], env=run_env, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def _importable(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, Python %s" % (cpu, os.cpu_count() or 0, platform.python_version())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument("--sdk-site-packages", default=os.environ.get("OSSIGN_BENCH_SDK_PATH"),
                        help="site-packages holding oss2 / alibabacloud-oss-v2")
    parser.add_argument("--cold-runs", type=int, default=15, help="runs per cold-start command (min 10)")
    args = parser.parse_args(argv)

    contenders = {"ossign": ossign_ops(), "floor": floor_ops()}
    contenders.update(load_sdks(args.sdk_site_packages))
    operations = list(contenders["ossign"])
    results = {}
    for op in operations:
        results[op] = per_call_us({name: ops[op] for name, ops in contenders.items() if op in ops}, args.quick)

    names = [n for n in contenders if n not in ("ossign", "floor")]
    print("machine: %s" % machine())
    print()
    header = "%-11s %9s %9s" % ("operation", "ossign", "floor") + "".join(" %9s" % n for n in names)
    print(header + " %12s %12s" % ("ossign/SDK", "ossign/floor"))
    report = {"machine": machine(), "per_call_us": results, "ratios": {}, "targets": {}}
    for op in operations:
        row = results[op]
        sdk_times = [row[n] for n in names if n in row]
        fastest = min(sdk_times) if sdk_times else None
        vs_sdk = row["ossign"] / fastest if fastest else None
        vs_floor = row["ossign"] / row["floor"]
        report["ratios"][op] = {"vs_fastest_sdk": vs_sdk, "vs_floor": vs_floor}
        cells = "".join(" %9s" % ("%.1f" % row[n] if n in row else "-") for n in names)
        shown_sdk = "%.2f" % vs_sdk if vs_sdk else "-"
        print("%-11s %9.1f %9.1f%s %12s %12.2f" % (op, row["ossign"], row["floor"], cells, shown_sdk, vs_floor))
    print("(microseconds per call, median; ratios: lower is better)")

    print()
    for op, (sdk_limit, floor_limit) in TARGETS.items():
        row = results[op]
        if op == "v2 header":
            base = row.get("oss2")
            label = "oss2"
        else:
            sdk_times = [row[n] for n in names if n in row]
            base = min(sdk_times) if sdk_times else None
            label = "fastest SDK"
        checks = []
        if base:
            ratio = row["ossign"] / base
            checks.append(("%s vs %s %.2f <= %.2f" % (op, label, ratio, sdk_limit), ratio <= sdk_limit))
        if floor_limit:
            ratio = row["ossign"] / row["floor"]
            checks.append(("%s vs floor %.2f <= %.2f" % (op, ratio, floor_limit), ratio <= floor_limit))
        for text, ok in checks:
            report["targets"][text] = ok
            print("%-4s %s" % ("PASS" if ok else "MISS", text))

    cold = cold_starts(args.sdk_site_packages, max(10, args.cold_runs))
    report["cold_start_ms"] = cold
    print()
    base = cold["stdlib a signer needs"]
    bare = cold["python -S -c pass"]
    print("%-38s %8s %10s %8s" % ("cold start (python -S)", "ms", "vs stdlib", "vs pass"))
    for name, ms in cold.items():
        print("%-38s %8.1f %10.2f %8.2f" % (name, ms, ms / base, ms / bare))
    ours = cold["ossign: import + Signer + 1 V4 sign"]
    sdk_cold = [ms for name, ms in cold.items() if name.startswith(("oss2", "oss-v2"))]
    checks = [("cold sign vs stdlib %.2f <= 1.25" % (ours / base), ours / base <= 1.25)]
    if sdk_cold:
        # Fair comparison: time above a bare interpreter start.
        speedup = (min(sdk_cold) - bare) / max(ours - bare, 1e-9)
        checks.append(("cold sign faster than fastest SDK: %.1fx >= 8 (above bare startup)" % speedup,
                       speedup >= 8))
        speedup_total = min(sdk_cold) / ours
        checks.append(("cold sign faster than fastest SDK, whole process: %.1fx" % speedup_total, None))
    for text, ok in checks:
        report["targets"][text] = ok
        print("%-4s %s" % ({True: "PASS", False: "MISS", None: "info"}[ok], text))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print("\nwrote %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
