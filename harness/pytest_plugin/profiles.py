"""Hypothesis profiles, registered in this one place.

`ci` (loaded automatically under CI=true): derandomized, so an offline run is reproducible and
a mutant is caught the same way every time; no example database on disk. `dev`: random, more
examples, the database on. `thorough`: for a nightly run against a real target. `deep`: the
standard search over several seeds (tox -e deep), no database.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# No `explain` phase: it re-runs a failure hundreds of times to annotate it (and imports libcst);
# the minimal case and the rule's own message already say what went wrong.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
# A failing real target should report in seconds, not after Hypothesis's 5-minute shrink budget.
SHRINK_SECONDS = 20


def register() -> None:
    from hypothesis.internal.conjecture import engine

    engine.MAX_SHRINKING_SECONDS = min(engine.MAX_SHRINKING_SECONDS, SHRINK_SECONDS)
    common: dict[str, Any] = dict(deadline=None, print_blob=True, suppress_health_check=_SLOW_OK, phases=_PHASES)
    settings.register_profile("ci", max_examples=25, derandomize=True, database=None, **common)
    settings.register_profile("dev", max_examples=50, **common)
    settings.register_profile("thorough", max_examples=500, **common)
    # The standard search (tox -e deep): random under the seed it is given, no database, so a seed
    # names one reproducible search and no earlier run's examples decide what it finds.
    settings.register_profile("deep", parent=settings.get_profile("dev"), max_examples=200, database=None)
    # Mutation runs only need to know *that* a suite fails: no shrinking, stop at the first failure.
    settings.register_profile(
        "mutation", parent=settings.get_profile("ci"), phases=[Phase.explicit, Phase.reuse, Phase.generate]
    )
    # For checking a single case again: no generation, only the explicit examples and the database.
    settings.register_profile("replay", phases=[Phase.explicit, Phase.reuse], deadline=None, print_blob=True)


def default_name() -> str:
    return "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"


def load_default() -> None:
    settings.load_profile(default_name())
