"""The wire scenarios (scenarios.json) and which of them apply to which catalog model."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("scenarios.json")


@cache
def load(path: Path = PATH) -> dict[str, Any]:
    """A scenarios file (this one, or a surface's own such as anthropic_scenarios.json)."""
    return json.loads(path.read_text(encoding="utf-8"))


def find(sid: str, path: Path = PATH, kind: str = "wire") -> dict[str, Any]:
    for s in load(path)["scenarios"]:
        if s["id"] == sid:
            return s
    raise KeyError(f"unknown {kind} scenario {sid!r}")


def data() -> dict[str, Any]:
    return load()


def scenario_ids() -> list[str]:
    return [s["id"] for s in data()["scenarios"]]


def scenario(sid: str) -> dict[str, Any]:
    return find(sid)


@dataclass(frozen=True)
class ModelFacts:
    """What the scenario predicates look at, from the catalog (and scenarios.json overrides)."""

    ref: str
    status: str
    thinking: str  # effective thinking mode (none on providers without Moonshot rules)
    thinks_by_default: bool
    image: bool
    keep: bool
    fixed_sampling: bool
    tool_ids: str
    override_reason: str | None = None
    web_search: bool = False  # the catalog lists the model under its provider's webSearch.models (T10)


def facts(model) -> ModelFacts:
    override = data()["model_overrides"].get(model.ref, {})
    mode = model.thinking_mode
    thinking = model.thinking
    thinks = mode in ("always", "effort") or (mode == "binary" and thinking.get("default") == "enabled")
    return ModelFacts(
        ref=model.ref,
        status=override.get("status", model.status),
        thinking=mode,
        thinks_by_default=thinks,
        image="image" in model.input,
        keep=bool(thinking.get("keep")) and mode == "binary",
        fixed_sampling=bool(thinking.get("fixedSampling")) and mode != "none",
        tool_ids=model.provider.tool_call_ids,
        override_reason=override.get("reason"),
        web_search=model.id in (model.provider.data.get("webSearch") or {}).get("models", {}),
    )


def matches(when: dict[str, Any] | None, f: ModelFacts) -> bool:
    for key, want in (when or {}).items():
        if key == "status" and f.status != want:
            return False
        if key == "thinking" and f.thinking not in want:
            return False
        if key == "thinks_by_default" and f.thinks_by_default != want:
            return False
        if key == "input" and want == "image" and not f.image:
            return False
        if key == "keep" and f.keep != want:
            return False
        if key == "fixed_sampling" and f.fixed_sampling != want:
            return False
        if key == "models" and f.ref not in want:
            return False
        if key == "tool_ids" and f.tool_ids not in want:
            return False
        if key == "web_search" and f.web_search != want:
            return False
    return True


def applicable(sid: str, model) -> bool:
    """Chat-completions scenarios apply to chat-completions models only (Kimi Coding's Anthropic
    Messages models have their own: anthropic_scenarios.json)."""
    return model.api == "openai-completions" and matches(scenario(sid).get("when"), facts(model))


def expectation(sid: str, model) -> dict[str, Any]:
    f = facts(model)
    for entry in scenario(sid)["expect"]:
        if matches(entry.get("when"), f):
            return entry
    raise LookupError(f"scenario {sid}: no expectation matches {model.ref}")


def expand(value: Any) -> Any:
    """Replace "$name" strings with the top-level scenarios.json value of that name."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in data():
        return data()[value[1:]]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def case_for(sid: str, model) -> dict[str, Any]:
    """The conformance case of a scenario for a model (max_tokens and the tool filled in)."""
    s = scenario(sid)
    case = expand(copy.deepcopy(s["case"]))
    case["model"] = model.ref
    req = case["request"]
    req.setdefault("max_tokens", data()["max_tokens"])
    if s.get("with_tool") or s["kind"] == "tool_round_trip":
        req.setdefault("tools", [copy.deepcopy(data()["tool"])])
    return case


def pairs(models) -> list[tuple[str, str]]:
    """(model ref, scenario id) for every applicable combination, catalog order."""
    return [(m.ref, sid) for m in models for sid in scenario_ids() if applicable(sid, m)]


def cassette_path(root: Path, model_ref: str, sid: str) -> Path:
    provider, _, model_id = model_ref.partition("/")
    return Path(root) / provider / model_id / f"{sid}.yaml"
