"""Drawing a fixed list of cases from a strategy outside a test: the same cases on every run
(derandomized, no example database), as the benchmarks, the mutation corpus and the generation
tests need them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

T = TypeVar("T")


def examples(strategy: st.SearchStrategy[T], n: int, phases: Iterable[Phase] = (Phase.generate,)) -> list[T]:
    """Up to n values of `strategy`, derandomized: the same list on every run."""
    found: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        derandomize=True,
        deadline=None,
        phases=list(phases),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value):
        found.append(value)

    collect()
    return found
