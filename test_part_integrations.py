"""Integrations: a loopback OSS that re-verifies signatures; urllib, http.client, auth hooks, CLI, README."""

import base64
import calendar
import doctest
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import namedtuple
from collections.abc import MutableMapping

import pytest

import ossign
from test_ossign import HERE, VECTORS, _hermetic_environment, LoopbackServer, FakeClock, FakeFiles, static, assert_no_secret, SECRET, TOKEN, KEY_ID  # noqa: F401,E501


# ==== An independent OSS signature verifier (SPEC 2-4) ======================
#
# Written from the specification with urllib.parse and hmac only: nothing here
# calls ossign. It plays the OSS server: it sees the raw request target and the
# headers as they arrived and recomputes the signature. The tests below first
# prove it against the official SDK vectors, then use it as the endpoint.

_INTG_SUBRESOURCES = frozenset(
    """
    accessPoint accessPointPolicy acl append asyncFetch bucketArchiveDirectRead
    bucketInfo callback callback-var cloudboxes cname comp continuation-token cors
    delete encryption endTime group httpsConfig img inventory inventoryId lifecycle
    link live location logging metaQuery objectInfo objectMeta partNumber policy
    position publicAccessBlock qos qosInfo qosRequester redundancyTransition referer
    regionList replication replicationLocation replicationProgress requesterQosInfo
    requestPayment resourceGroup resourcePool resourcePoolBuckets resourcePoolInfo
    response-cache-control response-content-disposition response-content-encoding
    response-content-language response-content-type response-expires restore
    security-token sequential startTime stat status style styleName symlink tagging
    transferAcceleration udf udfApplication udfApplicationLog udfId udfImage
    udfImageDesc udfName uploadId uploads versionId versioning versions vod website
    withHashContext worm wormExtend wormId x-oss-ac-forward-allow x-oss-ac-source-ip
    x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-access-point-name x-oss-async-process
    x-oss-enable-md5 x-oss-enable-sha1 x-oss-enable-sha256 x-oss-hash-ctx x-oss-md5-ctx
    x-oss-process x-oss-redundancy-transition-taskid x-oss-request-payer
    x-oss-target-redundancy-type x-oss-traffic-limit x-oss-write-get-object-response
    """.split()
)
_INTG_V4 = "OSS4-HMAC-SHA256"
_INTG_PAYLOAD = "UNSIGNED-PAYLOAD"

_IntgVerdict = namedtuple("_IntgVerdict", "ok reason version mode string_to_sign canonical_request")


class _IntgReject(Exception):
    pass


def _intg_u(text, safe=""):
    """SPEC U(s) (safe="") and U/(s) (safe="/"): RFC 3986 unreserved stay, upper-case hex."""
    return urllib.parse.quote(text, safe=safe)


def _intg_d(text):
    """SPEC D(s): decode once; a raw "+" stays "+"."""
    return urllib.parse.unquote(text, errors="strict")


def _intg_requote(raw):
    """V2/V4 canonical form of a raw query key or value (SPEC 3.3, 4.3)."""
    return "+".join(_intg_u(_intg_d(piece)) for piece in raw.split("+"))


def _intg_canonical_query(pairs):
    encoded = sorted((_intg_requote(k), _intg_requote(v)) for k, v in pairs)
    return "&".join(k + "=" + v if v else k for k, v in encoded)


class _IntgVerifier:
    """Recomputes V1, V2 and V4 header and query signatures of received requests.

    ``region``/``product`` None accept what the request's scope says (for the
    vectors); the loopback tests pin ``cn-hangzhou``/``oss``. ``token`` is the
    security token the request must carry (None: it must carry none).
    """

    def __init__(self, bucket="bucket", region="cn-hangzhou", product="oss", keys=None, token=None,
                 clock=time.time, skew=900):  # fmt: skip
        self.bucket = bucket
        self.region = region
        self.product = product
        self.keys = dict(keys or {KEY_ID: SECRET})
        self.token = token
        self.clock = clock
        self.skew = skew
        self.verdicts = []
        self.objects = {}

    # -- as a route of LoopbackServer --------------------------------------

    def attach(self, server):
        for method in ("GET", "PUT", "POST", "DELETE", "HEAD"):
            server.routes[(method, None)] = self.route
        return self

    def route(self, request, handler):
        verdict = self.check(handler.command, handler.path, list(handler.headers.items()))
        self.verdicts.append(verdict)
        if not verdict.ok:
            body = "<Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>" % verdict.reason
            return 403, {"Content-Type": "application/xml"}, body
        path = handler.path.partition("?")[0]
        if handler.command in ("PUT", "POST"):
            self.objects[path] = request.body
            return 200, {"ETag": '"%s"' % hashlib.md5(request.body).hexdigest()}, b""
        return 200, {"Content-Type": "application/octet-stream"}, self.objects.get(path, b"loopback object")

    # -- the check -----------------------------------------------------------

    def check(self, method, target, header_items, host=None):
        """-> _IntgVerdict for one request as received."""
        self._version = self._mode = self._sts = self._cr = None
        try:
            self._check(method, target, header_items, host)
        except _IntgReject as exc:
            return _IntgVerdict(False, str(exc), self._version, self._mode, self._sts, self._cr)
        return _IntgVerdict(True, "ok", self._version, self._mode, self._sts, self._cr)

    def _check(self, method, target, header_items, host):
        headers = {}
        for name, value in header_items:
            lname = name.lower()
            if lname in headers:
                raise _IntgReject("header %s sent twice" % lname)
            headers[lname] = value.strip(" \t")
        host = (host or headers.get("host", "")).lower()
        raw_path, _, query = target.partition("?")
        pairs = [(k, v) for k, _, v in (item.partition("=") for item in query.split("&") if item)]
        params = {_intg_d(k): _intg_d(v) for k, v in pairs}
        resource = self._resource(host, _intg_d(raw_path or "/"))
        if "x-oss-signature" in params and params.get("x-oss-signature-version") == _INTG_V4:
            self._version, self._mode = "v4", "query"
            return self._v4_query(method, resource, pairs, params, headers)
        if "x-oss-signature" in params and params.get("x-oss-signature-version") == "OSS2":
            self._version, self._mode = "v2", "query"
            return self._v2_query(method, resource, pairs, params, headers)
        if "Signature" in params and "OSSAccessKeyId" in params:
            self._version, self._mode = "v1", "query"
            return self._v1_query(method, resource, pairs, params, headers)
        auth = headers.get("authorization", "")
        self._mode = "header"
        if auth.startswith("OSS "):
            self._version = "v1"
            return self._v1_header(method, resource, pairs, headers, auth[4:])
        if auth.startswith("OSS2 "):
            self._version = "v2"
            return self._v2_header(method, resource, pairs, headers, auth[5:])
        if auth.startswith(_INTG_V4 + " "):
            self._version = "v4"
            return self._v4_header(method, resource, pairs, headers, auth[len(_INTG_V4) + 1:])
        raise _IntgReject("anonymous request (no Authorization, no signed query)")

    def _resource(self, host, path):
        name = host if host.startswith("[") else host.rsplit(":", 1)[0]
        if self.bucket and name.startswith(self.bucket + "."):
            return "/" + self.bucket + path  # virtual-hosted
        if path.count("/") == 1 and len(path) > 1:
            path += "/"  # path-style /<bucket> -> /<bucket>/
        if self.bucket and path != "/" and not path.startswith("/" + self.bucket + "/"):
            raise _IntgReject("path %r is not in bucket %r" % (path, self.bucket))
        return path

    def _secret(self, key_id):
        if key_id not in self.keys:
            raise _IntgReject("InvalidAccessKeyId %r" % key_id[-4:])
        return self.keys[key_id]

    def _token(self, presented):
        if presented != self.token:
            raise _IntgReject("security token mismatch (%s)" % ("missing" if presented is None else "wrong"))

    def _fresh(self, when):
        if abs(when - self.clock()) > self.skew:
            raise _IntgReject("RequestTimeTooSkewed")

    def _compare(self, expected, got):
        if not hmac.compare_digest(expected, got):
            raise _IntgReject("SignatureDoesNotMatch")

    # V1 (SPEC 2)
    def _v1_resource(self, resource, pairs):
        subs = sorted((k, v) for k, v in ((_intg_d(k), _intg_d(v)) for k, v in pairs) if k in _INTG_SUBRESOURCES)
        return resource + ("?" + "&".join(k + "=" + v if v else k for k, v in subs) if subs else "")

    def _v1_sign(self, secret, method, headers, line4, resource):
        oss = sorted((n, v) for n, v in headers.items() if n.startswith("x-oss-"))
        lines = [method, headers.get("content-md5", ""), headers.get("content-type", ""), line4]
        self._sts = "\n".join(lines + ["%s:%s" % nv for nv in oss] + [resource])
        return base64.b64encode(hmac.new(secret.encode(), self._sts.encode(), hashlib.sha1).digest()).decode()

    def _http_date(self, headers):
        if "date" not in headers:
            raise _IntgReject("no Date header")
        self._fresh(email.utils.parsedate_to_datetime(headers["date"]).timestamp())
        return headers["date"]

    def _v1_header(self, method, resource, pairs, headers, credential):
        key_id, _, signature = credential.partition(":")
        self._token(headers.get("x-oss-security-token"))
        expected = self._v1_sign(self._secret(key_id), method, headers, self._http_date(headers),
                                 self._v1_resource(resource, pairs))  # fmt: skip
        self._compare(expected, signature)

    def _v1_query(self, method, resource, pairs, params, headers):
        if int(params["Expires"]) <= self.clock():
            raise _IntgReject("AccessDenied: Request has expired")
        self._token(params.get("security-token"))
        kept = [(k, v) for k, v in pairs if _intg_d(k) != "Signature"]
        expected = self._v1_sign(self._secret(params["OSSAccessKeyId"]), method, headers, params["Expires"],
                                 self._v1_resource(resource, kept))  # fmt: skip
        self._compare(expected, params["Signature"])

    # V2 (SPEC 3)
    def _v2_sign(self, secret, method, headers, line4, additional, resource, pairs):
        for name in additional:
            if name not in headers:
                raise _IntgReject("additional header %s was not sent" % name)
        signed = sorted([(n, v) for n, v in headers.items() if n.startswith("x-oss-")]
                        + [(n, headers[n]) for n in additional])  # fmt: skip
        canonical = _intg_u(resource) + ("?" + _intg_canonical_query(pairs) if pairs else "")
        lines = [method, headers.get("content-md5", ""), headers.get("content-type", ""), line4]
        self._sts = "\n".join(lines + ["%s:%s" % nv for nv in signed] + [";".join(additional), canonical])
        return base64.b64encode(hmac.new(secret.encode(), self._sts.encode(), hashlib.sha256).digest()).decode()

    def _v2_header(self, method, resource, pairs, headers, rest):
        fields = dict(part.strip().partition(":")[::2] for part in rest.split(","))
        additional = sorted(n.lower() for n in fields.get("AdditionalHeaders", "").split(";") if n)
        self._token(headers.get("x-oss-security-token"))
        expected = self._v2_sign(self._secret(fields.get("AccessKeyId", "")), method, headers,
                                 self._http_date(headers), additional, resource, pairs)  # fmt: skip
        self._compare(expected, fields.get("Signature", ""))

    def _v2_query(self, method, resource, pairs, params, headers):
        if int(params["x-oss-expires"]) <= self.clock():
            raise _IntgReject("AccessDenied: Request has expired")
        self._token(params.get("security-token"))
        additional = sorted(n for n in params.get("x-oss-additional-headers", "").split(";") if n)
        kept = [(k, v) for k, v in pairs if _intg_d(k) != "x-oss-signature"]
        expected = self._v2_sign(self._secret(params["x-oss-access-key-id"]), method, headers,
                                 params["x-oss-expires"], additional, resource, kept)  # fmt: skip
        self._compare(expected, params["x-oss-signature"])

    # V4 (SPEC 4)
    def _v4_sign(self, credential, iso, method, headers, additional, resource, pairs):
        key_id, _, scope = credential.partition("/")
        date, region, product, terminator = (scope.split("/") + ["", "", "", ""])[:4]
        if terminator != "aliyun_v4_request" or date != iso[:8]:
            raise _IntgReject("malformed credential scope %r" % scope)
        if self.region is not None and region != self.region:
            raise _IntgReject("scope region %r, expected %r" % (region, self.region))
        if self.product is not None and product != self.product:
            raise _IntgReject("scope product %r" % product)
        for name in additional:
            if not headers.get(name):
                raise _IntgReject("additional header %s was not sent" % name)
        signed = sorted([(n, v) for n, v in headers.items()
                         if n.startswith("x-oss-") or n in ("content-type", "content-md5")]
                        + [(n, headers[n]) for n in additional])  # fmt: skip
        self._cr = "\n".join([method, _intg_u(resource, "/"), _intg_canonical_query(pairs)]) + "\n" + \
            "".join("%s:%s\n" % nv for nv in signed) + "\n" + ";".join(additional) + "\n" + _INTG_PAYLOAD
        self._sts = "\n".join([_INTG_V4, iso, scope, hashlib.sha256(self._cr.encode()).hexdigest()])
        key = ("aliyun_v4" + self._secret(key_id)).encode()
        for part in (date, region, product, terminator):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return hmac.new(key, self._sts.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _iso_epoch(iso):
        return calendar.timegm(time.strptime(iso, "%Y%m%dT%H%M%SZ"))

    def _v4_header(self, method, resource, pairs, headers, rest):
        fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
        iso = headers.get("x-oss-date", "")
        if not iso:
            raise _IntgReject("no x-oss-date header")
        self._fresh(self._iso_epoch(iso))
        if headers.get("x-oss-content-sha256") != _INTG_PAYLOAD:
            raise _IntgReject("x-oss-content-sha256 must be UNSIGNED-PAYLOAD")
        self._token(headers.get("x-oss-security-token"))
        additional = sorted(n.lower() for n in fields.get("AdditionalHeaders", "").split(";") if n)
        expected = self._v4_sign(fields.get("Credential", ""), iso, method, headers, additional, resource, pairs)
        self._compare(expected, fields.get("Signature", ""))

    def _v4_query(self, method, resource, pairs, params, headers):
        iso = params.get("x-oss-date", "")
        expires = int(params.get("x-oss-expires", "0"))
        if not 0 < expires <= 604800:
            raise _IntgReject("x-oss-expires out of range")
        if self._iso_epoch(iso) + expires <= self.clock():
            raise _IntgReject("AccessDenied: Request has expired")
        if self._iso_epoch(iso) > self.clock() + self.skew:
            raise _IntgReject("RequestTimeTooSkewed")
        self._token(params.get("x-oss-security-token"))
        additional = sorted(n for n in params.get("x-oss-additional-headers", "").split(";") if n)
        kept = [(k, v) for k, v in pairs if _intg_d(k) != "x-oss-signature"]
        expected = self._v4_sign(params.get("x-oss-credential", ""), iso, method, headers, additional,
                                 resource, kept)  # fmt: skip
        self._compare(expected, params["x-oss-signature"])


def _intg_check_url(verifier, method, url, headers=()):
    """Verify a signed URL (and the headers a client would send) without sending it."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    items = list(headers.items() if hasattr(headers, "items") else headers)
    return verifier.check(method, target, items, host=parts.netloc)


def _intg_signer(version="v4", token=None, bucket="bucket", **kwargs):
    return ossign.Signer(bucket, static(token=token), region="cn-hangzhou", version=version, **kwargs)


def _intg_send(url, method="GET", headers=None, body=None):
    """Send with http.client exactly the given headers; -> (status, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body,
                     headers=dict(headers or {}))  # fmt: skip
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _intg_urlopen(opener, request):
    """-> (status, body); an HTTPError becomes its status."""
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


@pytest.fixture(scope="module")
def _intg_shared_server():
    """One loopback server for the module (stopping one costs a poll interval)."""
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def intg_loop(_intg_shared_server):
    """The shared loopback server with no routes and an empty request log."""
    _intg_shared_server.routes.clear()
    del _intg_shared_server.requests[:]
    yield _intg_shared_server
    _intg_shared_server.routes.clear()


@pytest.fixture
def intg_oss(intg_loop):
    """The loopback server playing an OSS endpoint for bucket "bucket" in cn-hangzhou."""
    return _IntgVerifier().attach(intg_loop)


_INTG_VERSIONS = ["v1", "v2", "v4"]
_INTG_TOKENS = pytest.mark.parametrize("token", [None, TOKEN], ids=["keys", "sts"])


class TestIntgVerifier:
    """The verifier itself is right: it accepts the official SDKs' answers and rejects tampering."""

    @pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
    def test_verifier_accepts_official_sdk_vector(self, v):
        verifier = _IntgVerifier(bucket=v["bucket"], region=None, product=None,
                                 keys={v["access_key_id"]: v["access_key_secret"]}, token=v["security_token"],
                                 clock=lambda: v["time"])  # fmt: skip
        expected = v["expected"]
        headers = {k.lower(): value for k, value in v["headers"].items()}
        headers.update({k.lower(): value for k, value in expected["headers"].items()})
        if v["mode"] == "header":
            headers["authorization"] = expected["authorization"]
        verdict = _intg_check_url(verifier, v["method"].upper(), expected["url"] or v["url"], headers)
        assert verdict.ok, (v["id"], verdict.reason)
        if expected.get("string_to_sign"):
            assert verdict.string_to_sign == expected["string_to_sign"], v["id"]
        if expected.get("canonical_request"):
            assert verdict.canonical_request == expected["canonical_request"], v["id"]

    _TAMPER = {
        "other-key": lambda url, headers: (url.replace("/bucket/a.txt", "/bucket/b.txt"), headers),
        "added-oss-header": lambda url, headers: (url, dict(headers, **{"x-oss-meta-evil": "1"})),
        "changed-content-type": lambda url, headers: (url, dict(headers, **{"Content-Type": "text/html"})),
        "added-sub-resource": lambda url, headers: (url + ("&" if "?" in url else "?") + "acl", headers),
    }

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @pytest.mark.parametrize("mode", ["header", "query"])
    @pytest.mark.parametrize("tamper", sorted(_TAMPER))
    def test_loopback_rejects_tampered_request_and_accepts_original(self, intg_oss, intg_loop, version, mode, tamper):
        signer = _intg_signer(version)
        url = intg_loop.url + "/bucket/a.txt"
        headers = {"Content-Type": "text/plain", "x-oss-meta-a": "1"}
        signed = signer.sign("GET", url, headers, expires=60 if mode == "query" else None)
        assert _intg_send(signed.url, headers=signed.headers)[0] == 200
        bad_url, bad_headers = self._TAMPER[tamper](signed.url, signed.headers)
        status, body = _intg_send(bad_url, headers=bad_headers)
        assert status == 403, body
        assert [(v.ok, v.version, v.mode) for v in intg_oss.verdicts] == [(True, version, mode), (False, version, mode)]

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_loopback_rejects_wrong_secret_and_missing_token(self, intg_oss, intg_loop, version):
        url = intg_loop.url + "/bucket/a.txt"
        wrong = ossign.Signer("bucket", static(secret="not-the-secret"), region="cn-hangzhou", version=version)
        assert _intg_send(url, headers=wrong.sign("GET", url).headers)[0] == 403
        intg_oss.token = TOKEN
        assert _intg_send(url, headers=_intg_signer(version).sign("GET", url).headers)[0] == 403
        assert _intg_send(url, headers=_intg_signer(version, TOKEN).sign("GET", url).headers)[0] == 200
        reasons = [v.reason for v in intg_oss.verdicts]
        assert reasons[:2] == ["SignatureDoesNotMatch", "security token mismatch (missing)"]

    def test_loopback_rejects_unsigned_and_expired_requests(self, intg_oss, intg_loop):
        url = intg_loop.url + "/bucket/a.txt"
        assert _intg_send(url)[0] == 403
        past = FakeClock(time.time() - 7200)
        for version in _INTG_VERSIONS:
            stale = ossign.Signer("bucket", static(), region="cn-hangzhou", version=version,
                                  context=ossign.Context(clock=past))  # fmt: skip
            assert _intg_send(stale.presign(url, expires=60))[0] == 403
            assert _intg_send(url, headers=stale.sign("GET", url).headers)[0] == 403
        reasons = [v.reason for v in intg_oss.verdicts]
        assert reasons[0].startswith("anonymous")
        assert reasons[1::2] == ["AccessDenied: Request has expired"] * 3
        assert reasons[2::2] == ["RequestTimeTooSkewed"] * 3


# ==== urllib: SigningHandler and sign_request =================================


class TestIntgSigningHandler:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @_INTG_TOKENS
    def test_opener_put_with_body_then_get_arrive_signed(self, intg_oss, intg_loop, version, token):
        intg_oss.token = token
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer(version, token)))
        url = intg_loop.url + "/bucket/dir/a%20b%2Bc.txt"
        put = urllib.request.Request(url, data=b"payload bytes", method="PUT",
                                     headers={"Content-Type": "text/plain", "x-oss-meta-note": " hi "})  # fmt: skip
        assert _intg_urlopen(opener, put) == (200, b"")
        assert _intg_urlopen(opener, url) == (200, b"payload bytes")
        assert [(v.ok, v.version, v.mode) for v in intg_oss.verdicts] == [(True, version, "header")] * 2
        assert intg_loop.requests[0].body == b"payload bytes"
        assert intg_loop.requests[0].headers["x-oss-meta-note"].strip() == "hi"  # sent as given, signed trimmed

    @pytest.mark.parametrize("method", ["POST", "DELETE", "HEAD"])
    def test_opener_signs_other_methods(self, intg_oss, intg_loop, method):
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer()))
        data = b"<Delete/>" if method == "POST" else None
        request = urllib.request.Request(intg_loop.url + "/bucket/?delete", data=data, method=method)
        assert _intg_urlopen(opener, request)[0] == 200
        assert intg_oss.verdicts[0].ok and intg_loop.requests[0].method == method

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_body_without_content_type_signs_urllib_default(self, intg_oss, intg_loop, version):
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer(version)))
        request = urllib.request.Request(intg_loop.url + "/bucket/k", data=b"x=1", method="PUT")
        assert _intg_urlopen(opener, request)[0] == 200
        assert intg_loop.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
        assert intg_oss.verdicts[0].ok

    @pytest.mark.parametrize("version", ["v2", "v4"])
    def test_signs_headers_urllib_adds_itself_when_named(self, intg_oss, intg_loop, version):
        names = ["host", "user-agent", "content-length"]
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer(version, additional_headers=names)))
        request = urllib.request.Request(intg_loop.url + "/bucket/k", data=b"12345", method="PUT")
        assert _intg_urlopen(opener, request)[0] == 200
        received = intg_loop.requests[0].headers
        assert received["user-agent"].startswith("Python-urllib/") and received["content-length"] == "5"
        sep = "=" if version == "v4" else ":"
        assert "AdditionalHeaders%scontent-length;host;user-agent," % sep in received["authorization"]
        assert intg_oss.verdicts[0].ok

    def test_v4_default_signs_no_header_the_library_added(self, intg_oss, intg_loop):
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer()))
        assert _intg_urlopen(opener, intg_loop.url + "/bucket/k")[0] == 200
        assert "AdditionalHeaders" not in intg_loop.requests[0].headers["authorization"]
        assert intg_oss.verdicts[0].ok

    def test_redirect_is_signed_again_for_its_new_url(self, intg_oss, intg_loop):
        def redirect(request, handler):
            intg_oss.verdicts.append(intg_oss.check(handler.command, handler.path, list(handler.headers.items())))
            return 302, {"Location": "/bucket/new"}, b""

        intg_loop.routes[("GET", "/bucket/old")] = redirect
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer()))
        assert _intg_urlopen(opener, intg_loop.url + "/bucket/old") == (200, b"loopback object")
        assert [r.path for r in intg_loop.requests] == ["/bucket/old", "/bucket/new"]
        assert [v.ok for v in intg_oss.verdicts] == [True, True]

    def test_redirect_to_another_host_carries_no_signing_headers(self, intg_oss, intg_loop):
        def redirect(request, handler):
            return 302, {"Location": "http://localhost:%d/bucket/new" % intg_loop.port}, b""

        intg_loop.routes[("GET", "/bucket/old")] = redirect
        opener = urllib.request.build_opener(ossign.SigningHandler(_intg_signer("v4", TOKEN)))
        assert _intg_urlopen(opener, intg_loop.url + "/bucket/old")[0] == 403
        first, second = intg_loop.requests
        assert "authorization" in first.headers and first.headers["x-oss-security-token"] == TOKEN
        assert second.headers["host"].startswith("localhost:")
        assert not {"authorization", "x-oss-security-token", "x-oss-date"} & set(second.headers)
        assert intg_oss.verdicts[0].reason.startswith("anonymous")

    def test_credential_failure_sends_nothing(self, intg_loop):
        signer = ossign.Signer("bucket", ossign.ChainCredentialProvider(), region="cn-hangzhou")
        opener = urllib.request.build_opener(ossign.SigningHandler(signer))
        with pytest.raises(ossign.CredentialError, match="no credentials found"):
            opener.open(intg_loop.url + "/bucket/k", timeout=5)
        assert intg_loop.requests == []

    def test_https_requests_are_signed_too(self):
        handler = ossign.SigningHandler(ossign.Signer(None, static(), version="v4"))
        request = urllib.request.Request("https://bucket.oss-cn-hangzhou.aliyuncs.com/k%20x")
        assert handler.https_request(request) is request
        verdict = _intg_check_url(_IntgVerifier(), "GET", request.full_url, request.header_items())
        assert verdict.ok and verdict.mode == "header", verdict.reason

    def test_is_a_base_handler_built_without_importing_urllib_request_at_import(self):
        assert issubclass(ossign.SigningHandler, urllib.request.BaseHandler)
        assert ossign.SigningHandler is ossign.SigningHandler  # built once
        code = ("import sys, ossign; assert 'urllib.request' not in sys.modules; "
                "h = ossign.SigningHandler; assert 'urllib.request' in sys.modules; print(h.__module__)")  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code], cwd=str(HERE), capture_output=True, text=True,
                             timeout=30, env=_intg_scrubbed_env(HERE))  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ossign"


class TestIntgSignRequest:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_sign_request_then_plain_urlopen_with_body(self, intg_oss, intg_loop, version):
        request = urllib.request.Request(intg_loop.url + "/bucket/up.bin", data=b"\x00\x01", method="PUT")
        assert _intg_signer(version).sign_request(request) is request
        assert request.get_header("Content-type") == "application/x-www-form-urlencoded"
        assert _intg_urlopen(urllib.request.build_opener(), request)[0] == 200
        assert intg_oss.verdicts[0].ok and intg_loop.requests[0].body == b"\x00\x01"

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @pytest.mark.parametrize("method, data", [("GET", None), ("PUT", b"body")], ids=["get", "put-body"])
    def test_sign_request_with_expires_presigns_the_url(self, intg_oss, intg_loop, version, method, data):
        request = urllib.request.Request(intg_loop.url + "/bucket/k?versionId=v1", data=data, method=method)
        _intg_signer(version).sign_request(request, expires=60)
        assert request.get_header("Authorization") is None
        assert _intg_urlopen(urllib.request.build_opener(), request)[0] == 200
        assert (intg_oss.verdicts[0].ok, intg_oss.verdicts[0].mode) == (True, "query")
        assert intg_loop.requests[0].body == (data or b"")

    def test_signing_twice_leaves_one_set_of_signing_headers(self, intg_oss, intg_loop):
        request = urllib.request.Request(intg_loop.url + "/bucket/k", headers={"x-oss-meta-a": "1"})
        signer = _intg_signer("v4", TOKEN)
        signer.sign_request(request)
        signer.sign_request(request)
        names = [k.lower() for k, _ in request.header_items()]
        assert sorted(names) == ["authorization", "x-oss-content-sha256", "x-oss-date", "x-oss-meta-a",
                                 "x-oss-security-token"]  # fmt: skip
        intg_oss.token = TOKEN
        assert _intg_urlopen(urllib.request.build_opener(), request)[0] == 200 and intg_oss.verdicts[0].ok

    @pytest.mark.parametrize("expires", [0, 604801], ids=["zero", "over-7-days"])
    def test_failed_signing_leaves_request_unchanged(self, expires):
        request = urllib.request.Request("http://127.0.0.1:1/bucket/k", data=b"x", method="PUT")
        before = (request.full_url, sorted(request.header_items()))
        with pytest.raises(ossign.SigningError, match="expires"):
            _intg_signer().sign_request(request, expires=expires)
        assert (request.full_url, sorted(request.header_items())) == before


class TestIntgHttpClient:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @_INTG_TOKENS
    def test_put_with_headers_from_sign(self, intg_oss, intg_loop, version, token):
        intg_oss.token = token
        body = b"hello, oss"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        headers = {"Content-Type": "text/plain; charset=utf-8", "Content-MD5": md5, "X-Oss-Meta-Author": "Zhang San"}
        signed = _intg_signer(version, token).sign("PUT", intg_loop.url + "/bucket/%E4%B8%AD%E6%96%87/a~b.txt", headers)
        assert _intg_send(signed.url, "PUT", signed.headers, body)[0] == 200
        assert intg_oss.verdicts[0].ok, intg_oss.verdicts[0].reason
        assert intg_loop.requests[0].body == body

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_get_with_sub_resources_and_plain_parameters(self, intg_oss, intg_loop, version):
        query = "acl&response-content-type=text%2Fplain&prefix=a%20b%2F&marker=&x-oss-process=image%2Fresize%2Cw_1"
        signed = _intg_signer(version).sign("GET", intg_loop.url + "/bucket/k?" + query, {"Range": "bytes=0-9"})
        assert _intg_send(signed.url, "GET", signed.headers)[0] == 200
        assert intg_oss.verdicts[0].ok, intg_oss.verdicts[0].reason

    def test_bucket_level_request_path_style(self, intg_oss, intg_loop):
        signed = _intg_signer("v4").sign("GET", intg_loop.url + "/bucket?list-type=2")
        assert _intg_send(signed.url, "GET", signed.headers)[0] == 200
        assert intg_oss.verdicts[0].ok


class TestIntgPresignedUrl:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @_INTG_TOKENS
    def test_plain_urlopen_fetches_presigned_url(self, intg_oss, intg_loop, version, token):
        intg_oss.token = token
        intg_oss.objects["/bucket/a%20b/100%25%2B~.txt"] = b"shared"
        url = ossign.object_url("bucket", "a b/100%+~.txt", endpoint=intg_loop.url)
        presigned = _intg_signer(version, token).presign(url, expires=300)
        with urllib.request.urlopen(presigned, timeout=5) as response:
            assert response.read() == b"shared"
        assert (intg_oss.verdicts[0].ok, intg_oss.verdicts[0].version, intg_oss.verdicts[0].mode) == \
            (True, version, "query")  # fmt: skip

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_presigned_put_with_content_type(self, intg_oss, intg_loop, version):
        headers = {"Content-Type": "application/octet-stream"}
        presigned = _intg_signer(version).presign(intg_loop.url + "/bucket/up", method="PUT", headers=headers)
        request = urllib.request.Request(presigned, data=b"bytes", method="PUT", headers=headers)
        assert _intg_urlopen(urllib.request.build_opener(), request)[0] == 200
        assert intg_oss.verdicts[0].ok
        other = urllib.request.Request(presigned, data=b"bytes", method="PUT", headers={"Content-Type": "text/html"})
        assert _intg_urlopen(urllib.request.build_opener(), other)[0] == 403

    def test_presigned_url_for_other_method_is_rejected(self, intg_oss, intg_loop):
        presigned = _intg_signer().presign(intg_loop.url + "/bucket/k")
        assert _intg_urlopen(urllib.request.build_opener(),
                             urllib.request.Request(presigned, method="DELETE"))[0] == 403  # fmt: skip


# ==== requests / httpx auth hook (Signer.__call__) ============================


class _IntgCaseInsensitiveDict(MutableMapping):
    """The shape of requests.structures.CaseInsensitiveDict: keeps the last key's case."""

    def __init__(self, data=()):
        self._store = {}
        self.update(data)

    def __setitem__(self, key, value):
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key):
        return self._store[key.lower()][1]

    def __delitem__(self, key):
        del self._store[key.lower()]

    def __iter__(self):
        return (key for key, _ in self._store.values())

    def __len__(self):
        return len(self._store)


class _IntgPreparedRequest:
    """The shape of requests.PreparedRequest that an auth hook sees."""

    def __init__(self, method, url, headers=(), body=None):
        self.method = method
        self.url = url
        self.headers = _IntgCaseInsensitiveDict(headers)
        self.body = body


class _IntgHttpxURL:
    def __init__(self, url):
        self._url = url

    def __str__(self):
        return self._url


class _IntgHttpxHeaders(MutableMapping):
    """The shape of httpx.Headers: case-insensitive, iterates lower-case names."""

    def __init__(self, data=()):
        self._items = []
        for key, value in dict(data).items():
            self[key] = value

    def __setitem__(self, key, value):
        self._items = [(k, v) for k, v in self._items if k.lower() != key.lower()] + [(key, value)]

    def __getitem__(self, key):
        for k, v in self._items:
            if k.lower() == key.lower():
                return v
        raise KeyError(key)

    def __delitem__(self, key):
        kept = [(k, v) for k, v in self._items if k.lower() != key.lower()]
        if len(kept) == len(self._items):
            raise KeyError(key)
        self._items = kept

    def __iter__(self):
        return iter([k.lower() for k, _ in self._items])

    def __len__(self):
        return len(self._items)

    def raw(self):
        return list(self._items)


class _IntgHttpxRequest:
    def __init__(self, method, url, headers=(), content=b""):
        self.method = method
        self.url = _IntgHttpxURL(url)
        self.headers = _IntgHttpxHeaders(headers)
        self.content = content


class TestIntgAuthHook:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @_INTG_TOKENS
    def test_requests_like_request_is_signed_in_place(self, intg_oss, intg_loop, version, token):
        intg_oss.token = token
        request = _IntgPreparedRequest("PUT", intg_loop.url + "/bucket/a%20b", {
            "User-Agent": "python-requests/2", "Content-Type": "image/png", "X-Oss-Meta-A": "1",
            "Content-Length": "3"})  # fmt: skip
        assert _intg_signer(version, token)(request) is request
        assert request.url == intg_loop.url + "/bucket/a%20b" and request.method == "PUT"
        assert _intg_send(request.url, "PUT", dict(request.headers), b"png")[0] == 200
        assert intg_oss.verdicts[0].ok, intg_oss.verdicts[0].reason
        assert "AdditionalHeaders" not in request.headers["authorization"]

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_httpx_like_request_with_url_object(self, intg_oss, intg_loop, version):
        headers = {"host": "127.0.0.1", "x-oss-meta-b": "2"}
        request = _IntgHttpxRequest("GET", intg_loop.url + "/bucket/k?uploads", headers)
        assert _intg_signer(version)(request) is request
        headers = dict(request.headers.raw())
        headers.pop("host")  # http.client sends the real Host itself
        assert _intg_send(str(request.url), "GET", headers)[0] == 200
        assert intg_oss.verdicts[0].ok, intg_oss.verdicts[0].reason

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_stale_signing_headers_in_any_case_are_replaced(self, version):
        stale = {"AUTHORIZATION": "old", "X-OSS-DATE": "old", "X-Oss-Security-Token": "old"}
        stale.update({"X-Oss-Content-Sha256": "old"} if version == "v4" else {"date": "old"})
        for request in (_IntgPreparedRequest("GET", "http://127.0.0.1:1/bucket/k", stale),
                        _IntgHttpxRequest("GET", "http://127.0.0.1:1/bucket/k", stale)):  # fmt: skip
            _intg_signer(version, TOKEN)(request)
            names = [name.lower() for name in request.headers]
            assert len(names) == len(set(names)), names
            assert "old" not in list(request.headers.values())
            assert request.headers["authorization"] != "old"

    def test_additional_headers_of_the_signer_are_signed(self, intg_oss, intg_loop):
        request = _IntgPreparedRequest("GET", intg_loop.url + "/bucket/k", {"User-Agent": "ua/1", "Accept": "*/*"})
        _intg_signer("v4", additional_headers=["user-agent"])(request)
        assert "AdditionalHeaders=user-agent," in request.headers["Authorization"]
        assert _intg_send(request.url, "GET", dict(request.headers))[0] == 200 and intg_oss.verdicts[0].ok

    def test_unsignable_request_is_left_unchanged(self):
        request = _IntgPreparedRequest("GET", "http://127.0.0.1:1/bucket/k", {"X-Oss-Meta-A": "ü中"})
        with pytest.raises(ossign.SigningError, match="latin-1"):
            _intg_signer()(request)
        assert dict(request.headers) == {"X-Oss-Meta-A": "ü中"}

    def test_auth_hook_imports_neither_requests_nor_httpx(self):
        code = ("import sys, ossign\n"
                "class H(dict): pass\n"
                "class R: method = 'GET'; url = 'https://b-1.oss-cn-hangzhou.aliyuncs.com/k'; headers = H()\n"
                "s = ossign.Signer(None, ossign.StaticCredentialProvider('id', 'secret'))\n"
                "s(R())\n"
                "assert 'Authorization' in R.headers\n"
                "print(sorted(m for m in ('requests', 'httpx', 'urllib3') if m in sys.modules))\n")  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code], cwd=str(HERE), capture_output=True, text=True,
                             timeout=30, env=_intg_scrubbed_env(HERE))  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[]"

    def test_real_requests_put_and_get(self, intg_oss, intg_loop):
        requests = pytest.importorskip("requests")
        intg_oss.token = TOKEN
        signer = _intg_signer("v4", TOKEN)
        url = intg_loop.url + "/bucket/dir/a%20b.txt?versionId=null"
        with requests.Session() as session:
            response = session.put(url, data=b"via requests", auth=signer, timeout=5)
            assert response.status_code == 200, response.text
            response = session.get(url, auth=signer, timeout=5)
            assert response.status_code == 200 and response.content == b"via requests"
            response = session.post(intg_loop.url + "/bucket/form", data={"a": "1"}, auth=signer, timeout=5)
            assert response.status_code == 200
        assert [v.ok for v in intg_oss.verdicts] == [True, True, True]
        assert intg_loop.requests[2].headers["content-type"] == "application/x-www-form-urlencoded"

    def test_real_httpx_put_and_get(self, intg_oss, intg_loop):
        httpx = pytest.importorskip("httpx")
        signer = _intg_signer("v4")
        url = intg_loop.url + "/bucket/dir/a%20b.txt"
        with httpx.Client(auth=signer, timeout=5, trust_env=False) as client:
            assert client.put(url, content=b"via httpx").status_code == 200
            response = client.get(url)
            assert response.status_code == 200 and response.content == b"via httpx"
        assert [v.ok for v in intg_oss.verdicts] == [True, True]


# ==== object_url ============================================================


class TestIntgObjectUrl:
    @pytest.mark.parametrize("kwargs, expected", [
        ({"region": "cn-hangzhou"}, "https://b-1.oss-cn-hangzhou.aliyuncs.com/k"),
        ({"region": "oss-cn-hangzhou"}, "https://b-1.oss-cn-hangzhou.aliyuncs.com/k"),
        ({"region": "cn-hangzhou", "internal": True}, "https://b-1.oss-cn-hangzhou-internal.aliyuncs.com/k"),
        ({"region": "cn-hangzhou", "dualstack": True}, "https://b-1.cn-hangzhou.oss.aliyuncs.com/k"),
        ({"accelerate": True}, "https://b-1.oss-accelerate.aliyuncs.com/k"),
        ({"region": "cn-hangzhou", "path_style": True}, "https://oss-cn-hangzhou.aliyuncs.com/b-1/k"),
        ({"region": "cn-hangzhou", "scheme": "http"}, "http://b-1.oss-cn-hangzhou.aliyuncs.com/k"),
        ({"endpoint": "oss-eu-west-1.aliyuncs.com"}, "https://b-1.oss-eu-west-1.aliyuncs.com/k"),
        ({"endpoint": "https://files.example.com/"}, "https://b-1.files.example.com/k"),
        ({"endpoint": "b-1.oss-cn-beijing.aliyuncs.com"}, "https://b-1.oss-cn-beijing.aliyuncs.com/k"),
        ({"endpoint": "http://127.0.0.1:9000"}, "http://127.0.0.1:9000/b-1/k"),
        ({"endpoint": "localhost:9000", "scheme": "http"}, "http://localhost:9000/b-1/k"),
        ({"endpoint": "[::1]:9000"}, "https://[::1]:9000/b-1/k"),
    ], ids=["public", "oss-prefix", "internal", "dualstack", "accelerate", "path-style", "http", "endpoint",
            "endpoint-scheme", "endpoint-with-bucket", "ip-endpoint", "localhost", "ipv6"])  # fmt: skip
    def test_url_forms(self, kwargs, expected):
        assert ossign.object_url("b-1", "k", **kwargs) == expected

    @pytest.mark.parametrize("key, path", [
        ("a b.txt", "/a%20b.txt"),
        ("dir/中文.txt", "/dir/%E4%B8%AD%E6%96%87.txt"),
        ("a+b/100%/~t/#h?", "/a%2Bb/100%25/~t/%23h%3F"),
        ("odd!*'();:@&=$,[]", "/odd%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%5B%5D"),
        ("/lead//double/", "//lead//double/"),
        ("", "/"),
    ], ids=["space", "unicode", "reserved", "punctuation", "slashes", "bucket"])  # fmt: skip
    def test_key_is_quoted_once(self, key, path):
        url = ossign.object_url("b-1", key, "cn-hangzhou")
        assert url == "https://b-1.oss-cn-hangzhou.aliyuncs.com" + path
        assert urllib.parse.unquote(urllib.parse.urlsplit(url).path) == "/" + key

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    @pytest.mark.parametrize("style", ["virtual", "path", "internal", "dualstack"])
    def test_signatures_over_object_urls_verify(self, version, style):
        kwargs = {"path_style": style == "path", "internal": style == "internal", "dualstack": style == "dualstack"}
        url = ossign.object_url("bucket", "a b/中+%~.txt", "cn-hangzhou", **kwargs)
        signer = ossign.Signer("bucket", static(), region="cn-hangzhou", version=version)
        verifier = _IntgVerifier()
        assert _intg_check_url(verifier, "GET", signer.presign(url)).ok, verifier.verdicts
        signed = signer.sign("GET", url)
        verdict = _intg_check_url(verifier, "GET", url, signed.headers)
        assert verdict.ok, verdict.reason

    def test_presign_of_path_style_object_url_reaches_loopback(self, intg_oss, intg_loop):
        url = ossign.object_url("bucket", "sub dir/ü.txt", endpoint=intg_loop.url)
        assert url.startswith(intg_loop.url + "/bucket/sub%20dir/")
        assert _intg_send(_intg_signer().presign(url))[0] == 200 and intg_oss.verdicts[0].ok

    @pytest.mark.parametrize("args, kwargs, match", [
        (("Bad_Bucket", "k", "cn-hangzhou"), {}, "invalid bucket name"),
        (("b-1", "k"), {}, "needs a region or an endpoint"),
        (("b-1", "k", "cn hangzhou"), {}, "invalid region"),
        (("b-1", b"k", "cn-hangzhou"), {}, "key must be a str"),
        (("b-1", "\ud800", "cn-hangzhou"), {}, "not valid Unicode"),
        (("b-1", "k", "cn-hangzhou"), {"scheme": "ftp"}, "scheme must be http or https"),
        (("b-1", "k"), {"endpoint": "ftp://host"}, "scheme must be http or https"),
        (("b-1", "k"), {"endpoint": "host/path"}, "endpoint must be a host name"),
    ], ids=["bucket", "no-region", "bad-region", "bytes-key", "surrogate", "scheme", "endpoint-scheme",
            "endpoint-path"])  # fmt: skip
    def test_rejects_bad_input_with_signing_error(self, args, kwargs, match):
        with pytest.raises(ossign.SigningError, match=match):
            ossign.object_url(*args, **kwargs)


# ==== Command line ============================================================


def _intg_scrubbed_env(home, **extra):
    """A minimal environment: no ALIBABA_CLOUD_*/OSS_* variables, HOME elsewhere, no metadata service."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "SYSTEMROOT", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP")}  # fmt: skip
    env.update(HOME=str(home), USERPROFILE=str(home), NO_PROXY="127.0.0.1,localhost",
               ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
    env.update(extra)
    return env


@pytest.fixture
def intg_cli(monkeypatch, tmp_path, capsys):
    """Runs ``ossign.main(argv)`` in process -> (status, stdout, stderr), hermetic home and no metadata."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")

    def run(*argv):
        capsys.readouterr()
        status = ossign.main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def intg_keys(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)


def _intg_one_error_line(err):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ossign") and "error:" in lines[0], err
    assert "Traceback" not in err
    return lines[0]


_INTG_COMMANDS = {
    "presign": ["presign", "oss://bucket/a b.txt", "--region", "cn-hangzhou"],
    "sign": ["sign", "GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k"],
    "credentials": ["credentials"],
    "post-policy": ["post-policy", "oss://bucket/uploads/", "--region", "cn-hangzhou"],
}


class TestIntgCli:
    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_presign_prints_a_url_that_verifies(self, intg_cli, intg_keys, version):
        status, out, err = intg_cli("presign", "oss://bucket/dir/a b.txt", "--region", "cn-hangzhou",
                                    "--version", version, "--expires", "120")  # fmt: skip
        assert (status, err) == (0, "")
        url = out.strip()
        assert url.startswith("https://bucket.oss-cn-hangzhou.aliyuncs.com/dir/a%20b.txt?")
        verdict = _intg_check_url(_IntgVerifier(token=TOKEN), "GET", url)
        assert (verdict.ok, verdict.version, verdict.mode) == (True, version, "query"), verdict.reason

    def test_presign_put_with_header_and_endpoint(self, intg_cli, intg_keys):
        status, out, _ = intg_cli("presign", "oss://bucket/up.bin",
                                  "--endpoint", "oss-cn-hangzhou-internal.aliyuncs.com",
                                  "--method", "PUT", "--header", "Content-Type: application/octet-stream")  # fmt: skip
        assert status == 0
        url = out.strip()
        assert url.startswith("https://bucket.oss-cn-hangzhou-internal.aliyuncs.com/up.bin?")
        verifier = _IntgVerifier(token=TOKEN)
        assert _intg_check_url(verifier, "PUT", url, {"Content-Type": "application/octet-stream"}).ok
        assert not _intg_check_url(verifier, "PUT", url, {"Content-Type": "text/plain"}).ok

    def test_presigned_url_from_cli_is_fetched_from_loopback(self, intg_cli, intg_keys, intg_oss, intg_loop):
        intg_oss.token = TOKEN
        status, out, _ = intg_cli("presign", "oss://bucket/k.txt", "--endpoint", intg_loop.url,
                                  "--region", "cn-hangzhou")  # fmt: skip
        assert status == 0 and out.startswith(intg_loop.url + "/bucket/k.txt?")
        assert _intg_send(out.strip())[0] == 200 and intg_oss.verdicts[0].ok

    @pytest.mark.parametrize("version", _INTG_VERSIONS)
    def test_sign_headers_format_sends_correctly(self, intg_cli, intg_keys, intg_oss, intg_loop, version):
        intg_oss.token = TOKEN
        url = intg_loop.url + "/bucket/k?acl"
        status, out, err = intg_cli("sign", "PUT", url, "--region", "cn-hangzhou", "--bucket", "bucket",
                                    "--version", version, "-H", "Content-Type: text/plain")  # fmt: skip
        assert (status, err) == (0, "")
        headers = dict(line.split(": ", 1) for line in out.splitlines())
        assert headers["Content-Type"] == "text/plain" and "Authorization" in headers
        assert _intg_send(url, "PUT", headers, b"body")[0] == 200
        assert intg_oss.verdicts[0].ok, intg_oss.verdicts[0].reason

    def test_sign_json_format(self, intg_cli, intg_keys):
        url = "https://bucket.oss-cn-hangzhou.aliyuncs.com/?acl"
        status, out, _ = intg_cli("sign", "get", url, "--version", "v1", "--format", "json")
        assert status == 0
        data = json.loads(out)
        assert (data["method"], data["url"]) == ("GET", url)
        assert _intg_check_url(_IntgVerifier(token=TOKEN), "GET", data["url"], data["headers"]).ok

    def test_sign_curl_format_is_a_runnable_command_line(self, intg_cli, intg_keys):
        url = "https://bucket.oss-cn-hangzhou.aliyuncs.com/a%20b?x=1&y=2"
        status, out, _ = intg_cli("sign", "PUT", url, "--format", "curl", "-H", "x-oss-meta-q: it's")
        assert status == 0
        argv = shlex.split(out)
        assert argv[:3] == ["curl", "-X", "PUT"] and argv[-1] == url
        headers = [argv[i + 1].split(": ", 1) for i, a in enumerate(argv) if a == "-H"]
        assert ["x-oss-meta-q", "it's"] in headers
        assert _intg_check_url(_IntgVerifier(token=TOKEN), "PUT", url, headers).ok

    def test_credentials_shows_source_masked_id_and_expiration_only(self, intg_cli, intg_keys):
        status, out, err = intg_cli("credentials")
        assert (status, err) == (0, "")
        assert out.splitlines() == ["source: env", "access_key_id: ****" + KEY_ID[-4:], "security_token: yes",
                                    "expiration: never"]  # fmt: skip
        assert_no_secret(out)

    def test_credentials_profile_selects_profile_in_files(self, intg_cli, tmp_path):
        (tmp_path / ".oss").mkdir()
        (tmp_path / ".oss" / "credentials").write_text(
            "[default]\naccess_key_id = LTAIdefault0000\naccess_key_secret = s1\n\n"
            "[ci]\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET))  # fmt: skip
        status, out, _ = intg_cli("credentials")
        assert status == 0 and "****0000" in out
        status, out, _ = intg_cli("credentials", "--profile", "ci")
        assert status == 0
        assert "source: oss_profile" in out and "****" + KEY_ID[-4:] in out
        assert_no_secret(out)

    def test_credentials_with_expiration(self, intg_cli, monkeypatch, tmp_path, intg_loop):
        expiration = "2099-01-02T03:04:05Z"
        intg_loop.routes[("GET", "/creds")] = (200, {}, {"Code": "Success", "AccessKeyId": KEY_ID,
                                                         "AccessKeySecret": SECRET, "SecurityToken": TOKEN,
                                                         "Expiration": expiration})  # fmt: skip
        monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", intg_loop.url + "/creds")
        status, out, err = intg_cli("credentials", "--debug")
        assert status == 0
        assert "source: credentials_uri" in out and "expiration: " + expiration in out
        assert_no_secret(out + err)

    @pytest.mark.parametrize("command", sorted(_INTG_COMMANDS))
    def test_debug_shows_resolution_without_secrets(self, intg_cli, intg_keys, command):
        status, out, err = intg_cli(*_INTG_COMMANDS[command] + ["--debug"])
        assert status == 0, err
        assert "env: resolved" in err and "assume_role: not configured" in err
        assert_no_secret(err)
        assert SECRET not in out
        if command == "credentials":
            assert_no_secret(out)

    def test_debug_leaves_the_logger_as_it_was(self, intg_cli, intg_keys):
        import logging

        log = logging.getLogger("ossign")
        before = (log.level, list(log.handlers))
        assert intg_cli("credentials", "--debug")[0] == 0
        assert (log.level, list(log.handlers)) == before

    @pytest.mark.parametrize("command", sorted(_INTG_COMMANDS))
    def test_no_credentials_is_exit_1_with_one_line(self, intg_cli, command):
        status, out, err = intg_cli(*_INTG_COMMANDS[command])
        assert (status, out) == (1, "")
        line = _intg_one_error_line(err)
        assert "no credentials found" in line and "env: not configured" in line

    @pytest.mark.parametrize("command", sorted(_INTG_COMMANDS))
    def test_broken_source_error_does_not_leak(self, intg_cli, monkeypatch, command):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)  # the secret is missing
        status, out, err = intg_cli(*_INTG_COMMANDS[command] + ["--debug"])
        assert (status, out) == (1, "")
        assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in err.splitlines()[-1]
        _intg_one_error_line(err.splitlines()[-1])
        assert_no_secret(err)

    @pytest.mark.parametrize("argv, match", [
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "0"], "at least 1 second"),
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "604801"], "at most 604800"),
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "-5"], "at least 1 second"),
        (["presign", "oss://bucket/k"], "needs a region"),
        (["presign", "s3://bucket/k", "--region", "cn-hangzhou"], "oss://BUCKET/KEY"),
        (["presign", "oss://Bad_Bucket/k", "--region", "cn-hangzhou"], "invalid bucket name"),
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "-H", "no colon"], "--header"),
        (["sign", "GET", "notaurl", "--region", "cn-hangzhou"], "URL must start with"),
        (["sign", "GET", "notaurl"], "URL must start with"),
        (["sign", "GET", "https://127.0.0.1:99999/bucket/k", "--region", "cn-hangzhou"], "invalid port"),
        (["sign", "GET", "https:///k", "--region", "cn-hangzhou"], "no host"),
        (["sign", "G ET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k"], "method"),
        (["sign", "GET", "https://files.example.com/k"], "needs a region"),
    ], ids=["expires-zero", "expires-v4-max", "expires-negative", "no-region", "not-oss-url", "bad-bucket",
            "bad-header", "bad-url", "bad-url-no-region", "bad-port", "no-host", "bad-method",
            "custom-host"])  # fmt: skip
    def test_signing_errors_are_exit_1_with_one_line(self, intg_cli, intg_keys, argv, match):
        status, out, err = intg_cli(*argv)
        assert (status, out) == (1, "")
        assert match in _intg_one_error_line(err)
        assert_no_secret(err)

    @pytest.mark.parametrize("argv, match", [
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "abc"], "invalid int value"),
        (["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "1.5"], "invalid int value"),
        (["presign", "oss://bucket/k", "--nope"], "unrecognized arguments"),
        (["presign"], "required"),
        (["sign", "GET"], "required"),
        (["sign", "GET", "https://b-1.oss-cn-hangzhou.aliyuncs.com/k", "--format", "xml"], "invalid choice"),
        (["presign", "oss://bucket/k", "--version", "v3"], "invalid choice"),
        (["bogus"], "invalid choice"),
        ([], "required"),
    ], ids=["expires-text", "expires-float", "unknown-option", "presign-no-target", "sign-no-url", "bad-format",
            "bad-version", "unknown-command", "no-command"])  # fmt: skip
    def test_usage_errors_are_exit_2_with_one_line(self, intg_cli, intg_keys, argv, match):
        status, out, err = intg_cli(*argv)
        assert (status, out) == (2, "")
        assert match in _intg_one_error_line(err)

    @pytest.mark.parametrize("command", [None] + sorted(_INTG_COMMANDS))
    def test_help_for_each_command(self, intg_cli, command):
        status, out, err = intg_cli(*([command] if command else []) + ["--help"])
        assert (status, err) == (0, "")
        assert out.startswith("usage: ossign" + (" " + command if command else ""))
        if command is None:
            assert all(name in out for name, _ in ossign.ENVIRONMENT_VARIABLES)
            assert all(name in out for name in _INTG_COMMANDS)
        elif command != "credentials":
            assert "--region" in out and "--version" in out

    def test_version_option(self, intg_cli):
        assert intg_cli("--version") == (0, "ossign %s\n" % ossign.__version__, "")


class TestIntgCliSubprocess:
    """``python -m ossign``, ``python ossign.py`` and the console script's entry point, in a scrubbed env."""

    _FORMS = {
        "module": ["-m", "ossign"],
        "script": ["ossign.py"],
        "entry-point": ["-c", "import sys, ossign; sys.argv[0] = 'ossign'; sys.exit(ossign.main())"],
    }

    def _run(self, form, args, home, **env):
        return subprocess.run([sys.executable] + self._FORMS[form] + list(args), cwd=str(HERE), capture_output=True,
                              text=True, timeout=30, env=_intg_scrubbed_env(home, **env))  # fmt: skip

    def test_console_script_is_declared(self):
        text = (HERE / "setup.cfg").read_text()
        assert re.search(r"console_scripts\s*=\s*\n\s*ossign\s*=\s*ossign:main", text)

    @pytest.mark.parametrize("form", sorted(_FORMS))
    def test_presign_smoke(self, form, tmp_path):
        out = self._run(form, ["presign", "oss://bucket/k.txt", "--region", "cn-hangzhou"], tmp_path,
                        ALIBABA_CLOUD_ACCESS_KEY_ID=KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET)  # fmt: skip
        assert (out.returncode, out.stderr) == (0, "")
        assert _intg_check_url(_IntgVerifier(), "GET", out.stdout.strip()).ok
        assert SECRET not in out.stdout

    @pytest.mark.parametrize("form", ["module", "script"])
    def test_credentials_smoke_never_prints_secrets(self, form, tmp_path):
        out = self._run(form, ["credentials", "--debug"], tmp_path, ALIBABA_CLOUD_ACCESS_KEY_ID=KEY_ID,
                        ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET, ALIBABA_CLOUD_SECURITY_TOKEN=TOKEN)  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "source: env" in out.stdout and "debug: env: resolved" in out.stderr
        assert_no_secret(out.stdout + out.stderr)

    @pytest.mark.parametrize("form, args, status", [
        ("module", ["presign", "oss://bucket/k", "--region", "cn-hangzhou"], 1),
        ("script", ["presign", "oss://bucket/k", "--region", "cn-hangzhou", "--expires", "soon"], 2),
        ("entry-point", ["sign", "GET", "not a url"], 1),
    ], ids=["no-credentials-module", "bad-expires-script", "bad-url-entry-point"])  # fmt: skip
    def test_error_smoke_one_line_no_traceback(self, form, tmp_path, args, status):
        out = self._run(form, args, tmp_path)
        assert (out.returncode, out.stdout) == (status, "")
        _intg_one_error_line(out.stderr)

    def test_help_smoke(self, tmp_path):
        out = self._run("script", ["sign", "--help"], tmp_path)
        assert out.returncode == 0 and out.stdout.startswith("usage: ossign sign")


# ==== README ================================================================

_INTG_README = HERE / "README.md"
_INTG_README_SECTIONS = {"<!-- cache -->": "Credential cache", "<!-- post-policy -->": "Browser uploads (POST policy)",
                         "<!-- performance -->": "Performance"}  # fmt: skip
_INTG_QUICK_ID, _INTG_QUICK_SECRET = "LTAI5tExampleKeyId", "ExampleSecret"


def _intg_readme_blocks(lang):
    """[(heading, code)] of every ```lang block, with the nearest heading above it.

    Blocks inside the sections merged at the README's markers (credential cache,
    POST policy, performance) are left to the tests of those sections.
    """
    blocks, stack, inside, lines = [], [], None, []
    for line in _INTG_README.read_text(encoding="utf-8").splitlines():
        if inside is None and line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            stack = [(lv, title) for lv, title in stack if lv < level] + [(level, line.lstrip("#").strip())]
        elif inside is None and line.startswith("```"):
            inside, lines = line[3:].strip(), []
        elif inside is not None and line.startswith("```"):
            merged = any(title in _INTG_README_SECTIONS.values() for _, title in stack)
            if inside == lang and not merged:
                blocks.append((stack[-1][1] if stack else None, "\n".join(lines) + "\n"))
            inside = None
        elif inside is not None:
            lines.append(line)
    return blocks


def _intg_readme_commands():
    """Every shell command of the README (continuation lines joined)."""
    commands = []
    for heading, code in _intg_readme_blocks("sh"):
        for line in code.replace("\\\n", " ").splitlines():
            if line.strip() and not line.strip().startswith("#"):
                commands.append((heading, line.strip()))
    return commands


#: README commands that are not run here, and why.
_INTG_NOT_RUN = {
    "pip install .": "needs the package index for the build backend",
    "python -m pytest": "this is that run",
}


def _intg_run_command(command, home):
    words = shlex.split(command)
    env = _intg_scrubbed_env(home, ALIBABA_CLOUD_ACCESS_KEY_ID=_INTG_QUICK_ID,
                             ALIBABA_CLOUD_ACCESS_KEY_SECRET=_INTG_QUICK_SECRET)  # fmt: skip
    while re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "python", command
    return subprocess.run([sys.executable] + words[1:], cwd=str(HERE), capture_output=True, text=True,
                          timeout=30, env=env)  # fmt: skip


def _intg_quick_verifier(**kwargs):
    return _IntgVerifier(bucket="my-bucket", keys={_INTG_QUICK_ID: _INTG_QUICK_SECRET}, **kwargs)


@pytest.fixture
def intg_readme_env(monkeypatch, tmp_path):
    """os.environ as a README reader would have it: keys in the environment, no metadata service."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    return monkeypatch


def _intg_route_object_urls(monkeypatch, server):
    """Send the README's object_url(...) requests to the loopback OSS instead of aliyuncs.com."""
    real = ossign.object_url

    def to_loopback(bucket, key="", region=None, **kwargs):
        assert region == "cn-hangzhou" and not kwargs
        return real(bucket, key, endpoint=server.url)

    monkeypatch.setattr(ossign, "object_url", to_loopback)


def _intg_exec(code, heading):
    namespace = {"__name__": "readme"}
    exec(compile(code, "README.md (%s)" % heading, "exec"), namespace)
    return namespace


def _intg_sts_route(server, expected_action):
    """Make ``server`` an STS that answers one action with one-hour temporary credentials."""
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))

    def sts(request, handler):
        action = request.query.get("Action", [""])[0]
        if action != expected_action:
            return 400, {}, {"Code": "InvalidAction", "Message": action, "RequestId": "r-1"}
        return 200, {}, {"RequestId": "r-1", "Credentials": {
            "AccessKeyId": "STS.readme0001", "AccessKeySecret": "sts-secret", "SecurityToken": "sts-token",
            "Expiration": expiration}}  # fmt: skip

    server.routes[("GET", "/")] = sts


def _intg_sts_verifier():
    return _IntgVerifier(bucket="my-bucket", keys={"STS.readme0001": "sts-secret"}, token="sts-token")


def _intg_snippet_urllib(code, heading, mp, tmp_path, capsys, server):
    verifier = _IntgVerifier(bucket="my-bucket").attach(server)
    _intg_route_object_urls(mp, server)
    ns = _intg_exec(code, heading)
    assert capsys.readouterr().out == "200\n"
    assert ns["data"] == b"id,total\n1,42\n"
    assert [(r.method, r.path) for r in server.requests] == [("PUT", "/my-bucket/reports/2024%20Q1.csv"),
                                                             ("GET", "/my-bucket/reports/2024%20Q1.csv")]  # fmt: skip
    assert [v.ok for v in verifier.verdicts] == [True, True]


def _intg_snippet_http_library(module):
    def run(code, heading, mp, tmp_path, capsys, server):
        pytest.importorskip(module)
        verifier = _IntgVerifier(bucket="my-bucket").attach(server)
        _intg_route_object_urls(mp, server)
        ns = _intg_exec(code, heading)
        if "photo" in ns and module == "requests":
            assert ns["photo"] == b"\xff\xd8 not really a jpeg"
        assert ns["response"].status_code == 200
        assert verifier.verdicts and all(v.ok for v in verifier.verdicts), verifier.verdicts
        assert all(r.path == "/my-bucket/photos/cat.jpg" for r in server.requests)

    return run


def _intg_snippet_handler(code, heading, mp, tmp_path, capsys, server):
    mp.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    ns = _intg_exec(code, heading)
    for key in ("in/a b.txt", "中文/ü.pdf"):
        result = ns["handler"]({"key": key}, None)
        assert result["statusCode"] == 200
        url = result["body"]
        assert url.startswith(ossign.object_url("my-bucket", key, "cn-hangzhou") + "?")
        assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["x-oss-expires"] == "600"
        verdict = _intg_check_url(_IntgVerifier(bucket="my-bucket", token=TOKEN), "GET", url)
        assert verdict.ok, verdict.reason


def _intg_snippet_ecs(code, heading, mp, tmp_path, capsys, server):
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 6 * 3600))

    def role(request, handler):
        if request.headers.get("x-aliyun-ecs-metadata-token") != "imds-token":
            return 401, {}, "token required"
        return 200, {}, {"Code": "Success", "AccessKeyId": "STS.readme0001", "AccessKeySecret": "sts-secret",
                         "SecurityToken": "sts-token", "Expiration": expiration}  # fmt: skip

    server.routes[("PUT", "/latest/api/token")] = (200, {}, "imds-token")
    server.routes[("GET", "/latest/meta-data/ram/security-credentials/my-ecs-role")] = role
    for name in ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):  # fmt: skip
        mp.delenv(name)
    mp.setenv("ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT", server.url)
    ns = _intg_exec(code, heading)
    url = ns["signer"].presign(ossign.object_url("my-bucket", "k", "cn-hangzhou"), expires=600)
    out = capsys.readouterr().out
    assert "****0001" in out
    assert_no_secret(out, "STS.readme0001", "sts-secret", "sts-token")
    assert [(r.method, r.path) for r in server.requests] == [
        ("PUT", "/latest/api/token"), ("GET", "/latest/meta-data/ram/security-credentials/my-ecs-role")]
    assert server.requests[0].headers["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
    assert _intg_check_url(_intg_sts_verifier(), "GET", url).ok


def _intg_snippet_rrsa(code, heading, mp, tmp_path, capsys, server):
    token_file = tmp_path / "oidc-token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.pod-token.sig\n")
    _intg_sts_route(server, "AssumeRoleWithOIDC")
    mp.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")  # a pod has no keys of its own
    mp.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    mp.setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::123456789012:role/pod-role")
    mp.setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::123456789012:oidc-provider/ack-rrsa-c1")
    mp.setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", str(token_file))
    mp.setenv("ALIBABA_CLOUD_STS_ENDPOINT", server.url)
    ns = _intg_exec(code, heading)
    (call,) = server.requests
    assert call.query["OIDCToken"] == ["eyJhbGciOiJSUzI1NiJ9.pod-token.sig"]
    assert call.query["RoleArn"] == ["acs:ram::123456789012:role/pod-role"]
    assert _intg_check_url(_intg_sts_verifier(), "GET", ns["url"]).ok


def _intg_snippet_assume_role(code, heading, mp, tmp_path, capsys, server):
    _intg_sts_route(server, "AssumeRole")
    mp.setenv("ALIBABA_CLOUD_STS_ENDPOINT", server.url)
    ns = _intg_exec(code, heading)
    (call,) = server.requests
    params = urllib.parse.parse_qsl(call.path.partition("?")[2], keep_blank_values=True)
    fields = dict(params)
    assert (fields["RoleArn"], fields["RoleSessionName"], fields["AccessKeyId"]) == \
        ("acs:ram::123456789012:role/oss-reader", "nightly-report", KEY_ID)  # fmt: skip
    # The RPC signature (SPEC 5.1), recomputed with the base secret.
    signature = fields.pop("Signature")
    canonical = "&".join(_intg_u(k) + "=" + _intg_u(v) for k, v in sorted(fields.items()))
    digest = hmac.new((SECRET + "&").encode(), ("GET&%2F&" + _intg_u(canonical)).encode(), hashlib.sha1).digest()
    assert base64.b64encode(digest).decode() == signature
    assert _intg_check_url(_intg_sts_verifier(), "GET", ns["url"]).ok


def _intg_snippet_versions(code, heading, mp, tmp_path, capsys, server):
    ns = _intg_exec(code, heading)
    assert capsys.readouterr().out == ns["signed"].headers["Authorization"] + "\n"
    assert ns["signed"].headers["Authorization"].startswith("OSS %s:" % KEY_ID)
    verifier = _IntgVerifier(bucket="my-bucket")
    for name, version in (("v1", "v1"), ("v2", "v2"), ("v4", "v4")):
        url = "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/file.txt"
        headers = {"Range": "bytes=0-1", "x-oss-meta-a": "1"}
        signed = ns[name].sign("GET", url, headers)
        verdict = _intg_check_url(verifier, "GET", url, signed.headers)
        assert (verdict.ok, verdict.version) == (True, version), verdict.reason
        presigned = ns[name].presign(url)
        assert _intg_check_url(verifier, "GET", presigned).version == version


def _intg_snippet_browser(code, heading, mp, tmp_path, capsys, server):
    url = _intg_exec(code, heading)["url"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["response-content-disposition"] == 'attachment; filename="Q1 report.pdf"'
    assert query["x-oss-expires"] == "900"
    assert _intg_check_url(_IntgVerifier(bucket="my-bucket"), "GET", url).ok


def _intg_snippet_errors(code, heading, mp, tmp_path, capsys, server):
    ns = _intg_exec(code, heading)
    assert "url" not in ns
    assert capsys.readouterr().out.startswith("cannot sign: expires must be at most 604800 seconds")
    mp.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")  # now the credential branch
    code = code.replace("expires=8 * 24 * 3600", "expires=60")
    ns = _intg_exec(code, heading)
    out = capsys.readouterr().out
    assert out.startswith("no credentials: ") and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in out
    assert_no_secret(out)


def _intg_snippet_own_chain(code, heading, mp, tmp_path, capsys, server):
    ns = _intg_exec(code, heading)
    providers = ns["provider"].providers
    assert isinstance(providers[0], ossign.ProcessCredentialProvider)
    assert providers[0].argv == ["vault-aliyun-creds", "--json"] and providers[0].timeout == 5
    assert not any(isinstance(p, ossign.EcsRamRoleCredentialProvider) for p in providers)
    assert ns["signer"].context.timeout == 1.0 and ns["signer"].provider.provider is ns["provider"]


_INTG_SNIPPET_RUNNERS = {
    "A credential command, your own chain, and the hooks": _intg_snippet_own_chain,
    "urllib: sign every request of an opener": _intg_snippet_urllib,
    "requests": _intg_snippet_http_library("requests"),
    "httpx": _intg_snippet_http_library("httpx"),
    "Function Compute and Lambda handlers": _intg_snippet_handler,
    "ECS instance RAM role": _intg_snippet_ecs,
    "ACK: RAM Roles for Service Accounts (RRSA, OIDC)": _intg_snippet_rrsa,
    "AssumeRole": _intg_snippet_assume_role,
    "Choosing V1, V2 or V4": _intg_snippet_versions,
    "Presigned download links for browsers": _intg_snippet_browser,
    "Errors": _intg_snippet_errors,
}


class TestIntgReadme:
    def test_structure_quick_start_first_and_placeholders(self):
        text = _INTG_README.read_text(encoding="utf-8")
        for marker, section in _INTG_README_SECTIONS.items():  # a marker, or the section merged there
            assert text.count(marker) == 1 or re.search(r"^#+ %s$" % re.escape(section), text, re.M), marker
        quick = text.index("python ossign.py presign oss://my-bucket/file.txt --region cn-hangzhou")
        assert quick < text.index("python -m pytest") < text.index("## Recipes")
        assert text.index("pip install .") < quick
        headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("## ")]
        required = ["Install", "The two commands to try first", "Recipes", "Command line", "Errors",
                    "Environment variables"]  # fmt: skip
        assert [h for h in headings if h in required] == required

    def test_environment_table_lists_exactly_environment_variables(self):
        text = _INTG_README.read_text(encoding="utf-8")
        section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
        names = re.findall(r"^\| `([A-Z0-9_]+)` \|", section, re.M)
        assert len(names) == len(set(names))
        assert set(names) == {name for name, _ in ossign.ENVIRONMENT_VARIABLES}

    def test_environment_variables_constant_covers_every_name_the_module_reads(self):
        source = (HERE / "ossign.py").read_text(encoding="utf-8")
        literals = set(re.findall(r"[\"']((?:ALIBABA_CLOUD|OSS)_[A-Z0-9_]+)[\"']", source))
        assert literals == {name for name, _ in ossign.ENVIRONMENT_VARIABLES}

    def test_every_shell_command_is_run_or_explained(self):
        commands = [command for _, command in _intg_readme_commands()]
        assert set(_INTG_NOT_RUN) <= set(commands)
        assert len(commands) > len(_INTG_NOT_RUN) + 5

    def test_quick_start_presign_runs_as_written(self, tmp_path):
        command = next(c for _, c in _intg_readme_commands() if "presign oss://my-bucket/file.txt" in c)
        assert command.startswith("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s python ossign.py "
                                  % (_INTG_QUICK_ID, _INTG_QUICK_SECRET))  # fmt: skip
        out = _intg_run_command(command, tmp_path)
        assert (out.returncode, out.stderr) == (0, "")
        url = out.stdout.strip()
        parts = urllib.parse.urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == \
            ("https", "my-bucket.oss-cn-hangzhou.aliyuncs.com", "/file.txt")  # fmt: skip
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["x-oss-signature-version"] == "OSS4-HMAC-SHA256" and query["x-oss-expires"] == "3600"
        assert re.match(r"^%s/\d{8}/cn-hangzhou/oss/aliyun_v4_request$" % _INTG_QUICK_ID, query["x-oss-credential"])
        assert _intg_check_url(_intg_quick_verifier(), "GET", url).ok

    @pytest.mark.parametrize("command", [c for _, c in _intg_readme_commands() if c not in _INTG_NOT_RUN
                                         and "presign oss://my-bucket/file.txt --region" not in c])  # fmt: skip
    def test_cli_command_runs(self, command, intg_cli, monkeypatch):
        # The same argv and environment as the command line, through ossign.main in this process
        # (the subprocess forms are smoke-tested above; the quick start runs in a subprocess).
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", _INTG_QUICK_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", _INTG_QUICK_SECRET)
        words = shlex.split(command)
        assert words[:2] in (["python", "ossign.py"], ["python", "-m"]), command
        status, stdout, stderr = intg_cli(*words[3 if words[1] == "-m" else 2:])
        out = subprocess.CompletedProcess(words, status, stdout, stderr)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip()
        assert _INTG_QUICK_SECRET not in out.stdout + out.stderr
        if "--debug" in command:
            assert "debug: env: resolved" in out.stderr
        else:
            assert out.stderr == ""
        if "--help" in command:
            return
        if " credentials" in command:
            assert "source: env" in out.stdout and _INTG_QUICK_ID not in out.stdout + out.stderr
            return
        verifier = _intg_quick_verifier()
        if " presign " in command:
            headers = dict(h.split(": ", 1) for h in re.findall(r"--header '([^']+)'", command))
            method = (re.findall(r"--method (\w+)", command) or ["GET"])[0]
            verdict = _intg_check_url(verifier, method, out.stdout.strip(), headers)
        else:
            words = shlex.split(command)
            method, url = words[words.index("sign") + 1:words.index("sign") + 3]
            if "--format json" in command:
                data = json.loads(out.stdout)
                verdict = _intg_check_url(verifier, data["method"], data["url"], data["headers"])
            elif "--format curl" in command:
                argv = shlex.split(out.stdout)
                headers = [argv[i + 1].split(": ", 1) for i, a in enumerate(argv) if a == "-H"]
                verdict = _intg_check_url(verifier, argv[2], argv[-1], headers)
            else:
                headers = [line.split(": ", 1) for line in out.stdout.splitlines()]
                verdict = _intg_check_url(verifier, method, url, headers)
        assert verdict.ok, verdict.reason

    def test_every_python_snippet_has_a_runner(self):
        headings = [heading for heading, _ in _intg_readme_blocks("python")]
        assert sorted(headings) == sorted(_INTG_SNIPPET_RUNNERS)
        assert [heading for heading, _ in _intg_readme_blocks("pycon")] == ["Building URLs: `object_url`"]

    def test_object_url_examples_pass_as_doctests(self):
        (heading, code), = _intg_readme_blocks("pycon")
        test = doctest.DocTestParser().get_doctest(code, {}, heading, "README.md", 0)
        runner = doctest.DocTestRunner()
        failures = []
        runner.run(test, out=failures.append)
        assert runner.failures == 0, "".join(failures)
        assert runner.tries == 7

    @pytest.mark.parametrize("heading", sorted(_INTG_SNIPPET_RUNNERS))
    def test_python_snippet_runs(self, heading, intg_readme_env, tmp_path, capsys, intg_loop):
        (code,) = [code for h, code in _intg_readme_blocks("python") if h == heading]
        _INTG_SNIPPET_RUNNERS[heading](code, heading, intg_readme_env, tmp_path, capsys, intg_loop)


class _IntgStsOpener:
    """An injected opener that answers every call as STS does, and records the actions."""

    def __init__(self):
        self.actions = []

    def open(self, request, timeout=None):
        import io
        import urllib.response

        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.full_url).query))
        self.actions.append((query.get("Action"), query.get("AccessKeyId"), query.get("RoleArn")))
        body = json.dumps({"RequestId": "r", "Credentials": {
            "AccessKeyId": "STS.assumed%d" % len(self.actions), "AccessKeySecret": "assumed-secret",
            "SecurityToken": "assumed-token", "Expiration": "2030-01-01T00:00:00Z"}}).encode()
        response = urllib.response.addinfourl(io.BytesIO(body), {}, request.full_url, 200)
        return response


class TestIntgReadmeProfiles:
    """The profile files shown in the README resolve as the README says."""

    def _blocks(self, lang):
        return [code for heading, code in _intg_readme_blocks(lang)
                if heading == "Profiles that assume a role, use the instance role or run a command"]

    def test_config_json_example_resolves_every_mode(self):
        (text,) = self._blocks("json")
        files = FakeFiles({"/home/u/.aliyun/config.json": text.encode()})
        opener = _IntgStsOpener()
        ran = []

        def run(argv, timeout):
            ran.append(argv)
            return 0, json.dumps({"mode": "AK", "access_key_id": "LTAI5tFromVault", "access_key_secret": "v"}).encode(), b""

        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u", opener=opener, run_command=run,
                                 clock=FakeClock())  # fmt: skip
        expected = {"base": ("LTAI5tExampleKeyId", []),
                    "deploy": ("STS.assumed1", [("AssumeRole", "LTAI5tExampleKeyId", "acs:ram::123456789012:role/deployer")]),
                    "admin": ("STS.assumed1", [("AssumeRole", "LTAI5tExampleKeyId", "acs:ram::123456789012:role/admin")]),
                    "vault": ("LTAI5tFromVault", [])}  # fmt: skip
        for profile, (key_id, actions) in expected.items():
            opener.actions.clear()
            got = ossign.ConfigFileCredentialProvider(profile=profile).provide(context)
            assert got.access_key_id == key_id, profile
            assert opener.actions == actions, profile
        assert ran == [["vault-aliyun-creds", "--json"]]
        opener.actions.clear()
        assert ossign.ConfigFileCredentialProvider().provide(context).access_key_id == "STS.assumed1"  # current
        assert opener.actions[0][2].endswith("role/deployer")

    def test_credentials_ini_example_resolves(self):
        (text,) = self._blocks("ini")
        files = FakeFiles({"/home/u/.alibabacloud/credentials.ini": text.encode()})
        opener = _IntgStsOpener()
        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u", opener=opener, clock=FakeClock())
        assert ossign.CredentialsFileCredentialProvider().provide(context).access_key_id == "LTAI5tExampleKeyId"
        deployer = ossign.CredentialsFileCredentialProvider(profile="deployer").provide(context)
        assert deployer.access_key_id == "STS.assumed1" and opener.actions[0][2].endswith("role/deployer")
