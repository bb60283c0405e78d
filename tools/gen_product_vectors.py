"""Write testdata/products-vectors.json: OSS Vectors and OSS Tables known answers.

Every signature, canonical request and string to sign in the file is made by
alibabacloud-oss-v2's own signers (``VectorsSignerV4``, ``TablesSignerV4``)
given the signing context its vectors and tables clients build: the bucket
name (Vectors) or the bucket ARN (Tables), the key, the region, the product
of the V4 scope (``oss`` for Vectors, ``osstables`` for Tables). Cases tagged
``hardcoded`` repeat the requests of the SDKs' own tests, with the value those
tests assert (``expected.canonical_uri``) copied from them:

- aliyun/alibabacloud-oss-go-sdk-v2 ``oss/signer/signer_test.go``
  (TestSignerVectorV4BuildBucketArn) and ``oss/tables/endpoints_test.go``
  (TestEndpointProviderBuildURL, the hosts);
- aliyun/alibabacloud-oss-python-sdk-v2 ``tests/unit/signer/test_vectors_v4.py``
  (test_build_bucket_arn, the empty-token cases) and
  ``tests/unit/signer/test_tables_v4.py`` (the empty-token cases).

Neither SDK's tests hard-code a Vectors or Tables signature; the signatures of
those cases come from the Python SDK like the rest. Not run by the tests;
run it with the SDK importable (a throwaway virtual environment)::

    python tools/gen_product_vectors.py --sdk-site-packages /path/to/site-packages
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "products-vectors.json")
SEED = 20261201
GO = "aliyun/alibabacloud-oss-go-sdk-v2"
PY = "aliyun/alibabacloud-oss-python-sdk-v2"
SCOPE_PRODUCT = {"oss-vectors": "oss", "oss-tables": "osstables"}
HOST_LABEL = {"oss-vectors": "oss-vectors", "oss-tables": "oss-tables"}


def table_arn(region, account, bucket):
    return "acs:osstables:%s:%s:bucket/%s" % (region, account, bucket)


def sdk_sign(case):
    """Sign ``case`` with alibabacloud-oss-v2 -> the ``expected`` block."""
    from alibabacloud_oss_v2.signer.tables_v4 import TablesSignerV4
    from alibabacloud_oss_v2.signer.vectors_v4 import VectorsSignerV4
    from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

    product, bucket, account = case["product"], case["sdk_bucket"], case["account_id"]
    path = urllib.parse.urlsplit(case["url"]).path
    if product == "oss-vectors":
        signer = VectorsSignerV4(account)
        key = urllib.parse.unquote(path[1:]) if path[1:] else None  # the client's raw key
    else:
        signer = TablesSignerV4()
        bucket = table_arn(case["sdk_region"], account, bucket) if bucket else None
        key = path[1:] or None  # the client's key is the URL path, already quoted
    now = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc)
    extra = {k.lower() for k in case["headers"]
             if k.lower() not in ("content-type", "content-md5") and not k.lower().startswith("x-oss-")}
    request = HttpRequest(case["method"], case["url"], headers=dict(case["headers"]))
    ctx = SigningContext(product=SCOPE_PRODUCT[product], region=case["sdk_region"], bucket=bucket, key=key,
                         request=request, credentials=Credentials(case["access_key_id"], case["access_key_secret"],
                                                                  case["security_token"]),
                         signing_time=now, additional_headers=extra or None)
    query = case["mode"] == "query"
    if query:
        ctx.auth_method_query = True
        ctx.expiration_time = now + datetime.timedelta(seconds=case["expires"])
    canonical = [None]
    original = signer._calc_canonical_request

    def spy(*args, **kwargs):
        canonical[0] = original(*args, **kwargs)
        return canonical[0]

    signer._calc_canonical_request = spy
    signer.sign(ctx)
    headers = {k.lower(): v for k, v in ctx.request.headers.items()}
    expected = {
        "authorization": None if query else headers["authorization"],
        "headers": {} if query else {k: v for k, v in headers.items() if k.startswith("x-oss-")
                                     and k.lower() not in {n.lower() for n in case["headers"]}},
        "url": ctx.request.url if query else None,
        "query": dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(ctx.request.url).query)) if query else None,
        "canonical_request": canonical[0],
        "string_to_sign": ctx.string_to_sign,
        "scope_product": SCOPE_PRODUCT[product],
    }
    return expected


def credentials(rng):
    return {
        "access_key_id": "LTAI5t" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(18)),
        "access_key_secret": "".join(rng.choice("ABCDEFabcdef0123456789") for _ in range(30)),
    }


def host(product, region, bucket, account, internal=False):
    suffix = "%s%s.%s.aliyuncs.com" % (region, "-internal" if internal else "", HOST_LABEL[product])
    return ("%s-%s.%s" % (bucket, account, suffix)) if bucket else suffix


def make_case(cid, product, mode, url, bucket, account, region, rng, *, method="GET", headers=None, token=None,
              signer=None, tags=(), hardcoded=None):
    case = {
        "id": cid, "source": "alibabacloud_oss_v2", "version": "v4", "mode": mode, "product": product,
        "bucket": None, "region": None, "account_id": account, "sdk_bucket": bucket, "sdk_region": region,
        "method": method,
        "url": url, "headers": headers or {}, "security_token": token,
        "time": rng.randint(1700000000, 1800000000), "expires": rng.randint(1, 604800) if mode == "query" else None,
        "signer": signer or {}, "tags": list(tags),
    }
    case.update(credentials(rng))
    if hardcoded:
        case["hardcoded"] = hardcoded
    case["expected"] = sdk_sign(case)
    if hardcoded and "canonical_uri" in hardcoded:
        uri = case["expected"]["canonical_request"].split("\n")[1]
        assert uri == hardcoded["canonical_uri"], (cid, uri, hardcoded["canonical_uri"])
    return case


def hardcoded_cases(rng):
    q = urllib.parse.quote
    cases = []
    # Go TestSignerVectorV4BuildBucketArn and Python test_build_bucket_arn:
    # account "123", region cn-hangzhou; the asserted URIs, percent-encoded
    # as both canonical requests write them.
    arn = [(None, None, "/acs:ossvector:cn-hangzhou::/"),
           ("bucket", None, "/acs:ossvector:cn-hangzhou:123:bucket/"),
           ("bucket", "key", "/acs:ossvector:cn-hangzhou:123:bucket/key"),
           ("bucket", "key-1/key-2", "/acs:ossvector:cn-hangzhou:123:bucket/key-1/key-2")]
    for i, (bucket, key, uri) in enumerate(arn, 1):
        url = "https://%s/%s" % (host("oss-vectors", "cn-hangzhou", bucket, "123"), q(key or ""))
        for mode in ("header", "query"):
            cases.append(make_case(
                "hard-vectors-arn-%d-%s" % (i, mode), "oss-vectors", mode, url, bucket, "123", "cn-hangzhou", rng,
                signer={"account_id": "123"} if not bucket else None, tags=["hardcoded"],
                hardcoded={"repo": GO, "path": "oss/signer/signer_test.go", "test": "TestSignerVectorV4BuildBucketArn",
                           "also": PY + " tests/unit/signer/test_vectors_v4.py test_build_bucket_arn",
                           "asserted": uri, "canonical_uri": q(uri, safe="/")}))
    # Python test_build_bucket_arn test 4: the key passed already escaped.
    escaped = q("key-1/key-2", safe="")
    uri = "/acs:ossvector:cn-hangzhou:123:bucket/" + escaped
    cases.append(make_case(
        "hard-vectors-arn-escaped-key", "oss-vectors", "header",
        "https://%s/%s" % (host("oss-vectors", "cn-hangzhou", "bucket", "123"), q(escaped)), "bucket", "123",
        "cn-hangzhou", rng, tags=["hardcoded"],
        hardcoded={"repo": PY, "path": "tests/unit/signer/test_vectors_v4.py", "test": "test_build_bucket_arn",
                   "asserted": "quote(%r)" % uri, "canonical_uri": q(uri)}))
    # The empty-token cases of both Python signer tests: no token is sent.
    for product, test_path in (("oss-vectors", "tests/unit/signer/test_vectors_v4.py"),
                               ("oss-tables", "tests/unit/signer/test_tables_v4.py")):
        for mode in ("header", "query"):
            cases.append(make_case(
                "hard-%s-empty-token-%s" % (product[4:], mode), product, mode,
                "https://%s/key" % host(product, "cn-hangzhou", "bucket", "123"), "bucket", "123", "cn-hangzhou",
                rng, token=None, tags=["hardcoded"],
                hardcoded={"repo": PY, "path": test_path, "test": "test_auth_%s_with_empty_token" % mode,
                           "asserted": "no x-oss-security-token"}))
    # Go TestEndpointProviderBuildURL: the host forms (lower-case bucket names
    # here; the test's "myBucket" is not a valid bucket name).
    for i, (bucket, key) in enumerate((("mybucket", ""), ("mybucket", "mykey"), ("testbucket", "path/to/key")), 1):
        url = "https://%s/%s" % (host("oss-tables", "cn-hangzhou", bucket, "123456"), key)
        cases.append(make_case(
            "hard-tables-host-%d" % i, "oss-tables", "header", url, bucket, "123456", "cn-hangzhou", rng,
            tags=["hardcoded"],
            hardcoded={"repo": GO, "path": "oss/tables/endpoints_test.go", "test": "TestEndpointProviderBuildURL",
                       "asserted": url}))
    # The Tables canonical URI without a bucket, from the comment both
    # signers carry: acs:osstables:<region>:{}:bucket/{}/${urldecode(path)}.
    cases.append(make_case(
        "hard-tables-no-bucket", "oss-tables", "header", "https://cn-hangzhou.oss-tables.aliyuncs.com/buckets",
        None, None, "cn-hangzhou", rng, tags=["hardcoded"],
        hardcoded={"repo": GO, "path": "oss/signer/tables_v4.go", "test": "buildCanonicalUri",
                   "canonical_uri": "/acs%3Aosstables%3Acn-hangzhou%3A%3Abucket//buckets"}))
    return cases


KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_.~ !$&'()*+,;=:@/中文é😀"


def random_cases(rng, count):
    cases = []
    regions = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "us-west-1")
    for i in range(count):
        product = ("oss-vectors", "oss-tables")[i % 2]
        mode = ("header", "query")[(i // 2) % 2]
        region = rng.choice(regions)
        account = str(rng.randint(10 ** 9, 10 ** 16))
        bucket = "kat-%d-%s" % (rng.randint(1, 999), rng.choice(("idx", "tbl", "vec")))
        key = "".join(rng.choice(KEY_CHARS) for _ in range(rng.randint(1, 24))).strip("/") or "k"
        if product == "oss-tables":
            key = "tables/%s/ns%d" % (urllib.parse.quote(table_arn(region, account, bucket), safe=""), i)
        path = key if product == "oss-tables" else urllib.parse.quote(key)
        query = ""
        if rng.random() < 0.5:
            query = "?" + "&".join("%s=%s" % (n, urllib.parse.quote(v, safe="")) if v else n
                                   for n, v in (("maxResults", str(rng.randint(1, 500))),
                                                ("nextToken", rng.choice(("", "a b+c", "x/y")))))
        headers = {}
        if rng.random() < 0.5:
            headers["Content-Type"] = "application/json"
        if rng.random() < 0.3:
            headers["x-oss-meta-tag"] = "v%d" % i
        if rng.random() < 0.3:
            headers["X-Custom"] = "c%d" % i
        token = None
        if rng.random() < 0.4:
            token = "CAIS" + "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(40))
        form = rng.choice(("public", "internal", "custom"))
        signer = None
        if form == "custom":
            url = "https://%s.example.com/%s%s" % (product[4:], path, query)
            signer = {"bucket": bucket, "region": region, "account_id": account, "product": product}
        else:
            url = "https://%s/%s%s" % (host(product, region, bucket, account, form == "internal"), path, query)
        cases.append(make_case("gen-%s-%s-%03d" % (product[4:], mode, i), product, mode, url, bucket, account,
                               region, rng, method=rng.choice(("GET", "PUT", "POST", "DELETE")),
                               headers=headers, token=token, signer=signer, tags=["random", form]))
    return cases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdk-site-packages", default=os.environ.get("OSSIGN_BENCH_SDK_PATH"))
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args(argv)
    if args.sdk_site_packages:
        sys.path.append(args.sdk_site_packages)
    import alibabacloud_oss_v2

    rng = random.Random(SEED)
    vectors = hardcoded_cases(rng) + random_cases(rng, args.count)
    document = {
        "schema": "ossign-kat/1",
        "set": "products",
        "generated_by": {"packages": {"alibabacloud-oss-v2": alibabacloud_oss_v2.__version__},
                         "python": "%d.%d" % sys.version_info[:2], "random_seed": SEED,
                         "script": "tools/gen_product_vectors.py"},
        "conventions": {
            "url": "path and query percent-encoded exactly once",
            "signer": "Signer keywords beyond the credentials and clock (product, account_id, bucket, region); "
                      "a Vectors/Tables host needs none",
            "sdk_region": "the region the SDK signed",
            "sdk_bucket": "the bucket the SDK signed (Tables: inside the ARN acs:osstables:<region>:<account>:"
                          "bucket/<name>)",
            "hardcoded": "repo, path and test of the SDK test the case repeats; canonical_uri is what it asserts",
            "expected": "made by alibabacloud-oss-v2's VectorsSignerV4 / TablesSignerV4",
        },
        "vectors": vectors,
    }
    with open(OUT, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, ensure_ascii=False)
        out.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), OUT))


if __name__ == "__main__":
    main()
