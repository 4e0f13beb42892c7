"""Report categories: one definition, two spellings.

* `allure3()` — the `categories` of the Allure 3 config (allurerc), used by the Awesome report:
  rules are tried in order, the first match wins; matchers can test labels, statuses, messages.
* `allure2()` — the `categories.json` written into allure-results for Allure 2 users (it can only
  match statuses and message / trace regexes, so it has no regression or divergence category).

Regressions come from history: `harness.reporting.build` marks every result whose history id
passed in the previous run and fails now with the label `regression=true` before generating
(see `harness.reporting.history`). Known divergences come from the `divergence` label the Allure
hooks set from report.user_properties.
"""

from __future__ import annotations

# Failures that say nothing about the implementation: the machine, the network, the setup.
INFRASTRUCTURE = (
    r"ConnectError|ConnectionError|ConnectionRefused|ECONNREFUSED|ECONNRESET|ENOTFOUND|"
    r"Name or service not known|Temporary failure in name resolution|[Nn]etwork is unreachable|"
    r"[Tt]imed? ?out|TimeoutError|ReadTimeout|DeadlineExceeded|"
    r"[Mm]issing (?:API )?key|API_KEY is not set|no API key|"
    r"not installed|is not available|TargetUnavailable|No such file or directory: '(?:npm|node)'|"
    r"CannotOverwriteExistingCassetteException|StaleCassette"
)
# The upstream API answered with an error (wire / live tests).
UPSTREAM = (
    r"invalid_request_error|invalid_authentication_error|resource_not_found_error|"
    r"rate_limit_reached_error|exceeded_current_quota_error|engine_overloaded_error|"
    r"upstream|HTTP [45]\d\d|status(?: code)? [45]\d\d"
)

REGRESSION_LABEL = "regression"
DIVERGENCE_LABEL = "divergence"

REGRESSIONS = "Regressions (passed in the previous run, fail now)"
KNOWN_DIVERGENCES = "Known divergences (met, expected)"
UPSTREAM_ERRORS = "Upstream errors"
INFRA = "Infrastructure (network, timeouts, keys, installs)"
# A response cut short or stalled (harness.online.client.UpstreamBroken): the test is skipped, not failed.
BROKEN_UPSTREAM = "Broken upstream (response cut short or stalled; not run)"
BROKEN_UPSTREAM_MESSAGE = r"broken upstream"


def allure3() -> list[dict]:
    failing = ["failed", "broken"]
    return [
        {
            "id": "infrastructure",
            "name": INFRA,
            "expand": True,
            # the message only: a long traceback quotes source code, which names exceptions
            "matchers": [{"statuses": failing, "message": INFRASTRUCTURE}],
        },
        {
            "id": "regressions",
            "name": REGRESSIONS,
            "expand": True,
            "groupByMessage": False,
            "groupBy": [{"label": "feature"}],
            "matchers": [{"statuses": failing, "labels": {REGRESSION_LABEL: "^true$"}}],
        },
        {"id": "upstream", "name": UPSTREAM_ERRORS, "matchers": [{"statuses": failing, "message": UPSTREAM}]},
        {
            "id": "known-divergences",
            "name": KNOWN_DIVERGENCES,
            "groupByMessage": False,
            "groupBy": [{"label": DIVERGENCE_LABEL}],
            "matchers": [{"labels": {DIVERGENCE_LABEL: ".+"}}],
        },
        {
            "id": "broken-upstream",
            "name": BROKEN_UPSTREAM,
            "matchers": [{"statuses": ["skipped"], "message": BROKEN_UPSTREAM_MESSAGE}],
        },
    ]


def allure2() -> list[dict]:
    anywhere = "[\\s\\S]*(?:{})[\\s\\S]*"
    return [
        {"name": INFRA, "matchedStatuses": ["failed", "broken"], "messageRegex": anywhere.format(INFRASTRUCTURE)},
        {"name": UPSTREAM_ERRORS, "matchedStatuses": ["failed", "broken"], "messageRegex": anywhere.format(UPSTREAM)},
        {
            "name": BROKEN_UPSTREAM,
            "matchedStatuses": ["skipped"],
            "messageRegex": anywhere.format(BROKEN_UPSTREAM_MESSAGE),
        },
    ]


def is_infrastructure(message: str | None) -> bool:
    import re

    return bool(re.search(INFRASTRUCTURE, message or ""))
