"""The Node workers share one implementation of protocol 2 (harness/targets/node/_shared/).

* no two workers share a block of six or more code lines (what is common belongs in _shared/);
* the installer copies a target's folder and _shared/ side by side, so the workers' relative
  imports resolve in the install dir, refreshes the copy when either changes, and never takes
  _shared for a target;
* the shared protocol loop itself, run by the system ``node`` through a minimal echo worker
  (no npm package needed; skipped without ``node`` on PATH).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from itertools import combinations
from pathlib import Path

import pytest

from harness.targets.node import install as node_install

WINDOW = 6
# Lines that say nothing about shared logic (the `duplicates` tool passes over them too): comments,
# lone punctuation, and imports (every worker imports the same shared names).
_PUNCTUATION = re.compile(r"^[\s{}()\[\];,]*$")
_RELATIVE_IMPORT = re.compile(r"""(?:from|import)\s*["'](\.\.?/[^"']+)["']""")


def code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, whitespace-folded text) of the lines that count as code."""
    out: list[tuple[int, str]] = []
    in_import = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = " ".join(raw.split())
        if in_import:
            in_import = not line.endswith(";")
            continue
        if line.startswith("import ") or line.startswith("import{"):
            in_import = not line.endswith(";")
            continue
        if not line or line.startswith(("//", "/*", "*")) or _PUNCTUATION.match(line):
            continue
        out.append((no, line))
    return out


def shared_block(a: str, b: str, window: int = WINDOW) -> tuple[int, int] | None:
    """The first lines (in a, in b) of a run of `window` identical code lines, or None."""
    la, lb = code_lines(a), code_lines(b)
    seen = {tuple(t for _, t in lb[i : i + window]): lb[i][0] for i in range(len(lb) - window + 1)}
    for i in range(len(la) - window + 1):
        hit = seen.get(tuple(t for _, t in la[i : i + window]))
        if hit is not None:
            return la[i][0], hit
    return None


def worker_sources() -> dict[str, list[Path]]:
    """Every target's own .mjs files (the worker and what it keeps beside it)."""
    return {
        name: sorted(p for p in node_install.target_dir(name).rglob("*.mjs") if "node_modules" not in p.parts)
        for name in node_install.known_targets()
    }


def test_the_detector_finds_six_shared_lines_and_not_five():
    body = [f"const v{i} = f({i});" for i in range(6)]
    six = "\n".join(["// one", "let a = 1;", *body[:3], "", "// a comment in the run", *body[3:]])
    other = "\n".join(["let b = 2;", *body, "return b;"])
    assert shared_block(six, other) == (3, 2)
    assert shared_block("\n".join(body[:5]), "\n".join(body[:5])) is None
    # imports and punctuation do not make a shared block
    assert shared_block("\n".join(["import x from 'y';", "});", *body[:5]]), "\n".join(["});", *body[:5]])) is None


def test_no_two_workers_share_a_block_of_six_lines():
    sources = worker_sources()
    assert {"openclaw", "pi-ai"} <= set(sources), sources
    found = []
    for fa, fb in combinations(sources.values(), 2):
        for pa in fa:
            for pb in fb:
                hit = shared_block(pa.read_text(encoding="utf-8"), pb.read_text(encoding="utf-8"))
                if hit:
                    found.append(
                        f"{pa.relative_to(node_install.TARGETS_DIR)}:{hit[0]} ~ "
                        f"{pb.relative_to(node_install.TARGETS_DIR)}:{hit[1]}"
                    )
    assert not found, f"move the shared lines to {node_install.SHARED}/: {found}"


def test_every_worker_speaks_protocol_2_through_the_shared_module():
    for name in node_install.known_targets():
        text = (node_install.target_dir(name) / node_install.WORKER).read_text(encoding="utf-8")
        assert "../_shared/protocol.mjs" in _RELATIVE_IMPORT.findall(text), name
        assert "readline" not in text and "createServer" not in text, f"{name} runs a loop of its own"


def test_shared_is_not_a_target():
    assert node_install.SHARED not in node_install.known_targets()
    with pytest.raises(ValueError, match="unknown node target"):
        node_install.target_dir(node_install.SHARED)


def _copy_sources(tmp_path: Path, monkeypatch) -> Path:
    src = tmp_path / "src"
    shutil.copytree(node_install.TARGETS_DIR, src, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    monkeypatch.setattr(node_install, "TARGETS_DIR", src)
    return src


def _installed_code(install: Path) -> Path:
    entry = (install / node_install.WORKER).read_text(encoding="utf-8")
    (spec,) = _RELATIVE_IMPORT.findall(entry)
    worker = (install / spec).resolve()
    assert worker.is_file(), entry
    return worker


@pytest.mark.parametrize("target", ["openclaw", "pi-ai"])
def test_the_installed_copy_resolves_every_relative_import(tmp_path, target):
    install = tmp_path / "install"
    install.mkdir()
    node_install.sync_worker(target, install)
    worker = _installed_code(install)
    assert worker.parent.name == target
    code = worker.parent.parent
    mjs = list(code.rglob("*.mjs"))
    assert {p.name for p in (code / node_install.SHARED).iterdir()} >= {"protocol.mjs", "pi-context.mjs"}
    for p in mjs:
        for spec in _RELATIVE_IMPORT.findall(p.read_text(encoding="utf-8")):
            assert (p.parent / spec).resolve().is_file(), f"{p.relative_to(code)} imports {spec}"
    # npm's files stay at the install root (installed there by install()), not in the code copy
    assert not (code / target / "package-lock.json").exists()


def test_sync_is_idempotent_and_follows_a_change_of_the_shared_module(tmp_path, monkeypatch):
    src = _copy_sources(tmp_path, monkeypatch)
    install = tmp_path / "install"
    install.mkdir()
    entry = node_install.sync_worker("pi-ai", install)
    first = _installed_code(install)
    stat = entry.stat()
    assert node_install.sync_worker("pi-ai", install) == entry
    assert _installed_code(install) == first and entry.stat().st_mtime_ns == stat.st_mtime_ns
    assert len(list((install / node_install.CODE).iterdir())) == 1

    shared = src / node_install.SHARED / "protocol.mjs"
    shared.write_text(shared.read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
    node_install.sync_worker("pi-ai", install)
    second = _installed_code(install)
    assert second != first
    assert (
        (second.parent.parent / node_install.SHARED / "protocol.mjs")
        .read_text(encoding="utf-8")
        .endswith("// changed\n")
    )
    # the older copy stays while it may be in use (another checkout's), and goes once stale
    assert first.exists()
    old = first.parent.parent
    os.utime(old, (time.time() - node_install.STALE_CODE_S - 60,) * 2)
    node_install.sync_worker("pi-ai", install)
    assert not first.exists(), "the stale copy is removed"
    assert len(list((install / node_install.CODE).iterdir())) == 1


def test_two_checkouts_each_start_their_own_code(tmp_path, monkeypatch):
    """One install, two checkouts with different worker code (a deep search beside a change): each
    sync returns its own code's worker file, which the other's sync neither repoints nor removes —
    the shared entry `worker.mjs` used to be repointed by whichever synced last, so a worker started
    after that ran the other checkout's code."""
    src = _copy_sources(tmp_path, monkeypatch)
    install = tmp_path / "install"
    install.mkdir()
    mine = node_install.sync_worker("pi-ai", install)
    assert mine == _installed_code(install) and mine.name == node_install.WORKER
    shared = src / node_install.SHARED / "protocol.mjs"
    shared.write_text(shared.read_text(encoding="utf-8") + "\n// the other checkout\n", encoding="utf-8")
    theirs = node_install.sync_worker("pi-ai", install)
    assert theirs != mine and _installed_code(install) == theirs
    assert mine.is_file()
    assert (
        not (mine.parent.parent / node_install.SHARED / "protocol.mjs")
        .read_text(encoding="utf-8")
        .endswith("// the other checkout\n")
    )


ECHO_WORKER = """\
import { caseError, serve, unsupported } from "../_shared/protocol.mjs";
console.log("to stderr, not stdout");
await serve({
  ops: { transform: async (msg) => msg.case, usage: () => unsupported("no usage here"), config: () => caseError("bad") },
  versions: { echo: "1.0.0" },
});
"""


@pytest.fixture
def echo_install(tmp_path, monkeypatch):
    if shutil.which("node") is None:
        pytest.skip("no node on PATH")
    src = _copy_sources(tmp_path, monkeypatch)
    (src / "echo").mkdir()
    (src / "echo" / "package.json").write_text(json.dumps({"name": "echo", "version": "1.0.0"}), encoding="utf-8")
    (src / "echo" / node_install.WORKER).write_text(ECHO_WORKER, encoding="utf-8")
    install = tmp_path / "install"
    install.mkdir()
    node_install.sync_worker("echo", install)
    return install


@pytest.mark.integration
def test_the_shared_protocol_loop(echo_install):
    lines = [
        {"id": 1, "op": "transform", "case": {"a": [1, "x"]}},
        {"id": 2, "op": "usage"},
        {"id": 3, "op": "config"},
        {"id": 4, "op": "nope"},
        {"id": 5, "op": "toString"},  # not an own op: unknown, not a crash
    ]
    stdin = "\n".join([*(json.dumps(line) for line in lines), "", "{not json"]) + "\n"
    r = subprocess.run(
        ["node", node_install.WORKER],
        cwd=echo_install,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out[0]["ready"] is True and out[0]["protocol"] == 2
    assert out[0]["versions"]["echo"] == "1.0.0" and "node" in out[0]["versions"]
    assert out[1:] == [
        {"id": 1, "ok": True, "result": {"a": [1, "x"]}},
        {"id": 2, "ok": False, "error": {"type": "unsupported", "message": "no usage here"}},
        {"id": 3, "ok": False, "error": {"type": "case_error", "message": "bad"}},
        {"id": 4, "ok": False, "error": {"type": "case_error", "message": 'unknown op "nope"'}},
        {"id": 5, "ok": False, "error": {"type": "case_error", "message": 'unknown op "toString"'}},
        {"id": None, "ok": False, "error": {"type": "case_error", "message": out[-1]["error"]["message"]}},
    ]
    assert out[-1]["error"]["message"].startswith("bad JSON line")
    assert "to stderr, not stdout" in r.stderr


def _fake_install(parent: Path, name: str, node: str, prints: str) -> Path:
    """A finished install beside others: its stamp names its Node version; its node prints `prints`."""
    d = parent / name
    (d / "runtime" / "bin").mkdir(parents=True)
    binary = d / "runtime" / "bin" / "node"
    binary.write_text(f"#!/bin/sh\necho {prints}\n")
    binary.chmod(0o755)
    (d / node_install.STAMP).write_text(json.dumps({"target": name, "node": node}))
    return binary


@pytest.mark.integration  # runs the copied binary (a shell script here)
def test_a_second_install_copies_the_node_of_the_first(tmp_path, monkeypatch):
    parent = tmp_path / "node"
    _fake_install(parent, "openclaw-1", "24.21.0", "v24.21.0")
    monkeypatch.setattr(node_install, "_run", lambda cmd, **kw: pytest.fail(f"fetched instead of copying: {cmd}"))
    dest = tmp_path / "new" / "runtime"
    node_install._install_node("24.21.0", dest, tmp_path, beside=parent)
    assert (dest / "bin" / "node").read_text().endswith("echo v24.21.0\n")


@pytest.mark.integration
@pytest.mark.parametrize("node, prints", [("22.1.0", "v22.1.0"), ("24.21.0", "v0.0.0-broken")])
def test_another_version_or_a_broken_copy_is_fetched(tmp_path, monkeypatch, node, prints):
    parent = tmp_path / "node"
    _fake_install(parent, "openclaw-1", node, prints)
    fetched = []

    def fetch(cmd, **kw):
        fetched.append(cmd)
        raise RuntimeError("fetch")

    monkeypatch.setattr(node_install, "_run", fetch)
    dest = tmp_path / "new" / "runtime"
    with pytest.raises(RuntimeError, match="fetch"):
        node_install._install_node("24.21.0", dest, tmp_path, beside=parent)
    assert fetched and fetched[0][:2] == ["npm", "pack"]
    assert not (dest / "bin" / "node").exists()  # a copy that is not that Node is not left behind


def test_several_targets_install_side_by_side_each_line_saying_whose(monkeypatch, capsys, tmp_path):
    import threading

    started: list[str] = []
    both = threading.Barrier(2, timeout=5)  # only installs running at once both get past it

    def install(name, cache_dir=None, *, force=False):
        node_install._say(f"installing {name}")
        started.append(name)
        both.wait()
        if name == "vercel-ai":
            raise RuntimeError("npm ci failed")
        return tmp_path / name

    monkeypatch.setattr(node_install, "install", install)
    assert node_install.main(["pi-ai", "vercel-ai"]) == 1  # one failed: the command fails
    out, err = capsys.readouterr()
    assert sorted(started) == ["pi-ai", "vercel-ai"]
    assert "[install pi-ai] installing pi-ai" in out and str(tmp_path / "pi-ai") in out
    assert err.strip() == "[install vercel-ai] error: npm ci failed"


def test_one_target_installs_as_before_and_cache_dir_takes_one(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(node_install, "install", lambda name, cache_dir=None, *, force=False: node_install._say("x"))
    assert node_install.main(["pi-ai"]) == 0
    assert capsys.readouterr().out.startswith("[install] x")
    with pytest.raises(SystemExit) as e:
        node_install.main(["pi-ai", "openclaw", "--cache-dir", str(tmp_path)])
    assert e.value.code == 2 and "--cache-dir is the install dir of one target" in capsys.readouterr().err
