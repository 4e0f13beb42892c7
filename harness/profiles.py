"""Hypothesis profiles, registered in this one place.

`ci` (loaded automatically under CI=true): derandomized, so an offline run is reproducible and
a mutant is caught the same way every time; no example database on disk. `dev`: random, more
examples, the database on. `thorough`: for a nightly run against a real target.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def register() -> None:
    settings.register_profile("ci", max_examples=25, derandomize=True, database=None, deadline=None,
                              print_blob=True, suppress_health_check=_SLOW_OK)
    settings.register_profile("dev", max_examples=50, deadline=None, print_blob=True,
                              suppress_health_check=_SLOW_OK)
    settings.register_profile("thorough", max_examples=500, deadline=None, print_blob=True,
                              suppress_health_check=_SLOW_OK)
    # Mutation runs only need to know *that* a suite fails: no shrinking, stop at the first failure.
    settings.register_profile("mutation", parent=settings.get_profile("ci"),
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    # For checking a single case again: no generation, only the explicit examples and the database.
    settings.register_profile("replay", phases=[Phase.explicit, Phase.reuse], deadline=None, print_blob=True)


def default_name() -> str:
    return "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"


def load_default() -> None:
    settings.load_profile(default_name())
