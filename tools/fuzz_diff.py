"""Differential fuzzer: ossign against the official OSS SDKs.

Signs random requests (unicode and punctuation in keys, sub-resources and
plain query parameters, empty values, ``x-oss-meta-*`` and other headers, STS
tokens, random times and expiries) with ossign and with ``oss2`` (V1, V2, V4)
and ``alibabacloud-oss-v2`` (V1, V4), and compares the signatures: header
mode field by field, presigned URLs by their decoded query parameters. On a
mismatch it shrinks the request and prints a minimal reproducer.

Not run by CI. Install the SDKs in a throwaway virtual environment and point
this script at it::

    python tools/fuzz_diff.py --count 100000 --sdk-site-packages /path/to/site-packages

The generator stays inside the rules on which the SDKs agree with the OSS
documentation: header values carry no surrounding white space (ossign signs
them trimmed, as HTTP servers see them), query values are percent-encoded (no
raw ``+``), V1 sub-resources come from oss2's list, alibabacloud-oss-v2 is
not asked about V1 with a token or ``x-oss-process`` (it signs neither as
documented), and a caller's ``x-oss-date`` is not put in V1 presigned URLs
(oss2 signs it in place of ``Expires``).

OSS Vectors and OSS Tables requests (V4 only) are compared with
alibabacloud-oss-v2's ``VectorsSignerV4`` and ``TablesSignerV4``, given the
signing context its vectors and tables clients build (the raw key for Vectors,
the URL path and the bucket ARN for Tables), over their public, internal,
regional and custom-domain hosts::

    python tools/fuzz_diff.py --count 0 --product-count 100000 --sdk-site-packages /path/to/site-packages
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import ossign  # noqa: E402

KEY_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " !\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}~/" "中文测试报告éüñ한국어ا١∑😀\u00a0\u200d"
)
VALUE_CHARS = KEY_CHARS.replace("/", "") + "/=+"
HEADER_VALUE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 -_.:;=/+@,"
REGIONS = ("cn-hangzhou", "cn-shanghai", "ap-southeast-1", "us-west-1", "eu-central-1")
#: SPEC.md §10's host families: (name, endpoint or None for the public one,
#: whether the host names the region, whether it names the bucket). ``{r}``
#: is the region (``{cb}`` a CloudBox id, which V4 signs as the region), ``{n}``
#: a number. The SDKs are told the bucket and region; ossign is told them
#: too, or, when the host names them, sometimes left to read them.
HOST_FAMILIES = (
    ("public", None, True, True),
    ("internal", "oss-{r}-internal.aliyuncs.com", True, True),
    ("dual-stack", "{r}.oss.aliyuncs.com", True, True),
    ("legacy", "oss.aliyuncs.com", False, True),
    ("legacy-internal", "oss-internal.aliyuncs.com", False, True),
    ("accelerate", "oss-accelerate.aliyuncs.com", False, True),
    ("accelerate-overseas", "oss-accelerate-overseas.aliyuncs.com", False, True),
    ("finance-pub", "oss-cn-shanghai-finance-1-pub.aliyuncs.com", False, True),
    ("hzfinance", "oss-cn-hzfinance.aliyuncs.com", False, True),
    ("szfinance-internal", "oss-cn-szfinance-internal.aliyuncs.com", False, True),
    ("cloudbox", "{cb}.{r}.oss-cloudbox.aliyuncs.com", True, True),
    ("cname", "img-{n}.example.com", False, False),
    ("other-aliyuncs", "s3.oss-{r}.aliyuncs.com", False, False),  # signed as a custom domain
    ("ip", "10.0.0.{n}:9000", False, False),  # path-style
)
#: Query parameters that presigning owns (replaced, never signed as given).
OWNED_PARAMS = frozenset().union(*ossign._AUTH_PARAMS.values())
PLAIN_PARAMS = ("prefix", "marker", "max-keys", "delimiter", "encoding-type", "list-type", "custom-param")


def _text(rng, chars, low, high):
    return "".join(rng.choice(chars) for _ in range(rng.randint(low, high)))


def random_case(rng, version, mode, oss2_subresources):
    """One random request, as plain data both signers can take."""
    key = _text(rng, KEY_CHARS, 1, 30).strip("/") or "k"
    if rng.random() < 0.1:
        key = "/" + key
    params = {}
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.5:
            name = rng.choice(sorted(oss2_subresources - OWNED_PARAMS))
        else:
            name = rng.choice(PLAIN_PARAMS)
        params[name] = "" if rng.random() < 0.3 else _text(rng, VALUE_CHARS, 1, 12)
    headers = {}
    if rng.random() < 0.5:
        headers[rng.choice(("Content-Type", "content-type"))] = rng.choice(
            ("text/plain", "application/json", "image/png; q=1"))
    if rng.random() < 0.3:
        headers["Content-MD5"] = "b1kCrCNwJL3QwXbLkwY9xA=="
    for i in range(rng.randint(0, 3)):
        headers[rng.choice(("x-oss-meta-", "X-Oss-Meta-", "X-OSS-META-")) + "m%d" % i] = \
            _text(rng, HEADER_VALUE_CHARS, 1, 10).strip() or "v"
    if version == "v2" and mode == "header" and rng.random() < 0.3:
        headers["Range"] = "bytes=0-%d" % rng.randint(1, 9999)
    # A caller's x-oss-date, kept and signed by V1/V2 (SPEC.md §11 row 16). Not
    # in V1 presigning: oss2 then signs it in place of Expires on the date line
    # (alibabacloud-oss-v2 and OSS's V1 URL page keep Expires).
    if version != "v4" and (version == "v2" or mode == "header") and rng.random() < 0.2:
        headers[rng.choice(("x-oss-date", "X-Oss-Date"))] = time.strftime(
            "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(rng.randint(1600000000, 1800000000)))
    if version == "v4" and rng.random() < 0.3:
        headers["X-Custom-%d" % rng.randint(1, 9)] = _text(rng, HEADER_VALUE_CHARS, 1, 10).strip() or "c"
    family, endpoint, names_region, names_bucket = rng.choice(HOST_FAMILIES)
    region = rng.choice(REGIONS)
    cloudbox = "cb-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
    if endpoint:
        endpoint = endpoint.format(r=region, cb=cloudbox, n=rng.randint(1, 254))
    token = None
    if rng.random() < 0.4:
        token = "CAIS" + "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(rng.randint(20, 80)))
    return {
        "version": version,
        "mode": mode,
        "method": rng.choice(("GET", "PUT", "POST", "DELETE", "HEAD")),
        "bucket": "fuzz-%d" % rng.randint(100, 999),
        "region": region,
        "cloudbox": cloudbox if family == "cloudbox" else None,  # V4 signs its id as the region
        "family": family,
        "endpoint": endpoint,
        "cname": family in ("cname", "other-aliyuncs"),
        # ossign reads the host's bucket and region instead of being told
        "infer_bucket": names_bucket and rng.random() < 0.5,
        "infer_region": names_region and rng.random() < 0.5,
        "key": key,
        "params": params,
        "headers": headers,
        "id": "LTAI5t" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(18)),
        "secret": "".join(rng.choice("ABCDEFabcdef0123456789") for _ in range(30)),
        "token": token,
        "time": rng.randint(1600000000, 1800000000),
        "expires": rng.randint(1, 604800) if mode == "query" else None,
    }


def url_of(case):
    # object_url refuses a key that starts with "/" (it is almost always a
    # mistake); such a key, which the SDKs sign as given, is put in by hand.
    key = case["key"]
    endpoint = case.get("endpoint")
    region = None if endpoint else case["region"]
    url = ossign.object_url(case["bucket"], key.lstrip("/"), region, endpoint=endpoint, cname=case.get("cname"))
    if key.startswith("/"):
        prefix = ossign.object_url(case["bucket"], "", region, endpoint=endpoint, cname=case.get("cname"))
        url = prefix + "/" * (len(key) - len(key.lstrip("/"))) + url[len(prefix):]
    return url + query_of(case)


def query_of(case):
    """``?k=v&...`` of the case's parameters, each part percent-encoded; empty without any."""
    if not case["params"]:
        return ""
    return "?" + "&".join(urllib.parse.quote(k, safe="") + ("=" + urllib.parse.quote(v, safe="") if v else "")
                          for k, v in case["params"].items())


def additional(case):
    if case["version"] == "v4":
        return {k.lower() for k in case["headers"] if k.lower() not in ("content-type", "content-md5")
                and not k.lower().startswith("x-oss-")}
    return None


# ---- signers ---------------------------------------------------------------


def signing_region(case):
    return case.get("cloudbox") or case["region"]


def signing_product(case):
    return "oss-cloudbox" if case.get("cloudbox") else "oss"


def sign_ossign(case):
    provider = ossign.StaticCredentialProvider(case["id"], case["secret"], case["token"])
    signer = ossign.Signer(None if case.get("infer_bucket") else case["bucket"], provider,
                           region=None if case.get("infer_region") else signing_region(case), version=case["version"],
                           context=ossign.Context(clock=lambda: case["time"]))
    signed = signer.sign(case["method"], url_of(case), case["headers"], expires=case["expires"])
    return result_of(signed.headers, signed.url if case["mode"] == "query" else None)


class _Frozen:
    """Freeze the clocks oss2 reads (time.time and datetime.utcnow)."""

    def __init__(self, now):
        self.now = now

    def __enter__(self):
        import oss2.auth

        self._time, self._datetime = time.time, oss2.auth.datetime
        now = self.now

        class FrozenDatetime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return datetime.datetime.utcfromtimestamp(now)

        time.time = lambda: now
        oss2.auth.datetime = FrozenDatetime
        return self

    def __exit__(self, *exc):
        import oss2.auth

        time.time = self._time
        oss2.auth.datetime = self._datetime


def sign_oss2(case):
    import oss2
    from oss2.http import Request

    version = {"v1": oss2.AUTH_VERSION_1, "v2": oss2.AUTH_VERSION_2, "v4": oss2.AUTH_VERSION_4}[case["version"]]
    if case["token"]:
        # StsAuth's own methods drop the additional-headers argument: use
        # the provider auth it wraps.
        auth = oss2.StsAuth(case["id"], case["secret"], case["token"], auth_version=version)._StsAuth__auth
    else:
        auth = oss2.make_auth(case["id"], case["secret"], version)
    base = url_of(dict(case, params={}))
    req = Request(case["method"], base, params=dict(case["params"]), headers=dict(case["headers"]),
                  region=signing_region(case), product=signing_product(case))
    extra = additional(case)
    with _Frozen(case["time"]):
        if case["mode"] == "header":
            if case["version"] == "v4":
                auth._sign_request(req, case["bucket"], case["key"], extra)
            else:
                auth._sign_request(req, case["bucket"], case["key"])
            return result_of(dict(req.headers.items()), None)
        if case["version"] == "v4":
            url = auth._sign_url(req, case["bucket"], case["key"], case["expires"], extra)
        else:
            url = auth._sign_url(req, case["bucket"], case["key"], case["expires"])
    return result_of({}, url)


def sign_ossv2(case):
    from alibabacloud_oss_v2.signer import SignerV1, SignerV4
    from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    ctx = SigningContext(product=signing_product(case), region=signing_region(case), bucket=case["bucket"],
                         key=case["key"],
                         request=HttpRequest(case["method"], url_of(case), headers=dict(case["headers"])),
                         credentials=Credentials(case["id"], case["secret"], case["token"]),
                         signing_time=now, additional_headers=additional(case))
    if case["mode"] == "query":
        ctx.auth_method_query = True
        ctx.expiration_time = now + datetime.timedelta(seconds=case["expires"])
    (SignerV4() if case["version"] == "v4" else SignerV1()).sign(ctx)
    if case["mode"] == "header":
        return result_of(dict(ctx.request.headers.items()), None)
    return result_of({}, ctx.request.url)


# ---- OSS Vectors and OSS Tables -------------------------------------------

PRODUCT_PARAMS = ("maxResults", "nextToken", "prefix", "vectorBucketName", "indexName", "custom-param")
#: ossign's product -> (the V4 scope's product, the host's service label).
PRODUCTS = {"oss-vectors": ("oss", "oss-vectors"), "oss-tables": ("osstables", "oss-tables")}


def random_product_case(rng, product, mode):
    """One random Vectors/Tables request and where its bucket comes from."""
    case = random_case(rng, "v4", mode, frozenset(("acl",)))
    case["params"] = {}
    for _ in range(rng.randint(0, 4)):
        case["params"][rng.choice(PRODUCT_PARAMS)] = "" if rng.random() < 0.3 else _text(rng, VALUE_CHARS, 1, 12)
    case["product"] = product
    case["account"] = str(rng.randint(1, 10 ** 16))
    case["bucket"] = rng.choice(("vec", "tbl", "idx-1")) + "-%d" % rng.randint(0, 99999)
    # public/internal hosts carry the bucket and account; a custom domain
    # and a regional host (Tables path-style, a Vectors service call) do not
    case["form"] = rng.choice(("public", "internal", "custom", "regional"))
    if case["form"] == "regional" and product == "oss-vectors":
        case["bucket"] = None
    return case


def product_url(case):
    scope, label = PRODUCTS[case["product"]]
    region = case["region"] + ("-internal" if case["form"] == "internal" else "")
    if case["form"] == "custom":
        host = "%s.example.com" % label
    elif case["form"] == "regional":
        host = "%s.%s.aliyuncs.com" % (region, label)
    else:
        host = "%s-%s.%s.%s.aliyuncs.com" % (case["bucket"], case["account"], region, label)
    url = "https://%s/%s" % (host, urllib.parse.quote(case["key"]))
    return url + query_of(case)


def sign_ossign_product(case):
    provider = ossign.StaticCredentialProvider(case["id"], case["secret"], case["token"])
    kwargs = {}
    if case["form"] in ("custom", "regional"):
        kwargs = {"bucket": case["bucket"], "region": case["region"], "product": case["product"],
                  "account_id": case["account"]}
    signer = ossign.Signer(provider=provider, context=ossign.Context(clock=lambda: case["time"]), **kwargs)
    signed = signer.sign(case["method"], product_url(case), case["headers"], expires=case["expires"])
    return result_of(signed.headers, signed.url if case["mode"] == "query" else None)


def sign_ossv2_product(case):
    from alibabacloud_oss_v2.signer.tables_v4 import TablesSignerV4
    from alibabacloud_oss_v2.signer.vectors_v4 import VectorsSignerV4
    from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

    url = product_url(case)
    bucket = case["bucket"]
    if case["product"] == "oss-vectors":
        signer, key = VectorsSignerV4(case["account"]), case["key"]  # the client's raw key
    else:
        signer, key = TablesSignerV4(), urllib.parse.urlsplit(url).path[1:]  # the client's key is the path
        bucket = "acs:osstables:%s:%s:bucket/%s" % (case["region"], case["account"], bucket)
    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    ctx = SigningContext(product=PRODUCTS[case["product"]][0], region=case["region"], bucket=bucket, key=key,
                         request=HttpRequest(case["method"], url, headers=dict(case["headers"])),
                         credentials=Credentials(case["id"], case["secret"], case["token"]),
                         signing_time=now, additional_headers=additional(case))
    if case["mode"] == "query":
        ctx.auth_method_query = True
        ctx.expiration_time = now + datetime.timedelta(seconds=case["expires"])
    signer.sign(ctx)
    if case["mode"] == "header":
        return result_of(dict(ctx.request.headers.items()), None)
    return result_of({}, ctx.request.url)


def result_of(headers, url):
    """What must agree: the Authorization fields, or the decoded query."""
    if url is not None:
        query = urllib.parse.urlsplit(url).query
        return ("query", sorted(urllib.parse.parse_qsl(query, keep_blank_values=True)))
    auth = {k.lower(): v for k, v in headers.items()}["authorization"]
    algorithm, _, rest = auth.partition(" ")
    if algorithm == "OSS":
        return ("header", auth)
    return ("header", algorithm, sorted(part.strip() for part in rest.split(",")))


SDKS = {"oss2": sign_oss2, "oss-v2": sign_ossv2}


def applicable(sdk, case):
    if sdk == "oss-v2":
        if case["version"] == "v2":
            return False  # it has no V2 signer
        if case["version"] == "v1" and (case["token"] or "x-oss-process" in case["params"]):
            return False  # documented disagreement: oss2's result is the reference
        if case["version"] == "v1":
            from alibabacloud_oss_v2.signer import SignerV1

            known = SignerV1._subresource_key_set
            if any(name in OSS2_SUBRESOURCES and name not in known for name in case["params"]):
                return False  # its sub-resource list is shorter than oss2's: a known difference
    return True


OSS2_SUBRESOURCES = frozenset()


# ---- shrinking ---------------------------------------------------------------


def signers_of(case, sdk):
    if "product" in case:
        return sign_ossign_product, sign_ossv2_product
    return sign_ossign, SDKS[sdk]


def mismatch(case, sdk):
    ours, theirs = signers_of(case, sdk)
    try:
        return ours(case) != theirs(case)
    except Exception:  # a crash on either side is a finding too
        return True


def shrink(case, sdk):
    """Drop headers, params and key characters while the mismatch remains."""
    changed = True
    while changed:
        changed = False
        for name in list(case["headers"]):
            smaller = dict(case, headers={k: v for k, v in case["headers"].items() if k != name})
            if mismatch(smaller, sdk):
                case, changed = smaller, True
        for name in list(case["params"]):
            smaller = dict(case, params={k: v for k, v in case["params"].items() if k != name})
            if mismatch(smaller, sdk):
                case, changed = smaller, True
        for field in ("token",):
            if case[field] is not None and mismatch(dict(case, **{field: None}), sdk):
                case, changed = dict(case, **{field: None}), True
        i = 0
        while i < len(case["key"]):
            smaller = dict(case, key=case["key"][:i] + case["key"][i + 1:])
            if smaller["key"].strip("/") and mismatch(smaller, sdk):
                case, changed = smaller, True
            else:
                i += 1
    return case


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="requests per (version, mode)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--sdk-site-packages", default=os.environ.get("OSSIGN_BENCH_SDK_PATH"))
    parser.add_argument("--only", help="run one version/mode, e.g. v4/query, or product/mode, e.g. oss-tables/query")
    parser.add_argument("--product-count", type=int, default=None,
                        help="requests per (OSS Vectors or OSS Tables, mode); default --count")
    args = parser.parse_args(argv)
    if args.sdk_site_packages:
        sys.path.append(args.sdk_site_packages)
    available = []
    for sdk, module in (("oss2", "oss2"), ("oss-v2", "alibabacloud_oss_v2")):
        try:
            __import__(module)
            available.append(sdk)
        except ImportError:
            print("note: %s not importable; skipped" % sdk)
    if not available:
        print("no official SDK importable: nothing to compare")
        return 2
    import oss2.auth

    global OSS2_SUBRESOURCES
    oss2_subresources = OSS2_SUBRESOURCES = oss2.auth.ProviderAuth._subresource_key_set
    rng = random.Random(args.seed)
    failures = 0
    for version in ("v1", "v2", "v4"):
        for mode in ("header", "query"):
            if args.only and args.only != "%s/%s" % (version, mode):
                continue
            counts = {sdk: 0 for sdk in available}
            started = time.monotonic()
            for _ in range(args.count):
                case = random_case(rng, version, mode, oss2_subresources)
                for sdk in available:
                    if not applicable(sdk, case):
                        continue
                    counts[sdk] += 1
                    if mismatch(case, sdk):
                        failures += 1
                        small = shrink(case, sdk)
                        print("MISMATCH %s %s/%s: %r" % (sdk, version, mode, small))
                        try:
                            print("  ossign: %r\n  %s: %r" % (sign_ossign(small), sdk, SDKS[sdk](small)))
                        except Exception as exc:
                            print("  raised %s: %s" % (type(exc).__name__, exc))
                        if failures >= 20:
                            print("stopping after 20 mismatches")
                            return 1
            compared = ", ".join("%s: %d compared" % kv for kv in counts.items())
            print("%s/%-6s %s in %.0f s" % (version, mode, compared, time.monotonic() - started))
    if "oss-v2" in available:
        failures = fuzz_products(rng, args, failures)
    print("mismatches: %d" % failures)
    return 1 if failures else 0


def fuzz_products(rng, args, failures):
    """OSS Vectors and OSS Tables against alibabacloud-oss-v2's signers."""
    count = args.count if args.product_count is None else args.product_count
    for product in PRODUCTS:
        for mode in ("header", "query"):
            if args.only and args.only != "%s/%s" % (product, mode):
                continue
            compared, started = 0, time.monotonic()
            for _ in range(count):
                case = random_product_case(rng, product, mode)
                compared += 1
                if mismatch(case, "oss-v2"):
                    failures += 1
                    small = shrink(case, "oss-v2")
                    print("MISMATCH oss-v2 %s/%s: %r" % (product, mode, small))
                    try:
                        print("  ossign: %r\n  oss-v2: %r" % (sign_ossign_product(small), sign_ossv2_product(small)))
                    except Exception as exc:
                        print("  raised %s: %s" % (type(exc).__name__, exc))
                    if failures >= 20:
                        print("stopping after 20 mismatches")
                        return failures
            print("%s/%-6s oss-v2: %d compared in %.0f s" % (product, mode, compared, time.monotonic() - started))
    return failures


if __name__ == "__main__":
    sys.exit(main())
