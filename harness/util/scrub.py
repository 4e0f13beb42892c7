"""Keep secrets out of cassettes, logs and reports: the one redaction function (`scrub_text`,
`scrub` for bytes too), pure functions, no vcrpy.

A secret is found three ways, and all three are applied by the same function:

* by shape: Moonshot / Kimi keys start with `sk-` (docs/contract.md#catalog); such a string is
  replaced by `<redacted:api-key>` (a marker without the `sk-` prefix, so `grep -r "sk-"
  cassettes/` stays empty), and the value of a credential header (`Authorization: …`,
  `"x-api-key": "…"`) by `<redacted>`;
* by position, in any text: the value of a `--api-key`/`--token`/`--key`/`--password`/`--secret`
  style option (`--x=v` and `--x v`) and of a `NAME_TOKEN=v` style environment assignment;
* by value: the secrets of this session (`remember`, `collect_session_secrets`) — the values found
  by position in the target specs, and every environment variable whose name ends in `_KEY`,
  `_TOKEN`, `_SECRET` or `_PASSWORD` (8 characters or more, so trivia is not redacted) — wherever
  they appear, in position or not (a target echoing its token to stderr, a body).

Credential headers are redacted, per-request noise headers dropped.
"""

from __future__ import annotations

import os
import re
import shlex
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REDACTED_KEY = "<redacted:api-key>"
REDACTED_AUTH = "Bearer <redacted>"
REDACTED = "<redacted>"
# `sk-` at a word start followed by key characters; "task-1" or "disk-2" are not keys.
SECRET_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9][A-Za-z0-9_\-]{2,}")
# The wider shape the reports also redact (`sk-_abcdef`: no key character right after `sk-`).
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}")
_SECRET_HEADER = r"(?:proxy-authorization|authorization|x-api-key|api-key|cookie)"
# "authorization": "Bearer x"  /  'x-api-key': 'x'  (JSON, Python reprs)
_QUOTED_HEADER_RE = re.compile(r"""(?ix)(["']""" + _SECRET_HEADER + r"""["']\s*[:=]\s*)(["'])((?:\\.|(?!\2).)*)\2""")
# Authorization: Bearer x   (HTTP header lines, YAML, logs)
_LINE_HEADER_RE = re.compile(r"(?im)^(\s*-?\s*" + _SECRET_HEADER + r"\s*:\s*)(?![\"'])(\S.*?)\s*$")

# By position. An option whose last word names a secret: --api-key, --token, --key, --password,
# --secret, --auth-token, --client-secret ... (not --key-file, --max-tokens, --monkey).
_SECRET_WORD = r"(?:api[-_]?key|apikey|key|token|password|passwd|secret|credentials?)"
_OPTION_NAME_RE = re.compile(r"--?(?:[A-Za-z0-9]+[-_])*" + _SECRET_WORD, re.IGNORECASE)
# A value: quoted, or up to the next blank; never one that is already a marker or another option.
_VALUE = r"""(?!<redacted)(?!-)("[^"\n]*"|'[^'\n]*'|[^\s"'][^\s]*)"""
_OPTION_RE = re.compile(r"(?<![\w-])(" + _OPTION_NAME_RE.pattern + r")(=|[ \t]+)" + _VALUE, re.IGNORECASE)
# An environment assignment whose name names a secret: MOONSHOT_API_KEY=…, GH_TOKEN=…, DB_PASSWORD=…
_ENV_NAME = r"(?:[A-Z0-9]+_)*(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)"
_ENV_NAME_RE = re.compile(_ENV_NAME)
_ASSIGN_RE = re.compile(r"(?<![\w-])(" + _ENV_NAME + r")=" + _VALUE)
# By value: environment variables whose name says they hold a secret (the rule: a suffix).
_ENV_SECRET_SUFFIX = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
MIN_ENV_SECRET = 8  # shorter values are trivia ("1", "true"); redacting them would garble every report
MIN_POSITION_SECRET = 6  # a value the user put behind --token is a secret even when short, but not "1"
# Substrings without which a pattern cannot match (scrub_text's fast path).
_HEADER_HINTS = ("authorization", "api-key", "cookie")
_OPTION_HINTS = ("key", "token", "passw", "secret", "credential")
_ASSIGN_HINTS = ("KEY=", "TOKEN=", "SECRET=", "PASSWORD=", "PASSWD=", "CREDENTIAL=", "CREDENTIALS=")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"})
# Response headers that identify a request, an account or a session, or change on every call.
DROP_RESPONSE_HEADERS = frozenset(
    {
        "set-cookie",
        "msh-request-id",
        "x-request-id",
        "request-id",
        "req-id",
        "cf-ray",
        "date",
        "server",
        "x-trace-id",
        "trace-id",
        "strict-transport-security",
        "alt-svc",
        "x-envoy-upstream-service-time",
        "transfer-encoding",
        "content-length",
        "connection",
        "keep-alive",
    }
)
# Request headers worth keeping in a cassette (the rest is client noise: user-agent, host, ...).
KEEP_REQUEST_HEADERS = frozenset({"content-type", "authorization", "x-api-key", "accept"})


# ------------------------------------------------------------------------- session secrets
_MARKERS = f"{REDACTED_KEY} {REDACTED_AUTH}"


class _Known:
    """The secrets of this process's session, by value: one alternation, longest first."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.pattern: re.Pattern[str] | None = None
        self.environ_read = False
        self.lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        with self.lock:
            # a value inside a marker ("redacted") would make scrubbing grow the text on every pass
            new = {v for v in values if isinstance(v, str) and v and v not in _MARKERS} - self.values
            if not new:
                return
            self.values |= new
            ordered = sorted(self.values, key=lambda v: (-len(v), v))
            self.pattern = re.compile("|".join(re.escape(v) for v in ordered))


_KNOWN = _Known()


def remember(values: Iterable[str]) -> None:
    """Redact these values wherever they appear from now on (this process)."""
    _KNOWN.add(values)


def known_secrets() -> frozenset[str]:
    _environ_once()
    return frozenset(_KNOWN.values)


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def secrets_in_command(text: str) -> set[str]:
    """The values a command line (a target spec) holds by position: `--token v`, `--api-key=v`,
    `NAME_KEY=v`, a URL's password or `?api_key=` parameter."""
    try:
        words = shlex.split(text)
    except ValueError:  # an unterminated quote: the words as they stand
        words = text.split()
    found: set[str] = set()
    for i, word in enumerate(words):
        name, sep, value = word.partition("=")
        if sep and (_OPTION_NAME_RE.fullmatch(name) or _ENV_NAME_RE.fullmatch(name)):
            found.add(_strip_quotes(value))
        elif _OPTION_NAME_RE.fullmatch(word) and i + 1 < len(words) and not words[i + 1].startswith("-"):
            found.add(words[i + 1])
        for url in _URL_RE.findall(word):
            found |= _secrets_in_url(url)
    return {v for v in found if len(v) >= MIN_POSITION_SECRET}


def _secrets_in_url(text: str) -> set[str]:
    try:
        url = urlsplit(text)
        password = url.password
    except ValueError:
        return set()
    found = {password} if password else set()
    for name, value in parse_qsl(url.query):
        if _OPTION_NAME_RE.fullmatch("--" + name) or _ENV_NAME_RE.fullmatch(name.upper()):
            found.add(value)
    return found


def secrets_in_environ(environ: Mapping[str, str]) -> set[str]:
    """Values of variables named like secrets (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`), 8+ characters."""
    return {
        v.strip()
        for k, v in environ.items()
        if k.upper().endswith(_ENV_SECRET_SUFFIX) and isinstance(v, str) and len(v.strip()) >= MIN_ENV_SECRET
    }


def collect_session_secrets(specs: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Once per session (the pytest plugin's configure, a CLI command): the values held by position
    in these target specs and by the environment's secret-named variables; redacted from then on."""
    found = secrets_in_environ(os.environ if environ is None else environ)
    for spec in specs:
        found |= secrets_in_command(spec)
    _KNOWN.environ_read = True
    remember(found)
    return frozenset(found)


def _environ_once() -> None:
    # A process that never collected (a CLI command, a script) still redacts its environment's secrets.
    if not _KNOWN.environ_read:
        _KNOWN.environ_read = True
        remember(secrets_in_environ(os.environ))


# ------------------------------------------------------------------------- the redaction function
def _keep_marker(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}{REDACTED}"


def scrub_text(text: str) -> str:
    """THE redaction function: every secret by shape, by position and by value (module docstring)."""
    _environ_once()
    # Each pattern runs only where a cheap substring test says it could match: this runs on every
    # replayed request body, and a lookbehind-led regex scans a 25 KB body in milliseconds.
    pattern, values = _KNOWN.pattern, _KNOWN.values
    if pattern is not None and any(v in text for v in values):
        text = pattern.sub(REDACTED, text)
    lower = text.lower()
    if any(h in lower for h in _HEADER_HINTS):
        text = _QUOTED_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
        text = _LINE_HEADER_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    if "-" in text and any(w in lower for w in _OPTION_HINTS):
        text = _OPTION_RE.sub(_keep_marker, text)
    if "=" in text and any(w in text for w in _ASSIGN_HINTS):
        text = _ASSIGN_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    if "sk-" in text:
        text = SECRET_RE.sub(REDACTED_KEY, text)
        text = _KEY_RE.sub(REDACTED, text)
    return text


def scrub(text: str | bytes) -> str:
    """`scrub_text` of text or of UTF-8 bytes (the report's attachments and files)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return scrub_text(text)


def scrub_bytes(data: bytes) -> bytes:
    text = data.decode("utf-8", "surrogateescape")
    out = scrub_text(text)
    return data if out == text else out.encode("utf-8", "surrogateescape")


def scrub_obj(obj: Any) -> Any:
    """A copy of a JSON-like value with every `sk-…` string redacted."""
    if isinstance(obj, str):
        return scrub_text(obj)
    if isinstance(obj, bytes):
        return scrub_bytes(obj)
    if isinstance(obj, Mapping):
        return {scrub_obj(k): scrub_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_obj(v) for v in obj]
    return obj


def redact_header(name: str, value: Any) -> Any:
    if name.lower() not in SECRET_HEADERS:
        return scrub_obj(value)
    if isinstance(value, list):
        return [redact_header(name, v) for v in value]
    if isinstance(value, str) and value.lower().startswith("bearer "):
        return REDACTED_AUTH
    return "<redacted>"


def scrub_request_headers(headers: Mapping[str, Any], keep: Iterable[str] = KEEP_REQUEST_HEADERS) -> dict[str, Any]:
    keep = {k.lower() for k in keep}
    return {k: redact_header(k, v) for k, v in headers.items() if k.lower() in keep}


def scrub_response_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: redact_header(k, v) for k, v in headers.items() if k.lower() not in DROP_RESPONSE_HEADERS}


def contains_secret(text: str | bytes) -> bool:
    """Whether `scrub_text` would change this text: a secret by shape, by position or by value."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return scrub_text(text) != text


# ------------------------------------------------------------------------- a target spec's name
def _credential_query(m: re.Match[str]) -> str:
    name = m.group(2)
    if _OPTION_NAME_RE.fullmatch("--" + name) or _ENV_NAME_RE.fullmatch(name.upper()):
        return f"{m.group(1)}{name}={REDACTED}"
    return m.group(0)


_QUERY_PARAM_RE = re.compile(r"([?&;])([A-Za-z0-9_.-]+)=(?!<redacted)([^&#;\s]*)")


def _redact_url(m: re.Match[str]) -> str:
    """A URL with its credentials redacted *by position*, whatever their length: the userinfo
    (`user:PASSWORD@`, and a lone `TOKEN@`, the usual way a token rides in a URL) and the value of a
    secret-named query parameter (`?key=`, `&api_key=`, `access_token=`)."""
    url = m.group(0)
    scheme, _, rest = url.partition("://")
    end = len(rest)
    for stop in "/?#":  # the authority ends at the first of these (an `@` after it is no userinfo)
        at = rest.find(stop)
        end = min(end, at) if at >= 0 else end
    authority, tail = rest[:end], rest[end:]
    userinfo, sep, host = authority.rpartition("@")
    if sep and userinfo:
        user, colon, password = userinfo.partition(":")
        if colon and password and not password.startswith("<redacted"):
            userinfo = f"{user}:{REDACTED}"
        elif not colon and not user.startswith("<redacted"):
            userinfo = REDACTED
        authority = f"{userinfo}@{host}"
    return f"{scheme}://{authority}{_QUERY_PARAM_RE.sub(_credential_query, tail)}"


def _url_credentials(text: str) -> set[str]:
    """The userinfo tokens (`https://TOKEN@host`) of the URLs in `text`; passwords and query values
    are `secrets_in_command`'s."""
    found = set()
    for url in _URL_RE.findall(text):
        try:
            parts = urlsplit(url)
            user, password = parts.username, parts.password
        except ValueError:
            continue
        if user and password is None:
            found.add(user)
    return {v for v in found if len(v) >= MIN_POSITION_SECRET}


def spec_name(spec: str) -> str:
    """THE name a target spec is shown and stored under (a divergence file's `target:`, every
    printed line, report and results file): the alias of `NAME=SPEC` (as harness.targets.split_alias
    reads it), else the spec with every secret in it redacted — by position whatever its length
    (`--token v`, `NAME_KEY=v`, a URL's userinfo and secret-named query values), by shape and by the
    session's known values. The values found by position (6+ characters) are remembered, so the
    same secret echoed elsewhere (a target's stderr, an error) is redacted too.

    Idempotent (`spec_name(spec_name(s)) == spec_name(s)`): a name read back from a file is
    compared as `spec_name(stored) == spec_name(run's name)`, so the stored, redacted name matches
    the run of the same spec, and a file someone wrote with the key in it matches too."""
    alias, sep, rest = spec.partition("=")
    if sep and alias and ":" not in alias and " " not in alias and rest:
        remember(secrets_in_command(spec) | _url_credentials(spec))
        return scrub_text(alias)
    return redacted_spec(spec)


def redacted_spec(spec: str) -> str:
    """The spec itself with its secrets redacted, as spec_name redacts them (no alias reading: for a
    spec already split from its alias, or shown whole in an error)."""
    remember(secrets_in_command(spec) | _url_credentials(spec))
    return scrub_text(_URL_RE.sub(_redact_url, spec))
