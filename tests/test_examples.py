"""tests/examples.py: explicit example counts follow the active Hypothesis profile."""

from __future__ import annotations

from hypothesis import settings

from tests.examples import DEV_EXAMPLES, scale, scaled


def test_counts_follow_the_profile():
    assert settings.get_profile("dev").max_examples == DEV_EXAMPLES  # the counts are written for dev
    by_profile = {p: scale(300, settings.get_profile(p).max_examples) for p in ("ci", "dev", "deep")}
    assert by_profile == {"ci": 150, "dev": 300, "deep": 1200}
    assert scale(60, 5) == 20 and scale(8, 5, floor=2) == 2 and scale(10, 5) == 10  # floors


def test_the_active_profile_is_the_one_read():
    # under CI=true (the offline tier) the active profile is `ci`: a scaled() blind to it returns 200
    assert scaled(200) == scale(200, settings.default.max_examples)
