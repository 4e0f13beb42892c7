"""Installing Allure 3 (npm `allure`, pinned in allure3/package.json + lock) into the cache:
idempotent (a stamp holds the package hash) and atomic, with the system Node (>= 20)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness.util.fs import replace_dir

HERE = Path(__file__).resolve().parent
ALLURE3_SRC = HERE / "allure3"
STAMP = ".kimi-conformance-install.json"
NODE_MIN = 20


def _say(msg: str) -> None:
    print(f"[report] {msg}", flush=True)


class BuildError(RuntimeError):
    pass


# ----------------------------------------------------------------------------------- install
def allure_version() -> str:
    pkg = json.loads((ALLURE3_SRC / "package.json").read_text())
    return pkg["dependencies"]["allure"]


def cache_root() -> Path:
    from harness.targets.node.install import cache_root as node_cache_root

    return node_cache_root()


def install_dir() -> Path:
    return cache_root() / "allure3" / f"allure-{allure_version()}"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        p = ALLURE3_SRC / name
        if p.is_file():
            h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def cli_path(directory: Path) -> Path:
    return directory / "node_modules" / "allure" / "cli.js"


def node_binary() -> str:
    node = os.environ.get("KIMI_CONFORMANCE_NODE") or shutil.which("node")
    if not node:
        raise BuildError(
            "node not found on PATH (Allure 3 needs Node >= 20): install nodejs >= 20 or set KIMI_CONFORMANCE_NODE"
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(out.lstrip("v").split(".")[0])
    if major < NODE_MIN:
        raise BuildError(f"{node} is {out}; Allure 3 needs Node >= {NODE_MIN}")
    return node


def is_installed(directory: Path | None = None) -> bool:
    directory = directory or install_dir()
    try:
        stamp = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == _fingerprint() and cli_path(directory).is_file()


def install(force: bool = False) -> Path:
    """Allure 3 in the cache (npm ci of the pinned package.json + lock); returns its folder."""
    target = install_dir()
    if not force and is_installed(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm not found on PATH (needed once, to install the pinned Allure 3 into the cache)")
    node_binary()
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            if (ALLURE3_SRC / name).is_file():
                shutil.copyfile(ALLURE3_SRC / name, tmp / name)
        verb = "ci" if (tmp / "package-lock.json").is_file() else "install"
        cmd = [npm, verb, "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev", "--prefix", str(tmp)]
        _say("$ " + " ".join(cmd))
        from harness.targets.node.install import npm_env

        subprocess.run(cmd, cwd=tmp, check=True, env=npm_env(dict(os.environ)))
        (tmp / STAMP).write_text(
            json.dumps(
                {
                    "allure": allure_version(),
                    "fingerprint": _fingerprint(),
                    "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                indent=2,
            )
            + "\n"
        )
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _say(f"installed Allure {allure_version()} at {target} in {time.monotonic() - t0:.0f}s")
    return target


# ----------------------------------------------------------------------------------- scrubbing
