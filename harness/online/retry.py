"""When a live request is retried: 429 (rate limit, overload) and 5xx, with jittered backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

RETRYABLE_429 = frozenset(
    {"rate_limit_reached_error", "engine_overloaded_error", "rate_limit_error", "overloaded_error"}
)  # Moonshot's, Anthropic's
RETRYABLE_5XX = frozenset({500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """429 (rate limit, overload) and 5xx are retried; everything else is final.

    Without Retry-After the wait is "full jitter" backoff, uniform in [0, base * 2**attempt]
    (capped at max_wait), so clients that failed together do not retry together. A Retry-After
    above max_wait is not waited for, and the waits of one request never add up past `total`.
    """

    max_retries: int = 4
    max_wait: float = 30.0  # a Retry-After longer than this is not waited for
    total: float = 60.0  # bound on the summed waits of one request
    base: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, response: httpx.Response, attempt: int, waited: float = 0.0) -> float | None:
        """Seconds to wait before retrying, or None when the response is final."""
        status = response.status_code
        if attempt >= self.max_retries or (status != 429 and status not in RETRYABLE_5XX):
            return None
        if status == 429:
            try:
                etype = (response.json().get("error") or {}).get("type")
            except (ValueError, AttributeError):
                etype = None
            if etype is not None and etype not in RETRYABLE_429:
                return None  # e.g. exceeded_current_quota_error: waiting does not refill the balance
        try:
            wait = float(response.headers["retry-after"])
        except (KeyError, ValueError):
            wait = self.rng.uniform(0, min(self.max_wait, self.base * 2.0**attempt))
        if not 0 <= wait <= self.max_wait or waited + wait > self.total:
            return None
        return wait
