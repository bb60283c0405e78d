"""Network credential sources: credentials URI, ECS metadata, STS AssumeRole and AssumeRoleWithOIDC, role-based profiles."""  # noqa: E501
import base64
import hashlib
import hmac
import io
import json
import re
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

import ossign
from test_ossign import _hermetic_environment, FakeClock, FakeFiles, LoopbackServer, loopback, free_port, static, assert_no_secret, SECRET, TOKEN, KEY_ID  # noqa: F401,E501

_NET_UTC = timezone.utc
_NET_NOW = 1700000000  # FakeClock's default: 2023-11-14T22:13:20Z
_NET_ROLE = "acs:ram::123456789012:role/test-role"
_NET_OIDC_PROVIDER = "acs:ram::123456789012:oidc-provider/ack-rrsa-c1"
_NET_OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.oidc-token-one.sig"
_NET_POLICY = '{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:Get*", "Resource": "*"}]}'
_NET_ECS_PREFIX = "/latest/meta-data/ram/security-credentials/"
_NET_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_NET_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ==== Fakes: an STS that checks signatures, a metadata service, openers =====


def _net_u(text):
    """The RPC percent-encoding, written independently of ossign: RFC 3986 unreserved only."""
    return urllib.parse.quote(text, safe="~")


def _net_rpc_signature(params, secret, method="GET"):
    """Alibaba RPC signature: base64(HMAC-SHA1(secret + "&", METHOD&%2F&U(sorted canonical query)))."""
    canonical = "&".join("%s=%s" % (_net_u(k), _net_u(v)) for k, v in sorted(params.items()))
    string_to_sign = method + "&" + _net_u("/") + "&" + _net_u(canonical)
    digest = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _net_query(query):
    """A raw query string -> dict; strict: '+' is not a space, a repeated key is an error."""
    params = {}
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = urllib.parse.unquote(key, errors="strict"), urllib.parse.unquote(value, errors="strict")
        if key in params:
            raise ValueError("repeated parameter %s" % key)
        params[key] = value
    return params


def _net_iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _net_utc(epoch):
    return datetime.fromtimestamp(epoch, _NET_UTC)


class _NetSts:
    """A fake STS on a LoopbackServer.

    AssumeRole must carry a valid RPC signature (recomputed here with the
    secret this STS knows for the AccessKeyId) and, for STS keys, the matching
    SecurityToken; AssumeRoleWithOIDC must be anonymous. Anything else gets an
    Alibaba-style JSON error. ``calls`` holds the parameters of every accepted
    call, ``rejected`` (code, params) of every refused one, ``raw`` every raw
    query. Issued credentials expire ``lifetime`` seconds after the clock's now
    and can themselves sign the next AssumeRole (role chaining).
    """

    def __init__(self, server, clock, keys=None, lifetime=3600, path="/"):
        self.server = server
        self.clock = clock
        self.keys = dict(keys if keys is not None else {KEY_ID: (SECRET, None)})  # id -> (secret, token)
        self.lifetime = lifetime
        self.calls, self.rejected, self.raw, self.nonces = [], [], [], set()
        self.gate = None  # optional callable run before answering
        self._lock = threading.Lock()
        server.routes[("GET", path)] = self

    @staticmethod
    def _error(status, code, message):
        return status, {"Content-Type": "application/json"}, {
            "RequestId": "E0000000-0000-4000-8000-000000000000", "HostId": "sts.aliyuncs.com",
            "Code": code, "Message": message, "Recommend": "https://api.aliyun.com/troubleshoot"}

    def _check_signed(self, params):
        for name, value in (("Format", "JSON"), ("Version", "2015-04-01"), ("SignatureMethod", "HMAC-SHA1"),
                            ("SignatureVersion", "1.0")):  # fmt: skip
            if params.get(name) != value:
                return "MissingParameter", "%s must be %s" % (name, value)
        if not _NET_TIMESTAMP_RE.fullmatch(params.get("Timestamp", "")):
            return "InvalidTimeStamp.Format", "bad Timestamp"
        nonce = params.get("SignatureNonce")
        if not nonce:
            return "MissingSignatureNonce", "no nonce"
        if nonce in self.nonces:
            return "SignatureNonceUsed", "nonce used before"
        known = self.keys.get(params.get("AccessKeyId"))
        if known is None:
            return "InvalidAccessKeyId.NotFound", "unknown access key id"
        secret, token = known
        if params.get("SecurityToken") != token:
            return "InvalidSecurityToken.Mismatch", "security token does not match the access key"
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if params.get("Signature") != _net_rpc_signature(unsigned, secret):
            return "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        self.nonces.add(nonce)
        return None

    @staticmethod
    def _check_anonymous(params):
        for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                     "SecurityToken"):  # fmt: skip
            if name in params:
                return "InvalidParameter", "AssumeRoleWithOIDC is anonymous: unexpected %s" % name
        for name in ("RoleArn", "OIDCProviderArn", "OIDCToken", "RoleSessionName", "Timestamp"):
            if not params.get(name):
                return "MissingParameter", "missing %s" % name
        return None

    def __call__(self, request, handler):
        query = request.path.split("?", 1)[1] if "?" in request.path else ""
        if self.gate is not None:
            self.gate()
        with self._lock:
            self.raw.append(query)
            try:
                params = _net_query(query)
            except (ValueError, UnicodeDecodeError) as exc:
                self.rejected.append(("InvalidParameter", {}))
                return self._error(400, "InvalidParameter", str(exc))
            action = params.get("Action")
            if action == "AssumeRole":
                problem = self._check_signed(params)
            elif action == "AssumeRoleWithOIDC":
                problem = self._check_anonymous(params)
            else:
                problem = ("InvalidAction.NotFound", "unknown action")
            if problem is not None:
                self.rejected.append((problem[0], params))
                return self._error(400 if problem[0] != "InvalidAccessKeyId.NotFound" else 404, *problem)
            self.calls.append(params)
            n = len(self.calls)
            key_id, secret, token = "STS.issued%04d" % n, "stsSecret%04d" % n, "stsToken%04d" % n
            self.keys[key_id] = (secret, token)
            expiration = _net_iso(self.clock() + self.lifetime)
        return 200, {"Content-Type": "application/json"}, {
            "RequestId": "6894B13B-0000-0000-0000-%012d" % n,
            "AssumedRoleUser": {"Arn": "%s/%s" % (params["RoleArn"], params["RoleSessionName"]),
                                "AssumedRoleId": "3445:%s" % params["RoleSessionName"]},
            "Credentials": {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                            "Expiration": expiration}}  # fmt: skip


class _NetImds:
    """A fake ECS metadata service (IMDSv2 token, role listing, role credentials)."""

    TOKEN = "imds-v2-session-token"
    KEY_ID = "STS.ecsRoleKeyId001"

    def __init__(self, server, clock, role="node-role", require_token=False):
        self.server = server
        self.clock = clock
        self.role = role
        self.require_token = require_token
        self.code = "Success"
        server.routes[("PUT", "/latest/api/token")] = self._token
        server.routes[("GET", _NET_ECS_PREFIX)] = self._list
        server.routes[("GET", _NET_ECS_PREFIX + urllib.parse.quote(role))] = self._credentials

    def _token(self, request, handler):
        if request.headers.get("x-aliyun-ecs-metadata-token-ttl-seconds") != "21600":
            return 400, {}, "missing X-aliyun-ecs-metadata-token-ttl-seconds"
        return 200, {"Content-Type": "text/plain"}, self.TOKEN

    def _authorized(self, request):
        token = request.headers.get("x-aliyun-ecs-metadata-token")
        return token == self.TOKEN if token is not None else not self.require_token

    def _list(self, request, handler):
        if not self._authorized(request):
            return 401, {}, "token required"
        return 200, {"Content-Type": "text/plain"}, self.role + "\n"

    def _credentials(self, request, handler):
        if not self._authorized(request):
            return 401, {}, "token required"
        now = self.clock()
        return 200, {"Content-Type": "application/json"}, {
            "Code": self.code, "Message": "role is being detached" if self.code != "Success" else "",
            "AccessKeyId": self.KEY_ID, "AccessKeySecret": "ecsRoleSecret", "SecurityToken": "ecsRoleToken",
            "Expiration": _net_iso(now + 21600), "LastUpdated": _net_iso(now)}

    def calls(self):
        return [(r.method, r.path) for r in self.server.requests]

    def token_headers(self):
        return [r.headers.get("x-aliyun-ecs-metadata-token") for r in self.server.requests if r.method == "GET"]


class _NetResponse:
    """What an injected opener returns: ``status`` (or only ``getcode()``), ``headers``, ``read()``."""

    def __init__(self, status, body, with_status=True):
        if with_status:
            self.status = status
        self._code = status
        self.headers = {"Content-Type": "application/json"}
        self._body = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body).encode("utf-8"))
        self.closed = False

    def getcode(self):
        return self._code

    def read(self, size=-1):
        return self._body.read(size)

    def close(self):
        self.closed = True


class _NetOpener:
    """An injected opener: records (method, URL, headers) and answers with ``answer(request)``; no network."""

    def __init__(self, answer):
        self.answer = answer
        self.seen = []
        self.timeouts = []
        self.responses = []

    def open(self, request, timeout=None):
        self.seen.append((request.get_method(), request.full_url, dict(request.header_items())))
        self.timeouts.append(timeout)
        response = self.answer(request)
        if isinstance(response, BaseException):
            raise response
        self.responses.append(response)
        return response


class _NetRewriteOpener:
    """Sends every request to a loopback base URL instead of its host, remembering the URL asked for."""

    def __init__(self, target, only_host=None):
        self.target = target
        self.only_host = only_host
        self.asked = []
        self._inner = ossign._default_opener()

    def open(self, request, timeout=None):
        self.asked.append((request.get_method(), request.full_url))
        parts = urllib.parse.urlsplit(request.full_url)
        url = request.full_url
        if self.only_host is None or parts.hostname == self.only_host:
            url = self.target + parts.path + ("?" + parts.query if parts.query else "")
        forwarded = urllib.request.Request(url, method=request.get_method(), headers=dict(request.header_items()))
        return self._inner.open(forwarded, timeout=timeout)


def _net_sts_ok(request):
    """An injected opener's STS answer."""
    return _NetResponse(200, {"RequestId": "r", "Credentials": {
        "AccessKeyId": "STS.viaOpener0001", "AccessKeySecret": "s", "SecurityToken": "t",
        "Expiration": _net_iso(_NET_NOW + 3600)}})  # fmt: skip


def _net_params(url):
    return _net_query(urllib.parse.urlsplit(url).query)


def _net_error(excinfo, *fragments, source=None):
    """The message of a CredentialError: checked for fragments and for leaks (message and traceback)."""
    assert isinstance(excinfo.value, ossign.CredentialError)
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message, "%r not in %r" % (fragment, message)
    if source is not None:
        assert message.startswith(source + ": "), message
        assert excinfo.value.source == source
    assert_no_secret(message)
    assert_no_secret("".join(traceback.format_exception(type(excinfo.value), excinfo.value, excinfo.tb)))
    return message


def _net_write(path, text, mode=0o600):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return str(path)


def _net_files(mapping):
    """A FakeFiles hook holding ``mapping`` (text values are stored as UTF-8)."""
    files = FakeFiles()
    for path, data in mapping.items():
        files[path] = data
    return files


@pytest.fixture
def net_clock():
    return FakeClock(_NET_NOW)


@pytest.fixture
def net_loop(loopback):  # noqa: F811 (the shared fixture, renamed so tests do not shadow the import)
    return loopback


@pytest.fixture
def net_sts(net_loop, net_clock):
    return _NetSts(net_loop, net_clock)


@pytest.fixture
def net_release():
    """An event that hanging handlers wait on; set at teardown so no handler outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def _net_hang(event):
    def handler(request, _handler):
        event.wait(10)
        return 503, {}, "released"

    return handler


def _net_ctx(clock, env=None, **kwargs):
    kwargs.setdefault("timeout", 2.0)
    return ossign.Context(environ={} if env is None else env, clock=clock, **kwargs)


def _net_assume(server, **kwargs):
    kwargs.setdefault("base_provider", static())
    kwargs.setdefault("role_arn", _NET_ROLE)
    kwargs.setdefault("sts_endpoint", server.url)
    return ossign.AssumeRoleCredentialProvider(**kwargs)


# ==== RPC signature known answers ===========================================


_NET_BRIEF_PARAMS = {
    "Action": "AssumeRole", "Format": "JSON", "Version": "2015-04-01", "AccessKeyId": "testid",
    "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": "fixed-nonce",
    "Timestamp": "2024-01-01T00:00:00Z", "RoleArn": "acs:ram::123:role/test", "RoleSessionName": "session",
}


class TestNetRpcSignature:
    def test_rpc_signature_matches_independent_computation(self):
        signature, canonical = ossign._rpc_signature(dict(_NET_BRIEF_PARAMS), "testsecret")
        assert signature == _net_rpc_signature(_NET_BRIEF_PARAMS, "testsecret")
        assert canonical == (
            "AccessKeyId=testid&Action=AssumeRole&Format=JSON&RoleArn=acs%3Aram%3A%3A123%3Arole%2Ftest"
            "&RoleSessionName=session&SignatureMethod=HMAC-SHA1&SignatureNonce=fixed-nonce&SignatureVersion=1.0"
            "&Timestamp=2024-01-01T00%3A00%3A00Z&Version=2015-04-01")
        # Not vacuous: another secret, or one more parameter, changes it.
        assert signature != ossign._rpc_signature(dict(_NET_BRIEF_PARAMS), "testsecreT")[0]
        assert signature != ossign._rpc_signature(dict(_NET_BRIEF_PARAMS, DurationSeconds="900"), "testsecret")[0]

    def test_rpc_signature_spec_known_answer(self):
        params = {"AccessKeyId": "testid", "Action": "AssumeRole", "DurationSeconds": "3600", "Format": "JSON",
                  "RoleArn": "acs:ram::123456789012:role/test-role", "RoleSessionName": "ossign-test",
                  "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3f9c1d2e-0000-4000-8000-000000000001",
                  "SignatureVersion": "1.0", "Timestamp": "2024-03-05T06:07:08Z", "Version": "2015-04-01"}
        assert ossign._rpc_signature(params, "testsecret")[0] == "uoIlvJDCvwvP+U9AiqUja1VuW3A="
        assert _net_rpc_signature(params, "testsecret") == "uoIlvJDCvwvP+U9AiqUja1VuW3A="

    @pytest.mark.parametrize("value, encoded", [
        ("a b", "a%20b"), ("a+b", "a%2Bb"), ("a*b", "a%2Ab"), ("a~b", "a~b"), ("a/b", "a%2Fb"),
        ("\u4e2d", "%E4%B8%AD"), ('{"k": [1]}', "%7B%22k%22%3A%20%5B1%5D%7D"),
    ])  # fmt: skip
    def test_rpc_canonical_encoding_is_rfc3986(self, value, encoded):
        signature, canonical = ossign._rpc_signature({"Policy": value}, "s")
        assert canonical == "Policy=" + encoded
        assert signature == _net_rpc_signature({"Policy": value}, "s")


# ==== STS endpoint resolution ===============================================


_NET_ENDPOINT_CASES = [
    # (environ, explicit, sts_region, enable_vpc, expected)
    ({}, None, None, None, "https://sts.aliyuncs.com"),
    ({}, "sts.cn-shanghai.aliyuncs.com", None, None, "https://sts.cn-shanghai.aliyuncs.com"),
    ({}, "  https://sts.example.com/  ", None, None, "https://sts.example.com"),
    ({}, "http://127.0.0.1:8080/", None, None, "http://127.0.0.1:8080"),
    ({}, None, "cn-hangzhou", None, "https://sts.cn-hangzhou.aliyuncs.com"),
    ({}, None, "cn-hangzhou", True, "https://sts-vpc.cn-hangzhou.aliyuncs.com"),
    ({"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"}, None, "cn-hangzhou", None,
     "https://sts-vpc.cn-hangzhou.aliyuncs.com"),
    ({"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"}, None, "cn-hangzhou", False,
     "https://sts.cn-hangzhou.aliyuncs.com"),
    ({}, None, None, True, "https://sts.aliyuncs.com"),  # VPC needs a region
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9/"}, None, None, None, "http://127.0.0.1:9"),
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "sts.ap-southeast-1.aliyuncs.com"}, None, None, None,
     "https://sts.ap-southeast-1.aliyuncs.com"),
    ({"ALIBABA_CLOUD_STS_REGION": "cn-beijing"}, None, None, None, "https://sts.cn-beijing.aliyuncs.com"),
    ({"ALIBABA_CLOUD_STS_REGION": "cn-beijing", "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "TRUE"}, None, None, None,
     "https://sts-vpc.cn-beijing.aliyuncs.com"),
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9", "ALIBABA_CLOUD_STS_REGION": "cn-beijing"}, None, None,
     None, "http://127.0.0.1:9"),
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9"}, "http://127.0.0.1:10", None, None, "http://127.0.0.1:10"),
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:9"}, None, "cn-shenzhen", None,
     "https://sts.cn-shenzhen.aliyuncs.com"),
    ({"ALIBABA_CLOUD_STS_REGION": "cn-beijing"}, None, "cn-shenzhen", None, "https://sts.cn-shenzhen.aliyuncs.com"),
    ({}, "http://127.0.0.1:10", "cn-shenzhen", True, "http://127.0.0.1:10"),
    ({"ALIBABA_CLOUD_STS_ENDPOINT": "", "ALIBABA_CLOUD_STS_REGION": ""}, None, None, None,
     "https://sts.aliyuncs.com"),
]


class TestNetStsEndpoint:
    @pytest.mark.parametrize("environ, explicit, region, vpc, expected", _NET_ENDPOINT_CASES,
                             ids=["case%02d" % i for i in range(len(_NET_ENDPOINT_CASES))])  # fmt: skip
    def test_sts_endpoint_table(self, environ, explicit, region, vpc, expected):
        assert ossign._sts_endpoint(environ, explicit, region, vpc) == expected

    @pytest.mark.parametrize("kwargs, env, expected", [
        ({}, {}, "https://sts.aliyuncs.com/?"),
        ({"sts_region": "cn-hangzhou"}, {}, "https://sts.cn-hangzhou.aliyuncs.com/?"),
        ({"sts_region": "cn-hangzhou", "enable_vpc": True}, {}, "https://sts-vpc.cn-hangzhou.aliyuncs.com/?"),
        ({}, {"ALIBABA_CLOUD_STS_REGION": "eu-central-1", "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"},
         "https://sts-vpc.eu-central-1.aliyuncs.com/?"),
        ({"sts_endpoint": "sts.us-west-1.aliyuncs.com"}, {"ALIBABA_CLOUD_STS_ENDPOINT": "https://other.example"},
         "https://sts.us-west-1.aliyuncs.com/?"),
    ], ids=["default", "region", "region-vpc", "env-region-vpc", "explicit-beats-env"])  # fmt: skip
    def test_assume_role_asks_the_resolved_endpoint(self, net_clock, kwargs, env, expected):
        opener = _NetOpener(_net_sts_ok)
        provider = ossign.AssumeRoleCredentialProvider(base_provider=static(), role_arn=_NET_ROLE, **kwargs)
        creds = provider.provide(_net_ctx(net_clock, env, opener=opener))
        assert creds.access_key_id == "STS.viaOpener0001"
        ((method, url, _),) = opener.seen
        assert method == "GET" and url.startswith(expected)
        params = _net_params(url)
        signature = params.pop("Signature")
        assert signature == _net_rpc_signature(params, SECRET)
        assert opener.timeouts == [2.0]
        assert opener.responses[0].closed

    def test_oidc_asks_the_default_endpoint_through_the_opener(self, net_clock):
        opener = _NetOpener(_net_sts_ok)
        files = _net_files({"/t": _NET_OIDC_TOKEN})
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, "/t")
        assert provider.provide(_net_ctx(net_clock, opener=opener, read_file=files)).access_key_id.startswith("STS.")
        ((_, url, _),) = opener.seen
        assert url.startswith("https://sts.aliyuncs.com/?")
        assert _net_params(url)["Action"] == "AssumeRoleWithOIDC"


# ==== STS AssumeRole ========================================================


class TestNetAssumeRole:
    def test_assume_role_signed_request_and_parsed_credentials(self, net_loop, net_sts, net_clock):
        creds = _net_assume(net_loop).provide(_net_ctx(net_clock))
        assert creds == ossign.Credentials("STS.issued0001", "stsSecret0001", "stsToken0001",
                                           datetime(2023, 11, 14, 23, 13, 20, tzinfo=_NET_UTC))  # fmt: skip
        assert creds.expiration.tzinfo is not None
        assert net_sts.rejected == []
        (params,) = net_sts.calls
        assert params["Action"] == "AssumeRole"
        assert params["RoleArn"] == _NET_ROLE
        assert params["AccessKeyId"] == KEY_ID
        assert params["Timestamp"] == "2023-11-14T22:13:20Z"
        assert params["Format"] == "JSON" and params["Version"] == "2015-04-01"
        assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
        assert _NET_UUID_RE.fullmatch(params["SignatureNonce"])
        assert params["RoleSessionName"] == "ossign-%d" % _NET_NOW
        for absent in ("SecurityToken", "DurationSeconds", "Policy", "ExternalId"):
            assert absent not in params
        (request,) = net_loop.requests
        assert request.method == "GET" and request.body == b""
        assert "+" not in net_sts.raw[0]

    def test_fake_sts_rejects_a_wrong_signature(self, net_loop, net_sts, net_clock):
        provider = _net_assume(net_loop, base_provider=static(secret="not-the-secret-sts-knows"))
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        _net_error(excinfo, "HTTP 400", "SignatureDoesNotMatch", "E0000000-0000-4000-8000-000000000000",
                   source="assume_role")  # fmt: skip
        assert net_sts.calls == [] and [code for code, _ in net_sts.rejected] == ["SignatureDoesNotMatch"]

    def test_signature_nonce_and_timestamp_are_fresh_per_call(self, net_loop, net_sts, net_clock):
        provider = _net_assume(net_loop)
        context = _net_ctx(net_clock)
        provider.provide(context)
        net_clock.advance(61.7)
        provider.provide(context)
        first, second = net_sts.calls
        assert first["SignatureNonce"] != second["SignatureNonce"]
        assert (first["Timestamp"], second["Timestamp"]) == ("2023-11-14T22:13:20Z", "2023-11-14T22:14:21Z")
        assert net_sts.rejected == []

    def test_base_sts_credentials_send_their_security_token(self, net_loop, net_sts, net_clock):
        net_sts.keys = {"STS.baseTempKey01": ("baseTempSecret", TOKEN)}
        provider = _net_assume(net_loop, base_provider=static("STS.baseTempKey01", "baseTempSecret", TOKEN))
        assert provider.provide(_net_ctx(net_clock)).access_key_id == "STS.issued0001"
        assert net_sts.calls[0]["SecurityToken"] == TOKEN
        assert net_sts.calls[0]["AccessKeyId"] == "STS.baseTempKey01"

    def test_optional_parameters_are_sent_and_signed(self, net_loop, net_sts, net_clock):
        provider = _net_assume(net_loop, role_session_name="deploy.bot@ci_1-2", external_id="ext-4242",
                               duration_seconds=1800, policy=_NET_POLICY)  # fmt: skip
        provider.provide(_net_ctx(net_clock))
        assert net_sts.rejected == []
        (params,) = net_sts.calls
        assert params["RoleSessionName"] == "deploy.bot@ci_1-2"
        assert params["ExternalId"] == "ext-4242"
        assert params["DurationSeconds"] == "1800"
        assert params["Policy"] == _NET_POLICY
        # The policy's spaces travel as %20 (RPC rule), never '+'.
        assert "Policy=" + _net_u(_NET_POLICY) in net_sts.raw[0]

    @pytest.mark.parametrize("duration", [900, 3600, 43200])
    def test_duration_seconds_accepted(self, net_loop, net_sts, net_clock, duration):
        _net_assume(net_loop, duration_seconds=duration).provide(_net_ctx(net_clock))
        assert net_sts.calls[0]["DurationSeconds"] == str(duration)

    @pytest.mark.parametrize("duration", [899, 0, -1, "3600", 1800.0, True])
    def test_duration_seconds_out_of_range_is_value_error_at_construction(self, duration):
        with pytest.raises(ValueError):
            ossign.AssumeRoleCredentialProvider(base_provider=static(), role_arn=_NET_ROLE, duration_seconds=duration)
        with pytest.raises(ValueError):
            ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, "/t", duration_seconds=duration)

    def test_role_and_names_from_environment(self, net_loop, net_sts, net_clock):
        env = {"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/from-env", "ALIBABA_CLOUD_ROLE_SESSION_NAME": "env-session",
               "ALIBABA_CLOUD_EXTERNAL_ID": "env-external", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        provider = ossign.AssumeRoleCredentialProvider(base_provider=static())
        assert provider.provide(_net_ctx(net_clock, env)).access_key_id == "STS.issued0001"
        (params,) = net_sts.calls
        assert (params["RoleArn"], params["RoleSessionName"], params["ExternalId"]) == (
            "acs:ram::1:role/from-env", "env-session", "env-external")

    def test_explicit_arguments_beat_environment(self, net_loop, net_sts, net_clock):
        other = LoopbackServer().start()
        try:
            decoy = _NetSts(other, net_clock)
            env = {"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/from-env",
                   "ALIBABA_CLOUD_ROLE_SESSION_NAME": "env-session", "ALIBABA_CLOUD_EXTERNAL_ID": "env-external",
                   "ALIBABA_CLOUD_STS_ENDPOINT": other.url}  # fmt: skip
            provider = ossign.AssumeRoleCredentialProvider(
                base_provider=static(), role_arn=_NET_ROLE, role_session_name="arg-session",
                external_id="arg-external", sts_endpoint=net_loop.url)  # fmt: skip
            provider.provide(_net_ctx(net_clock, env))
            assert other.requests == [] and decoy.calls == []
            (params,) = net_sts.calls
            assert (params["RoleArn"], params["RoleSessionName"], params["ExternalId"]) == (
                _NET_ROLE, "arg-session", "arg-external")
        finally:
            other.stop()

    def test_no_role_arn_is_not_configured_and_sends_nothing(self, net_loop, net_sts, net_clock):
        provider = ossign.AssumeRoleCredentialProvider(base_provider=static(), sts_endpoint=net_loop.url)
        assert provider.provide(_net_ctx(net_clock, {"ALIBABA_CLOUD_ROLE_ARN": ""})) is None
        assert net_loop.requests == []

    def test_env_role_arn_with_oidc_variables_belongs_to_oidc(self, net_loop, net_sts, net_clock):
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": _NET_OIDC_PROVIDER,
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/token", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        assert ossign.AssumeRoleCredentialProvider(base_provider=static()).provide(_net_ctx(net_clock, env)) is None
        assert net_loop.requests == []
        # An explicit role ARN is AssumeRole's own, whatever the OIDC variables say.
        explicit = ossign.AssumeRoleCredentialProvider(base_provider=static(), role_arn=_NET_ROLE)
        assert explicit.provide(_net_ctx(net_clock, env)).access_key_id == "STS.issued0001"

    def test_default_base_chain_reads_environment_keys(self, net_loop, net_sts, net_clock):
        net_sts.keys = {"LTAIenvBaseKey0001": ("envBaseSecret", "envBaseToken")}
        env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIenvBaseKey0001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "envBaseSecret",
               "ALIBABA_CLOUD_SECURITY_TOKEN": "envBaseToken", "ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE,
               "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        creds = ossign.AssumeRoleCredentialProvider().provide(_net_ctx(net_clock, env, home_dir="/nonexistent"))
        assert creds.access_key_id == "STS.issued0001"
        assert (net_sts.calls[0]["AccessKeyId"], net_sts.calls[0]["SecurityToken"]) == (
            "LTAIenvBaseKey0001", "envBaseToken")

    def test_base_provider_returning_none_is_credential_error(self, net_loop, net_sts, net_clock):
        class _Nothing:
            def provide(self, context):
                return None

        provider = _net_assume(net_loop, base_provider=_Nothing())
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        _net_error(excinfo, _NET_ROLE, "no base credentials", source="assume_role")
        assert net_loop.requests == []

    def test_default_base_chain_finding_nothing_names_assume_role(self, net_loop, net_clock, tmp_path):
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.AssumeRoleCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=str(tmp_path)))
        assert net_loop.requests == []
        _net_error(excinfo, "no base credentials", source="assume_role")

    def test_base_provider_error_propagates_without_sts_call(self, net_loop, net_sts, net_clock):
        provider = _net_assume(net_loop, base_provider=static(KEY_ID, ""))
        with pytest.raises(ossign.CredentialError):
            provider.provide(_net_ctx(net_clock))
        assert net_loop.requests == []

    @pytest.mark.parametrize("status", [400, 403, 404, 500, 503])
    def test_sts_json_error_names_source_status_code_and_request_id(self, net_loop, net_clock, status):
        net_loop.routes[("GET", "/")] = (status, {"Content-Type": "application/json"}, {
            "RequestId": "A1B2C3D4-REQ", "HostId": "sts.aliyuncs.com", "Code": "NoPermission",
            "Message": "You are not authorized to do this action.", "Recommend": "https://example/r"})
        provider = _net_assume(net_loop, base_provider=static(token=TOKEN))
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        message = _net_error(excinfo, "HTTP %d" % status, "Code=NoPermission", "not authorized", "A1B2C3D4-REQ",
                             "AssumeRole", source="assume_role")  # fmt: skip
        assert "Signature" not in message and "?" not in message

    def test_sts_html_error_body_is_excerpted(self, net_loop, net_clock):
        net_loop.routes[("GET", "/")] = (502, {"Content-Type": "text/html"},
                                         "<html><body><h1>502 Bad Gateway</h1></body></html>")  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            _net_assume(net_loop, base_provider=static(token=TOKEN)).provide(_net_ctx(net_clock))
        _net_error(excinfo, "HTTP 502", "Bad Gateway", source="assume_role")

    @pytest.mark.parametrize("body, fragment", [
        ("<html>maintenance</html>", "HTML"),
        ("not json at all", "not valid JSON"),
        ("", "empty"),
        ([1, 2], "not an object"),
        ({"RequestId": "r"}, "no Credentials"),
        ({"RequestId": "r", "Credentials": "nope"}, "no Credentials"),
        ({"Credentials": {"AccessKeyId": "STS.x", "SecurityToken": TOKEN, "Expiration": "2023-11-14T23:13:20Z"}},
         "no AccessKeySecret"),
        ({"Credentials": {"AccessKeyId": "STS.x", "AccessKeySecret": SECRET, "Expiration": "2023-11-14T23:13:20Z"}},
         "no SecurityToken"),
        ({"Credentials": {"AccessKeyId": "STS.x", "AccessKeySecret": SECRET, "SecurityToken": TOKEN}},
         "no Expiration"),
        ({"Credentials": {"AccessKeyId": "STS.x", "AccessKeySecret": SECRET, "SecurityToken": TOKEN,
                          "Expiration": "tomorrow"}}, "Expiration"),
        ({"Credentials": {"AccessKeyId": "STS.x", "AccessKeySecret": SECRET, "SecurityToken": TOKEN,
                          "Expiration": "2023-11-14T22:00:00Z"}}, "already expired"),
    ], ids=["html", "text", "empty", "array", "no-credentials", "credentials-not-object", "no-secret", "no-token",
            "no-expiration", "bad-expiration", "expired"])  # fmt: skip
    def test_sts_bad_success_answers(self, net_loop, net_clock, body, fragment):
        net_loop.routes[("GET", "/")] = (200, {"Content-Type": "application/json"}, body)
        with pytest.raises(ossign.CredentialError) as excinfo:
            _net_assume(net_loop, base_provider=static(token=TOKEN)).provide(_net_ctx(net_clock))
        _net_error(excinfo, fragment, source="assume_role")

    def test_sts_unreachable_is_credential_error(self, net_clock):
        provider = ossign.AssumeRoleCredentialProvider(base_provider=static(token=TOKEN), role_arn=_NET_ROLE,
                                                       sts_endpoint="http://127.0.0.1:%d" % free_port())  # fmt: skip
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        assert time.monotonic() - started < 5
        message = _net_error(excinfo, "refused", source="assume_role")
        assert "Signature" not in message

    def test_sts_error_returned_by_an_injected_opener(self, net_clock):
        opener = _NetOpener(lambda request: _NetResponse(403, {"Code": "InvalidSecurityToken.Expired",
                                                               "Message": "expired", "RequestId": "R9"}))
        provider = ossign.AssumeRoleCredentialProvider(base_provider=static(token=TOKEN), role_arn=_NET_ROLE)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, opener=opener))
        _net_error(excinfo, "HTTP 403", "InvalidSecurityToken.Expired", source="assume_role")
        assert opener.responses[0].closed

    def test_sts_error_raised_by_an_injected_opener(self, net_clock):
        def answer(request):
            body = io.BytesIO(b'{"Code": "Throttling.User", "Message": "slow down", "RequestId": "R7"}')
            return urllib.error.HTTPError(request.full_url, 429, "Too Many Requests", {}, body)

        provider = ossign.AssumeRoleCredentialProvider(base_provider=static(token=TOKEN), role_arn=_NET_ROLE)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, opener=_NetOpener(answer)))
        _net_error(excinfo, "HTTP 429", "Throttling.User", "R7", source="assume_role")


# ==== STS AssumeRoleWithOIDC ================================================


class TestNetOidc:
    def test_oidc_request_is_anonymous_and_carries_the_token(self, net_loop, net_sts, net_clock, tmp_path):
        token_file = _net_write(tmp_path / "token", _NET_OIDC_TOKEN + "\n")
        provider = ossign.AssumeRoleWithOidcCredentialProvider(
            role_arn=_NET_ROLE, oidc_provider_arn=_NET_OIDC_PROVIDER, oidc_token_file=token_file,
            role_session_name="pod-session", sts_endpoint=net_loop.url)  # fmt: skip
        creds = provider.provide(_net_ctx(net_clock))
        assert creds == ossign.Credentials("STS.issued0001", "stsSecret0001", "stsToken0001", _net_utc(_NET_NOW + 3600))
        assert net_sts.rejected == []
        (params,) = net_sts.calls
        assert params["Action"] == "AssumeRoleWithOIDC"
        assert params["RoleArn"] == _NET_ROLE
        assert params["OIDCProviderArn"] == _NET_OIDC_PROVIDER
        assert params["OIDCToken"] == _NET_OIDC_TOKEN  # trimmed of its newline
        assert params["RoleSessionName"] == "pod-session"
        assert params["Timestamp"] == "2023-11-14T22:13:20Z"
        assert (params["Format"], params["Version"]) == ("JSON", "2015-04-01")
        for absent in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "SecurityToken",
                       "DurationSeconds", "Policy"):  # fmt: skip
            assert absent not in params

    def test_token_file_is_reread_at_every_call(self, net_loop, net_sts, net_clock, tmp_path):
        token_file = tmp_path / "token"
        _net_write(token_file, "first-token")
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, str(token_file),
                                                               sts_endpoint=net_loop.url)  # fmt: skip
        context = _net_ctx(net_clock)
        provider.provide(context)
        _net_write(token_file, "rotated-token\n")
        provider.provide(context)
        assert [c["OIDCToken"] for c in net_sts.calls] == ["first-token", "rotated-token"]

    def test_token_is_read_through_the_read_file_hook(self, net_loop, net_sts, net_clock):
        files = _net_files({"/var/run/secrets/tokens/oidc-token": "hook-token-1"})
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": _NET_OIDC_PROVIDER,
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/var/run/secrets/tokens/oidc-token",
               "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url, "ALIBABA_CLOUD_ROLE_SESSION_NAME": "env-pod"}
        provider = ossign.AssumeRoleWithOidcCredentialProvider()
        context = _net_ctx(net_clock, env, read_file=files)
        provider.provide(context)
        files["/var/run/secrets/tokens/oidc-token"] = "hook-token-2"
        provider.provide(context)
        assert files.reads == ["/var/run/secrets/tokens/oidc-token"] * 2
        assert [c["OIDCToken"] for c in net_sts.calls] == ["hook-token-1", "hook-token-2"]
        assert {(c["RoleArn"], c["OIDCProviderArn"], c["RoleSessionName"]) for c in net_sts.calls} == {
            (_NET_ROLE, _NET_OIDC_PROVIDER, "env-pod")}

    def test_explicit_arguments_beat_environment(self, net_loop, net_sts, net_clock):
        files = _net_files({"/arg-token": "arg-token", "/env-token": "env-token"})
        env = {"ALIBABA_CLOUD_ROLE_ARN": "acs:ram::1:role/env", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": "env-provider",
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/env-token", "ALIBABA_CLOUD_ROLE_SESSION_NAME": "env-session",
               "ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:%d" % free_port()}
        provider = ossign.AssumeRoleWithOidcCredentialProvider(
            _NET_ROLE, _NET_OIDC_PROVIDER, "/arg-token", role_session_name="arg-session", sts_endpoint=net_loop.url,
            duration_seconds=7200, policy=_NET_POLICY)  # fmt: skip
        provider.provide(_net_ctx(net_clock, env, read_file=files))
        (params,) = net_sts.calls
        assert (params["RoleArn"], params["OIDCProviderArn"], params["OIDCToken"], params["RoleSessionName"]) == (
            _NET_ROLE, _NET_OIDC_PROVIDER, "arg-token", "arg-session")
        assert (params["DurationSeconds"], params["Policy"]) == ("7200", _NET_POLICY)
        assert files.reads == ["/arg-token"]

    @pytest.mark.parametrize("missing", ["ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                                         "ALIBABA_CLOUD_OIDC_TOKEN_FILE"])  # fmt: skip
    def test_any_missing_setting_is_not_configured(self, net_loop, net_sts, net_clock, missing):
        files = _net_files({"/t": "token"})
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": _NET_OIDC_PROVIDER,
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": "/t", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        env[missing] = ""
        assert ossign.AssumeRoleWithOidcCredentialProvider().provide(_net_ctx(net_clock, env, read_file=files)) is None
        assert files.reads == [] and net_loop.requests == []

    def test_missing_token_file_names_the_file(self, net_loop, net_sts, net_clock, tmp_path):
        path = str(tmp_path / "no-such-token")
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, path,
                                                               sts_endpoint=net_loop.url)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        _net_error(excinfo, path, source="oidc")
        assert net_loop.requests == []

    @pytest.mark.parametrize("content", ["", "  \n\t\n"])
    def test_empty_token_file_is_credential_error(self, net_loop, net_sts, net_clock, content):
        files = _net_files({"/t": content})
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, "/t",
                                                               sts_endpoint=net_loop.url)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, read_file=files))
        _net_error(excinfo, "/t", "empty", source="oidc")
        assert net_loop.requests == []

    def test_unreadable_token_file_is_credential_error(self, net_loop, net_clock):
        files = _net_files({"/t": "token"})
        files.deny("/t")
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, "/t",
                                                               sts_endpoint=net_loop.url)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, read_file=files))
        _net_error(excinfo, "/t", "PermissionError", source="oidc")

    def test_sts_error_never_shows_the_oidc_token(self, net_loop, net_clock):
        oidc_token = "eyJsecretOidcJwt.payload+/=.sig"

        def echo(request, handler):
            return 400, {}, {"Code": "InvalidParameter.OIDCToken", "RequestId": "R1",
                             "Message": "token %s is invalid; query was %s" % (oidc_token, request.path)}

        net_loop.routes[("GET", "/")] = echo
        files = _net_files({"/t": oidc_token})
        provider = ossign.AssumeRoleWithOidcCredentialProvider(_NET_ROLE, _NET_OIDC_PROVIDER, "/t",
                                                               sts_endpoint=net_loop.url)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, read_file=files))
        message = _net_error(excinfo, "HTTP 400", "InvalidParameter.OIDCToken", source="oidc")
        for form in (oidc_token, _net_u(oidc_token), _net_u(_net_u(oidc_token))):
            assert form not in message

    def test_default_chain_uses_oidc_when_the_role_arn_is_oidcs(self, net_loop, net_sts, net_clock, tmp_path):
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": _NET_OIDC_PROVIDER,
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": _net_write(tmp_path / "t", "chain-token"),
               "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        context = _net_ctx(net_clock, env, home_dir=str(tmp_path / "home"))
        assert ossign.DefaultCredentialProvider().provide(context).access_key_id == "STS.issued0001"
        assert [c["Action"] for c in net_sts.calls] == ["AssumeRoleWithOIDC"]
        assert net_sts.calls[0]["OIDCToken"] == "chain-token"


# ==== ECS RAM role (instance metadata) ======================================


class TestNetEcsRamRole:
    def test_imdsv2_discovers_role_and_sends_token(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock)
        creds = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        assert creds == ossign.Credentials(_NetImds.KEY_ID, "ecsRoleSecret", "ecsRoleToken",
                                           _net_utc(_NET_NOW + 21600))  # fmt: skip
        assert imds.calls() == [("PUT", "/latest/api/token"), ("GET", _NET_ECS_PREFIX),
                                ("GET", _NET_ECS_PREFIX + "node-role")]  # fmt: skip
        put = net_loop.requests[0]
        assert put.headers["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
        assert "x-aliyun-ecs-metadata-token" not in put.headers
        assert imds.token_headers() == [_NetImds.TOKEN, _NetImds.TOKEN]

    def test_role_listing_uses_the_first_line(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="first-role")
        net_loop.routes[("GET", _NET_ECS_PREFIX)] = (200, {}, "  first-role  \nsecond-role\n")
        creds = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        assert creds.access_key_id == _NetImds.KEY_ID
        assert imds.calls()[-1] == ("GET", _NET_ECS_PREFIX + "first-role")

    def test_given_role_name_skips_discovery(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="my ecs role")
        provider = ossign.EcsRamRoleCredentialProvider(role_name="my ecs role", endpoint=net_loop.url)
        assert provider.provide(_net_ctx(net_clock)).access_key_id == _NetImds.KEY_ID
        assert imds.calls() == [("PUT", "/latest/api/token"), ("GET", _NET_ECS_PREFIX + "my%20ecs%20role")]

    def test_role_and_endpoint_from_environment(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="env-role")
        env = {"ALIBABA_CLOUD_ECS_METADATA": "env-role",
               "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": "127.0.0.1:%d/" % net_loop.port}  # bare host, slash
        assert ossign.EcsRamRoleCredentialProvider().provide(_net_ctx(net_clock, env)).access_key_id == imds.KEY_ID
        assert imds.calls() == [("PUT", "/latest/api/token"), ("GET", _NET_ECS_PREFIX + "env-role")]

    def test_explicit_role_and_endpoint_beat_environment(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="arg-role")
        env = {"ALIBABA_CLOUD_ECS_METADATA": "env-role",
               "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:%d" % free_port()}
        provider = ossign.EcsRamRoleCredentialProvider(role_name="arg-role", endpoint=net_loop.url)
        assert provider.provide(_net_ctx(net_clock, env)).access_key_id == imds.KEY_ID
        assert imds.calls()[-1] == ("GET", _NET_ECS_PREFIX + "arg-role")

    def test_default_endpoint_is_the_metadata_address(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock)
        opener = _NetRewriteOpener(net_loop.url)
        assert ossign.EcsRamRoleCredentialProvider().provide(_net_ctx(net_clock, opener=opener)).access_key_id \
            == imds.KEY_ID
        assert opener.asked == [("PUT", "http://100.100.100.200/latest/api/token"),
                                ("GET", "http://100.100.100.200" + _NET_ECS_PREFIX),
                                ("GET", "http://100.100.100.200" + _NET_ECS_PREFIX + "node-role")]  # fmt: skip

    @pytest.mark.parametrize("token_answer", [(404, {}, "not found"), (500, {}, "broken"), (403, {}, "forbidden"),
                                              (200, {}, "   ")], ids=["404", "500", "403", "200-empty"])  # fmt: skip
    def test_falls_back_to_imdsv1_when_token_endpoint_fails(self, net_loop, net_clock, token_answer):
        imds = _NetImds(net_loop, net_clock)
        net_loop.routes[("PUT", "/latest/api/token")] = token_answer
        creds = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        assert creds.access_key_id == imds.KEY_ID
        assert imds.calls()[0] == ("PUT", "/latest/api/token") and len(imds.calls()) == 3
        assert imds.token_headers() == [None, None]

    def test_falls_back_to_imdsv1_when_token_endpoint_refuses_connections(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock)
        refused = _NetRewriteOpener("http://127.0.0.1:%d" % free_port())
        inner = ossign._default_opener()

        class _Split:
            def open(self, request, timeout=None):
                target = refused if request.get_method() == "PUT" else inner
                return target.open(request, timeout=timeout)

        provider = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url)
        assert provider.provide(_net_ctx(net_clock, opener=_Split())).access_key_id == imds.KEY_ID
        assert [m for m, _ in refused.asked] == ["PUT"]
        assert imds.calls() == [("GET", _NET_ECS_PREFIX), ("GET", _NET_ECS_PREFIX + "node-role")]
        assert imds.token_headers() == [None, None]

    def test_falls_back_to_imdsv1_when_token_endpoint_times_out(self, net_loop, net_clock, net_release):
        imds = _NetImds(net_loop, net_clock)
        net_loop.routes[("PUT", "/latest/api/token")] = _net_hang(net_release)
        started = time.monotonic()
        creds = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock, timeout=0.3))
        assert time.monotonic() - started < 5
        assert creds.access_key_id == imds.KEY_ID
        assert imds.token_headers() == [None, None]

    @pytest.mark.parametrize("how", ["env", "argument"])
    @pytest.mark.parametrize("token_answer", [(404, {}, "no"), (500, {}, "no"), (200, {}, "")],
                             ids=["404", "500", "200-empty"])  # fmt: skip
    def test_imdsv1_disabled_requires_the_token(self, net_loop, net_clock, how, token_answer):
        _NetImds(net_loop, net_clock)
        net_loop.routes[("PUT", "/latest/api/token")] = token_answer
        env = {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"} if how == "env" else {}
        provider = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url,
                                                       imdsv1_disabled=True if how == "argument" else None)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, env))
        _net_error(excinfo, "IMDSv1 is disabled", "/latest/api/token", source="ecs_ram_role")
        assert [r.method for r in net_loop.requests] == ["PUT"]

    def test_imdsv1_disabled_and_token_endpoint_unreachable(self, net_clock):
        provider = ossign.EcsRamRoleCredentialProvider(imdsv1_disabled=True)
        opener = _NetRewriteOpener("http://127.0.0.1:%d" % free_port())
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock, opener=opener))
        _net_error(excinfo, "refused", source="ecs_ram_role")
        assert [m for m, _ in opener.asked] == ["PUT"]

    def test_imdsv1_disabled_works_with_a_token(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, require_token=True)
        env = {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}
        assert ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(
            _net_ctx(net_clock, env)).access_key_id == imds.KEY_ID
        assert imds.token_headers() == [_NetImds.TOKEN, _NetImds.TOKEN]

    def test_imdsv1_allowed_by_argument_beats_environment(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock)
        net_loop.routes[("PUT", "/latest/api/token")] = (404, {}, "")
        env = {"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}
        provider = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url, imdsv1_disabled=False)
        assert provider.provide(_net_ctx(net_clock, env)).access_key_id == imds.KEY_ID

    @pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on"])
    def test_metadata_disabled_returns_none_without_any_request(self, net_loop, net_clock, value):
        _NetImds(net_loop, net_clock)
        env = {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": value, "ALIBABA_CLOUD_ECS_METADATA": "node-role"}
        opener = _NetOpener(lambda request: AssertionError("no request expected"))
        provider = ossign.EcsRamRoleCredentialProvider(role_name="node-role", endpoint=net_loop.url)
        assert provider.provide(_net_ctx(net_clock, env, opener=opener)) is None
        assert opener.seen == [] and net_loop.requests == []

    @pytest.mark.parametrize("value", ["false", "0", "no", ""])
    def test_metadata_disabled_false_values_keep_it_on(self, net_loop, net_clock, value):
        imds = _NetImds(net_loop, net_clock)
        env = {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": value}
        assert ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(
            _net_ctx(net_clock, env)).access_key_id == imds.KEY_ID

    def test_code_other_than_success_is_credential_error(self, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock)
        imds.code = "Failed"
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        _net_error(excinfo, "Code=Failed", "role is being detached", source="ecs_ram_role")

    @pytest.mark.parametrize("drop", ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"])
    def test_missing_field_is_credential_error(self, net_loop, net_clock, drop):
        _NetImds(net_loop, net_clock)
        data = {"Code": "Success", "AccessKeyId": "STS.k", "AccessKeySecret": SECRET, "SecurityToken": TOKEN,
                "Expiration": _net_iso(_NET_NOW + 3600)}
        del data[drop]
        net_loop.routes[("GET", _NET_ECS_PREFIX + "node-role")] = (200, {}, data)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        _net_error(excinfo, "no " + drop, source="ecs_ram_role")

    def test_instance_without_role_is_credential_error(self, net_loop, net_clock):
        net_loop.routes[("PUT", "/latest/api/token")] = (200, {}, "tok")
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        _net_error(excinfo, "404", "no RAM role", source="ecs_ram_role")

    def test_empty_role_listing_is_credential_error(self, net_loop, net_clock):
        net_loop.routes[("PUT", "/latest/api/token")] = (200, {}, "tok")
        net_loop.routes[("GET", _NET_ECS_PREFIX)] = (200, {}, "\n\n")
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
        _net_error(excinfo, "no role name", source="ecs_ram_role")

    @pytest.mark.parametrize("status, fragment", [(404, "not found"), (500, "HTTP 500"), (403, "HTTP 403")])
    def test_role_credentials_http_errors(self, net_loop, net_clock, status, fragment):
        _NetImds(net_loop, net_clock, role="other-role")
        provider = ossign.EcsRamRoleCredentialProvider(role_name="gone-role", endpoint=net_loop.url)
        net_loop.routes[("GET", _NET_ECS_PREFIX + "gone-role")] = (status, {}, "nope")
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        _net_error(excinfo, fragment, "gone-role", source="ecs_ram_role")

    def test_configured_but_unreachable_is_credential_error(self, net_clock):
        provider = ossign.EcsRamRoleCredentialProvider(endpoint="http://127.0.0.1:%d" % free_port())
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(_net_ctx(net_clock))
        assert time.monotonic() - started < 5
        _net_error(excinfo, "refused", source="ecs_ram_role")

    def test_unconfigured_and_unreachable_is_not_configured(self, net_clock):
        opener = _NetRewriteOpener("http://127.0.0.1:%d" % free_port())
        context = _net_ctx(net_clock, opener=opener)
        assert ossign.EcsRamRoleCredentialProvider().provide(context) is None
        assert opener.asked == [("PUT", "http://100.100.100.200/latest/api/token")]
        chain = ossign.DefaultCredentialProvider(assume_role=None, env=None, oss_profile=None, credentials_file=None,
                                                 config_file=None, credentials_uri=None, oidc=None)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            chain.provide(context)
        assert list(excinfo.value.attempts) == [("ecs_ram_role", "ecs_ram_role: not configured")]

    def test_unconfigured_and_token_timeout_is_not_configured(self, net_loop, net_clock, net_release):
        net_loop.routes[("PUT", "/latest/api/token")] = _net_hang(net_release)
        opener = _NetRewriteOpener(net_loop.url)
        started = time.monotonic()
        assert ossign.EcsRamRoleCredentialProvider().provide(_net_ctx(net_clock, opener=opener, timeout=0.3)) is None
        assert time.monotonic() - started < 5
        assert [m for m, _ in opener.asked] == ["PUT"]

    def test_role_from_environment_and_unreachable_is_credential_error(self, net_clock):
        opener = _NetRewriteOpener("http://127.0.0.1:%d" % free_port())
        env = {"ALIBABA_CLOUD_ECS_METADATA": "node-role"}
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider().provide(_net_ctx(net_clock, env, opener=opener))
        _net_error(excinfo, "100.100.100.200", "refused", source="ecs_ram_role")

    def test_metadata_that_never_answers_times_out(self, net_loop, net_clock, net_release):
        hang = _net_hang(net_release)
        net_loop.routes[("PUT", "/latest/api/token")] = hang
        net_loop.routes[("GET", _NET_ECS_PREFIX)] = hang
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock, timeout=0.3))
        assert time.monotonic() - started < 5
        _net_error(excinfo, "timed out", source="ecs_ram_role")


# ==== Credentials URI =======================================================


def _net_uri_body(**overrides):
    data = {"Code": "Success", "AccessKeyId": "STS.uriKeyId00001", "AccessKeySecret": "uriSecret",
            "SecurityToken": "uriToken", "Expiration": "2023-11-14T23:13:20Z"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestNetCredentialsUri:
    def test_default_opener_fetches_the_uri_as_given(self, net_loop, net_clock):
        net_loop.routes[("GET", "/creds")] = (200, {"Content-Type": "application/json"}, _net_uri_body())
        provider = ossign.CredentialsUriCredentialProvider(net_loop.url + "/creds?token=abc&x=1")
        creds = provider.provide(_net_ctx(net_clock))
        assert creds == ossign.Credentials("STS.uriKeyId00001", "uriSecret", "uriToken", _net_utc(_NET_NOW + 3600))
        (request,) = net_loop.requests
        assert (request.method, request.path) == ("GET", "/creds?token=abc&x=1")
        assert not any(name.startswith(("x-", "authorization")) for name in request.headers)

    def test_uri_from_environment_and_explicit_wins(self, net_loop, net_clock):
        net_loop.routes[("GET", "/env")] = (200, {}, _net_uri_body(AccessKeyId="STS.fromEnv000001"))
        net_loop.routes[("GET", "/arg")] = (200, {}, _net_uri_body(AccessKeyId="STS.fromArg000001"))
        env = {"ALIBABA_CLOUD_CREDENTIALS_URI": net_loop.url + "/env"}
        context = _net_ctx(net_clock, env)
        assert ossign.CredentialsUriCredentialProvider().provide(context).access_key_id == "STS.fromEnv000001"
        arg = ossign.CredentialsUriCredentialProvider(net_loop.url + "/arg")
        assert arg.provide(context).access_key_id == "STS.fromArg000001"
        assert [r.path for r in net_loop.requests] == ["/env", "/arg"]

    def test_not_configured_is_none_without_request(self, net_clock):
        opener = _NetOpener(lambda request: AssertionError("no request expected"))
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_CREDENTIALS_URI": ""}, opener=opener)
        assert ossign.CredentialsUriCredentialProvider().provide(context) is None
        assert opener.seen == []

    @pytest.mark.parametrize("body, expected_token, expected_expiration", [
        (_net_uri_body(Code=None), "uriToken", _NET_NOW + 3600),
        (_net_uri_body(Code=""), "uriToken", _NET_NOW + 3600),
        (_net_uri_body(SecurityToken=None, SessionToken="aliasToken"), "aliasToken", _NET_NOW + 3600),
        (_net_uri_body(Expiration="2023-11-15T07:13:20.123+08:00"), "uriToken", _NET_NOW + 3600.123),
    ], ids=["no-code", "empty-code", "session-token-alias", "offset-expiration"])  # fmt: skip
    def test_accepted_answer_variants(self, net_loop, net_clock, body, expected_token, expected_expiration):
        net_loop.routes[("GET", "/creds")] = (200, {}, body)
        creds = ossign.CredentialsUriCredentialProvider(net_loop.url + "/creds").provide(_net_ctx(net_clock))
        assert creds.security_token == expected_token
        assert creds.expiration == _net_utc(expected_expiration)

    @pytest.mark.parametrize("with_status", [True, False], ids=["status", "getcode-only"])
    def test_injected_opener_response(self, net_clock, with_status):
        opener = _NetOpener(lambda request: _NetResponse(200, _net_uri_body(), with_status=with_status))
        uri = "http://creds.invalid/v1/credentials?token=" + _net_u(TOKEN)
        creds = ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock, opener=opener, timeout=1.5))
        assert creds.access_key_id == "STS.uriKeyId00001"
        ((method, url, headers),) = opener.seen
        assert (method, url) == ("GET", uri)
        assert opener.timeouts == [1.5]
        assert opener.responses[0].closed

    @pytest.mark.parametrize("answer, fragment", [
        (lambda r: _NetResponse(500, b"internal error"), "HTTP 500"),
        (lambda r: _NetResponse(401, {"Code": "Unauthorized", "Message": "bad token"}), "Code=Unauthorized"),
        (lambda r: urllib.error.HTTPError(r.full_url, 403, "Forbidden", {}, io.BytesIO(b"denied")), "HTTP 403"),
        (lambda r: urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), "refused"),
        (lambda r: TimeoutError("timed out"), "timed out"),
    ], ids=["returned-500", "returned-401-json", "raised-403", "url-error", "timeout"])  # fmt: skip
    def test_injected_opener_failures(self, net_clock, answer, fragment):
        uri = "http://creds.invalid/v1/credentials?token=" + _net_u(TOKEN)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock, opener=_NetOpener(answer)))
        message = _net_error(excinfo, fragment, "http://creds.invalid/v1/credentials", source="credentials_uri")
        assert _net_u(TOKEN) not in message and "token=" not in message

    @pytest.mark.parametrize("response, fragment", [
        ((500, {}, "upstream exploded"), "HTTP 500"),
        ((404, {}, "no such thing"), "HTTP 404"),
        ((200, {}, "this is not json"), "not valid JSON"),
        ((200, {}, "<html>login page</html>"), "HTML"),
        ((200, {}, "[1, 2, 3]"), "not an object"),
        ((200, {}, _net_uri_body(Code="Failed", Message="role detached")), "Code=Failed"),
        ((200, {}, _net_uri_body(AccessKeySecret=None)), "no AccessKeySecret"),
        ((200, {}, _net_uri_body(AccessKeyId=None)), "no AccessKeyId"),
        ((200, {}, _net_uri_body(SecurityToken=None)), "no SecurityToken"),
        ((200, {}, _net_uri_body(Expiration=None)), "no Expiration"),
        ((200, {}, _net_uri_body(Expiration="2023-11-14T22:00:00Z")), "already expired"),
        ((200, {}, _net_uri_body(Expiration="2023-11-14 23:13:20")), "Expiration"),
        ((200, {}, _net_uri_body(AccessKeySecret=12345)), "not a string"),
    ], ids=["500", "404", "not-json", "html", "array", "code-failed", "no-secret", "no-id", "no-token",
            "no-expiration", "expired", "expiration-without-offset", "secret-not-string"])  # fmt: skip
    def test_failures_name_the_source_and_hide_the_query(self, net_loop, net_clock, response, fragment):
        net_loop.routes[("GET", "/creds")] = response
        uri = net_loop.url + "/creds?token=" + _net_u(TOKEN)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock))
        message = _net_error(excinfo, fragment, source="credentials_uri")
        if "Expiration" not in fragment and "expired" not in fragment:  # the others quote the URL's path
            assert net_loop.url + "/creds" in message
        assert _net_u(TOKEN) not in message and "token=" not in message
        assert net_loop.requests[0].query["token"] == [TOKEN]

    def test_unreachable_uri_is_credential_error(self, net_clock):
        uri = "http://127.0.0.1:%d/creds?token=%s" % (free_port(), _net_u(TOKEN))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock))
        message = _net_error(excinfo, "refused", source="credentials_uri")
        assert "token=" not in message


# ==== Default opener safety =================================================


class TestNetDefaultOpener:
    @pytest.mark.parametrize("make_uri", [
        lambda path: "file://" + path,
        lambda path: "data:application/json," + urllib.parse.quote(Path(path).read_text()),
        lambda path: "ftp://127.0.0.1:%d/creds.json" % free_port(),
    ], ids=["file", "data", "ftp"])  # fmt: skip
    def test_non_http_uri_is_never_read(self, tmp_path, net_clock, make_uri):
        path = _net_write(tmp_path / "creds.json", json.dumps(_net_uri_body(AccessKeyId="STS.readFromFile01")))
        env = {"ALIBABA_CLOUD_CREDENTIALS_URI": make_uri(path)}
        chain = ossign.DefaultCredentialProvider(ecs_ram_role=None)
        with pytest.raises(ossign.CredentialError) as excinfo:
            chain.provide(_net_ctx(net_clock, env, home_dir=str(tmp_path / "home")))
        reasons = dict(excinfo.value.attempts)
        assert "not configured" not in reasons["credentials_uri"]
        assert "STS.readFromFile01" not in str(excinfo.value)

    @pytest.mark.parametrize("uri", ["file:///etc/hostname", "ftp://127.0.0.1:1/creds", "data:text/plain,{}"],
                             ids=["file", "ftp", "data"])  # fmt: skip
    def test_non_http_uri_is_a_credential_error(self, net_clock, uri):
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock))
        _net_error(excinfo, source="credentials_uri")

    def test_default_opener_does_not_follow_redirects(self, net_loop):
        target = LoopbackServer().start()
        try:
            net_loop.routes[("GET", "/moved")] = (302, {"Location": target.url + "/elsewhere"}, b"")
            with pytest.raises(urllib.error.HTTPError) as excinfo:
                ossign._default_opener().open(urllib.request.Request(net_loop.url + "/moved"), timeout=2)
            assert excinfo.value.code == 302
            excinfo.value.close()
            assert target.requests == []
        finally:
            target.stop()

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_credentials_uri_redirect_to_loopback_is_not_followed(self, net_loop, net_clock, status):
        target = LoopbackServer().start()
        try:
            target.routes[("GET", "/creds")] = (200, {}, _net_uri_body())
            net_loop.routes[("GET", "/creds")] = (status, {"Location": target.url + "/creds"}, b"")
            with pytest.raises(ossign.CredentialError) as excinfo:
                ossign.CredentialsUriCredentialProvider(net_loop.url + "/creds").provide(_net_ctx(net_clock))
            _net_error(excinfo, str(status), source="credentials_uri")
            assert target.requests == []
        finally:
            target.stop()

    def test_metadata_token_redirect_is_not_followed(self, net_loop, net_clock):
        target = LoopbackServer().start()
        try:
            target.routes[("PUT", "/latest/api/token")] = (200, {}, "stolen")
            imds = _NetImds(net_loop, net_clock)
            net_loop.routes[("PUT", "/latest/api/token")] = (307, {"Location": target.url + "/latest/api/token"}, b"")
            creds = ossign.EcsRamRoleCredentialProvider(endpoint=net_loop.url).provide(_net_ctx(net_clock))
            assert creds.access_key_id == imds.KEY_ID  # the 307 counts as "no token": IMDSv1
            assert target.requests == []
            assert imds.token_headers() == [None, None]
        finally:
            target.stop()

    def test_proxy_is_bypassed_for_loopback_by_ossign_itself(self, monkeypatch, net_loop, net_sts, net_clock):
        proxy = LoopbackServer().start()
        try:
            proxy_sts = _NetSts(proxy, net_clock, path=None)
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            # Control: with this environment, urllib's own opener sends 127.0.0.1 to the proxy.
            with pytest.raises(urllib.error.HTTPError) as control:
                urllib.request.build_opener().open(net_loop.url + "/control", timeout=2)
            control.value.close()
            assert [r.path for r in proxy.requests] == [net_loop.url + "/control"]
            assert net_loop.requests == []
            del proxy.requests[:]
            # ossign's default opener goes straight to the loopback STS ...
            assert _net_assume(net_loop).provide(_net_ctx(net_clock)).access_key_id == "STS.issued0001"
            assert proxy.requests == [] and len(net_sts.calls) == 1
            # ... but still honours the proxy for any other host.
            remote = _net_assume(net_loop, sts_endpoint="http://sts.example.invalid")
            assert remote.provide(_net_ctx(net_clock)).access_key_id == "STS.issued0001"
            assert len(proxy_sts.calls) == 1 and proxy.requests[0].path.startswith("http://sts.example.invalid/?")
            assert len(net_sts.calls) == 1
        finally:
            proxy.stop()

    def test_proxy_is_bypassed_for_the_metadata_address(self, monkeypatch):
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
        opener = ossign._default_opener()
        (handler,) = [h for h in opener.handlers if isinstance(h, urllib.request.ProxyHandler)]
        routed = {}
        for url in ("http://100.100.100.200/latest/api/token", "http://127.0.0.1:8080/", "http://localhost:80/",
                    "http://sts.example.invalid/"):  # fmt: skip
            request = urllib.request.Request(url)
            handler.http_open(request)  # sets the proxy on the request, or leaves it alone
            routed[urllib.parse.urlsplit(url).hostname] = request.has_proxy()
        assert routed == {"100.100.100.200": False, "127.0.0.1": False, "localhost": False,
                          "sts.example.invalid": True}  # fmt: skip

    def test_proxy_is_bypassed_for_ipv6_loopback(self, monkeypatch, net_clock):
        proxy = LoopbackServer().start()
        try:
            proxy.routes[("GET", None)] = (200, {}, _net_uri_body())
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            uri = "http://[::1]:%d/creds" % free_port()  # nothing listens there
            try:
                ossign.CredentialsUriCredentialProvider(uri).provide(_net_ctx(net_clock, timeout=1.0))
            except ossign.CredentialError:
                pass
            assert proxy.requests == []
        finally:
            proxy.stop()


# ==== Role-based profiles: config.json ======================================


def _net_profiles(tmp_path, *profiles, **top):
    home = tmp_path / "home"
    data = dict(top)
    data["profiles"] = list(profiles)
    _net_write(home / ".aliyun" / "config.json", json.dumps(data))
    return str(home)


_NET_BASE = {"name": "base", "mode": "AK", "access_key_id": KEY_ID, "access_key_secret": SECRET}


def _net_ram_role(name, **extra):
    profile = {"name": name, "mode": "RamRoleArn", "access_key_id": KEY_ID, "access_key_secret": SECRET,
               "ram_role_arn": "acs:ram::123456789012:role/" + name}
    profile.update(extra)
    return profile


class TestNetConfigJsonRoles:
    @pytest.mark.parametrize("direct", [False, True], ids=["default-chain", "config-provider"])
    def test_ram_role_arn_mode(self, tmp_path, net_loop, net_sts, net_clock, direct):
        home = _net_profiles(tmp_path, _NET_BASE, _net_ram_role(
            "admin", ram_session_name="cli-admin", expired_seconds=1800, policy=_NET_POLICY, external_id="abc"))
        env = {"ALIBABA_CLOUD_PROFILE": "admin", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        context = _net_ctx(net_clock, env, home_dir=home)
        provider = ossign.ConfigFileCredentialProvider() if direct else ossign.DefaultCredentialProvider()
        creds = provider.provide(context)
        assert creds == ossign.Credentials("STS.issued0001", "stsSecret0001", "stsToken0001", _net_utc(_NET_NOW + 3600))
        assert net_sts.rejected == []
        (params,) = net_sts.calls
        assert params["AccessKeyId"] == KEY_ID and "SecurityToken" not in params
        assert params["RoleArn"] == "acs:ram::123456789012:role/admin"
        assert params["RoleSessionName"] == "cli-admin"
        assert params["DurationSeconds"] == "1800"
        assert params["Policy"] == _NET_POLICY
        assert params["ExternalId"] == "abc"

    def test_ram_role_arn_default_session_name(self, tmp_path, net_loop, net_sts, net_clock):
        home = _net_profiles(tmp_path, _net_ram_role("admin"), current="admin")
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}, home_dir=home)
        ossign.ConfigFileCredentialProvider().provide(context)
        assert net_sts.calls[0]["RoleSessionName"] == "ossign-%d" % _NET_NOW
        assert "DurationSeconds" not in net_sts.calls[0]

    @pytest.mark.parametrize("extra, host", [
        ({"sts_region": "cn-shanghai"}, "sts.cn-shanghai.aliyuncs.com"),
        ({"sts_region": "cn-shanghai", "enable_vpc": True}, "sts-vpc.cn-shanghai.aliyuncs.com"),
        ({"sts_region": "cn-shanghai", "enable_vpc": "true"}, "sts-vpc.cn-shanghai.aliyuncs.com"),
        ({"sts_region": "cn-shanghai", "enable_vpc": False}, "sts.cn-shanghai.aliyuncs.com"),
        ({}, "sts.aliyuncs.com"),
    ], ids=["region", "region-vpc", "region-vpc-string", "region-no-vpc", "default"])  # fmt: skip
    def test_ram_role_arn_sts_region(self, tmp_path, net_loop, net_sts, net_clock, extra, host):
        home = _net_profiles(tmp_path, _net_ram_role("admin", **extra))
        opener = _NetRewriteOpener(net_loop.url)
        context = _net_ctx(net_clock, {}, home_dir=home, opener=opener)
        assert ossign.ConfigFileCredentialProvider(profile="admin").provide(context).access_key_id == "STS.issued0001"
        ((method, url),) = opener.asked
        assert method == "GET" and url.startswith("https://%s/?" % host)
        assert net_sts.rejected == [] and len(net_sts.calls) == 1

    def test_profile_sts_region_beats_environment_endpoint(self, tmp_path, net_loop, net_sts, net_clock):
        home = _net_profiles(tmp_path, _net_ram_role("admin", sts_region="cn-shanghai"))
        opener = _NetRewriteOpener(net_loop.url, only_host="sts.cn-shanghai.aliyuncs.com")
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": "http://127.0.0.1:%d" % free_port()}
        context = _net_ctx(net_clock, env, home_dir=home, opener=opener)
        assert ossign.ConfigFileCredentialProvider(profile="admin").provide(context).access_key_id == "STS.issued0001"
        assert [urllib.parse.urlsplit(u).hostname for _, u in opener.asked] == ["sts.cn-shanghai.aliyuncs.com"]

    def test_chainable_ram_role_arn_assumes_roles_in_order(self, tmp_path, net_loop, net_sts, net_clock):
        home = _net_profiles(
            tmp_path, _NET_BASE,
            _net_ram_role("inner", ram_session_name="inner-session"),
            {"name": "outer", "mode": "ChainableRamRoleArn", "source_profile": "inner",
             "ram_role_arn": "acs:ram::123456789012:role/outer", "ram_session_name": "outer-session",
             "expired_seconds": 900},
            current="outer")  # fmt: skip
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        creds = ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=home))
        assert net_sts.rejected == []
        first, second = net_sts.calls
        assert (first["AccessKeyId"], first["RoleArn"], first["RoleSessionName"]) == (
            KEY_ID, "acs:ram::123456789012:role/inner", "inner-session")
        assert "SecurityToken" not in first
        # The outer call is signed with what the inner one returned (the fake STS checked the signature).
        assert (second["AccessKeyId"], second["SecurityToken"]) == ("STS.issued0001", "stsToken0001")
        assert (second["RoleArn"], second["RoleSessionName"], second["DurationSeconds"]) == (
            "acs:ram::123456789012:role/outer", "outer-session", "900")
        assert creds.access_key_id == "STS.issued0002" and creds.security_token == "stsToken0002"

    def test_chainable_from_an_ak_profile_is_one_call(self, tmp_path, net_loop, net_sts, net_clock):
        home = _net_profiles(tmp_path, _NET_BASE, {"name": "deploy", "mode": "ChainableRamRoleArn",
                                                   "source_profile": "base", "ram_role_arn": _NET_ROLE})
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}, home_dir=home)
        assert ossign.ConfigFileCredentialProvider(profile="deploy").provide(context).access_key_id == "STS.issued0001"
        assert [(c["AccessKeyId"], c["RoleArn"]) for c in net_sts.calls] == [(KEY_ID, _NET_ROLE)]

    @pytest.mark.parametrize("profiles, fragment", [
        ([{"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b", "ram_role_arn": _NET_ROLE},
          {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": _NET_ROLE}],
         "a -> b -> a"),
        ([{"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": _NET_ROLE}], "a -> a"),
    ], ids=["two", "self"])  # fmt: skip
    def test_source_profile_cycle_is_credential_error(self, tmp_path, net_loop, net_sts, net_clock, profiles,
                                                      fragment):
        home = _net_profiles(tmp_path, *profiles)
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}, home_dir=home)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider(profile="a").provide(context)
        _net_error(excinfo, "cycle", fragment, source="config_file")
        assert net_loop.requests == []

    @pytest.mark.parametrize("profile, fragment", [
        ({"name": "x", "mode": "ChainableRamRoleArn", "ram_role_arn": _NET_ROLE}, "needs source_profile"),
        ({"name": "x", "mode": "ChainableRamRoleArn", "source_profile": "ghost", "ram_role_arn": _NET_ROLE},
         "'ghost' not found"),
        ({"name": "x", "mode": "RamRoleArn", "access_key_id": KEY_ID, "access_key_secret": SECRET},
         "has no ram_role_arn"),
        ({"name": "x", "mode": "RamRoleArn", "ram_role_arn": _NET_ROLE}, "has no access_key_id"),
        (_net_ram_role("x", expired_seconds=600), "900"),
        (_net_ram_role("x", expired_seconds="an hour"), "whole number"),
        ({"name": "x", "mode": "EcsRamRole"}, "no ECS role name"),
        ({"name": "x", "mode": "OIDC", "ram_role_arn": _NET_ROLE, "oidc_provider_arn": _NET_OIDC_PROVIDER},
         "has no oidc_token_file"),
    ], ids=["no-source", "unknown-source", "no-role", "no-key", "short-duration", "bad-duration", "ecs-no-role",
            "oidc-no-token-file"])  # fmt: skip
    def test_broken_role_profiles_are_credential_errors(self, tmp_path, net_loop, net_sts, net_clock, profile,
                                                        fragment):
        home = _net_profiles(tmp_path, profile)
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}, home_dir=home)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider(profile="x").provide(context)
        _net_error(excinfo, fragment, source="config_file")
        assert net_loop.requests == []

    def test_ecs_ram_role_mode(self, tmp_path, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="my-ecs-role")
        home = _net_profiles(tmp_path, {"name": "instance", "mode": "EcsRamRole", "ram_role_name": "my-ecs-role"})
        env = {"ALIBABA_CLOUD_PROFILE": "instance", "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": net_loop.url}
        creds = ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=home))
        assert creds.access_key_id == imds.KEY_ID
        assert imds.calls() == [("PUT", "/latest/api/token"), ("GET", _NET_ECS_PREFIX + "my-ecs-role")]
        assert imds.token_headers() == [_NetImds.TOKEN]

    def test_ecs_ram_role_mode_with_metadata_disabled_says_why(self, tmp_path, net_loop, net_clock):
        home = _net_profiles(tmp_path, {"name": "instance", "mode": "EcsRamRole", "ram_role_name": "my-ecs-role"})
        env = {"ALIBABA_CLOUD_PROFILE": "instance", "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=home))
        _net_error(excinfo, "ALIBABA_CLOUD_ECS_METADATA_DISABLED", source="config_file")
        assert net_loop.requests == []

    def test_oidc_mode(self, tmp_path, net_loop, net_sts, net_clock):
        token_file = _net_write(tmp_path / "tokens" / "oidc-token", "profile-oidc-token\n")
        home = _net_profiles(tmp_path, {"name": "pod", "mode": "OIDC", "ram_role_arn": _NET_ROLE,
                                        "oidc_provider_arn": _NET_OIDC_PROVIDER, "oidc_token_file": token_file,
                                        "role_session_name": "pod-session", "expired_seconds": 3600})
        env = {"ALIBABA_CLOUD_PROFILE": "pod", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        creds = ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=home))
        assert creds.access_key_id == "STS.issued0001"
        (params,) = net_sts.calls
        assert (params["Action"], params["RoleArn"], params["OIDCProviderArn"], params["OIDCToken"],
                params["RoleSessionName"], params["DurationSeconds"]) == (
            "AssumeRoleWithOIDC", _NET_ROLE, _NET_OIDC_PROVIDER, "profile-oidc-token", "pod-session", "3600")
        assert "AccessKeyId" not in params and "Signature" not in params

    def test_oidc_mode_missing_token_file_names_it(self, tmp_path, net_loop, net_sts, net_clock):
        missing = str(tmp_path / "nope" / "token")
        home = _net_profiles(tmp_path, {"name": "pod", "mode": "OIDC", "ram_role_arn": _NET_ROLE,
                                        "oidc_provider_arn": _NET_OIDC_PROVIDER, "oidc_token_file": missing})
        context = _net_ctx(net_clock, {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}, home_dir=home)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider(profile="pod").provide(context)
        _net_error(excinfo, missing)
        assert net_loop.requests == []

    def test_sts_failure_in_a_profile_names_the_source(self, tmp_path, net_loop, net_clock):
        net_loop.routes[("GET", "/")] = (403, {}, {"Code": "NoPermission", "Message": "denied", "RequestId": "R"})
        home = _net_profiles(tmp_path, _net_ram_role("admin"))
        env = {"ALIBABA_CLOUD_PROFILE": "admin", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=home))
        reasons = dict(excinfo.value.attempts)
        assert "NoPermission" in reasons["config_file"] and "HTTP 403" in reasons["config_file"]
        assert_no_secret(str(excinfo.value))


# ==== Role-based profiles: credentials.ini ==================================


def _net_ini(tmp_path, text):
    home = tmp_path / "home"
    _net_write(home / ".alibabacloud" / "credentials.ini", text)
    return str(home)


_NET_INI = """
[default]
type = access_key
access_key_id = LTAIiniDefault0001
access_key_secret = iniDefaultSecret

[deployer]
type = ram_role_arn
access_key_id = {key_id}
access_key_secret = {secret}
role_arn = acs:ram::123456789012:role/deployer
role_session_name = ini-session
policy = {policy}
external_id = ini-external
duration_seconds = 2400

[pod]
type = oidc_role_arn
role_arn = acs:ram::123456789012:role/pod
oidc_provider_arn = {provider}
oidc_token_file_path = {token_file}
role_session_name = ini-pod

[node]
type = ecs_ram_role
role_name = ini-node-role

[regional]
type = ram_role_arn
access_key_id = {key_id}
access_key_secret = {secret}
role_arn = acs:ram::123456789012:role/regional
sts_region = ap-southeast-1
enable_vpc = true

[broken]
type = ram_role_arn
access_key_id = {key_id}
access_key_secret = {secret}
"""


class TestNetCredentialsIniRoles:
    @pytest.fixture
    def net_ini_home(self, tmp_path):
        token_file = _net_write(tmp_path / "oidc-token", "ini-oidc-token\n")
        return _net_ini(tmp_path, _NET_INI.format(key_id=KEY_ID, secret=SECRET, policy=_NET_POLICY,
                                                  provider=_NET_OIDC_PROVIDER, token_file=token_file))

    @pytest.mark.parametrize("direct", [False, True], ids=["default-chain", "ini-provider"])
    def test_ram_role_arn_type(self, net_ini_home, net_loop, net_sts, net_clock, direct):
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        if direct:
            provider = ossign.CredentialsFileCredentialProvider(profile="deployer")
        else:
            env["ALIBABA_CLOUD_PROFILE"] = "deployer"
            provider = ossign.DefaultCredentialProvider()
        creds = provider.provide(_net_ctx(net_clock, env, home_dir=net_ini_home))
        assert creds.access_key_id == "STS.issued0001"
        assert net_sts.rejected == []
        (params,) = net_sts.calls
        assert (params["AccessKeyId"], params["RoleArn"], params["RoleSessionName"], params["Policy"],
                params["ExternalId"], params["DurationSeconds"]) == (
            KEY_ID, "acs:ram::123456789012:role/deployer", "ini-session", _NET_POLICY, "ini-external", "2400")

    def test_oidc_role_arn_type(self, net_ini_home, net_loop, net_sts, net_clock):
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        provider = ossign.CredentialsFileCredentialProvider(profile="pod")
        assert provider.provide(_net_ctx(net_clock, env, home_dir=net_ini_home)).access_key_id == "STS.issued0001"
        (params,) = net_sts.calls
        assert (params["Action"], params["RoleArn"], params["OIDCProviderArn"], params["OIDCToken"],
                params["RoleSessionName"]) == (
            "AssumeRoleWithOIDC", "acs:ram::123456789012:role/pod", _NET_OIDC_PROVIDER, "ini-oidc-token", "ini-pod")

    def test_ecs_ram_role_type(self, net_ini_home, net_loop, net_clock):
        imds = _NetImds(net_loop, net_clock, role="ini-node-role")
        env = {"ALIBABA_CLOUD_PROFILE": "node", "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": net_loop.url}
        creds = ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=net_ini_home))
        assert creds.access_key_id == imds.KEY_ID
        assert imds.calls() == [("PUT", "/latest/api/token"), ("GET", _NET_ECS_PREFIX + "ini-node-role")]

    def test_ram_role_arn_type_regional_vpc_endpoint(self, net_ini_home, net_loop, net_sts, net_clock):
        opener = _NetRewriteOpener(net_loop.url)
        provider = ossign.CredentialsFileCredentialProvider(profile="regional")
        assert provider.provide(_net_ctx(net_clock, {}, home_dir=net_ini_home, opener=opener)).access_key_id \
            == "STS.issued0001"
        ((_, url),) = opener.asked
        assert url.startswith("https://sts-vpc.ap-southeast-1.aliyuncs.com/?")

    def test_ram_role_arn_type_without_role_is_credential_error(self, net_ini_home, net_loop, net_clock):
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url}
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider(profile="broken").provide(
                _net_ctx(net_clock, env, home_dir=net_ini_home))
        _net_error(excinfo, "[broken]", "role_arn", source="credentials_file")
        assert net_loop.requests == []

    def test_default_profile_stays_static(self, net_ini_home, net_loop, net_sts, net_clock):
        env = {"ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        creds = ossign.DefaultCredentialProvider().provide(_net_ctx(net_clock, env, home_dir=net_ini_home))
        assert creds.access_key_id == "LTAIiniDefault0001"
        assert net_loop.requests == []


# ==== Caching and concurrency of role credentials ===========================


_NET_OBJECT_URL = "https://bucket.oss-cn-hangzhou.aliyuncs.com/reports/q1.csv"


class TestNetRoleCaching:
    def test_signer_calls_sts_once_per_refresh(self, tmp_path, net_loop, net_sts, net_clock):
        home = _net_profiles(tmp_path, _net_ram_role("admin"))
        env = {"ALIBABA_CLOUD_PROFILE": "admin", "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        signer = ossign.Signer("bucket", region="cn-hangzhou", context=_net_ctx(net_clock, env, home_dir=home))
        for _ in range(50):
            signed = signer.sign("GET", _NET_OBJECT_URL)
        assert len(net_sts.calls) == 1
        assert "Credential=STS.issued0001/20231114/cn-hangzhou/oss/aliyun_v4_request" in signed.headers["Authorization"]
        assert signed.headers["x-oss-security-token"] == "stsToken0001"
        net_clock.advance(3600 - 600 - 1)  # just before the advisory window
        signer.sign("GET", _NET_OBJECT_URL)
        assert len(net_sts.calls) == 1
        net_clock.advance(600 - 120 + 2)  # inside the mandatory window (expiry - 120 s)
        for _ in range(20):
            signed = signer.sign("GET", _NET_OBJECT_URL)
        assert len(net_sts.calls) == 2
        assert "Credential=STS.issued0002/" in signed.headers["Authorization"]
        assert signed.headers["x-oss-security-token"] == "stsToken0002"
        assert net_sts.rejected == []

    def test_refresh_picks_up_a_rotated_oidc_token(self, tmp_path, net_loop, net_sts, net_clock):
        token_file = tmp_path / "token"
        _net_write(token_file, "token-generation-1")
        env = {"ALIBABA_CLOUD_ROLE_ARN": _NET_ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": _NET_OIDC_PROVIDER,
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file), "ALIBABA_CLOUD_STS_ENDPOINT": net_loop.url,
               "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
        signer = ossign.Signer("bucket", region="cn-hangzhou",
                               context=_net_ctx(net_clock, env, home_dir=str(tmp_path / "home")))
        for _ in range(10):
            signer.sign("PUT", _NET_OBJECT_URL)
        _net_write(token_file, "token-generation-2")
        net_clock.advance(3600 - 60)
        signer.sign("PUT", _NET_OBJECT_URL)
        assert [c["OIDCToken"] for c in net_sts.calls] == ["token-generation-1", "token-generation-2"]

    def test_sixteen_threads_share_one_assume_role_call(self, net_loop, net_sts, net_clock):
        threads_n = 16
        arrived = threading.Condition()
        state = {"entered": 0}

        def gate():
            # Answer only once every thread has asked for credentials (bounded wait, never a hang).
            with arrived:
                arrived.wait_for(lambda: state["entered"] >= threads_n, timeout=5)

        net_sts.gate = gate
        cache = ossign.CredentialCache(_net_assume(net_loop), _net_ctx(net_clock))
        barrier = threading.Barrier(threads_n)
        results, errors = [None] * threads_n, []

        def worker(i):
            try:
                barrier.wait(timeout=5)
                with arrived:
                    state["entered"] += 1
                    arrived.notify_all()
                results[i] = cache.provide()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads_n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
        assert errors == []
        assert len(net_sts.calls) == 1 and len(net_loop.requests) == 1
        assert {creds.access_key_id for creds in results} == {"STS.issued0001"}
