"""Browser uploads: POST policies (issue 8), checked against an OSS-like loopback PostObject server."""

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

import ossign
from test_ossign import _hermetic_environment, FakeClock, LoopbackServer, loopback, assert_no_secret, SECRET, TOKEN, KEY_ID  # noqa: F401

_PP_NOW = 1700000000  # 2023-11-14T22:13:20Z
_PP_BUCKET = "bkt"
_PP_REGION = "cn-hangzhou"


def _pp_signer(version="v4", token=None, region=_PP_REGION, clock=None, provider=None):
    ctx = ossign.Context(environ={}, clock=clock or FakeClock(_PP_NOW))
    return ossign.Signer(_PP_BUCKET, provider or ossign.StaticCredentialProvider(KEY_ID, SECRET, token),
                         region=region, version=version, context=ctx)  # fmt: skip


def _pp_decode(policy_b64):
    return json.loads(base64.b64decode(policy_b64).decode("utf-8"))


def _pp_sorted(conditions):
    return sorted(json.dumps(c, sort_keys=True) for c in conditions)


def _pp_hmac(key, msg, algo="sha256"):
    return hmac.new(key, msg.encode("utf-8"), algo).digest()


def _pp_v4_key(secret, date, region):
    k1 = _pp_hmac(("aliyun_v4" + secret).encode("utf-8"), date)
    k2 = _pp_hmac(k1, region)
    k3 = _pp_hmac(k2, "oss")
    return _pp_hmac(k3, "aliyun_v4_request")


def _pp_v1_signature(secret, policy_b64):
    return base64.b64encode(_pp_hmac(secret.encode("utf-8"), policy_b64, "sha1")).decode("ascii")


def _pp_v4_signature(secret, date, region, policy_b64):
    return hmac.new(_pp_v4_key(secret, date, region), policy_b64.encode("ascii"), hashlib.sha256).hexdigest()


def _pp_v4_auth(token=None):
    auth = [{"x-oss-signature-version": "OSS4-HMAC-SHA256"},
            {"x-oss-credential": KEY_ID + "/20231114/cn-hangzhou/oss/aliyun_v4_request"},
            {"x-oss-date": "20231114T221320Z"}]  # fmt: skip
    if token:
        auth.append({"x-oss-security-token": token})
    return auth


# ---- an OSS-like PostObject server ----------------------------------------


class _PpOssServer:
    """Checks a multipart PostObject as OSS does; 204 when accepted, else 403 with the reason."""

    def __init__(self, clock, bucket=_PP_BUCKET, region=_PP_REGION, keys=None):
        self.clock = clock
        self.bucket = bucket
        self.region = region
        self.keys = keys or {KEY_ID: (SECRET, None)}
        self.stored = {}
        self.reasons = []

    def __call__(self, request, handler):
        try:
            key, data = self._check(request)
        except _PpReject as exc:
            self.reasons.append(str(exc))
            return 403, {"Content-Type": "text/plain"}, str(exc)
        self.stored[key] = data
        return 204, {}, b""

    @staticmethod
    def _parse(request):
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise _PpReject("not multipart/form-data")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + request.body)
        fields, file_part = {}, None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                file_part = (part.get_filename(), part.get_payload(decode=True))
                break  # OSS ignores anything after the file
            fields[name.lower()] = part.get_payload(decode=True).decode("utf-8")
        if file_part is None:
            raise _PpReject("no file field")
        return fields, file_part

    def _check(self, request):
        fields, (filename, data) = self._parse(request)
        policy_b64 = fields.get("policy")
        if not policy_b64:
            raise _PpReject("no policy")
        if fields.get("x-oss-signature-version") is not None:
            if fields["x-oss-signature-version"] != "OSS4-HMAC-SHA256":
                raise _PpReject("bad signature version")
            key_id, date, region, product, term = fields["x-oss-credential"].split("/")
            if key_id not in self.keys or (region, product, term) != (self.region, "oss", "aliyun_v4_request"):
                raise _PpReject("bad credential")
            if not fields["x-oss-date"].startswith(date):
                raise _PpReject("x-oss-date and credential date differ")
            secret, token = self.keys[key_id]
            expected = _pp_v4_signature(secret, date, region, policy_b64)
            if not hmac.compare_digest(fields.get("x-oss-signature", ""), expected):
                raise _PpReject("SignatureDoesNotMatch")
            auth_names = ["x-oss-signature-version", "x-oss-credential", "x-oss-date"]
        else:
            key_id = fields.get("ossaccesskeyid")
            if key_id not in self.keys:
                raise _PpReject("InvalidAccessKeyId")
            secret, token = self.keys[key_id]
            if not hmac.compare_digest(fields.get("signature", ""), _pp_v1_signature(secret, policy_b64)):
                raise _PpReject("SignatureDoesNotMatch")
            auth_names = []
        if token is not None:
            if fields.get("x-oss-security-token") != token:
                raise _PpReject("InvalidSecurityToken")
            auth_names.append("x-oss-security-token")
        document = json.loads(base64.b64decode(policy_b64).decode("utf-8"))
        expiration = datetime.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        if expiration.timestamp() <= self.clock():
            raise _PpReject("Invalid according to Policy: Policy expired")
        fields["bucket"] = self.bucket
        fields["key"] = fields.get("key", "").replace("${filename}", filename or "")
        declared = {}
        for cond in document["conditions"]:
            if isinstance(cond, dict):
                (name, value), = cond.items()
                declared[name.lower()] = value
                if fields.get(name.lower()) != value:
                    raise _PpReject("Invalid according to Policy: Policy Condition failed: %s" % name)
            elif cond[0] == "content-length-range":
                if not cond[1] <= len(data) <= cond[2]:
                    raise _PpReject("EntityTooLarge or EntityTooSmall")
            elif cond[0] in ("eq", "starts-with"):
                name = cond[1].lstrip("$").lower()
                value = fields.get(name, "")
                if (value != cond[2]) if cond[0] == "eq" else not value.startswith(cond[2]):
                    raise _PpReject("Invalid according to Policy: Policy Condition failed: %s" % cond)
                declared[name] = value
            else:
                raise _PpReject("unknown condition %r" % (cond,))
        for name in auth_names:
            if declared.get(name) != fields.get(name):
                raise _PpReject("%s is not in the policy conditions" % name)
        return fields["key"], data


class _PpReject(Exception):
    pass


def _pp_multipart(fields, filename, data):
    boundary = "----ossignTestBoundary7MA4YWxkTrZu0gW"
    out = []
    for name, value in fields.items():
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (boundary, name, value)).encode("utf-8"))  # fmt: skip
    out.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % (boundary, filename)).encode("utf-8"))  # fmt: skip
    out.append(data + ("\r\n--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def _pp_post(url, fields, filename="a.txt", data=b"hello"):
    body, ctype = _pp_multipart(fields, filename, data)
    req = urllib.request.Request(url + "/", data=body, method="POST", headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode("utf-8")


@pytest.fixture
def pp_oss(loopback):
    clock = FakeClock(_PP_NOW)
    server = _PpOssServer(clock)
    loopback.routes[("POST", "/")] = server
    server.url = loopback.url
    return server


# ---- 1. known answers -------------------------------------------------------


class TestPostPolicyKnownAnswers:
    def test_v1_policy_document_and_signature_match_the_documentation(self):
        form = _pp_signer("v1").post_policy("photos/cat.png", expires=3600)
        fields = form["fields"]
        assert list(fields)[0] == "key"
        assert set(fields) == {"key", "OSSAccessKeyId", "policy", "Signature"}
        assert fields["key"] == "photos/cat.png" and fields["OSSAccessKeyId"] == KEY_ID
        document = _pp_decode(fields["policy"])
        assert set(document) == {"expiration", "conditions"}
        assert document["expiration"] == "2023-11-14T23:13:20.000Z"
        assert _pp_sorted(document["conditions"]) == _pp_sorted(
            [{"bucket": "bkt"}, ["eq", "$key", "photos/cat.png"]])
        assert fields["Signature"] == _pp_v1_signature(SECRET, fields["policy"])
        assert form["url"].rstrip("/") == "https://bkt.oss-cn-hangzhou.aliyuncs.com"

    def test_v4_policy_has_auth_conditions_and_hex_signature_from_derived_key(self):
        fields = _pp_signer("v4").post_policy(key_prefix="uploads/", expires=600)["fields"]
        assert list(fields)[0] == "key"
        assert fields["key"] == "uploads/${filename}"
        assert fields["x-oss-signature-version"] == "OSS4-HMAC-SHA256"
        assert fields["x-oss-credential"] == KEY_ID + "/20231114/cn-hangzhou/oss/aliyun_v4_request"
        assert fields["x-oss-date"] == "20231114T221320Z"
        assert set(fields) == {"key", "x-oss-signature-version", "x-oss-credential", "x-oss-date", "policy",
                               "x-oss-signature"}  # fmt: skip
        document = _pp_decode(fields["policy"])
        assert document["expiration"] == "2023-11-14T22:23:20.000Z"
        assert _pp_sorted(document["conditions"]) == _pp_sorted(
            [{"bucket": "bkt"}, ["starts-with", "$key", "uploads/"]] + _pp_v4_auth())
        assert fields["x-oss-signature"] == _pp_v4_signature(SECRET, "20231114", "cn-hangzhou", fields["policy"])

    @pytest.mark.parametrize("version", ["v1", "v4"], ids=["v1", "v4"])
    def test_sts_token_is_a_field_and_a_condition(self, version):
        fields = _pp_signer(version, token=TOKEN).post_policy("k.txt")["fields"]
        assert fields["x-oss-security-token"] == TOKEN
        assert {"x-oss-security-token": TOKEN} in _pp_decode(fields["policy"])["conditions"]
        assert list(fields)[0] == "key"

    def test_every_condition_kind_lands_in_the_policy_document(self):
        conditions = [["content-length-range", 1, 1024], ["starts-with", "$Content-Type", "image/"],
                      ["eq", "$x-oss-meta-owner", "alice"], ["eq", "$success_action_status", "201"],
                      {"x-oss-meta-tag": "t1"}]  # fmt: skip
        extra = {"Content-Type": "image/png", "x-oss-meta-owner": "alice", "success_action_status": "201",
                 "x-oss-meta-tag": "t1", "Cache-Control": "no-cache"}  # fmt: skip
        fields = _pp_signer("v4").post_policy("a/b.png", conditions=conditions, fields=extra)["fields"]
        assert list(fields)[0] == "key"
        for name, value in extra.items():
            assert fields[name] == value
        document = _pp_decode(fields["policy"])
        # fields already named by a condition get no second condition; Cache-Control gets an exact match
        expected = [{"bucket": "bkt"}, ["eq", "$key", "a/b.png"]] + conditions + \
            [{"Cache-Control": "no-cache"}] + _pp_v4_auth()  # fmt: skip
        assert _pp_sorted(document["conditions"]) == _pp_sorted(expected)
        assert fields["x-oss-signature"] == _pp_v4_signature(SECRET, "20231114", "cn-hangzhou", fields["policy"])

    def test_timedelta_expires_sets_expiration_with_milliseconds_and_z(self):
        fields = _pp_signer("v1").post_policy("k", expires=timedelta(days=1, seconds=5))["fields"]
        assert _pp_decode(fields["policy"])["expiration"] == "2023-11-15T22:13:25.000Z"


# ---- 2. the loopback PostObject server -------------------------------------


class TestPostPolicyLoopbackUpload:
    @pytest.mark.parametrize("version,token", [("v1", None), ("v1", TOKEN), ("v4", None), ("v4", TOKEN)],
                             ids=["v1", "v1-sts", "v4", "v4-sts"])  # fmt: skip
    def test_server_accepts_signed_upload(self, pp_oss, version, token):
        pp_oss.keys = {KEY_ID: (SECRET, token)}
        form = _pp_signer(version, token=token).post_policy(key_prefix="uploads/", expires=600,
                                                            conditions=[["content-length-range", 0, 100]])  # fmt: skip
        status, text = _pp_post(pp_oss.url, form["fields"], "hi.txt", b"hello world")
        assert (status, text) == (204, "")
        assert pp_oss.stored == {"uploads/hi.txt": b"hello world"}

    def test_server_accepts_every_condition_kind(self, pp_oss):
        conditions = [["content-length-range", 1, 1024], ["starts-with", "$Content-Type", "image/"],
                      ["eq", "$x-oss-meta-owner", "alice"], ["eq", "$success_action_status", "201"]]  # fmt: skip
        extra = {"Content-Type": "image/png", "x-oss-meta-owner": "alice", "success_action_status": "201",
                 "Cache-Control": "no-cache"}  # fmt: skip
        form = _pp_signer("v4").post_policy("pics/a.png", conditions=conditions, fields=extra)
        assert _pp_post(pp_oss.url, form["fields"], "a.png", b"\x89PNG")[0] == 204
        assert pp_oss.stored == {"pics/a.png": b"\x89PNG"}

    def test_server_rejects_upload_without_token_when_credentials_are_sts(self, pp_oss):
        pp_oss.keys = {KEY_ID: (SECRET, TOKEN)}
        form = _pp_signer("v4").post_policy("k.txt")  # signed without the token
        status, text = _pp_post(pp_oss.url, form["fields"])
        assert status == 403 and "InvalidSecurityToken" in text

    @pytest.mark.parametrize("field,value,reason", [
        ("Content-Type", "text/html", "Condition failed"),
        ("policy", None, "SignatureDoesNotMatch"),
        ("x-oss-signature", "0" * 64, "SignatureDoesNotMatch"),
        ("x-oss-date", "20231114T221321Z", "Condition failed: x-oss-date"),
    ], ids=["content-type", "policy", "signature", "date"])  # fmt: skip
    def test_server_rejects_tampered_field(self, pp_oss, field, value, reason):
        form = _pp_signer("v4").post_policy("k.png", conditions=[["eq", "$Content-Type", "image/png"]],
                                            fields={"Content-Type": "image/png"})  # fmt: skip
        fields = dict(form["fields"])
        assert _pp_post(pp_oss.url, fields)[0] == 204  # untampered: accepted
        if value is None:  # widen the policy by one byte-changing edit
            doc = _pp_decode(fields["policy"])
            doc["conditions"] = [c for c in doc["conditions"] if c != ["eq", "$Content-Type", "image/png"]]
            value = base64.b64encode(json.dumps(doc).encode("utf-8")).decode("ascii")
        fields[field] = value
        status, text = _pp_post(pp_oss.url, fields)
        assert status == 403 and reason in text

    def test_server_rejects_tampered_v1_key_field(self, pp_oss):
        fields = dict(_pp_signer("v1").post_policy("exact.txt")["fields"])
        fields["key"] = "other.txt"
        status, text = _pp_post(pp_oss.url, fields)
        assert status == 403 and "key" in text
        assert pp_oss.stored == {}

    def test_server_rejects_key_outside_prefix(self, pp_oss):
        fields = dict(_pp_signer("v4").post_policy(key_prefix="uploads/")["fields"])
        fields["key"] = "private/${filename}"
        status, text = _pp_post(pp_oss.url, fields)
        assert status == 403 and "$key" in text
        assert pp_oss.stored == {}

    def test_server_rejects_file_over_size_limit(self, pp_oss):
        form = _pp_signer("v4").post_policy(key_prefix="u/", conditions=[["content-length-range", 0, 10]])
        assert _pp_post(pp_oss.url, form["fields"], "ok.bin", b"x" * 10)[0] == 204
        status, text = _pp_post(pp_oss.url, form["fields"], "big.bin", b"x" * 11)
        assert status == 403 and "EntityTooLarge" in text
        assert list(pp_oss.stored) == ["u/ok.bin"]

    @pytest.mark.parametrize("version", ["v1", "v4"], ids=["v1", "v4"])
    def test_server_rejects_expired_policy(self, pp_oss, version):
        form = _pp_signer(version).post_policy("k.txt", expires=600)
        pp_oss.clock.advance(599)
        assert _pp_post(pp_oss.url, form["fields"])[0] == 204
        pp_oss.clock.advance(1)
        status, text = _pp_post(pp_oss.url, form["fields"])
        assert status == 403 and "expired" in text

    def test_endpoint_gives_path_style_action_url(self, loopback):
        form = _pp_signer("v4").post_policy("k", endpoint=loopback.url)
        assert form["url"].rstrip("/") == loopback.url + "/bkt"


# ---- 3. the same checks as presigning --------------------------------------


class _PpShortProvider:
    def __init__(self, seconds):
        self.expiration = datetime.fromtimestamp(_PP_NOW + seconds, timezone.utc)

    def provide(self, context):
        return ossign.Credentials(KEY_ID, SECRET, TOKEN, self.expiration)


class TestPostPolicyRejects:
    @pytest.mark.parametrize("expires", [0, -5, timedelta(seconds=0)], ids=["zero", "negative", "timedelta-zero"])
    def test_non_positive_expires_is_signing_error(self, expires):
        with pytest.raises(ossign.SigningError, match="expires"):
            _pp_signer("v4").post_policy("k", expires=expires)

    def test_v4_longer_than_seven_days_is_signing_error(self):
        with pytest.raises(ossign.SigningError, match="604800"):
            _pp_signer("v4").post_policy("k", expires=604801)

    def test_v4_without_region_is_signing_error(self):
        with pytest.raises(ossign.SigningError, match="region"):
            _pp_signer("v4", region=None).post_policy("k", endpoint="bkt.oss-cn-hangzhou.aliyuncs.com")

    def test_v2_is_signing_error(self):
        with pytest.raises(ossign.SigningError, match="V2") as info:
            _pp_signer("v2").post_policy("k")
        assert_no_secret(str(info.value))

    def test_credentials_expiring_before_policy_is_signing_error(self):
        signer = _pp_signer("v4", provider=_PpShortProvider(1800))
        assert signer.post_policy("k", expires=600)["fields"]["x-oss-security-token"] == TOKEN
        with pytest.raises(ossign.SigningError, match="outlive its credentials") as info:
            signer.post_policy("k", expires=3600)
        assert_no_secret(str(info.value))

    @pytest.mark.parametrize("key,prefix", [(None, None), ("k", "p/")], ids=["neither", "both"])
    def test_key_and_key_prefix_exactly_one_is_signing_error(self, key, prefix):
        with pytest.raises(ossign.SigningError, match="key and key_prefix"):
            _pp_signer("v1").post_policy(key, key_prefix=prefix)

    @pytest.mark.parametrize("name", ["policy", "Signature", "x-oss-signature", "key", "OSSAccessKeyId"],
                             ids=["policy", "signature", "v4-signature", "key", "key-id"])  # fmt: skip
    def test_auth_field_in_fields_is_signing_error(self, name):
        with pytest.raises(ossign.SigningError, match="set by post_policy"):
            _pp_signer("v4").post_policy("k", fields={name: "x"})

    def test_malformed_condition_is_signing_error(self):
        with pytest.raises(ossign.SigningError, match="condition"):
            _pp_signer("v4").post_policy("k", conditions=[["eq", "$key"]])


# ---- 4. CLI -----------------------------------------------------------------


@pytest.fixture
def pp_cli(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)

    def run(*argv):
        capsys.readouterr()
        status = ossign.main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


class _PpFormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.inputs = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append(dict(attrs))
        elif tag == "input":
            self.inputs.append(dict(attrs))


_PP_CLI = ["post-policy", "oss://bkt/prefix/", "--region", "cn-hangzhou", "--expires", "600",
           "--max-size", "10485760"]  # fmt: skip


class TestPostPolicyCli:
    def test_json_output_has_url_and_signed_fields(self, pp_cli, loopback):
        status, out, err = pp_cli(*_PP_CLI)
        assert (status, err) == (0, "")
        form = json.loads(out)
        assert set(form) == {"url", "fields"}
        assert form["url"].rstrip("/") == "https://bkt.oss-cn-hangzhou.aliyuncs.com"
        fields = form["fields"]
        assert list(fields)[0] == "key" and fields["key"] == "prefix/${filename}"
        doc = _pp_decode(fields["policy"])
        assert ["content-length-range", 0, 10485760] in doc["conditions"]
        assert ["starts-with", "$key", "prefix/"] in doc["conditions"]
        date = fields["x-oss-date"][:8]
        assert fields["x-oss-signature"] == _pp_v4_signature(SECRET, date, "cn-hangzhou", fields["policy"])
        assert_no_secret(out, SECRET)
        # and a real (wall-clock) server takes it
        import time

        server = _PpOssServer(time.time)
        loopback.routes[("POST", "/")] = server
        assert _pp_post(loopback.url, fields, "x.txt", b"data")[0] == 204
        assert server.stored == {"prefix/x.txt": b"data"}

    def test_exact_key_and_v1(self, pp_cli):
        status, out, _ = pp_cli("post-policy", "oss://bkt/a/b.txt", "--region", "cn-hangzhou", "--version", "v1")
        assert status == 0
        fields = json.loads(out)["fields"]
        assert fields["key"] == "a/b.txt" and fields["OSSAccessKeyId"] == KEY_ID
        assert ["eq", "$key", "a/b.txt"] in _pp_decode(fields["policy"])["conditions"]
        assert fields["Signature"] == _pp_v1_signature(SECRET, fields["policy"])

    def test_html_form_has_every_field_hidden_and_file_input_last(self, pp_cli):
        status, out, err = pp_cli(*_PP_CLI)
        fields = json.loads(out)["fields"]
        status, html_out, err = pp_cli(*(_PP_CLI + ["--html"]))
        assert (status, err) == (0, "")
        parser = _PpFormParser()
        parser.feed(html_out)
        parser.close()
        assert len(parser.forms) == 1
        form = parser.forms[0]
        assert form["action"].rstrip("/") == "https://bkt.oss-cn-hangzhou.aliyuncs.com"
        assert form["method"].lower() == "post" and form["enctype"] == "multipart/form-data"
        hidden = [i for i in parser.inputs if i.get("type") == "hidden"]
        assert [i["name"] for i in hidden] == list(fields)
        assert {i["name"]: i["value"] for i in hidden}["key"] == "prefix/${filename}"
        assert parser.inputs[-1] == {"type": "file", "name": "file"}
        assert parser.inputs.index(parser.inputs[-1]) == len(hidden)
        assert_no_secret(html_out, SECRET)

    @pytest.mark.parametrize("argv,reason", [
        (["post-policy", "oss://bkt/p/", "--region", "cn-hangzhou", "--expires", "0"], "expires"),
        (["post-policy", "oss://bkt/p/"], "region"),
        (["post-policy", "oss://bkt/p/", "--region", "cn-hangzhou", "--version", "v2"], "V2"),
        (["post-policy", "oss://bkt/p/", "--region", "cn-hangzhou", "--max-size", "-1"], "max-size"),
        (["post-policy", "bkt/p/", "--region", "cn-hangzhou"], "oss://"),
    ], ids=["expires-zero", "no-region", "v2", "negative-size", "bad-target"])  # fmt: skip
    def test_errors_exit_1_with_one_line(self, pp_cli, argv, reason):
        status, out, err = pp_cli(*argv)
        assert status == 1 and out == ""
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ossign: error:") and reason in lines[0], err
        assert_no_secret(err)


# ---- 5. the README recipe -------------------------------------------------

_PP_README_TITLE = "## Browser uploads (POST policy)"


def _pp_readme_section():
    here = Path(__file__).resolve().parent
    for path in (here / "README.md", Path("/work/parts/readme_post_policy.md")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if _PP_README_TITLE in text:
                section = text.split(_PP_README_TITLE, 1)[1]
                return section.split("\n## ", 1)[0]
    raise AssertionError("README section %r not found" % _PP_README_TITLE)


def _pp_code_blocks(section, lang):
    blocks, rest = [], section
    while "```" + lang + "\n" in rest:
        rest = rest.split("```" + lang + "\n", 1)[1]
        block, rest = rest.split("```", 1)
        blocks.append(block)
    return blocks


class TestPostPolicyReadmeRecipe:
    def test_readme_handler_serves_a_policy_the_server_accepts(self, pp_cli, loopback):
        from http.server import ThreadingHTTPServer
        import threading
        import time

        (code,) = _pp_code_blocks(_pp_readme_section(), "python")
        namespace = {"__name__": "readme_recipe"}
        exec(compile(code, "README-post-policy", "exec"), namespace)
        handler = namespace["PolicyHandler"]
        handler.log_message = lambda self, *args: None
        app = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            url = "http://127.0.0.1:%d/upload-policy" % app.server_address[1]
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert resp.headers["Content-Type"] == "application/json"
                form = json.loads(resp.read().decode("utf-8"))
        finally:
            app.shutdown()
            app.server_close()
            thread.join(timeout=5)
        fields = form["fields"]
        assert form["url"].rstrip("/") == "https://my-bucket.oss-cn-hangzhou.aliyuncs.com"
        assert fields["key"] == "uploads/${filename}"
        doc = _pp_decode(fields["policy"])
        assert ["content-length-range", 0, 10485760] in doc["conditions"]
        expiration = datetime.strptime(doc["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert abs(expiration.timestamp() - time.time() - 600) < 5
        server = _PpOssServer(time.time, bucket="my-bucket")
        loopback.routes[("POST", "/")] = server
        assert _pp_post(loopback.url, fields, "r.txt", b"readme")[0] == 204
        assert server.stored == {"uploads/r.txt": b"readme"}

    def test_readme_html_form_posts_file_last_to_the_policy_url(self):
        (page,) = _pp_code_blocks(_pp_readme_section(), "html")
        assert "/upload-policy" in page and 'type="file"' in page
        assert 'name="file"' in page and "FormData" in page
