"""The report's scrubber: the names reporting has always imported, now the one redaction function
of `harness.util.scrub` (keys by shape, secrets by position, the session's secrets by value) for
every attachment, results file and page (allure attachments, offline results, the matrix page,
summaries). `harness.reporting.build` sweeps the results again with it and refuses to build if a
secret survived.
"""

from __future__ import annotations

from harness.util.scrub import REDACTED, contains_secret, scrub

__all__ = ["REDACTED", "contains_secret", "scrub"]
