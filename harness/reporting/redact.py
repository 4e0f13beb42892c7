"""The report's one scrubber: API keys and credential header values out of every attachment,
results file and page (allure attachments, offline results, the matrix page, summaries).

Built on harness.util.scrub; `harness.reporting.build` sweeps the results again with it and
refuses to build if a key survived.
"""

from __future__ import annotations

import re

from harness.util.scrub import SECRET_RE, scrub_text

REDACTED = "<redacted>"
# The report's own key pattern (a superset of the cassette scrubber's, which wants a key
# character right after `sk-`).
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}")
_SECRET_HEADER = r"(?:proxy-authorization|authorization|x-api-key|api-key|cookie)"
# "authorization": "Bearer x"  /  'x-api-key': 'x'  (JSON, Python reprs)
_QUOTED_HEADER_RE = re.compile(r"""(?ix)(["']""" + _SECRET_HEADER + r"""["']\s*[:=]\s*)(["'])((?:\\.|(?!\2).)*)\2""")
# Authorization: Bearer x   (HTTP header lines, YAML, logs)
_LINE_HEADER_RE = re.compile(r"(?im)^(\s*-?\s*" + _SECRET_HEADER + r"\s*:\s*)(?![\"'])(\S.*?)\s*$")


def scrub(text: str | bytes) -> str:
    """The one scrubber of every report attachment: API keys and credential header values."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _QUOTED_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    text = _LINE_HEADER_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = scrub_text(text)
    return _KEY_RE.sub(REDACTED, text)


def contains_secret(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return bool(_KEY_RE.search(text) or SECRET_RE.search(text))
