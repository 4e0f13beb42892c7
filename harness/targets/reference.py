"""The reference target: the contract's own implementation, `harness.reference.transform`."""

from __future__ import annotations

from typing import Any

from harness import __version__
from harness.catalog import Catalog
from harness.targets.base import Target


class ReferenceTarget(Target):
    name = "reference"

    def __init__(self, catalog: Catalog | None = None):
        self.catalog = catalog

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        from harness.reference import transform

        return transform(case, self.catalog)

    def usage(self, model_ref: str, chunks: list[dict[str, Any]]) -> dict[str, Any] | None:
        from harness.reference.t9_usage_cost import usage_and_cost

        return usage_and_cost(chunks, model_ref, self.catalog)

    def versions(self) -> dict[str, str]:
        return {"reference": __version__}
