"""Root conftest: lets the suites run from a plain checkout too.

Installed (`pip install -e .` or tox), the plugin comes in through the `pytest11` entry point;
from a bare checkout it is registered here instead — never both, which pytest would reject.
"""

from importlib.metadata import entry_points

if not any(
    ep.value in ("kimi_conformance.plugin", "harness.pytest_plugin.plugin") for ep in entry_points(group="pytest11")
):
    pytest_plugins = ["harness.pytest_plugin.plugin"]
