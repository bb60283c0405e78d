"""The credential cache: single flight, advisory and mandatory refresh, stale-if-error, deadlines, a stress run."""

import logging
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import ossign
from test_ossign import _hermetic_environment, FakeClock, static, assert_no_secret, SECRET, TOKEN, KEY_ID  # noqa: F401
from test_part_integrations import _IntgReject, _IntgVerifier  # noqa: F401


# ==== Cache fixtures ========================================================


class _CacheProvider:
    """A counting provider: each call returns new credentials ``LTAIcache000001``,
    ``...02``, ... that live ``life`` seconds from the clock's now (``None``:
    never expire).

    ``fail`` (an exception or a callable returning the result) replaces the
    answer; ``gate`` makes every call wait until the test sets it, and
    ``entered`` is set when a call has started, so a test can hold a refresh
    in flight while it looks at the other threads.
    """

    def __init__(self, clock, life=3600.0):
        self.clock = clock
        self.life = life
        self.calls = 0
        self.fail = None
        self.gate = None
        self.entered = threading.Event()
        self.issued = {}  # access key id -> expiry epoch (None: never)
        self._lock = threading.Lock()

    def provide(self, context):
        with self._lock:
            self.calls += 1
            n = self.calls
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never released the provider"
        if self.fail is not None:
            if isinstance(self.fail, BaseException):
                raise self.fail
            return self.fail()
        key_id = "LTAIcache%06d" % n
        expires_at = None if self.life is None else self.clock() + self.life
        self.issued[key_id] = expires_at
        expiration = None if expires_at is None else datetime.fromtimestamp(expires_at, timezone.utc)
        return ossign.Credentials(key_id, _cache_secret(key_id), _cache_token(key_id), expiration)


def _cache_secret(key_id):
    return "secret-of-" + key_id


def _cache_token(key_id):
    return "token-of-" + key_id


def _cache_wait_for(predicate, what, timeout=10.0):
    """Poll shared state until ``predicate()`` (synchronisation, not timing: a
    slow machine only waits longer)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.001)


def _cache_waiters(cache):
    """Threads blocked in the cache's condition (they wait for a refresh)."""
    return len(cache._cond._waiters)


def _cache_run(target, count=1):
    """Start ``count`` threads running ``target``; their results/errors land in lists."""
    results, errors = [], []

    def run():
        try:
            results.append(target())
        except BaseException as exc:  # noqa: B902 - the test inspects it
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results, errors


def _cache_join(threads):
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive(), "a thread is stuck"


@pytest.fixture
def cclock():
    return FakeClock(1700000000.0)


@pytest.fixture
def counting(cclock):
    return _CacheProvider(cclock)


def _cache(provider, clock, **windows):
    return ossign.CredentialCache(provider, ossign.Context(clock=clock, environ={}), **windows)


# ==== Cache: fresh credentials and no-expiry credentials ====================


class TestCacheFresh:
    def test_cache_calls_provider_once_while_credentials_are_fresh(self, counting, cclock):
        cache = _cache(counting, cclock)
        first = cache.provide()
        cclock.advance(3600 - 601)  # still before the advisory window
        assert cache.provide() is first
        assert cache.get() is first
        assert counting.calls == 1

    def test_cache_keeps_credentials_without_expiration_until_invalidate(self, counting, cclock):
        counting.life = None
        cache = _cache(counting, cclock)
        first = cache.provide()
        cclock.advance(10 * 365 * 86400)
        assert cache.get(cclock() + 86400 * 7) is first
        assert counting.calls == 1
        cache.invalidate()
        second = cache.provide()
        assert second.access_key_id == "LTAIcache000002"
        assert counting.calls == 2

    def test_cache_invalidate_drops_expiring_credentials_too(self, counting, cclock):
        cache = _cache(counting, cclock)
        cache.provide()
        cache.invalidate()
        assert cache.provide().access_key_id == "LTAIcache000002"

    def test_cache_fast_path_takes_no_lock(self, counting, cclock):
        cache = _cache(counting, cclock)
        signer = ossign.Signer("bucket", cache, region="cn-hangzhou", context=ossign.Context(clock=cclock, environ={}))
        signer.sign("GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k")

        class Forbidden:
            def __enter__(self):
                raise AssertionError("the fast path took the cache lock")

            __exit__ = wait = notify_all = __enter__

        cache._cond = Forbidden()
        for _ in range(50):
            cache.provide()
            cache.get(cclock() + 600)
            signer.sign("GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k")
            signer.presign("https://bucket.oss-cn-hangzhou.aliyuncs.com/k", expires=600)
            cclock.advance(1)
        assert counting.calls == 1

    def test_cache_get_accepts_aware_datetime_and_rejects_naive(self, counting, cclock):
        cache = _cache(counting, cclock)
        soon = datetime.fromtimestamp(cclock() + 60, timezone.utc)
        assert cache.get(soon).access_key_id == "LTAIcache000001"
        with pytest.raises(ValueError, match="timezone-aware"):
            cache.get(datetime(2030, 1, 1))
        with pytest.raises(TypeError):
            cache.get("tomorrow")


# ==== Cache: single flight ==================================================


class TestCacheSingleFlight:
    def test_cache_single_flight_32_threads_one_provider_call(self, counting, cclock):
        counting.gate = threading.Event()
        cache = _cache(counting, cclock)
        threads, results, errors = _cache_run(cache.provide, 32)
        _cache_wait_for(lambda: counting.entered.is_set() and _cache_waiters(cache) == 31,
                        "31 threads to wait for the one refresh")  # fmt: skip
        assert counting.calls == 1
        counting.gate.set()
        _cache_join(threads)
        assert errors == []
        assert len(results) == 32
        assert {id(c) for c in results} == {id(results[0])}
        assert counting.calls == 1

    def test_cache_single_flight_shares_a_failure_with_every_waiter(self, counting, cclock):
        counting.gate = threading.Event()
        counting.fail = ossign.CredentialError("sts: AccessDenied", "sts")
        cache = _cache(counting, cclock)
        threads, results, errors = _cache_run(cache.provide, 8)
        _cache_wait_for(lambda: counting.entered.is_set() and _cache_waiters(cache) == 7, "7 waiters")
        counting.gate.set()
        _cache_join(threads)
        assert results == []
        assert len(errors) == 8
        assert all(isinstance(e, ossign.CredentialError) and "AccessDenied" in str(e) for e in errors)
        assert counting.calls == 1
        # The next caller tries again: a failure is not cached.
        counting.fail, counting.gate = None, None
        assert cache.provide().access_key_id == "LTAIcache000002"

    def test_cache_mandatory_window_callers_wait_for_the_refresh(self, counting, cclock):
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 60)  # inside the mandatory window (120 s)
        counting.gate = threading.Event()
        counting.entered.clear()
        threads, results, errors = _cache_run(cache.provide, 2)
        _cache_wait_for(lambda: counting.entered.is_set() and _cache_waiters(cache) == 1,
                        "the second caller to wait")  # fmt: skip
        assert results == []  # nobody returned the old credentials
        counting.gate.set()
        _cache_join(threads)
        assert errors == []
        assert [c.access_key_id for c in results] == ["LTAIcache000002"] * 2
        assert old.access_key_id == "LTAIcache000001"
        assert counting.calls == 2

    def test_cache_expired_credentials_are_never_returned(self, counting, cclock):
        cache = _cache(counting, cclock)
        cache.provide()
        cclock.advance(3600)  # exactly at expiry
        assert cache.provide().access_key_id == "LTAIcache000002"


# ==== Cache: advisory refresh ===============================================


class TestCacheAdvisory:
    def test_cache_advisory_window_others_do_not_wait(self, counting, cclock):
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 500)  # advisory (600 s) but not mandatory (120 s)
        counting.gate = threading.Event()
        counting.entered.clear()
        threads, results, errors = _cache_run(cache.provide)
        _cache_wait_for(counting.entered.is_set, "the advisory refresh to start")
        # The refresh is in flight and blocked: every other caller gets the
        # current credentials at once.
        for _ in range(20):
            assert cache.provide() is old
            assert cache.get(cclock() + 400) is old
        assert counting.calls == 2
        counting.gate.set()
        _cache_join(threads)
        assert errors == []
        assert results[0].access_key_id == "LTAIcache000002"
        assert cache.provide() is results[0]

    def test_cache_advisory_refresh_replaces_credentials_for_everyone(self, counting, cclock):
        cache = _cache(counting, cclock)
        cache.provide()
        cclock.advance(3600 - 300)
        fresh = cache.provide()
        assert fresh.access_key_id == "LTAIcache000002"
        assert cache.provide() is fresh
        assert counting.calls == 2

    def test_cache_stale_if_error_keeps_credentials_and_logs_one_warning(self, counting, cclock, caplog):
        caplog.set_level(logging.DEBUG, logger="ossign")
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 500)
        counting.fail = ossign.CredentialError("sts: ServiceUnavailable (status 503)", "sts")
        for _ in range(10):
            assert cache.provide() is old
        assert counting.calls == 2
        warnings = [r for r in caplog.records if r.name == "ossign" and r.levelno == logging.WARNING]
        assert len(warnings) == 1
        message = warnings[0].getMessage()
        assert "keeping the current credentials" in message and "ServiceUnavailable" in message
        assert_no_secret(message, _cache_secret(old.access_key_id), _cache_token(old.access_key_id))

    def test_cache_failed_advisory_refresh_backs_off_30_seconds(self, counting, cclock):
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 590)
        counting.fail = ossign.CredentialError("ecs: unreachable", "ecs")
        assert cache.provide() is old
        assert counting.calls == 2
        cclock.advance(29)
        assert cache.provide() is old
        assert counting.calls == 2  # still backing off
        cclock.advance(2)
        assert cache.provide() is old
        assert counting.calls == 3  # retried after 30 s
        counting.fail = None
        cclock.advance(31)
        assert cache.provide().access_key_id == "LTAIcache000004"

    def test_cache_provider_bug_in_advisory_refresh_keeps_credentials(self, counting, cclock, caplog):
        caplog.set_level(logging.WARNING, logger="ossign")
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 500)
        counting.fail = ZeroDivisionError("provider bug")
        assert cache.provide() is old
        assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)

    def test_cache_invalidate_resets_the_back_off(self, counting, cclock):
        cache = _cache(counting, cclock)
        cache.provide()
        cclock.advance(3600 - 500)
        counting.fail = ossign.CredentialError("x: down", "x")
        cache.provide()
        counting.fail = None
        cache.invalidate()
        assert cache.provide().access_key_id == "LTAIcache000003"


# ==== Cache: failures and deadlines =========================================


class TestCacheFailures:
    def test_cache_mandatory_failure_serves_credentials_still_valid_for_the_deadline(self, counting, cclock):
        cache = _cache(counting, cclock)
        old = cache.provide()
        cclock.advance(3600 - 60)
        counting.fail = ossign.CredentialError("sts: Throttling", "sts")
        assert cache.get(cclock() + 10) is old  # 60 s left covers a header signature
        with pytest.raises(ossign.CredentialError, match="Throttling"):
            cache.get(cclock() + 300)  # a presign that outlives them cannot

    def test_cache_failure_after_expiry_raises_the_providers_error(self, counting, cclock):
        cache = _cache(counting, cclock)
        cache.provide()
        cclock.advance(3601)
        counting.fail = ossign.CredentialError("ecs: metadata answered 500", "ecs")
        with pytest.raises(ossign.CredentialError, match="metadata answered 500") as info:
            cache.provide()
        assert info.value.source == "ecs"

    @pytest.mark.parametrize("answer, message", [
        (lambda: None, "no credentials found"),
        (lambda: ("id", "secret"), "provider returned tuple, not Credentials"),
    ])  # fmt: skip
    def test_cache_provider_returning_nothing_usable_is_a_credential_error(self, counting, cclock, answer, message):
        counting.fail = answer
        cache = _cache(counting, cclock)
        with pytest.raises(ossign.CredentialError, match=message):
            cache.provide()
        assert counting.calls == 1

    def test_cache_provider_raising_any_exception_is_a_credential_error_with_cause(self, counting, cclock):
        counting.fail = KeyError("AccessKeyId")
        cache = _cache(counting, cclock)
        with pytest.raises(ossign.CredentialError, match="provider raised KeyError") as info:
            cache.provide()
        assert isinstance(info.value.__cause__, KeyError)

    def test_cache_provider_returning_expired_credentials_is_an_error_not_a_loop(self, counting, cclock):
        counting.life = -5
        cache = _cache(counting, cclock)
        with pytest.raises(ossign.CredentialError, match="already expired"):
            cache.provide()
        assert counting.calls == 1
        with pytest.raises(ossign.CredentialError, match="already expired"):
            cache.provide()
        assert counting.calls == 2

    def test_cache_presign_deadline_beyond_expiry_refreshes_then_fails_clearly(self, counting, cclock):
        counting.life = 1000
        cache = _cache(counting, cclock)
        assert cache.get(cclock() + 900).access_key_id == "LTAIcache000001"
        with pytest.raises(ossign.CredentialError, match="expire at .* before they are needed"):
            cache.get(cclock() + 3600)
        assert counting.calls == 2  # one refresh was tried for the longer deadline

    def test_signer_presign_outliving_credentials_is_a_signing_error(self, counting, cclock):
        counting.life = 1000
        signer = ossign.Signer("bucket", counting, region="cn-hangzhou",
                               context=ossign.Context(clock=cclock, environ={}))  # fmt: skip
        url = "https://bucket.oss-cn-hangzhou.aliyuncs.com/k"
        assert "x-oss-signature=" in signer.presign(url, expires=600)
        with pytest.raises(ossign.SigningError, match="would outlive its credentials"):
            signer.presign(url, expires=3600)
        # A header signature still works with the same credentials.
        assert signer.sign("GET", url).headers["Authorization"].startswith("OSS4-HMAC-SHA256 ")

    def test_cache_presign_deadline_gets_longer_lived_credentials_when_the_provider_has_them(self, counting,
                                                                                           cclock):  # fmt: skip
        counting.life = 1000
        cache = _cache(counting, cclock)
        cache.provide()
        counting.life = 7200
        fresh = cache.get(cclock() + 3600)
        assert fresh.access_key_id == "LTAIcache000002"
        assert cache.provide() is fresh


# ==== Cache: windows and configuration ======================================


class TestCacheWindows:
    @pytest.mark.parametrize("life, advisory, mandatory", [
        (3600, 600, 120),  # the defaults
        (900, 450, 120),  # a 15-minute STS token: advisory halves the life
        (200, 100, 50),  # very short: half and a quarter of the life
    ])  # fmt: skip
    def test_cache_windows_shrink_for_short_lived_credentials(self, counting, cclock, life, advisory, mandatory):
        counting.life = life
        cache = _cache(counting, cclock)
        start = cclock()
        cache.provide()
        cclock.now = start + life - advisory - 1
        cache.provide()
        assert counting.calls == 1, "refreshed before the advisory window"
        counting.gate = threading.Event()
        counting.entered.clear()
        cclock.now = start + life - advisory + 1
        threads, results, _ = _cache_run(cache.provide)
        _cache_wait_for(counting.entered.is_set, "the advisory refresh")
        assert counting.calls == 2
        cclock.now = start + life - mandatory + 1  # a second caller now must wait
        waiter, waited, _ = _cache_run(cache.provide)
        _cache_wait_for(lambda: _cache_waiters(cache) == 1, "a caller in the mandatory window to wait")
        counting.gate.set()
        _cache_join(threads + waiter)
        assert waited[0].access_key_id == "LTAIcache000002"

    def test_cache_windows_can_be_set_in_seconds_or_timedelta(self, counting, cclock):
        cache = _cache(counting, cclock, advisory_refresh=timedelta(minutes=20), mandatory_refresh=300)
        assert (cache.advisory_refresh, cache.mandatory_refresh) == (1200.0, 300.0)
        cache.provide()
        cclock.advance(3600 - 1199)
        assert cache.provide().access_key_id == "LTAIcache000002"

    def test_cache_zero_windows_refresh_only_at_expiry(self, counting, cclock):
        cache = _cache(counting, cclock, advisory_refresh=0, mandatory_refresh=0)
        cache.provide()
        cclock.advance(3599)
        assert cache.provide().access_key_id == "LTAIcache000001"
        cclock.advance(1)
        assert cache.provide().access_key_id == "LTAIcache000002"

    @pytest.mark.parametrize("kwargs, error", [
        ({"advisory_refresh": -1}, ValueError),
        ({"mandatory_refresh": "60"}, ValueError),
        ({"advisory_refresh": True}, ValueError),
        ({"advisory_refresh": 60, "mandatory_refresh": 120}, ValueError),
    ])  # fmt: skip
    def test_cache_rejects_bad_windows(self, counting, kwargs, error):
        with pytest.raises(error):
            ossign.CredentialCache(counting, **kwargs)

    def test_cache_rejects_an_object_that_is_not_a_provider(self):
        with pytest.raises(TypeError, match="provide"):
            ossign.CredentialCache(ossign.Credentials("id", "secret"))

    def test_cache_repr_names_the_provider_and_no_secret(self):
        cache = ossign.CredentialCache(static(token=TOKEN))
        text = repr(cache)
        assert "CredentialCache(" in text and "StaticCredentialProvider" in text
        cache.provide(ossign.Context(environ={}))
        assert_no_secret(repr(cache) + str(cache))


# ==== Cache: with Signer ====================================================


class TestCacheWithSigner:
    def test_signer_wraps_a_plain_provider_in_a_cache(self, counting, cclock):
        signer = ossign.Signer("bucket", counting, region="cn-hangzhou",
                               context=ossign.Context(clock=cclock, environ={}))  # fmt: skip
        assert isinstance(signer.provider, ossign.CredentialCache)
        assert signer.provider.provider is counting
        for _ in range(100):
            signer.sign("PUT", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k")
        assert counting.calls == 1

    def test_signers_share_one_cache(self, counting, cclock):
        context = ossign.Context(clock=cclock, environ={})
        cache = _cache(counting, cclock)
        signers = [ossign.Signer("bucket", cache, region="cn-hangzhou", version=v, context=context)
                   for v in ("v1", "v2", "v4")]  # fmt: skip
        assert all(s.provider is cache for s in signers)
        for signer in signers:
            signer.sign("GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k")
        assert counting.calls == 1
        cache.invalidate()
        for signer in signers:
            assert signer.credentials().access_key_id == "LTAIcache000002"

    def test_signer_credentials_reports_what_the_next_signature_uses(self, counting, cclock):
        signer = ossign.Signer("bucket", counting, region="cn-hangzhou",
                               context=ossign.Context(clock=cclock, environ={}))  # fmt: skip
        creds = signer.credentials()
        auth = signer.sign("GET", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k").headers["Authorization"]
        assert "Credential=%s/" % creds.access_key_id in auth


# ==== Cache: stress =========================================================


class _CacheStressVerifier(_IntgVerifier):
    """The independent verifier, with a secret and a token per rotated key id."""

    def _secret(self, key_id):
        if not key_id.startswith("LTAIcache"):
            raise _IntgReject("unknown key id")
        self.key_id = key_id
        return _cache_secret(key_id)

    def _token(self, presented):
        self.token_seen = presented


@pytest.mark.stress
def test_cache_stress_16_threads_20000_signatures_with_rotation_all_verify(cclock):
    """16 threads sign 20,000 V4 requests (headers and presigned URLs) while
    the clock moves one second per signature and credentials live 400 s, so
    they rotate every 200-300 signatures through advisory and mandatory
    refreshes, plus invalidate() from another thread. Every signature must
    verify with the secret of the key id it carries, carry that id's token,
    and have been made while those credentials were valid."""
    provider = _CacheProvider(cclock, life=400)
    context = ossign.Context(clock=cclock, environ={})
    signer = ossign.Signer("bucket", provider, region="cn-hangzhou", context=context)
    threads_n, per_thread = 16, 1250
    out = [[] for _ in range(threads_n)]
    failures = []
    start = threading.Barrier(threads_n + 2)  # the workers, the invalidator and this thread
    done = threading.Event()

    def work(slot):
        start.wait(30)
        try:
            for i in range(per_thread):
                url = "https://bucket.oss-cn-hangzhou.aliyuncs.com/t%d/o%d" % (slot, i)
                if i % 4 == 3:
                    out[slot].append(("url", signer.presign(url, expires=60), None))
                else:
                    signed = signer.sign("PUT", url, {"Content-Type": "text/plain", "x-oss-meta-i": str(i)})
                    out[slot].append(("header", signed.url, dict(signed.headers)))
                cclock.advance(1)
        except BaseException as exc:  # noqa: B902 - reported below
            failures.append(exc)

    def chaos():
        start.wait(30)
        while not done.wait(0.01):
            signer.provider.invalidate()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    invalidator = threading.Thread(target=chaos)
    for thread in workers + [invalidator]:
        thread.start()
    start.wait(30)
    for thread in workers:
        thread.join(120)
    done.set()
    invalidator.join(10)
    assert failures == []
    results = [item for chunk in out for item in chunk]
    assert len(results) == threads_n * per_thread == 20000

    verifier = _CacheStressVerifier(clock=lambda: 0, skew=float("inf"))
    used = set()
    for kind, url, headers in results:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        method = "GET" if kind == "url" else "PUT"
        verdict = verifier.check(method, target, list((headers or {}).items()), host=parts.netloc)
        assert verdict.ok, (verdict.reason, url)
        key_id = verifier.key_id
        assert verifier.token_seen == _cache_token(key_id), "token of another credential set"
        used.add(key_id)
        if kind == "url":
            query = urllib.parse.parse_qs(parts.query)
            signed_at = _IntgVerifier._iso_epoch(query["x-oss-date"][0])
            need = signed_at + int(query["x-oss-expires"][0])
        else:
            signed_at = _IntgVerifier._iso_epoch(headers["x-oss-date"])
            need = signed_at + 10
        assert need < provider.issued[key_id], "signed with credentials that do not cover the request"
    assert len(used) >= 40, "credentials rotated only %d times" % len(used)
    assert provider.calls >= len(used)


# ==== Cache: the README's section ===========================================


def _cache_readme_blocks():
    """The python blocks of the README's "Credential cache" section."""
    text = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Credential cache\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_readme_cache_section_example_runs_and_shares_one_cache(monkeypatch, tmp_path):
    blocks = _cache_readme_blocks()
    assert blocks, "the README has no python example in its cache section"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    namespace = {}
    exec(compile(blocks[0], "README.md#credential-cache", "exec"), namespace)  # noqa: S102 - our own README
    cache, v4, v1 = namespace["cache"], namespace["v4"], namespace["v1"]
    assert v4.provider is cache and v1.provider is cache
    assert namespace["creds"].access_key_id == KEY_ID
    assert cache._entry is None  # invalidated last
    auth = v1.sign("GET", "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/k").headers["Authorization"]
    assert auth.startswith("OSS %s:" % KEY_ID)


def test_readme_cache_section_states_the_defaults_the_code_uses():
    text = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Credential cache\n", 1)[1].split("\n## ", 1)[0]
    cache = ossign.CredentialCache(static())
    assert "`advisory_refresh` (%d s)" % cache.advisory_refresh in section
    assert "`mandatory_refresh` (%d s)" % cache.mandatory_refresh in section
    assert "every %d s" % ossign._ADVISORY_RETRY in section
    assert "valid for %d more seconds" % ossign._HEADER_HEADROOM in section
