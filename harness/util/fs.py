"""Filesystem steps shared by the installers: never leave a half-built directory in place."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def replace_dir(built: Path, target: Path) -> None:
    """Move the fully built directory `built` to `target`, replacing an older one.

    Two renames on one filesystem: a reader sees the old tree or the new one, never a mix, and a
    crash leaves at worst a `.old` sibling to clean up, not a broken install.
    """
    if target.exists():
        old = target.with_name(f".{target.name}.old.{os.getpid()}")
        os.rename(target, old)
        os.rename(built, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(built, target)
