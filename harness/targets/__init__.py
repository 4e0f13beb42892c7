"""Targets: the systems under test, selected with `--kimi-target NAME`.

Built in: `reference` (default), `python:MODULE:CALLABLE`, `command:CMD`. Named targets
(openclaw, pi-ai, litellm, pydantic-ai, vercel-ai, http:URL) are looked up lazily so their heavy imports only happen
when asked for; another package can add its own through the `kimi_conformance.targets`
entry-point group (name -> a factory taking the spec's argument).

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`, `corpus`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from harness.errors import TargetUnavailable
from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible, Target

__all__ = ["ALL_FEATURES", "ALL_RULES", "Capabilities", "NotExpressible", "Target", "create", "known", "split_alias"]

# name -> "module:factory"; the factory takes the text after "name:" (or "" if none).
_BUILTIN = {
    "reference": "harness.targets.reference:ReferenceTarget",
    "python": "harness.targets.python_callable:PythonTarget",
    "command": "harness.targets.command:CommandTarget",
    "openclaw": "harness.targets.openclaw:OpenClawTarget",
    "pi-ai": "harness.targets.pi_ai:PiAiTarget",
    "litellm": "harness.targets.litellm_target:LiteLLMTarget",
    "pydantic-ai": "harness.targets.pydantic_ai_target:PydanticAITarget",
    "vercel-ai": "harness.targets.vercel_ai:VercelAITarget",
    "http": "harness.targets.http_gateway:HttpGatewayTarget",
}


def known() -> dict[str, str]:
    found = dict(_BUILTIN)
    for ep in entry_points(group="kimi_conformance.targets"):
        found.setdefault(ep.name, ep.value)
    return found


def _load(path: str) -> Callable[..., Target]:
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise TargetUnavailable(f"target factory {path} is not available: {e}") from None


def split_alias(spec: str) -> tuple[str, str]:
    """`NAME=SPEC` gives a target a stable display name (report history ids stay stable when the
    implementation behind it changes); a bare SPEC is its own name."""
    alias, sep, rest = spec.partition("=")
    if sep and alias and ":" not in alias and " " not in alias and rest:
        return alias, rest
    return spec, spec


def check_spec(spec: str) -> None:
    """What must hold of a `--kimi-target` value before anything starts: a command line that splits.
    A spec that cannot be read is a usage error for the session, not a failure of a target that
    never existed (an unknown or uninstalled target stays "not available", per target)."""
    name, _, arg = split_alias(spec)[1].partition(":")
    if name == "command":
        from harness.targets.command import split_command

        split_command(arg)


def create(spec: str, **options) -> Target:
    """Build a target from a `--kimi-target` value such as `reference`, `python:m:f`, `command:./x`,
    optionally named: `mygw=http:http://127.0.0.1:8080/v1`."""
    from harness.util.scrub import spec_name

    alias, spec = split_alias(spec)
    target = _create(spec, **options)
    # The name is shown and stored everywhere (failures, attachments, reports, file names): the one
    # redaction of a spec (a URL's short userinfo token included), as divergence files store it.
    target.name = spec_name(alias if alias != spec else target.name)
    return target


def _create(spec: str, **options) -> Target:
    name, sep, arg = spec.partition(":")
    registry = known()
    if name not in registry:
        from harness.util.scrub import redacted_spec

        raise TargetUnavailable(f"unknown target {redacted_spec(spec)!r}; known: {', '.join(sorted(registry))}")
    factory = _load(registry[name])
    if name == "reference":
        return factory(options.get("catalog"))
    if name == "command":
        return factory(arg, timeout=options.get("timeout", 30.0))
    if name == "http":  # http:URL keeps its own colon
        return factory(arg, **{k: v for k, v in options.items() if k == "timeout"})
    if name in ("openclaw", "pi-ai", "vercel-ai"):  # process targets honour --kimi-target-timeout
        return (
            factory(arg, timeout=options.get("timeout", 30.0)) if sep else factory(timeout=options.get("timeout", 30.0))
        )
    return factory(arg) if sep else factory()
