"""Credentials, Context and the local credential sources (env, files, process), chain and default chain."""

import json
import logging
import os
import pickle
import subprocess
import sys
import time
import urllib.error
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import ossign
from test_ossign import _hermetic_environment, FakeFiles, clock, files, env, ctx, loopback, static, assert_no_secret, SECRET, TOKEN, KEY_ID  # noqa: F401,E501

_FL_HERE = Path(__file__).resolve().parent
_FL_UTC = timezone.utc
_FL_FUTURE = datetime(2099, 1, 1, tzinfo=_FL_UTC)


def _fl_error(excinfo, *fragments):
    """The message of a CredentialError, checked for fragments and for leaks."""
    assert type(excinfo.value) is ossign.CredentialError
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message, "%r not in %r" % (fragment, message)
    assert_no_secret(message)
    return message


class _FlFs:
    """Credential files either on disk under a temp home, or in a FakeFiles hook."""

    def __init__(self, kind, tmp_path):
        self.kind = kind
        self.env = {}
        if kind == "real":
            self.home = str(tmp_path / "home")
            os.makedirs(self.home)
            self.files = None
            self.ctx = ossign.Context(environ=self.env, home_dir=self.home, timeout=2.0)
        else:
            self.home = "/home/u"
            self.files = FakeFiles()
            self.ctx = ossign.Context(environ=self.env, read_file=self.files, home_dir=self.home, timeout=2.0)

    def path(self, relative):
        return os.path.join(self.home, relative)

    def write(self, relative, content, mode=0o600):
        path = self.path(relative)
        data = content.encode("utf-8") if isinstance(content, str) else content
        if self.files is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode)
        else:
            self.files[path] = data
        return path


@pytest.fixture(params=["real", "fake"], ids=["real-files", "read_file-hook"])
def fl_fs(request, tmp_path):
    return _FlFs(request.param, tmp_path)


# ---- Credentials ------------------------------------------------------------


class TestFilesCredentials:
    def test_credentials_refuse_attribute_assignment(self):
        creds = ossign.Credentials(KEY_ID, SECRET, TOKEN)
        with pytest.raises(AttributeError):
            creds.access_key_secret = "other"
        with pytest.raises(AttributeError):
            creds.new_attribute = 1
        with pytest.raises(AttributeError):
            del creds.access_key_id
        assert creds.access_key_secret == SECRET

    def test_credentials_compare_by_value(self):
        a = ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE)
        assert a == ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE)
        assert a != ossign.Credentials(KEY_ID, SECRET, "other-token", _FL_FUTURE)
        assert a != ossign.Credentials(KEY_ID, SECRET, TOKEN, None)
        assert a != (KEY_ID, SECRET, TOKEN, _FL_FUTURE)

    def test_equal_credentials_hash_alike(self):
        a = ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE)
        b = ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE)
        assert hash(a) == hash(b)
        assert len({a, b, ossign.Credentials(KEY_ID, SECRET)}) == 2

    def test_credentials_survive_pickling(self):
        creds = ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE)
        clone = pickle.loads(pickle.dumps(creds))
        assert clone == creds
        assert clone.expiration == _FL_FUTURE

    @pytest.mark.parametrize("render", [repr, str], ids=["repr", "str"])
    def test_credentials_text_masks_id_and_hides_secret_and_token(self, render):
        text = render(ossign.Credentials(KEY_ID, SECRET, TOKEN, _FL_FUTURE))
        assert KEY_ID[-4:] in text
        assert KEY_ID[-5:] not in text
        assert_no_secret(text)

    def test_credentials_text_of_short_id_shows_at_most_four_chars(self):
        text = repr(ossign.Credentials("ABCDEFG", SECRET))
        assert "CDEFG" not in text
        assert "ABC" not in text
        assert SECRET not in text

    def test_is_valid_with_aware_datetime(self):
        creds = ossign.Credentials(KEY_ID, SECRET, expiration=datetime(2030, 1, 1, tzinfo=_FL_UTC))
        assert creds.is_valid(datetime(2029, 12, 31, 23, 59, 59, tzinfo=_FL_UTC))
        assert not creds.is_valid(datetime(2030, 1, 1, tzinfo=_FL_UTC))
        # 09:00 in UTC+8 is 01:00 UTC, after expiry
        assert not creds.is_valid(datetime(2030, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8))))

    def test_is_valid_with_epoch_seconds(self):
        expiry = datetime(2030, 1, 1, tzinfo=_FL_UTC)
        creds = ossign.Credentials(KEY_ID, SECRET, expiration=expiry)
        epoch = expiry.timestamp()
        assert creds.is_valid(epoch - 1)
        assert creds.is_valid(int(epoch) - 1)
        assert not creds.is_valid(epoch)
        assert not creds.is_valid(epoch + 1)

    def test_is_valid_defaults_to_now(self):
        assert ossign.Credentials(KEY_ID, SECRET, expiration=_FL_FUTURE).is_valid()
        assert not ossign.Credentials(KEY_ID, SECRET, expiration=datetime(2001, 1, 1, tzinfo=_FL_UTC)).is_valid()
        assert ossign.Credentials(KEY_ID, SECRET).is_valid()

    @pytest.mark.parametrize("key_id, secret", [("", SECRET), (KEY_ID, ""), (None, SECRET)],
                             ids=["empty-id", "empty-secret", "none-id"])  # fmt: skip
    def test_is_valid_false_without_id_or_secret(self, key_id, secret):
        assert not ossign.Credentials(key_id, secret).is_valid(0)

    def test_is_valid_rejects_naive_datetime(self):
        creds = ossign.Credentials(KEY_ID, SECRET, expiration=_FL_FUTURE)
        with pytest.raises(ValueError):
            creds.is_valid(datetime(2030, 1, 1))

    def test_naive_expiration_is_rejected(self):
        with pytest.raises(TypeError):
            ossign.Credentials(KEY_ID, SECRET, expiration=datetime(2030, 1, 1))

    def test_expiration_is_converted_to_utc(self):
        local = datetime(2030, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
        creds = ossign.Credentials(KEY_ID, SECRET, expiration=local)
        assert creds.expiration.utcoffset() == timedelta(0)
        assert (creds.expiration.year, creds.expiration.month, creds.expiration.day,
                creds.expiration.hour) == (2030, 1, 1, 0)  # fmt: skip
        assert creds.expiration == local


# ---- Context ----------------------------------------------------------------


class TestFilesContext:
    def test_default_environ_is_live_os_environ(self, monkeypatch):
        context = ossign.Context()
        assert context.environ is os.environ
        assert ossign.EnvCredentialProvider().provide(context) is None
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIsetAfterwards1")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secretSetAfterwards")
        creds = ossign.EnvCredentialProvider().provide(context)
        assert creds.access_key_id == "LTAIsetAfterwards1"
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIchangedAgain2")
        assert ossign.EnvCredentialProvider().provide(context).access_key_id == "LTAIchangedAgain2"

    def test_given_environ_is_used_instead_of_os_environ(self, monkeypatch):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIfromOsEnviron")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secretFromOs")
        assert ossign.EnvCredentialProvider().provide(ossign.Context(environ={})) is None

    def test_home_dir_given_is_used(self, tmp_path):
        assert ossign.Context(home_dir=str(tmp_path)).home_dir == str(tmp_path)

    def test_home_dir_defaults_to_user_home(self, monkeypatch, tmp_path):
        monkeypatch.setenv("HOME", str(tmp_path))
        assert ossign.Context().home_dir == str(tmp_path)

    def test_default_home_dir_locates_default_files(self, monkeypatch, tmp_path):
        monkeypatch.setenv("HOME", str(tmp_path))
        (tmp_path / ".oss").mkdir()
        creds_file = tmp_path / ".oss" / "credentials"
        creds_file.write_text("[default]\naccess_key_id = LTAIhomeDefault01\naccess_key_secret = s\n")
        creds_file.chmod(0o600)
        creds = ossign.OssProfileCredentialProvider().provide(ossign.Context(environ={}))
        assert creds.access_key_id == "LTAIhomeDefault01"

    @pytest.mark.parametrize("timeout", [0, -1, -0.5, True, float("nan")], ids=["zero", "negative", "negative-float",
                                                                                "bool", "nan"])  # fmt: skip
    def test_timeout_must_be_positive_number(self, timeout):
        with pytest.raises(ValueError):
            ossign.Context(timeout=timeout)

    def test_timeout_default_is_small_and_given_value_kept(self):
        assert 0 < ossign.Context().timeout <= 5
        assert ossign.Context(timeout=0.25).timeout == 0.25

    def test_repr_shows_no_secrets(self):
        secrets = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
                   "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN}
        context = ossign.Context(environ=secrets,
                                 read_file=FakeFiles({"/x": SECRET.encode()}), clock=lambda: 1.0)  # fmt: skip
        text = repr(context)
        assert text.startswith("Context(")
        assert_no_secret(text)

    def test_default_run_command_runs_without_shell(self):
        run = ossign.Context().run_command
        code, out, err = run([sys.executable, "-c", "import sys; print(sys.argv[1:]); sys.exit(3)", "$HOME", "a;b"],
                             5.0)  # fmt: skip
        assert code == 3
        assert out.decode().strip() == "['$HOME', 'a;b']"
        assert err == b""

    def test_default_run_command_times_out(self):
        started = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            ossign.Context().run_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.3)
        assert time.monotonic() - started < 3


# ---- _parse_expiration --------------------------------------------------------


class TestFilesParseExpiration:
    @pytest.mark.parametrize("text, expected", [
        ("2026-01-01T00:00:00Z", datetime(2026, 1, 1, tzinfo=_FL_UTC)),
        ("2026-01-01T08:00:00+08:00", datetime(2026, 1, 1, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00.000+08:00", datetime(2025, 12, 31, 16, tzinfo=_FL_UTC)),
        ("2025-12-31T18:30:00-05:30", datetime(2026, 1, 1, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00+00:00", datetime(2026, 1, 1, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00.5Z", datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00.123Z", datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00.123456Z", datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=_FL_UTC)),
        ("2026-01-01T00:00:00.123456789Z", datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=_FL_UTC)),
    ], ids=["zulu", "plus-0800", "fraction-and-offset", "minus-0530", "plus-0000", "fraction-1", "fraction-3",
            "fraction-6", "fraction-9"])  # fmt: skip
    def test_parse_expiration_accepts_rfc3339(self, text, expected):
        value = ossign._parse_expiration(text, "some_source")
        assert value == expected
        assert value.utcoffset() == timedelta(0)
        assert (value.hour, value.minute, value.microsecond) == (expected.hour, expected.minute, expected.microsecond)

    @pytest.mark.parametrize("text", ["2026-01-01T00:00:00", "2026-01-01T00:00:00.123"], ids=["plain", "fraction"])
    def test_parse_expiration_without_offset_is_error(self, text):
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign._parse_expiration(text, "some_source")
        _fl_error(excinfo, "some_source")

    @pytest.mark.parametrize("text", ["tomorrow", "", "2026-13-01T00:00:00Z", "2026-01-01 garbage", "1700000000",
                                      None, 1700000000],
                             ids=["word", "empty", "month-13", "trailing", "epoch-string", "none", "int"])  # fmt: skip
    def test_parse_expiration_garbage_names_source(self, text):
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign._parse_expiration(text, "credentials_uri")
        _fl_error(excinfo, "credentials_uri")
        assert excinfo.value.source == "credentials_uri"


# ---- Static and environment -----------------------------------------------------


class TestFilesStaticProvider:
    def test_static_provider_returns_given_credentials(self, ctx):
        creds = ossign.StaticCredentialProvider(KEY_ID, SECRET, TOKEN).provide(ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token, creds.expiration) == (
            KEY_ID, SECRET, TOKEN, None)

    @pytest.mark.parametrize("key_id, secret", [("", SECRET), (KEY_ID, ""), ("", "")],
                             ids=["empty-id", "empty-secret", "both-empty"])  # fmt: skip
    def test_static_provider_rejects_empty_id_or_secret(self, ctx, key_id, secret):
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.StaticCredentialProvider(key_id, secret).provide(ctx)
        _fl_error(excinfo, "static")

    def test_static_provider_repr_masks(self):
        assert_no_secret(repr(ossign.StaticCredentialProvider(KEY_ID, SECRET, TOKEN)))


_FL_ALI = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN")
_FL_OSS = ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN")


class TestFilesEnvProvider:
    @pytest.mark.parametrize("family", [_FL_ALI, _FL_OSS], ids=["alibaba-cloud", "oss"])
    def test_env_provider_reads_family_with_token(self, ctx, env, family):
        env.update({family[0]: KEY_ID, family[1]: SECRET, family[2]: TOKEN})
        creds = ossign.EnvCredentialProvider().provide(ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, TOKEN)

    @pytest.mark.parametrize("family", [_FL_ALI, _FL_OSS], ids=["alibaba-cloud", "oss"])
    def test_env_provider_without_token_has_none(self, ctx, env, family):
        env.update({family[0]: KEY_ID, family[1]: SECRET})
        assert ossign.EnvCredentialProvider().provide(ctx).security_token is None

    def test_env_provider_prefers_alibaba_cloud_family(self, ctx, env):
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIalibabaFamily", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s1",
                    "OSS_ACCESS_KEY_ID": "LTAIossFamily0001", "OSS_ACCESS_KEY_SECRET": "s2"})  # fmt: skip
        assert ossign.EnvCredentialProvider().provide(ctx).access_key_id == "LTAIalibabaFamily"

    def test_env_provider_never_takes_token_from_other_family(self, ctx, env):
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
                    "OSS_SESSION_TOKEN": TOKEN})  # fmt: skip
        assert ossign.EnvCredentialProvider().provide(ctx).security_token is None

    @pytest.mark.parametrize("set_id, set_secret", [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        ("OSS_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ], ids=["alibaba-id-oss-secret", "oss-id-alibaba-secret"])  # fmt: skip
    def test_env_provider_never_mixes_families(self, ctx, env, set_id, set_secret):
        env.update({set_id: KEY_ID, set_secret: SECRET})
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EnvCredentialProvider().provide(ctx)
        _fl_error(excinfo, "env")

    @pytest.mark.parametrize("present, missing", [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
        ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"),
        ("OSS_ACCESS_KEY_SECRET", "OSS_ACCESS_KEY_ID"),
    ], ids=["alibaba-id-only", "alibaba-secret-only", "oss-id-only", "oss-secret-only"])  # fmt: skip
    def test_env_provider_rejects_half_set_pair_naming_missing_variable(self, ctx, env, present, missing):
        env[present] = SECRET if "SECRET" in present else KEY_ID
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EnvCredentialProvider().provide(ctx)
        _fl_error(excinfo, "env", missing)
        assert excinfo.value.source == "env"

    def test_env_provider_none_when_nothing_set(self, ctx):
        assert ossign.EnvCredentialProvider().provide(ctx) is None

    def test_env_provider_treats_empty_string_as_unset(self, ctx, env):
        env.update({name: "" for name in _FL_ALI + _FL_OSS})
        assert ossign.EnvCredentialProvider().provide(ctx) is None

    def test_env_provider_empty_secret_is_half_set_pair(self, ctx, env):
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""})
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.EnvCredentialProvider().provide(ctx)
        _fl_error(excinfo, "ALIBABA_CLOUD_ACCESS_KEY_SECRET")

    def test_env_provider_empty_token_means_no_token(self, ctx, env):
        env.update({"OSS_ACCESS_KEY_ID": KEY_ID, "OSS_ACCESS_KEY_SECRET": SECRET, "OSS_SESSION_TOKEN": ""})
        assert ossign.EnvCredentialProvider().provide(ctx).security_token is None


# ---- OSS profile (~/.oss/credentials) ---------------------------------------------


def _fl_ini(section, **keys):
    return "[%s]\n" % section + "".join("%s = %s\n" % item for item in keys.items())


class TestFilesOssProfile:
    @pytest.mark.parametrize("id_key", ["access_key_id", "accessKeyId", "accessKeyID", "ACCESS_KEY_ID"])
    @pytest.mark.parametrize("secret_key", ["access_key_secret", "accessKeySecret", "AccessKeySecret"])
    def test_oss_profile_reads_every_key_spelling(self, fl_fs, id_key, secret_key):
        fl_fs.write(".oss/credentials", "[default]\n%s = %s\n%s = %s\n" % (id_key, KEY_ID, secret_key, SECRET))
        creds = ossign.OssProfileCredentialProvider().provide(fl_fs.ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, None)

    @pytest.mark.parametrize("token_key", ["session_token", "security_token", "sts_token", "token", "Session_Token"])
    def test_oss_profile_reads_every_token_spelling(self, fl_fs, token_key):
        fl_fs.write(".oss/credentials", _fl_ini("default", access_key_id=KEY_ID, access_key_secret=SECRET,
                                                **{token_key: TOKEN}))  # fmt: skip
        assert ossign.OssProfileCredentialProvider().provide(fl_fs.ctx).security_token == TOKEN

    def test_oss_profile_named_by_argument_then_env(self, fl_fs):
        fl_fs.write(".oss/credentials", _fl_ini("default", access_key_id="LTAIdefaultProf1", access_key_secret="a")
                    + _fl_ini("ci", accessKeyId="LTAIciProfile0001", accessKeySecret="b")
                    + _fl_ini("prod", accessKeyId="LTAIprodProfile01", accessKeySecret="c"))  # fmt: skip
        provider = ossign.OssProfileCredentialProvider
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIdefaultProf1"
        fl_fs.env["OSS_PROFILE"] = "ci"
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIciProfile0001"
        assert provider(profile="prod").provide(fl_fs.ctx).access_key_id == "LTAIprodProfile01"

    def test_oss_profile_path_argument_then_env_then_default(self, fl_fs):
        fl_fs.write(".oss/credentials", _fl_ini("default", access_key_id="LTAIdefaultPath01", access_key_secret="a"))
        env_path = fl_fs.write("env/creds", _fl_ini("default", access_key_id="LTAIenvPath00001", access_key_secret="b"))
        arg_path = fl_fs.write("arg/creds", _fl_ini("default", access_key_id="LTAIargPath00001", access_key_secret="c"))
        provider = ossign.OssProfileCredentialProvider
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIdefaultPath01"
        fl_fs.env["OSS_CREDENTIAL_PROFILES_FILE"] = env_path
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIenvPath00001"
        assert provider(path=arg_path).provide(fl_fs.ctx).access_key_id == "LTAIargPath00001"

    def test_oss_profile_env_path_expands_tilde_with_home_dir(self, fl_fs):
        fl_fs.write("custom/creds", _fl_ini("default", access_key_id="LTAItildePath001", access_key_secret="a"))
        fl_fs.env["OSS_CREDENTIAL_PROFILES_FILE"] = "~/custom/creds"
        assert ossign.OssProfileCredentialProvider().provide(fl_fs.ctx).access_key_id == "LTAItildePath001"

    @pytest.mark.parametrize("how", ["argument", "env"])
    def test_oss_profile_explicit_missing_file_is_error(self, fl_fs, how):
        missing = fl_fs.path("nowhere/creds")
        if how == "env":
            fl_fs.env["OSS_CREDENTIAL_PROFILES_FILE"] = missing
        provider = ossign.OssProfileCredentialProvider(path=missing if how == "argument" else None)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(fl_fs.ctx)
        _fl_error(excinfo, "oss_profile", missing)

    def test_oss_profile_missing_default_file_is_none(self, fl_fs):
        assert ossign.OssProfileCredentialProvider().provide(fl_fs.ctx) is None

    def test_oss_profile_missing_default_section_at_default_path_is_none(self, fl_fs):
        fl_fs.write(".oss/credentials", _fl_ini("other", access_key_id=KEY_ID, access_key_secret=SECRET))
        assert ossign.OssProfileCredentialProvider().provide(fl_fs.ctx) is None

    @pytest.mark.parametrize("how", ["argument", "env"])
    def test_oss_profile_named_profile_missing_is_error(self, fl_fs, how):
        fl_fs.write(".oss/credentials", _fl_ini("default", access_key_id=KEY_ID, access_key_secret=SECRET))
        if how == "env":
            fl_fs.env["OSS_PROFILE"] = "staging"
        provider = ossign.OssProfileCredentialProvider(profile="staging" if how == "argument" else None)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(fl_fs.ctx)
        _fl_error(excinfo, "oss_profile", "staging", fl_fs.path(".oss/credentials"))

    def test_oss_profile_explicit_file_without_default_profile_is_error(self, fl_fs):
        path = fl_fs.write("arg/creds", _fl_ini("other", access_key_id=KEY_ID, access_key_secret=SECRET))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.OssProfileCredentialProvider(path=path).provide(fl_fs.ctx)
        _fl_error(excinfo, path, "default")

    @pytest.mark.parametrize("keys", [{"access_key_id": KEY_ID}, {"access_key_secret": SECRET},
                                      {"access_key_id": KEY_ID, "access_key_secret": ""}],
                             ids=["no-secret", "no-id", "empty-secret"])  # fmt: skip
    def test_oss_profile_section_without_id_or_secret_is_error(self, fl_fs, keys):
        path = fl_fs.write(".oss/credentials", _fl_ini("default", **keys))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.OssProfileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "oss_profile", path)

    @pytest.mark.parametrize("written, expected", [
        ("p%40ss%(x)s$HOME${y}", "p%40ss%(x)s$HOME${y}"),
        ("abc#def;ghi", "abc#def;ghi"),
        ("abc #inline comment", "abc"),
        ("abc\t; inline comment", "abc"),
        ("  padded  ", "padded"),
    ], ids=["percent-dollar", "hash-semicolon-inside", "hash-comment-after-space", "semicolon-comment-after-tab",
            "trimmed"])  # fmt: skip
    def test_oss_profile_secret_read_literally(self, fl_fs, written, expected):
        fl_fs.write(".oss/credentials", "[default]\naccess_key_id = %s\naccess_key_secret =%s\n" % (KEY_ID, written))
        assert ossign.OssProfileCredentialProvider().provide(fl_fs.ctx).access_key_secret == expected

    def test_oss_profile_default_section_not_merged(self, fl_fs):
        path = fl_fs.write(".oss/credentials", _fl_ini("DEFAULT", access_key_secret=SECRET)
                           + _fl_ini("prod", access_key_id=KEY_ID))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.OssProfileCredentialProvider(profile="prod").provide(fl_fs.ctx)
        _fl_error(excinfo, path)

    def test_oss_profile_upper_default_section_is_its_own_profile(self, fl_fs):
        fl_fs.write(".oss/credentials", _fl_ini("DEFAULT", access_key_id="LTAIupperDefault1", access_key_secret="s"))
        assert ossign.OssProfileCredentialProvider(profile="DEFAULT").provide(fl_fs.ctx).access_key_id == \
            "LTAIupperDefault1"

    @pytest.mark.parametrize("text", [
        "access_key_id = x\naccess_key_secret = y\n",
        "[default\naccess_key_id = x\n",
        "[default]\nthis line has no delimiter\n",
    ], ids=["no-section-header", "unclosed-header", "no-delimiter"])  # fmt: skip
    def test_oss_profile_malformed_ini_names_path(self, fl_fs, text):
        path = fl_fs.write(".oss/credentials", text)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.OssProfileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "oss_profile", path)

    def test_oss_profile_repr_has_no_secret(self):
        assert_no_secret(repr(ossign.OssProfileCredentialProvider(path="/x", profile="p")))


# ---- credentials.ini ----------------------------------------------------------------


class TestFilesCredentialsIni:
    @pytest.mark.parametrize("type_line, token_key", [
        ("", None), ("type = access_key\n", None), ("type = ACCESS_KEY\n", None),
        ("type = sts\n", "sts_token"), ("type = sts_token\n", "sts_token"), ("type = sts_token\n", "security_token"),
        ("type = StS_ToKeN\n", "sts_token"),
    ], ids=["no-type", "access_key", "access_key-upper", "sts", "sts_token", "sts_token-security_token",
            "sts_token-mixed-case"])  # fmt: skip
    def test_credentials_ini_supported_types(self, fl_fs, type_line, token_key):
        token = ("%s = %s\n" % (token_key, TOKEN)) if token_key else ""
        fl_fs.write(".alibabacloud/credentials.ini", "[default]\nenable = true\n%saccess_key_id = %s\n"
                    "access_key_secret = %s\n%s" % (type_line, KEY_ID, SECRET, token))  # fmt: skip
        creds = ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (
            KEY_ID, SECRET, TOKEN if token_key else None)

    @pytest.mark.parametrize("value", ["false", "False", "0", "no", "off"])
    def test_credentials_ini_disabled_profile_is_none(self, fl_fs, value):
        fl_fs.write(".alibabacloud/credentials.ini", "[default]\nenable = %s\naccess_key_id = %s\n"
                    "access_key_secret = %s\n" % (value, KEY_ID, SECRET))  # fmt: skip
        assert ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx) is None

    @pytest.mark.parametrize("first", [None, "[other]\naccess_key_id = LTAIother0000001\naccess_key_secret = s\n",
                                       "[default]\nenable = false\naccess_key_id = LTAIdisabled00001\n"
                                       "access_key_secret = s\n"],
                             ids=["first-missing", "first-without-profile", "first-disabled"])  # fmt: skip
    def test_credentials_ini_second_default_path_when_first_has_nothing(self, fl_fs, first):
        if first is not None:
            fl_fs.write(".alibabacloud/credentials.ini", first)
        fl_fs.write(".aliyun/credentials.ini", _fl_ini("default", access_key_id="LTAIsecondPath01",
                                                       access_key_secret="s"))  # fmt: skip
        assert ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx).access_key_id == "LTAIsecondPath01"

    def test_credentials_ini_first_default_path_wins(self, fl_fs):
        fl_fs.write(".alibabacloud/credentials.ini", _fl_ini("default", access_key_id="LTAIfirstPath001",
                                                             access_key_secret="s"))  # fmt: skip
        fl_fs.write(".aliyun/credentials.ini", _fl_ini("default", access_key_id="LTAIsecondPath01",
                                                       access_key_secret="s"))  # fmt: skip
        assert ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx).access_key_id == "LTAIfirstPath001"

    def test_credentials_ini_no_default_files_is_none(self, fl_fs):
        assert ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx) is None

    def test_credentials_ini_env_path_is_the_only_file(self, fl_fs):
        fl_fs.write(".alibabacloud/credentials.ini", _fl_ini("default", access_key_id="LTAIfirstPath001",
                                                             access_key_secret="s"))  # fmt: skip
        missing = fl_fs.path("nowhere/credentials.ini")
        fl_fs.env["ALIBABA_CLOUD_CREDENTIALS_FILE"] = missing
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "credentials_file", missing)

    def test_credentials_ini_path_and_profile_precedence(self, fl_fs):
        env_path = fl_fs.write("env.ini", _fl_ini("default", access_key_id="LTAIenvPathDef01", access_key_secret="a")
                               + _fl_ini("blue", access_key_id="LTAIenvPathBlue1", access_key_secret="b")
                               + _fl_ini("green", access_key_id="LTAIenvPathGreen", access_key_secret="c"))
        arg_path = fl_fs.write("arg.ini", _fl_ini("default", access_key_id="LTAIargPathDef01", access_key_secret="d"))
        provider = ossign.CredentialsFileCredentialProvider
        fl_fs.env["ALIBABA_CLOUD_CREDENTIALS_FILE"] = env_path
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIenvPathDef01"
        assert provider(path=arg_path).provide(fl_fs.ctx).access_key_id == "LTAIargPathDef01"
        fl_fs.env["ALIBABA_CLOUD_PROFILE"] = "blue"
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIenvPathBlue1"
        assert provider(profile="green").provide(fl_fs.ctx).access_key_id == "LTAIenvPathGreen"

    def test_credentials_ini_explicit_file_without_profile_is_error(self, fl_fs):
        path = fl_fs.write("arg.ini", _fl_ini("default", access_key_id=KEY_ID, access_key_secret=SECRET))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider(path=path, profile="missing").provide(fl_fs.ctx)
        _fl_error(excinfo, "credentials_file", path, "missing")

    @pytest.mark.parametrize("kind", ["rsa_key_pair", "bearer", "credentials_uri"])
    def test_credentials_ini_unsupported_type_lists_supported(self, fl_fs, kind):
        path = fl_fs.write(".alibabacloud/credentials.ini", "[default]\ntype = %s\naccess_key_id = %s\n"
                           "access_key_secret = %s\n" % (kind, KEY_ID, SECRET))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "credentials_file", path, kind, "access_key", "sts_token")

    def test_credentials_ini_sts_type_without_token_is_error(self, fl_fs):
        fl_fs.write(".alibabacloud/credentials.ini", _fl_ini("default", type="sts", access_key_id=KEY_ID,
                                                             access_key_secret=SECRET))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "credentials_file", "sts_token")

    def test_credentials_ini_missing_secret_is_error(self, fl_fs):
        path = fl_fs.write(".alibabacloud/credentials.ini", _fl_ini("default", access_key_id=KEY_ID))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, path, "access_key_secret")

    def test_credentials_ini_default_section_not_merged_and_percent_literal(self, fl_fs):
        fl_fs.write(".alibabacloud/credentials.ini", _fl_ini("DEFAULT", type="rsa_key_pair")
                    + _fl_ini("default", access_key_id=KEY_ID, access_key_secret="100%$x #c"))  # fmt: skip
        assert ossign.CredentialsFileCredentialProvider().provide(fl_fs.ctx).access_key_secret == "100%$x"


# ---- config.json ----------------------------------------------------------------------


def _fl_config(*profiles, **top):
    data = dict(top)
    data["profiles"] = list(profiles)
    return json.dumps(data)


def _fl_ak(name, key_id, **extra):
    profile = {"name": name, "mode": "AK", "access_key_id": key_id, "access_key_secret": "secret-" + name}
    profile.update(extra)
    return profile


_FL_CLI = ".aliyun/config.json"


def _fl_fake_files(path, text):
    files = FakeFiles()
    files[path] = text
    return files


class _FlRecordingRunner:
    """A run_command hook that answers with fixed output and records its calls."""

    def __init__(self, returncode=0, stdout=b"", stderr=b""):
        self.result = (returncode, stdout, stderr)
        self.calls = []

    def __call__(self, argv, timeout):
        self.calls.append((list(argv), timeout))
        return self.result


class TestFilesConfigJson:
    @pytest.mark.parametrize("mode", ["AK", "ak", None], ids=["AK", "lower-case", "absent"])
    def test_config_json_ak_mode(self, fl_fs, mode):
        profile = {"name": "default", "access_key_id": KEY_ID, "access_key_secret": SECRET, "region_id": "cn-hangzhou"}
        if mode is not None:
            profile["mode"] = mode
        fl_fs.write(_FL_CLI, _fl_config(profile, current="default"))
        creds = ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, None)

    @pytest.mark.parametrize("mode", ["StsToken", "sts_token", "STSTOKEN"])
    def test_config_json_sts_token_mode(self, fl_fs, mode):
        fl_fs.write(_FL_CLI, _fl_config({"name": "default", "mode": mode, "access_key_id": KEY_ID,
                                         "access_key_secret": SECRET, "sts_token": TOKEN}))  # fmt: skip
        creds = ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, TOKEN)

    def test_config_json_sts_token_mode_without_token_is_error(self, fl_fs):
        fl_fs.write(_FL_CLI, _fl_config({"name": "default", "mode": "StsToken", "access_key_id": KEY_ID,
                                         "access_key_secret": SECRET}))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", "sts_token")

    def test_config_json_profile_precedence(self, fl_fs):
        fl_fs.write(_FL_CLI, _fl_config(_fl_ak("default", "LTAIcliDefault001"), _fl_ak("cur", "LTAIcliCurrent001"),
                                        _fl_ak("envp", "LTAIcliEnvProf01"), _fl_ak("argp", "LTAIcliArgProf01"),
                                        current="cur"))  # fmt: skip
        provider = ossign.ConfigFileCredentialProvider
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIcliCurrent001"
        fl_fs.env["ALIBABA_CLOUD_PROFILE"] = "envp"
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIcliEnvProf01"
        assert provider(profile="argp").provide(fl_fs.ctx).access_key_id == "LTAIcliArgProf01"

    def test_config_json_falls_back_to_default_profile(self, fl_fs):
        fl_fs.write(_FL_CLI, _fl_config(_fl_ak("other", "LTAIcliOther0001"), _fl_ak("default", "LTAIcliDefault001")))
        assert ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx).access_key_id == "LTAIcliDefault001"

    def test_config_json_path_argument_then_env_then_default(self, fl_fs):
        fl_fs.write(_FL_CLI, _fl_config(_fl_ak("default", "LTAIcliDefPath01")))
        env_path = fl_fs.write("env.json", _fl_config(_fl_ak("default", "LTAIcliEnvPath01")))
        arg_path = fl_fs.write("arg.json", _fl_config(_fl_ak("default", "LTAIcliArgPath01")))
        provider = ossign.ConfigFileCredentialProvider
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIcliDefPath01"
        fl_fs.env["ALIBABA_CLOUD_CONFIG_FILE"] = env_path
        assert provider().provide(fl_fs.ctx).access_key_id == "LTAIcliEnvPath01"
        assert provider(path=arg_path).provide(fl_fs.ctx).access_key_id == "LTAIcliArgPath01"

    def test_config_json_missing_default_file_is_none(self, fl_fs):
        assert ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx) is None

    def test_config_json_explicit_missing_file_is_error(self, fl_fs):
        missing = fl_fs.path("nowhere.json")
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider(path=missing).provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", missing)

    @pytest.mark.parametrize("text", ["{not json", '{"profiles": [', "[]", '"just a string"'],
                             ids=["broken", "truncated", "array", "string"])  # fmt: skip
    def test_config_json_invalid_json_names_path(self, fl_fs, text):
        path = fl_fs.write(_FL_CLI, text)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", path)

    @pytest.mark.parametrize("profiles", [{"name": "default"}, "default", 3], ids=["object", "string", "number"])
    def test_config_json_profiles_not_a_list_is_error(self, fl_fs, profiles):
        path = fl_fs.write(_FL_CLI, json.dumps({"current": "default", "profiles": profiles}))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", path, "profiles")

    @pytest.mark.parametrize("how", ["argument", "env", "current"])
    def test_config_json_named_profile_missing_is_error(self, fl_fs, how):
        extra = {"current": "ghost"} if how == "current" else {}
        path = fl_fs.write(_FL_CLI, _fl_config(_fl_ak("default", KEY_ID), **extra))
        if how == "env":
            fl_fs.env["ALIBABA_CLOUD_PROFILE"] = "ghost"
        provider = ossign.ConfigFileCredentialProvider(profile="ghost" if how == "argument" else None)
        with pytest.raises(ossign.CredentialError) as excinfo:
            provider.provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", path, "ghost")

    @pytest.mark.parametrize("missing", ["access_key_id", "access_key_secret"])
    def test_config_json_missing_id_or_secret_is_error(self, fl_fs, missing):
        profile = {"name": "default", "mode": "AK", "access_key_id": KEY_ID, "access_key_secret": SECRET}
        del profile[missing]
        path = fl_fs.write(_FL_CLI, _fl_config(profile))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", path, missing)

    @pytest.mark.parametrize("value", ["true", "TRUE", "1"])
    def test_config_json_disabled_by_env_is_none(self, fl_fs, value):
        fl_fs.write(_FL_CLI, _fl_config(_fl_ak("default", KEY_ID)))
        fl_fs.env["ALIBABA_CLOUD_CLI_PROFILE_DISABLED"] = value
        assert ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx) is None
        assert ossign.ConfigFileCredentialProvider(path=fl_fs.path(_FL_CLI)).provide(fl_fs.ctx) is None

    def test_config_json_disabled_false_still_reads(self, fl_fs):
        fl_fs.write(_FL_CLI, _fl_config(_fl_ak("default", "LTAIcliNotDisabl")))
        fl_fs.env["ALIBABA_CLOUD_CLI_PROFILE_DISABLED"] = "false"
        assert ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx).access_key_id == "LTAIcliNotDisabl"

    @pytest.mark.parametrize("mode", ["CloudSSO", "OAuth", "cloudsso"])
    def test_config_json_browser_modes_point_to_aliyun_cli(self, fl_fs, mode):
        path = fl_fs.write(_FL_CLI, _fl_config({"name": "default", "mode": mode, "access_key_id": KEY_ID,
                                                "access_key_secret": SECRET, "sts_token": TOKEN}))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", path, mode, "browser", "'aliyun' CLI")

    @pytest.mark.parametrize("mode", ["Bogus", "RsaKeyPair"])
    def test_config_json_unknown_mode_lists_supported(self, fl_fs, mode):
        fl_fs.write(_FL_CLI, _fl_config({"name": "default", "mode": mode, "access_key_id": KEY_ID,
                                         "access_key_secret": SECRET}))  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(fl_fs.ctx)
        _fl_error(excinfo, "config_file", mode, "AK", "StsToken", "External")

    def test_config_json_external_mode_runs_process_command_via_hook(self, tmp_path):
        runner = _FlRecordingRunner(stdout=json.dumps({"mode": "StsToken", "access_key_id": KEY_ID,
                                                       "access_key_secret": SECRET, "sts_token": TOKEN}).encode())
        files = _fl_fake_files("/home/u/.aliyun/config.json", _fl_config(
            {"name": "default", "mode": "External", "process_command": "/opt/bin/get-creds --profile 'my role'"}))
        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u", run_command=runner)
        creds = ossign.ConfigFileCredentialProvider().provide(context)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, TOKEN)
        assert [argv for argv, _ in runner.calls] == [["/opt/bin/get-creds", "--profile", "my role"]]

    def test_config_json_external_mode_runs_real_script(self, tmp_path):
        script = _fl_script(tmp_path, "cli_external.py", _FL_OK_SCRIPT)
        command = "%s %s" % (_fl_quote(sys.executable), _fl_quote(script))
        home = tmp_path / "home"
        _fl_write_real(home / ".aliyun" / "config.json",
                       _fl_config({"name": "default", "mode": "External", "process_command": command}))
        creds = ossign.ConfigFileCredentialProvider().provide(ossign.Context(environ={}, home_dir=str(home)))
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, TOKEN)
        assert creds.expiration == _FL_FUTURE

    def test_config_json_external_failure_is_credential_error(self, tmp_path):
        runner = _FlRecordingRunner(returncode=2, stdout=SECRET.encode(), stderr=b"login expired\n")
        files = _fl_fake_files("/home/u/.aliyun/config.json", _fl_config(
            {"name": "default", "mode": "External", "process_command": "get-creds"}))
        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u", run_command=runner)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(context)
        _fl_error(excinfo, "get-creds", "login expired")

    @pytest.mark.parametrize("command", ["", "get-creds 'unbalanced", "   "], ids=["empty", "bad-quote", "blank"])
    def test_config_json_external_bad_command_is_credential_error(self, command):
        files = _fl_fake_files("/home/u/.aliyun/config.json", _fl_config(
            {"name": "default", "mode": "External", "process_command": command}))
        runner = _FlRecordingRunner()
        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u", run_command=runner)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ConfigFileCredentialProvider().provide(context)
        _fl_error(excinfo, "config_file", "process_command")
        assert runner.calls == []


# ---- External process -------------------------------------------------------------------


def _fl_quote(text):
    import shlex

    return shlex.quote(str(text))


def _fl_script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def _fl_write_real(path, text, mode=0o600):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return str(path)


_FL_OK_SCRIPT = """import json
print(json.dumps({"mode": "StsToken", "access_key_id": %r, "access_key_secret": %r, "sts_token": %r,
                  "expiration": "2099-01-01T08:00:00+08:00"}))
""" % (KEY_ID, SECRET, TOKEN)

_FL_FAIL_SCRIPT = """import json, sys
print(json.dumps({"mode": "AK", "access_key_id": %r, "access_key_secret": %r}))
sys.stderr.write("token expired: run login again\\nsecond line with detail\\n")
sys.exit(1)
""" % (KEY_ID, SECRET)

_FL_SLOW_SCRIPT = """import os, subprocess, sys, time
child = subprocess.Popen(["sleep", "30"])
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d %d" % (os.getpid(), child.pid))
os.replace(tmp, sys.argv[1])
time.sleep(30)
"""

_FL_ECHO_ARGV_SCRIPT = """import json, sys
print(json.dumps({"access_key_id": "LTAIargvEcho0001", "access_key_secret": "|".join(sys.argv[1:])}))
"""


def _fl_alive(pid):
    """True while ``pid`` runs (a zombie waiting for a reaper does not run)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return not os.path.isdir("/proc")  # gone meanwhile, or no /proc to ask
    return state not in ("Z", "X")


class TestFilesProcessProvider:
    def _run(self, tmp_path, body, *args, timeout=5.0):
        script = _fl_script(tmp_path, "creds.py", body)
        provider = ossign.ProcessCredentialProvider([sys.executable, script] + list(args), timeout=timeout)
        return provider.provide(ossign.Context(environ={}))

    def test_process_real_script_prints_valid_json(self, tmp_path):
        creds = self._run(tmp_path, _FL_OK_SCRIPT)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, TOKEN)
        assert creds.expiration == datetime(2099, 1, 1, tzinfo=_FL_UTC)
        assert creds.expiration.utcoffset() == timedelta(0)

    def test_process_string_command_is_split_like_a_shell(self, tmp_path):
        script = _fl_script(tmp_path, "echo argv.py", _FL_ECHO_ARGV_SCRIPT)
        command = "%s %s 'two words' \"a;b\" $HOME '*'" % (_fl_quote(sys.executable), _fl_quote(script))
        creds = ossign.ProcessCredentialProvider(command, timeout=5).provide(ossign.Context(environ={}))
        assert creds.access_key_secret == "two words|a;b|$HOME|*"

    def test_process_argv_list_runs_without_shell(self, tmp_path):
        creds = self._run(tmp_path, _FL_ECHO_ARGV_SCRIPT, "$(id)", "a b", "`x`;y", ">out")
        assert creds.access_key_secret == "$(id)|a b|`x`;y|>out"
        assert not (Path.cwd() / "out").exists()

    def test_process_failing_script_shows_name_and_first_stderr_line_only(self, tmp_path):
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, _FL_FAIL_SCRIPT)
        message = _fl_error(excinfo, os.path.basename(sys.executable), "token expired: run login again")
        assert "second line" not in message
        assert "1" in message

    def test_process_executable_script_error_names_the_script(self, tmp_path):
        script = _fl_script(tmp_path, "fetch-creds", "#!%s\n%s" % (sys.executable, _FL_FAIL_SCRIPT))
        os.chmod(script, 0o700)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ProcessCredentialProvider(script, timeout=5).provide(ossign.Context(environ={}))
        _fl_error(excinfo, "fetch-creds", "token expired")

    def test_process_timeout_kills_child_and_grandchild(self, tmp_path):
        pid_file = str(tmp_path / "pids")
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, _FL_SLOW_SCRIPT, pid_file, timeout=0.5)
        assert time.monotonic() - started < 3
        _fl_error(excinfo, "timed out")
        assert os.path.exists(pid_file), "the script did not start in time to record its PIDs"
        pids = [int(p) for p in Path(pid_file).read_text().split()]
        assert len(pids) == 2
        deadline = time.monotonic() + 2.0
        while any(_fl_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [p for p in pids if _fl_alive(p)] == []

    def test_process_timeout_holds_when_grandchild_keeps_pipes_open(self, tmp_path):
        pid_file = str(tmp_path / "pids")
        body = _FL_SLOW_SCRIPT.replace('["sleep", "30"]', '["sleep", "20"], start_new_session=True')
        started = time.monotonic()
        try:
            with pytest.raises(ossign.CredentialError) as excinfo:
                self._run(tmp_path, body, pid_file, timeout=0.5)
            assert time.monotonic() - started < 3
            _fl_error(excinfo, "timed out")
        finally:
            if os.path.exists(pid_file):  # the escaped grandchild is ours to end
                grandchild = int(Path(pid_file).read_text().split()[1])
                try:
                    os.kill(grandchild, 9)
                except ProcessLookupError:
                    pass

    @pytest.mark.parametrize("body, fragment", [
        ("print('hello, not json')", "JSON"),
        ("print('')", "empty"),
        ("print('[1, 2]')", "object"),
        ("import sys; sys.stdout.buffer.write(bytes(range(128, 256)))", "UTF-8"),
    ], ids=["text", "empty", "array", "binary"])  # fmt: skip
    def test_process_garbage_output_is_error(self, tmp_path, body, fragment):
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, body)
        _fl_error(excinfo, "process", fragment)

    @pytest.mark.parametrize("data, fragment", [
        ({"mode": "AK", "access_key_secret": SECRET}, "access_key_id"),
        ({"mode": "AK", "access_key_id": KEY_ID}, "access_key_secret"),
        ({"mode": "StsToken", "access_key_id": KEY_ID, "access_key_secret": SECRET}, "sts_token"),
        ({"mode": "AK", "access_key_id": KEY_ID, "access_key_secret": SECRET, "expiration": "soon"}, "Expiration"),
    ], ids=["no-id", "no-secret", "no-token", "bad-expiration"])  # fmt: skip
    def test_process_missing_field_is_error(self, tmp_path, data, fragment):
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, "import json; print(json.dumps(%r))" % (data,))
        _fl_error(excinfo, "process", fragment)

    @pytest.mark.parametrize("mode", ["RamRoleArn", "ak", "External"])
    def test_process_unsupported_mode_is_error(self, tmp_path, mode):
        data = {"mode": mode, "access_key_id": KEY_ID, "access_key_secret": SECRET}
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, "import json; print(json.dumps(%r))" % (data,))
        _fl_error(excinfo, "process", mode, "AK", "StsToken")

    def test_process_expired_credentials_are_error(self, tmp_path):
        data = {"mode": "StsToken", "access_key_id": KEY_ID, "access_key_secret": SECRET, "sts_token": TOKEN,
                "expiration": "2001-01-01T00:00:00Z"}
        with pytest.raises(ossign.CredentialError) as excinfo:
            self._run(tmp_path, "import json; print(json.dumps(%r))" % (data,))
        _fl_error(excinfo, "process", "expired")

    def test_process_missing_executable_is_error(self, tmp_path):
        missing = str(tmp_path / "no-such-program")
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ProcessCredentialProvider([missing], timeout=5).provide(ossign.Context(environ={}))
        _fl_error(excinfo, "no-such-program")

    def test_process_through_run_command_hook(self):
        runner = _FlRecordingRunner(stdout=json.dumps({"mode": "AK", "access_key_id": KEY_ID,
                                                       "access_key_secret": SECRET}).encode())
        provider = ossign.ProcessCredentialProvider("get-creds --role 'a b'", timeout=2.5)
        creds = provider.provide(ossign.Context(run_command=runner))
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (KEY_ID, SECRET, None)
        assert runner.calls == [(["get-creds", "--role", "a b"], 2.5)]

    def test_process_hook_failure_never_shows_stdout(self):
        runner = _FlRecordingRunner(returncode=7, stdout=("%s %s %s" % (KEY_ID, SECRET, TOKEN)).encode(),
                                    stderr=b"")  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ProcessCredentialProvider(["get-creds"]).provide(ossign.Context(run_command=runner))
        _fl_error(excinfo, "get-creds", "7")

    def test_process_hook_timeout_is_credential_error(self):
        def runner(argv, timeout):
            raise subprocess.TimeoutExpired(argv, timeout)

        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ProcessCredentialProvider(["get-creds"], timeout=1).provide(ossign.Context(run_command=runner))
        _fl_error(excinfo, "get-creds", "timed out")

    @pytest.mark.parametrize("command", ["", [], "   "], ids=["empty-string", "empty-list", "blank"])
    def test_process_empty_command_rejected(self, command):
        with pytest.raises(ValueError):
            ossign.ProcessCredentialProvider(command)

    @pytest.mark.parametrize("timeout", [0, -1, True], ids=["zero", "negative", "bool"])
    def test_process_timeout_must_be_positive(self, timeout):
        with pytest.raises(ValueError):
            ossign.ProcessCredentialProvider(["x"], timeout=timeout)

    def test_process_repr_shows_no_arguments(self):
        text = repr(ossign.ProcessCredentialProvider(["/bin/get-creds", "--secret", SECRET]))
        assert "get-creds" in text
        assert_no_secret(text)


# ---- Reading files: real and hooked, errors, permissions ----------------------------------

_FL_SOURCES = [
    ("oss_profile", ossign.OssProfileCredentialProvider, ".oss/credentials",
     "[default]\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET)),
    ("credentials_file", ossign.CredentialsFileCredentialProvider, ".alibabacloud/credentials.ini",
     "[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n" % (KEY_ID, SECRET)),
    ("config_file", ossign.ConfigFileCredentialProvider, ".aliyun/config.json",
     json.dumps({"current": "default", "profiles": [
         {"name": "default", "mode": "AK", "access_key_id": KEY_ID, "access_key_secret": SECRET}]})),
]
_FL_SOURCE_IDS = [s[0] for s in _FL_SOURCES]


@pytest.mark.parametrize("label, cls, relative, content", _FL_SOURCES, ids=_FL_SOURCE_IDS)
class TestFilesFileReading:
    def test_file_source_reads_default_path(self, fl_fs, label, cls, relative, content):
        fl_fs.write(relative, content)
        creds = cls().provide(fl_fs.ctx)
        assert (creds.access_key_id, creds.access_key_secret) == (KEY_ID, SECRET)
        if fl_fs.files is not None:
            assert fl_fs.path(relative) in fl_fs.files.reads

    def test_file_source_reads_explicit_path(self, fl_fs, label, cls, relative, content):
        path = fl_fs.write("elsewhere/creds", content)
        assert cls(path=path).provide(fl_fs.ctx).access_key_id == KEY_ID

    def test_file_source_parses_utf8_bom(self, fl_fs, label, cls, relative, content):
        fl_fs.write(relative, b"\xef\xbb\xbf" + content.encode("utf-8"))
        assert cls().provide(fl_fs.ctx).access_key_secret == SECRET

    def test_file_source_denied_file_names_path(self, label, cls, relative, content):
        files = FakeFiles()
        path = "/home/u/" + relative
        files[path] = content
        files.deny(path)
        context = ossign.Context(environ={}, read_file=files, home_dir="/home/u")
        with pytest.raises(ossign.CredentialError) as excinfo:
            cls().provide(context)
        _fl_error(excinfo, label, path)

    def test_file_source_directory_as_path_names_path(self, tmp_path, label, cls, relative, content):
        directory = tmp_path / "a-directory"
        directory.mkdir()
        with pytest.raises(ossign.CredentialError) as excinfo:
            cls(path=str(directory)).provide(ossign.Context(environ={}, home_dir=str(tmp_path)))
        _fl_error(excinfo, label, str(directory))

    def test_file_source_directory_at_default_path_is_error(self, tmp_path, label, cls, relative, content):
        (tmp_path / relative).mkdir(parents=True)
        with pytest.raises(ossign.CredentialError) as excinfo:
            cls().provide(ossign.Context(environ={}, home_dir=str(tmp_path)))
        _fl_error(excinfo, label, str(tmp_path / relative))

    @pytest.mark.parametrize("garbage", [b"\xff\xfe\x00\x01\x80\x81binary", b"[default]\x00\x00\x00\x01\x02",
                                         bytes(range(256))],
                             ids=["invalid-utf8", "nul-bytes", "all-bytes"])  # fmt: skip
    def test_file_source_binary_garbage_is_error(self, fl_fs, label, cls, relative, content, garbage):
        path = fl_fs.write(relative, garbage)
        with pytest.raises(ossign.CredentialError) as excinfo:
            cls().provide(fl_fs.ctx)
        _fl_error(excinfo, label, path)

    def test_file_source_group_readable_file_logs_warning(self, tmp_path, caplog, label, cls, relative, content):
        path = _fl_write_real(tmp_path / relative, content, mode=0o644)
        caplog.set_level(logging.WARNING, logger="ossign")
        assert cls().provide(ossign.Context(environ={}, home_dir=str(tmp_path))).access_key_id == KEY_ID
        warnings = [r for r in caplog.records if r.name == "ossign" and r.levelno == logging.WARNING]
        assert len(warnings) == 1
        text = warnings[0].getMessage()
        assert path in text
        assert_no_secret(text)
        assert_no_secret(caplog.text)

    def test_file_source_private_file_logs_nothing(self, tmp_path, caplog, label, cls, relative, content):
        _fl_write_real(tmp_path / relative, content, mode=0o600)
        caplog.set_level(logging.DEBUG, logger="ossign")
        assert cls().provide(ossign.Context(environ={}, home_dir=str(tmp_path))).access_key_id == KEY_ID
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert_no_secret(caplog.text)

    def test_file_source_without_home_dir_is_none(self, monkeypatch, label, cls, relative, content):
        context = ossign.Context(environ={}, read_file=FakeFiles())
        monkeypatch.setattr(ossign.os.path, "expanduser", lambda p: p)
        assert context.home_dir is None
        assert cls().provide(context) is None


# ---- Chain ------------------------------------------------------------------------------------


class _FlProvider:
    """A provider that returns or raises what it was given, counting calls."""

    def __init__(self, result=None, label=None):
        self.result = result
        self.calls = 0
        if label is not None:
            self._source = label

    def provide(self, context):
        self.calls += 1
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


class TestFilesChain:
    def test_chain_first_credentials_win(self, ctx):
        first = ossign.Credentials("LTAIfirstChain001", "a")
        later = _FlProvider(ossign.Credentials("LTAIlaterChain001", "b"), "later")
        assert ossign.ChainCredentialProvider(_FlProvider(None, "none"), _FlProvider(first, "first"),
                                              later).provide(ctx) == first  # fmt: skip
        assert later.calls == 0

    def test_chain_goes_on_after_errors(self, ctx):
        wanted = ossign.Credentials("LTAIafterErrors01", "s")
        broken = _FlProvider(ossign.CredentialError("broken: file is bad", "broken"), "broken")
        buggy = _FlProvider(RuntimeError("bug"), "buggy")
        chain = ossign.ChainCredentialProvider(broken, buggy, _FlProvider(wanted, "good"))
        assert chain.provide(ctx) == wanted
        assert (broken.calls, buggy.calls) == (1, 1)

    def test_chain_failure_lists_every_source_and_reason(self, ctx, env):
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = SECRET
        chain = ossign.ChainCredentialProvider(
            _FlProvider(None, "first_source"),
            ossign.EnvCredentialProvider(),
            _FlProvider(RuntimeError("leaky %s %s" % (SECRET, TOKEN)), "buggy_source"),
            _FlProvider(ossign.CredentialError("broken_source: file /x is not UTF-8", "broken_source"),
                        "broken_source"),
        )  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            chain.provide(ctx)
        message = _fl_error(excinfo, "first_source", "not configured", "env", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                            "buggy_source", "RuntimeError", "broken_source", "not UTF-8")
        assert "leaky" not in message
        attempts = excinfo.value.attempts
        assert [a[0] for a in attempts] == ["first_source", "env", "buggy_source", "broken_source"]
        assert "not configured" in attempts[0][1]
        assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in attempts[1][1]
        assert "RuntimeError" in attempts[2][1]
        assert "not UTF-8" in attempts[3][1]
        for _, reason in attempts:
            assert_no_secret(reason)
        assert excinfo.value.source == "chain"

    def test_chain_labels_foreign_provider_by_class_name(self, ctx):
        class MyVaultProvider:
            def provide(self, context):
                return None

        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ChainCredentialProvider(MyVaultProvider()).provide(ctx)
        assert [a[0] for a in excinfo.value.attempts] == ["MyVaultProvider"]

    def test_chain_error_pickles_with_attempts(self, ctx):
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.ChainCredentialProvider(_FlProvider(None, "only")).provide(ctx)
        clone = pickle.loads(pickle.dumps(excinfo.value))
        assert str(clone) == str(excinfo.value)
        assert tuple(tuple(a) for a in clone.attempts) == (("only", "only: not configured"),)

    def test_chain_repr_has_no_secret(self):
        text = repr(ossign.ChainCredentialProvider(static(), static("LTAIsecondKeyId01", SECRET, TOKEN)))
        assert_no_secret(text, SECRET, TOKEN, KEY_ID, "LTAIsecondKeyId01")


# ---- Default chain ------------------------------------------------------------------------

_FL_ORDER = ["assume_role", "env", "oss_profile", "credentials_file", "config_file", "credentials_uri", "oidc",
             "ecs_ram_role"]
_FL_IDS = {
    "assume_role": "STS.assumeRoleKey1",
    "env": "LTAIenvKeyId00001",
    "oss_profile": "LTAIossProfile001",
    "credentials_file": "LTAIcredIni000001",
    "config_file": "LTAIcliConfig0001",
    "credentials_uri": "STS.credsUriKey01",
    "oidc": "STS.oidcKeyId0001",
    "ecs_ram_role": "STS.ecsRoleKey001",
}


def _fl_temp_creds(key_id):
    return {"Code": "Success", "AccessKeyId": key_id, "AccessKeySecret": "tempSecret", "SecurityToken": "tempToken",
            "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2024-01-01T00:00:00Z"}


def _fl_serve_everything(server):
    """STS (both actions), a credentials URI and an ECS metadata service on one loopback server."""

    def sts(request, handler):
        action = request.query.get("Action", [""])[0]
        key_id = {"AssumeRole": _FL_IDS["assume_role"], "AssumeRoleWithOIDC": _FL_IDS["oidc"]}.get(action)
        if key_id is None:
            return 400, {}, {"Code": "InvalidAction", "Message": "unexpected", "RequestId": "r"}
        return 200, {"Content-Type": "application/json"}, {"RequestId": "r", "Credentials": _fl_temp_creds(key_id)}

    server.routes[("GET", "/")] = sts
    server.routes[("GET", "/creds")] = (200, {"Content-Type": "application/json"},
                                        _fl_temp_creds(_FL_IDS["credentials_uri"]))  # fmt: skip
    server.routes[("PUT", "/latest/api/token")] = (200, {}, "imds-token")
    server.routes[("GET", "/latest/meta-data/ram/security-credentials/")] = (200, {}, "node-role\n")
    server.routes[("GET", "/latest/meta-data/ram/security-credentials/node-role")] = (
        200, {}, _fl_temp_creds(_FL_IDS["ecs_ram_role"]))


def _fl_configure(source, env, home, server):
    """Configure one default-chain source through env variables and files only."""
    if source == "assume_role":
        env["ALIBABA_CLOUD_ROLE_ARN"] = "acs:ram::123456789012:role/test-role"
        env["ALIBABA_CLOUD_STS_ENDPOINT"] = server.url
    elif source == "env":
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = _FL_IDS["env"]
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "envSecret"
    elif source == "oss_profile":
        _fl_write_real(home / ".oss" / "credentials",
                       _fl_ini("default", access_key_id=_FL_IDS["oss_profile"], access_key_secret="ossSecret"))
    elif source == "credentials_file":
        _fl_write_real(home / ".alibabacloud" / "credentials.ini",
                       _fl_ini("default", type="access_key", access_key_id=_FL_IDS["credentials_file"],
                               access_key_secret="iniSecret"))  # fmt: skip
    elif source == "config_file":
        _fl_write_real(home / ".aliyun" / "config.json", _fl_config(_fl_ak("default", _FL_IDS["config_file"])))
    elif source == "credentials_uri":
        env["ALIBABA_CLOUD_CREDENTIALS_URI"] = server.url + "/creds"
    elif source == "oidc":
        env["ALIBABA_CLOUD_ROLE_ARN"] = "acs:ram::123456789012:role/pod-role"
        env["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = "acs:ram::123456789012:oidc-provider/ack-rrsa"
        env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = _fl_write_real(home / "oidc-token", "eyJhbGciOi.oidc.token\n")
        env["ALIBABA_CLOUD_STS_ENDPOINT"] = server.url
    elif source == "ecs_ram_role":
        env["ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT"] = server.url
    else:  # pragma: no cover
        raise AssertionError(source)


class TestFilesDefaultChain:
    @pytest.mark.parametrize("earlier, later", list(zip(_FL_ORDER, _FL_ORDER[1:])),
                             ids=["%s-before-%s" % pair for pair in zip(_FL_ORDER, _FL_ORDER[1:])])  # fmt: skip
    def test_default_chain_order_earlier_source_wins(self, tmp_path, loopback, earlier, later):
        _fl_serve_everything(loopback)
        env, home = {}, tmp_path / "home"
        home.mkdir()
        if "ecs_ram_role" not in (earlier, later):
            env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"  # never ask 100.100.100.200
        _fl_configure(earlier, env, home, loopback)
        _fl_configure(later, env, home, loopback)
        context = ossign.Context(environ=env, home_dir=str(home), timeout=2.0)
        assert ossign.DefaultCredentialProvider().provide(context).access_key_id == _FL_IDS[earlier]
        # The later source really is configured: without the earlier one it wins.
        assert ossign.DefaultCredentialProvider(**{earlier: None}).provide(context).access_key_id == _FL_IDS[later]

    def test_default_chain_failure_lists_all_eight_sources_in_order(self, tmp_path):
        context = ossign.Context(environ={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}, home_dir=str(tmp_path))
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.DefaultCredentialProvider().provide(context)
        message = _fl_error(excinfo, *_FL_ORDER)
        assert [a[0] for a in excinfo.value.attempts] == _FL_ORDER
        assert all("not configured" in reason for _, reason in excinfo.value.attempts)
        assert message.count("not configured") == 8

    def test_default_chain_failure_gives_each_reason(self, tmp_path, loopback):
        loopback.routes[("PUT", "/latest/api/token")] = (500, {}, "metadata broken")
        loopback.routes[("GET", "/latest/meta-data/ram/security-credentials/")] = (500, {}, "metadata broken")
        home = tmp_path / "home"
        oss_path = _fl_write_real(home / ".oss" / "credentials", "not an ini file\n")
        env = {"ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT": loopback.url, "OSS_ACCESS_KEY_SECRET": SECRET}
        context = ossign.Context(environ=env, home_dir=str(home), timeout=2.0)
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.DefaultCredentialProvider().provide(context)
        _fl_error(excinfo, oss_path, "OSS_ACCESS_KEY_ID", "HTTP 500")
        reasons = dict(excinfo.value.attempts)
        assert list(reasons) == _FL_ORDER
        assert "OSS_ACCESS_KEY_ID" in reasons["env"]
        assert oss_path in reasons["oss_profile"]
        assert "HTTP 500" in reasons["ecs_ram_role"]
        assert "not configured" in reasons["config_file"]

    def test_default_chain_empty_environment_does_not_hang(self, tmp_path):
        context = ossign.Context(environ={}, home_dir=str(tmp_path), timeout=1.0)
        started = time.monotonic()
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.DefaultCredentialProvider(ecs_ram_role=None).provide(context)
        assert time.monotonic() - started < 1.0
        assert [a[0] for a in excinfo.value.attempts] == _FL_ORDER[:-1]

    def test_unconfigured_ecs_unreachable_metadata_is_none(self):
        calls = []

        class RefusingOpener:
            def open(self, request, timeout=None):
                calls.append((request.get_method(), request.full_url))
                raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

        context = ossign.Context(environ={}, opener=RefusingOpener(), timeout=1.0)
        assert ossign.EcsRamRoleCredentialProvider().provide(context) is None
        assert calls == [("PUT", "http://100.100.100.200/latest/api/token")]

    def test_default_chain_slot_replacement_keeps_position(self, tmp_path):
        home = tmp_path / "home"
        _fl_configure("oss_profile", {}, home, None)
        context = ossign.Context(environ={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}, home_dir=str(home))
        replaced_env = ossign.DefaultCredentialProvider(env=static("LTAIreplacedEnv01", "s"))
        assert replaced_env.provide(context).access_key_id == "LTAIreplacedEnv01"
        replaced_ecs = ossign.DefaultCredentialProvider(ecs_ram_role=static("LTAIreplacedEcs01", "s"))
        assert replaced_ecs.provide(context).access_key_id == _FL_IDS["oss_profile"]
        replaced_profile = ossign.DefaultCredentialProvider(oss_profile=_FlProvider(None, "my_profile"),
                                                            ecs_ram_role=None)  # fmt: skip
        with pytest.raises(ossign.CredentialError) as excinfo:
            replaced_profile.provide(ossign.Context(environ={}, home_dir=str(tmp_path / "empty")))
        assert [a[0] for a in excinfo.value.attempts] == ["assume_role", "env", "my_profile", "credentials_file",
                                                          "config_file", "credentials_uri", "oidc"]  # fmt: skip

    def test_default_chain_slot_removed_with_none(self, tmp_path):
        env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": _FL_IDS["env"], "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
        context = ossign.Context(environ=env, home_dir=str(tmp_path))
        assert ossign.DefaultCredentialProvider(ecs_ram_role=None).provide(context).access_key_id == _FL_IDS["env"]
        with pytest.raises(ossign.CredentialError) as excinfo:
            ossign.DefaultCredentialProvider(env=None, ecs_ram_role=None).provide(context)
        assert [a[0] for a in excinfo.value.attempts] == ["assume_role", "oss_profile", "credentials_file",
                                                          "config_file", "credentials_uri", "oidc"]  # fmt: skip

    def test_push_front_returns_new_chain_and_leaves_original(self, tmp_path):
        context = ossign.Context(environ={}, home_dir=str(tmp_path))
        original = ossign.DefaultCredentialProvider(ecs_ram_role=None)
        before = original.providers
        front = original.push_front(static("LTAIpushedFront01", "s"))
        assert front is not original
        assert front.provide(context).access_key_id == "LTAIpushedFront01"
        assert original.providers == before
        with pytest.raises(ossign.CredentialError) as excinfo:
            original.provide(context)
        assert "static" not in [a[0] for a in excinfo.value.attempts]
        second = front.push_front(_FlProvider(None, "nothing_here"))
        assert second.provide(context).access_key_id == "LTAIpushedFront01"
        assert front.providers[1:] == before
        assert second.providers[2:] == before

    def test_default_chain_repr_has_no_secret(self, monkeypatch):
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        assert_no_secret(repr(ossign.DefaultCredentialProvider(env=static())))


# ---- Import cost --------------------------------------------------------------------------

_FL_HEAVY = ("urllib.request", "http.client", "ssl", "email", "json", "configparser", "logging", "typing",
             "dataclasses", "inspect", "subprocess")
_FL_SIGN_ONCE = """
import sys
import ossign
signer = ossign.Signer("bkt", ossign.StaticCredentialProvider("LTAIimportCost001", "secret"), region="cn-hangzhou",
                       context=ossign.Context(clock=lambda: 1700000000.0))
signed = signer.sign("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/key")
assert signed.headers["Authorization"].startswith("OSS4-HMAC-SHA256 Credential=LTAIimportCost001/20231114/"), signed
print("\\n".join(sorted(sys.modules)))
"""


def _fl_heavy_in(modules):
    return sorted(h for h in _FL_HEAVY if any(m == h or m.startswith(h + ".") for m in modules))


def _fl_python(*args):
    env = dict(os.environ, PYTHONPATH=str(_FL_HERE))
    env.pop("PYTHONSTARTUP", None)
    result = subprocess.run([sys.executable] + list(args), cwd=str(_FL_HERE), env=env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result


class TestFilesImportCost:
    def test_import_and_v4_signature_load_no_heavy_module(self):
        bare = set(_fl_python("-S", "-c", "import sys; print('\\n'.join(sorted(sys.modules)))").stdout.split())
        after = set(_fl_python("-S", "-c", _FL_SIGN_ONCE).stdout.split())
        assert "ossign" in after
        assert "hmac" in after  # the probe really signed
        assert _fl_heavy_in(after - bare) == []

    def test_importtime_shows_no_network_or_parser_module(self):
        def imported(*args):
            lines = _fl_python("-X", "importtime", *args).stderr.splitlines()
            return {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}

        baseline = imported("-c", "pass")
        with_ossign = imported("-c", "import ossign")
        assert "ossign" in with_ossign
        new = with_ossign - baseline
        assert [m for m in ("urllib.request", "http.client", "json", "configparser") if m in new] == []
