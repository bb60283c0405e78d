"""Tests for ossign, in the order of the module's sections.

Run with ``python -m pytest``. Nothing here reaches outside the machine: the
metadata service, STS and credentials URI are real HTTP servers on 127.0.0.1
started by the tests, and files are real temporary files (and, separately, a
``read_file`` hook).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.parse
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import ossign

HERE = Path(__file__).resolve().parent
VECTORS_FILE = HERE / "testdata" / "official-sdk-vectors.json"

# A known secret, token and key id: the no-leak tests look for these.
SECRET = "sEcReT/With+Chars=0123456789abcd"
TOKEN = "CAIStoken+/=VeryLongSecurityTokenValue0123456789"
KEY_ID = "LTAI5tKnownAccessKeyId9999"


# ==== Fixtures ==============================================================


class FakeClock:
    """A clock for Context: returns ``now``; ``advance(seconds)`` moves it."""

    def __init__(self, now=1700000000.0):
        self.now = float(now)
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            return self.now

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


class FakeFiles:
    """A read_file hook: a dict from path to bytes.

    Unknown paths raise FileNotFoundError; ``deny(path)`` makes a path raise
    PermissionError; ``reads`` records every path asked for.
    """

    def __init__(self, files=None):
        self.files = dict(files or {})
        self.denied = set()
        self.reads = []

    def __setitem__(self, path, data):
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def deny(self, path):
        self.denied.add(path)

    def __call__(self, path):
        self.reads.append(path)
        if path in self.denied:
            raise PermissionError(13, "Permission denied", path)
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(2, "No such file or directory", path) from None


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def files():
    return FakeFiles()


@pytest.fixture
def env():
    return {}


@pytest.fixture
def ctx(env, files, clock):
    return ossign.Context(environ=env, read_file=files, home_dir="/home/u", clock=clock, timeout=2.0)


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch):
    """No real credentials or proxies leak into a test."""
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "OSS_")) or name.lower() in (
            "http_proxy", "https_proxy", "all_proxy", "no_proxy",
        ):  # fmt: skip
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


Recorded = namedtuple("Recorded", "method path query headers body")


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 in a thread.

    ``routes`` maps ``(method, path)`` (path without query) to either a
    response ``(status, headers, body)`` or a callable ``(request, handler)``
    returning one, or ``None`` when it wrote the response itself.
    ``requests`` logs every request received.
    """

    def __init__(self):
        self.routes = {}
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                request = Recorded(self.command, self.path,
                                   urllib.parse.parse_qs(query, keep_blank_values=True),
                                   {k.lower(): v for k, v in self.headers.items()}, body)  # fmt: skip
                owner.requests.append(request)
                route = owner.routes.get((self.command, path), owner.routes.get((self.command, None)))
                if route is None:
                    route = (404, {"Content-Type": "text/plain"}, b"not found")
                if callable(route):
                    route = route(request, self)
                    if route is None:
                        return
                status, headers, data = route
                if isinstance(data, str):
                    data = data.encode("utf-8")
                elif not isinstance(data, bytes):
                    data = json.dumps(data).encode("utf-8")
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)  # fmt: skip

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def loopback():
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()


def free_port():
    """A port on 127.0.0.1 with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def static(key_id=KEY_ID, secret=SECRET, token=None):
    return ossign.StaticCredentialProvider(key_id, secret, token)


def assert_no_secret(text, *secrets):
    """None of SECRET, TOKEN, KEY_ID (or the given ones) appear in ``text``."""
    for secret in secrets or (SECRET, TOKEN, KEY_ID):
        assert secret not in text, "secret %r leaked in %r" % (secret[:6] + "...", text[:300])


# ==== Signing: official SDK vectors =========================================

VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]


def _vector_signer(v):
    kwargs = {"bucket": v["bucket"], "region": v["region"]}
    kwargs.update(v.get("signer") or {})
    provider = ossign.StaticCredentialProvider(v["access_key_id"], v["access_key_secret"], v["security_token"])
    return ossign.Signer(kwargs["bucket"], provider, region=kwargs["region"], version=v["version"],
                         product=v["product"], context=ossign.Context(clock=lambda: v["time"]))  # fmt: skip


def _auth_fields(value):
    """Authorization split so that V2/V4 compare field by field."""
    algorithm, _, rest = value.partition(" ")
    if algorithm == "OSS":
        return value
    return algorithm, sorted(part.strip() for part in rest.split(","))


@pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
def test_official_sdk_vector_signs_identically(v):
    signed = _vector_signer(v).sign(v["method"], v["url"], v["headers"], expires=v["expires"])
    expected = v["expected"]
    context = "%s: %s %s %r" % (v["id"], v["method"], v["url"], v["headers"])
    assert signed.method == v["method"].upper()
    if v["mode"] == "header":
        headers = {k.lower(): value for k, value in signed.headers.items()}
        assert _auth_fields(headers["authorization"]) == _auth_fields(expected["authorization"]), context
        for name, value in expected["headers"].items():
            assert headers[name] == value, context
        assert signed.url == v["url"]
    else:
        got = urllib.parse.parse_qsl(urllib.parse.urlsplit(signed.url).query, keep_blank_values=True)
        want = urllib.parse.parse_qsl(urllib.parse.urlsplit(expected["url"]).query, keep_blank_values=True)
        assert sorted(got) == sorted(want), context
        assert signed.url.startswith(v["url"]), "presigning only appends: " + context
        assert "+" not in signed.url[len(v["url"]):], "base64 must be percent-encoded: " + context
