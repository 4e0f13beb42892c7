"""A target backed by a persistent Node worker (a real npm implementation, `harness/targets/node/<name>/`).

The worker speaks JSON lines (protocol v2, implemented once in `harness/targets/node/_shared/protocol.mjs`):

* on start-up one line ``{"ready": true, "versions": {...}}``;
* then the target protocol of harness.targets.process, answers paired by id:
  ``{"protocol", "id", "op": "transform", "case"}`` -> ``{"id", "ok": true, "result": OUTBOUND}``;
* ``{"protocol", "id", "op": "usage", "model", "cost", "chunks"}`` -> ``{"id", "ok": true, "result": USAGE}``;
* a failure is ``{"id", "ok": false, "error": {"type", "message"}}`` with type
  ``case_error`` (-> CaseError), ``unsupported`` (-> NotExpressible: the engine rejects the
  example) or ``crash`` (-> TargetError).

The worker is started once per target instance (a session) with cwd = the install dir and an
environment from `install.worker_env` (scratch HOME / state dirs, no provider keys); a timeout
kills it and the next case starts a fresh one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import CaseError, TargetError, TargetProtocolError, TargetUnavailable
from harness.targets.base import NotExpressible, Target, check_outbound
from harness.targets.node import install as node_install
from harness.targets.process import PROTOCOL, JsonLinesProcess, scrubbed_env
from harness.util.scrub import scrub_text

DEFAULT_TIMEOUT = 30.0
STARTUP_TIMEOUT = 180.0


def install_hint(node_target: str, tox_env: str | None = None) -> str:
    return (
        f"not installed, run: tox -e {tox_env or node_target} (or python -m harness.targets.node.install {node_target})"
    )


def cost_per_mtok(cost: dict[str, Any]) -> dict[str, float] | None:
    """A catalog price in USD per million tokens, as pi-ai and OpenClaw price usage (None: another unit)."""
    scale = {"usd_per_mtok": 1, "usd_per_ktok": 1000}.get(cost.get("unit", "usd_per_mtok"))
    if scale is None:
        return None
    return {k: float(cost.get(k, 0) or 0) * scale for k in ("input", "output", "cacheRead", "cacheWrite")}


class NodeWorkerTarget(Target):
    """Generic worker-backed target. Subclasses set `node_target` (the folder name under
    harness/targets/node/), `package` (the npm package whose version is reported) and
    `capabilities`."""

    node_target: str = ""
    package: str = ""
    tox_env: str | None = None
    version_env: str = ""  # environment variable naming the version (it must equal the pin)
    # Why a ref outside moonshot/ (without a custom provider) cannot be driven; why an alias cannot.
    not_moonshot_reason: str = "only moonshot/ refs can be driven"
    alias_reason: str = "aliases are not resolved by this target"
    driven_prefixes: tuple[str, ...] = ("moonshot/",)  # refs driven without a custom provider

    def __init__(
        self, version: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, cache_dir: str | Path | None = None
    ):
        pinned = node_install.target_version(self.node_target)
        version = version or (os.environ.get(self.version_env, "") if self.version_env else "")
        self.version = (version or pinned).strip()
        self.name = self.node_target
        if self.version != pinned:
            raise TargetUnavailable(
                f"{self.node_target} {self.version} is not the pinned version ({pinned}); pin it in "
                f"harness/targets/node/{self.node_target}/package.json, then "
                f"python -m harness.targets.node.install {self.node_target}"
            )
        self.cache_dir = Path(cache_dir) if cache_dir else node_install.default_cache_dir(self.node_target)
        if not node_install.is_installed(self.node_target, self.cache_dir):
            raise TargetUnavailable(f"{self.node_target} {install_hint(self.node_target, self.tox_env)}")
        # this checkout's own code: not the install's shared entry, which another checkout may repoint
        worker = node_install.sync_worker(self.node_target, self.cache_dir)
        self._scratch = Path(tempfile.mkdtemp(prefix=f"kimi-conformance-{self.node_target}-"))
        env = node_install.worker_env(self._scratch, base=scrubbed_env())
        # The worker's own per-case guard fires a little before ours, so it can answer "crash".
        env["KIMI_CONFORMANCE_CASE_TIMEOUT_MS"] = str(int(max(timeout - 1.0, 0.5 * timeout) * 1000))
        self.timeout = timeout
        self.process = JsonLinesProcess(
            [str(node_install.node_path(self.cache_dir)), str(worker)],
            name=f"{self.node_target} worker",
            timeout=timeout,
            cwd=self.cache_dir,
            env=env,
            startup_line=True,
            startup_timeout=STARTUP_TIMEOUT,
        )
        self._versions: dict[str, str] | None = None
        self.starts = 0

    # -- protocol ----------------------------------------------------------------------
    def _call(self, op: str, what: str, **fields: Any) -> Any:
        before = self.process.hello
        try:
            return self.process.call(op, what, **fields)
        finally:
            if self.process.hello is not before and self.process.hello is not None:  # (re)started
                self._on_start(self.process.hello)

    def _on_start(self, hello: Any) -> None:
        if not isinstance(hello, dict) or hello.get("ready") is not True or not isinstance(hello.get("versions"), dict):
            self.process._restart()
            # a protocol error: on every start, N in a row mark the target broken (harness.pytest_plugin.targets)
            raise TargetProtocolError(
                f"{self.name}: the worker's first line is not a ready line: {scrub_text(str(hello)[:300])}"
            )
        if hello.get("protocol") != PROTOCOL:
            self.process._restart()
            raise TargetProtocolError(
                f"{self.name}: the worker speaks target protocol {hello.get('protocol')!r}, "
                f"the harness {PROTOCOL}: reinstall (python -m harness.targets.node.install "
                f"{self.node_target})"
            )
        versions = {str(k): str(v) for k, v in hello["versions"].items()}
        got = versions.get(self.package)
        if got is not None and got != self.version:
            self.process._restart()
            raise TargetError(f"{self.name}: the worker runs {self.package} {got}, expected {self.version}")
        self._versions = versions
        self.starts += 1

    def start(self) -> None:
        """Start the worker now (otherwise the first case does)."""
        if self.process._proc is None or self.process._proc.poll() is not None:
            with self.process._lock:
                self.process._start()
            self._on_start(self.process.hello)

    # -- Target ------------------------------------------------------------------------
    def precheck(self, case: dict[str, Any]) -> None:
        """Raise NotExpressible for shapes the worker is known to reject, without a round trip
        (the worker still checks everything itself). Both Node SDKs take a model id, not an
        alias, and a single system prompt; subclasses add their own limits."""
        model = case.get("model")
        if isinstance(model, str) and "/" not in model:
            raise NotExpressible(f"{self.name}: model alias {model!r}: {self.alias_reason}")
        if isinstance(model, str) and not model.startswith(self.driven_prefixes) and not case.get("provider"):
            raise NotExpressible(f"{self.name}: {model!r}: {self.not_moonshot_reason}")
        leading = [
            m
            for m in (case.get("request") or {}).get("messages") or []
            if isinstance(m, dict) and m.get("role") in ("system", "developer")
        ]
        if len(leading) > 1:
            raise NotExpressible(
                f"{self.name}: a single system prompt only (got {len(leading)} system/developer messages)"
            )

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        self.precheck(case)
        result = self._call("transform", "a case", case=case)
        return check_outbound(result, self.name)

    def usage(self, model_ref: str, chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
        """T9: the implementation's own usage and cost for a streamed response (`chunks`), priced
        at the catalog's rates for `model_ref` (passed to the implementation as its model cost,
        USD per million tokens). The shape is OpenClaw's / pi-ai's Usage:
        {input, output, cacheRead, cacheWrite, totalTokens, cost: {..., total}}."""
        from harness.catalog import builtin
        from harness.errors import CatalogError

        try:
            model = builtin().resolve(model_ref)
        except CatalogError as e:
            raise CaseError(str(e)) from None
        if model.provider.id != "moonshot":
            raise NotExpressible(
                f"{self.name}: usage is driven through the built-in moonshot provider only, not {model_ref}"
            )
        rates = cost_per_mtok(model.cost)
        if rates is None:
            raise NotExpressible(f"{self.name}: price unit {model.cost.get('unit')!r}")
        try:
            result = self._call("usage", "a usage stream", model=model.id, cost=rates, chunks=chunks)
        except CaseError as e:
            if "reported no usage" in str(e):
                return None
            raise
        if not isinstance(result, dict):
            raise TargetError(f"{self.name}: usage answered {type(result).__name__}, expected an object")
        return result

    def versions(self) -> dict[str, str]:
        if self._versions is None:
            try:
                self.start()
            except TargetError as e:
                return {self.package: self.version, "error": str(e)[:200]}
        return dict(self._versions or {})

    def close(self) -> None:
        self.process.close()
        shutil.rmtree(self._scratch, ignore_errors=True)
