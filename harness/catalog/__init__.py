"""The model catalog: data (catalog.json), validated by catalog.schema.json on load.

`Catalog.resolve(ref)` turns any ref a user may write — `provider/model`, an alias, a legacy
ref, a provider alias prefix, a bare model id — into one canonical `Model`.

The objects live in `model`, validation in `validation`, loading and merging in `loading`;
this package exports them under their old names. `drift` reads which Moonshot / Kimi models each
installed integration knows and compares them with the catalog (`kimi-conformance catalog --drift`;
deliberate omissions in drift-allow.yaml).

May import: `harness.errors`, `util`.
"""

from __future__ import annotations

from harness.catalog.loading import BUILTIN_PATH, builtin, load, merge
from harness.catalog.model import Catalog, Model, Provider
from harness.catalog.validation import SCHEMA_PATH, validate

__all__ = ["BUILTIN_PATH", "SCHEMA_PATH", "Catalog", "Model", "Provider", "builtin", "load", "merge", "validate"]
