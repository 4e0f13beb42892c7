"""Hypothesis strategies for the conversation of a case: user content as users write it, and
multi-turn histories whose tool-call ids repeat across turns in every form the API and its
clients use."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

TOOL_NAMES = ("read", "get_weather", "search")
# D5: content is opaque, so draw it as users write it: padded, empty, non-BMP, multi-line.
TEXTS = (
    "hi",
    "go on",
    "what is the weather?",
    "再来一次",
    "",
    "Reply exactly: OK",
    "  padded  ",
    "\ttab first",
    "trailing newline\n",
    "😀 non-BMP 𝕂",
    "a\r\nb",
)
TEXT = st.sampled_from(TEXTS)
# Speed: strategies are built once, here, not inside the composites (building one per draw, and
# Hypothesis validating it, cost more than the draw itself), and independent small choices are
# drawn as one choice from their product: the same values with the same probabilities, in a
# fraction of the draws.
BOOL = st.booleans()
ROLE = st.sampled_from(["system", "developer"])
TURNS = {n: st.integers(n, 3) for n in (0, 1, 2, 3)}
CALLS = st.integers(1, 3)
# (name, arguments) of a tool call
CALL_BODY = st.sampled_from([(n, a) for n in TOOL_NAMES for a in ("{}", '{"q": "x"}')])
# (content, reasoning_content) of an assistant tool-call message; "absent": no key at all
ASSISTANT = st.sampled_from(
    [(c, r) for c in (None, "", "let me look") for r in (None, "absent", "absent", "thinking about it", "")]
)
# (a plain "done" answer after the tool results?, the next user text)
TURN_END = st.sampled_from([(done, t) for done in (False, True) for t in TEXTS])


@cache
def content(features: frozenset[str]) -> st.SearchStrategy[Any]:
    """A user message's content: text, or (when the target can express it) an array of parts."""
    if "content_parts" not in features:
        return TEXT
    parts = st.lists(st.builds(lambda t: {"type": "text", "text": t}, TEXT), min_size=1, max_size=2)
    return st.one_of(TEXT, TEXT, parts)


def tool_ids(odd: bool) -> st.SearchStrategy[str]:
    """A small pool, so ids repeat across turns as they do in real Kimi transcripts."""
    return _TOOL_IDS[bool(odd)]


def _tool_ids(odd: bool) -> st.SearchStrategy[str]:
    """one_of(pools): one draw picks the pool, one the id (native weighs double)."""
    pool = st.sampled_from
    native = pool([f"functions.{n}:{i}" for n in TOOL_NAMES for i in (0, 1)])
    official = pool([f"{n}{sep}{i}" for n in TOOL_NAMES for i in (0, 1) for sep in (":", "_")])
    openai = pool(["call_abc123", "call_0", "call_x-y_z"])
    pools = [native, native, official, openai]
    if odd:
        pools.append(pool(["toolu_01X|y", "call_abc-1", "$web_search:1", "id with space", "call_", "函数:0"]))
    return st.one_of(*pools)


_TOOL_IDS = {odd: _tool_ids(odd) for odd in (False, True)}


@st.composite
def history(draw, features: frozenset[str], min_turns: int = 0) -> list[dict[str, Any]]:
    return _history(draw, features, min_turns)


# The composites' bodies are plain functions of `draw`, so `cases` draws them inline: one
# strategy (and one span) per case instead of a new composite object per part per case.
def _history(draw, features: frozenset[str], min_turns: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if draw(BOOL):
        role = draw(ROLE) if "developer_role" in features else "system"
        messages.append({"role": role, "content": "You are Kimi."})
    messages.append({"role": "user", "content": draw(content(features))})
    ids = tool_ids("odd_tool_ids" in features)
    for _ in range(draw(TURNS[min_turns])):
        calls = []
        for _ in range(draw(CALLS)):
            name, arguments = draw(CALL_BODY)
            calls.append({"id": draw(ids), "type": "function", "function": {"name": name, "arguments": arguments}})
        said, reasoning = draw(ASSISTANT)
        assistant: dict[str, Any] = {"role": "assistant", "content": said, "tool_calls": calls}
        if reasoning != "absent":  # None: the key is there with null; "absent": no key at all
            assistant["reasoning_content"] = reasoning
        messages.append(assistant)
        for call in calls:
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": "result"})
        done, text = draw(TURN_END)
        if done:
            messages.append({"role": "assistant", "content": "done"})
        messages.append({"role": "user", "content": text})
    return messages
