"""How many examples a test that asks for more than its profile's default draws: `scaled(n)`.

Why: a fixed `max_examples=300` cost the offline tier (`ci`, 25 a test) as much as a `deep` search
(200 a test): a few such tests were seconds of the tier each. Counts are written for the `dev`
profile (50 a test) and follow the active profile: `ci` draws half, `deep` four times as many,
never fewer than `floor`. Explicit `@example`s (the regression cases) always run.
"""

from __future__ import annotations

from hypothesis import settings

DEV_EXAMPLES = 50  # harness/pytest_plugin/profiles.py: the `dev` profile's max_examples


def scale(n_at_dev: int, max_examples: int, floor: int = 20) -> int:
    """`n_at_dev` for a profile of `max_examples`: in proportion to dev's, at least min(floor, n_at_dev)."""
    return max(min(floor, n_at_dev), round(n_at_dev * max_examples / DEV_EXAMPLES))


def scaled(n_at_dev: int, floor: int = 20) -> int:
    """`n_at_dev` for the active profile. Read when called (a decorator at import, or in a test):
    both come after the plugin loaded the profile."""
    return scale(n_at_dev, settings.default.max_examples, floor)
