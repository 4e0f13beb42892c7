"""`python:MODULE:CALLABLE` — any importable callable with the signature of `transform`."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from harness.errors import CaseError, TargetError, TargetUnavailable
from harness.targets.base import TRANSFORM_ONLY, Capabilities, NotExpressible, Target, check_outbound


class PythonTarget(Target):
    capabilities = Capabilities(rules=TRANSFORM_ONLY, why_not={"T9": "a transform-only target reports no usage"})

    def __init__(self, spec: str):
        self.name = f"python:{spec}"
        module_name, sep, attr = spec.partition(":")
        if not sep or not module_name or not attr:
            raise TargetUnavailable(f"python target wants MODULE:CALLABLE, got {spec!r}")
        if os.getcwd() not in sys.path:  # as `python -m` would: the project's own modules import
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise TargetUnavailable(f"cannot import {module_name!r} for target {self.name}: {e}") from None
        fn: Any = module  # walks attributes of an arbitrary module
        for part in attr.split("."):
            fn = getattr(fn, part, None)
        if not callable(fn):
            raise TargetUnavailable(f"{module_name}:{attr} is not a callable")
        self._fn = fn

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        try:
            result = self._fn(case)
        except (CaseError, NotExpressible):  # a malformed case; a case it cannot express (discarded)
            raise
        except Exception as e:  # the callable crashed: a finding, not a harness failure
            raise TargetError(f"{self.name} raised {type(e).__name__}: {e}") from e
        return check_outbound(result, self.name)
