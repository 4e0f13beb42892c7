"""The pytest plugin's entry point (`pytest11: kimi_conformance`).

Registers `harness.pytest_plugin.plugin` — after checking that `harness` is kimi-conformance's own; when another
`harness` shadows it, pytest stops with one line saying so (a UsageError raised at import time).
"""

import pytest

from kimi_conformance import shadowing_problem

_problem = shadowing_problem()
if _problem:
    raise pytest.UsageError(_problem)

# pytest imports and registers this under the name "harness.pytest_plugin.plugin" (once, also when the root
# conftest of a checkout names it too)
pytest_plugins = ["harness.pytest_plugin.plugin"]
