"""The raw path of the in-process library drivers (LiteLLM, pydantic-ai) for malformed cases.

The `errors` rule (harness/rules/errors.py) judges the *library*: a malformed case of
harness/contract/bad_cases.json must reach it the way a user's malformed input would, not be
refused by the driver's own case-schema check. These helpers give the drivers the two facts they
need for that: the model name as the user wrote it, and whether a case is malformed at all (a
library's exception before anything was sent is then its rejection of the input, a case error;
on a well-formed case it stays a target error).
"""

from __future__ import annotations

from typing import Any

from harness.errors import CaseError, CatalogError
from harness.targets.base import NotExpressible


def model_as_written(case: dict[str, Any], required: str) -> tuple[str, str]:
    """(catalog ref, model id) of a case. A `moonshot/` ref the catalog does not know is the user's
    model name: it goes to the library as written (the library decides). No model at all cannot be
    written where the model is a required argument (`required` names it)."""
    from harness.catalog import builtin

    ref = case.get("model")
    if not isinstance(ref, str) or not ref:
        raise NotExpressible(f"no model: {required} is a required argument")
    try:
        found = builtin().resolve(ref)
    except CatalogError as e:
        if ref.startswith("moonshot/") and ref.count("/") == 1:
            return ref, ref.split("/", 1)[1]
        raise CaseError(str(e)) from None
    return found.ref, found.id


def malformed(case: Any) -> bool:
    """Whether the case is one the harness itself rejects: it fails the case schema or names a
    model the catalog does not know (harness.contract.case.context)."""
    from harness.contract.case import context

    try:
        context(case)
    except CaseError:
        return True
    return False


def rejection(library: str, error: BaseException) -> CaseError:
    """The library's refusal of a malformed case, as the case error the `errors` rule passes: what
    the library said, scrubbed (an unhelpful exception type is named as it is)."""
    from harness.util.scrub import scrub_text

    return CaseError(f"{library} rejected the case: {type(error).__name__}: {scrub_text(str(error))[:300]}")
