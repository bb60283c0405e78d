"""Signing: intermediate strings, encoding edge cases, Signer API and properties."""

import base64
import copy
import hashlib
import hmac
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest

import ossign
from test_ossign import _hermetic_environment, FakeClock, FakeFiles, static, assert_no_secret, SECRET, TOKEN, KEY_ID, VECTORS, _vector_signer  # noqa: F401,E501

try:
    import hypothesis
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is an optional test dependency
    hypothesis = None


# -- independent reference computations (SPEC 2.1, 3.1, 4.1, 4.5) -----------

_SG_T = 1700000000
_SG_DATE = "Tue, 14 Nov 2023 22:13:20 GMT"  # HTTP date of _SG_T, written by hand
_SG_ISO = "20231114T221320Z"
_SG_HOST = "https://bkt.oss-cn-hangzhou.aliyuncs.com"
_SG_V4_HEADERS = ["x-oss-content-sha256:UNSIGNED-PAYLOAD", "x-oss-date:" + _SG_ISO]
_SG_SCOPE = "20231114/cn-hangzhou/oss/aliyun_v4_request"
_SG_CRED = KEY_ID + "/" + _SG_SCOPE


def _sg_b64_hmac(secret, message, digest):
    return base64.b64encode(hmac.new(secret.encode("utf-8"), message.encode("utf-8"), digest).digest()).decode()


def _sg_v4_key(secret, date, region, product):
    """SPEC 4.5, written out again: aliyun_v4 + secret, then date, region, product, terminator."""
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, product, "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _sg_v4_string_to_sign(canonical_request, iso=_SG_ISO, region="cn-hangzhou", product="oss"):
    scope = "%s/%s/%s/aliyun_v4_request" % (iso[:8], region, product)
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return "OSS4-HMAC-SHA256\n%s\n%s\n%s" % (iso, scope, digest)


def _sg_expected_signature(version, text, secret=SECRET, iso=_SG_ISO, region="cn-hangzhou", product="oss"):
    """V1/V2: ``text`` is the string to sign; V4: ``text`` is the canonical request."""
    if version == "v1":
        return _sg_b64_hmac(secret, text, hashlib.sha1)
    if version == "v2":
        return _sg_b64_hmac(secret, text, hashlib.sha256)
    key = _sg_v4_key(secret, iso[:8], region, product)
    sts = _sg_v4_string_to_sign(text, iso, region, product)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def _sg_added_query(signed_url, original_url):
    """The query parameters signing appended, decoded (duplicates kept)."""
    assert signed_url.startswith(original_url), "presigning must only append"
    tail = signed_url[len(original_url):].lstrip("?&")
    return urllib.parse.parse_qsl(tail, keep_blank_values=True, strict_parsing=True)


def _sg_signature(signed, version):
    """The signature a SignedRequest carries, from its Authorization header or URL."""
    auth = signed.headers.get("Authorization")
    if auth is None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(signed.url).query, keep_blank_values=True))
        return query["Signature" if version == "v1" else "x-oss-signature"]
    if version == "v1":
        return auth.rpartition(":")[2]
    return auth.split("Signature:" if version == "v2" else "Signature=")[1]


def _sg_v1(method="GET", resource="/bkt/obj", oss=(), md5="", ctype="", date=_SG_DATE):
    return "\n".join([method, md5, ctype, date] + list(oss) + [resource])


def _sg_v2(method="GET", resource="%2Fbkt%2Fobj", lines=(), additional="", md5="", ctype="", date=_SG_DATE):
    return "\n".join([method, md5, ctype, date] + list(lines) + [additional, resource])


def _sg_v4(method="GET", uri="/bkt/obj", query="", headers=tuple(_SG_V4_HEADERS), additional=""):
    return "\n".join([method, uri, query] + list(headers) + ["", additional, "UNSIGNED-PAYLOAD"])


def _sg_signer(version="v4", bucket="bkt", region="cn-hangzhou", token=None, now=_SG_T, **kwargs):
    context = kwargs.pop("context", None) or ossign.Context(clock=FakeClock(now), environ={}, read_file=FakeFiles())
    return ossign.Signer(bucket, kwargs.pop("provider", None) or static(token=token), region=region,
                         version=version, context=context, **kwargs)  # fmt: skip


@pytest.fixture
def sg_seen(monkeypatch):
    """Records every V1/V2 string to sign and V4 canonical request ossign builds (for messages)."""
    seen = []
    for name in ("_v1_string_to_sign", "_v2_string_to_sign", "_v4_canonical_request"):
        def wrapper(*args, _original=getattr(ossign, name)):
            result = _original(*args)
            seen.append(result)
            return result

        monkeypatch.setattr(ossign, name, wrapper)
    return seen


def _sg_check(signed, version, expected, seen, **scope):
    """The signature equals the HMAC of the hand-built string (SPEC), not of ossign's."""
    want = _sg_expected_signature(version, expected, **scope)
    got = _sg_signature(signed, version)
    assert got == want, "\nossign signed:\n%r\nexpected:\n%r" % (seen[-1] if seen else None, expected)


# ==== 1. Intermediate strings of the official SDK vectors ===================


def _sg_vector_signature(v):
    expected = v["expected"]
    if v["mode"] == "query":
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(expected["url"]).query, keep_blank_values=True))
        return query["Signature" if v["version"] == "v1" else "x-oss-signature"]
    auth = expected["authorization"]
    if v["version"] == "v1":
        return auth.rpartition(":")[2]
    fields = auth.partition(" ")[2].replace(" ", "").split(",")
    sep = ":" if v["version"] == "v2" else "="
    return [f.partition(sep)[2] for f in fields if f.startswith("Signature" + sep)][0]


_SG_IDS = [v["id"] for v in VECTORS]


class TestSigningVectorIntermediates:
    @pytest.mark.parametrize("v", VECTORS, ids=_SG_IDS)
    def test_vector_signature_is_hmac_of_its_string_to_sign(self, v):
        sts = v["expected"]["string_to_sign"]
        if v["version"] == "v4":
            iso = sts.split("\n")[1]
            key = _sg_v4_key(v["access_key_secret"], iso[:8], v["region"], v["product"])
            want = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
        else:
            digest = hashlib.sha1 if v["version"] == "v1" else hashlib.sha256
            want = _sg_b64_hmac(v["access_key_secret"], sts, digest)
        assert _sg_vector_signature(v) == want, v["id"]

    @pytest.mark.parametrize("v", [v for v in VECTORS if v["version"] == "v4"],
                             ids=[v["id"] for v in VECTORS if v["version"] == "v4"])  # fmt: skip
    def test_vector_v4_string_to_sign_hashes_canonical_request(self, v):
        now = int(v["time"])
        iso = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        want = _sg_v4_string_to_sign(v["expected"]["canonical_request"], iso, v["region"], v["product"])
        assert v["expected"]["string_to_sign"] == want, v["id"]

    @pytest.mark.parametrize("v", [v for v in VECTORS if v["version"] != "v4"],
                             ids=[v["id"] for v in VECTORS if v["version"] != "v4"])  # fmt: skip
    def test_vector_v1_v2_date_line_is_signing_time_or_expiry(self, v):
        line = v["expected"]["string_to_sign"].split("\n")[3]
        if v["mode"] == "header":
            assert line == v["expected"]["headers"]["date"], v["id"]
            now = int(v["time"])
            assert line == time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)), v["id"]
        else:
            assert line == str(int(v["time"]) + v["expires"]) == str(v["expires_at"]), v["id"]

    @pytest.mark.parametrize("v", VECTORS, ids=_SG_IDS)
    def test_ossign_builds_the_vector_intermediate_strings(self, v, monkeypatch):
        seen = {}

        def recorder(name):
            original = getattr(ossign, name)

            def wrapper(*args):
                seen[name] = original(*args)
                return seen[name]

            monkeypatch.setattr(ossign, name, wrapper)

        for name in ("_v1_string_to_sign", "_v2_string_to_sign", "_v4_canonical_request", "_v4_string_to_sign"):
            recorder(name)
        _vector_signer(v).sign(v["method"], v["url"], v["headers"], expires=v["expires"])
        context = "%s: %s %s %r" % (v["id"], v["method"], v["url"], v["headers"])
        if v["version"] == "v4":
            assert seen["_v4_canonical_request"] == v["expected"]["canonical_request"], context
            assert seen["_v4_string_to_sign"] == v["expected"]["string_to_sign"], context
        else:
            assert seen["_%s_string_to_sign" % v["version"]] == v["expected"]["string_to_sign"], context


# ==== 2. Encoding edge cases (SPEC 11, issue 2) =============================

# (id, encoded path, V1 resource (decoded), V2 resource U(), V4 canonical URI U/()), all written by hand.
_SG_PATHS = [
    ("space", "/a%20b.txt", "/bkt/a b.txt", "%2Fbkt%2Fa%20b.txt", "/bkt/a%20b.txt"),
    ("unicode", "/%E4%B8%AD%E6%96%87/%C3%BC.txt", "/bkt/中文/ü.txt",
     "%2Fbkt%2F%E4%B8%AD%E6%96%87%2F%C3%BC.txt", "/bkt/%E4%B8%AD%E6%96%87/%C3%BC.txt"),
    ("plus-encoded", "/a%2Bb", "/bkt/a+b", "%2Fbkt%2Fa%2Bb", "/bkt/a%2Bb"),
    ("plus-raw", "/a+b", "/bkt/a+b", "%2Fbkt%2Fa%2Bb", "/bkt/a%2Bb"),
    ("percent", "/100%25", "/bkt/100%", "%2Fbkt%2F100%25", "/bkt/100%25"),
    ("hash-question", "/%23h%3F", "/bkt/#h?", "%2Fbkt%2F%23h%3F", "/bkt/%23h%3F"),
    ("tilde-raw", "/~t", "/bkt/~t", "%2Fbkt%2F~t", "/bkt/~t"),
    ("tilde-encoded", "/%7Et", "/bkt/~t", "%2Fbkt%2F~t", "/bkt/~t"),
    ("star", "/a%2A", "/bkt/a*", "%2Fbkt%2Fa%2A", "/bkt/a%2A"),
    ("star-raw", "/a*", "/bkt/a*", "%2Fbkt%2Fa%2A", "/bkt/a%2A"),
    ("quote", "/it%27s", "/bkt/it's", "%2Fbkt%2Fit%27s", "/bkt/it%27s"),
    ("quote-raw", "/it's", "/bkt/it's", "%2Fbkt%2Fit%27s", "/bkt/it%27s"),
    ("bang", "/hi%21", "/bkt/hi!", "%2Fbkt%2Fhi%21", "/bkt/hi%21"),
    ("double-slash", "/dir//data", "/bkt/dir//data", "%2Fbkt%2Fdir%2F%2Fdata", "/bkt/dir//data"),
    ("trailing-slash", "/dir/", "/bkt/dir/", "%2Fbkt%2Fdir%2F", "/bkt/dir/"),
    ("leading-slash-key", "//lead", "/bkt//lead", "%2Fbkt%2F%2Flead", "/bkt//lead"),
    ("dot-segments", "/a/./b/../c", "/bkt/a/./b/../c", "%2Fbkt%2Fa%2F.%2Fb%2F..%2Fc", "/bkt/a/./b/../c"),
    ("encoded-slash", "/a%2Fb", "/bkt/a/b", "%2Fbkt%2Fa%2Fb", "/bkt/a/b"),
    ("bucket-root", "/", "/bkt/", "%2Fbkt%2F", "/bkt/"),
    ("empty-path", "", "/bkt/", "%2Fbkt%2F", "/bkt/"),
]


def _sg_header_expected(version, v1_resource, v2_resource, v4_uri, query=""):
    if version == "v1":
        return _sg_v1(resource=v1_resource)
    if version == "v2":
        return _sg_v2(resource=v2_resource + ("?" + query if query else ""))
    return _sg_v4(uri=v4_uri, query=query)


class TestSigningPathEncoding:
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    @pytest.mark.parametrize("case", _SG_PATHS, ids=[c[0] for c in _SG_PATHS])
    def test_path_is_signed_in_each_versions_canonical_form(self, case, version, sg_seen):
        _, path, v1_resource, v2_resource, v4_uri = case
        url = _SG_HOST + path
        signed = _sg_signer(version).sign("GET", url)
        _sg_check(signed, version, _sg_header_expected(version, v1_resource, v2_resource, v4_uri), sg_seen)
        assert signed.url == _SG_HOST + (path or "/"), "the URL is sent as given (an empty path means /)"

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_fragment_is_dropped_from_url_and_signature(self, version, sg_seen):
        signed = _sg_signer(version).sign("GET", _SG_HOST + "/obj?acl#frag")
        _sg_check(signed, version, _sg_header_expected(version, "/bkt/obj?acl", "%2Fbkt%2Fobj", "/bkt/obj", "acl"),
                  sg_seen)  # fmt: skip
        assert signed.url == _SG_HOST + "/obj?acl"

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_percent_encoded_url_keeps_its_bytes_when_presigned(self, version):
        url = _SG_HOST + "/a%2Fb/%E4%B8%AD%20x?prefix=a%2Bb"
        presigned = _sg_signer(version).presign(url, expires=60)
        assert presigned.startswith(url + "&")


# V2/V4 canonical query and V1 sub-resources of raw queries on /bkt/obj, by hand.
# (id, raw query, V1 resource suffix, V2/V4 canonical query)
_SG_QUERIES = [
    ("empty-value-and-bare-key", "acl&marker=", "?acl", "acl&marker"),
    ("bare-key-equals-empty-value", "acl=", "?acl", "acl"),
    ("repeated-keys-sorted-by-value", "prefix=b&prefix=a", "", "prefix=a&prefix=b"),
    ("repeated-subresource-sorted-by-value", "response-content-type=b&response-content-type=a",
     "?response-content-type=a&response-content-type=b", "response-content-type=a&response-content-type=b"),
    ("subresource-case-sensitive", "ACL&acl&foo=1", "?acl", "ACL&acl&foo=1"),
    ("upper-case-only-is-plain", "ACL", "", "ACL"),
    ("x-oss-process", "x-oss-process=image%2Fresize%2Cw_200", "?x-oss-process=image/resize,w_200",
     "x-oss-process=image%2Fresize%2Cw_200"),
    ("x-oss-process-raw-slash", "x-oss-process=image/resize,w_200", "?x-oss-process=image/resize,w_200",
     "x-oss-process=image%2Fresize%2Cw_200"),
    ("plus-encoded", "response-content-type=a%2Bb", "?response-content-type=a+b", "response-content-type=a%2Bb"),
    ("plus-raw", "response-content-type=a+b", "?response-content-type=a+b", "response-content-type=a+b"),
    ("space-encoded", "prefix=a%20b", "", "prefix=a%20b"),
    ("empty-named-key", "=v", "", "=v"),
    ("empty-items-skipped", "&&acl&&", "?acl", "acl"),
    ("tilde-and-star", "prefix=%7E%2a&k=~", "", "k=~&prefix=~%2A"),
    ("unicode-value", "prefix=%C3%BC", "", "prefix=%C3%BC"),
    ("sort-is-bytewise", "b=1&B=2&a=3&_=4", "", "B=2&_=4&a=3&b=1"),
    ("subresource-with-value-unicode", "versionId=%E4%B8%AD", "?versionId=中", "versionId=%E4%B8%AD"),
]


class TestSigningQueryEncoding:
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    @pytest.mark.parametrize("case", _SG_QUERIES, ids=[c[0] for c in _SG_QUERIES])
    def test_query_is_signed_in_each_versions_canonical_form(self, case, version, sg_seen):
        _, raw, v1_suffix, canonical = case
        url = _SG_HOST + "/obj?" + raw
        signed = _sg_signer(version).sign("GET", url)
        expected = _sg_header_expected(version, "/bkt/obj" + v1_suffix, "%2Fbkt%2Fobj", "/bkt/obj", canonical)
        _sg_check(signed, version, expected, sg_seen)
        assert signed.url == url, "the URL is sent exactly as given"

    # One reqsign-like raw query with most edge cases at once, through every version and both forms.
    RAW_QUERY = "acl&marker=&prefix=b&prefix=a&a=1%2B2&b=1+2&=v&ACL&x-oss-process=image%2Fresize%2Cw_200&&sp=%20"
    CANONICAL = "=v&ACL&a=1%2B2&acl&b=1+2&marker&prefix=a&prefix=b&sp=%20&x-oss-process=image%2Fresize%2Cw_200"

    @pytest.mark.parametrize("token", [None, TOKEN], ids=["no-token", "token"])
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_raw_query_header_signing(self, version, token, sg_seen):
        signed = _sg_signer(version, token=token).sign("GET", _SG_HOST + "/obj?" + self.RAW_QUERY)
        tok = ["x-oss-security-token:" + TOKEN] if token else []
        if version == "v1":
            expected = _sg_v1(oss=tok, resource="/bkt/obj?acl&x-oss-process=image/resize,w_200")
        elif version == "v2":
            expected = _sg_v2(lines=tok, resource="%2Fbkt%2Fobj?" + self.CANONICAL)
        else:
            expected = _sg_v4(query=self.CANONICAL, headers=_SG_V4_HEADERS + tok)
        _sg_check(signed, version, expected, sg_seen)
        if token:
            assert signed.headers["x-oss-security-token"] == TOKEN, "the header carries the raw token"

    @pytest.mark.parametrize("token", [None, TOKEN], ids=["no-token", "token"])
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_raw_query_presigning(self, version, token, sg_seen):
        url = _SG_HOST + "/obj?" + self.RAW_QUERY
        signed = _sg_signer(version, token=token).sign("GET", url, expires=3600)
        enc_token = "CAIStoken%2B%2F%3DVeryLongSecurityTokenValue0123456789"
        expires_at = str(_SG_T + 3600)
        q = self.CANONICAL
        if version == "v1":
            sub = "acl&security-token=%s&x-oss-process=image/resize,w_200" % TOKEN if token else \
                "acl&x-oss-process=image/resize,w_200"  # fmt: skip
            expected = _sg_v1(date=expires_at, resource="/bkt/obj?" + sub)
        elif version == "v2":
            tok = "security-token=%s&" % enc_token if token else ""
            q = q.replace("sp=%20&", tok + "sp=%20&")
            auth = "&x-oss-access-key-id=%s&x-oss-expires=%s" % (KEY_ID, expires_at)
            q = q.replace("&x-oss-process", auth + "&x-oss-process")
            expected = _sg_v2(date=expires_at, resource="%2Fbkt%2Fobj?" + q + "&x-oss-signature-version=OSS2")
        else:
            q = q.replace("&x-oss-process", "&x-oss-credential=%s&x-oss-date=%s&x-oss-expires=3600&x-oss-process"
                          % (urllib.parse.quote(_SG_CRED, safe=""), _SG_ISO))  # fmt: skip
            q += "&x-oss-security-token=" + enc_token if token else ""
            q += "&x-oss-signature-version=OSS4-HMAC-SHA256"
            expected = _sg_v4(query=q, headers=())
        _sg_check(signed, version, expected, sg_seen)
        raw_tail = signed.url[len(url):]
        if token:
            name = "x-oss-security-token" if version == "v4" else "security-token"
            assert "&%s=%s&" % (name, enc_token) in raw_tail + "&", "token +/= are percent-encoded in the URL"
        assert "+" not in raw_tail


class TestSigningHeaderEdgeCases:
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_header_values_signed_trimmed_and_sent_as_given(self, version, sg_seen):
        headers = {"x-oss-meta-a": "  v  w \t", "Content-Type": "\ttext/plain ", "Content-MD5": " bWQ1 "}
        signed = _sg_signer(version).sign("PUT", _SG_HOST + "/obj", headers)
        meta = "x-oss-meta-a:v  w"
        if version == "v1":
            expected = _sg_v1("PUT", md5="bWQ1", ctype="text/plain", oss=[meta])
        elif version == "v2":
            expected = _sg_v2("PUT", md5="bWQ1", ctype="text/plain", lines=[meta])
        else:
            expected = _sg_v4("PUT", headers=["content-md5:bWQ1", "content-type:text/plain"] + _SG_V4_HEADERS + [meta])
        _sg_check(signed, version, expected, sg_seen)
        for name, value in headers.items():
            assert signed.headers[name] == value, "sent as given"

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_mixed_case_header_names_signed_lower_case(self, version, sg_seen):
        headers = {"X-OSS-Meta-Foo": "1", "CONTENT-TYPE": "t/x", "x-Oss-Storage-Class": "IA"}
        signed = _sg_signer(version).sign("PUT", _SG_HOST + "/obj", headers)
        lines = ["x-oss-meta-foo:1", "x-oss-storage-class:IA"]
        if version == "v1":
            expected = _sg_v1("PUT", ctype="t/x", oss=lines)
        elif version == "v2":
            expected = _sg_v2("PUT", ctype="t/x", lines=lines)
        else:
            expected = _sg_v4("PUT", headers=["content-type:t/x"] + _SG_V4_HEADERS + lines)
        _sg_check(signed, version, expected, sg_seen)
        assert signed.headers["X-OSS-Meta-Foo"] == "1", "the caller's spelling is kept"

    @pytest.mark.parametrize("mode", [None, 60], ids=["header", "query"])
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_same_header_twice_in_different_case_is_rejected(self, version, mode):
        headers = {"X-Oss-Meta-A": "1", "x-oss-meta-a": "2"}
        before = dict(headers)
        with pytest.raises(ossign.SigningError) as info:
            _sg_signer(version).sign("PUT", _SG_HOST + "/obj", headers, expires=mode)
        assert "x-oss-meta-a" in str(info.value).lower()
        assert headers == before

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_empty_x_oss_header_value_is_signed_as_name_colon(self, version, sg_seen):
        signed = _sg_signer(version).sign("PUT", _SG_HOST + "/obj", {"x-oss-meta-e": "  "})
        if version == "v1":
            expected = _sg_v1("PUT", oss=["x-oss-meta-e:"])
        elif version == "v2":
            expected = _sg_v2("PUT", lines=["x-oss-meta-e:"])
        else:
            expected = _sg_v4("PUT", headers=_SG_V4_HEADERS + ["x-oss-meta-e:"])
        _sg_check(signed, version, expected, sg_seen)

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_token_is_raw_in_header_mode(self, version, sg_seen):
        signed = _sg_signer(version, token=TOKEN).sign("GET", _SG_HOST + "/obj")
        assert signed.headers["x-oss-security-token"] == TOKEN
        tok = ["x-oss-security-token:" + TOKEN]
        expected = {"v1": lambda: _sg_v1(oss=tok), "v2": lambda: _sg_v2(lines=tok),
                    "v4": lambda: _sg_v4(headers=_SG_V4_HEADERS + tok)}[version]()  # fmt: skip
        _sg_check(signed, version, expected, sg_seen)

    @pytest.mark.parametrize("version", ["v1", "v2"])
    def test_caller_date_and_x_oss_date_replaced_in_v1_v2(self, version, sg_seen):
        headers = {"date": "Mon, 01 Jan 2001 00:00:00 GMT", "X-Oss-Date": "Mon, 01 Jan 2001 00:00:00 GMT"}
        signed = _sg_signer(version).sign("GET", _SG_HOST + "/obj", headers)
        _sg_check(signed, version, _sg_v1() if version == "v1" else _sg_v2(), sg_seen)
        dates = {k: v for k, v in signed.headers.items() if k.lower() in ("date", "x-oss-date")}
        assert dates == {"Date": _SG_DATE}

    def test_caller_x_oss_date_replaced_in_v4(self, sg_seen):
        headers = {"X-OSS-Date": "20010101T000000Z"}
        signed = _sg_signer("v4").sign("GET", _SG_HOST + "/obj", headers)
        _sg_check(signed, "v4", _sg_v4(), sg_seen)
        dates = {k: v for k, v in signed.headers.items() if k.lower() == "x-oss-date"}
        assert dates == {"x-oss-date": _SG_ISO}

    def test_caller_content_sha256_replaced_in_v4_header_mode(self, sg_seen):
        headers = {"X-Oss-Content-Sha256": hashlib.sha256(b"body").hexdigest()}
        signed = _sg_signer("v4").sign("PUT", _SG_HOST + "/obj", headers)
        _sg_check(signed, "v4", _sg_v4("PUT"), sg_seen)
        values = [v for k, v in signed.headers.items() if k.lower() == "x-oss-content-sha256"]
        assert values == ["UNSIGNED-PAYLOAD"]

    def test_caller_content_sha256_replaced_in_v4_query_mode(self, sg_seen):
        headers = {"x-oss-content-sha256": hashlib.sha256(b"body").hexdigest()}
        url = _SG_HOST + "/obj"
        signed = _sg_signer("v4").sign("PUT", url, headers, expires=60)
        query = "x-oss-credential=%s&x-oss-date=%s&x-oss-expires=60&x-oss-signature-version=OSS4-HMAC-SHA256" % (
            urllib.parse.quote(_SG_CRED, safe=""), _SG_ISO)
        _sg_check(signed, "v4", _sg_v4("PUT", query=query, headers=["x-oss-content-sha256:UNSIGNED-PAYLOAD"]),
                  sg_seen)  # fmt: skip
        assert signed.headers == {"x-oss-content-sha256": "UNSIGNED-PAYLOAD"}
        assert headers["x-oss-content-sha256"] != "UNSIGNED-PAYLOAD", "the caller's dict is unchanged"

    def test_host_header_signed_as_additional_in_v4(self, sg_seen):
        signed = _sg_signer("v4").sign("GET", _SG_HOST + "/obj", {"Host": "bkt.oss-cn-hangzhou.aliyuncs.com"})
        expected = _sg_v4(headers=["host:bkt.oss-cn-hangzhou.aliyuncs.com"] + _SG_V4_HEADERS, additional="host")
        _sg_check(signed, "v4", expected, sg_seen)
        assert ",AdditionalHeaders=host," in signed.headers["Authorization"]
        assert signed.headers["Host"] == "bkt.oss-cn-hangzhou.aliyuncs.com"

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_non_latin1_header_value_is_rejected(self, version):
        headers = {"x-oss-meta-name": "中文"}
        with pytest.raises(ossign.SigningError) as info:
            _sg_signer(version).sign("PUT", _SG_HOST + "/obj", headers)
        assert "latin-1" in str(info.value)
        assert headers == {"x-oss-meta-name": "中文"}


class TestSigningHostsAndStyles:
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_service_level_request(self, version, sg_seen):
        signer = _sg_signer(version, bucket=None, region=None)
        signed = signer.sign("GET", "https://oss-cn-hangzhou.aliyuncs.com/")
        _sg_check(signed, version, _sg_header_expected(version, "/", "%2F", "/"), sg_seen)

    @pytest.mark.parametrize("bucket", [None, "bkt"], ids=["bucket-inferred", "bucket-given"])
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_path_style_bucket_only_url_gets_trailing_slash(self, version, bucket, sg_seen):
        signed = _sg_signer(version, bucket=bucket, region=None).sign("GET", "https://oss-cn-hangzhou.aliyuncs.com/bkt")
        _sg_check(signed, version, _sg_header_expected(version, "/bkt/", "%2Fbkt%2F", "/bkt/"), sg_seen)
        assert signed.url == "https://oss-cn-hangzhou.aliyuncs.com/bkt"

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_path_style_object_signs_like_virtual_hosted(self, version, sg_seen):
        path_style = _sg_signer(version, region=None).sign("GET", "https://oss-cn-hangzhou.aliyuncs.com/bkt/k%20y")
        _sg_check(path_style, version, _sg_header_expected(version, "/bkt/k y", "%2Fbkt%2Fk%20y", "/bkt/k%20y"),
                  sg_seen)  # fmt: skip

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_cname_custom_domain_signs_bucket_and_key(self, version, sg_seen):
        signed = _sg_signer(version).sign("GET", "https://img.example.com/dir/key.png")
        expected = _sg_header_expected(version, "/bkt/dir/key.png", "%2Fbkt%2Fdir%2Fkey.png", "/bkt/dir/key.png")
        _sg_check(signed, version, expected, sg_seen)

    @pytest.mark.parametrize("host", ["127.0.0.1:9000", "localhost:8080", "[::1]:8080", "10.0.0.5"])
    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_ip_and_localhost_hosts_are_path_style(self, version, host, sg_seen):
        signed = _sg_signer(version).sign("GET", "http://%s/bkt/key" % host)
        _sg_check(signed, version, _sg_header_expected(version, "/bkt/key", "", "/bkt/key"), sg_seen)

    @pytest.mark.parametrize("host, region, product", [
        ("bkt.cn-hangzhou.oss.aliyuncs.com", "cn-hangzhou", "oss"),
        ("bkt.oss-cn-shanghai-internal.aliyuncs.com", "cn-shanghai", "oss"),
        ("bkt.oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou", "oss"),
        ("bkt.cb-f8z7yvzgwfkl9q0h1a2b.cn-hangzhou.oss-cloudbox.aliyuncs.com", "cb-f8z7yvzgwfkl9q0h1a2b",
         "oss-cloudbox"),
        ("BKT.OSS-CN-BEIJING.ALIYUNCS.COM:443", "cn-beijing", "oss"),
    ], ids=["dual-stack", "internal", "public", "cloudbox", "upper-case-with-port"])  # fmt: skip
    def test_bucket_region_and_product_inferred_from_host(self, host, region, product, sg_seen):
        signed = _sg_signer("v4", bucket=None, region=None).sign("GET", "https://%s/obj" % host)
        _sg_check(signed, "v4", _sg_v4(), sg_seen, region=region, product=product)
        assert "Credential=%s/20231114/%s/%s/aliyun_v4_request," % (KEY_ID, region, product) in \
            signed.headers["Authorization"]  # fmt: skip

    def test_accelerate_host_without_region_fails_v4(self):
        provider = _SgCountingProvider()
        signer = _sg_signer("v4", bucket=None, region=None, provider=provider)
        with pytest.raises(ossign.SigningError) as info:
            signer.sign("GET", "https://bkt.oss-accelerate.aliyuncs.com/obj")
        assert "region" in str(info.value)
        assert provider.calls == 0

    def test_accelerate_host_with_region_signs_v4(self, sg_seen):
        signed = _sg_signer("v4", bucket=None).sign("GET", "https://bkt.oss-accelerate.aliyuncs.com/obj")
        _sg_check(signed, "v4", _sg_v4(), sg_seen)

    @pytest.mark.parametrize("version", ["v1", "v2"])
    def test_accelerate_host_needs_no_region_in_v1_v2(self, version, sg_seen):
        signer = _sg_signer(version, bucket=None, region=None)
        signed = signer.sign("GET", "https://bkt.oss-accelerate.aliyuncs.com/obj")
        _sg_check(signed, version, _sg_header_expected(version, "/bkt/obj", "%2Fbkt%2Fobj", ""), sg_seen)

    def test_region_with_oss_prefix_signed_as_plain_id(self, sg_seen):
        signed = _sg_signer("v4", region="oss-cn-hangzhou").sign("GET", "https://img.example.com/obj")
        _sg_check(signed, "v4", _sg_v4(), sg_seen, region="cn-hangzhou")
        assert "/cn-hangzhou/oss/aliyun_v4_request," in signed.headers["Authorization"]

    def test_given_region_wins_over_inferred(self, sg_seen):
        signed = _sg_signer("v4", bucket=None, region="cn-beijing").sign("GET", _SG_HOST + "/obj")
        _sg_check(signed, "v4", _sg_v4(), sg_seen, region="cn-beijing")

    def test_url_without_host_is_rejected(self):
        with pytest.raises(ossign.SigningError) as info:
            _sg_signer("v1").sign("GET", "https:///obj")
        assert "host" in str(info.value)


class TestSigningTimeAndResigning:
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_float_clock_is_truncated(self, version, sg_seen):
        signer = _sg_signer(version, now=_SG_T + 0.999)
        signed = signer.sign("GET", _SG_HOST + "/obj")
        _sg_check(signed, version, _sg_header_expected(version, "/bkt/obj", "%2Fbkt%2Fobj", "/bkt/obj"), sg_seen)
        presigned = signer.sign("GET", _SG_HOST + "/obj", expires=100)
        added = dict(_sg_added_query(presigned.url, _SG_HOST + "/obj"))
        if version == "v1":
            assert added["Expires"] == str(_SG_T + 100)
        elif version == "v2":
            assert added["x-oss-expires"] == str(_SG_T + 100)
        else:
            assert (added["x-oss-date"], added["x-oss-expires"]) == (_SG_ISO, "100")

    @pytest.mark.parametrize("version, owned", [
        ("v1", {"OSSAccessKeyId", "Expires", "Signature"}),
        ("v2", {"x-oss-signature-version", "x-oss-expires", "x-oss-access-key-id", "x-oss-signature"}),
        ("v4", {"x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-expires", "x-oss-signature"}),
    ], ids=["v1", "v2", "v4"])  # fmt: skip
    def test_presigned_url_resigned_replaces_its_own_auth_params(self, version, owned):
        base = _SG_HOST + "/obj?versionId=7"
        first = _sg_signer(version, token=TOKEN).presign(base, expires=60)
        again = _sg_signer(version, now=_SG_T + 86400).presign(first, expires=120)
        fresh = _sg_signer(version, now=_SG_T + 86400).presign(base, expires=120)
        assert again == fresh, "old auth parameters (token included) are removed before signing"
        names = [k for k, _ in urllib.parse.parse_qsl(urllib.parse.urlsplit(again).query, keep_blank_values=True)]
        assert sorted(names) == sorted(owned | {"versionId"})

    def test_other_versions_auth_params_are_kept_and_signed_as_plain_params(self, sg_seen):
        v1_url = _sg_signer("v1").presign(_SG_HOST + "/obj", expires=60)
        v1_params = urllib.parse.urlsplit(v1_url).query
        signed = _sg_signer("v4").sign("GET", v1_url)
        canonical = "&".join(sorted(v1_params.split("&")))
        _sg_check(signed, "v4", _sg_v4(query=canonical), sg_seen)
        again = _sg_signer("v4").presign(v1_url, expires=60)
        assert again.startswith(v1_url + "&"), "presigning only appends"
        assert "x-oss-signature-version=OSS4-HMAC-SHA256" in again[len(v1_url):]

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_header_signing_keeps_presign_params_in_url(self, version):
        v_url = _sg_signer(version).presign(_SG_HOST + "/obj", expires=60)
        assert _sg_signer(version).sign("GET", v_url).url == v_url


# ==== 3. The Signer API =====================================================


class _SgCountingProvider:
    """A provider that counts calls and returns fixed credentials."""

    def __init__(self, credentials=None):
        self.credentials = credentials or ossign.Credentials(KEY_ID, SECRET)
        self.calls = 0

    def provide(self, context):
        self.calls += 1
        return self.credentials


class _SgCountingClock(FakeClock):
    def __init__(self, now=_SG_T):
        super().__init__(now)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return super().__call__()


class _SgNoIo:
    """Every I/O hook of a Context: fails the test if called."""

    def __init__(self):
        self.calls = []

    def open(self, request, timeout=None):
        self.calls.append(("open", request.full_url))
        raise AssertionError("signing made an HTTP call")

    def read_file(self, path):
        self.calls.append(("read_file", path))
        raise AssertionError("signing read a file")

    def run_command(self, argv, timeout):
        self.calls.append(("run_command", argv))
        raise AssertionError("signing ran a command")


_SG_MODES = [("v1", None), ("v1", 60), ("v2", None), ("v2", 60), ("v4", None), ("v4", 60)]
_SG_MODE_IDS = ["v1-header", "v1-query", "v2-header", "v2-query", "v4-header", "v4-query"]


class TestSignerApi:
    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_sign_returns_named_tuple_with_upper_case_method_and_new_headers(self, version, expires):
        headers = {"x-oss-meta-a": "1"}
        signed = _sg_signer(version).sign("put", _SG_HOST + "/obj", headers, expires=expires)
        assert isinstance(signed, ossign.SignedRequest) and isinstance(signed, tuple)
        assert signed._fields == ("method", "url", "headers")
        assert signed.method == "PUT"
        assert isinstance(signed.headers, dict) and signed.headers is not headers
        assert signed.headers["x-oss-meta-a"] == "1"

    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_lower_case_method_is_signed_upper_case(self, version, expires):
        lower = _sg_signer(version).sign("delete", _SG_HOST + "/obj", expires=expires)
        upper = _sg_signer(version).sign("DELETE", _SG_HOST + "/obj", expires=expires)
        assert lower == upper

    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_inputs_are_never_mutated(self, version, expires):
        headers = {"Date": "x", "x-oss-date": "y", "X-Oss-Content-Sha256": "abc", "Authorization": "old",
                   "Range": "bytes=0-1", "x-oss-meta-a": " v "}  # fmt: skip
        before = copy.deepcopy(headers)
        url = _SG_HOST + "/obj?acl&x-oss-signature=old&Signature=old"
        url_before = str(url)
        signed = _sg_signer(version, token=TOKEN).sign("GET", url, headers, expires=expires)
        assert headers == before and url == url_before
        assert signed.headers is not headers

    @pytest.mark.parametrize("bad", [
        dict(headers={"A": "1", "a": "2"}),
        dict(expires=0),
        dict(expires=-5),
        dict(headers={"x-oss-meta-a": "\u20ac"}),
        dict(url="https://img.example.com/obj", region=None),
    ], ids=["duplicate-header", "zero-expires", "negative-expires", "non-latin1", "no-region"])  # fmt: skip
    def test_inputs_are_never_mutated_on_error(self, bad):
        headers = dict(bad.get("headers") or {"x-oss-meta-a": "1", "Date": "x"})
        before = copy.deepcopy(headers)
        signer = _sg_signer("v4", region=bad.get("region", "cn-hangzhou"))
        with pytest.raises(ossign.SigningError):
            signer.sign("GET", bad.get("url", _SG_HOST + "/obj"), headers, expires=bad.get("expires"))
        assert headers == before

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_presign_equals_sign_with_expires(self, version):
        signer = _sg_signer(version, token=TOKEN)
        headers = {"x-oss-meta-a": "1", "Range": "bytes=0-9"}
        assert signer.presign(_SG_HOST + "/obj", method="put", expires=900, headers=headers) == \
            signer.sign("PUT", _SG_HOST + "/obj", headers, expires=900).url  # fmt: skip

    def test_presign_defaults_to_get_for_one_hour(self):
        url = _sg_signer("v4").presign(_SG_HOST + "/obj")
        assert url == _sg_signer("v4").sign("GET", _SG_HOST + "/obj", expires=3600).url
        assert "x-oss-expires=3600&" in url

    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_expires_timedelta_fraction_is_truncated(self, version):
        signer = _sg_signer(version)
        with_delta = signer.sign("GET", _SG_HOST + "/obj", expires=timedelta(seconds=3600, microseconds=999999))
        assert with_delta == signer.sign("GET", _SG_HOST + "/obj", expires=3600)

    @pytest.mark.parametrize("expires", [0, -1, timedelta(microseconds=999999), timedelta(seconds=-60)],
                             ids=["zero", "negative", "sub-second-delta", "negative-delta"])  # fmt: skip
    @pytest.mark.parametrize("version", ["v1", "v2", "v4"])
    def test_expires_below_one_second_is_rejected(self, version, expires):
        with pytest.raises(ossign.SigningError) as info:
            _sg_signer(version).sign("GET", _SG_HOST + "/obj", expires=expires)
        assert "expires" in str(info.value)

    @pytest.mark.parametrize("expires", [604801, timedelta(days=7, seconds=1), 10 ** 9], ids=["int", "delta", "huge"])
    def test_v4_expires_over_seven_days_is_rejected(self, expires):
        with pytest.raises(ossign.SigningError) as info:
            _sg_signer("v4").sign("GET", _SG_HOST + "/obj", expires=expires)
        assert "604800" in str(info.value)

    def test_v4_expires_of_exactly_seven_days_is_accepted(self):
        url = _sg_signer("v4").presign(_SG_HOST + "/obj", expires=604800)
        assert dict(_sg_added_query(url, _SG_HOST + "/obj"))["x-oss-expires"] == "604800"

    @pytest.mark.parametrize("version, name", [("v1", "Expires"), ("v2", "x-oss-expires")])
    def test_v1_v2_expires_over_seven_days_is_accepted(self, version, name):
        url = _sg_signer(version).presign(_SG_HOST + "/obj", expires=timedelta(days=30))
        assert dict(_sg_added_query(url, _SG_HOST + "/obj"))[name] == str(_SG_T + 30 * 86400)

    @pytest.mark.parametrize("expires", [1.5, "60", True], ids=["float", "str", "bool"])
    def test_expires_of_wrong_type_is_rejected(self, expires):
        with pytest.raises(ossign.SigningError):
            _sg_signer("v4").sign("GET", _SG_HOST + "/obj", expires=expires)

    def test_call_additional_headers_win_over_signer_ones(self, sg_seen):
        headers = {"x-a": "1", "x-b": "2"}
        signer = _sg_signer("v4", additional_headers=["X-A"])
        by_signer = signer.sign("GET", _SG_HOST + "/obj", headers)
        expected = _sg_v4(headers=["x-a:1"] + _SG_V4_HEADERS, additional="x-a")
        _sg_check(by_signer, "v4", expected, sg_seen)
        by_call = signer.sign("GET", _SG_HOST + "/obj", headers, additional_headers=["x-b"])
        _sg_check(by_call, "v4", _sg_v4(headers=["x-b:2"] + _SG_V4_HEADERS, additional="x-b"), sg_seen)

    def test_empty_additional_headers_on_call_signs_none(self, sg_seen):
        signed = _sg_signer("v4").sign("GET", _SG_HOST + "/obj", {"Range": "bytes=0-1"}, additional_headers=[])
        _sg_check(signed, "v4", _sg_v4(), sg_seen)
        assert "AdditionalHeaders" not in signed.headers["Authorization"]

    def test_v4_header_default_signs_every_passed_header(self, sg_seen):
        headers = {"User-Agent": "ua/1", "Range": "bytes=0-1", "x-oss-meta-a": "m", "Content-Type": "t/x"}
        signed = _sg_signer("v4").sign("GET", _SG_HOST + "/obj", headers)
        lines = ["content-type:t/x", "range:bytes=0-1", "user-agent:ua/1"] + _SG_V4_HEADERS + ["x-oss-meta-a:m"]
        _sg_check(signed, "v4", _sg_v4(headers=sorted(lines), additional="range;user-agent"), sg_seen)
        assert ",AdditionalHeaders=range;user-agent," in signed.headers["Authorization"]

    def test_v4_presign_default_signs_every_passed_header(self, sg_seen):
        url = _SG_HOST + "/obj"
        signed = _sg_signer("v4").sign("GET", url, {"Range": "bytes=0-1"}, expires=60)
        query = ("x-oss-additional-headers=range&x-oss-credential=%s&x-oss-date=%s&x-oss-expires=60"
                 "&x-oss-signature-version=OSS4-HMAC-SHA256") % (urllib.parse.quote(_SG_CRED, safe=""), _SG_ISO)
        _sg_check(signed, "v4", _sg_v4(query=query, headers=["range:bytes=0-1"], additional="range"), sg_seen)
        assert dict(_sg_added_query(signed.url, url))["x-oss-additional-headers"] == "range"

    def test_v4_empty_valued_additional_header_is_skipped(self, sg_seen):
        headers = {"x-custom": " ", "Range": "bytes=0-1", "x-oss-meta-e": ""}
        signed = _sg_signer("v4").sign("GET", _SG_HOST + "/obj", headers)
        expected = _sg_v4(headers=["range:bytes=0-1"] + _SG_V4_HEADERS + ["x-oss-meta-e:"], additional="range")
        _sg_check(signed, "v4", expected, sg_seen)

    def test_v2_header_default_signs_range_and_if_modified_since(self, sg_seen):
        headers = {"Range": "bytes=0-1", "If-Modified-Since": _SG_DATE, "User-Agent": "ua"}
        signed = _sg_signer("v2").sign("GET", _SG_HOST + "/obj", headers)
        expected = _sg_v2(lines=["if-modified-since:" + _SG_DATE, "range:bytes=0-1"],
                          additional="if-modified-since;range")  # fmt: skip
        _sg_check(signed, "v2", expected, sg_seen)
        assert ",AdditionalHeaders:if-modified-since;range," in signed.headers["Authorization"]

    def test_v2_presign_default_signs_no_additional_header(self, sg_seen):
        url = _SG_HOST + "/obj"
        signed = _sg_signer("v2").sign("GET", url, {"Range": "bytes=0-1"}, expires=60)
        expires_at = str(_SG_T + 60)
        resource = "%%2Fbkt%%2Fobj?x-oss-access-key-id=%s&x-oss-expires=%s&x-oss-signature-version=OSS2" % (
            KEY_ID, expires_at)
        _sg_check(signed, "v2", _sg_v2(date=expires_at, resource=resource), sg_seen)
        assert "x-oss-additional-headers" not in signed.url

    def test_v2_presign_signs_listed_additional_header(self, sg_seen):
        url = _SG_HOST + "/obj"
        signed = _sg_signer("v2").sign("GET", url, {"Range": "bytes=0-1"}, expires=60, additional_headers=["range"])
        expires_at = str(_SG_T + 60)
        resource = ("%%2Fbkt%%2Fobj?x-oss-access-key-id=%s&x-oss-additional-headers=range&x-oss-expires=%s"
                    "&x-oss-signature-version=OSS2") % (KEY_ID, expires_at)
        expected = _sg_v2(date=expires_at, resource=resource, lines=["range:bytes=0-1"], additional="range")
        _sg_check(signed, "v2", expected, sg_seen)

    def test_v1_ignores_additional_headers(self, sg_seen):
        signed = _sg_signer("v1", additional_headers=["range"]).sign("GET", _SG_HOST + "/obj", {"Range": "b=0-1"})
        _sg_check(signed, "v1", _sg_v1(), sg_seen)

    @pytest.mark.parametrize("additional", [None, [], ["range"], ["x-absent"]], ids=["default", "empty", "absent-range",
                                                                                     "absent-name"])  # fmt: skip
    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_no_empty_additional_headers_field_or_param(self, version, expires, additional):
        signed = _sg_signer(version, token=TOKEN).sign("GET", _SG_HOST + "/obj?acl", {"x-oss-meta-a": "1"},
                                                       expires=expires, additional_headers=additional)  # fmt: skip
        text = signed.url + " " + " ".join(signed.headers.values())
        assert "additional" not in text.lower()

    def test_v4_without_region_fails_before_credential_lookup(self):
        provider = _SgCountingProvider()
        signer = _sg_signer("v4", region=None, provider=provider)
        for expires in (None, 60):
            with pytest.raises(ossign.SigningError) as info:
                signer.sign("GET", "https://img.example.com/obj", expires=expires)
            assert "region" in str(info.value)
        assert provider.calls == 0

    def test_presign_longer_than_sts_credentials_fails(self):
        expiration = datetime.fromtimestamp(_SG_T + 1800, tz=timezone.utc)
        provider = _SgCountingProvider(ossign.Credentials(KEY_ID, SECRET, TOKEN, expiration))
        signer = _sg_signer("v4", provider=provider)
        with pytest.raises(ossign.SigningError) as info:
            signer.presign(_SG_HOST + "/obj", expires=3600)
        assert "credentials" in str(info.value)
        assert_no_secret(str(info.value))
        assert signer.presign(_SG_HOST + "/obj", expires=1200).startswith(_SG_HOST + "/obj?")
        assert signer.sign("GET", _SG_HOST + "/obj").headers["x-oss-security-token"] == TOKEN

    @pytest.mark.parametrize("version", ["v1", "v2"])
    def test_v1_v2_presign_longer_than_sts_credentials_fails(self, version):
        expiration = datetime.fromtimestamp(_SG_T + 1800, tz=timezone.utc)
        provider = _SgCountingProvider(ossign.Credentials(KEY_ID, SECRET, TOKEN, expiration))
        signer = _sg_signer(version, provider=provider)
        with pytest.raises(ossign.SigningError):
            signer.presign(_SG_HOST + "/obj", expires=timedelta(days=2))

    def test_v4_signing_key_derived_once_per_scope(self, monkeypatch):
        calls = []
        original = ossign._v4_signing_key

        def counting(secret, date, region, product):
            calls.append((date, region, product))
            return original(secret, date, region, product)

        monkeypatch.setattr(ossign, "_v4_signing_key", counting)
        clock = FakeClock(_SG_T)
        signer = _sg_signer("v4", bucket=None, region=None, context=ossign.Context(clock=clock, environ={}))
        for i in range(5):
            signer.sign("GET", _SG_HOST + "/obj%d" % i)
            signer.presign(_SG_HOST + "/obj%d" % i, expires=60)
            clock.advance(1)
        assert calls == [("20231114", "cn-hangzhou", "oss")]
        signer.sign("GET", "https://bkt.oss-cn-beijing.aliyuncs.com/obj")
        clock.advance(86400)
        signer.sign("GET", _SG_HOST + "/obj")
        signer.sign("GET", _SG_HOST + "/obj")
        assert calls[1:] == [("20231114", "cn-beijing", "oss"), ("20231115", "cn-hangzhou", "oss")]

    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_sign_reads_clock_once(self, version, expires):
        clock = _SgCountingClock()
        signer = _sg_signer(version, context=ossign.Context(clock=clock, environ={}))
        signer.credentials()  # warm the cache
        for n in range(1, 4):
            before = clock.calls
            signer.sign("GET", _SG_HOST + "/obj", expires=expires)
            assert clock.calls - before == 1, "signature %d read the clock %d times" % (n, clock.calls - before)

    @pytest.mark.parametrize("version, expires", _SG_MODES, ids=_SG_MODE_IDS)
    def test_sign_does_no_io(self, version, expires):
        hooks = _SgNoIo()
        context = ossign.Context(opener=hooks, read_file=hooks.read_file, run_command=hooks.run_command,
                                 environ={}, home_dir="/nonexistent", clock=FakeClock(_SG_T))  # fmt: skip
        signer = ossign.Signer("bkt", static(token=TOKEN), region="cn-hangzhou", version=version, context=context)
        for _ in range(3):
            signer.sign("PUT", _SG_HOST + "/obj?acl", {"x-oss-meta-a": "1"}, expires=expires)
        assert hooks.calls == []

    def test_credentials_returns_cached_credentials(self):
        provider = _SgCountingProvider(ossign.Credentials(KEY_ID, SECRET, TOKEN))
        signer = _sg_signer("v4", provider=provider)
        first = signer.credentials()
        assert first == ossign.Credentials(KEY_ID, SECRET, TOKEN)
        assert signer.credentials() is first
        signer.sign("GET", _SG_HOST + "/obj")
        assert provider.calls == 1

    def test_signer_given_a_cache_uses_it(self):
        provider = _SgCountingProvider()
        cache = ossign.CredentialCache(provider, ossign.Context(clock=FakeClock(_SG_T), environ={}))
        signer = _sg_signer("v4", provider=cache)
        assert signer.provider is cache
        signer.sign("GET", _SG_HOST + "/obj")
        cache.get()
        assert provider.calls == 1

    @pytest.mark.parametrize("version", ["v3", "V5", "", "oss"])
    def test_unknown_version_is_value_error(self, version):
        with pytest.raises(ValueError) as info:
            ossign.Signer("bkt", static(), region="cn-hangzhou", version=version)
        assert type(info.value) is ValueError
        assert "version" in str(info.value)

    @pytest.mark.parametrize("version", ["V1", "v2", "V4"])
    def test_version_is_case_insensitive(self, version):
        assert ossign.Signer("bkt", static(), region="cn-hangzhou", version=version).version == version.lower()

    @pytest.mark.parametrize("method", ["", "GET /", "G\u00c9T", 1], ids=["empty", "space", "non-ascii", "int"])
    def test_bad_method_is_rejected(self, method):
        with pytest.raises(ossign.SigningError):
            _sg_signer("v4").sign(method, _SG_HOST + "/obj")


# ==== 4. Properties (hypothesis) ============================================

if hypothesis is not None:
    _SG_SETTINGS = hypothesis.settings(max_examples=100, deadline=None, database=None, derandomize=True,
                                       suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture,
                                                              hypothesis.HealthCheck.too_slow])  # fmt: skip
    _sg_text = st.text(max_size=16)  # any code point but surrogates
    _sg_keys = st.text(min_size=1, max_size=32)
    _sg_latin1 = st.text("".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0xA0, 0x100))) + "\t",
                         max_size=16)  # fmt: skip
    _sg_names = st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-", min_size=1, max_size=12).map(lambda n: "h" + n)
    _sg_headers = st.dictionaries(_sg_names, _sg_latin1, max_size=4).map(
        lambda d: {k: v for k, v in {k.lower(): (k, v) for k, v in d.items()}.values()})
    _sg_params = st.lists(st.tuples(_sg_text, _sg_text), max_size=5)
    _sg_modes = st.sampled_from([("v1", None), ("v2", None), ("v4", None)]) | st.tuples(
        st.sampled_from(["v1", "v2", "v4"]), st.integers(1, 604800))
    _sg_methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "patch"])
    _sg_times = st.integers(946684800, 4102444800) | st.floats(946684800, 4102444800)
    _sg_secrets = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)

    def _sg_url(key, params):
        url = ossign.object_url("bkt", key, "cn-hangzhou")
        if params:
            url += "?" + "&".join(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe="")
                                  for k, v in params)  # fmt: skip
        return url

    def _sg_prop_sign(version, expires, method, url, headers, now=_SG_T, secret=SECRET, token=None):
        signer = ossign.Signer(None, static(secret=secret, token=token), version=version,
                               context=ossign.Context(clock=lambda: now, environ={}))  # fmt: skip
        return signer.sign(method, url, headers, expires=expires)

    class TestSigningProperties:
        @_SG_SETTINGS
        @hypothesis.given(mode=_sg_modes, method=_sg_methods, key=_sg_keys, params=_sg_params,
                          headers=_sg_headers, now=_sg_times, token=st.none() | st.just(TOKEN))  # fmt: skip
        def test_valid_input_signs_deterministically(self, mode, method, key, params, headers, now, token):
            url = _sg_url(key, params)
            first = _sg_prop_sign(mode[0], mode[1], method, url, headers, now, token=token)
            second = _sg_prop_sign(mode[0], mode[1], method, url, headers, now, token=token)
            assert first == second
            assert first.method == method.upper()

        @_SG_SETTINGS
        @hypothesis.given(mode=_sg_modes, key=_sg_keys, other=_sg_keys, params=_sg_params, headers=_sg_headers,
                          methods=st.lists(_sg_methods.map(str.upper), min_size=2, max_size=2, unique=True),
                          values=st.lists(_sg_text, min_size=2, max_size=2, unique=True),
                          header_values=st.lists(_sg_latin1.map(lambda v: v.strip(" \t")), min_size=2, max_size=2,
                                                 unique=True),
                          times=st.lists(st.integers(946684800, 4102444800), min_size=2, max_size=2, unique=True),
                          secrets=st.lists(_sg_secrets, min_size=2, max_size=2, unique=True))  # fmt: skip
        def test_signature_changes_with_each_signed_component(self, mode, key, other, params, headers, methods,
                                                              values, header_values, times, secrets):  # fmt: skip
            version, expires = mode
            headers = {k: v for k, v in headers.items() if k.lower() != "x-oss-meta-p"}

            def sig(method=methods[0], k=key, value=values[0], header=header_values[0], now=times[0],
                    secret=secrets[0]):  # fmt: skip
                url = _sg_url(k, params + [("versionId", value)])
                hdrs = dict(headers, **{"x-oss-meta-p": header})
                return _sg_signature(_sg_prop_sign(version, expires, method, url, hdrs, now, secret), version)

            base = sig()
            assert sig(method=methods[1]) != base, "method"
            if key != other:
                assert sig(k=other) != base, "key"
            assert sig(value=values[1]) != base, "query parameter"
            assert sig(header=header_values[1]) != base, "signed header value"
            assert sig(now=times[1]) != base, "time"
            assert sig(secret=secrets[1]) != base, "secret"

        @_SG_SETTINGS
        @hypothesis.given(version=st.sampled_from(["v1", "v2", "v4"]), method=_sg_methods, key=_sg_keys,
                          params=_sg_params, headers=_sg_headers, token=st.none() | st.just(TOKEN))  # fmt: skip
        def test_header_signed_output_headers_are_latin1_without_line_breaks(self, version, method, key, params,
                                                                             headers, token):  # fmt: skip
            signed = _sg_prop_sign(version, None, method, _sg_url(key, params), headers, token=token)
            assert "Authorization" in signed.headers
            for name, value in signed.headers.items():
                assert isinstance(name, str) and isinstance(value, str)
                name.encode("latin-1")
                value.encode("latin-1")
                assert not set("\r\n") & set(name + value), (name, value)

        @_SG_SETTINGS
        @hypothesis.given(version=st.sampled_from(["v1", "v2", "v4"]), expires=st.integers(1, 604800), key=_sg_keys,
                          params=_sg_params, headers=_sg_headers, token=st.none() | st.just(TOKEN),
                          secret=_sg_secrets)  # fmt: skip
        def test_presigned_url_is_well_formed(self, version, expires, key, params, headers, token, secret):
            url = _sg_url(key, params)
            signed = _sg_prop_sign(version, expires, "GET", url, headers, token=token, secret=secret)
            parts = urllib.parse.urlsplit(signed.url)
            original = urllib.parse.urlsplit(url)
            assert urllib.parse.urlunsplit(parts) == signed.url
            assert (parts.scheme, parts.netloc, parts.path) == (original.scheme, original.netloc, original.path)
            assert parts.fragment == ""
            assert signed.url.startswith(url + ("&" if original.query else "?"))
            added = signed.url[len(url) + 1:].split("&")
            for item in added:
                name, sep, value = item.partition("=")
                assert sep and name and value, item
                assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%"), item
                assert urllib.parse.quote(urllib.parse.unquote(value, errors="strict"), safe="~") == value, item
            decoded = dict(urllib.parse.parse_qsl("&".join(added), strict_parsing=True))
            if token:
                assert decoded["x-oss-security-token" if version == "v4" else "security-token"] == TOKEN

        @_SG_SETTINGS
        @hypothesis.given(key=_sg_keys)
        def test_object_key_round_trips_through_object_url(self, key):
            url = ossign.object_url("bkt", key, "cn-hangzhou")
            assert urllib.parse.unquote(urllib.parse.urlsplit(url).path, errors="strict") == "/" + key
            assert url.isascii() and " " not in url

else:

    class TestSigningProperties:
        @pytest.mark.skipif(hypothesis is None, reason="hypothesis is not installed")
        def test_properties_need_hypothesis(self):
            pass  # pragma: no cover
