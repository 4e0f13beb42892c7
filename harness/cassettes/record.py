"""(Re)record every wire cassette: `python -m harness.cassettes.record [pytest args]`.

Starts the emulator on a free loopback port, runs the wire suites with
`--kimi-record-mode=rewrite --upstream <emulator>/v1 --upstream-kimi <emulator>/coding/v1` (Moonshot
and Kimi Coding; cassettes say `provenance: emulator`), then
prints what it wrote. `--live` records from the real API instead (needs the API keys; the
cassettes then say `live`). Extra arguments go to pytest (e.g. `--model moonshot/kimi-k2.6`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:  # the recorder's own help, not pytest's
        print(__doc__.strip() + "\n\nusage: python -m harness.cassettes.record [--live] [--cassette-dir=DIR] "
              "[pytest options, e.g. --model REF]\n  --live              record from the real APIs "
              "(MOONSHOT_API_KEY / KIMI_API_KEY)\n  --cassette-dir=DIR  where cassettes are written "
              "(default: cassettes/)\nThe cassettes of real provenance (cassettes/real/) are built from "
              "the shipped captures instead: python -m harness.cassettes.real")
        return 0
    cassette_dir = REPO / "cassettes"
    for a in argv:
        if a.startswith("--cassette-dir="):
            cassette_dir = Path(a.split("=", 1)[1])
    started = time.time()
    emulator = None
    if "--live" in argv:
        extra = []
    else:
        from harness.emulator import Emulator

        emulator = Emulator()
        extra = ["--upstream", emulator.start(), "--upstream-kimi", emulator.coding_base_url]
        print(f"emulator at {emulator.base_url} (Moonshot) and {emulator.coding_base_url} (Kimi Coding)",
              flush=True)
    cmd = [sys.executable, "-m", "pytest", str(REPO / "suites" / "wire"), "-q", "-p", "no:cacheprovider",
           "--kimi-record-mode=rewrite", *extra, *argv]
    print("running:", " ".join(cmd), flush=True)
    try:
        code = subprocess.call(cmd, cwd=REPO) if emulator is None else _run_with_emulator(cmd)
    finally:
        if emulator is not None:
            emulator.stop()
    written = sorted(p for p in cassette_dir.rglob("*.yaml") if p.stat().st_mtime >= started - 1)
    size = sum(p.stat().st_size for p in cassette_dir.rglob("*.yaml"))
    for p in written:
        print(f"wrote {p.relative_to(cassette_dir.parent) if cassette_dir.parent in p.parents else p}")
    print(f"{len(written)} cassette(s) written; {size / 1024:.0f} KiB in {cassette_dir}")
    return code


def _run_with_emulator(cmd: list[str]) -> int:
    # the emulator serves from this process's threads while pytest runs in a child process
    return subprocess.call(cmd, cwd=REPO)


if __name__ == "__main__":
    sys.exit(main())
