"""Per-test and per-session state the plugin shares with reporting, kept in pytest's stash
(never as attributes on the config) so no layer has to import the plugin."""

from __future__ import annotations

from typing import Any

import pytest

OUTCOME: pytest.StashKey[Any] = pytest.StashKey()  # harness.engine.Outcome of the test's last example
