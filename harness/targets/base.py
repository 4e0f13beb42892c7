"""The target protocol: a target turns a case into the outbound request it would send.

Every target — the reference, a Python callable, a JSON-lines command, the real OpenClaw —
implements `Target.transform`. A target also says which rules and which case features it can
express; suites report the rest as "not applicable", never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import rules
from harness.contract.features import ALL_FEATURES
from harness.errors import TargetError

ALL_RULES = frozenset(rules.ids())  # the registry's rules; a target names the ones it cannot express
TRANSFORM_ONLY = ALL_RULES - {"T9"}  # targets that turn cases into requests and nothing else


class NotExpressible(Exception):
    """The target cannot express this particular case (generation should have avoided it)."""


@dataclass(frozen=True)
class Capabilities:
    rules: frozenset[str] = ALL_RULES
    features: frozenset[str] = ALL_FEATURES
    # Rules -> reason, for the report's "not applicable" cells.
    why_not: dict[str, str] = field(default_factory=dict)
    # Request fields the target always has (OpenClaw always streams): generation sets them, so
    # the properties judge the case the target really ran.
    request_defaults: dict[str, Any] = field(default_factory=dict)
    # Model refs the target cannot run at all -> reason (reported not applicable).
    models_not_applicable: dict[str, str] = field(default_factory=dict)
    # What the driver still does in the implementation's place -> why (docs/guides/real-targets.md, the report; a
    # fidelity test pins each against a full run of the implementation where one exists).
    simulated: dict[str, str] = field(default_factory=dict)
    # Model ref -> features the target cannot express on that model only (LiteLLM takes
    # reasoning_effort only on models its cost map marks as reasoning): generation leaves them
    # out there instead of drawing cases the target then refuses one by one.
    model_features_removed: dict[str, frozenset[str]] = field(default_factory=dict)

    def supports(self, rule: str) -> bool:
        return rule in self.rules

    def features_for(self, model: str) -> frozenset[str]:
        return self.features - self.model_features_removed.get(model, frozenset())


class Target:
    name: str = "target"
    capabilities: Capabilities = Capabilities()

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def usage(self, model_ref: str, chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
        """T9: the target's normalized usage for a streamed response (`harness.reference.
        t9_usage_cost` shape). Targets that only transform requests do not implement it."""
        raise NotExpressible(f"{self.name} does not parse usage")

    def versions(self) -> dict[str, str]:
        """Versions of what runs behind this target, for the report's environment."""
        return {}

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def check_outbound(result: Any, who: str) -> dict[str, Any]:
    """Hold a target's answer to the protocol shape; header names compare case-insensitively."""
    if not isinstance(result, dict):
        raise TargetError(f"{who} returned {type(result).__name__}, expected an outbound request object")
    missing = [k for k in ("method", "url", "headers", "body") if k not in result]
    if missing:
        raise TargetError(f"{who} returned an outbound request without {', '.join(missing)}")
    if not isinstance(result["body"], dict) or not isinstance(result["headers"], dict):
        raise TargetError(f"{who} returned a request whose body or headers are not objects")
    return {**result, "headers": {str(k).lower(): v for k, v in result["headers"].items()}}
