"""Readable diffs for people (attachments, terminal); never parsed by code."""

from __future__ import annotations

import difflib
import json
from typing import Any


def diff(expected: Any, actual: Any, labels=("reference", "target")) -> str:
    a = json.dumps(expected, indent=1, sort_keys=True, default=str).splitlines()
    b = json.dumps(actual, indent=1, sort_keys=True, default=str).splitlines()
    fromfile, tofile = labels
    return "\n".join(difflib.unified_diff(a, b, fromfile, tofile, lineterm="", n=2))
