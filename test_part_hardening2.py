"""Hardening: a table-driven bad-input corpus and secret hygiene."""

import logging
import os
import threading
import time
import traceback
from datetime import timedelta

import pytest

import ossign
from test_ossign import (  # noqa: F401
    _hermetic_environment, FakeClock, FakeFiles, LoopbackServer, clock, files, env, ctx, loopback, free_port,
    static, assert_no_secret, SECRET, TOKEN, KEY_ID,
)

_HD_URL = "https://bkt.oss-cn-hangzhou.aliyuncs.com/key.txt"
_HD_NOW = 1700000000


def _hd_signer(version="v4", token=None, **kwargs):
    context = ossign.Context(clock=FakeClock(_HD_NOW), environ={}, read_file=FakeFiles())
    return ossign.Signer(kwargs.pop("bucket", "bkt"), static(token=token), region=kwargs.pop("region", "cn-hangzhou"),
                         version=version, context=context, **kwargs)  # fmt: skip


# ==== The corpus: signing input =============================================

# (id, call, error class, message fragment)
_HD_SIGNING_CASES = [
    # URLs
    ("url-no-scheme", lambda: _hd_signer().sign("GET", "bkt.oss-cn-hangzhou.aliyuncs.com/k"),
     ossign.SigningError, "https://"),
    ("url-no-host", lambda: _hd_signer().sign("GET", "https:///k"), ossign.SigningError, "no host"),
    ("url-file-scheme", lambda: _hd_signer().sign("GET", "file:///etc/passwd"), ossign.SigningError, "scheme"),
    ("url-ftp-scheme", lambda: _hd_signer().sign("GET", "ftp://bkt.example.com/k"), ossign.SigningError, "scheme"),
    ("url-nul", lambda: _hd_signer().sign("GET", _HD_URL + "\x00"), ossign.SigningError, "control"),
    ("url-newline", lambda: _hd_signer().sign("GET", _HD_URL + "\r\nX-Injected: 1"), ossign.SigningError, "control"),
    ("url-tab", lambda: _hd_signer().sign("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/a\tb"),
     ossign.SigningError, "control"),
    ("url-space", lambda: _hd_signer().sign("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/a b"),
     ossign.SigningError, "spaces"),
    ("url-non-ascii-host", lambda: _hd_signer(region="cn-hangzhou").sign("GET", "https://bücket.example.com/k"),
     ossign.SigningError, "non-ASCII"),
    ("url-non-ascii-path", lambda: _hd_signer().sign("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/中文"),
     ossign.SigningError, "percent-encode"),
    ("url-bad-escape", lambda: _hd_signer().sign("GET", _HD_URL + "%G1"), ossign.SigningError, "percent escape"),
    ("url-trailing-percent", lambda: _hd_signer().sign("GET", _HD_URL + "%"), ossign.SigningError, "percent escape"),
    ("url-short-escape", lambda: _hd_signer().sign("GET", _HD_URL + "%2"), ossign.SigningError, "percent escape"),
    ("url-escape-in-query", lambda: _hd_signer().sign("GET", _HD_URL + "?prefix=%zz"), ossign.SigningError,
     "percent escape"),
    ("url-invalid-utf8", lambda: _hd_signer().sign("GET", _HD_URL + "%FF"), ossign.SigningError, "UTF-8"),
    ("url-huge-query", lambda: _hd_signer().sign("GET", _HD_URL + "?a=" + "x" * 70000), ossign.SigningError,
     "65536"),
    ("url-bytes", lambda: _hd_signer().sign("GET", _HD_URL.encode()), ossign.SigningError, "must be a str"),
    ("url-none", lambda: _hd_signer().sign("GET", None), ossign.SigningError, "must be a str"),
    ("url-port-too-big", lambda: _hd_signer().sign("GET", "https://127.0.0.1:99999/bkt/k"), ossign.SigningError,
     "port"),
    ("url-port-not-number", lambda: _hd_signer().sign("GET", "https://127.0.0.1:http/bkt/k"), ossign.SigningError,
     "port"),
    ("url-user-info", lambda: _hd_signer().sign("GET", "https://user:pw@bkt.oss-cn-hangzhou.aliyuncs.com/k"),
     ossign.SigningError, "user info"),
    ("url-bad-ipv6", lambda: _hd_signer().sign("GET", "https://[::1/bkt/k"), ossign.SigningError, "IPv6"),
    ("url-bucket-mismatch", lambda: _hd_signer(bucket="other").sign("GET", _HD_URL), ossign.SigningError,
     "does not match"),
    ("url-v4-no-region", lambda: _hd_signer(region=None).sign("GET", "https://cdn.example.com/k"),
     ossign.SigningError, "region"),
    # headers
    ("header-non-latin1", lambda: _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": "中文"}), ossign.SigningError,
     "latin-1"),
    ("header-crlf-injection", lambda: _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": "v\r\nX-Evil: 1"}),
     ossign.SigningError, "line break"),
    ("header-lf", lambda: _hd_signer().sign("PUT", _HD_URL, {"Content-Type": "text/plain\nX: 1"}),
     ossign.SigningError, "line break"),
    ("header-cr", lambda: _hd_signer("v1").sign("PUT", _HD_URL, {"Content-Type": "text/plain\rX"}),
     ossign.SigningError, "line break"),
    ("header-duplicate-case", lambda: _hd_signer().sign("PUT", _HD_URL, {"X-Oss-Meta-A": "1", "x-oss-meta-a": "2"}),
     ossign.SigningError, "twice"),
    ("header-value-none", lambda: _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": None}), ossign.SigningError,
     "must be str"),
    ("header-value-list", lambda: _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": ["a"]}), ossign.SigningError,
     "must be str"),
    ("header-name-int", lambda: _hd_signer().sign("PUT", _HD_URL, {1: "a"}), ossign.SigningError, "names must be str"),
    # expires
    ("expires-zero", lambda: _hd_signer().presign(_HD_URL, expires=0), ossign.SigningError, "at least 1"),
    ("expires-negative", lambda: _hd_signer("v1").presign(_HD_URL, expires=-5), ossign.SigningError, "at least 1"),
    ("expires-timedelta-zero", lambda: _hd_signer().presign(_HD_URL, expires=timedelta(0)), ossign.SigningError,
     "at least 1"),
    ("expires-over-7-days-v4", lambda: _hd_signer().presign(_HD_URL, expires=604801), ossign.SigningError,
     "604800"),
    ("expires-float", lambda: _hd_signer().presign(_HD_URL, expires=3600.5), ossign.SigningError, "int"),
    ("expires-bool", lambda: _hd_signer().presign(_HD_URL, expires=True), ossign.SigningError, "int"),
    ("expires-string", lambda: _hd_signer().presign(_HD_URL, expires="3600"), ossign.SigningError, "int"),
    ("expires-none-presign", lambda: _hd_signer().presign(_HD_URL, expires=None), ossign.SigningError, "required"),
    # method and construction
    ("method-non-ascii", lambda: _hd_signer().sign("GÉT", _HD_URL), ossign.SigningError, "method"),
    ("method-empty", lambda: _hd_signer().sign("", _HD_URL), ossign.SigningError, "method"),
    ("method-injection", lambda: _hd_signer().sign("GET /x HTTP/1.1\r\n", _HD_URL), ossign.SigningError, "method"),
    ("signer-bad-version", lambda: ossign.Signer("bkt", static(), version="v5"), ValueError, "version"),
    ("signer-bad-product", lambda: ossign.Signer("bkt", static(), product="s3"), ValueError, "product"),
    ("object-url-bad-bucket", lambda: ossign.object_url("Bad_Bucket", "k", "cn-hangzhou"), ossign.SigningError,
     "bucket"),
    ("object-url-no-region", lambda: ossign.object_url("bkt", "k"), ossign.SigningError, "region"),
]


class TestHardeningSigningCorpus:
    @pytest.mark.parametrize("case", _HD_SIGNING_CASES, ids=[c[0] for c in _HD_SIGNING_CASES])
    def test_bad_signing_input_gets_a_clear_error(self, case):
        _, call, error, fragment = case
        with pytest.raises(error) as info:
            call()
        assert fragment.lower() in str(info.value).lower()
        assert_no_secret(str(info.value), SECRET)

    def test_fragment_is_dropped_not_an_error(self):
        signed = _hd_signer().sign("GET", _HD_URL + "#section")
        assert signed.url == _HD_URL

    def test_existing_authorization_is_replaced_never_doubled(self):
        for version in ("v1", "v2", "v4"):
            signed = _hd_signer(version).sign("GET", _HD_URL, {"authorization": "OSS stale:sig", "X-Other": "1"})
            names = [k for k in signed.headers if k.lower() == "authorization"]
            assert names == ["Authorization"], version
            assert "stale" not in signed.headers["Authorization"]

    def test_bytes_header_value_is_read_as_latin1(self):
        by_bytes = _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": b"caf\xe9"})
        by_text = _hd_signer().sign("PUT", _HD_URL, {"x-oss-meta-a": "caf\xe9"})
        assert by_bytes.headers["Authorization"] == by_text.headers["Authorization"]

    def test_expires_over_seven_days_is_fine_for_v1_and_v2(self):
        assert "&Expires=%d&" % (_HD_NOW + 604801) in _hd_signer("v1").presign(_HD_URL, expires=604801)
        assert "x-oss-expires=%d&" % (_HD_NOW + 604801) in _hd_signer("v2").presign(_HD_URL, expires=604801)


# ==== The corpus: files =====================================================


def _hd_files_ctx(files, env=None, home="/home/u"):
    return ossign.Context(environ=dict(env or {}), read_file=files, home_dir=home, clock=FakeClock(_HD_NOW))


_HD_INI_OK = "[default]\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET)

# (id, provider factory, files {path: bytes}, env, expected: exception (class, fragment) or the key id)
_HD_FILE_CASES = [
    ("oss-profile-empty-explicit", lambda: ossign.OssProfileCredentialProvider(path="/p"), {"/p": b""}, {},
     (ossign.CredentialError, "not found")),
    ("oss-profile-binary", lambda: ossign.OssProfileCredentialProvider(path="/p"), {"/p": b"\x00\xff\xfe garbage"},
     {}, (ossign.CredentialError, "/p")),
    ("oss-profile-bom", lambda: ossign.OssProfileCredentialProvider(path="/p"),
     {"/p": b"\xef\xbb\xbf" + _HD_INI_OK.encode()}, {}, KEY_ID),
    ("oss-profile-huge", lambda: ossign.OssProfileCredentialProvider(path="/p"),
     {"/p": _HD_INI_OK.encode() + b"#" * (2 << 20)}, {}, (ossign.CredentialError, "larger than")),
    ("oss-profile-no-section-header", lambda: ossign.OssProfileCredentialProvider(path="/p"),
     {"/p": b"access_key_id = x\n"}, {}, (ossign.CredentialError, "not a valid INI")),
    ("oss-profile-missing-named", lambda: ossign.OssProfileCredentialProvider(path="/p", profile="prod"),
     {"/p": _HD_INI_OK.encode()}, {}, (ossign.CredentialError, "prod")),
    ("oss-profile-duplicate-sections", lambda: ossign.OssProfileCredentialProvider(path="/p"),
     {"/p": ("[default]\naccess_key_id = old\n" + _HD_INI_OK).encode()}, {}, KEY_ID),
    ("oss-profile-not-utf8", lambda: ossign.OssProfileCredentialProvider(path="/p"),
     {"/p": "[default]\naccess_key_id = é\n".encode("latin-1")}, {}, (ossign.CredentialError, "UTF-8")),
    ("ini-type-upper-case", lambda: ossign.CredentialsFileCredentialProvider(path="/c"),
     {"/c": ("[default]\nTYPE = ACCESS_KEY\n" + _HD_INI_OK.split("\n", 1)[1]).encode()}, {}, KEY_ID),
    ("ini-unknown-type", lambda: ossign.CredentialsFileCredentialProvider(path="/c"),
     {"/c": b"[default]\ntype = rsa_key_pair\n"}, {}, (ossign.CredentialError, "unsupported type")),
    ("ini-missing-profile-named", lambda: ossign.CredentialsFileCredentialProvider(path="/c", profile="nope"),
     {"/c": _HD_INI_OK.encode()}, {}, (ossign.CredentialError, "nope")),
    ("json-mode-other-case", lambda: ossign.ConfigFileCredentialProvider(path="/j"),
     {"/j": ('{"profiles": [{"name": "default", "MODE": "stsToken", "access_key_id": "%s", '
             '"access_key_secret": "%s", "sts_token": "%s"}]}' % (KEY_ID, SECRET, TOKEN)).encode()}, {}, KEY_ID),
    ("json-invalid", lambda: ossign.ConfigFileCredentialProvider(path="/j"), {"/j": b"{not json"}, {},
     (ossign.CredentialError, "not valid JSON")),
    ("json-list", lambda: ossign.ConfigFileCredentialProvider(path="/j"), {"/j": b"[]"}, {},
     (ossign.CredentialError, "not an object")),
    ("json-profiles-not-list", lambda: ossign.ConfigFileCredentialProvider(path="/j"), {"/j": b'{"profiles": {}}'},
     {}, (ossign.CredentialError, "not a list")),
    ("json-empty", lambda: ossign.ConfigFileCredentialProvider(path="/j"), {"/j": b""}, {},
     (ossign.CredentialError, "empty")),
    ("json-number-for-secret", lambda: ossign.ConfigFileCredentialProvider(path="/j"),
     {"/j": b'{"profiles": [{"name": "default", "mode": "AK", "access_key_id": "id", "access_key_secret": 5}]}'},
     {}, (ossign.CredentialError, "secret")),
    ("json-profile-missing", lambda: ossign.ConfigFileCredentialProvider(path="/j", profile="ghost"),
     {"/j": b'{"profiles": []}'}, {}, (ossign.CredentialError, "ghost")),
    ("json-cloudsso", lambda: ossign.ConfigFileCredentialProvider(path="/j"),
     {"/j": b'{"profiles": [{"name": "default", "mode": "CloudSSO"}]}'}, {}, (ossign.CredentialError, "browser")),
    ("oidc-token-file-empty", lambda: ossign.AssumeRoleWithOidcCredentialProvider(
        role_arn="acs:ram::1:role/r", oidc_provider_arn="acs:ram::1:oidc-provider/p", oidc_token_file="/t"),
     {"/t": b"  \n"}, {}, (ossign.CredentialError, "empty")),
]


class TestHardeningFileCorpus:
    @pytest.mark.parametrize("case", _HD_FILE_CASES, ids=[c[0] for c in _HD_FILE_CASES])
    def test_file_input(self, case):
        _, factory, contents, env, expected = case
        context = _hd_files_ctx(FakeFiles(contents), env)
        if isinstance(expected, tuple):
            with pytest.raises(expected[0]) as info:
                factory().provide(context)
            assert expected[1].lower() in str(info.value).lower()
            assert_no_secret(str(info.value))
        else:
            assert factory().provide(context).access_key_id == expected

    def test_directory_instead_of_a_file(self, tmp_path):
        context = ossign.Context(environ={}, home_dir=str(tmp_path))
        with pytest.raises(ossign.CredentialError) as info:
            ossign.OssProfileCredentialProvider(path=str(tmp_path)).provide(context)
        assert str(tmp_path) in str(info.value)

    def test_huge_real_file_is_read_bounded(self, tmp_path):
        path = tmp_path / "credentials"
        with open(path, "wb") as f:
            f.write(_HD_INI_OK.encode())
            f.write(b"#" * (8 << 20))
        with pytest.raises(ossign.CredentialError, match="larger than"):
            ossign.OssProfileCredentialProvider(path=str(path)).provide(ossign.Context(environ={}))


# ==== The corpus: HTTP answers ==============================================


def _hd_trickle(request, handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    try:
        for _ in range(30):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass
    return None


_HD_RELEASE = threading.Event()


def _hd_hang(request, handler):
    _HD_RELEASE.wait(5)
    return None


def _hd_good(**changes):
    body = {"Code": "Success", "AccessKeyId": KEY_ID, "AccessKeySecret": SECRET, "SecurityToken": TOKEN,
            "Expiration": "2030-01-01T00:00:00Z"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# (id, response or callable, message fragment)
_HD_HTTP_CASES = [
    ("http-200-empty", (200, {}, b""), "empty"),
    ("http-200-megabytes", (200, {}, b"{" + b" " * (3 << 20) + b"}"), "larger than"),
    ("http-200-invalid-utf8", (200, {}, b'{"AccessKeyId": "\xff\xfe"}'), "UTF-8"),
    ("http-200-json-list", (200, {}, b"[1, 2]"), "not an object"),
    ("http-200-html", (200, {"Content-Type": "text/html"}, b"<html><body>login</body></html>"), "HTML"),
    ("http-200-number-for-string", (200, {}, _hd_good(AccessKeySecret=12345)), "not a string"),
    ("http-200-missing-token", (200, {}, _hd_good(SecurityToken=None)), "SecurityToken"),
    ("http-200-expired", (200, {}, _hd_good(Expiration="2001-01-01T00:00:00Z")), "expired"),
    ("http-200-bad-expiration", (200, {}, _hd_good(Expiration="tomorrow")), "Expiration"),
    ("http-200-code-failure", (200, {}, _hd_good(Code="InternalError")), "Code"),
    ("http-403", (403, {}, b'{"Code": "Forbidden", "Message": "denied"}'), "403"),
    ("http-404-html", (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"), "404"),
    ("http-500", (500, {}, b"boom"), "500"),
    ("http-redirect-other-host", (302, {"Location": "http://203.0.113.9/creds"}, b""), "302"),
    ("http-redirect-file-scheme", (301, {"Location": "file:///etc/passwd"}, b""), "301"),
    ("http-slow-trickle", _hd_trickle, "timed out"),
    ("http-never-answers", _hd_hang, "failed"),
]


class TestHardeningHttpCorpus:
    @pytest.fixture(autouse=True)
    def _release_hanging_handlers(self):
        _HD_RELEASE.clear()
        yield
        _HD_RELEASE.set()

    @pytest.mark.parametrize("case", _HD_HTTP_CASES, ids=[c[0] for c in _HD_HTTP_CASES])
    def test_credentials_uri_answer(self, case, loopback):
        _, response, fragment = case
        loopback.routes[("GET", "/creds")] = response
        context = ossign.Context(environ={}, timeout=0.5, clock=FakeClock(_HD_NOW))
        provider = ossign.CredentialsUriCredentialProvider(loopback.url + "/creds?token=" + TOKEN)
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as info:
            provider.provide(context)
        assert time.monotonic() - started < 2.5, "gave up within its timeout"
        message = str(info.value)
        assert fragment.lower() in message.lower()
        assert message.startswith("credentials_uri: ")
        assert_no_secret(message)
        assert_no_secret("".join(traceback.format_exception(type(info.value), info.value, info.tb)))

    @pytest.mark.parametrize("status", [301, 302, 307])
    def test_sts_redirect_is_not_followed(self, status, loopback):
        target = LoopbackServer().start()
        try:
            loopback.routes[("GET", "/")] = (status, {"Location": target.url + "/"}, b"")
            provider = ossign.AssumeRoleCredentialProvider(
                base_provider=static(token=TOKEN), role_arn="acs:ram::1:role/r", sts_endpoint=loopback.url)
            with pytest.raises(ossign.CredentialError, match=str(status)) as info:
                provider.provide(ossign.Context(environ={}, timeout=1))
            assert target.requests == []
            assert_no_secret(str(info.value))
        finally:
            target.stop()

    def test_ecs_redirect_is_not_followed(self, loopback):
        loopback.routes[("PUT", "/latest/api/token")] = (200, {}, b"tok")
        loopback.routes[("GET", "/latest/meta-data/ram/security-credentials/role")] = (
            302, {"Location": "http://203.0.113.9/x"}, b"")
        provider = ossign.EcsRamRoleCredentialProvider(role_name="role", endpoint=loopback.url)
        with pytest.raises(ossign.CredentialError, match="302"):
            provider.provide(ossign.Context(environ={}, timeout=1))


# ==== Secret hygiene ========================================================


def _hd_providers(tmp_path):
    """One of every provider, built with the known secrets where it takes any."""
    return [
        static(token=TOKEN),
        ossign.EnvCredentialProvider(),
        ossign.OssProfileCredentialProvider(path=str(tmp_path / "p"), profile="default"),
        ossign.CredentialsFileCredentialProvider(path=str(tmp_path / "c")),
        ossign.ConfigFileCredentialProvider(path=str(tmp_path / "j")),
        ossign.CredentialsUriCredentialProvider("http://127.0.0.1:1/creds?token=" + TOKEN),
        ossign.EcsRamRoleCredentialProvider(role_name="role"),
        ossign.AssumeRoleCredentialProvider(base_provider=static(token=TOKEN), role_arn="acs:ram::1:role/r"),
        ossign.AssumeRoleWithOidcCredentialProvider(role_arn="acs:ram::1:role/r", oidc_provider_arn="p",
                                                    oidc_token_file=str(tmp_path / "t")),
        ossign.ProcessCredentialProvider(["helper", "--secret", SECRET, "--token", TOKEN]),
        ossign.ChainCredentialProvider(static(token=TOKEN)),
        ossign.DefaultCredentialProvider().push_front(static(token=TOKEN)),
    ]


class TestHardeningSecretHygiene:
    def test_repr_and_str_of_everything_hide_secrets(self, tmp_path):
        creds = ossign.Credentials(KEY_ID, SECRET, TOKEN)
        cache = ossign.CredentialCache(static(token=TOKEN), ossign.Context(environ={}))
        cache.get()
        signer = ossign.Signer("bkt", cache, region="cn-hangzhou")
        context = ossign.Context(environ={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET})
        objects = [creds, cache, signer, context] + _hd_providers(tmp_path)
        for obj in objects:
            assert_no_secret(repr(obj))
            assert_no_secret(str(obj))
        assert KEY_ID[-4:] in repr(creds)

    def test_no_log_record_at_any_level_holds_a_secret(self, caplog, monkeypatch):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
        monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        caplog.set_level(logging.DEBUG, logger="ossign")
        for version in ("v1", "v2", "v4"):
            signer = ossign.Signer("bkt", region="cn-hangzhou", version=version)
            signer.sign("PUT", _HD_URL, {"Content-Type": "text/plain", "x-oss-meta-a": "1"})
            signer.presign(_HD_URL, expires=600)
        assert any("env" in r.getMessage() for r in caplog.records), "the resolution was logged"
        assert_no_secret(caplog.text)

    def test_sts_error_echoing_the_request_leaks_nothing(self, loopback):
        def echo(request, handler):
            # STS answers SignatureDoesNotMatch with its string to sign.
            query = request.path.split("?", 1)[1]
            message = "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&" \
                + urllib_quote(query)
            return 400, {}, {"Code": "SignatureDoesNotMatch", "Message": message, "RequestId": "R1"}

        loopback.routes[("GET", "/")] = echo
        provider = ossign.AssumeRoleCredentialProvider(
            base_provider=static(token=TOKEN), role_arn="acs:ram::1:role/r", sts_endpoint=loopback.url)
        with pytest.raises(ossign.CredentialError) as info:
            provider.provide(ossign.Context(environ={}, timeout=2))
        text = str(info.value) + "".join(traceback.format_exception(type(info.value), info.value, info.tb))
        assert "SignatureDoesNotMatch" in text
        for secret in (SECRET, TOKEN, KEY_ID, urllib_quote(TOKEN), urllib_quote(urllib_quote(TOKEN))):
            assert secret not in text

    def test_process_stdout_never_reaches_the_error(self):
        def run(argv, timeout):
            return 1, ('{"access_key_secret": "%s"}' % SECRET).encode(), b"bad things happened\nmore"

        provider = ossign.ProcessCredentialProvider(["helper", SECRET])
        with pytest.raises(ossign.CredentialError) as info:
            provider.provide(ossign.Context(environ={}, run_command=run))
        assert "bad things happened" in str(info.value)
        assert_no_secret(str(info.value))

    def test_chain_error_lists_sources_without_secrets(self, tmp_path):
        (tmp_path / "p").write_text("[default]\naccess_key_id = %s\n" % KEY_ID)
        chain = ossign.ChainCredentialProvider(
            ossign.StaticCredentialProvider(KEY_ID, ""),
            ossign.OssProfileCredentialProvider(path=str(tmp_path / "p")),
            ossign.EnvCredentialProvider(),
        )
        context = ossign.Context(environ={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET})
        with pytest.raises(ossign.CredentialError) as info:
            chain.provide(context)
        assert len(info.value.attempts) == 3
        assert_no_secret(str(info.value) + repr(info.value.attempts))

    @pytest.mark.parametrize("argv", [
        ["presign", "oss://bkt/a.txt", "--region", "cn-hangzhou"],
        ["presign", "oss://bkt/a.txt", "--region", "cn-hangzhou", "--version", "v1"],
        ["sign", "PUT", _HD_URL, "-H", "Content-Type: text/plain"],
        ["sign", "GET", _HD_URL, "--format", "json", "--version", "v2"],
        ["sign", "GET", _HD_URL, "--format", "curl"],
        ["credentials"],
        ["post-policy", "oss://bkt/up/", "--region", "cn-hangzhou", "--max-size", "100"],
        ["post-policy", "oss://bkt/up/", "--region", "cn-hangzhou", "--html", "--version", "v1"],
    ], ids=["presign-v4", "presign-v1", "sign-headers", "sign-json", "sign-curl", "credentials", "post-policy",
            "post-policy-html"])
    def test_cli_never_prints_the_secret(self, argv, capsys, monkeypatch):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
        monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        monkeypatch.setenv("HOME", "/nonexistent-home")
        assert ossign.main(argv + ["--debug"]) == 0
        out, err = capsys.readouterr()
        assert_no_secret(out + err, SECRET)
        assert_no_secret(err)  # the --debug lines carry neither token nor full key id
        if argv[0] == "credentials":
            assert_no_secret(out)
            assert KEY_ID[-4:] in out

    def test_cli_error_output_leaks_nothing(self, capsys, monkeypatch):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
        monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        monkeypatch.setenv("HOME", "/nonexistent-home")
        assert ossign.main(["credentials", "--debug"]) == 1
        out, err = capsys.readouterr()
        assert_no_secret(out + err)

    def test_shared_credentials_file_logs_a_warning_naming_it(self, tmp_path, caplog):
        path = tmp_path / "credentials"
        path.write_text(_HD_INI_OK)
        caplog.set_level(logging.WARNING, logger="ossign")
        os.chmod(path, 0o644)
        ossign.OssProfileCredentialProvider(path=str(path)).provide(ossign.Context(environ={}))
        assert str(path) in caplog.text and "readable" in caplog.text
        assert_no_secret(caplog.text)
        caplog.clear()
        os.chmod(path, 0o600)
        ossign.OssProfileCredentialProvider(path=str(path)).provide(ossign.Context(environ={}))
        assert caplog.text == ""


def urllib_quote(text):
    import urllib.parse

    return urllib.parse.quote(text, safe="~")
