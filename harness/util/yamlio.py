"""Reading YAML: libyaml's parser where PyYAML was built with it (about ten times faster than the
pure-Python one, which was a tenth of the harness's own test run), the same safe constructors."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# what safe_load raises: catch this one, the class of the yaml module that parsed (a test runner that
# restores sys.modules can leave two yaml modules, whose error classes are not each other's)
YAMLError: type[Exception] = yaml.YAMLError


def safe_load(text: str) -> Any:
    """yaml.safe_load(text), with libyaml's parser when available."""
    return yaml.load(text, Loader=SafeLoader)
