"""The committed corpus: edge cases every run replays before it generates anything.

`harness/corpus/<rule>.yaml` holds the edge cases deep searches found (each with why it is
there); every known divergence's minimal case joins the corpus of the rules it names. A CI run
with the derandomized profile therefore still meets everything a deep random search once met.

May import: `harness.errors`, `util`, `catalog`, `contract`, `wire`, `generation`, `rules`,
`reference`, `divergences`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

DIR = Path(__file__).resolve().parent


class CorpusError(HarnessError):
    """A corpus file is malformed."""


@cache
def corpus(rule: str) -> tuple[tuple[str, str], ...]:
    """(why, case as canonical JSON) for `rule`: its corpus file, then divergence minimal cases."""
    from harness.util import yamlio

    found: list[tuple[str, str]] = []
    path = DIR / f"{rule}.yaml"
    if path.is_file():
        try:
            data = yamlio.safe_load(path.read_text(encoding="utf-8")) or {}
            items = [(c["why"], c["case"]) for c in data.get("cases", [])]
        except (yamlio.YAMLError, KeyError, TypeError) as e:
            raise CorpusError(f"{path}: malformed corpus file ({type(e).__name__}: {e})") from None
        # the why is for the corpus' readers; a failure says where the case comes from in the
        # user's terms, never another target's notes
        found += [(f"a committed edge case for {rule}", json.dumps(case, sort_keys=True)) for _, case in items]
    from harness.divergences.model import _load_all

    for d in _load_all():
        if rule in d.rules:
            found.append(
                (
                    f"a committed edge case for {rule} (the minimal case of known divergence {d.id})",
                    json.dumps(d.case, sort_keys=True),
                )
            )
    unique = dict((case, why) for why, case in reversed(found))
    return tuple((why, case) for case, why in reversed(list(unique.items())))


def adapt(case: dict[str, Any], model: str, catalog=None) -> dict[str, Any]:
    """The same case for another model: its ref replaced, unless it is already another spelling
    of that model (an alias or legacy ref is the point of a routing case); the rest as recorded."""
    from harness.catalog import builtin
    from harness.errors import CatalogError

    case = copy.deepcopy(case)
    try:
        same = (catalog or builtin()).resolve(case["model"]).ref == model
    except (CatalogError, KeyError, TypeError):
        same = False
    if not same:
        case["model"] = model
    return case


def seed_cases(
    rule: str, model: str, catalog=None, extra=(), adapt_models: bool = True
) -> list[tuple[str, dict[str, Any]]]:
    """The cases a (rule, model) test replays first, adapted to `model`; invalid ones dropped."""
    from harness.contract.case import context
    from harness.errors import CaseError

    seeds: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for why, raw in [*corpus(rule), *((why, json.dumps(c, sort_keys=True)) for why, c in extra)]:
        case = adapt(json.loads(raw), model, catalog)
        if not adapt_models and case["model"] != json.loads(raw)["model"]:
            continue  # found on another model; this rule's cases are not portable
        key = json.dumps(case, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        try:
            context(case, catalog)
        except CaseError:
            continue  # e.g. a feature the model's provider cannot take
        seeds.append((why, case))
    return seeds
