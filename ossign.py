"""Sign Alibaba Cloud OSS requests: signature V1, V2 and V4, header or presigned URL.

ossign is one standard-library-only module for Python 3.9 and newer. It signs
OSS requests byte for byte as the official Alibaba Cloud SDKs do, finds
credentials wherever Alibaba Cloud users keep them (environment, profile files,
the CLI config, a credentials URI, ECS instance metadata, STS AssumeRole and
AssumeRoleWithOIDC), and caches them thread-safely::

    import ossign
    signer = ossign.Signer("my-bucket", region="cn-hangzhou")
    url = signer.presign("https://my-bucket.oss-cn-hangzhou.aliyuncs.com/a.txt")
    signed = signer.sign("GET", "https://my-bucket.oss-cn-hangzhou.aliyuncs.com/a.txt")
    # signed.headers holds Authorization, x-oss-date, ...

Every outside effect (clock, environment, files, HTTP, subprocesses) goes
through a :class:`Context`, so tests and applications can replace it.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import sys
import threading
import time
from collections import namedtuple

__version__ = "1.0.0"

__all__ = [
    "OssignError",
    "CredentialError",
    "SigningError",
    "CallbackError",
    "Credentials",
    "Context",
    "StaticCredentialProvider",
    "EnvCredentialProvider",
    "OssProfileCredentialProvider",
    "CredentialsFileCredentialProvider",
    "ConfigFileCredentialProvider",
    "CredentialsUriCredentialProvider",
    "EcsRamRoleCredentialProvider",
    "AssumeRoleCredentialProvider",
    "AssumeRoleWithOidcCredentialProvider",
    "ProcessCredentialProvider",
    "ChainCredentialProvider",
    "DefaultCredentialProvider",
    "CredentialCache",
    "Signer",
    "SignedRequest",
    "SigningDetails",
    "SigningHandler",
    "object_url",
    "diagnose",
    "callback",
    "verify_callback",
    "main",
]

TYPE_CHECKING = False  # typing costs ~10 ms at import; annotations are strings
if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime, timedelta  # imported where used: ~1.5 ms at import
    from typing import Any, Callable, Iterable, Mapping, Optional, Union


def _logger():
    """Return the "ossign" logger, importing :mod:`logging` on first use.

    The name is a literal because ``__name__`` is ``__main__`` when the module
    runs as a script. The signing path never logs.
    """
    import logging

    return logging.getLogger("ossign")


# ==== Constants and tables ==================================================

# One constant per environment variable: a typo in a name is a NameError.
ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_OSS_ACCESS_KEY_ID = "OSS_ACCESS_KEY_ID"
ENV_OSS_ACCESS_KEY_SECRET = "OSS_ACCESS_KEY_SECRET"
ENV_OSS_SESSION_TOKEN = "OSS_SESSION_TOKEN"
ENV_OSS_PROFILES_FILE = "OSS_CREDENTIAL_PROFILES_FILE"
ENV_OSS_PROFILE = "OSS_PROFILE"
ENV_CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE"
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"
ENV_CONFIG_FILE = "ALIBABA_CLOUD_CONFIG_FILE"
ENV_CLI_PROFILE_DISABLED = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED"
ENV_CREDENTIALS_URI = "ALIBABA_CLOUD_CREDENTIALS_URI"
ENV_ECS_ROLE_NAME = "ALIBABA_CLOUD_ECS_METADATA"
ENV_ECS_METADATA_DISABLED = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
ENV_IMDSV1_DISABLED = "ALIBABA_CLOUD_IMDSV1_DISABLED"
ENV_ECS_ENDPOINT = "ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT"
ENV_ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN"
ENV_ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
ENV_EXTERNAL_ID = "ALIBABA_CLOUD_EXTERNAL_ID"
ENV_STS_ENDPOINT = "ALIBABA_CLOUD_STS_ENDPOINT"
ENV_STS_REGION = "ALIBABA_CLOUD_STS_REGION"
ENV_VPC_ENDPOINT_ENABLED = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"
ENV_OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
ENV_OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"

#: Every environment variable ossign reads, with what it means (``--help`` lists them).
ENVIRONMENT_VARIABLES = (
    (ENV_ACCESS_KEY_ID, "access key id (with the secret)"),
    (ENV_ACCESS_KEY_SECRET, "access key secret"),
    (ENV_SECURITY_TOKEN, "STS security token"),
    (ENV_OSS_ACCESS_KEY_ID, "alias of the access key id"),
    (ENV_OSS_ACCESS_KEY_SECRET, "alias of the access key secret"),
    (ENV_OSS_SESSION_TOKEN, "alias of the security token"),
    (ENV_OSS_PROFILES_FILE, "path of the OSS profile file (~/.oss/credentials)"),
    (ENV_OSS_PROFILE, "profile in the OSS profile file"),
    (ENV_CREDENTIALS_FILE, "path of credentials.ini"),
    (ENV_PROFILE, "profile in credentials.ini and config.json"),
    (ENV_CONFIG_FILE, "path of the CLI's config.json"),
    (ENV_CLI_PROFILE_DISABLED, "true: ignore config.json"),
    (ENV_CREDENTIALS_URI, "URL that serves credentials as JSON"),
    (ENV_ECS_ROLE_NAME, "ECS RAM role name (else discovered)"),
    (ENV_ECS_METADATA_DISABLED, "true: never ask the ECS metadata service"),
    (ENV_IMDSV1_DISABLED, "true: require an IMDSv2 token"),
    (ENV_ECS_ENDPOINT, "metadata service URL (default http://100.100.100.200)"),
    (ENV_ROLE_ARN, "role to assume (AssumeRole, OIDC)"),
    (ENV_ROLE_SESSION_NAME, "STS session name"),
    (ENV_EXTERNAL_ID, "AssumeRole external id"),
    (ENV_STS_ENDPOINT, "STS endpoint (default https://sts.aliyuncs.com)"),
    (ENV_STS_REGION, "regional STS endpoint sts.<region>.aliyuncs.com"),
    (ENV_VPC_ENDPOINT_ENABLED, "true: use sts-vpc.<region>.aliyuncs.com"),
    (ENV_OIDC_PROVIDER_ARN, "OIDC provider ARN (ACK RRSA)"),
    (ENV_OIDC_TOKEN_FILE, "OIDC token file (ACK RRSA)"),
)

_OSS_PROFILE_PATH = ".oss/credentials"  #: relative to the home directory
_CREDENTIALS_INI_PATHS = (".alibabacloud/credentials.ini", ".aliyun/credentials.ini")
_CLI_CONFIG_PATH = ".aliyun/config.json"

_ECS_ENDPOINT = "http://100.100.100.200"
_ECS_HOST = "100.100.100.200"
_ECS_TOKEN_TTL = "21600"  #: seconds an IMDSv2 token lives (the maximum)
_STS_ENDPOINT = "https://sts.aliyuncs.com"
_STS_VERSION = "2015-04-01"

#: Seconds per provider HTTP call: between the official library's 1 s metadata
#: and 5 s STS timeouts; a host without metadata service must not stall a cold start.
_DEFAULT_TIMEOUT = 3.0
_DEFAULT_PROCESS_TIMEOUT = 10.0  #: seconds an external credential command may run
_MAX_READ = 1 << 20  #: most bytes read from a file or an HTTP response (credentials are small)

_ADVISORY_REFRESH = 600  #: seconds before expiry: one caller refreshes
_MANDATORY_REFRESH = 120  #: seconds before expiry: every caller waits
_FORM_TYPE = "application/x-www-form-urlencoded"
_ADVISORY_RETRY = 30.0  #: seconds between failed advisory refreshes
_BACKOFF_BASE = 1.0  #: seconds after a first failed mandatory refresh (doubles)
_BACKOFF_MAX = 60.0  #: most seconds between failed refreshes, Retry-After too
_WAIT_TIMEOUTS = 4  #: a waiter waits this many context timeouts for a refresh
_HEADER_HEADROOM = 10  #: credentials must outlive a header signature by this
_DEFAULT_EXPIRES = 3600  #: seconds a presigned URL or POST policy lives by default
_EXPIRY_MARGIN = 60  #: a default expiry cut short by the credentials ends this much before (a request in flight)

_V4_MAX_EXPIRES = 604800  #: 7 days, the V4 presign limit
_V1_MAX_EXPIRES = 365 * 86400  #: V1/V2: OSS sets no limit; a typo must not make a URL that never ends
_V4_ALGORITHM = "OSS4-HMAC-SHA256"
_V4_TERMINATOR = "aliyun_v4_request"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

#: V1/V2 sub-resources: the union of oss2 2.19.1 ``oss2/auth.py``
#: ``_subresource_key_set``, alibabacloud-oss-v2 1.4.1 ``signer/v1.py``
#: ``requiredSignedParametersMap`` and reqsign-aliyun-oss ``constants.rs``
#: ``SUBRESOURCES`` (itself from the Go SDK). Names are case-sensitive.
_SUBRESOURCES = frozenset(
    """
    accessPoint accessPointPolicy acl append asyncFetch bucketArchiveDirectRead bucketInfo callback callback-var
    cloudboxes cname comp continuation-token cors delete encryption endTime group httpsConfig img inventory
    inventoryId lifecycle link live location logging metaQuery objectInfo objectMeta partNumber policy position
    publicAccessBlock qos qosInfo qosRequester redundancyTransition referer regionList replication
    replicationLocation replicationProgress requesterQosInfo requestPayment resourceGroup resourcePool
    resourcePoolBuckets resourcePoolInfo response-cache-control response-content-disposition
    response-content-encoding response-content-language response-content-type response-expires restore
    security-token sequential startTime stat status style styleName symlink tagging transferAcceleration udf
    udfApplication udfApplicationLog udfId udfImage udfImageDesc udfName uploadId uploads versionId versioning
    versions vod website withHashContext worm wormExtend wormId x-oss-ac-forward-allow x-oss-ac-source-ip
    x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-access-point-name x-oss-async-process x-oss-enable-md5
    x-oss-enable-sha1 x-oss-enable-sha256 x-oss-hash-ctx x-oss-md5-ctx x-oss-process
    x-oss-redundancy-transition-taskid x-oss-request-payer x-oss-target-redundancy-type x-oss-traffic-limit
    x-oss-write-get-object-response
    """.split()
)

#: Query parameters each version's presigning owns: removed from a URL signed
#: again (the official SDKs replace them).
_AUTH_PARAMS = {
    "v1": frozenset("OSSAccessKeyId Expires Signature security-token".split()),
    "v2": frozenset("x-oss-signature-version x-oss-expires x-oss-access-key-id x-oss-additional-headers "
                    "x-oss-signature security-token".split()),
    "v4": frozenset("x-oss-signature-version x-oss-credential x-oss-date x-oss-expires x-oss-additional-headers "
                    "x-oss-security-token x-oss-signature".split()),
}  # fmt: skip

#: Headers the signer sets in header mode, replacing a caller's value. V1
#: and V2 keep a caller's x-oss-date and sign it (SPEC.md §11 row 16).
_SIGNER_HEADERS = {
    "v1": frozenset(("date", "x-oss-security-token", "authorization")),
    "v2": frozenset(("date", "x-oss-security-token", "authorization")),
    "v4": frozenset(("x-oss-date", "x-oss-content-sha256", "x-oss-security-token", "authorization")),
}
_CONTENT_SHA256 = frozenset(("x-oss-content-sha256",))
#: Headers never listed as additional: each version signs them anyway.
_NOT_ADDITIONAL = frozenset(("content-type", "content-md5", "date", "authorization"))
#: V2 header signing's default additional headers (oss2 ``AuthV2``).
_V2_DEFAULT_ADDITIONAL = ("if-modified-since", "range")
_VERSIONS = ("v1", "v2", "v4")
_PRODUCTS = ("oss", "oss-cloudbox", "oss-vectors", "oss-tables")
#: Products whose requests name an account (SPEC.md §10; the v2 SDKs'
#: vectors_v4 and tables_v4 signers): V4 scope product, host service label,
#: canonical URI head with and without a bucket (U/(head + "/" + key) is the
#: canonical URI), name for messages, longest bucket name (OSS's
#: PutVectorBucket and CreateTableBucket pages; the SDKs check 3-63) and the
#: bucket name prefixes OSS reserves.
_ArnProduct = namedtuple("_ArnProduct", "scope label with_bucket without_bucket title max_bucket reserved")
_ARN_PRODUCTS = {
    "oss-vectors": _ArnProduct("oss", "oss-vectors", "/acs:ossvector:{region}:{account}:{bucket}",
                               "/acs:ossvector:{region}::", "OSS Vectors", 32, ()),
    "oss-tables": _ArnProduct("osstables", "oss-tables", "/acs:osstables:{region}:{account}:bucket/{bucket}",
                              "/acs:osstables:{region}::bucket/", "OSS Tables", 32,
                              ("oss", "acs", "aliyun", "alibaba", "aws")),
}

#: SPEC.md §10, the OSS host families, read in order by ``_infer_host``. The
#: last label under ``aliyuncs.com`` (``oss-cn-hangzhou`` in
#: ``b.oss-cn-hangzhou.aliyuncs.com``) is ``head``, then nothing (``middle``
#: ""), a region id ("R") or anything ("*"), then ``tail``. ``before``: the
#: labels before it, none (""), a region id ("R", dual-stack) or a ``cb-``
#: CloudBox id and a region ("cb.R"); an optional bucket label may precede
#: them. ``region`` comes from: "" nowhere (V4 needs region=), "middle",
#: "before" (the region label) or "cb" (the CloudBox id stands in for it).
#: ``status``: "ok" signs; "arn" goes to ``_infer_arn_host`` (Vectors, Tables:
#: ``[<bucket>-<account-id>.]<region>[-internal].`` before the label); "bad"
#: is a SigningError; "none" a host ossign does not know (a SigningError
#: unless the Signer gives bucket and region), as are more labels or a host
#: no row reads. The finance public-access hosts give no region: their
#: label's middle is not the region id.
_HostFamily = namedtuple("_HostFamily", "head middle tail before region product name status")
_HOST_FAMILIES = tuple(_HostFamily(*row) for row in (
    # head                      mid  tail             before  region    product         name                   status
    ("oss-cloudbox",            "",  "",              "cb.R", "cb",     "oss-cloudbox", "CloudBox",            "ok"),
    ("oss-cloudbox-control",    "",  "",              "cb.R", "cb",     "oss-cloudbox", "CloudBox control",    "ok"),
    ("oss-vectors",             "",  "",              "",     "",       "oss-vectors",  "OSS Vectors",         "arn"),
    ("oss-tables",              "",  "",              "",     "",       "oss-tables",   "OSS Tables",          "arn"),
    ("oss-accelerate",          "",  "",              "",     "",       "oss",          "global accelerate",   "ok"),
    ("oss-accelerate-overseas", "",  "",              "",     "",       "oss",          "overseas accelerate", "ok"),
    ("oss",                     "",  "",              "R",    "before", "oss",          "dual-stack",          "ok"),
    ("oss",                     "",  "",              "",     "",       "oss",          "legacy default",      "ok"),
    ("oss-internal",            "",  "",              "",     "",       "oss",          "legacy internal",     "ok"),
    ("oss-cn-hzfinance",        "",  "",              "",     "",       "oss",          "Hangzhou finance",    "ok"),
    ("oss-cn-hzfinance",        "",  "-internal",     "",     "",       "oss",          "Hangzhou finance",    "ok"),
    ("oss-cn-szfinance",        "",  "",              "",     "",       "oss",          "Shenzhen finance",    "ok"),
    ("oss-cn-szfinance",        "",  "-internal",     "",     "",       "oss",          "Shenzhen finance",    "ok"),
    ("oss-",                    "R", "-pub",          "",     "",       "oss",          "finance public",      "ok"),
    ("oss-",                    "R", "-pub-internal", "",     "",       "oss",          "finance public",      "ok"),
    # Labels of the families above with something after them (a typo, a
    # product to come) are not a region: never read as oss-<region>.
    ("oss-accelerate",          "*", "",              "",     "",       "",             "unknown",             "none"),
    ("oss-cloudbox",            "*", "",              "",     "",       "",             "unknown",             "none"),
    ("oss-vectors",             "*", "",              "",     "",       "",             "unknown",             "bad"),
    ("oss-tables",              "*", "",              "",     "",       "",             "unknown",             "bad"),
    ("oss-internal",            "*", "",              "",     "",       "",             "unknown",             "none"),
    ("oss-",                    "R", "-internal",     "",     "middle", "oss",          "internal",            "ok"),
    ("oss-",                    "R", "",              "",     "middle", "oss",          "public",              "ok"),
))  # fmt: skip
#: What ``_infer_host`` says of a host under aliyuncs.com no row reads.
_UNKNOWN_HOST = _HostFamily("", "*", "", "", "", "", "unknown", "none")

# Percent-encoding: RFC 3986 unreserved characters stay, every other byte is
# %XX with upper-case hex digits (as OSS and the SDKs write it).
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_QUOTE_BYTE = tuple(chr(b) if chr(b) in _UNRESERVED else "%%%02X" % b for b in range(256))
_QUOTE_BYTE_SLASH = tuple("/" if b == 0x2F else q for b, q in enumerate(_QUOTE_BYTE))
# As bytes for bytes.translate(None, delete): what survives needs encoding
# (one C call, where a set test walks the string).
_UNRESERVED_BYTES = "".join(sorted(_UNRESERVED)).encode("ascii")
_UNRESERVED_SLASH_BYTES = _UNRESERVED_BYTES + b"/"
_HEX = frozenset("0123456789abcdefABCDEF")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TRUE = frozenset(("true", "1", "yes", "on"))


# ==== Errors ================================================================


class OssignError(Exception):
    """Base class of every error ossign raises."""


class CredentialError(OssignError):
    """A credential source is configured but broken, or no source has any.

    The message names the source (provider, file path or URL without query)
    and the reason, never a secret, a token or a full access key id.
    """

    _retry_after = None  # seconds a service asked us to wait (Retry-After)

    def __init__(self, message, source=None, attempts=()):
        # Positional args so that the exception pickles.
        super().__init__(message, source, tuple(attempts))

    def __str__(self):
        return str(self.args[0])

    @property
    def source(self):
        """The label of the source that failed, or ``None``."""
        return self.args[1]

    @property
    def attempts(self):
        """For a chain: ``(source, reason)`` for every source tried."""
        return self.args[2]


class _TransportError(CredentialError):
    """No HTTP answer at all (refused, unreachable, timed out)."""


class SigningError(OssignError, ValueError):
    """The request cannot be signed; the request is left unchanged."""


class CallbackError(OssignError):
    """:func:`verify_callback` could not prove a request is an OSS callback; the message says why."""


def _mask(key_id):
    """Show at most the last 4 characters of an access key id."""
    key_id = str(key_id or "")
    return "****" + key_id[-4:] if len(key_id) > 8 else "****"


def _cred_error(source, what, detail=None, cls=CredentialError):
    """Build the one error shape: ``"{source}: {what} ({detail})"``."""
    detail = " (%s)" % detail if detail else ""
    return cls("%s: %s%s" % (source, what, detail), source)


def _scrub(text, secrets):
    """``text`` with each secret (raw or percent-encoded once or twice) masked."""
    for secret in secrets:
        if secret:
            once = _quote(secret)
            for form in (secret, once, _quote(once)):
                text = text.replace(form, "****")
    return text


def _excerpt(body, limit=200):
    """A short printable excerpt of an error body, for messages."""
    if isinstance(body, bytes):
        body = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(str(body).split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:limit] + ("..." if len(text) > limit else "")


def _b64(data):
    """Base64 bytes (binascii: the base64 module imports re, ~15 ms)."""
    return binascii.b2a_base64(data, newline=False)


# ==== Pure helpers ==========================================================


def _http_date(now):
    """RFC 7231 IMF-fixdate, locale-independent: ``Tue, 14 Nov 2023 22:13:20 GMT``."""
    t = time.gmtime(now)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (_DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon], t.tm_year,
                                                    t.tm_hour, t.tm_min, t.tm_sec)  # fmt: skip


def _iso_basic(now):
    """V4 ``x-oss-date``: ``20231114T221320Z``."""
    t = time.gmtime(now)
    return "%04d%02d%02dT%02d%02d%02dZ" % t[:6]


def _iso_zulu(now):
    """RFC 3339 Zulu, as the RPC ``Timestamp``: ``2024-03-05T06:07:08Z``."""
    t = time.gmtime(now)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % t[:6]


_EXPIRATION_RE = None


def _parse_expiration(text, source):
    """An ``Expiration`` as the services send it -> aware UTC datetime:
    ``YYYY-MM-DDTHH:MM:SS``, a fraction of any length, ``Z`` or ``±HH:MM``
    (Python 3.9's ``fromisoformat`` rejects ``Z``)."""
    from datetime import datetime, timedelta, timezone

    global _EXPIRATION_RE
    if _EXPIRATION_RE is None:
        import re

        _EXPIRATION_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                                    r"(?:([Zz])|([+-])(\d\d):?(\d\d))", re.ASCII)  # not Arabic-Indic digits
    match = _EXPIRATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _cred_error(source, "unparseable Expiration %r" % _excerpt(text, 40))
    year, month, day, hour, minute, second, fraction, _, sign, oh, om = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         int((fraction or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)  # fmt: skip
        if sign:
            offset = timedelta(hours=int(oh), minutes=int(om))
            value = value - offset if sign == "+" else value + offset
    except (ValueError, OverflowError) as exc:
        raise _cred_error(source, "invalid Expiration %r" % text, exc) from exc
    return value


def _to_epoch(value, name="time"):
    """An aware datetime or epoch seconds, as float epoch seconds."""
    from datetime import datetime

    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("%s must be a timezone-aware datetime" % name)
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be an aware datetime or epoch seconds" % name)
    return float(value)


def _quote(text, table=_QUOTE_BYTE, safe=_UNRESERVED_BYTES):
    """``U(s)``: percent-encode every byte but the unreserved ones."""
    if text.isascii():
        unsafe = text.encode("ascii").translate(None, safe)
        if not unsafe:
            return text
        unsafe = set(unsafe)
        if len(unsafe) <= 4:
            # ASCII with few distinct reserved characters (a base64 token has
            # "+/="): one replace for each, "%" first, not a loop per byte.
            if 0x25 in unsafe:
                text = text.replace("%", "%25")
                unsafe.discard(0x25)
            for byte in unsafe:
                text = text.replace(chr(byte), table[byte])
            return text
    return "".join([table[b] for b in text.encode("utf-8")])


def _quote_base64(text):
    """:func:`_quote` for base64 text, whose only reserved characters are ``+/=``."""
    return text.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def _quote_path(text):
    """``U/(s)``: as :func:`_quote`, leaving ``/`` as is."""
    return _quote(text, _QUOTE_BYTE_SLASH, _UNRESERVED_SLASH_BYTES)


def _unquote(text, what="URL"):
    """``D(s)``: percent-decode once, strictly; ``+`` stays ``+``."""
    if "%" not in text:
        return text
    parts = text.split("%")
    out = bytearray(parts[0].encode("utf-8"))
    for part in parts[1:]:
        if len(part) < 2 or part[0] not in _HEX or part[1] not in _HEX:
            raise SigningError(
                "%s has an invalid percent escape %r" % (what, "%" + part[:2])
            )
        out.append(int(part[:2], 16))
        out += part[2:].encode("utf-8")
    # Raised outside the except block: the decode error's context holds the URL.
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = str(exc)
    raise SigningError("%s does not decode to UTF-8 (%s)" % (what, reason))


def _requote(text):
    """V2/V4 canonical form of a caller's query key or value.

    ``U(D(piece))`` for each piece between raw ``+`` signs, re-joined with
    ``+``: ``%2B`` stays ``%2B`` and a raw ``+`` stays ``+`` (as oss2 does).
    """
    if "%" not in text and text.isascii() and not text.encode("ascii").translate(None, _UNRESERVED_BYTES):
        return text
    return "+".join([_quote(_unquote(p, "query")) for p in text.split("+")])


def _split_query(query):
    """Raw query -> list of raw ``(key, value)``; empty items skipped."""
    pairs = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((key, value))
    return pairs


def _env(environ, name):
    """An environment variable, with ``""`` counted as unset."""
    return environ.get(name) or None


def _env_flag(environ, name):
    """A boolean environment flag: true, 1, yes, on (any case)."""
    value = environ.get(name)
    return bool(value) and value.strip().lower() in _TRUE


#: C0 controls but tab, and DEL: never valid in a header value or credential.
_CONTROL = frozenset([chr(c) for c in range(32) if c != 9] + ["\x7f"])


def _has_control(text):
    """True when ``text`` holds a control character other than tab."""
    return not text.isprintable() and not _CONTROL.isdisjoint(text)


def _header_value(name, value):
    """Check and normalise one header value for signing."""
    if not isinstance(value, str):
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise SigningError("header %r: value must be str, bytes or a number, got %s"
                               % (name, type(value).__name__))  # fmt: skip
    if "\n" in value or "\r" in value:
        raise SigningError("header %r: value contains a line break" % name)
    if _has_control(value):
        raise SigningError("header %r: value contains a control character" % name)
    if not value.isascii() and max(value) > "\xff":  # latin-1 is the code points up to 255
        raise SigningError("header %r: value is not latin-1; percent-encode it" % name)
    return value


def _check_header_name(name):
    """A header name -> lower case; printable ASCII without spaces or ``:``, as
    http.client requires (anything else could inject a header or split one)."""
    if not isinstance(name, str):  # a str subclass such as aiohttp's istr passes
        if not isinstance(name, bytes):
            raise SigningError("header names must be str, got %s" % type(name).__name__)
        name = name.decode("latin-1")
    if not name or not (name.isascii() and name.isprintable()) or " " in name or ":" in name:
        raise SigningError("header name %r is not a valid HTTP header name" % name)
    return name.lower()


def _lower_headers(headers, known):
    """§1.5: caller headers -> {lower-case name: trimmed value}, every name and
    value checked. ``known`` (the Signer's, bounded) maps names found valid to
    lower case. Values are checked on their joined text, a few C calls per
    request; only a request that fails is looked at header by header."""
    lowered = {}
    items = headers.items() if hasattr(headers, "items") else list(headers)
    for name, value in items:
        try:
            lname = known[name]
        except (KeyError, TypeError):
            lname = _check_header_name(name)
            if len(known) < 1024:
                known[name] = lname
        lowered[lname] = value
    try:
        text = "".join(lowered.values())
    except TypeError:  # a value that is not str: each is checked, in order
        for name, value in items:
            if value.__class__ is not str:
                lowered[_check_header_name(name)] = _header_value(name, value)
        text = "".join(lowered.values())
    if len(lowered) != len(items):  # two names that differ only in case
        seen = set()
        for name, _ in items:
            lname = _check_header_name(name)
            if lname in seen:
                raise SigningError("header %r is given twice (names are case-insensitive)" % lname)
            seen.add(lname)
    # isascii() is O(1); isprintable() is one C pass that finds line breaks,
    # NUL, ESC, DEL (and tabs, which the slow path then lets through).
    if not text.isascii() or not text.isprintable():
        for lname, value in lowered.items():
            lowered[lname] = _header_value(lname, value)
    if " " in text or "\t" in text:
        for lname, value in lowered.items():
            lowered[lname] = value.strip(" \t")
    return lowered


def _hmac_key(key, digest):
    """RFC 2104's inner and outer keyed hash states of ``key``: kept, they make
    an HMAC two copies and updates (11,500 instructions per V1 HMAC-SHA1
    against 19,900 for hmac.digest, callgrind)."""
    block = hashlib.new(digest).block_size
    if len(key) > block:
        key = hashlib.new(digest, key).digest()
    key = key.ljust(block, b"\0")
    return hashlib.new(digest, key.translate(hmac.trans_36)), hashlib.new(digest, key.translate(hmac.trans_5C))


def _hmac(pads, message):
    """HMAC of ``message`` (text) with the pads of :func:`_hmac_key`."""
    inner = pads[0].copy()
    inner.update(message.encode())
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.digest()


def _auth_key_id(value):
    """The access key id in an ``Authorization`` value of any version."""
    scheme, _, rest = str(value).partition(" ")
    if scheme == "OSS":
        return rest.rpartition(":")[0]
    if scheme == "OSS2":
        return rest.partition("AccessKeyId:")[2].partition(",")[0]
    if scheme == _V4_ALGORITHM:
        return rest.partition("Credential=")[2].partition("/")[0]
    return None


def _shown_secrets(request):
    """(access key id, security token) that a signed request carries."""
    key_id = token = None
    for name, value in request.headers.items():
        name = str(name).lower()
        if name == "x-oss-security-token":
            token = value
        elif name == "authorization":
            key_id = _auth_key_id(value)
    for key, value in _split_query(str(request.url).partition("?")[2]):
        try:
            value = _unquote(value)
        except SigningError:
            continue
        if key in ("security-token", "x-oss-security-token"):
            token = value
        elif key in ("OSSAccessKeyId", "x-oss-access-key-id"):
            key_id = value
        elif key == "x-oss-credential":
            key_id = value.partition("/")[0]
    return key_id, token


def _masked_repr(text, request):
    """``text`` with the token of ``request`` masked and its key id cut to the
    last 4 characters, raw and percent-encoded."""
    key_id, token = _shown_secrets(request)
    text = _scrub(text, (token,))
    if key_id:
        for form in (key_id, _quote(key_id)):
            text = text.replace(form, _mask(key_id))
    return text


# ==== Credentials ===========================================================


class Credentials:
    """An access key id, its secret, an optional STS token and expiration.

    Immutable, comparable and hashable. ``expiration`` is a timezone-aware UTC
    :class:`datetime.datetime`, or ``None`` for credentials that never expire.
    ``repr()`` and ``str()`` show at most the last 4 characters of the id and
    never the secret or the token.
    """

    __slots__ = ("access_key_id", "access_key_secret", "security_token", "expiration", "_expires_at")
    # Declared for type checkers: the slots are set once, in __init__.
    access_key_id: str
    access_key_secret: str
    security_token: Optional[str]
    expiration: Optional[datetime]
    _expires_at: Optional[float]

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: Optional[str] = None,
                 expiration: Optional[datetime] = None) -> None:
        if expiration is not None:
            from datetime import datetime, timezone

            if not isinstance(expiration, datetime) or expiration.tzinfo is None:
                raise TypeError("expiration must be a timezone-aware datetime or None")
            expiration = expiration.astimezone(timezone.utc)
        setter = object.__setattr__
        setter(self, "access_key_id", access_key_id)
        setter(self, "access_key_secret", access_key_secret)
        setter(self, "security_token", security_token or None)
        setter(self, "expiration", expiration)
        # Epoch seconds for the cache's and the signer's fast comparisons.
        setter(self, "_expires_at", None if expiration is None else expiration.timestamp())

    def __setattr__(self, name, value):
        raise AttributeError("Credentials are immutable")

    def __delattr__(self, name):
        raise AttributeError("Credentials are immutable")

    def _key(self):
        return (self.access_key_id, self.access_key_secret, self.security_token, self.expiration)

    def __eq__(self, other):
        if other.__class__ is not Credentials:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        return (Credentials, self._key())

    def __repr__(self):
        parts = ["access_key_id=%r" % _mask(self.access_key_id)]
        if self.security_token:
            parts.append("security_token='****'")
        if self.expiration is not None:
            parts.append("expiration=%s" % self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return "Credentials(%s)" % ", ".join(parts)

    __str__ = __repr__

    def is_valid(self, at: Union[datetime, float, None] = None) -> bool:
        """True when id and secret are set and the credentials outlive ``at``.

        ``at`` is an aware datetime or epoch seconds; the default is now.
        """
        if not self.access_key_id or not self.access_key_secret:
            return False
        if self._expires_at is None:
            return True
        return self._expires_at > (time.time() if at is None else _to_epoch(at, "at"))


# ==== Context and I/O =======================================================


class Context:
    """The hooks through which ossign touches the outside world, each one
    optional, ``None`` meaning the real thing (docs/credentials.md): ``opener``
    (``open(request, timeout=...)``), ``read_file(path) -> bytes``,
    ``environ``, ``home_dir`` (what ``~`` means), ``clock() -> float`` (epoch
    seconds; a given clock also times HTTP calls, so a fake one drives
    timeouts; the default times them with :func:`time.monotonic`), ``timeout``
    (seconds for each HTTP call, default 3) and ``run_command(argv, timeout)
    -> (returncode, stdout, stderr)``.
    """

    __slots__ = ("_opener", "_read_file", "_environ", "_home_dir", "clock", "timeout", "_run_command", "_monotonic")

    def __init__(self, *, opener: Any = None, read_file: Optional[Callable[[str], bytes]] = None,
                 environ: Optional[Mapping[str, str]] = None, home_dir: Optional[str] = None,
                 clock: Optional[Callable[[], float]] = None, timeout: Optional[float] = None,
                 run_command: Optional[Callable[..., Any]] = None) -> None:  # fmt: skip
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ValueError("timeout must be a positive number of seconds")
        self._opener = opener
        self._read_file = read_file
        self._environ = environ
        self._home_dir = home_dir
        self.clock = clock or time.time
        self._monotonic = clock or time.monotonic  # what HTTP deadlines are measured with
        self.timeout = float(timeout) if timeout is not None else _DEFAULT_TIMEOUT
        self._run_command = run_command

    def __repr__(self):
        hooks = [n.lstrip("_") for n in ("_opener", "_read_file", "_environ", "_home_dir", "_run_command")
                 if getattr(self, n) is not None]  # fmt: skip
        if self.clock is not time.time:
            hooks.append("clock")
        return "Context(custom=%s, timeout=%s)" % (hooks, self.timeout)

    @property
    def opener(self):
        """The opener used for HTTP; built on first use."""
        if self._opener is None:
            self._opener = _default_opener()
        return self._opener

    @property
    def read_file(self):
        """``callable(path) -> bytes``."""
        return self._read_file or _read_real_file

    @property
    def environ(self):
        """The environment mapping (the live :data:`os.environ` by default)."""
        return os.environ if self._environ is None else self._environ

    @property
    def home_dir(self):
        """The home directory, or ``None`` when there is none."""
        if self._home_dir is not None:
            return self._home_dir
        home = os.path.expanduser("~")
        return None if home == "~" else home

    @property
    def run_command(self):
        """``callable(argv, timeout) -> (returncode, stdout, stderr)``."""
        return self._run_command or _run_real_command


def _read_real_file(path):
    """At most ``_MAX_READ + 1`` bytes of a regular file (a huge file is an
    error, not a hang), opened without blocking: a FIFO would wait for a
    writer for ever, and a device never ends."""
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", path)
        return f.read(_MAX_READ + 1)


class _OutputTooLarge(Exception):
    """A command printed more than ``_MAX_READ`` bytes on the stream named."""


def _run_real_command(argv, timeout):
    """Run ``argv`` without a shell; kill its whole process group at the timeout
    or when it prints more than ``_MAX_READ`` bytes on stdout or stderr."""
    import signal
    import subprocess

    posix = os.name == "posix"
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=posix)  # fmt: skip
    try:
        if posix:
            out, err = _collect_output(proc, timeout)
        else:  # no select() on Windows pipes: read all, then check the size
            out, err = proc.communicate(timeout=timeout)
            for data, stream in ((out, "stdout"), (err, "stderr")):
                if len(data) > _MAX_READ:
                    raise _OutputTooLarge(stream)
    except BaseException:
        # The command's own children would keep the pipes open: kill the group.
        if posix:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        proc.kill()
        # A grandchild that left the group may still hold the pipes: close
        # them rather than read what is left.
        for pipe in (proc.stdout, proc.stderr):
            pipe.close()
        proc.wait()
        raise
    return proc.returncode, out, err


def _collect_output(proc, timeout):
    """stdout and stderr of ``proc``, each at most ``_MAX_READ`` bytes, read
    until both close and the process exits, all within ``timeout`` seconds."""
    import selectors
    import subprocess

    deadline = time.monotonic() + timeout
    streams = {proc.stdout.fileno(): ("stdout", bytearray()), proc.stderr.fileno(): ("stderr", bytearray())}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            for key, _ in selector.select(remaining):
                data = os.read(key.fd, 65536)
                name, output = streams[key.fd]
                output.extend(data)
                if not data:
                    selector.unregister(key.fd)
                elif len(output) > _MAX_READ:
                    raise _OutputTooLarge(name)
    proc.wait(max(deadline - time.monotonic(), 0.001))
    proc.stdout.close()
    proc.stderr.close()
    return tuple(bytes(output) for _, output in streams.values())


def _default_opener():
    """An opener for HTTP and HTTPS only (HTTP alone without :mod:`ssl`) that
    follows no redirect (one to another host or scheme could carry a token
    elsewhere: a 3xx comes back as its status). A request that ``_fetch``
    marks with a deadline has every read of its answer bounded by that one
    deadline (a per-read socket timeout lets a server that sends a byte every
    0.3 s hold a call for ever); one marked direct never goes through a proxy.
    """
    import functools
    import http.client
    import io
    import socket
    import urllib.request

    class _DeadlineReader(io.RawIOBase):
        # The socket's reads, each with what is left of the deadline as its timeout.
        def __init__(self, sock, raw, deadline):
            super().__init__()
            self._sock, self._raw, self._deadline = sock, raw, deadline

        def readable(self):
            return True

        def readinto(self, buffer):
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out")
            self._sock.settimeout(remaining)
            return self._raw.readinto(buffer)

        def close(self):
            self._raw.close()
            super().close()

    class _DeadlineResponse(http.client.HTTPResponse):
        def __init__(self, sock, *args, deadline, **kwargs):
            super().__init__(sock, *args, **kwargs)
            # The reads of the sock.makefile("rb") it made, through the deadline.
            self.fp = io.BufferedReader(_DeadlineReader(sock, self.fp.detach(), deadline))

    class _Deadlines:
        # Mixed into the HTTP(S) handlers: a request that _fetch marked with
        # a deadline connects, and reads its answer, within it.
        def do_open(self, http_class, req, **kwargs):
            deadline = getattr(req, "_ossign_deadline", None)

            def connect(host, **options):
                options["timeout"] = max(min(options.get("timeout") or 1e9, deadline - time.monotonic()), 0.001)
                conn = http_class(host, **options)
                conn.response_class = functools.partial(_DeadlineResponse, deadline=deadline)
                return conn

            return super().do_open(http_class if deadline is None else connect, req, **kwargs)

    class _HTTP(_Deadlines, urllib.request.HTTPHandler):
        pass

    class _Proxy(urllib.request.ProxyHandler):
        # Metadata requests (marked direct) and loopback ones never go through a proxy.
        def proxy_open(self, req, proxy, type):  # noqa: A002 (urllib's name)
            host = _hostname(req.host).lower()
            if getattr(req, "_ossign_direct", False) or host in (_ECS_HOST, "127.0.0.1", "localhost", "[::1]"):
                return None
            return super().proxy_open(req, proxy, type)

    handlers = [_Proxy(), _HTTP(), urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()]
    if hasattr(urllib.request, "HTTPSHandler"):  # missing when Python has no ssl

        class _HTTPS(_Deadlines, urllib.request.HTTPSHandler):
            pass

        handlers.append(_HTTPS())
    opener = urllib.request.OpenerDirector()
    for handler in handlers:
        opener.add_handler(handler)
    return opener


def _strip_query(url):
    """A URL without its query: STS and presigned URLs carry secrets there."""
    return url.split("?", 1)[0].split("#", 1)[0]


def _strip_userinfo(url):
    """``scheme://user:password@host/...`` -> ``scheme://****@host/...``."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if not sep or "@" not in netloc:
        return url
    return scheme + sep + "****@" + netloc.rpartition("@")[2] + slash + path


def _hostname(netloc):
    """The host of ``[userinfo@]host[:port]``; an IPv6 literal keeps its brackets."""
    host = netloc.rpartition("@")[2]
    return host[:host.find("]") + 1] if host.startswith("[") else host.split(":")[0]


def _require_https(url, source, what):
    """Credentials travel over https, except to loopback and link-local hosts
    and ``localhost`` (botocore's rule for container credentials)."""
    import ipaddress

    if url[:7].lower() != "http://":
        return
    host = _hostname(url[7:].split("/", 1)[0].split("?", 1)[0]).strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        address = None
    if address is None or not (address.is_loopback or address.is_link_local):
        raise _cred_error(source, "%s %s is plain http to a host that is not loopback or link-local; "
                          "use https" % (what, _strip_query(url)))  # fmt: skip


_RETRY_AFTER = threading.local()  #: Retry-After of this thread's last _fetch


def _fetch(ctx, method, url, source, headers=None, data=None, direct=False):
    """One HTTP call through ``ctx.opener`` -> ``(status, body)``, an HTTP
    error being a status and no answer a :class:`_TransportError`; at most
    ``_MAX_READ`` bytes of body, all within the context's timeout with the
    default opener. ``direct``: never through a proxy. Nothing is chained to
    the errors raised (an ``http.client`` error can quote the URL)."""
    import http.client
    import urllib.error
    import urllib.request

    safe_url = _strip_query(url)
    failed = "%s %s failed" % (method, safe_url)
    lowered = url[:8].lower()
    if not lowered.startswith(("http://", "https://")):
        # Credential services speak HTTP(S) only: never read a file: or ftp: URL.
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise _cred_error(source, "only http:// and https:// URLs are fetched, not %s:" % _excerpt(scheme, 16))
    if lowered.startswith("https://") and not hasattr(http.client, "HTTPSConnection"):  # no ssl module
        raise _cred_error(source, failed, "this Python has no ssl module, so https:// URLs cannot be fetched",
                          _TransportError)  # fmt: skip
    deadline = ctx._monotonic() + ctx.timeout
    _RETRY_AFTER.value = None
    _logger().debug("%s: %s %s", source, method, safe_url)
    failure = None
    try:
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        # Read by the default opener's handlers: sockets wait in real time.
        request._ossign_deadline = time.monotonic() + ctx.timeout
        request._ossign_direct = direct
        try:
            response = ctx.opener.open(request, timeout=ctx.timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        if response is None:  # an OpenerDirector with no handler for the scheme
            raise _cred_error(source, failed, "the opener returned no response", _TransportError)
        status = getattr(response, "status", None) or response.getcode()
        try:
            body = _read_bounded(response, ctx._monotonic, deadline, source, method, safe_url)
            if isinstance(status, int) and status >= 400:
                _RETRY_AFTER.value = _retry_after(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
    except CredentialError as exc:
        failure = exc
    except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError, timeouts, resets, bad URLs
        reason = getattr(exc, "reason", None) or exc
        # The reason may quote the URL (query and all) or a header value.
        text = _scrub(str(reason), [url.partition("?")[2]] + list((headers or {}).values()))
        if isinstance(exc, http.client.HTTPException) or isinstance(reason, http.client.HTTPException):
            text = type(reason).__name__  # BadStatusLine, InvalidURL, ...: their text quotes what they got
        failure = _cred_error(source, failed, "%s: %s" % (type(exc).__name__, _excerpt(text, 120)), _TransportError)
    if failure is not None:
        failure.__context__ = None  # nothing from the opener stays attached
        raise failure
    _logger().debug("%s: %s %s returned HTTP %s", source, method, safe_url, status)
    return status, body


def _retry_after(response):
    """A response's ``Retry-After`` in seconds (the delta form), or ``None``."""
    headers = getattr(response, "headers", None)
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    value = value.strip() if isinstance(value, str) else ""
    return float(value) if value.isdigit() and value.isascii() else None


def _read_bounded(response, monotonic, deadline, source, method, url):
    """At most ``_MAX_READ`` bytes of a response, in chunks while the deadline
    holds. A stand-in without ``read1`` is read once, with a size if its
    ``read`` takes one."""
    read1 = getattr(response, "read1", None)
    chunks, size = [], 0
    while True:
        if read1 is None:
            try:
                chunk = response.read(_MAX_READ + 1)
            except TypeError:
                chunk = response.read()
            chunk = bytes(chunk or b"")
        elif monotonic() > deadline:
            raise _cred_error(source, "%s %s timed out reading the response" % (method, url), cls=_TransportError)
        else:
            chunk = read1(65536)
        size += len(chunk)
        if size > _MAX_READ:
            raise _cred_error(source, "%s %s: response larger than %d bytes" % (method, url, _MAX_READ))
        if not chunk and read1 is not None:
            missing = getattr(response, "length", None)  # http.client's count of body bytes still due
            if isinstance(missing, int) and missing > 0:
                raise _cred_error(source, "%s %s failed" % (method, url),
                                  "IncompleteRead: the response ended %d bytes short" % missing, _TransportError)
        chunks.append(chunk)
        # The end: the stand-in's one read, an empty read, or a read1 that ignored its size.
        if read1 is None or not chunk or len(chunk) > 65536:
            return b"".join(chunks)


def _http_error(source, method, url, status, body):
    """A non-2xx answer as a CredentialError with a short excerpt of the body."""
    import json

    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    detail = "HTTP %s" % status
    if isinstance(data, dict) and (data.get("Code") or data.get("Message")):
        detail += ", Code=%s, Message=%s" % (_excerpt(data.get("Code", ""), 60),
                                             _excerpt(data.get("Message", ""), 160))  # fmt: skip
        if data.get("RequestId"):
            detail += ", RequestId=%s" % _excerpt(data["RequestId"], 60)
    elif body:
        detail += ": " + _excerpt(body)
    error = _cred_error(source, "%s %s returned %s" % (method, _strip_query(url), detail))
    error._retry_after = getattr(_RETRY_AFTER, "value", None)  # the cache backs off at least this long
    return error


def _json_object(body, source, what, noun="response"):
    """A JSON object from a service's body (or a file's), else a CredentialError."""
    import json

    # Errors are raised outside the except blocks: ``from None`` still keeps
    # ``__context__``, and a decode error holds the whole body (``.object``,
    # ``.doc``): credentials.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        raise _cred_error(source, "%s: %s is not UTF-8" % (what, noun))
    if not text.strip():
        raise _cred_error(source, "%s: empty %s" % (what, noun))
    line = None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", "?")
    if line is not None:
        kind = "HTML" if text.lstrip()[:1] == "<" else "not valid JSON"
        detail = None if noun == "response" else "line %s" % line
        raise _cred_error(source, "%s: %s is %s" % (what, noun, kind), detail)
    if not isinstance(data, dict):
        raise _cred_error(source, "%s: %s is a JSON %s, not an object"
                          % (what, noun, type(data).__name__))  # fmt: skip
    return data


def _read_text(ctx, path, source, required, warn_shared=True):
    """A UTF-8 file (a BOM dropped) read through ``ctx.read_file``; ``None``
    when it is missing and not ``required`` (a default path). Any other
    failure is a CredentialError naming the path."""
    try:
        data = ctx.read_file(path)
    except FileNotFoundError:
        if not required:
            return None
        raise _cred_error(source, "file %s does not exist" % path) from None
    except OSError as exc:
        raise _cred_error(source, "cannot read %s" % path, "%s: %s" % (type(exc).__name__,
                          exc.strerror or exc)) from exc  # fmt: skip
    if len(data) > _MAX_READ:
        raise _cred_error(source, "%s is larger than %d bytes" % (path, _MAX_READ))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None  # raised below: the error's context would hold the file
    if text is None:
        raise _cred_error(source, "%s is not UTF-8 text" % path)
    if "\x00" in text:
        raise _cred_error(source, "%s is binary, not text" % path)
    if ctx._read_file is None and warn_shared:
        _warn_if_shared(path, source)
    return text


def _warn_if_shared(path, source):
    """Log a warning when a credentials file is readable by group or others."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if os.name == "posix" and mode & 0o044:
        _logger().warning("%s: %s is readable by group or others (mode %o); chmod 600 it",
                          source, path, mode & 0o777)  # fmt: skip


def _refuse_if_others_can_write(path, source):
    """A file whose contents name a command to run must be the user's own (or
    root's) and writable by nobody else: otherwise another user could make
    this process run anything."""
    if os.name != "posix":
        return
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _cred_error(source, "cannot check %s" % path, exc.strerror) from None
    if info.st_mode & 0o022:
        raise _cred_error(source, "%s is writable by group or others (mode %o) and names a command to run; "
                          "chmod 600 it" % (path, info.st_mode & 0o777))  # fmt: skip
    if info.st_uid not in (os.getuid(), 0):
        raise _cred_error(source, "%s is owned by another user (uid %d) and names a command to run"
                          % (path, info.st_uid))  # fmt: skip


def _expand_home(ctx, path):
    """Expand a leading ``~`` with ``ctx.home_dir``; ``None`` without a home."""
    if path != "~" and not path.startswith(("~/", "~\\")):
        return path
    home = ctx.home_dir
    return home if home is None or path == "~" else os.path.join(home, path[2:])


def _home_path(ctx, relative):
    return _expand_home(ctx, "~/" + relative)


# ==== Credential providers ==================================================
#
# ``provide(context)`` returns Credentials, or ``None`` when the source is not
# configured here (no variable, no file at its default path, no role); a broken
# one raises CredentialError. Argument > environment variable > default. A
# provider's label (its DefaultCredentialProvider keyword) names it in errors.


class _Provider:
    """Shared label and repr. ``_shown``: attribute names, or ``(name, view)``
    with ``view(provider)`` a safe form (chains log reprs: never a secret)."""

    _source = "provider"
    _shown: tuple = ()

    def __repr__(self):
        parts = []
        for item in self._shown:
            name, view = item if isinstance(item, tuple) else (item, None)
            value = view(self) if view is not None else getattr(self, name, None)
            if value is not None:
                parts.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))


def _source_of(provider):
    return getattr(provider, "_source", None) or type(provider).__name__


class StaticCredentialProvider(_Provider):
    """Credentials given in code; they never expire."""

    _source = "static"
    _shown = (("access_key_id", lambda p: _mask(p._credentials.access_key_id)),)

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: Optional[str] = None) -> None:
        self._credentials = Credentials(access_key_id, access_key_secret, security_token)

    def provide(self, context: Optional[Context] = None) -> Credentials:
        """Return the given credentials; empty id or secret is a CredentialError."""
        creds = self._credentials
        if not creds.access_key_id or not creds.access_key_secret:
            raise _cred_error(self._source, "access key id and secret must both be non-empty")
        _refuse_control(self._source, creds)
        return creds


def _refuse_control(source, creds):
    # A control character would split a header or be cut short: refused without saying more.
    for name, value in (("access key id", creds.access_key_id), ("access key secret", creds.access_key_secret),
                        ("security token", creds.security_token)):  # fmt: skip
        if isinstance(value, str) and _has_control(value):
            raise _cred_error(source, "%s contains a control character" % name)


def _make_credentials(source, access_key_id, secret, token=None, expiration=None, now=None):
    """Credentials from a source's fields, each checked to be a non-empty string."""
    for name, value in (("access key id", access_key_id), ("access key secret", secret)):
        if not isinstance(value, str) or not value.strip():
            raise _cred_error(source, "%s is missing or not a string" % name)
    if token is not None and not isinstance(token, str):
        raise _cred_error(source, "security token is not a string")
    creds = Credentials(access_key_id.strip(), secret.strip(), token.strip() if token else None, expiration)
    _refuse_control(source, creds)
    if expiration is not None and now is not None and expiration.timestamp() <= now:
        raise _cred_error(source, "credentials already expired at %s" % expiration.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return creds


class EnvCredentialProvider(_Provider):
    """Credentials from ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN``, else
    ``OSS_ACCESS_KEY_ID``/``_SECRET``/``OSS_SESSION_TOKEN`` (never mixed); a half-set
    pair is a CredentialError naming the missing variable (a deployment mistake)."""

    _source = "env"
    _FAMILIES = (
        (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN),
        (ENV_OSS_ACCESS_KEY_ID, ENV_OSS_ACCESS_KEY_SECRET, ENV_OSS_SESSION_TOKEN),
    )

    def provide(self, context: Context) -> Optional[Credentials]:
        """Return credentials from the environment, or ``None`` when none are set."""
        environ = context.environ
        for id_name, secret_name, token_name in self._FAMILIES:
            key_id, secret = _env(environ, id_name), _env(environ, secret_name)
            if key_id and secret:
                return _make_credentials(self._source, key_id, secret, _env(environ, token_name))
        for id_name, secret_name, _ in self._FAMILIES:
            if _env(environ, id_name) or _env(environ, secret_name):
                missing = secret_name if _env(environ, id_name) else id_name
                raise _cred_error(self._source, "%s is not set (its pair is)" % missing)
        return None


# ---- Profile files: pure parsers -------------------------------------------
#
# Text -> ``(profiles, current)``: name -> fields (lower-case keys; ``None``:
# disabled), and the profile the file itself selects, if any.


def _parse_ini(text, path, source):
    """INI text -> (sections, None). No interpolation (a secret may hold
    ``%``), no DEFAULT merged into others, inline comments after white space."""
    import configparser

    parser = configparser.RawConfigParser(strict=False, default_section="\x00ossign-no-default",
                                          inline_comment_prefixes=("#", ";"), interpolation=None)  # fmt: skip
    reason = None
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        reason = str(exc).splitlines()[0]  # later lines quote the file's lines
    if reason is not None:  # raised here: the parser's error (its context) holds lines of the file
        raise _cred_error(source, "%s is not a valid INI file" % path, _excerpt(reason, 120))
    return {name: {k.lower(): v.strip() for k, v in parser.items(name)} for name in parser.sections()}, None


def _parse_credentials_ini(text, path, source):
    """``credentials.ini`` -> (profiles, None); ``enable = false`` disables one."""
    sections = _parse_ini(text, path, source)[0]
    return {name: fields if fields.get("enable", "true").lower() in _TRUE else None
            for name, fields in sections.items()}, None  # fmt: skip


def _parse_cli_config(text, path, source):
    """The CLI's ``config.json`` -> (profiles, current). Only the file's shape
    is checked: a broken profile nobody asks for must not break the others."""
    config = _json_object(text.encode("utf-8"), source, path, "file")
    entries = config.get("profiles", [])
    if not isinstance(entries, list):
        raise _cred_error(source, "%s: profiles is not a list" % path)
    profiles = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            profiles.setdefault(entry["name"], {str(k).lower(): v for k, v in entry.items()})
    current = config.get("current")
    return profiles, current if isinstance(current, str) and current else None


def _first_key(section, names):
    return next((section[name] for name in names if section.get(name)), None)


class _FileProvider(_Provider):
    """A profile in a file. One rule for a missing profile in all three files:
    a profile asked for (argument, environment, the file's ``current``), or in
    a file given explicitly, that no file read has is a CredentialError; else
    the source is not configured. A disabled profile is not configured."""

    _shown = ("path", "profile")
    _ENV_PATH = _ENV_PROFILE = ""
    _DEFAULT_PATHS: tuple = ()
    _parse: Callable[[str, str, str], Any]
    _resolve: Callable[..., Credentials]  # (ctx, path, profiles, name)

    def __init__(self, path: Optional[str] = None, profile: Optional[str] = None) -> None:
        self.path = path
        self.profile = profile

    def provide(self, context: Context) -> Optional[Credentials]:
        """Return the profile's credentials, or ``None`` when not configured."""
        creds, searched, missing = self._find(context)
        if missing:
            raise _cred_error(self._source, "profile %r not found in %s" % (missing, " or ".join(searched)))
        return creds

    def _find(self, context):
        """-> (credentials or None, the files read, the profile that had to be
        there and is not); ``_NamedProfile`` asks each file this."""
        source, environ = self._source, context.environ
        given = self.path or _env(environ, self._ENV_PATH)
        paths = [_expand_home(context, given)] if given else [_home_path(context, d) for d in self._DEFAULT_PATHS]
        named = self.profile or _env(environ, self._ENV_PROFILE)
        searched, disabled, name = [], False, named or "default"
        for path in filter(None, paths):  # None: no home directory
            text = _read_text(context, path, source, bool(given))
            if text is None:
                continue
            searched.append(path)
            profiles, current = self._parse(text, path, source)
            name = named or current or "default"
            if profiles.get(name) is not None:
                return self._resolve(context, path, profiles, name), searched, None
            disabled = disabled or name in profiles
            named = named or current
        asked = searched and (named or given) and not disabled
        return None, searched, name if asked else None


class OssProfileCredentialProvider(_FileProvider):
    """Credentials from ``~/.oss/credentials`` (INI); ``OSS_CREDENTIAL_PROFILES_FILE``, ``OSS_PROFILE``."""

    _source = "oss_profile"
    _ENV_PATH, _ENV_PROFILE, _DEFAULT_PATHS = ENV_OSS_PROFILES_FILE, ENV_OSS_PROFILE, (_OSS_PROFILE_PATH,)
    _parse = staticmethod(_parse_ini)
    _ID_KEYS = ("access_key_id", "accesskeyid")
    _SECRET_KEYS = ("access_key_secret", "accesskeysecret")
    _TOKEN_KEYS = ("session_token", "security_token", "sts_token", "token")

    def _resolve(self, ctx, path, profiles, name):
        section = profiles[name]
        key_id, secret = _first_key(section, self._ID_KEYS), _first_key(section, self._SECRET_KEYS)
        if not key_id or not secret:
            missing = "access key id" if not key_id else "secret"
            raise _cred_error(self._source, "%s [%s] has no %s" % (path, name, missing))
        return _make_credentials(self._source, key_id, secret, _first_key(section, self._TOKEN_KEYS))


class CredentialsFileCredentialProvider(_FileProvider):
    """Credentials from ``credentials.ini`` (``~/.alibabacloud/``, then ``~/.aliyun/``);
    ``ALIBABA_CLOUD_CREDENTIALS_FILE``, ``ALIBABA_CLOUD_PROFILE``. Types ``access_key``, ``sts_token``,
    ``ram_role_arn``, ``oidc_role_arn``, ``ecs_ram_role``; ``enable = false`` skips a profile."""

    _source = "credentials_file"
    _ENV_PATH, _ENV_PROFILE, _DEFAULT_PATHS = ENV_CREDENTIALS_FILE, ENV_PROFILE, _CREDENTIALS_INI_PATHS
    _parse = staticmethod(_parse_credentials_ini)

    def _resolve(self, ctx, path, profiles, name):
        return _from_profile(ctx, self._source, path, "%s [%s]" % (path, name), profiles[name], _INI)


class ConfigFileCredentialProvider(_FileProvider):
    """Credentials from the Alibaba Cloud CLI's ``~/.aliyun/config.json`` (never written); the
    profile is the argument, else ``ALIBABA_CLOUD_PROFILE``, else the file's ``current``, else
    ``default``. Modes ``AK``, ``StsToken``, ``RamRoleArn``, ``ChainableRamRoleArn``,
    ``EcsRamRole``, ``OIDC``, ``External``, ``CloudSSO``, ``OAuth``."""

    _source = "config_file"
    _ENV_PATH, _ENV_PROFILE, _DEFAULT_PATHS = ENV_CONFIG_FILE, ENV_PROFILE, (_CLI_CONFIG_PATH,)
    _parse = staticmethod(_parse_cli_config)

    def _find(self, context):
        if _env_flag(context.environ, ENV_CLI_PROFILE_DISABLED):
            return None, [], None  # this source is turned off
        return super()._find(context)

    def _resolve(self, ctx, path, profiles, name, seen=()):
        source = self._source
        if name in seen:
            raise _cred_error(source, "%s: source_profile cycle (%s)" % (path, " -> ".join(seen + (name,))))
        fields = profiles.get(name)
        if fields is None:
            raise _cred_error(source, "profile %r not found in %s" % (name, path))
        where = "%s profile %r" % (path, name)
        for key, value in fields.items():
            if value is not None and not isinstance(value, (str, int, bool)):
                raise _cred_error(source, "%s: %s must be a string" % (where, key))

        def parent(parent_name):
            return self._resolve(ctx, path, profiles, str(parent_name), seen + (name,))

        return _from_profile(ctx, source, path, where, fields, _JSON, parent)


# ---- Profile modes: one table for config.json and credentials.ini ---------


# What each file calls the same field (config.json as the CLI writes it).
# ``column``: the file's column in _PROFILE_MODES; ``noun``: the field that names the mode.
_ProfileKeys = namedtuple("_ProfileKeys", "column noun default tokens role_arn session oidc_session duration "
                          "token_file ecs_role")  # fmt: skip
_JSON = _ProfileKeys(1, "mode", "AK", ("sts_token", "security_token"), "ram_role_arn", "ram_session_name",
                     "role_session_name", "expired_seconds", "oidc_token_file", "ram_role_name")  # fmt: skip
_INI = _ProfileKeys(2, "type", "access_key", ("security_token", "sts_token"), "role_arn", "role_session_name",
                    "role_session_name", "duration_seconds", "oidc_token_file_path", "role_name")  # fmt: skip


# One profile being resolved: what every mode handler is given. ``parent(name)``
# resolves another profile of the same file (ChainableRamRoleArn).
_Profile = namedtuple("_Profile", "ctx source path where fields keys parent mode")


def _from_profile(ctx, source, path, where, fields, keys, parent=None):
    """Resolve one profile through the mode table."""
    wanted = str(fields.get(keys.noun) or keys.default)
    for row in _PROFILE_MODES:
        if wanted.lower() in (name.lower() for name in row[keys.column]):
            return row[0](_Profile(ctx, source, path, where, fields, keys, parent, wanted))
    supported = ", ".join(row[keys.column][0] for row in _PROFILE_MODES if row[keys.column])
    raise _cred_error(source, "%s: unsupported %s %r (supported: %s)" % (where, keys.noun, wanted, supported))


def _static_mode(p, token=None):
    key_id, secret = p.fields.get("access_key_id"), p.fields.get("access_key_secret")
    if not key_id or not secret:
        missing = "access_key_id" if not key_id else "access_key_secret"
        raise _cred_error(p.source, "%s has no %s" % (p.where, missing))
    return _make_credentials(p.source, key_id, secret, token)


def _sts_mode(p):
    token = _first_key(p.fields, p.keys.tokens)
    if not token:
        raise _cred_error(p.source, "%s: %s %s needs sts_token" % (p.where, p.keys.noun, p.mode))
    return _static_mode(p, token)


def _role_mode(p):
    return _assume_role_from(p, _static_mode(p))


def _chained_role_mode(p):
    name = p.fields.get("source_profile")
    if not name:
        raise _cred_error(p.source, "%s: mode %s needs source_profile" % (p.where, p.mode))
    return _assume_role_from(p, p.parent(name))


def _sts_from_profile(p, cls, session_key, **arguments):
    """Call the STS provider ``cls`` with the options every STS mode passes on.
    ``ALIBABA_CLOUD_STS_ENDPOINT`` beats ``sts_region``: the environment beats files."""
    fields, duration, vpc = p.fields, p.fields.get(p.keys.duration), p.fields.get("enable_vpc")
    try:
        if isinstance(duration, str) and not duration.isascii():
            raise ValueError("not ASCII digits")
        duration = None if duration in (None, "") else int(duration)
    except (TypeError, ValueError):
        raise _cred_error(p.source, "%s: %s must be a whole number of seconds" % (p.where, p.keys.duration)) from None
    if vpc is not None and not isinstance(vpc, bool):
        vpc = str(vpc).strip().lower() in _TRUE if vpc != "" else None
    try:
        region = None if _env(p.ctx.environ, ENV_STS_ENDPOINT) else fields.get("sts_region") or None
        provider = cls(role_session_name=fields.get(session_key) or None, duration_seconds=duration,
                       policy=fields.get("policy") or None, sts_region=region, enable_vpc=vpc, **arguments)
    except ValueError as exc:
        raise _cred_error(p.source, "%s: %s" % (p.where, exc)) from None
    return provider.provide(p.ctx)


def _assume_role_from(p, base):
    role_arn = p.fields.get(p.keys.role_arn)
    if not role_arn:
        raise _cred_error(p.source, "%s has no %s" % (p.where, p.keys.role_arn))
    base_provider = StaticCredentialProvider(base.access_key_id, base.access_key_secret, base.security_token)
    return _sts_from_profile(p, AssumeRoleCredentialProvider, p.keys.session, base_provider=base_provider,
                             role_arn=role_arn, external_id=p.fields.get("external_id") or None)  # fmt: skip


def _oidc_mode(p):
    fields = p.fields
    arn_key = "role_arn" if "role_arn" in fields else "ram_role_arn"
    for key in (arn_key, "oidc_provider_arn", p.keys.token_file):
        if not fields.get(key):
            raise _cred_error(p.source, "%s has no %s" % (p.where, key))
    return _sts_from_profile(p, AssumeRoleWithOidcCredentialProvider, p.keys.oidc_session, role_arn=fields[arn_key],
                             oidc_provider_arn=fields["oidc_provider_arn"],
                             oidc_token_file=fields[p.keys.token_file])  # fmt: skip


def _ecs_mode(p):
    role_name = p.fields.get(p.keys.ecs_role)
    if not role_name:
        raise _cred_error(p.source, "%s has no ECS role name" % p.where)
    if _env_flag(p.ctx.environ, ENV_ECS_METADATA_DISABLED):
        # The profile names the instance role: "not configured" would hide why it cannot work.
        raise _cred_error(p.source, "%s uses the ECS instance role but %s is set"
                          % (p.where, ENV_ECS_METADATA_DISABLED))  # fmt: skip
    return EcsRamRoleCredentialProvider(role_name=role_name).provide(p.ctx)


def _process_mode(p):
    command = p.fields.get("process_command")
    if not command:
        raise _cred_error(p.source, "%s: mode External needs process_command" % p.where)
    try:
        process = ProcessCredentialProvider(command if isinstance(command, str) else str(command))
    except ValueError as exc:  # unbalanced quotes, or only blanks
        raise _cred_error(p.source, "%s: invalid process_command" % p.where, exc) from None
    if p.ctx._read_file is None:
        _refuse_if_others_can_write(p.path, p.source)  # the file names a command to run
    return process.provide(p.ctx)


def _needed_field(p, name, epoch=False):
    """A field the mode needs: a non-empty string (``epoch``: whole epoch
    seconds, as the CLI stores them), else a CredentialError naming it."""
    value = p.fields.get(name)
    if value is None or value == "":
        raise _cred_error(p.source, "%s: mode %s needs %s" % (p.where, p.mode, name))
    if epoch:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
            raise _cred_error(p.source, "%s: %s must be epoch seconds (a whole number)" % (p.where, name))
        return int(value)
    if not isinstance(value, str):
        raise _cred_error(p.source, "%s: %s must be a string, not %s" % (p.where, name, type(value).__name__))
    return value


def _url_origin(url):
    """``scheme://host[:port]`` of an http(s) URL (no user info), or ``None``."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    return "%s://%s%s" % (parts.scheme, "[%s]" % host if ":" in host else host, ":%d" % port if port else "")


def _cloud_sso_mode(p):
    # STS credentials from the CloudSSO service with the access token the CLI
    # stored (``aliyun configure --mode CloudSSO``); the file is not written.
    import json

    source, ctx = p.source, p.ctx
    token = _needed_field(p, "access_token")
    expires = _needed_field(p, "cloud_sso_access_token_expire", epoch=True)
    if expires <= ctx.clock():
        raise _cred_error(source, "%s: the CloudSSO access token expired at %s; sign in again with the CLI "
                          "(aliyun configure --mode CloudSSO)" % (p.where, _iso_zulu(expires)))  # fmt: skip
    origin = _url_origin(_needed_field(p, "cloud_sso_sign_in_url"))
    body = json.dumps({"AccountId": _needed_field(p, "cloud_sso_account_id"),
                       "AccessConfigurationId": _needed_field(p, "cloud_sso_access_config")})  # fmt: skip
    if origin is None:
        raise _cred_error(source, "%s: cloud_sso_sign_in_url is not an http(s) URL" % p.where)
    url = origin + "/cloud-credentials"  # only the scheme, host and port count, as in the CLI
    _require_https(url, source, "%s: CloudSSO sign-in URL" % p.where)  # it carries the access token
    headers = {"Accept": "application/json", "Content-Type": "application/json", "Authorization": "Bearer " + token}
    status, answer = _fetch(ctx, "POST", url, source, headers, body.encode("utf-8"))
    if status != 200:
        answer = _scrub(answer.decode("utf-8", "replace"), (token,)).encode("utf-8")
        raise _http_error(source, "CloudSSO POST", url, status, answer)
    return _credentials_from_response(answer, source, "CloudSSO POST " + url, ctx.clock(), "CloudCredential")


def _oauth_mode(p):
    # The STS credentials the CLI stored after an OAuth login, while they are
    # valid; refreshing them (and writing the file) is the CLI's job.
    key_id, secret = _needed_field(p, "access_key_id"), _needed_field(p, "access_key_secret")
    token, expires = _needed_field(p, "sts_token"), _needed_field(p, "sts_expiration", epoch=True)
    if expires <= p.ctx.clock():
        raise _cred_error(p.source, "%s: the STS credentials of the OAuth login expired at %s; log in again "
                          "with the CLI (aliyun configure --mode OAuth)" % (p.where, _iso_zulu(expires)))  # fmt: skip
    from datetime import datetime, timezone

    expiration = datetime.fromtimestamp(expires, timezone.utc)
    return _make_credentials(p.source, key_id, secret, token, expiration, p.ctx.clock())


# One row per mode: handler, its names in config.json (``mode``, the first is
# the CLI's spelling), its names in credentials.ini (``type``; none: not there).
_PROFILE_MODES = (
    (_static_mode, ("AK",), ("access_key",)),
    (_sts_mode, ("StsToken", "sts_token", "sts"), ("sts_token", "sts")),
    (_role_mode, ("RamRoleArn",), ("ram_role_arn",)),
    (_chained_role_mode, ("ChainableRamRoleArn", "ChainableRoleArn"), ()),
    (_ecs_mode, ("EcsRamRole",), ("ecs_ram_role",)),
    (_oidc_mode, ("OIDC",), ("oidc_role_arn",)),
    (_process_mode, ("External",), ()),
    (_cloud_sso_mode, ("CloudSSO",), ()),
    (_oauth_mode, ("OAuth",), ()),
)


def _credentials_from_response(body, source, what, now, wrapper=None, token_keys=("SecurityToken",)):
    """A service's JSON answer (its ``wrapper`` object, if given) -> the four
    fields every temporary-credential service returns, as Credentials."""
    data = _json_object(body, source, what)
    if wrapper is not None:
        data = data.get(wrapper)
        if not isinstance(data, dict):
            raise _cred_error(source, "%s: response has no %s object" % (what, wrapper))
    code = data.get("Code")
    if code not in (None, "", "Success"):
        raise _cred_error(source, "%s returned Code=%s" % (what, _excerpt(code, 60)),
                          _excerpt(data.get("Message", ""), 160))  # fmt: skip
    token = _first_key(data, token_keys)
    fields = (("AccessKeyId", data.get("AccessKeyId")), ("AccessKeySecret", data.get("AccessKeySecret")),
              (token_keys[0], token), ("Expiration", data.get("Expiration")))  # fmt: skip
    for name, value in fields:
        if not value:
            raise _cred_error(source, "%s: response has no %s" % (what, name))
        if not isinstance(value, str):
            raise _cred_error(source, "%s: %s is a %s, not a string" % (what, name, type(value).__name__))
    expiration = _parse_expiration(data["Expiration"], source)
    return _make_credentials(source, data["AccessKeyId"], data["AccessKeySecret"], token, expiration, now)


class CredentialsUriCredentialProvider(_Provider):
    """Credentials served as JSON by a URL (the argument, else ``ALIBABA_CLOUD_CREDENTIALS_URI``)."""

    _source = "credentials_uri"
    _shown = (("uri", lambda p: _strip_userinfo(_strip_query(p.uri)) if p.uri else None),)

    def __init__(self, uri: Optional[str] = None) -> None:
        self.uri = uri

    def provide(self, context: Context) -> Optional[Credentials]:
        """Return the credentials the URL serves, or ``None`` when no URL is set."""
        uri = self.uri or _env(context.environ, ENV_CREDENTIALS_URI)
        if not uri:
            return None
        shown = _strip_userinfo(_strip_query(uri))
        if shown != _strip_query(uri):
            # urllib would send it as Basic auth; it would show in errors and logs.
            raise _cred_error(self._source, "credentials URI %s must not contain user info" % shown)
        _require_https(uri, self._source, "credentials URI")
        status, body = _fetch(context, "GET", uri, self._source)
        if status != 200:
            raise _http_error(self._source, "GET", uri, status, body)
        return _credentials_from_response(body, self._source, "GET " + shown, context.clock(),
                                          token_keys=("SecurityToken", "SessionToken"))  # fmt: skip


class EcsRamRoleCredentialProvider(_Provider):
    """Credentials of the ECS instance's RAM role: IMDSv2 token first, IMDSv1 unless disabled
    (also when a request with the token is answered 401 or 403); the role is discovered
    unless given. No answer at all from the metadata address, with nothing ECS-specific
    configured, is ``None`` (not an ECS instance), else a CredentialError."""

    _source = "ecs_ram_role"
    _shown = ("role_name", "endpoint")

    def __init__(self, role_name: Optional[str] = None, endpoint: Optional[str] = None,
                 imdsv1_disabled: Optional[bool] = None) -> None:
        self.role_name = role_name
        self.endpoint = endpoint
        self.imdsv1_disabled = imdsv1_disabled

    def provide(self, context: Context) -> Optional[Credentials]:
        """Return the role's credentials, or ``None`` off ECS."""
        environ = context.environ
        if _env_flag(environ, ENV_ECS_METADATA_DISABLED):
            return None
        source = self._source
        endpoint = self.endpoint or _env(environ, ENV_ECS_ENDPOINT)
        role = self.role_name or _env(environ, ENV_ECS_ROLE_NAME)
        v1_disabled = self.imdsv1_disabled
        v1_disabled = _env_flag(environ, ENV_IMDSV1_DISABLED) if v1_disabled is None else v1_disabled
        base = (endpoint or _ECS_ENDPOINT).strip().rstrip("/")
        if "://" not in base:
            base = "http://" + base
        headers = {}
        token_url = base + "/latest/api/token"
        try:
            status, body = _fetch(context, "PUT", token_url, source,
                                  {"X-aliyun-ecs-metadata-token-ttl-seconds": _ECS_TOKEN_TTL}, direct=True)  # fmt: skip
        except _TransportError:
            if not (endpoint or role or v1_disabled):
                return None  # no metadata service: not an ECS instance
            raise  # the same host would not answer an IMDSv1 request either
        if status == 200 and body.strip():
            token = body.decode("latin-1").strip()
            if _has_control(token):  # it goes into a header: say so, without quoting it
                raise _cred_error(source, "PUT %s returned a token with control characters" % token_url)
            headers["X-aliyun-ecs-metadata-token"] = token
        elif v1_disabled:
            raise _cred_error(source, "PUT %s returned HTTP %s and IMDSv1 is disabled" % (token_url, status))

        def get(url, not_found):
            status, body = _fetch(context, "GET", url, source, headers, direct=True)
            if headers and status in (401, 403) and not v1_disabled:
                # Token issued but refused (private clouds): once more without it, as alibabacloud-credentials does.
                status, body = _fetch(context, "GET", url, source, direct=True)
            if status == 404:
                raise _cred_error(source, "GET %s returned HTTP 404: %s" % (url, not_found))
            if status != 200:
                raise _http_error(source, "GET", url, status, body)
            return body

        list_url = base + "/latest/meta-data/ram/security-credentials/"
        if not role:
            lines = get(list_url, "the instance has no RAM role").decode("utf-8", "replace").strip().splitlines()
            role = lines[0].strip() if lines else ""
            if not role:
                raise _cred_error(source, "GET %s returned no role name" % list_url)
        role_url = list_url + _quote(role)
        body = get(role_url, "role %r not found" % role)
        return _credentials_from_response(body, source, "GET " + role_url, context.clock())


def _rpc_signature(method, params, secret):
    """Alibaba RPC signature: HMAC-SHA1(secret + "&", METHOD&%2F&U(canonical)) -> (signature, canonical)."""
    canonical = "&".join(_quote(k) + "=" + _quote(v) for k, v in sorted(params.items()))
    string_to_sign = method + "&%2F&" + _quote(canonical)
    digest = hmac.digest((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), "sha1")
    return _b64(digest).decode("ascii"), canonical


def _sts_endpoint(environ, explicit, sts_region, enable_vpc, source="sts"):
    """STS endpoint: argument > region argument > env endpoint > env region >
    default. A region must be a region id: another host (``evil.example/`` ->
    ``sts.evil.example``) would receive the signed call or the OIDC token."""
    endpoint = (explicit or "").strip()
    region = (sts_region or "").strip()
    if not endpoint and not region:
        endpoint = (_env(environ, ENV_STS_ENDPOINT) or "").strip()
        region = (_env(environ, ENV_STS_REGION) or "").strip()
    region = region.lower()
    if not endpoint and region:
        if not (_is_region_label(region) and region[0] != "-" and region[-1] != "-"):
            raise _cred_error(source, "STS region %r is not a region id (e.g. cn-hangzhou)" % _excerpt(region, 40))
        vpc = enable_vpc if enable_vpc is not None else _env_flag(environ, ENV_VPC_ENDPOINT_ENABLED)
        endpoint = "%s.%s.aliyuncs.com" % ("sts-vpc" if vpc else "sts", region)
    endpoint = (endpoint or _STS_ENDPOINT).rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        endpoint = "https://" + endpoint
    _require_https(endpoint, source, "STS endpoint")  # plain http only to loopback or link-local
    return endpoint


class _StsProvider(_Provider):
    """What AssumeRole and AssumeRoleWithOIDC share: role, session, endpoint, the call."""

    def __init__(self, role_arn, role_session_name, sts_endpoint, duration_seconds, policy, sts_region, enable_vpc):
        if duration_seconds is not None:
            if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
                raise ValueError("duration_seconds must be an int")
            if duration_seconds < 900:
                raise ValueError("duration_seconds must be at least 900, got %d" % duration_seconds)
        self.role_arn = role_arn
        self.role_session_name = role_session_name
        self.sts_endpoint = sts_endpoint
        self.duration_seconds = duration_seconds
        self.policy = policy
        self.sts_region = sts_region
        self.enable_vpc = enable_vpc

    def _endpoint(self, environ):
        return _sts_endpoint(environ, self.sts_endpoint, self.sts_region, self.enable_vpc, self._source)

    def _assume(self, ctx, endpoint, params, base=None):
        """Call STS (signed with ``base`` unless anonymous) -> Credentials. A POST
        form: the token, the policy, the OIDC token and the signature stay out
        of the URL, which proxies and access logs keep."""
        import uuid

        source, now = self._source, ctx.clock()
        params = dict(params, Format="JSON", Version=_STS_VERSION, Timestamp=_iso_zulu(now))
        params["RoleSessionName"] = (self.role_session_name or _env(ctx.environ, ENV_ROLE_SESSION_NAME)
                                     or "ossign-%d" % int(now))  # fmt: skip
        if self.duration_seconds is not None:
            params["DurationSeconds"] = str(self.duration_seconds)
        if self.policy:
            params["Policy"] = self.policy
        if base is not None:
            params.update(AccessKeyId=base.access_key_id, SignatureMethod="HMAC-SHA1",
                          SignatureVersion="1.0", SignatureNonce=str(uuid.uuid4()))  # fmt: skip
            if base.security_token:
                params["SecurityToken"] = base.security_token
            signature, form = _rpc_signature("POST", params, base.access_key_secret)
            form += "&Signature=" + _quote(signature)
        else:
            form = "&".join(_quote(k) + "=" + _quote(v) for k, v in sorted(params.items()))
        action = params["Action"]
        status, body = _fetch(ctx, "POST", endpoint + "/", source, {"Content-Type": _FORM_TYPE}, form.encode("utf-8"))
        if status != 200:
            # STS echoes its string to sign on SignatureDoesNotMatch: it holds the key id and
            # the token, percent-encoded once or twice. Mask them before anything is excerpted.
            secrets = (base.access_key_id, base.security_token) if base is not None else ()
            secrets += (params.get("OIDCToken"),)
            body = _scrub(body[:_MAX_READ].decode("utf-8", "replace"), secrets).encode("utf-8")
            raise _http_error(source, action + " POST", endpoint + "/", status, body)
        return _credentials_from_response(body, source, "%s %s" % (action, endpoint), now, "Credentials")


class AssumeRoleCredentialProvider(_StsProvider):
    """Temporary credentials from STS ``AssumeRole``, signed with ``base_provider``'s credentials
    (default: env, OSS profile, credentials file, config file); no role ARN: not configured.
    ``sts_region`` and ``enable_vpc`` choose a regional (or VPC) endpoint."""

    _source = "assume_role"
    _shown = ("role_arn", "role_session_name", "sts_endpoint", "sts_region")

    def __init__(self, base_provider: Any = None, role_arn: Optional[str] = None,
                 role_session_name: Optional[str] = None, external_id: Optional[str] = None,
                 sts_endpoint: Optional[str] = None, duration_seconds: Optional[int] = None,
                 policy: Optional[str] = None, *, sts_region: Optional[str] = None,
                 enable_vpc: Optional[bool] = None) -> None:  # fmt: skip
        super().__init__(role_arn, role_session_name, sts_endpoint, duration_seconds, policy, sts_region, enable_vpc)
        self.base_provider = base_provider
        self.external_id = external_id

    def provide(self, context: Context) -> Optional[Credentials]:
        """Assume the role, or return ``None`` when no role ARN is configured."""
        environ = context.environ
        role_arn = self.role_arn
        if not role_arn:
            role_arn = _env(environ, ENV_ROLE_ARN)
            # With the OIDC variables set, that ARN is the OIDC provider's.
            if not role_arn or (_env(environ, ENV_OIDC_PROVIDER_ARN) and _env(environ, ENV_OIDC_TOKEN_FILE)):
                return None
        base_provider = self.base_provider or ChainCredentialProvider(*(_SLOT_DEFAULTS[s]() for s in _BASE_SLOTS))
        tried = None
        try:
            base = base_provider.provide(context)
        except CredentialError as exc:
            if exc.source != "chain" or not exc.attempts:
                raise
            # The base chain found nothing: say so once, not nesting its "no credentials found".
            base, tried = None, "; ".join(a.reason for a in exc.attempts)
        if base is None:
            origin = "role ARN %s" % role_arn if self.role_arn else "%s (%s)" % (ENV_ROLE_ARN, role_arn)
            raise _cred_error(self._source, "%s is set but no base credentials were found" % origin,
                              tried and "looked in " + tried)  # fmt: skip
        params = {"Action": "AssumeRole", "RoleArn": role_arn}
        external_id = self.external_id or _env(environ, ENV_EXTERNAL_ID)
        if external_id:
            params["ExternalId"] = external_id
        return self._assume(context, self._endpoint(environ), params, base)


class AssumeRoleWithOidcCredentialProvider(_StsProvider):
    """Temporary credentials from STS ``AssumeRoleWithOIDC`` (ACK RRSA) once the role ARN, the
    OIDC provider ARN and the token are known. The token (``oidc_token``: a string or a callable,
    else the token file) is asked for again at every call: the kubelet rotates the file."""

    _source = "oidc"
    _shown = ("role_arn", "oidc_provider_arn", "oidc_token_file", "sts_endpoint", "sts_region")

    def __init__(self, role_arn: Optional[str] = None, oidc_provider_arn: Optional[str] = None,
                 oidc_token_file: Optional[str] = None, role_session_name: Optional[str] = None,
                 sts_endpoint: Optional[str] = None, duration_seconds: Optional[int] = None,
                 policy: Optional[str] = None, oidc_token: Union[str, Callable[[], str], None] = None, *,
                 sts_region: Optional[str] = None, enable_vpc: Optional[bool] = None) -> None:  # fmt: skip
        super().__init__(role_arn, role_session_name, sts_endpoint, duration_seconds, policy, sts_region, enable_vpc)
        if oidc_token is not None and not (isinstance(oidc_token, str) or callable(oidc_token)):
            raise TypeError("oidc_token must be a string or a callable returning one")
        self.oidc_provider_arn = oidc_provider_arn
        self.oidc_token_file = oidc_token_file
        self._oidc_token = oidc_token

    def provide(self, context: Context) -> Optional[Credentials]:
        """Exchange the OIDC token for credentials, or ``None`` when not configured."""
        environ = context.environ
        role_arn = self.role_arn or _env(environ, ENV_ROLE_ARN)
        provider_arn = self.oidc_provider_arn or _env(environ, ENV_OIDC_PROVIDER_ARN)
        given = self._oidc_token
        token_file = None if given is not None else self.oidc_token_file or _env(environ, ENV_OIDC_TOKEN_FILE)
        if not (role_arn and provider_arn and (given is not None or token_file)):
            return None
        endpoint = self._endpoint(environ)  # first: a bad region sends nothing and reads no file
        if given is None:
            path = _expand_home(context, token_file) or token_file
            # No permission warning: the kubelet writes the token file 0644.
            token = _read_text(context, path, self._source, required=True, warn_shared=False).strip()
            if not token:
                raise _cred_error(self._source, "OIDC token file %s is empty" % path)
        else:
            token = self._given_token()
        params = {"Action": "AssumeRoleWithOIDC", "RoleArn": role_arn, "OIDCProviderArn": provider_arn,
                  "OIDCToken": token}  # fmt: skip
        return self._assume(context, endpoint, params)

    def _given_token(self):
        given, source = self._oidc_token, self._source
        if callable(given):
            failed = None
            try:
                given = given()
            except Exception as exc:  # the caller's code: its message may hold the token
                failed = type(exc).__name__
            if failed:  # raised out here so that the caller's exception is not its context
                raise _cred_error(source, "the oidc_token callable raised %s" % failed)
        if not isinstance(given, str):
            raise _cred_error(source, "oidc_token returned a %s, not a string" % type(given).__name__)
        if not given.strip():
            raise _cred_error(source, "oidc_token is empty")
        return given.strip()


class ProcessCredentialProvider(_Provider):
    """Credentials printed as JSON by a command (the CLI's ``External`` mode): an argv list, or a
    string split as a POSIX shell would, run without a shell through ``Context.run_command``
    and killed after ``timeout`` seconds (default 10). It prints ``{"mode": "AK" | "StsToken",
    "access_key_id": ..., "access_key_secret": ..., "sts_token": ..., "expiration":
    "2026-01-01T00:00:00Z"}``. Errors show its name and the first line of its stderr, never its
    stdout."""

    _source = "process"
    _shown = (("command", lambda p: os.path.basename(p.argv[0])), "timeout")

    def __init__(self, command: Union[str, Iterable[str]], timeout: Optional[float] = None) -> None:
        if isinstance(command, str):
            import shlex

            argv = shlex.split(command)
        else:
            argv = [str(a) for a in command]
        if not argv:
            raise ValueError("command is empty")
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ValueError("timeout must be a positive number of seconds")
        self.argv = argv
        self.timeout = float(timeout) if timeout is not None else _DEFAULT_PROCESS_TIMEOUT

    def provide(self, context: Context) -> Optional[Credentials]:
        """Run the command and return the credentials it prints."""
        import subprocess

        source = self._source
        what = "command %s" % os.path.basename(self.argv[0])
        # Raised outside the except block: TimeoutExpired holds the output, the error's context.
        failure = None
        try:
            code, out, err = context.run_command(list(self.argv), self.timeout)
        except subprocess.TimeoutExpired:
            failure = _cred_error(source, "%s timed out after %g s" % (what, self.timeout))
        except _OutputTooLarge as exc:
            failure = _cred_error(source, "%s printed more than %d bytes on %s" % (what, _MAX_READ, exc))
        except OSError as exc:
            failure = _cred_error(source, "cannot run %s" % what, exc.strerror or type(exc).__name__)
        if failure is None and max(len(out or b""), len(err or b"")) > _MAX_READ:
            failure = _cred_error(source, "%s printed more than %d bytes" % (what, _MAX_READ))
        if failure is not None:
            raise failure
        if code != 0:
            first = (err or b"").decode("utf-8", "replace").strip().splitlines()
            raise _cred_error(source, "%s exited with status %s" % (what, code),
                              _excerpt(first[0], 200) if first else None)  # fmt: skip
        data = _json_object(out or b"", source, what)
        mode = data.get("mode", "AK")
        if mode not in ("AK", "StsToken"):
            raise _cred_error(source, "%s printed unsupported mode %r (supported: AK, StsToken)"
                              % (what, _excerpt(mode, 40)))  # fmt: skip
        token = data.get("sts_token")
        if mode == "StsToken" and not token:
            raise _cred_error(source, "%s printed mode StsToken without sts_token" % what)
        if token is not None and not isinstance(token, str):  # said here, where the command is named
            raise _cred_error(source, "%s: sts_token is not a string" % what)
        expiration = data.get("expiration")
        if expiration is not None and not isinstance(expiration, str):
            raise _cred_error(source, "%s: expiration is not a string" % what)  # not quoted: it is stdout
        expiration = _parse_expiration(expiration, source) if expiration else None
        for key in ("access_key_id", "access_key_secret"):
            if not data.get(key):
                raise _cred_error(source, "%s printed no %s" % (what, key))
        return _make_credentials(source, data["access_key_id"], data["access_key_secret"], token, expiration,
                                 context.clock())  # fmt: skip


_Attempt = namedtuple("_Attempt", "source reason")


class ChainCredentialProvider(_Provider):
    """The first of several providers that yields credentials; when none does, one
    CredentialError lists every source: "not configured", or why it failed."""

    _source = "chain"
    _fixes = ""  # what to do, appended to the "no credentials found" message
    _shown = ("providers",)

    def __init__(self, *providers: Any) -> None:
        self.providers = tuple(providers)

    def provide(self, context: Context) -> Optional[Credentials]:
        """Return the first credentials found, or raise CredentialError."""
        return self._resolve(context)[1]

    def _resolve(self, context):
        attempts = []
        retry_after = None  # the longest Retry-After a source gave
        log = _logger()
        for provider in self.providers:
            source = _source_of(provider)
            try:
                creds = provider.provide(context)
            except CredentialError as exc:
                reason = str(exc)
                log.debug("%s: failed: %s", source, reason)  # a user provider's message need not name it
                if exc._retry_after is not None:
                    retry_after = max(retry_after or 0.0, exc._retry_after)
            except Exception as exc:  # a user provider's bug: record and go on
                reason = "%s: raised %s" % (source, type(exc).__name__)
                log.debug("%s", reason)
            else:
                if creds is not None:
                    log.debug("%s: resolved %r", source, creds)
                    return source, creds
                reason = "%s: not configured" % source
                log.debug("%s", reason)
            attempts.append(_Attempt(source, reason))
        lines = "; ".join(a.reason for a in attempts) or "no providers"
        error = CredentialError("no credentials found (tried %s)%s" % (lines, self._fixes), "chain", attempts)
        error._retry_after = retry_after
        raise error


_UNSET = object()
_FIX_IN_CODE = ", or pass credentials to Signer: Signer(bucket, (access_key_id, access_key_secret))"
_SLOT_DEFAULTS = {  # DefaultCredentialProvider's slots after assume_role, in order
    "env": EnvCredentialProvider,
    "oss_profile": OssProfileCredentialProvider,
    "credentials_file": CredentialsFileCredentialProvider,
    "config_file": ConfigFileCredentialProvider,
    "credentials_uri": CredentialsUriCredentialProvider,
    "oidc": AssumeRoleWithOidcCredentialProvider,
    "ecs_ram_role": EcsRamRoleCredentialProvider,
}
_BASE_SLOTS = ("env", "oss_profile", "credentials_file", "config_file")


class _NamedProfile(_Provider):
    """One profile by name from the profile files that have it, alone
    (``ossign --profile``): environment keys do not shadow it, and its own
    failure is the answer rather than a later source's."""

    _source = "profile"
    _shown = ("profile",)

    def __init__(self, profile):
        self.profile = profile

    def provide(self, context: Context) -> Optional[Credentials]:
        return self._resolve(context)[1]

    def _resolve(self, context):
        tried = []
        for cls in (OssProfileCredentialProvider, CredentialsFileCredentialProvider, ConfigFileCredentialProvider):
            provider = cls(profile=self.profile)
            creds, searched, _ = provider._find(context)
            if creds is not None:
                return provider._source, creds
            tried += searched
        raise _cred_error(self._source, "profile %r not found in %s"
                          % (self.profile, " or ".join(tried) or "any profile file (none exists)"))  # fmt: skip


class DefaultCredentialProvider(ChainCredentialProvider):
    """The default chain: assume_role, env, oss_profile, credentials_file, config_file,
    credentials_uri, oidc, ecs_ram_role (last: on an ACK node with RRSA the node's role must
    not shadow the pod's). A keyword given a provider replaces its slot, ``None`` drops it; the
    default AssumeRole's base is this chain's env, oss_profile, credentials_file, config_file."""

    _source = "default"
    # The simplest fixes, for someone who has configured nothing yet.
    _fixes = (". To fix: set %s and %s, or write a profile to ~/.alibabacloud/credentials.ini or "
              "~/.oss/credentials%s" % (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, _FIX_IN_CODE))  # fmt: skip

    def __init__(self, *, assume_role=_UNSET, env=_UNSET, oss_profile=_UNSET, credentials_file=_UNSET,
                 config_file=_UNSET, credentials_uri=_UNSET, oidc=_UNSET, ecs_ram_role=_UNSET):  # fmt: skip
        given = dict(env=env, oss_profile=oss_profile, credentials_file=credentials_file, config_file=config_file,
                     credentials_uri=credentials_uri, oidc=oidc, ecs_ram_role=ecs_ram_role)  # fmt: skip
        slots = {name: cls() if given[name] is _UNSET else given[name] for name, cls in _SLOT_DEFAULTS.items()}
        if assume_role is _UNSET:
            base = [slots[s] for s in _BASE_SLOTS if slots[s] is not None]
            assume_role = AssumeRoleCredentialProvider(base_provider=ChainCredentialProvider(*base))
        super().__init__(*[p for p in [assume_role, *slots.values()] if p is not None])

    def push_front(self, provider: Any) -> DefaultCredentialProvider:
        """A new chain that tries ``provider`` before every other source."""
        chain = ChainCredentialProvider.__new__(DefaultCredentialProvider)
        chain.providers = (provider,) + self.providers
        return chain


# ==== Credential cache ======================================================
#
# Theory of operation.
#
# The cache holds one immutable _Entry: the credentials, their expiry E and
# two instants derived from it when they were fetched:
#
#     advisory_at  = E - advisory window     (default 600 s)
#     mandatory_at = E - mandatory window    (default 120 s)
#
# For credentials that live less than the windows (a 900-s STS token, say)
# the windows shrink to half and a quarter of the remaining life, so that a
# short-lived token is not refreshed on every call.
#
# A caller needs credentials valid until a deadline (now + 10 s for a header
# signature, the expiry of a presigned URL). With the entry E and the clock:
#
#   fresh      now < advisory_at, deadline < E: return the entry, no lock.
#   advisory   now < mandatory_at, deadline < E: one caller refreshes while
#              the others return the entry; a failure keeps the entry and
#              waits _ADVISORY_RETRY seconds before the next attempt.
#   mandatory  otherwise (or no entry): callers wait for one refresh (single
#              flight) and all get its result; on failure they keep the
#              entry if it still covers their deadline, else they raise its
#              error, and the next refresh waits (_back_off).
#
# Entries are replaced as a whole by one assignment, so a reader on the fast
# path sees either the old or the new credentials, never a mix, and takes no
# lock. Credentials without expiration are kept until invalidate().

_Entry = namedtuple("_Entry", "credentials expires_at advisory_at mandatory_at")


def _covers(entry, need):
    return entry is not None and (entry.expires_at is None or need < entry.expires_at)


class _ShortCredentials(CredentialError):
    """Credentials exist but expire before the caller's deadline."""


def _seconds(value, name):
    if not isinstance(value, (int, float)):
        from datetime import timedelta

        value = value.total_seconds() if isinstance(value, timedelta) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("%s must be a non-negative number of seconds or a timedelta" % name)
    return float(value)


class CredentialCache:
    """A thread-safe cache in front of a provider; itself a provider.

    Credentials without expiration are kept until :meth:`invalidate`. Inside
    ``advisory_refresh`` seconds before expiry one thread refreshes while the
    others keep signing (a failed refresh keeps the credentials); inside
    ``mandatory_refresh`` seconds, or once expired, callers wait for a single
    refresh. Share one cache between signers to share the credentials.
    """

    def __init__(self, provider: Any, context: Optional[Context] = None, *,
                 advisory_refresh: Union[float, timedelta] = _ADVISORY_REFRESH,
                 mandatory_refresh: Union[float, timedelta] = _MANDATORY_REFRESH) -> None:  # fmt: skip
        if not callable(getattr(provider, "provide", None)):
            raise TypeError("provider must have a provide(context) method")
        self.provider = provider
        self.advisory_refresh = _seconds(advisory_refresh, "advisory_refresh")
        self.mandatory_refresh = _seconds(mandatory_refresh, "mandatory_refresh")
        if self.mandatory_refresh > self.advisory_refresh:
            raise ValueError("mandatory_refresh must not exceed advisory_refresh")
        self._context = context
        self._entry = None
        self._cond = threading.Condition(threading.Lock())
        self._refreshing = False
        self._generation = 0  # counts finished refreshes
        self._outcome = None  # (entry, error) of the last refresh
        self._retry_at = float("-inf")
        # After a refresh that left a caller without credentials (an error,
        # or credentials too short for its deadline), callers that the entry
        # cannot serve get that outcome again until _backoff_until, without
        # calling the provider: a failing source is not asked on every sign().
        self._backoff_until = float("-inf")
        self._failures = 0  # consecutive failed refreshes, for the delay

    def __repr__(self):
        return "CredentialCache(%r)" % (self.provider,)

    def _ctx(self, context=None):
        ctx = self._context or context
        if ctx is None:
            ctx = self._context = Context()
        return ctx

    def get(self, valid_until: Union[datetime, float, None] = None) -> Credentials:
        """Credentials valid at least until ``valid_until`` (aware datetime or
        epoch seconds; default now), refreshing when needed.

        Raises CredentialError when no such credentials can be had.
        """
        ctx = self._ctx()
        now = ctx.clock()
        need = now if valid_until is None else _to_epoch(valid_until, "valid_until")
        return self.get_for_signing(need, now, ctx)

    def provide(self, context: Optional[Context] = None) -> Credentials:
        """The provider interface: credentials valid now."""
        ctx = self._ctx(context)
        now = ctx.clock()
        return self.get_for_signing(now, now, ctx)

    def get_for_signing(self, valid_until: float, now: float, context: Optional[Context] = None) -> Credentials:
        """:meth:`get` for a caller that has read the clock already, as a signer
        does once per signature: credentials valid until ``valid_until``,
        judged at ``now`` (both epoch seconds). ``context`` serves a refresh
        when the cache has none."""
        # peek()'s test written out again: the signing hot path makes one call.
        entry = self._entry  # one read: no lock on the fast path
        if entry is not None:
            expires_at = entry.expires_at
            if expires_at is None or (now < entry.advisory_at and valid_until < expires_at):
                return entry.credentials
            if now < entry.mandatory_at and valid_until < expires_at:
                return self._advisory(entry, valid_until, now, self._ctx(context))
        return self._mandatory(valid_until, self._ctx(context))

    def peek(self, valid_until: float, now: float) -> Optional[Credentials]:
        """The cached credentials when they serve until ``valid_until`` with
        no refresh due at ``now``, else ``None``; never calls the provider or
        waits (an event loop asks this before moving a refresh to a thread).
        """
        entry = self._entry  # one read: no lock
        if entry is not None and (entry.expires_at is None or (
                now < entry.advisory_at and valid_until < entry.expires_at)):  # fmt: skip
            return entry.credentials
        return None

    def invalidate(self) -> None:
        """Drop the cached credentials; the next call fetches new ones."""
        with self._cond:
            self._entry = None
            self._retry_at = float("-inf")
            self._backoff_until = float("-inf")
            self._failures = 0

    def _advisory(self, entry, need, now, ctx):
        with self._cond:
            if self._refreshing or now < self._retry_at or self._entry is not entry:
                return entry.credentials  # someone else refreshes, or backing off
            self._refreshing = True
        fresh, error = self._refresh(ctx)
        if error is not None:
            _logger().warning("%s: advisory credential refresh failed, keeping the current credentials: %s",
                              _source_of(self.provider), error)  # fmt: skip
            with self._cond:
                self._retry_at = now + _ADVISORY_RETRY
        return fresh.credentials if _covers(fresh, need) else entry.credentials

    def _mandatory(self, need, ctx):
        with self._cond:
            if self._refreshing:
                # Wait for the refresh under way, bounded: a hung provider
                # must not hang every signing thread with it.
                generation = self._generation
                limit = _WAIT_TIMEOUTS * ctx.timeout
                end = time.monotonic() + limit
                while self._refreshing and self._generation == generation:
                    left = end - time.monotonic()
                    if left <= 0:
                        source = _source_of(self.provider)
                        return self._settle(None, CredentialError(
                            "%s: gave up after %g s waiting for the credential refresh under way in "
                            "another thread" % (source, limit), source), need)  # fmt: skip
                    self._cond.wait(left)
                return self._settle(*self._outcome, need)
            entry = self._entry
            now = ctx.clock()
            if _covers(entry, need) and (entry.expires_at is None or now < entry.mandatory_at):
                return entry.credentials  # refreshed while we took the lock
            if now < self._backoff_until:
                return self._settle(*self._outcome, need)  # a recent failure: not asked again yet
            self._refreshing = True
        fresh, error = self._refresh(ctx)
        with self._cond:
            if not _covers(fresh, need):
                self._back_off(ctx.clock(), error)
            return self._settle(fresh, error, need)

    def _back_off(self, now, error):
        """Wait before the next refresh: 1, 2, 4 ... 60 s with jitter, or the
        service's Retry-After up to 60 s (lock held)."""
        import random

        self._failures += 1
        retry_after = getattr(error, "_retry_after", None)
        if retry_after is not None:
            delay = min(retry_after, _BACKOFF_MAX)
        else:
            delay = min(_BACKOFF_BASE * 2 ** min(self._failures - 1, 16), _BACKOFF_MAX)
            delay *= random.uniform(0.5, 1.0)
        self._backoff_until = now + delay

    def _settle(self, fresh, error, need):
        """A refresh's ``(entry, error)`` -> this caller's credentials or error (lock held)."""
        for entry in (fresh, self._entry):  # the current entry may still cover this deadline
            if _covers(entry, need):
                return entry.credentials
        if error is not None:
            import copy

            # A copy for each caller, without traceback or context (its cause
            # kept: a provider's own exception, for its author): raising the
            # one stored error again and again would grow its traceback.
            copied = copy.copy(error)
            copied.__cause__ = error.__cause__
            raise copied
        source = _source_of(self.provider)
        short = _ShortCredentials("%s: credentials expire at %s, before they are needed (%s)"
                                  % (source, _iso_zulu(fresh.expires_at), _iso_zulu(need)), source)  # fmt: skip
        short.expires_at = fresh.expires_at
        raise short

    def _refresh(self, ctx):
        """Call the provider once (lock not held); publish and return ``(entry, error)``."""
        source = _source_of(self.provider)
        fresh = None
        # Published if the provider never returns: a KeyboardInterrupt or
        # SystemExit goes on up, but the waiters are released and the next
        # call refreshes.
        error = CredentialError("%s: the credential refresh was interrupted" % source, source)
        try:
            creds = self.provider.provide(ctx)
            if creds is None:
                raise CredentialError("%s: no credentials found" % source, source)
            if not isinstance(creds, Credentials):
                raise CredentialError("%s: provider returned %s, not Credentials" % (source, type(creds).__name__),
                                      source)  # fmt: skip
            now = ctx.clock()
            entry = self._make_entry(creds, now)
            if entry.expires_at is not None and entry.expires_at <= now:
                raise CredentialError("%s: provider returned credentials that already expired at %s"
                                      % (source, _iso_zulu(entry.expires_at)), source)  # fmt: skip
            fresh, error = entry, None
        except CredentialError as exc:
            error = exc
        except Exception as exc:  # a provider's bug must not wedge the cache
            error = CredentialError("%s: provider raised %s" % (source, type(exc).__name__), source)
            error.__cause__ = exc
        finally:
            with self._cond:
                if fresh is not None:
                    self._entry = fresh
                    self._retry_at = float("-inf")
                    if fresh.expires_at is None or fresh.expires_at > now + self.mandatory_refresh:
                        self._failures = 0
                self._outcome = (fresh, error)
                self._refreshing = False
                self._generation += 1
                self._cond.notify_all()
        return fresh, error

    def _make_entry(self, creds, now):
        if creds.expiration is None:
            return _Entry(creds, None, None, None)
        expires_at = creds.expiration.timestamp()
        life = expires_at - now
        advisory = min(self.advisory_refresh, life / 2)
        mandatory = min(self.mandatory_refresh, life / 4)
        return _Entry(creds, expires_at, expires_at - advisory, expires_at - mandatory)


# ==== Signing core (pure) ===================================================
#
# SPEC.md §1-4, one function per step, named after the step, so that the code
# can be read beside the spec. No clock reads, no credential lookups, no I/O
# and no module-level mutable state: a request arrives as plain data (the
# method, the resource path RP of §1.3, the raw query pairs, the lower-cased
# and trimmed headers) with the credentials' parts, the signing time, the
# region and product and the additional header names. The Signer below does
# the parsing and keeps what is worth keeping (host plans, signing keys).

_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _is_bucket_name(label):
    """``[a-z0-9][a-z0-9-]{1,61}[a-z0-9]``, without compiling a regex."""
    return (3 <= len(label) <= 63 and _BUCKET_CHARS.issuperset(label)
            and label[0] != "-" and label[-1] != "-")  # fmt: skip


def _is_region_label(label):
    return bool(label) and _BUCKET_CHARS.issuperset(label)


def _is_region_id(text):
    """``[a-z0-9]+(-[a-z0-9]+)+``, the shape of a region id (``cn-hangzhou``)."""
    return "-" in text and _is_region_label(text) and "" not in text.split("-")


def _region_id(value):
    """§10: a given region -> the plain region id. ``oss-`` and ``-internal``
    are dropped (``oss-cn-beijing-internal`` means ``cn-beijing``); what is
    then not a region id is a SigningError showing the expected shape."""
    text = str(value).strip()
    plain = text[4:] if text.startswith("oss-") else text
    if plain.endswith("-internal"):
        plain = plain[:-9]
    if not _is_region_id(plain):
        raise SigningError("invalid region %r: expected a region id such as cn-hangzhou or ap-southeast-1 (lower-case "
                           "letters and digits in dash-separated parts)" % _excerpt(text, 40))  # fmt: skip
    return plain


def _match_family(family, last, labels):
    """The region one row of _HOST_FAMILIES reads from the service label
    ``last`` and the labels before it (consumed from ``labels``): None for
    a family without one, False when the row does not match."""
    head, tail = family.head, family.tail
    if not (last.startswith(head) and last.endswith(tail)) or len(last) < len(head) + len(tail):
        return False
    middle = last[len(head):len(last) - len(tail)]
    if family.middle == "R" and not _is_region_id(middle) or family.middle == "" and middle:
        return False
    read = {"middle": middle}
    if family.before == "R":
        if not (labels and _is_region_id(labels[-1])):
            return False
        read["before"] = labels.pop()
    elif family.before == "cb.R":
        if len(labels) < 2 or not labels[-2].startswith("cb-") or not _is_region_id(labels[-2]) \
                or not _is_region_label(labels[-1]):  # fmt: skip
            return False
        labels.pop()  # the CloudBox's region; V4 signs with the CloudBox id
        read["cb"] = labels.pop()
    return read.get(family.region)


def _infer_host(host):
    """``host`` -> (bucket, region, product, family, account id) by the rows
    of _HOST_FAMILIES (SPEC.md §10); ``family`` is None outside aliyuncs.com
    (a custom domain, an IP address), _UNKNOWN_HOST for a host no row reads.
    String tests, not regexes (``re`` costs ~15 ms at import)."""
    if not host.endswith(".aliyuncs.com"):
        return None, None, None, None, None
    labels = host[:-13].split(".")
    last = labels.pop()
    for family in _HOST_FAMILIES:
        if not last.startswith(family.head):
            continue
        before = list(labels)
        region = _match_family(family, last, before)
        if region is False:
            continue
        if family.status == "arn":
            bucket, region, product, account = _infer_arn_host(host, before, family.product)
            return bucket, region, product, family, account
        if family.status == "bad":
            raise SigningError("host %r is not an OSS Vectors or OSS Tables endpoint ossign knows (<bucket>-"
                               "<account-id>.<region>.oss-vectors.aliyuncs.com, ...oss-tables...); ossign does not "
                               "sign it as OSS" % host)  # fmt: skip
        if family.status != "ok" or len(before) > 1 or (before and not _is_bucket_name(before[0])):
            break
        return (before[0] if before else None), region, family.product, family, None
    return None, None, None, _UNKNOWN_HOST, None


def _infer_arn_host(host, labels, product):
    """§10 for OSS Vectors and Tables: ``[<bucket>-<account-id>.]<region>[-internal]``
    before the service label -> (bucket, region, product, account id). Another
    shape is a SigningError: never signed as OSS or as a custom domain."""
    region = labels.pop() if 1 <= len(labels) <= 2 else ""
    if region.endswith("-internal"):
        region = region[:-9]
    bucket, account = None, None
    if labels:
        bucket, _, account = labels[0].rpartition("-")
    if not _is_region_id(region) or (labels and not (account.isdigit() and account.isascii()
                                                     and _is_bucket_name(bucket))):  # fmt: skip
        label = _ARN_PRODUCTS[product].label
        raise SigningError("host %r is not an %s endpoint: expected [<bucket>-<account-id>.]<region>[-internal]."
                           "%s.aliyuncs.com" % (host, _ARN_PRODUCTS[product].title, label))  # fmt: skip
    return bucket, region, product, account


def _is_plain_host(host):
    """IP literals and localhost: always path-style."""
    return host == "localhost" or ":" in host or host.replace(".", "").isdigit()


def _split_url(url):
    """``scheme://netloc/path?query#fragment`` -> (scheme, netloc, host, path,
    query): http(s) only, no user info, a numeric port, host lower-cased."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SigningError("URL must start with https:// or http://, got %r" % url[:40])
    scheme = scheme.lower()
    if scheme not in ("https", "http"):
        raise SigningError("URL scheme must be http or https, got %r" % scheme)
    end = len(rest)
    for mark in "/?#":  # the netloc ends at the first of them
        index = rest.find(mark, 0, end)
        if index >= 0:
            end = index
    netloc = rest[:end]
    path, query = _split_path_query(rest[end:])
    if "@" in netloc:
        raise SigningError("URL must not contain user info")
    if netloc.startswith("["):  # IPv6 literal
        host, bracket, port = netloc[1:].partition("]")
        if not bracket or (port and port[0] != ":"):
            raise SigningError("invalid IPv6 host in URL")
        port = port[1:]
    else:
        host, _, port = netloc.partition(":")
    if port and (not port.isdigit() or int(port) > 65535):
        raise SigningError("invalid port %r in URL" % port)
    if not host:
        raise SigningError("URL has no host")
    if host.endswith("."):
        raise SigningError("URL host %r ends with a dot: name it without the dot" % host)
    return scheme, netloc, host.lower(), path, query


def _split_path_query(rest):
    """``/path?query#fragment`` -> (path, query); the fragment is never sent."""
    if "#" in rest:
        rest = rest.partition("#")[0]
    path, _, query = rest.partition("?")
    return path, query


def _check_url_text(text):
    """§1.2: the path and query must already be percent-encoded."""
    if not (text.isascii() and text.isprintable()) or " " in text:
        raise SigningError("URL contains spaces, control or non-ASCII characters; percent-encode the "
                           "path and query (ossign.object_url does)")  # fmt: skip


#: What a URL's ``scheme://netloc`` decides for signing: ``given`` is the
#: signer's (bucket, region, product) it was made for, ``prefix`` the
#: ``scheme://netloc``, ``head`` what precedes the path in RP, then the bucket,
#: region (plain id) and product to sign with.
_HostPlan = namedtuple("_HostPlan", "given prefix head path_style bucket region product arn")


def _dual_stack_or_legacy(host, label, bucket, region):
    """``L.oss.aliyuncs.com`` is the dual-stack endpoint of region L, or bucket
    L on the v1 SDKs' default endpoint (``my-bucket`` has a region id's
    shape): -> (bucket, region) of the one reading the signer's bucket and
    region agree with; never a guess."""
    if (region == label and bucket != label) or (region is None and bucket is not None and bucket != label):
        return None, label  # dual-stack, path-style
    if (bucket == label and region != label) or (bucket is None and region is not None):
        return label, None  # the legacy endpoint, virtual-hosted
    raise SigningError("host %r is either bucket %r on the endpoint oss.aliyuncs.com or the dual-stack endpoint of "
                       "region %r: name the bucket or the region to say which (Signer(bucket=...) or "
                       "Signer(region=...))" % (host, label, label))  # fmt: skip


def _host_plan(scheme, netloc, host, given):
    """§1.3 and §10 for one host and the signer's (bucket, region, product, account id)."""
    bucket, region, product, account = given
    region = _region_id(region) if region else None
    info_bucket, info_region, info_product, family, info_account = _infer_host(host)
    if info_product in _ARN_PRODUCTS or product in _ARN_PRODUCTS:
        return _arn_host_plan(scheme, netloc, host, given, (info_bucket, info_region, info_product, info_account))
    if family is not None and family.before == "R" and info_bucket is None and _is_bucket_name(info_region):
        info_bucket, info_region = _dual_stack_or_legacy(host, info_region, bucket, region)
    if family is _UNKNOWN_HOST:
        if not (bucket and region):
            raise SigningError("host %r is under aliyuncs.com but is no OSS endpoint ossign knows (such as "
                               "<bucket>.oss-<region>.aliyuncs.com): use the bucket's endpoint, or name both the "
                               "bucket and the region (Signer(bucket, region=...)) to sign it as a custom domain"
                               % host)  # fmt: skip
        family = None  # signed as a custom domain, with the signer's bucket and region
    if info_bucket is not None:  # the host names the bucket
        if bucket and bucket != info_bucket:
            raise SigningError("bucket %r does not match the URL host %r" % (bucket, host))
        bucket = info_bucket
    if info_region is not None:  # the host names the region (a CloudBox: its id)
        if region and region != info_region:
            raise SigningError("region %r does not match the URL host %r, which is in %r: pass region=%r or "
                               "no region" % (region, host, info_region, info_region))  # fmt: skip
        region = info_region
        if product == "oss":
            product = info_product
    is_oss = family is not None
    if bucket and (info_bucket is not None or (not is_oss and host.startswith(bucket + "."))):
        head, path_style = "/" + bucket, False  # virtual-hosted
    elif is_oss or not bucket or _is_plain_host(host):
        head, path_style = "", True  # path-style: /<bucket>/<key>
    else:
        head, path_style = "/" + bucket, False  # custom domain (CNAME)
    return _HostPlan(given, scheme + "://" + netloc, head, path_style, bucket, region, product, None)


def _check_product_bucket(spec, bucket):
    """SigningError unless the product allows ``bucket``: a bucket label of at
    most ``spec.max_bucket`` characters, not starting with a reserved prefix."""
    if not (_is_bucket_name(bucket) and len(bucket) <= spec.max_bucket and not bucket.startswith(spec.reserved)):
        reserved = ", not starting with %s" % "/".join(spec.reserved) if spec.reserved else ""
        raise SigningError("%s bucket names are 3-%d lower-case letters, digits and '-' (not at either end)%s; got %r"
                           % (spec.title, spec.max_bucket, reserved, bucket))  # fmt: skip


def _arn_host_plan(scheme, netloc, host, given, info):
    """§1.3 and §10: the plan of an OSS Vectors or OSS Tables request. The host names
    the product (and may name the bucket and account id); the URL path is the
    key, and ``head`` is the ARN the canonical URI starts with."""
    bucket, region, product, account = given
    info_bucket, info_region, info_product, info_account = info
    if info_product is not None and info_product != product:
        if product != "oss" or info_product not in _ARN_PRODUCTS:
            raise SigningError("product %r does not match the URL host %r (an %r endpoint)"
                               % (product, host, info_product))  # fmt: skip
        product = info_product
    spec = _ARN_PRODUCTS[product]
    if info_bucket is not None:
        if bucket and bucket != info_bucket:
            raise SigningError("bucket %r does not match the URL host %r" % (bucket, host))
        if account and account != info_account:
            raise SigningError("account_id does not match the account id in the URL host %r" % (host,))
        bucket, account = info_bucket, info_account
    region = _region_id(region) if region else None
    if region and info_region and region != info_region:
        raise SigningError("region %r does not match the URL host %r" % (region, host))
    region = region or info_region
    if not region:
        raise SigningError("%s signing needs a region: pass region= to Signer (none can be inferred from "
                           "host %r)" % (spec.title, host))  # fmt: skip
    if bucket is None:
        head = spec.without_bucket.format(region=region)
    elif not account:
        raise SigningError("%s requests need the account id: pass Signer(..., account_id='<digits>') or use "
                           "the host <bucket>-<account-id>.<region>.%s.aliyuncs.com" % (spec.title, spec.label))
    else:
        _check_product_bucket(spec, bucket)
        head = spec.with_bucket.format(region=region, account=account, bucket=bucket)
    return _HostPlan(given, scheme + "://" + netloc, head, False, bucket, region, spec.scope, spec)


def _resource_path(plan, path):
    """§1.3: RP, the decoded resource path; a path-style ``/<bucket>`` gets a ``/``."""
    resource = plan.head + (_unquote(path, "URL path") if "%" in path else path)
    if plan.path_style and len(resource) > 1 and resource.count("/") == 1:
        resource += "/"
    return resource


def _unsigned_query(query, owned):
    """§1.4, query mode: the raw query without the version's auth parameters
    (kept byte for byte when it has none)."""
    items = query.split("&")
    kept = [item for item in items if not item or _unquote(item.partition("=")[0], "query") not in owned]
    return query if len(kept) == len(items) else "&".join([item for item in kept if item])


def _names(value):
    """An iterable of header names -> sorted tuple of unique lower-case names."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.replace(",", ";").split(";")
    try:
        return tuple(sorted({str(n).strip().lower() for n in value if str(n).strip()}))
    except TypeError:
        raise SigningError("additional_headers must be an iterable of header names") from None


def _expires_seconds(expires, version):
    """§1.6: ``expires`` -> whole seconds."""
    if isinstance(expires, int) and not isinstance(expires, bool):
        seconds = expires
    else:
        from datetime import timedelta

        if not isinstance(expires, timedelta):
            raise SigningError("expires must be an int number of seconds or a timedelta, got %s %r"
                               % (type(expires).__name__, expires))  # fmt: skip
        seconds = int(expires.total_seconds())
    if seconds < 1:
        raise SigningError("expires must be at least 1 second, got %d" % seconds)
    if version == "v4" and seconds > _V4_MAX_EXPIRES:
        raise SigningError("expires must be at most %d seconds (7 days) for V4, got %d" % (_V4_MAX_EXPIRES, seconds))
    if seconds > _V1_MAX_EXPIRES:
        raise SigningError("expires must be at most %d seconds (365 days) for %s, got %s"
                           % (_V1_MAX_EXPIRES, version.upper(), _excerpt(str(seconds), 24)))  # fmt: skip
    return seconds


#: The credentials as the core uses them: ``quoted_key_id`` and
#: ``quoted_token`` are ``U()`` of the id and the token (for presigned URLs);
#: ``sha1`` and ``sha256`` the :func:`_hmac_key` pads of the secret;
#: ``expires_at`` the expiration in epoch seconds, or None.
_SigningCredentials = namedtuple("_SigningCredentials", "credentials key_id secret token quoted_key_id "
                                 "quoted_token sha1 sha256 expires_at")  # fmt: skip


def _signing_credentials(creds):
    token, expiration = creds.security_token, creds.expiration
    secret = creds.access_key_secret.encode()
    return _SigningCredentials(creds, creds.access_key_id, creds.access_key_secret, token,
                               _quote(creds.access_key_id), _quote(token) if token else None,
                               _hmac_key(secret, "sha1"), _hmac_key(secret, "sha256"),
                               None if expiration is None else expiration.timestamp())  # fmt: skip


def _canonical_query(pairs, auth=""):
    """§3.3, §4.3: the caller's raw pairs as ``U(D(piece))`` and the ``auth``
    query (encoded, in canonical order), sorted, ``k=v`` or ``k``, joined by
    ``&``. Without caller pairs the auth query is the canonical query."""
    if not pairs:
        return auth
    encoded = [(_requote(k), _requote(v)) for k, v in pairs]
    if auth:
        encoded.extend(_split_query(auth))
    encoded.sort()
    return "&".join([k + "=" + v if v else k for k, v in encoded])


# -- V1 (SPEC.md §2) ----------------------------------------------------------


def _v1_canonical_headers(headers):
    """§2.2: the ``x-oss-*`` header names, sorted."""
    names = []
    for name in headers:
        if name.startswith("x-oss-"):
            names.append(name)
    names.sort()
    return names


def _v1_canonical_resource(resource, raw_pairs, token=None):
    """§2.3: RP plus the sorted sub-resources (query mode: and the token)."""
    subs = []
    for key, value in raw_pairs:
        if key in _SUBRESOURCES or "%" in key:
            key = _unquote(key, "query")
            if key in _SUBRESOURCES:
                subs.append((key, _unquote(value, "query")))
    if token is not None:
        subs.append(("security-token", token))
    if not subs:
        return resource
    subs.sort()
    return resource + "?" + "&".join([k + "=" + v if v else k for k, v in subs])


def _v1_string_to_sign(method, headers, names, date, resource):
    """§2.1: method, MD5, type, date (or expiry), ``x-oss-*`` lines, resource."""
    lines = [method, headers.get("content-md5", ""), headers.get("content-type", ""), date]
    for name in names:
        lines.append(f"{name}:{headers[name]}")
    lines.append(resource)
    return "\n".join(lines)


def _v1_signature(ids, string_to_sign):
    """§2.1: base64 HMAC-SHA1 with the secret."""
    return binascii.b2a_base64(_hmac(ids.sha1, string_to_sign), newline=False).decode()


def _v1_auth_query(ids, expires_at, signature):
    """§2.6."""
    query = f"OSSAccessKeyId={ids.quoted_key_id}&Expires={expires_at}"
    if ids.token:
        query += "&security-token=" + ids.quoted_token
    return query + "&Signature=" + _quote_base64(signature)


# -- V2 (SPEC.md §3) ----------------------------------------------------------


def _v2_signed_headers(headers, additional):
    """§3.1-3.2 -> (every ``x-oss-*`` name and the additional ones, sorted;
    the additional ones): the listed names the request has, less the
    always-signed ones."""
    extra = []
    for name in additional:
        if name in headers and name not in _NOT_ADDITIONAL and not name.startswith("x-oss-"):
            extra.append(name)
    names = _v1_canonical_headers(headers)
    if extra:
        names += extra
        names.sort()
    return names, extra


def _v2_canonical_resource(resource, pairs, auth=""):
    """§3.3: ``U(RP)``, then ``?`` and the canonical query of every parameter."""
    if not pairs and not auth:
        return _quote(resource)
    return _quote(resource) + "?" + _canonical_query(pairs, auth)


def _v2_string_to_sign(method, headers, names, extra, date, resource):
    """§3.1: V1's lines, with the additional header names on one before the resource."""
    return _v1_string_to_sign(method, headers, names, date, ";".join(extra) + "\n" + resource)


def _v2_signature(ids, string_to_sign):
    """§3.1: base64 HMAC-SHA256 with the secret."""
    return binascii.b2a_base64(_hmac(ids.sha256, string_to_sign), newline=False).decode()


def _v2_auth_query(ids, expires_at, extra):
    """§3.5 in canonical (sorted) order, before the signature."""
    query = f"security-token={ids.quoted_token}&" if ids.token else ""
    query += "x-oss-access-key-id=" + ids.quoted_key_id
    if extra:
        query += "&x-oss-additional-headers=" + _quote(";".join(extra))
    return query + f"&x-oss-expires={expires_at}&x-oss-signature-version=OSS2"


# -- V4 (SPEC.md §4) ----------------------------------------------------------


def _v4_signed_headers(headers, additional):
    """§4.4 -> (signed names, additional names), each sorted. ``additional``
    None signs every header given (the default of ``sign()``)."""
    names, extra = [], []
    for name in headers:
        if name.startswith("x-oss-") or name == "content-type" or name == "content-md5":
            names.append(name)
        elif (additional is None or name in additional) and headers[name] and name not in _NOT_ADDITIONAL:
            names.append(name)
            extra.append(name)
    names.sort()
    extra.sort()
    return names, extra


def _v4_canonical_request(method, uri, query, headers, names, extra):
    """§4.1; the payload line is always UNSIGNED-PAYLOAD."""
    lines = [method, uri, query]
    for name in names:
        lines.append(f"{name}:{headers[name]}")
    lines.append("")
    lines.append(";".join(extra))
    lines.append(_UNSIGNED_PAYLOAD)
    return "\n".join(lines)


def _v4_scope(date, region, product):
    """§4.5: ``<date>/<region>/<product>/aliyun_v4_request``."""
    return f"{date}/{region}/{product}/{_V4_TERMINATOR}"


def _v4_signing_key(secret, date, region, product):
    """§4.5: HMAC chain from ``"aliyun_v4" + secret`` over date, region, product."""
    key = hmac.digest(("aliyun_v4" + secret).encode("utf-8"), date.encode("utf-8"), "sha256")
    key = hmac.digest(key, region.encode("utf-8"), "sha256")
    key = hmac.digest(key, product.encode("utf-8"), "sha256")
    return hmac.digest(key, _V4_TERMINATOR.encode("ascii"), "sha256")


def _v4_string_to_sign(iso_now, scope, canonical_request):
    """§4.5."""
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{_V4_ALGORITHM}\n{iso_now}\n{scope}\n{digest}"


def _v4_signature(key, string_to_sign):
    """§4.5: lower-hex HMAC-SHA256 with the signing key (its pads)."""
    return _hmac(key, string_to_sign).hex()


def _v4_auth_query(ids, quoted_scope, iso_now, expires, extra):
    """§4.7 in canonical (sorted) order, before the signature."""
    query = f"x-oss-credential={ids.quoted_key_id}%2F{quoted_scope}&x-oss-date={iso_now}&x-oss-expires={expires}"
    if extra:
        query = f"x-oss-additional-headers={_quote(';'.join(extra))}&{query}"
    if ids.token:
        query += "&x-oss-security-token=" + ids.quoted_token
    return query + "&x-oss-signature-version=" + _V4_ALGORITHM


# -- each version's steps in order -------------------------------------------
#
# _vN_sign(...) -> (canonical request or None, string to sign, signed names,
# scope or None, signature, output): ``output`` is the headers to add in
# header mode, the query to append in query mode. ``headers`` is the request's
# lower-cased header dict without the headers the signer sets; header mode
# adds them to it (it is the signer's own copy). ``ids`` is a
# _SigningCredentials; ``memo`` the Signer's dict for _signed_names.


def _signed_names(memo, step, headers, *args):
    """``step(headers, *args)``, the signed header names, kept in ``memo``
    (bounded) per tuple of names and ``args``: a signer's requests mostly
    repeat their header names, and picking and sorting them is a Python loop
    (~8,000 instructions for 7 headers against ~3,000 for the look-up). The
    result is never mutated. A request with an empty value is worked out
    afresh: V4 leaves such headers out (§4.4)."""
    if "" in headers.values():
        return step(headers, *args)
    key = (step, tuple(headers), args)
    found = memo.get(key)
    if found is None:
        if len(memo) >= 256:
            memo.clear()
        found = memo[key] = step(headers, *args)
    return found


def _v1_sign(method, resource, pairs, headers, ids, date, query_mode, memo):
    """V1 (§2): ``date`` is the HTTP date, or in query mode ``expires_at``."""
    token = ids.token
    if query_mode:
        resource = _v1_canonical_resource(resource, pairs, token)
    else:
        if token:
            headers["x-oss-security-token"] = token
        resource = _v1_canonical_resource(resource, pairs) if pairs else resource
    names = _signed_names(memo, _v1_canonical_headers, headers)
    # A caller's x-oss-date stands on the date line in place of Date's (oss2
    # and alibabacloud-oss-v2; OSS's V1 page: x-oss-date wins).
    line4 = date if query_mode else headers.get("x-oss-date") or date
    string_to_sign = _v1_string_to_sign(method, headers, names, line4, resource)
    signature = _v1_signature(ids, string_to_sign)
    if query_mode:
        output = _v1_auth_query(ids, date, signature)
    else:
        output = {"Date": date}
        if token:
            output["x-oss-security-token"] = token
        output["Authorization"] = f"OSS {ids.key_id}:{signature}"  # §2.5
    return None, string_to_sign, names, None, signature, output


def _v2_sign(method, resource, pairs, headers, ids, date, query_mode, additional, memo):
    """V2 (§3): as V1; ``additional`` None is the mode's default (§3.2)."""
    token = ids.token
    if additional is None:
        additional = () if query_mode else _V2_DEFAULT_ADDITIONAL
    if token and not query_mode:
        headers["x-oss-security-token"] = token
    names, extra = _signed_names(memo, _v2_signed_headers, headers, additional)
    auth = _v2_auth_query(ids, date, extra) if query_mode else ""
    resource = _v2_canonical_resource(resource, pairs, auth)
    string_to_sign = _v2_string_to_sign(method, headers, names, extra, date, resource)
    signature = _v2_signature(ids, string_to_sign)
    if query_mode:
        output = auth + "&x-oss-signature=" + _quote_base64(signature)
    else:
        output = {"Date": date}
        if token:
            output["x-oss-security-token"] = token
        listed = f"AdditionalHeaders:{';'.join(extra)}," if extra else ""  # §3.4
        output["Authorization"] = f"OSS2 AccessKeyId:{ids.key_id},{listed}Signature:{signature}"
    return None, string_to_sign, names, None, signature, output


def _v4_sign(method, resource, pairs, headers, ids, key, scope, quoted_scope, iso_now, expires, additional, memo):
    """V4 (§4) with the signing ``key`` of ``scope``; ``expires`` None is header mode."""
    if expires is None:
        output = {"x-oss-date": iso_now, "x-oss-content-sha256": _UNSIGNED_PAYLOAD}
        if ids.token:
            output["x-oss-security-token"] = ids.token
        headers.update(output)
    elif "x-oss-content-sha256" in headers:
        headers["x-oss-content-sha256"] = _UNSIGNED_PAYLOAD  # §4.4: rewritten, signed
    names, extra = _signed_names(memo, _v4_signed_headers, headers, additional)
    auth = _v4_auth_query(ids, quoted_scope, iso_now, expires, extra) if expires is not None else ""
    query = _canonical_query(pairs, auth)
    uri = _quote_path(resource)  # §4.2: U/(RP)
    canonical_request = _v4_canonical_request(method, uri, query, headers, names, extra)
    string_to_sign = _v4_string_to_sign(iso_now, scope, canonical_request)
    signature = _v4_signature(key, string_to_sign)
    if expires is None:
        listed = f",AdditionalHeaders={';'.join(extra)}" if extra else ""  # §4.6
        credential = f"{ids.key_id}/{scope}"
        output["Authorization"] = f"{_V4_ALGORITHM} Credential={credential}{listed},Signature={signature}"
    else:
        output = auth + "&x-oss-signature=" + signature
    return canonical_request, string_to_sign, names, scope, signature, output


# ==== Signer ================================================================


class SignedRequest(namedtuple("SignedRequest", "method url headers")):
    """A signed request: ``method`` (upper case), ``url`` and ``headers``, a
    new dict of the caller's headers plus the signing ones. ``repr()`` masks
    the security token and shows at most the last 4 characters of the key id.
    """

    __slots__ = ()

    def __repr__(self):
        return _masked_repr("SignedRequest(method=%r, url=%r, headers=%r)" % tuple(self), self)


class SigningDetails(namedtuple("SigningDetails", "version request canonical_request string_to_sign "
                                                  "signed_headers scope signature")):  # fmt: skip
    """What :meth:`Signer.explain` signed (API.md): the :class:`SignedRequest`,
    the V4 canonical request and scope (``None`` for V1 and V2), the string to
    sign, the sorted names of the headers whose values are signed, and the
    signature. ``repr()`` masks as :class:`SignedRequest`'s does.
    """

    __slots__ = ()

    def __repr__(self):
        fields = ", ".join("%s=%r" % pair for pair in zip(self._fields, self))
        return _masked_repr("SigningDetails(%s)" % fields, self.request)


def _copy_headers(headers, drop=()):
    """A new dict of the caller's headers, less the names in ``drop`` (in any case)."""
    if not drop:
        return dict(headers) if headers else {}
    items = headers.items() if hasattr(headers, "items") else headers
    return {name: value for name, value in items if name.lower() not in drop}


def _swap_signing_headers(stores, names, signed=None, set_header=None):
    """Remove the headers ``names`` (lower case) from each of ``stores`` in any
    case, then set those of ``signed`` with ``set_header`` (default: into the
    first store). Every hook that signs an HTTP library's request does this."""
    for store in stores:
        for key in {key for key in store if key.lower() in names}:
            store.pop(key, None)  # a multidict drops every spelling at once
    if signed:
        set_header = set_header or stores[0].__setitem__
        for name, value in signed.items():
            if name.lower() in names:
                set_header(name, value)


#: ``presign(expires=None)``: the expiry comes from the signature's own clock
#: read and credentials (one of each), see Signer._default_expires.
_DEFAULT_EXPIRY = object()

_PROVIDER_KINDS = ("a credential provider (an object with provide(context)), a CredentialCache, "
                   "a Credentials, or a tuple (access_key_id, access_key_secret[, security_token])")


def _as_cache(provider, context):
    """``Signer``'s ``provider`` argument -> the CredentialCache it signs with."""
    if isinstance(provider, CredentialCache):
        return provider
    if provider is None:
        provider = DefaultCredentialProvider()
    elif isinstance(provider, Credentials):
        creds, provider = provider, StaticCredentialProvider(provider.access_key_id, provider.access_key_secret)
        provider._credentials = creds  # with its token and expiration
    elif isinstance(provider, tuple):
        # The values are never echoed: they hold the secret.
        if len(provider) not in (2, 3) or not all(isinstance(v, str) or v is None for v in provider):
            raise TypeError("provider tuple must be (access_key_id, access_key_secret[, security_token]) "
                            "of str, got a tuple of %d items" % len(provider))  # fmt: skip
        provider = StaticCredentialProvider(*provider)
    elif not callable(getattr(provider, "provide", None)):
        raise TypeError("provider must be %s; got %s" % (_PROVIDER_KINDS, type(provider).__name__))
    return CredentialCache(provider, context)


def _check_urllib_request(request):
    """TypeError unless ``request`` is a urllib.request.Request (nothing is
    imported: one exists only once its module is loaded)."""
    urllib_request = sys.modules.get("urllib.request")
    if urllib_request is None or not isinstance(request, urllib_request.Request):
        kind = type(request)
        raise TypeError("sign_request() signs a urllib.request.Request, got %s.%s; for requests and httpx "
                        "pass the signer as auth=signer (requests.get(url, auth=signer)), for aiohttp use "
                        "ClientSession(middlewares=[signer.aiohttp_middleware])"
                        % (kind.__module__, kind.__qualname__))  # fmt: skip


class Signer:
    """Signs OSS requests with V1, V2 or V4, as a header or a presigned URL.

    ``bucket`` and ``region`` may be omitted when the URL host is a standard
    OSS endpoint. ``provider`` defaults to :class:`DefaultCredentialProvider`
    and is wrapped in a :class:`CredentialCache` unless it already is one.
    ``additional_headers`` names headers to sign beyond the ones every version
    signs (``None`` keeps each version's default; see the README).
    ``product`` is ``"oss"``, ``"oss-cloudbox"``, ``"oss-vectors"`` or
    ``"oss-tables"``; the last two (V4 only) need ``account_id`` unless the
    host carries it (``<bucket>-<account-id>.<region>.oss-vectors.aliyuncs.com``),
    and such a host selects its product by itself.
    """

    def __init__(self, bucket: Optional[str] = None, provider: Any = None, *, region: Optional[str] = None,
                 version: str = "v4", context: Optional[Context] = None, product: str = "oss",
                 additional_headers: Optional[Iterable[str]] = None,
                 account_id: Optional[str] = None) -> None:  # fmt: skip
        version = str(version).lower()
        if version not in _VERSIONS:
            raise ValueError("version must be one of v1, v2, v4, got %r" % version)
        if product not in _PRODUCTS:
            raise ValueError("product must be one of %s, got %r" % (", ".join(_PRODUCTS), product))
        if product in _ARN_PRODUCTS and version != "v4":
            raise SigningError("%s requests are signed with V4 only: use version='v4', not %r"
                               % (_ARN_PRODUCTS[product].title, version))  # fmt: skip
        if account_id is not None:
            account_id = str(account_id).strip()
            if not (account_id.isdigit() and account_id.isascii()):
                raise SigningError("account_id must be the Alibaba Cloud account id (digits only)")
        if region is not None:
            region = str(region).strip()
            region = _region_id(region) if region else None  # V4 signs the plain region id
        self.bucket = bucket or None
        self.region = region
        self.version = version
        self.product = product
        #: The account id OSS Vectors and OSS Tables requests name (or None).
        self.account_id = account_id
        self.context = context or Context()
        self.additional_headers = _names(additional_headers)
        self.provider = _as_cache(provider, self.context)
        #: Seconds added to the context clock for every signing time: OSS's
        #: clock minus this machine's (see correct_clock). Settable.
        self.clock_offset = 0.0
        self._hosts: dict = {}  # "scheme://netloc" -> _HostPlan
        self._keys: dict = {}  # (secret, date, region, product) -> (HMAC pads of the V4 key, scope, U(scope))
        self._clock: tuple = (None, None, None)  # (second, HTTP date, ISO basic time), replaced whole
        self._header_names: dict = {}  # header name -> lower case, for names found valid
        self._names: dict = {}  # (step, header names, additional) -> the signed names, see _signed_names
        self._last_ids: Optional[_SigningCredentials] = None  # of the last credentials, replaced whole

    def __repr__(self):
        return "Signer(bucket=%r, region=%r, version=%r, product=%r)" % (
            self.bucket, self.region, self.version, self.product)

    # -- public API ---------------------------------------------------------

    def sign(self, method: str, url: str, headers: Optional[Mapping[str, str]] = None, *,
             expires: Union[int, timedelta, None] = None,
             additional_headers: Optional[Iterable[str]] = None) -> SignedRequest:
        """Sign a request: header signing, or with ``expires`` (seconds or a
        ``timedelta``) a presigned URL, whose query then also carries the
        ``x-oss-callback``/``-var`` headers of :func:`callback`. ``url``'s path
        and query must be percent-encoded exactly once. Nothing passed in is
        mutated.

        Raises:
            SigningError: the request cannot be signed as given.
            CredentialError: no credentials could be had.
        """
        return self._sign(method, url, headers, expires, additional_headers)[0]

    def explain(self, method: str, url: str, headers: Optional[Mapping[str, str]] = None, *,
                expires: Union[int, timedelta, None] = None,
                additional_headers: Optional[Iterable[str]] = None) -> SigningDetails:
        """Sign exactly as :meth:`sign` would and return the
        :class:`SigningDetails` of the steps that signed it."""
        request, steps, lowered = self._sign(method, url, headers, expires, additional_headers)
        canonical_request, string_to_sign, names, scope, signature, _ = steps
        if self.version != "v4":  # the values of lines 2-4 are signed too
            names = set(names).union({"content-md5", "content-type"}.intersection(lowered))
            if expires is None:
                names.add("date")
        return SigningDetails(self.version, request, canonical_request, string_to_sign, tuple(sorted(names)),
                              scope, signature)  # fmt: skip

    def presign(self, url: str, *, method: str = "GET", expires: Union[int, timedelta, None] = None,
                headers: Optional[Mapping[str, str]] = None,
                additional_headers: Optional[Iterable[str]] = None) -> str:
        """Return a presigned URL valid for ``expires`` seconds or a ``timedelta``.

        ``None`` is one hour, or until shortly before the credentials end if
        sooner; an ``expires`` they cannot cover is a SigningError naming the
        longest that works.
        """
        chosen = _DEFAULT_EXPIRY if expires is None else expires
        return self._sign(method, url, headers, chosen, additional_headers)[0].url

    def credentials(self) -> Credentials:
        """The cached credentials the next signature would use."""
        now = self.context.clock()
        return self.provider.get_for_signing(now + _HEADER_HEADROOM, now, self.context)

    def correct_clock(self, error_body: Union[bytes, str]) -> float:
        """Follow OSS's clock from a ``RequestTimeTooSkewed`` error body: set
        :attr:`clock_offset` to its ``ServerTime`` minus this signer's clock and
        return it (seconds). :class:`SigningHandler` and the ``requests`` hook
        do this themselves on such a 403 and send the request once more.

        Raises:
            ValueError: not an OSS error document with a ``ServerTime`` (the
                offset is left as it was).
        """
        offset = _server_time(error_body) - self.context.clock()
        self.clock_offset = offset
        return offset

    def sign_request(self, request: Any, *, expires: Union[int, timedelta, None] = None) -> Any:
        """Sign a :class:`urllib.request.Request` in place (its headers, or with
        ``expires`` its URL) and return it. A body without Content-Type gets
        urllib's default type set first, so that what is signed is what is sent.
        """
        _check_urllib_request(request)
        headers = dict(request.header_items())
        default_type = request.data is not None and not any(k.lower() == "content-type" for k in headers)
        if default_type:
            headers["Content-type"] = "application/x-www-form-urlencoded"
        signed = self._sign(request.get_method(), request.full_url, headers, expires, hook=True)[0]
        # Only now that signing succeeded is the request changed.
        if default_type:
            request.add_unredirected_header("Content-type", "application/x-www-form-urlencoded")
        if expires is not None:
            request.full_url = signed.url
        else:
            # Unredirected: urllib copies request.headers into a redirect (to
            # any host, or to http after https); these stay with this request.
            _swap_signing_headers((request.headers, request.unredirected_hdrs), _SIGNER_HEADERS[self.version],
                                  signed.headers, request.add_unredirected_header)  # fmt: skip
        return request

    def __call__(self, request: Any) -> Any:
        """Auth hook for ``requests`` and ``httpx`` (``auth=signer``): header
        signing of the request. On a ``requests`` request it also registers a
        response hook: a redirect is followed without the signing headers and
        a 403 RequestTimeTooSkewed is sent again once, at OSS's time.
        """
        headers = request.headers
        signed = self._sign(request.method, str(request.url), dict(headers.items()), None, hook=True)[0]
        _swap_signing_headers((headers,), _SIGNER_HEADERS[self.version], signed.headers)
        hooks = getattr(request, "hooks", None)
        if isinstance(hooks, dict) and self._response_hook not in hooks.get("response", ()):
            request.register_hook("response", self._response_hook)  # requests
        return request

    async def aiohttp_middleware(self, request: Any, handler: Any) -> Any:
        """aiohttp (3.12 or newer) client middleware that header-signs every
        request: ``aiohttp.ClientSession(middlewares=[signer.aiohttp_middleware])``.
        A credential fetch or renewal runs in a worker thread, never on the
        event loop. aiohttp is not imported.
        """
        return await _aiohttp_sign(self, request, handler)

    def post_policy(self, key: Optional[str] = None, *, key_prefix: Optional[str] = None,
                    expires: Union[int, timedelta, None] = None, conditions: Iterable[Any] = (),
                    fields: Optional[Mapping[str, str]] = None, endpoint: Optional[str] = None,
                    callback: Optional[Mapping[str, str]] = None, allow_any_key: bool = False) -> dict:  # fmt: skip
        """Sign a POST policy for a browser form upload (PostObject).

        Give ``key`` (exact object key) or ``key_prefix`` (any key under it; the
        form's key field becomes ``prefix + "${filename}"``). An empty prefix,
        any key in the bucket, needs ``allow_any_key=True``. A policy without
        a ``content-length-range`` condition is signed with a logged warning. ``conditions`` are
        extra policy conditions such as ``["content-length-range", 0, 10485760]``
        or ``["starts-with", "$Content-Type", "image/"]``; ``fields`` are extra
        form fields, each also required by an exact-match condition unless a
        condition already names it. Returns ``{"url": action, "fields": {...}}``
        with the fields in the order a form sends them (the file goes last).
        ``expires`` works as in :meth:`presign`: ``None`` is one hour, or
        until shortly before the credentials end when they end sooner.
        ``callback`` is the dict :func:`callback` returns: its ``callback``
        field and ``x:`` variables join the form, each bound by a condition.
        """
        return _post_policy(self, key, key_prefix, expires, conditions, fields, endpoint, callback, allow_any_key)

    # -- the steps around the core ------------------------------------------

    def _response_hook(self, response, *args, **kwargs):
        """``requests`` response hook: a redirect is followed without the
        signing headers; a RequestTimeTooSkewed is sent again once."""
        return _resend_skewed(self, _unsign_redirect(response), kwargs)

    def _default_expires(self, now, what="a presigned URL"):
        """``expires=None`` at clock time ``now`` -> (seconds, :meth:`_credentials`):
        one hour, or until shortly before the credentials end if sooner."""
        ids = self._credentials(now + _HEADER_HEADROOM, now, False)
        end = ids.expires_at
        if end is None or end - now - _EXPIRY_MARGIN >= _DEFAULT_EXPIRES:
            return _DEFAULT_EXPIRES, ids
        seconds = int(end - now - _EXPIRY_MARGIN)
        if seconds < 1:
            raise SigningError("the credentials expire at %s, too soon for %s"
                               % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)), what))  # fmt: skip
        return seconds, ids

    def _credentials(self, need, now, query_mode, what="the presigned URL"):
        """Credentials valid until ``need`` as the core takes them: a
        _SigningCredentials, encoded once per credentials."""
        try:
            creds = self.provider.get_for_signing(need, now, self.context)
        except _ShortCredentials as exc:
            if query_mode:
                end = exc.expires_at
                longest = int(end - now - _EXPIRY_MARGIN)
                hint = ("the longest expiry that works is %d seconds (leaving the expiry unset picks it)" % longest
                        if longest >= 1 else "they are too short-lived for any")  # fmt: skip
                raise SigningError("%s would outlive its credentials: it would last %d seconds, they expire at %s "
                                   "(in %d seconds); %s"
                                   % (what, need - int(now), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)),
                                      int(end - now), hint)) from None  # fmt: skip
            raise
        ids = self._last_ids
        if ids is None or ids.credentials is not creds:
            ids = self._last_ids = _signing_credentials(creds)
        return ids

    def _parse(self, url):
        """§1.2: url -> (host plan, path, query)."""
        if url.__class__ is not str:
            raise SigningError("url must be a str, got %s" % type(url).__name__)
        # Requests of one signer mostly share "scheme://netloc": its split,
        # checks and plan are kept, and only the path and query are checked
        # and split per call. The first "/" after "http://" or "https://"
        # ends the prefix; a URL of another shape takes the full split.
        given = (self.bucket, self.region, self.product, self.account_id)
        slash = url.find("/", 8)
        plan = self._hosts.get(url[:slash]) if slash > 0 else None
        if plan is not None and plan.given == given:
            rest = url[slash:]
            _check_url_text(rest)
            path, query = _split_path_query(rest)
        else:
            if not url.isascii() and not url.partition("://")[2].partition("/")[0].isascii():
                raise SigningError("URL host %r is not ASCII: IDNA-encode it (str.encode('idna'))"
                                   % url.partition("://")[2].partition("/")[0])  # fmt: skip
            _check_url_text(url)
            scheme, netloc, host, path, query = _split_url(url)
            plan = _host_plan(scheme, netloc, host, given)
            if slash > 0 and url[:slash] == plan.prefix:
                if len(self._hosts) > 256:
                    self._hosts.clear()
                self._hosts[url[:slash]] = plan
            path = path or "/"
        if len(query) > 65536:
            raise SigningError("URL query is longer than 65536 characters")
        return plan, path, query

    def _times(self, now):
        """(HTTP date, ISO basic time) of ``now``, formatted once per second."""
        second, http_date, iso_now = self._clock
        if second != now:
            http_date, iso_now = _http_date(now), _iso_basic(now)
            self._clock = (now, http_date, iso_now)
        return http_date, iso_now

    def _signing_key(self, secret, date, region, product):
        """(HMAC pads of the V4 signing key, scope, U(scope)), derived once
        per (secret, date, region, product)."""
        cache_key = (secret, date, region, product)
        found = self._keys.get(cache_key)
        if found is None:
            if len(self._keys) >= 8:
                self._keys.clear()
            scope = _v4_scope(date, region, product)
            key = _hmac_key(_v4_signing_key(secret, date, region, product), "sha256")
            found = self._keys[cache_key] = (key, scope, _quote(scope))
        return found

    def _sign(self, method, url, headers, expires, additional_headers=None, hook=False):
        """-> (SignedRequest, the core's steps, the headers signed). ``hook``:
        an HTTP library's request, whose headers include ones the library
        added (V4 then signs only the names the Signer was given, API.md) and
        whose callback headers stay headers."""
        version = self.version
        if additional_headers is not None:
            additional = _names(additional_headers)
        elif hook and version == "v4" and self.additional_headers is None:
            additional = ()
        else:
            additional = self.additional_headers
        query_mode = expires is not None
        if query_mode and headers and not hook:
            url, headers = _callback_query(url, headers)  # a presigned URL carries the callback itself
        if method.__class__ is not str or not (method.isascii() and method.isalpha()):  # §2.1 line 1
            raise SigningError("method must be an HTTP method name, got %r" % (method,))
        method = method.upper()
        plan, path, query = self._parse(url)
        if version == "v4":
            if not plan.region:
                raise SigningError("V4 signing needs a region: pass region= to Signer (none can be inferred "
                                   "from host %r)" % plan.prefix.split("://", 1)[1])  # fmt: skip
        elif plan.arn is not None:
            raise SigningError("%s requests are signed with V4 only: use Signer(..., version='v4'), not %r"
                               % (plan.arn.title, version))  # fmt: skip
        if query_mode and expires is not _DEFAULT_EXPIRY:
            expires = _expires_seconds(expires, version)
        lowered = _lower_headers(headers, self._header_names) if headers else {}
        clock_now = self.context.clock()
        if expires is _DEFAULT_EXPIRY:
            expires, ids = self._default_expires(clock_now)
        else:
            need = int(clock_now) + (expires if query_mode else _HEADER_HEADROOM)
            ids = self._credentials(need, clock_now, query_mode)
        # The signing time follows OSS's clock (clock_offset); credentials
        # expire by this machine's, which is the one the cache reads.
        offset = self.clock_offset
        now = int(clock_now + offset) if offset else int(clock_now)
        if query_mode:
            query = _unsigned_query(query, _AUTH_PARAMS[version]) if query else query
            replaced = _CONTENT_SHA256.intersection(lowered) if version == "v4" else ()
        else:
            replaced = _SIGNER_HEADERS[version].intersection(lowered)
            for name in replaced:
                del lowered[name]
        if additional and "host" in additional and "host" not in lowered:
            lowered["host"] = plan.prefix.partition("://")[2]  # the Host that will be sent
        resource = _resource_path(plan, path)
        pairs = _split_query(query) if query else ()
        http_date, iso_now = self._times(now)
        if version == "v4":
            key, scope, quoted_scope = self._signing_key(ids.secret, iso_now[:8], plan.region, plan.product)
            steps = _v4_sign(method, resource, pairs, lowered, ids, key, scope, quoted_scope, iso_now, expires,
                             additional, self._names)  # fmt: skip
        else:
            date = str(now + expires) if query_mode else http_date
            if version == "v2":
                steps = _v2_sign(method, resource, pairs, lowered, ids, date, query_mode, additional, self._names)
            else:
                steps = _v1_sign(method, resource, pairs, lowered, ids, date, query_mode, self._names)
        output = steps[-1]
        signed = _copy_headers(headers, replaced)
        base = plan.prefix + path
        if query_mode:
            url = base + "?" + query + "&" + output if query else base + "?" + output
            if replaced:  # the caller's x-oss-content-sha256, in whatever case, becomes what was signed
                signed["x-oss-content-sha256"] = _UNSIGNED_PAYLOAD
        else:
            url = base + "?" + query if query else base
            signed.update(output)
        return SignedRequest(method, url, signed), steps, lowered


def _post_policy(signer, key, key_prefix, expires, conditions, fields, endpoint, callback=None, allow_any_key=False):
    import json

    if (key is None) == (key_prefix is None):
        raise SigningError("post_policy needs exactly one of key and key_prefix")
    if key_prefix == "" and not allow_any_key:
        raise SigningError("key_prefix='' allows uploads to any key in the bucket; pass allow_any_key=True "
                           "if that is meant")  # fmt: skip
    if signer.version == "v2":
        raise SigningError("POST policies are signed with V1 or V4, not V2")
    if signer.product in _ARN_PRODUCTS:
        raise SigningError("%s has no browser (POST) uploads: post_policy is for OSS buckets"
                           % _ARN_PRODUCTS[signer.product].title)  # fmt: skip
    bucket = signer.bucket
    if not bucket:
        raise SigningError("post_policy needs a Signer with a bucket")
    region = signer.region
    if signer.version == "v4" and not region:
        raise SigningError("V4 POST policies need a region: pass region= to Signer")
    if region is None and endpoint is None:
        raise SigningError("post_policy needs a region or an endpoint for the form's URL")
    url = object_url(bucket, "", region, endpoint=endpoint)
    clock_now = signer.context.clock()
    if expires is None:
        expires, ids = signer._default_expires(clock_now, "a POST policy")
    else:
        expires = _expires_seconds(expires, signer.version)
        ids = signer._credentials(int(clock_now) + expires, clock_now, True, "the POST policy")
    now = int(clock_now + signer.clock_offset)
    token = ids.token
    expiration = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + expires))
    form = {"key": key if key is not None else key_prefix + "${filename}"}
    conds = [{"bucket": bucket}]
    conds.append(["eq", "$key", key] if key is not None else ["starts-with", "$key", key_prefix])
    named = set()
    for cond in conditions or ():
        if isinstance(cond, dict):
            named.update(str(k).lower() for k in cond)
        elif isinstance(cond, (list, tuple)) and len(cond) == 3:
            if isinstance(cond[1], str):
                named.add(cond[1].lstrip("$").lower())
        else:
            raise SigningError("each condition must be a dict or a 3-item list, got %r" % (cond,))
        conds.append(list(cond) if isinstance(cond, tuple) else cond)
    if not any(isinstance(c, list) and str(c[0]).lower() == "content-length-range" for c in conds):
        _logger().warning("POST policy for bucket %s has no content-length-range condition: "
                          "the form accepts uploads of any size", bucket)  # fmt: skip
    for name, value in (fields or {}).items():
        if name.lower() in ("key", "policy", "signature", "ossaccesskeyid", "file") or \
                name.lower().startswith(("x-oss-signature", "x-oss-credential", "x-oss-date")):  # fmt: skip
            raise SigningError("field %r is set by post_policy" % name)
        form[name] = str(value)
        if name.lower() not in named:
            conds.append({name: str(value)})
    for name, value in (_callback_fields(callback) if callback is not None else {}).items():
        if any(name.lower() == other.lower() for other in form):
            raise SigningError("field %r is set both by fields= and by callback=" % name)
        form[name] = value
        conds.append({name: value})
    auth = {}
    if signer.version == "v4":
        date = time.strftime("%Y%m%d", time.gmtime(now))
        iso = _iso_basic(now)
        credential = "%s/%s" % (ids.key_id, _v4_scope(date, region, signer.product))
        auth = {"x-oss-signature-version": _V4_ALGORITHM, "x-oss-credential": credential, "x-oss-date": iso}
        conds.extend({k: v} for k, v in auth.items())
    if token:
        auth["x-oss-security-token"] = token
        conds.append({"x-oss-security-token": token})
    document = json.dumps({"expiration": expiration, "conditions": conds}, separators=(",", ":"))
    policy = _b64(document.encode("utf-8")).decode("ascii")
    if signer.version == "v4":  # the core's key and signature, with the policy as the string to sign
        pads = _hmac_key(_v4_signing_key(ids.secret, date, region, signer.product), "sha256")
        form.update(auth)
        form["policy"] = policy
        form["x-oss-signature"] = _v4_signature(pads, policy)
    else:
        form["OSSAccessKeyId"] = ids.key_id
        form.update(auth)
        form["policy"] = policy
        form["Signature"] = _v1_signature(ids, policy)
    return {"url": url, "fields": form}


# ==== Diagnostics ===========================================================
#
# For SignatureDoesNotMatch, OSS's <Error> document holds the string it
# computed (StringToSign, its exact bytes in StringToSignBytes, for V4 the
# CanonicalRequest); Alibaba's guide ("Troubleshoot signature errors",
# help/doc-detail/108790) says to compare it with the client's, and diagnose()
# does, naming the first differing line by what it means. The body comes from
# the network or a paste: at most 1 MiB of UTF-8, and any "<!" markup but a
# comment or CDATA (a DTD, an entity declaration: never in OSS's documents) is
# refused before the parser (xml.etree, imported on first use) sees it, which
# rules out entity expansion ("billion laughs") and external entities.

_ERROR_BODY_LIMIT = 1 << 20  #: diagnose() and correct_clock() read at most 1 MiB

#: What OSS usually means by the error codes that are not about the signature.
_ERROR_CAUSES = {
    "InvalidAccessKeyId": "OSS does not know this access key id: it is mistyped, disabled or deleted, or "
                          "belongs to another account; an STS key id (STS.*) also needs its security token.",
    "SecurityTokenExpired": "the STS security token has expired: get new credentials (a cached Signer "
                            "refreshes them; a presigned URL cannot outlive the token that signed it).",
    "InvalidSecurityToken": "the security token does not belong to this access key id, or was cut short: "
                            "pass the token that came with the key id.",
    "AccessDenied": "the credentials are valid but not allowed to do this: check the RAM policy, the bucket "
                    "policy and that the bucket is the one meant.",
}  # fmt: skip
#: The cause a word in the message names, whatever the code.
_MESSAGE_CAUSES = {
    "expired": "the presigned URL has expired (or the clock that signed it is behind OSS's).",
    "region": "the region in the V4 credential scope is not the bucket's: pass the bucket's region "
              "(Signer(region=...), --region) or use the bucket's own endpoint.",
    "product": "the product in the V4 credential scope is not the endpoint's (oss, oss-cloudbox, ...).",
}  # fmt: skip

#: Each kind of line of a string to sign: (its name, the likely cause of a
#: difference in it); "%s" is the header's name.
_LINE_CAUSES = {
    "method": ("the method", "the request was sent with another method than was signed (a redirect can turn "
               "it into GET; a presigned URL is for one method)."),
    "content-md5": ("the Content-MD5", "the Content-MD5 sent is not the one that was signed."),
    "content-type": ("the Content-Type", "the HTTP client sent another Content-Type than was signed (clients "
                     "add one to a request with a body: sign the type it sends, or set the header yourself)."),
    "date": ("the date", "the time OSS read is not the one signed: the request was signed at another time "
             "(the clock differs), or a proxy rewrote the header."),
    "resource": ("the resource (bucket and key)", "a proxy or client re-encoded the path, or the bucket or key "
                 "differs (virtual-hosted or path-style, or a key encoded twice or not at all)."),
    "query": ("the query (sub-resources and parameters)", "the query differs: a client or proxy re-encoded or "
              "reordered it, or a parameter was added after signing."),
    "additional": ("the list of additional headers", "the list of additional signed headers differs."),
    "payload": ("the payload hash", "the payload hash differs (OSS V4 signs UNSIGNED-PAYLOAD)."),
    "algorithm": ("the algorithm", "the signature version differs from the one OSS checked."),
    "scope": ("the credential scope", "the credential scope differs: the date, region or product signed is "
              "not the one OSS expects (pass the bucket's region)."),
    "hash": ("the canonical request's hash", "the canonical requests differ."),
    "added": ("header %s", "header %s reached OSS but was not signed: it was added after signing (by the HTTP "
              "client or a proxy). Sign it, or do not send it."),
    "dropped": ("header %s", "header %s was signed but did not reach OSS: the HTTP client or a proxy dropped it."),
    "changed": ("header %s", "header %s was changed after signing (a client or proxy rewrote or re-encoded its "
                "value)."),
}  # fmt: skip


def _parse_error(body):
    """The child elements of an OSS ``<Error>`` document, as ``{tag: text}``;
    a ValueError for anything else (see the banner), a TypeError for a body
    neither bytes nor str."""
    if isinstance(body, str):
        body = body[:_ERROR_BODY_LIMIT + 1].encode("utf-8", "surrogatepass")  # over 1 MiB stays over
    elif not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("the error body must be bytes or str, got %s" % type(body).__name__)
    body = bytes(body)
    if len(body) > _ERROR_BODY_LIMIT:
        raise ValueError("the error body is more than 1 MiB, more than an OSS error document")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the error body is not UTF-8 text, so not an OSS error document") from None
    text = text.lstrip("\ufeff")
    if text.lstrip()[:14].lower().startswith(("<!doctype html", "<html")):
        raise ValueError("the body is an HTML page, not an OSS error document (a proxy, a portal or a web "
                         "server answered instead of OSS)")  # fmt: skip
    import re

    if re.search(r"<!(?!--|\[CDATA\[)", text):
        raise ValueError("the body holds a DTD or entity declaration, which OSS error documents never "
                         "have; refused without parsing it")  # fmt: skip
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.fromstring(text)  # a str is read as decoded above, whatever encoding it declares
    except ElementTree.ParseError as exc:
        raise ValueError("the body is not well-formed XML (%s), so not an OSS error document" % exc) from None
    if root.tag != "Error":
        raise ValueError("the body is XML but not an OSS error document (its root is <%s>, not <Error>)"
                         % _excerpt(str(root.tag), 40))  # fmt: skip
    fields = {}
    for child in root:
        fields.setdefault(child.tag, child.text or "")  # of a repeated element, the first
    if not fields.get("Code", "").strip():
        raise ValueError("the body is an <Error> document without a Code, not one OSS sends")
    return fields


def _parse_oss_time(text):
    """Epoch seconds of a time as OSS writes it in error bodies, or ``None``."""
    text = (text or "").strip()
    try:
        if len(text) == 16 and text[8] == "T" and text.endswith("Z"):  # 20191102T153031Z: a V4 x-oss-date
            parts = text[:4], text[4:6], text[6:8], text[9:11], text[11:13], text[13:15]
        elif text[:4].isdigit() and text[4:5] == "-":  # 2022-09-04T08:11:37.000Z: ServerTime
            return _parse_expiration(text, "ServerTime").timestamp()
        else:  # Tue, 31 Jul 2018 07:40:44 GMT: a Date header
            _, day, month, year, clock, zone = text.replace(",", " ").split()
            hour, minute, second = clock.split(":")
            if zone != "GMT":
                return None
            parts = year, _MONTHS.index(month), day, hour, minute, second
        from datetime import datetime, timezone

        return datetime(*(int(part) for part in parts), tzinfo=timezone.utc).timestamp()
    except (CredentialError, ValueError, OverflowError):
        return None


def _mask_signed(text, secrets=()):
    """``text`` (a string to sign, a canonical request, a URL) with every
    security token masked and every access key id cut to its last 4
    characters. OSS echoes the token in the strings it computed."""
    import re

    text = re.sub(r"(?im)^(x-oss-security-token:).*$", r"\1****", text)
    text = re.sub(r"(?i)((?:^|[?&\n])(?:x-oss-)?security-token=)[^&\s]*", r"\1****", text)
    text = re.sub(r"(?i)((?:^|[?&\n])(?:x-oss-credential|x-oss-access-key-id|OSSAccessKeyId)=)([^&%/\s]*)",
                  lambda m: m.group(1) + _mask(m.group(2)), text)
    return _scrub(text, secrets)


def _known_secrets(token):
    """The token, to mask wherever it appears beyond the forms _mask_signed
    knows; a string too short to be an STS token would mask common words."""
    return (token,) if token and len(token) >= 16 else ()


def _line_kind(kind, lines, index):
    """What line ``index`` is: a key of _LINE_CAUSES, or ("header", name)."""
    line = lines[index]
    last = len(lines) - 1
    if kind == "v4-sts":
        return ("algorithm", "date", "scope", "hash")[min(index, 3)]
    if kind == "v4-cr":
        if index < 3:
            return ("method", "resource", "query")[index]
        if index == last:
            return "payload"
        blank = lines.index("", 3) if "" in lines[3:] else last - 1
        if index < blank:
            return ("header", line.partition(":")[0])
        return "header-end" if index == blank else "additional"
    if index < 4:
        return ("method", "content-md5", "content-type", "date")[index]
    if index == last:
        return "resource"
    if kind == "v2" and index == last - 1 and ":" not in line:
        return "additional"
    return ("header", line.partition(":")[0])


def _first_difference(kind, theirs, ours):
    """(index, what, their line, our line) of the first differing line, or None."""
    import itertools

    a, b = theirs.split("\n"), ours.split("\n")
    for index, (seen, mine) in enumerate(itertools.zip_longest(a, b)):
        if seen == mine:
            continue
        what_a = _line_kind(kind, a, index) if seen is not None else None
        what_b = _line_kind(kind, b, index) if mine is not None else None
        if not (isinstance(what_a, tuple) or isinstance(what_b, tuple) or "header-end" in (what_a, what_b)):
            return index, what_a or what_b, seen, mine
        # Header lines are sorted: the first differing one is the header
        # that sorts first; it is missing on the side that has another.
        name_a = what_a[1] if isinstance(what_a, tuple) else None
        name_b = what_b[1] if isinstance(what_b, tuple) else None
        if name_a == name_b:
            return index, ("changed", name_a), seen, mine
        first = min(name for name in (name_a, name_b) if name is not None)
        return index, ("added" if first == name_a else "dropped", first), seen, mine
    return None


def _compare_report(fields, details, secrets):
    """The lines comparing OSS's string to sign with ``details``."""
    version = details.version
    server_cr, server_sts = _server_text(fields, "CanonicalRequest"), _server_text(fields, "StringToSign")
    if server_sts is not None and server_sts.startswith(_V4_ALGORITHM + "\n") != (version == "v4"):
        return ["OSS checked a %s signature, but these details are of a %s one: explain the request with the "
                "signature version it was sent with." % ("V4" if version != "v4" else "V1 or V2", version)]
    pairs = [("v4-cr", "canonical request", server_cr, details.canonical_request)] if version == "v4" else []
    pairs.append(("v4-sts" if version == "v4" else version, "string to sign", server_sts, details.string_to_sign))
    for kind, label, theirs, ours in pairs:
        found = _first_difference(kind, theirs, ours) if theirs is not None and ours is not None else None
        if found is None:
            continue
        index, what, seen, mine = found
        if isinstance(what, tuple) and what[1] in _LINE_CAUSES:
            what = what[1]  # V4 signs Content-Type and Content-MD5 as header lines
        elif what == "resource" and seen is not None and mine is not None and \
                seen.partition("?")[0] == mine.partition("?")[0]:  # fmt: skip
            what = "query"  # V1 and V2 end the resource with the sub-resources or query
        if isinstance(what, tuple):  # ("added", name): the entry's "%s" is the header's name
            name, cause = (text % what[1] for text in _LINE_CAUSES[what[0]])
        else:
            name, cause = _LINE_CAUSES[what]
        return [
            "First difference: line %d of the %s (%s):" % (index + 1, label, name),
            "  OSS computed:  %s" % _shown_line(seen, secrets),
            "  ossign signed: %s" % _shown_line(mine, secrets),
            "Likely cause: " + cause,
        ]
    ours = _shown_secrets(details.request)[0]
    theirs = (fields.get("OSSAccessKeyId") or fields.get("AWSAccessKeyId") or "").strip()
    lines = ["OSS sent no string to sign to compare with what ossign signed." if server_sts is None and
             server_cr is None else "The string to sign OSS computed matches what ossign signed.",
             "Likely cause: the access key secret does not belong to the access key id (mistyped, with a "
             "stray space, or from other credentials)."]  # fmt: skip
    if theirs and ours:
        if theirs[-4:] == ours[-4:]:
            lines.append("OSS read access key id %s, which ends like the one ossign signed with." % _mask(theirs))
        else:
            lines.append("OSS read access key id %s, but ossign signed with %s: the request OSS received "
                         "is not the one signed here." % (_mask(theirs), _mask(ours)))  # fmt: skip
    return lines


def _server_text(fields, name):
    """OSS's StringToSign or CanonicalRequest: from its ...Bytes twin when
    given (exact bytes: XML turns a CR LF into LF), else the element's text."""
    try:
        text = bytes.fromhex(fields.get(name + "Bytes", "")).decode("utf-8", "replace")
    except ValueError:
        text = ""
    return text or fields.get(name, "").strip() or None


def _shown_line(line, secrets):
    return "(no such line)" if line is None else repr(_mask_signed(line, secrets))


def diagnose(error_body: Union[bytes, str], details: Any = None) -> str:
    """Explain an OSS error response for a person, in a few lines.

    ``error_body``: the XML body of the refused request (bytes or str, at
    most 1 MiB). ``details``: the :class:`SigningDetails` of
    :meth:`Signer.explain` for the same request, with which a
    ``SignatureDoesNotMatch`` report names the first line where OSS's string
    to sign or canonical request differs from ossign's and its likely cause.
    ``RequestTimeTooSkewed`` gives the clock offset in seconds (the sign
    convention of :attr:`Signer.clock_offset`), other codes their usual
    cause. No secret or token appears in the report.

    Raises:
        ValueError: the body is not an OSS error document (HTML, other XML,
            a DTD or entity declaration, more than 1 MiB).
        TypeError: the body is neither bytes nor str, or ``details`` is not
            a SigningDetails.
    """
    if details is not None and not isinstance(details, SigningDetails):
        raise TypeError("details must be the SigningDetails of Signer.explain() for the request, got %s"
                        % type(details).__name__)  # fmt: skip
    fields = _parse_error(error_body)
    secrets = _known_secrets(_shown_secrets(details.request)[1]) if details is not None else ()
    lines = ["OSS error %s: %s" % (_shown(fields, "Code"), _shown(fields, "Message", secrets) or "(no message)")]
    for label, name in (("request id", "RequestId"), ("host", "HostId"), ("EC", "EC"), ("see", "RecommendDoc")):
        if _shown(fields, name):
            lines.append("  %s: %s" % (label, _shown(fields, name, secrets)))
    report = _CODE_REPORTS.get(fields["Code"].strip(), _report_usual_cause)
    return "\n".join(lines + report(fields, details, secrets))


def _shown(fields, name, secrets=()):
    """An element's text on one line, tokens masked."""
    return _mask_signed(" ".join(fields.get(name, "").split()), secrets)


def _report_signature(fields, details, secrets):
    if details is not None:
        return _compare_report(fields, details, secrets)
    lines = ["To find the line that differs, pass what was signed: diagnose(body, signer.explain(method, url, "
             "headers)), or run 'ossign diagnose METHOD URL --error FILE'."]  # fmt: skip
    server = _server_text(fields, "StringToSign")
    if server is not None:
        lines.append("OSS computed this string to sign:")
        lines += ["  " + _mask_signed(line) for line in server.split("\n")]
    return lines


def _report_skew(fields, details, secrets):
    lines = []
    server, sent = _parse_oss_time(fields.get("ServerTime")), _parse_oss_time(fields.get("RequestTime"))
    if server is not None and sent is not None:
        offset = server - sent
        lines.append("Clock offset: %+d seconds (ServerTime minus RequestTime: the clock that signed is %s)."
                     % (offset, "behind OSS's" if offset > 0 else "ahead of OSS's"))  # fmt: skip
    lines.append("Likely cause: this machine's clock is wrong. Fix it (NTP), or let the Signer follow OSS's "
                 "clock: signer.correct_clock(body) (SigningHandler and auth=signer do it once by "
                 "themselves).")  # fmt: skip
    return lines


def _report_usual_cause(fields, details, secrets):
    code, message = fields["Code"].strip(), _shown(fields, "Message").lower()
    for word in ("expired",) if code == "AccessDenied" else ("region", "product"):
        if word in message:  # OSS names V4 scope errors in the message, under several codes
            return ["Likely cause: " + _MESSAGE_CAUSES[word]]
    lines = []
    if code == "InvalidAccessKeyId" and _shown(fields, "OSSAccessKeyId"):
        lines.append("  access key id: %s" % _mask(_shown(fields, "OSSAccessKeyId")))
    if code in _ERROR_CAUSES:
        lines.append("Likely cause: " + _ERROR_CAUSES[code])
    return lines


#: The report for each code beyond its first lines (else the usual cause).
_CODE_REPORTS = {"SignatureDoesNotMatch": _report_signature, "RequestTimeTooSkewed": _report_skew}


def _signed_at(fields, expires=None):
    """(when it was signed, epoch seconds or None; expires, from a presigned
    V4 URL when not given) of the refused request, from OSS's strings. A
    ValueError for a presigned V1/V2 URL without ``expires``: its Expires
    line is absolute, so the time it was signed needs the duration."""
    server = _server_text(fields, "StringToSign")
    lines = server.split("\n") if server is not None else ()
    if len(lines) > 1 and lines[0] == _V4_ALGORITHM:
        canonical = (_server_text(fields, "CanonicalRequest") or "").split("\n")
        if expires is None and len(canonical) > 2:
            expires = next((int(value) for name, value in reversed(_split_query(canonical[2]))
                            if name == "x-oss-expires" and value.isdigit()), None)
        return _parse_oss_time(lines[1]), expires
    if len(lines) > 4 and lines[3].isdigit():
        if not expires:
            raise ValueError("OSS read a presigned URL (Expires %s): give the seconds it was presigned for"
                             % lines[3])  # fmt: skip
        return float(int(lines[3]) - expires), expires
    return (_parse_oss_time(lines[3]) if len(lines) > 4 else None), expires


def _is_skew_error(body):
    """True for an OSS RequestTimeTooSkewed body that gives OSS's time."""
    try:
        fields = _parse_error(body)
    except ValueError:
        return False
    return fields["Code"].strip() == "RequestTimeTooSkewed" and _parse_oss_time(fields.get("ServerTime")) is not None


def _server_time(error_body):
    """OSS's ServerTime in a RequestTimeTooSkewed body, as epoch seconds."""
    fields = _parse_error(error_body)
    when = _parse_oss_time(fields.get("ServerTime"))
    if when is None:
        raise ValueError("the error body has no ServerTime (OSS sends one with RequestTimeTooSkewed; this is %s)"
                         % _excerpt(fields.get("Code", ""), 40))  # fmt: skip
    return when


# ==== Upload callbacks ======================================================
#
# Build: callback() makes the x-oss-callback (and x-oss-callback-var) values
# OSS documents at https://www.alibabacloud.com/help/en/oss/developer-reference/callback
# (base64 of a JSON object); post_policy and presigning carry them as form
# fields or query parameters. Verify: OSS signs each callback request with
# RSA PKCS#1 v1.5 and MD5 over unquote(path) [+ "?" + query] + "\n" + body
# (SPEC.md section 13); the public key comes from the URL in the request's
# x-oss-pub-key-url header, which is trusted only on gosspublic.alicdn.com.

_CALLBACK_BODY = "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}"
_CALLBACK_BODY_TYPES = ("application/x-www-form-urlencoded", "application/json")
_CALLBACK_MAX_URLS = 5  # "at most 5 URLs, separated by semicolons"
_CALLBACK_HEADERS = ("x-oss-callback", "x-oss-callback-var")
#: The only host whose keys are trusted, as "scheme://host/" prefixes (a
#: browser lower-cases scheme and host; anything else after them is refused).
_CALLBACK_KEY_PREFIXES = (b"http://gosspublic.alicdn.com/", b"https://gosspublic.alicdn.com/")
_CALLBACK_KEY_LIMIT = 16 * 1024  # bytes of a key file; OSS's own is 182
_CALLBACK_KEY_CACHE = 8  # keys kept (one URL in practice)
#: Characters allowed after the host: RFC 3986 pchar, "/", "?" and "%".
#: No backslash (browsers read it as "/"), space, control or non-ASCII.
_CALLBACK_URL_SAFE = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%"
_BASE64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
#: DER DigestInfo prefix of MD5 (RFC 8017 section 9.2, note 1).
_MD5_DIGEST_INFO = bytes.fromhex("3020300c06082a864886f70d020505000410")
#: The rsaEncryption OID 1.2.840.113549.1.1.1 (RFC 8017 appendix C), DER content.
_RSA_OID = bytes.fromhex("2a864886f70d010101")


def callback(url: Union[str, Iterable[str]], body: Optional[str] = None, *, host: Optional[str] = None,
             body_type: Optional[str] = None, sni: Optional[bool] = None,
             variables: Optional[Mapping[str, str]] = None) -> dict:  # fmt: skip
    """The headers that ask OSS to call your server after an upload.

    Returns ``{"x-oss-callback": ..., "x-oss-callback-var": ...}`` (the second
    only with ``variables``: lower-case names starting with ``x:``, which the
    body template can use as ``${x:name}``), each base64 of the JSON OSS
    documents. ``body`` defaults to ``bucket=${bucket}&object=${object}&
    etag=${etag}&size=${size}&mimeType=${mimeType}``. Pass the result as
    ``headers`` to ``sign()`` or ``presign()`` (which moves it into the URL),
    or as ``callback=`` to :meth:`Signer.post_policy`.

    Raises:
        SigningError: no URL or more than 5, a variable name without ``x:``
            or not in lower case, a body type other than form-urlencoded or
            JSON.
    """
    import json

    urls = [url] if isinstance(url, str) else list(url or ())
    if not urls or len(urls) > _CALLBACK_MAX_URLS:
        raise SigningError("callback needs 1 to %d URLs, got %d" % (_CALLBACK_MAX_URLS, len(urls)))
    for item in urls:
        if not isinstance(item, str) or not item.startswith(("http://", "https://")) or \
                any(c in item for c in "; \t\r\n"):  # fmt: skip
            raise SigningError("callback URL must be an http:// or https:// URL without spaces or ';', "
                               "got %r" % (item,))  # fmt: skip
    document: dict[str, Any] = {"callbackUrl": ";".join(urls)}
    if host is not None:
        document["callbackHost"] = _callback_text(host, "host")
    document["callbackBody"] = _CALLBACK_BODY if body is None else _callback_text(body, "body")
    if body_type is not None:
        if body_type not in _CALLBACK_BODY_TYPES:
            raise SigningError("callback body_type must be one of %s, got %r"
                               % (", ".join(_CALLBACK_BODY_TYPES), body_type))  # fmt: skip
        document["callbackBodyType"] = body_type
    if sni is not None:
        if not isinstance(sni, bool):
            raise SigningError("callback sni must be True or False, got %r" % (sni,))
        document["callbackSNI"] = sni
    headers = {"x-oss-callback": _callback_b64(json, document)}
    if variables:
        names = {}
        for name, value in dict(variables).items():
            # "The key of a custom parameter must start with x: and be in
            # lower case; otherwise OSS returns an error" (Callback page).
            if not isinstance(name, str) or not name.startswith("x:") or len(name) < 3 or name != name.lower():
                raise SigningError("callback variable names must start with 'x:' and be lower case, got %r"
                                   % (name,))  # fmt: skip
            names[name] = _callback_text(value, "variable %s" % name)
        headers["x-oss-callback-var"] = _callback_b64(json, names)
    return headers


def _callback_text(value, what):
    if not isinstance(value, str):
        raise SigningError("callback %s must be a str, got %s" % (what, type(value).__name__))
    return value


def _callback_b64(json, document):
    return _b64(json.dumps(document, separators=(",", ":")).encode("ascii")).decode("ascii")


def _callback_fields(value):
    """The form fields of a ``callback()`` dict: ``callback`` and each ``x:`` variable."""
    import json

    if not hasattr(value, "get") or not value.get("x-oss-callback"):
        raise SigningError("callback= takes the dict that ossign.callback() returns")
    fields = {"callback": value["x-oss-callback"]}
    if value.get("x-oss-callback-var"):
        try:
            variables = json.loads(binascii.a2b_base64(value["x-oss-callback-var"]).decode("utf-8"))
        except (binascii.Error, ValueError, TypeError):
            raise SigningError("callback= has an x-oss-callback-var that is not base64 of JSON") from None
        if not isinstance(variables, dict):
            raise SigningError("callback= has an x-oss-callback-var that is not a JSON object")
        fields.update((str(k), str(v)) for k, v in variables.items())
    return fields


def _callback_query(url, headers):
    """For a presigned URL: the callback headers moved into the query as
    ``callback`` and ``callback-var`` (signed as sub-resources in V1 and V2,
    in the canonical query in V4), so the URL alone carries them."""
    items = headers.items() if hasattr(headers, "items") else headers
    moved, kept = {}, {}
    for name, value in items:
        lowered = name.lower() if isinstance(name, str) else name
        if lowered in _CALLBACK_HEADERS:
            moved[lowered[6:]] = value
        else:
            kept[name] = value
    if not moved:
        return url, headers
    base, sep, fragment = url.partition("#")
    query = base.partition("?")[2]
    if any(part.partition("=")[0] in moved for part in query.split("&")):
        raise SigningError("the URL already has a callback parameter and headers give another")
    params = "&".join("%s=%s" % (name, _quote(str(moved[name]))) for name in ("callback", "callback-var")
                      if name in moved)  # fmt: skip
    base += ("&" if query else "" if base.endswith("?") else "?") + params
    return base + sep + fragment, kept


# -- verifying a callback ----------------------------------------------------


def verify_callback(path: str, headers: Mapping[str, str], body: bytes, *,
                    context: Optional[Context] = None) -> None:  # fmt: skip
    """Check that a request your server received is a callback signed by OSS.

    ``path`` is the request target as received (path and query, still
    percent-encoded), ``headers`` a mapping (names in any case) holding
    ``Authorization`` and ``x-oss-pub-key-url``, ``body`` the raw bytes. The
    key URL must be ``http(s)://gosspublic.alicdn.com/...`` (checked before
    any request); the key is fetched over HTTPS through ``context.opener``,
    16 KiB at most, and cached. Returns ``None`` when the signature is OSS's.

    Raises:
        CallbackError: a header is missing or malformed, the key URL is
            refused, the key cannot be fetched or is not an RSA public key,
            or the signature does not match.
    """
    try:
        get = headers.get
    except AttributeError:
        raise CallbackError("verify_callback: headers must be a mapping, got %s" % type(headers).__name__) from None
    # The spellings servers use first (lower case: Function Compute, Lambda,
    # HTTP/2; title case: http.server, most frameworks), then any case.
    signature = get("authorization") or get("Authorization")
    key_header = get("x-oss-pub-key-url") or get("X-Oss-Pub-Key-Url")
    if signature is None or key_header is None:  # named in another case
        lowered = {name.lower() if isinstance(name, str) else name: value for name, value in headers.items()}
        signature, key_header = lowered.get("authorization"), lowered.get("x-oss-pub-key-url")
        if signature is None or key_header is None:
            raise CallbackError("verify_callback: the %s header is missing"
                                % ("Authorization" if signature is None else "x-oss-pub-key-url"))  # fmt: skip
    if not isinstance(key_header, (str, bytes)):
        raise CallbackError("verify_callback: the x-oss-pub-key-url header is not text")
    key = _callback_key(key_header, context)
    try:
        raw = binascii.a2b_base64(signature)
    except (binascii.Error, TypeError, ValueError):
        raw = b""
    if not raw:
        raise CallbackError("verify_callback: the Authorization header is not base64")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise CallbackError("verify_callback: body must be bytes, got %s" % type(body).__name__)
    _rsa_md5_verify(key, raw, _callback_signed_bytes(path) + body)  # bytes + any buffer is bytes


def _callback_signed_bytes(path):
    """``unquote(path) [+ "?" + query] + "\\n"``: the decoded path, the raw query."""
    if not isinstance(path, str):
        raise CallbackError("verify_callback: path must be a str, got %s" % type(path).__name__)
    head, sep, query = path.partition("?")
    # An application's callbacks arrive on one or a few paths, and decoding
    # one costs a tenth of a 1024-bit verification: keep a few.
    decoded = _CALLBACK_PATHS.get(head)
    if decoded is None:
        import urllib.parse

        decoded = urllib.parse.unquote_to_bytes(head)
        if len(_CALLBACK_PATHS) >= 64:
            _CALLBACK_PATHS.clear()
        _CALLBACK_PATHS[head] = decoded
    return decoded + b"?" + query.encode("utf-8") + b"\n" if sep else decoded + b"\n"


_CALLBACK_PATHS: dict[str, bytes] = {}  # percent-encoded path -> decoded bytes


def _base64_value(value, what):
    """Bytes of a base64 header value; anything else is a CallbackError."""
    if isinstance(value, str):
        value = value.strip().encode("latin-1", "replace")
    elif not isinstance(value, bytes):
        raise CallbackError("verify_callback: %s is not text" % what)
    if not value or len(value) % 4 or value.translate(None, _BASE64_BYTES):
        raise CallbackError("verify_callback: %s is not base64" % what)
    try:
        return binascii.a2b_base64(value)
    except binascii.Error:
        raise CallbackError("verify_callback: %s is not base64" % what) from None


def _callback_key_url(header):
    """The HTTPS URL to fetch the key from, or a CallbackError saying why not.
    Scheme and host are the exact prefix, so user info, a port, a backslash,
    a percent-encoded or look-alike host all fail as a browser reads them."""
    raw = _base64_value(header, "the x-oss-pub-key-url header")
    shown = _excerpt(raw, 100)
    if not raw[:30].lower().startswith(_CALLBACK_KEY_PREFIXES):
        raise CallbackError("verify_callback: public key URL %r refused: only http(s)://gosspublic.alicdn.com/ "
                            "is trusted" % (shown,))  # fmt: skip
    rest = raw[raw.index(b"/", 8) + 1:]  # after the slash that ends the host
    if not rest or rest.translate(None, _CALLBACK_URL_SAFE):
        raise CallbackError("verify_callback: public key URL %r refused: its path is empty or has "
                            "characters a URL path cannot" % (shown,))  # fmt: skip
    return (_CALLBACK_KEY_PREFIXES[1] + rest).decode("ascii")


_CALLBACK_KEYS: dict = {}  # (header, id(opener)) -> (opener, key), the oldest first
_CALLBACK_KEY_LOCKS = tuple(threading.Lock() for _ in range(4))  # striped: one fetch per key at a time
_CALLBACK_KEY_WRITE = threading.Lock()


def _callback_key(header, ctx):
    """The public key an ``x-oss-pub-key-url`` header names, cached per opener
    (the default one's shared, so a warm Function Compute or Lambda instance
    keeps its key). A hit takes no lock; threads missing the same key wait
    for one fetch, and a fetch of another URL does not hold them up. The
    oldest key goes first; failures are not kept."""
    opener = ctx._opener if ctx is not None else None
    slot = (header, id(opener))
    found = _CALLBACK_KEYS.get(slot)
    if found is not None and found[0] is opener:
        return found[1]
    url = _callback_key_url(header)  # refused before any request or lock
    with _CALLBACK_KEY_LOCKS[hash(slot) % len(_CALLBACK_KEY_LOCKS)]:
        found = _CALLBACK_KEYS.get(slot)
        if found is not None and found[0] is opener:
            return found[1]
        if opener is None:  # a default opener, leaving the caller's context as it was
            ctx = Context(timeout=ctx.timeout if ctx is not None else None)
        key = _callback_fetch_key(ctx, url)
        with _CALLBACK_KEY_WRITE:
            while len(_CALLBACK_KEYS) >= _CALLBACK_KEY_CACHE:
                del _CALLBACK_KEYS[next(iter(_CALLBACK_KEYS))]
            _CALLBACK_KEYS[slot] = (opener, key)  # the opener is held, so its id stays its own
    return key


def _callback_fetch_key(ctx, url):
    """The RSA key at ``url`` (HTTPS, 16 KiB at most), as :func:`_rsa_public_key` gives it."""
    capped = Context(opener=_CappedOpener(ctx.opener, _CALLBACK_KEY_LIMIT + 1), timeout=ctx.timeout)
    try:
        status, data = _fetch(capped, "GET", url, "verify_callback")
    except CredentialError as exc:
        raise CallbackError("verify_callback: public key not fetched (%s)" % exc) from None
    if status != 200:
        raise CallbackError("verify_callback: public key not fetched: GET %s returned HTTP %s"
                            % (_strip_query(url), status))  # fmt: skip
    if len(data) > _CALLBACK_KEY_LIMIT:
        raise CallbackError("verify_callback: public key not fetched: GET %s: response larger than %d bytes"
                            % (_strip_query(url), _CALLBACK_KEY_LIMIT))  # fmt: skip
    return _rsa_public_key(data)


class _CappedOpener:
    """An opener whose responses, errors included, hold at most ``limit``
    bytes of their body: no more is read from the network."""

    def __init__(self, opener, limit):
        self._opener = opener
        self._limit = limit

    def open(self, request, timeout=None):
        import io
        import urllib.error
        import urllib.response

        try:
            response = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        if response is None:
            return None
        try:
            body = response.read(self._limit) or b""
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
        status = getattr(response, "status", None) or response.getcode()
        return urllib.response.addinfourl(io.BytesIO(body), getattr(response, "headers", None), request.full_url,
                                          status)  # fmt: skip


# -- PEM, DER and RSA (pure) -------------------------------------------------


def _not_rsa(why):
    return CallbackError("verify_callback: public key is not an RSA public key (%s)" % why)


def _der_next(data, pos, tag, what):
    """``(start, end)`` of the DER value with ``tag`` at ``pos``; a CallbackError
    for a wrong tag, a bad or indefinite length, or a value past the end."""
    if pos + 2 > len(data) or data[pos] != tag:
        raise _not_rsa("%s expected" % what)
    length = data[pos + 1]
    pos += 2
    if length & 0x80:  # the long form: 1 to 4 bytes, as few as the length needs
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        if not 1 <= count <= 4 or pos + count > len(data) or data[pos] == 0 or length < 0x80:
            raise _not_rsa("bad length of %s" % what)
        pos += count
    if pos + length > len(data):
        raise _not_rsa("%s is cut short" % what)
    return pos, pos + length


def _der_integer(data, pos, what):
    """A positive DER INTEGER at ``pos`` -> ``(value, end)``."""
    start, end = _der_next(data, pos, 0x02, what)
    if start == end or data[start] & 0x80:
        raise _not_rsa("%s is not positive" % what)
    return int.from_bytes(data[start:end], "big"), end


def _rsa_public_key(pem):
    """``(n, e, k, prefix)`` from a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo
    with rsaEncryption) or ``RSA PUBLIC KEY`` (PKCS#1); ``k`` is n's byte
    length, ``prefix`` the PKCS#1 v1.5 block before the MD5 digest."""
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else str(pem)
    label = "PUBLIC KEY" if "-----BEGIN PUBLIC KEY-----" in text else "RSA PUBLIC KEY"
    begin = "-----BEGIN %s-----" % label
    start = text.find(begin)
    end = text.find("-----END %s-----" % label, start)
    if start < 0 or end < 0:
        raise CallbackError("verify_callback: public key is not a PEM PUBLIC KEY or RSA PUBLIC KEY")
    der = _base64_value("".join(text[start + len(begin):end].split()), "the public key's PEM body")
    if label == "PUBLIC KEY":  # SEQUENCE { SEQUENCE { OID, NULL }, BIT STRING { RSAPublicKey } }
        start, end = _der_next(der, 0, 0x30, "SubjectPublicKeyInfo")
        alg_start, alg_end = _der_next(der, start, 0x30, "AlgorithmIdentifier")
        oid_start, oid_end = _der_next(der, alg_start, 0x06, "algorithm OID")
        if der[oid_start:oid_end] != _RSA_OID or der[oid_end:alg_end] not in (b"", b"\x05\x00"):
            raise _not_rsa("another algorithm")
        bit_start, bit_end = _der_next(der, alg_end, 0x03, "BIT STRING")
        if bit_start == bit_end or der[bit_start] != 0 or bit_end != end or end != len(der):
            raise _not_rsa("bad BIT STRING")
        der = der[bit_start + 1:bit_end]
    seq_start, seq_end = _der_next(der, 0, 0x30, "RSAPublicKey")
    n, pos = _der_integer(der, seq_start, "modulus")
    e, pos = _der_integer(der, pos, "exponent")
    if pos != seq_end or seq_end != len(der):
        raise _not_rsa("extra data")
    if e < 3 or not e & 1 or e >= n:
        raise _not_rsa("bad exponent")
    k = (n.bit_length() + 7) // 8
    if k < len(_MD5_DIGEST_INFO) + 16 + 11:
        raise CallbackError("verify_callback: public key of %d bits is too small for an MD5 signature"
                            % n.bit_length())  # fmt: skip
    # The encoded block up to the digest, the same for every message.
    return n, e, k, b"\x00\x01" + b"\xff" * (k - 37) + b"\x00" + _MD5_DIGEST_INFO


def _rsa_md5_verify(key, signature, message):
    """RSASSA-PKCS1-v1_5 verification with MD5 (RFC 8017 section 8.2.2) for
    ``key`` from :func:`_rsa_public_key`: one ``pow``, then the whole encoded
    block compared in constant time."""
    n, e, k, prefix = key
    if len(signature) != k:
        raise CallbackError("verify_callback: signature does not match (it is %d bytes, the key's "
                            "modulus %d)" % (len(signature), k))  # fmt: skip
    s = int.from_bytes(signature, "big")
    if s >= n:
        raise CallbackError("verify_callback: signature does not match (not below the modulus)")
    if not hmac.compare_digest(pow(s, e, n).to_bytes(k, "big"), prefix + hashlib.md5(message).digest()):
        raise CallbackError("verify_callback: signature does not match the path and body")


# ==== Integrations ==========================================================

#: Every header some version's signer sets.
_ALL_SIGNER_HEADERS = frozenset().union(*_SIGNER_HEADERS.values())


def _unsign_redirect(response):
    """A redirect that requests follows goes without the signing headers:
    requests drops only ``Authorization``, and only for another host."""
    if getattr(response, "is_redirect", False):
        _swap_signing_headers((response.request.headers,), _ALL_SIGNER_HEADERS)
    return response


def _resend_skewed(signer, response, send_kwargs):
    """On a 403 RequestTimeTooSkewed, follow OSS's clock and send a signed
    copy of the request once more through the same connection, as requests'
    HTTPDigestAuth re-sends on a 401; a second refusal reaches the caller."""
    request = getattr(response, "request", None)
    if getattr(response, "status_code", None) != 403 or request is None or \
            not isinstance(request.body, (type(None), bytes, str)):  # a stream cannot be sent twice
        return response
    body = response.content  # requests keeps it: the caller can still read it
    if not _is_skew_error(body):
        return response
    signer.correct_clock(body)
    response.close()
    retry = request.copy()
    signer(retry)
    # The copy keeps the caller's response hooks, not this signer's: no third send.
    retry.hooks = dict(retry.hooks, response=[hook for hook in retry.hooks.get("response", ())
                                              if getattr(hook, "__self__", None) is not signer])  # fmt: skip
    resent = response.connection.send(retry, **send_kwargs)
    resent.history.append(response)
    resent.request = retry
    return _unsign_redirect(resent)  # no hook runs on what a hook sends


#: Methods aiohttp sends with "Content-Type: application/octet-stream" when
#: none is given (ClientRequest.POST_METHODS); set before signing instead.
_AIOHTTP_BODY_METHODS = frozenset(("PATCH", "POST", "PUT"))
_AIOHTTP_REDIRECTS = frozenset((301, 302, 303, 307, 308))  #: with a Location, aiohttp follows these
_AIOHTTP_REDIRECTED = None  # ContextVar: (signer, origin the caller sent to) after a redirect answer
_AIOHTTP_REDIRECTED_LOCK = threading.Lock()  # one ContextVar, also when two loops make their first call at once


async def _aiohttp_sign(signer, request, handler):
    """Body of :meth:`Signer.aiohttp_middleware`. aiohttp runs it for each
    redirect hop, in the same task right after the 3xx answer, and says no
    more: that answer leaves the origin first sent to for the hop to match."""
    global _AIOHTTP_REDIRECTED
    if _AIOHTTP_REDIRECTED is None:
        with _AIOHTTP_REDIRECTED_LOCK:
            if _AIOHTTP_REDIRECTED is None:
                import contextvars

                _AIOHTTP_REDIRECTED = contextvars.ContextVar("ossign_aiohttp_redirected", default=None)
    redirected_by, first = _AIOHTTP_REDIRECTED.get() or (None, None)
    _AIOHTTP_REDIRECTED.set(None)
    origin = _url_origin(str(request.url))
    if redirected_by is not signer:
        first = origin
    headers = request.headers
    if origin != first:  # the same rule as a redirect requests follows (_unsign_redirect)
        _swap_signing_headers((headers,), _ALL_SIGNER_HEADERS)
    else:
        now = signer.context.clock()
        if signer.provider.peek(now + _HEADER_HEADROOM, now) is None:
            import asyncio

            await asyncio.to_thread(signer.credentials)  # fetch or renew off the loop
        if request.method.upper() in _AIOHTTP_BODY_METHODS and "Content-Type" not in headers and \
                "Content-Type" not in getattr(request, "skip_auto_headers", ()):  # fmt: skip
            headers["Content-Type"] = "application/octet-stream"  # what aiohttp sends, so it is signed
        signer(request)
    response = await handler(request)
    if getattr(response, "status", None) in _AIOHTTP_REDIRECTS and \
            ("Location" in response.headers or "URI" in response.headers):  # fmt: skip
        _AIOHTTP_REDIRECTED.set((signer, first))
    return response


def object_url(bucket: str, key: str = "", region: Optional[str] = None, *, endpoint: Optional[str] = None,
               internal: bool = False, dualstack: bool = False, accelerate: bool = False,
               path_style: bool = False, scheme: Optional[str] = None, cname: bool = False,
               product: str = "oss", account_id: Optional[str] = None) -> str:  # fmt: skip
    """Build the URL of an object, quoting ``key`` once as the signers expect.

    ``region`` is the plain id (an ``oss-`` prefix is dropped). The host is
    ``endpoint``, else the public, ``internal`` (VPC), ``dualstack`` or
    ``accelerate`` endpoint; the bucket goes into it unless ``path_style``,
    the endpoint is an IP address or ``localhost``, or it starts with
    ``<bucket>.``. ``cname=True``: ``endpoint`` is a custom domain bound to
    the bucket, used as given. ``scheme`` defaults to the endpoint's, else
    ``https``. A key starting with ``/`` is a SigningError.
    ``product="oss-vectors"`` or ``"oss-tables"`` with ``account_id``: host
    ``<bucket>-<account-id>.<region>[-internal].oss-vectors.aliyuncs.com``,
    the path the key (a path-style URL keeps the bucket out, as the SDKs do).
    """
    if not isinstance(bucket, str) or not _is_bucket_name(bucket):
        raise SigningError("invalid bucket name %r (3-63 lower-case letters, digits and '-')" % (bucket,))
    spec = _ARN_PRODUCTS.get(product)
    label = bucket
    if spec is not None:
        if dualstack or accelerate:
            raise SigningError("%s has no dual-stack or accelerate endpoints" % spec.title)
        account_id = str(account_id or "").strip()
        if not (account_id.isdigit() and account_id.isascii()):
            raise SigningError("%s URLs need account_id= (the account id, digits only)" % spec.title)
        _check_product_bucket(spec, bucket)
        label = bucket + "-" + account_id
    elif product not in _PRODUCTS:
        raise SigningError("product must be one of %s, got %r" % (", ".join(_PRODUCTS), product))
    if not isinstance(key, str):
        raise SigningError("key must be a str, got %s" % type(key).__name__)
    if key.startswith("/"):
        raise SigningError("object key must not start with '/', got %r (write %r)" % (key[:40], key.lstrip("/")[:40]))
    if cname and (not endpoint or path_style):
        raise SigningError("cname=True needs endpoint= (the custom domain) and no path_style")
    if endpoint:
        head, sep, host = str(endpoint).strip().partition("://")
        if not sep:
            head, host = "", head
        host = host.rstrip("/")
        if scheme is None and head:
            scheme = head.lower()
        if not host or any(c in host for c in "/?#@ \t"):
            raise SigningError("endpoint must be a host name with an optional scheme and port, got %r"
                               % (endpoint,))  # fmt: skip
        if region and spec is None:  # not needed with an endpoint, but it must not contradict it
            name = host.partition(":")[0].lower()
            region, (named_bucket, named, _, family, _) = _region_id(region), _infer_host(name)
            if family is not None and family.before == "R" and named_bucket is None:
                named = None  # my-bucket.oss.aliyuncs.com may name a bucket: _host_plan decides
            if named and named != region:
                raise SigningError("region %r does not match the endpoint %r, which is in %r"
                                   % (region, host, named))  # fmt: skip
    elif accelerate:
        host = "oss-accelerate.aliyuncs.com"
    else:
        if not region:
            raise SigningError("object_url needs a region or an endpoint")
        region = _region_id(region)
        if spec is not None:
            host = "%s%s.%s.aliyuncs.com" % (region, "-internal" if internal else "", spec.label)
        elif dualstack:
            host = "%s.oss.aliyuncs.com" % region
        else:
            host = "oss-%s%s.aliyuncs.com" % (region, "-internal" if internal else "")
    scheme = scheme or "https"
    if scheme not in ("https", "http"):
        raise SigningError("scheme must be http or https, got %r" % (scheme,))
    try:
        path = _quote_path(key) if key else ""
    except UnicodeEncodeError:
        raise SigningError("key is not valid Unicode text") from None
    name = host.lower()
    if not cname and (path_style or name.startswith("[") or _is_plain_host(name.partition(":")[0])):
        if spec is None:
            path = bucket + "/" + path
    elif not cname and not name.startswith(label + "."):
        host = label + "." + host
    return "%s://%s/%s" % (scheme, host, path)


class _Redirects(dict):
    """urllib's ``redirect_dict`` (visited URLs), which also carries the origin
    a SigningHandler signed for."""


def _make_signing_handler():
    import io
    import socket
    import urllib.error
    import urllib.request
    import weakref

    class SigningHandler(urllib.request.BaseHandler):
        """A urllib handler that signs every HTTP(S) request of an opener:
        ``urllib.request.build_opener(ossign.SigningHandler(signer)).open(url)``.

        It runs after urllib adds its own headers, so what is signed is what
        is sent. A redirect to the same origin (scheme, host and port) is
        signed again; one anywhere else goes without the signing headers.
        """

        handler_order = 900  # after AbstractHTTPHandler.do_request_ (500)

        def __init__(self, signer):
            self.signer = signer
            self._resent = weakref.WeakSet()  # requests already sent a second time

        def __repr__(self):
            return "SigningHandler(%r)" % (self.signer,)

        def http_request(self, request):
            """Sign ``request`` (urllib calls this for HTTP and HTTPS)."""
            origin = _url_origin(request.full_url)
            if request.unverifiable and hasattr(request, "redirect_dict"):  # a redirect urllib follows
                if getattr(request.redirect_dict, "ossign_origin", None) != origin:
                    _swap_signing_headers((request.headers, request.unredirected_hdrs),
                                          _SIGNER_HEADERS[self.signer.version])  # fmt: skip
                    return request
            else:  # urllib hands this dict on to each redirect of the request
                request.redirect_dict = _Redirects()
                request.redirect_dict.ossign_origin = origin
            return self.signer.sign_request(request)

        https_request = http_request

        def http_error_403(self, request, response, code, msg, headers):
            """On RequestTimeTooSkewed, follow OSS's clock and send the request
            once more; any other 403, or a second one, reaches the caller."""
            data = request.data
            if request in self._resent or not request.has_header("Authorization") or \
                    "xml" not in (headers.get("Content-Type") or "") or \
                    not (data is None or isinstance(data, (bytes, bytearray))):  # fmt: skip
                return None  # the default handler raises HTTPError, the body unread
            body = response.read(_ERROR_BODY_LIMIT + 1)
            if len(body) > _ERROR_BODY_LIMIT:
                body += response.read()  # no OSS error; the caller gets all of it
            response.close()
            if not _is_skew_error(body):
                raise urllib.error.HTTPError(request.full_url, code, msg, headers, io.BytesIO(body))
            self.signer.correct_clock(body)
            retry = urllib.request.Request(request.full_url, data, request.headers, request.origin_req_host,
                                           request.unverifiable, request.get_method())  # fmt: skip
            for name, value in request.unredirected_hdrs.items():
                retry.add_unredirected_header(name, value)
            self._resent.add(retry)
            return self.parent.open(retry, timeout=getattr(request, "timeout", socket._GLOBAL_DEFAULT_TIMEOUT))

    SigningHandler.__module__ = __name__
    return SigningHandler


def __getattr__(name):
    # SigningHandler subclasses urllib.request.BaseHandler; building it on
    # first use keeps urllib.request (~10 ms) out of ``import ossign``.
    if name == "SigningHandler":
        cls = globals()["SigningHandler"] = _make_signing_handler()
        return cls
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


# ==== Command line ==========================================================

_EXIT_OK, _EXIT_ERROR, _EXIT_USAGE = 0, 1, 2
_BODY_METHODS = frozenset(("PUT", "POST", "PATCH"))  #: sign --format curl sends -T FILE for these
_CLI_URL_HELP = ("URL is oss://BUCKET/KEY (the key as it is, encoded by ossign) or a full URL whose path "
                 "and query are already percent-encoded")  # fmt: skip


def _build_parser():
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            # One line on stderr, not the usage block first; subparsers inherit it.
            self.exit(_EXIT_USAGE, "%s: error: %s (see '%s --help')\n"
                      % (self.prog, " ".join(message.split()), self.prog))  # fmt: skip

    env_lines = "".join("\n  %-44s %s" % pair for pair in ENVIRONMENT_VARIABLES)
    parser = _Parser(prog="ossign", epilog="environment variables read:" + env_lines,
                     description="Sign Alibaba Cloud OSS requests (V1, V2, V4) with credentials from the default "
                                 "chain.", formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--version", action="version", version="ossign " + __version__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="log credential resolution to stderr (no secrets)")
    common.add_argument("--profile", help="profile to use in every profile file")
    signing = argparse.ArgumentParser(add_help=False)
    signing.add_argument("--region", help="region id, e.g. cn-hangzhou (V4 needs one)")
    signing.add_argument("--version", dest="version", default="v4", type=str.lower,
                         choices=_VERSIONS, help="signature version (default v4)")  # fmt: skip
    signing.add_argument("--header", "-H", action="append", default=[], metavar="'NAME: VALUE'",
                         help="a header to sign (repeatable)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    target = argparse.ArgumentParser(add_help=False)  # oss://BUCKET/KEY, as presign and post-policy take it
    target.add_argument("target", metavar="oss://BUCKET/KEY")
    target.add_argument("--endpoint", help="OSS endpoint host instead of oss-REGION.aliyuncs.com (the bucket is "
                        "prepended unless the host starts with it or is an IP address)")  # fmt: skip
    expiry = "stays valid (default 3600, or until shortly before the credentials expire when they end sooner)"

    p = sub.add_parser("presign", parents=[common, signing, target], help="print a presigned URL",
                       description="Print a presigned URL for oss://BUCKET/KEY.")  # fmt: skip
    p.add_argument("--expires", type=int, help="seconds the URL " + expiry)
    p.add_argument("--method", default="GET", help="HTTP method the URL is for (default GET)")

    request = argparse.ArgumentParser(add_help=False)  # METHOD URL, as sign, explain and diagnose take them
    request.add_argument("method", metavar="METHOD", help="HTTP method (GET, PUT, ...)")
    request.add_argument("url", metavar="URL", help=_CLI_URL_HELP)
    request.add_argument("--bucket", help="bucket, when a full URL's host does not name it")
    request.add_argument("--endpoint", help="with oss://BUCKET/KEY: OSS endpoint host instead of "
                         "oss-REGION.aliyuncs.com")  # fmt: skip

    p = sub.add_parser("sign", parents=[common, signing, request], help="print signed headers for a request",
                       description="Print the headers that sign METHOD URL. " + _CLI_URL_HELP + ".",
                       epilog="--format curl prints a curl command; for methods with a body (PUT, POST, "
                              "PATCH) it sends the file named by -T FILE: put the path of the file to "
                              "upload in FILE's place.")  # fmt: skip
    p.add_argument("--format", choices=("headers", "json", "curl"), default="headers",
                   help="headers (Name: value lines), json, or curl (a command line; -T FILE for a body)")

    p = sub.add_parser("explain", parents=[common, signing, request], help="show what a signature signs",
                       description="Print what signing METHOD URL signs: the canonical request (V4), the "
                                   "string to sign, the signed headers and the scope; the token and the key "
                                   "id masked. " + _CLI_URL_HELP + ".")  # fmt: skip
    p.add_argument("--expires", type=int, help="explain a presigned URL valid this many seconds")

    p = sub.add_parser("diagnose", parents=[common, signing, request], help="explain an OSS error response",
                       description="Compare the error body OSS returned for METHOD URL with what ossign signs "
                                   "for it, and print the first difference and its likely cause. "
                                   + _CLI_URL_HELP + ", as it was requested (without signature parameters).")
    p.add_argument("--error", required=True, metavar="FILE", help="file holding the error body (- for stdin)")
    p.add_argument("--expires", type=int, help="the request was a presigned URL valid this many seconds")

    sub.add_parser("credentials", parents=[common], help="show which source gives credentials",
                   description="Resolve the default chain; print the source, the masked key id "
                               "and the expiration (never the secret).")  # fmt: skip

    p = sub.add_parser("post-policy", parents=[common, signing, target], help="print a browser upload form's "
                       "fields", description="Print the fields of a POST policy for oss://BUCKET/KEY "
                                             "(a KEY ending in / allows any key under it).")  # fmt: skip
    p.add_argument("--expires", type=int, help="seconds the policy " + expiry)
    p.add_argument("--max-size", type=int, help="largest upload in bytes (content-length-range)")
    p.add_argument("--any-key", action="store_true", help="allow oss://BUCKET/ (uploads to any key in the bucket)")
    p.add_argument("--html", action="store_true", help="print a minimal HTML upload form")
    p.add_argument("--callback", metavar="URL", help="URL OSS calls after the upload (an upload callback)")
    p.add_argument("--callback-body", metavar="TEMPLATE",
                   help="the callback's body, e.g. 'object=${object}&size=${size}' (default: bucket, object, "
                        "etag, size and mimeType)")  # fmt: skip
    return parser


def _cli_headers(values):
    headers = {}
    for item in values:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise SigningError("--header must look like 'Name: value', got %r" % item)
        headers[name.strip()] = value.strip()
    return headers


def _cli_target(target):
    if not target.startswith("oss://"):
        raise SigningError("expected oss://BUCKET/KEY, got %r" % target)
    bucket, _, key = target[6:].partition("/")
    return bucket, key


def _cli_object(args, target):
    """(signer, URL) for oss://BUCKET/KEY, the key encoded here."""
    bucket, key = _cli_target(target)
    signer = _cli_signer(args, bucket, args.endpoint)
    return signer, object_url(bucket, key, signer.region, endpoint=args.endpoint)


def _cli_request(args):
    """(signer, URL) for the METHOD URL of sign, explain and diagnose (see _CLI_URL_HELP)."""
    if args.url.startswith("oss://"):
        return _cli_object(args, args.url)
    if args.endpoint:
        raise SigningError("--endpoint goes with oss://BUCKET/KEY; a full URL already names its host")
    _split_url(args.url)  # a bad URL says so, rather than "V4 needs a region"
    return _cli_signer(args, args.bucket, args.url.split("://", 1)[-1]), args.url


def _cli_provider(args):
    """``--profile NAME``: that profile alone; else the default chain."""
    return _NamedProfile(args.profile) if args.profile else DefaultCredentialProvider()


def _cli_signer(args, bucket, endpoint=None):
    region = args.region
    if region is None and endpoint:
        host = endpoint.split("://", 1)[-1].split("/")[0].split(":")[0].lower()
        region = _host_plan("https", host, host, (bucket, None, "oss", None)).region
    if args.version == "v4" and not region:
        raise SigningError("V4 needs a region: pass --region (e.g. --region cn-hangzhou)")
    return Signer(bucket, _cli_provider(args), region=region, version=args.version,
                  context=Context(environ=dict(os.environ)))


def _cli_expires(args, signer, what):
    """--expires, or the default life, said on stderr when the credentials cut it short."""
    if args.expires is not None:
        return args.expires
    seconds, ids = signer._default_expires(signer.context.clock(), what)
    if seconds < _DEFAULT_EXPIRES:
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ids.expires_at))
        print("ossign: note: %s expires in %d seconds, shortly before its credentials do (at %s); "
              "--expires cannot be longer" % (what, seconds, end), file=sys.stderr)  # fmt: skip
    return seconds


def _cmd_presign(args, out):
    signer, url = _cli_object(args, args.target)
    expires = _cli_expires(args, signer, "the URL")
    print(signer.presign(url, method=args.method, expires=expires, headers=_cli_headers(args.header)), file=out)


def _cmd_sign(args, out):
    import json

    signer, url = _cli_request(args)
    signed = signer.sign(args.method, url, _cli_headers(args.header))
    if args.format == "json":
        print(json.dumps({"method": signed.method, "url": signed.url, "headers": signed.headers}, indent=2), file=out)
    elif args.format == "curl":
        import shlex

        # "-X HEAD" would leave curl waiting for a body that never comes.
        parts = ["curl", "--head"] if signed.method == "HEAD" else ["curl", "-X", signed.method]
        for name, value in signed.headers.items():
            parts += ["-H", "%s: %s" % (name, value)]
        if signed.method in _BODY_METHODS:
            parts += ["-T", "FILE"]  # a placeholder: the file to upload (the help says so)
        parts.append(signed.url)
        print(" ".join(shlex.quote(p) for p in parts), file=out)
    else:
        for name, value in signed.headers.items():
            print("%s: %s" % (name, value), file=out)


def _cmd_explain(args, out):
    """Signer.explain's answer for a person, the token and key id masked."""
    signer, url = _cli_request(args)
    details = signer.explain(args.method, url, _cli_headers(args.header), expires=args.expires)
    key_id, token = _shown_secrets(details.request)

    def masked(text):
        text = _mask_signed(text, _known_secrets(token))
        return text.replace(key_id, _mask(key_id)) if key_id else text

    lines = ["version: %s" % details.version, "method: %s" % details.request.method,
             "url: %s" % masked(details.request.url),
             "signed headers: %s" % (", ".join(details.signed_headers) or "(none)")]  # fmt: skip
    if details.scope:
        lines.append("scope: %s" % details.scope)
    for title, text in (("canonical request", details.canonical_request), ("string to sign", details.string_to_sign)):
        if text is not None:  # V1 and V2 have no canonical request
            lines += [title + ":"] + ["  " + line for line in masked(text).split("\n")]
    lines.append("signature: %s" % details.signature)
    print("\n".join(lines), file=out)


def _cmd_diagnose(args, out):
    if args.error == "-":
        body = sys.stdin.buffer.read(_ERROR_BODY_LIMIT + 1)
    else:
        try:
            with open(args.error, "rb") as handle:
                body = handle.read(_ERROR_BODY_LIMIT + 1)
        except OSError as exc:
            raise SigningError("--error %s: cannot read it (%s)" % (args.error, exc.strerror or exc)) from None
    try:
        fields = _parse_error(body)
    except ValueError as exc:
        raise SigningError("--error %s: %s" % (args.error, exc)) from None
    signer, url = _cli_request(args)
    headers = _cli_headers(args.header)
    if fields["Code"].strip() != "SignatureDoesNotMatch":
        print(diagnose(body), file=out)  # nothing to compare: no credentials needed
        return
    try:
        when, expires = _signed_at(fields, args.expires)
    except ValueError as exc:
        raise SigningError("%s: pass --expires SECONDS" % exc) from None
    if when is not None:
        # Sign at the time OSS read in the refused request, so that only a
        # real difference shows (not the minutes between then and now).
        signer.clock_offset = when - signer.context.clock()
    print(diagnose(body, signer.explain(args.method, url, headers, expires=expires)), file=out)


def _cmd_credentials(args, out):
    source, creds = _cli_provider(args)._resolve(Context(environ=dict(os.environ)))
    expiration = creds.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") if creds.expiration else "never"
    print("source: %s\naccess_key_id: %s\nsecurity_token: %s\nexpiration: %s"
          % (source, _mask(creds.access_key_id), "yes" if creds.security_token else "no", expiration), file=out)


def _cmd_post_policy(args, out):
    import html
    import json

    bucket, key = _cli_target(args.target)
    signer = _cli_signer(args, bucket, args.endpoint)
    conditions = []
    if args.max_size is not None:
        if args.max_size < 0:
            raise SigningError("--max-size must not be negative")
        conditions.append(["content-length-range", 0, args.max_size])
    if args.callback_body is not None and args.callback is None:
        raise SigningError("--callback-body needs --callback URL")
    on_upload = callback(args.callback, args.callback_body) if args.callback is not None else None
    prefix = key.endswith("/") or not key
    if not key and not args.any_key:
        raise SigningError("oss://%s/ allows uploads to any key in the bucket; pass --any-key if that is meant"
                           % bucket)  # fmt: skip
    policy = signer.post_policy(None if prefix else key, key_prefix=key if prefix else None,
                                expires=_cli_expires(args, signer, "the policy"), conditions=conditions,
                                fields=_cli_headers(args.header), endpoint=args.endpoint,
                                callback=on_upload, allow_any_key=args.any_key)  # fmt: skip
    if not args.html:
        print(json.dumps(policy, indent=2), file=out)
        return
    inputs = "\n".join('  <input type="hidden" name="%s" value="%s">' % (html.escape(k), html.escape(v))
                       for k, v in policy["fields"].items())  # fmt: skip
    print('<!doctype html>\n<form action="%s" method="post" enctype="multipart/form-data">\n%s\n'
          '  <input type="file" name="file">\n  <button type="submit">Upload</button>\n</form>'
          % (html.escape(policy["url"]), inputs), file=out)  # fmt: skip


_COMMANDS = {"presign": _cmd_presign, "sign": _cmd_sign, "credentials": _cmd_credentials,
             "post-policy": _cmd_post_policy, "explain": _cmd_explain, "diagnose": _cmd_diagnose}

#: Library wording -> the CLI's: CLI errors speak of options, not of Python.
_CLI_WORDING = (
    ("object_url needs a region or an endpoint", "oss://BUCKET/KEY needs --region or --endpoint"),
    ("post_policy needs a region or an endpoint for the form's URL", "the form's URL needs --region or --endpoint"),
    ("pass region= to Signer", "pass --region"),
    ("Signer(bucket, region=...)", "--bucket and --region"),
    ("(Signer(bucket=...) or Signer(region=...))", "(--bucket or --region)"),
    ("expires is required", "--expires is required"),
    ("expires must", "--expires must"),
    ("endpoint must be", "--endpoint must be"),
    ("invalid region", "invalid --region"),
    ("is set by post_policy", "is set by post-policy"),
    (_FIX_IN_CODE, ""),  # the command line takes keys from the environment and profile files
)


def _cli_wording(message):
    import re

    for library, cli in _CLI_WORDING:
        # Not inside a word or an option already: "--expires must" stays.
        guard = "(?<![-\\w])" if library[0].isalpha() else ""
        message = re.sub(guard + re.escape(library), lambda _match, cli=cli: cli, message)
    return message


def _discard_stdout():
    """Point stdout at the null device after a failed write, or the interpreter
    flushes it again at exit and prints a traceback."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # not a real file (captured, closed)
        return
    os.dup2(null, fd)
    os.close(null)


def main(argv: Optional[Iterable[str]] = None) -> int:
    """Run the command line (``ossign --help``) and return the exit status: 0, 1
    for credential or signing errors, 2 for usage errors (one line on stderr)."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else _EXIT_USAGE
    handler = None
    if args.debug:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        log = _logger()
        log.addHandler(handler)
        old_level = log.level
        log.setLevel(logging.DEBUG)
    try:
        _COMMANDS[args.command](args, sys.stdout)
        sys.stdout.flush()
    except OssignError as exc:
        print("ossign: error: %s" % _cli_wording(" ".join(str(exc).split())), file=sys.stderr)
        return _EXIT_ERROR
    except OSError as exc:  # a closed pipe (| head), a full disk
        _discard_stdout()
        print("ossign: error: cannot write the output: %s" % (exc.strerror or type(exc).__name__), file=sys.stderr)
        return _EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    finally:
        if handler is not None:
            _logger().removeHandler(handler)
            _logger().setLevel(old_level)  # main() may run inside an application
    return _EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
