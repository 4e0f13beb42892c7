"""The warm process of tests/child.py. Run as `python -c <this file's text>` (never imported).

Single-threaded on purpose: it only forks, so a child never inherits another thread's lock.
Protocol on stdin/stdout, one JSON line each way: a request {args, cwd, env, out, err}; the
answer {"pid": N} at once, then {"code": N} when the child ends.
"""

import json
import os
import sys

sys.path.pop(0)  # `-c` put the caller's cwd first: each child puts its own there, as `-m pytest` does
for name in ("pytest", "_pytest.config", "_pytest.python", "_pytest.fixtures", "_pytest.terminal", "hypothesis",
             "hypothesis.strategies", "httpx", "vcr", "jsonschema", "referencing", "yaml", "json5",
             "fastjsonschema", "asyncio", "decimal",
             # the other pytest plugins every child loads (where installed)
             "allure_pytest.plugin", "xdist.plugin", "xdist.looponfail", "anyio.pytest_plugin",
             "pytest_recording.plugin"):  # fmt: skip
    try:
        __import__(name)
    except ImportError:
        pass
# Their pytest plugins mark these for assertion rewriting, which pytest cannot do to a module
# imported before it (and says so in a warning): imported here, they opt out as a module may.
for name in ("hypothesis", "_hypothesis_globals", "vcr.matchers", "allure_pytest", "xdist", "anyio",
             "pytest_recording"):  # fmt: skip
    if name in sys.modules:
        sys.modules[name].__doc__ = (sys.modules[name].__doc__ or "") + "\nPYTEST_DONT_REWRITE (tests/child.py)"
BASE_PATH = list(sys.path)


def child(req: dict) -> None:
    """In the forked child: become `cd CWD && env ENV python -m pytest ARGS`, then exit."""
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    extra = [p for p in req["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [req["cwd"], *extra, *BASE_PATH]
    sys.dont_write_bytecode = bool(req["env"].get("PYTHONDONTWRITEBYTECODE"))
    sys.argv = ["-m", *req["args"]]  # runpy puts the module's path first, as `-m` does
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, req["out"]), (2, req["err"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    import runpy

    # exactly `python -m pytest` (it ends in SystemExit); then a normal interpreter exit: atexit
    # handlers, flushes, non-daemon threads
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)


def main() -> None:
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(req)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.write(json.dumps({"code": code}) + "\n")
        out.flush()


main()
