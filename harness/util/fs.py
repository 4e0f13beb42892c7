"""Filesystem steps: never leave a half-built directory (installers) or half a file (cassettes,
results, reports) in place."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str) -> None:
    """Write text to path atomically: temp file in the same directory, fsync, os.replace.
    The file keeps its mode (mkstemp's 0600 would turn a 0644 cassette private)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    # the writer's pid in the name: a concurrent recorder's cleanup leaves a live writer's file alone
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
