"""What the predicates of forms.yaml read (`Facts`: one judged case, each part computed at most
once) and how they register (`predicate`: by function name, with the case features and catalog
models that can reach them). The predicates live in _forms_case.py and _forms_messages.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from harness.contract.intended import PARAM_FIELDS
from harness.contract.thinking import configured_type

COMPARED = "compared"  # pseudo-feature: the target is compared with the reference
NATIVE_ID = re.compile(r"^functions\.[^\s:]+:\d+$")
USUAL_ID = re.compile(r"^(functions\.[^\s:]+:\d+|[A-Za-z_]+[:_]\d+|call_[A-Za-z0-9_-]+)$")
FIXED_SAMPLING = ("temperature", "top_p", "n", "presence_penalty", "frequency_penalty")


class _Lazy:
    """cached_property without its lock (Python 3.11 takes one per access): computed once, then a
    plain instance attribute. Facts are built per judged case, so this is on the hot path."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn, self.name = fn, fn.__name__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


lazy = cached_property if TYPE_CHECKING else _Lazy


class Facts:
    """One judged case as predicates see it. `out` is the target's request (None for T9)."""

    def __init__(self, case: dict[str, Any], ctx: Any, out: dict[str, Any] | None, compared: bool) -> None:
        self.case, self.ctx, self.out, self.compared = case, ctx, out, compared

    @lazy
    def intended(self) -> dict[str, Any]:
        """The body the caller intends, merged as harness.contract.intended does it — but shallow,
        without copying: predicates only read it, and a deep copy per case would cost more than
        all the predicates together."""
        if self.ctx is None:
            return {}
        body = dict(self.case.get("request") or {})
        params = self.params
        for key in PARAM_FIELDS:
            if params.get(key) is not None:
                body[key] = params[key]
        body.update(self.extra_body)
        body["model"] = self.ctx.model.id
        return body

    @lazy
    def body(self) -> dict[str, Any]:
        return (self.out or {}).get("body") or {}

    @lazy
    def params(self) -> dict[str, Any]:
        return self.case.get("params") or {}

    @lazy
    def extra_body(self) -> dict[str, Any]:
        extra = self.params.get("extra_body")
        return extra if isinstance(extra, dict) else {}

    @lazy
    def messages(self) -> list[dict[str, Any]]:
        return [m for m in self.intended.get("messages") or [] if isinstance(m, dict)]

    @lazy
    def turns(self) -> list[list[dict[str, Any]]]:
        """Each assistant tool-call message's calls, in order."""
        return [
            [c for c in m.get("tool_calls") or [] if isinstance(c, dict)]
            for m in self.messages
            if m.get("role") == "assistant" and m.get("tool_calls")
        ]

    @lazy
    def call_ids(self) -> list[str]:
        return [str(c.get("id")) for calls in self.turns for c in calls]

    @lazy
    def results(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("role") == "tool"]

    @lazy
    def tool_choice(self) -> Any:
        return self.intended.get("tool_choice")

    @lazy
    def wanted_type(self) -> str | None:
        """The thinking type configuration and /think ask for (T2), else the request's."""
        from harness.contract.thinking import level_type

        kind = configured_type(self.params.get("thinking")) or level_type(self.case.get("thinking"))
        if kind is None:
            thinking = self.intended.get("thinking")
            kind = thinking.get("type") if isinstance(thinking, dict) else None
        return kind

    @lazy
    def thinking_on(self) -> bool:
        """Thinking is on for the request as the caller meant it (before any rule)."""
        mode = self.ctx.thinking_mode
        if mode in ("always", "effort"):
            return True
        want = self.wanted_type or self.ctx.model.thinking.get("default")
        return want == "enabled"

    @lazy
    def keep_requested(self) -> Any:
        configured = self.params.get("thinking")
        if isinstance(configured, dict) and "keep" in configured:
            return configured["keep"]
        thinking = self.intended.get("thinking")
        if isinstance(thinking, dict) and "keep" in thinking:
            return thinking["keep"]
        return None

    @lazy
    def keep_asked(self) -> bool:
        configured, thinking = self.params.get("thinking"), self.intended.get("thinking")
        return (isinstance(configured, dict) and "keep" in configured) or (
            isinstance(thinking, dict) and "keep" in thinking
        )

    @lazy
    def web_search_pairs(self) -> list[tuple[int, int, int | None]]:
        from harness.rules.websearch_history import web_search_pairs

        return web_search_pairs(self.messages)

    @lazy
    def usage_chunks(self) -> list[dict[str, Any]]:
        """T9: the chunks carrying usage (on a choice or top-level)."""
        found = []
        for chunk in self.case.get("chunks") or []:
            if isinstance(chunk.get("usage"), dict):
                found.append(chunk["usage"])
            for choice in chunk.get("choices") or []:
                if isinstance(choice.get("usage"), dict):
                    found.append(choice["usage"])
        return found


@dataclass(frozen=True)
class Predicate:
    name: str
    fn: Callable[[Facts], bool]
    needs: frozenset[str] = frozenset()  # case features (and `compared`) a target needs to draw it
    model: Callable[[Any], bool] | None = None  # which catalog models can reach it (None: every one)
    doc: str = ""


PREDICATES: dict[str, Predicate] = {}


def predicate(*needs: str, model: Callable[[Any], bool] | None = None):
    def register(fn: Callable[[Facts], bool]) -> Callable[[Facts], bool]:
        PREDICATES[fn.__name__] = Predicate(fn.__name__, fn, frozenset(needs), model, (fn.__doc__ or "").strip())
        return fn

    return register


# ------------------------------------------------------------------------------ model gates
def mode(*modes: str) -> Callable[[Any], bool]:
    return lambda m: m.thinking_mode in modes


def api(api: str) -> Callable[[Any], bool]:
    return lambda m: m.api == api


def keep_model(m) -> bool:
    return m.thinking_mode == "binary" and bool(m.thinking.get("keep"))


def web_search_disabled_model(m) -> bool:
    from harness.rules.websearch_history import web_search_models

    facts = web_search_models(m.provider).get(m.id) or {}
    return facts.get("thinking") == "disabled"
