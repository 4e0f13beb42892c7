"""The conversation of a case, read from drawn choices (harness.generation.choices): user content
as users write it, and multi-turn histories whose tool-call ids repeat across turns in every form
the API and its clients use."""

from __future__ import annotations

from typing import Any

from harness.generation.choices import Choices

TOOL_NAMES = ("read", "get_weather", "search")


def function_tool(name: str) -> dict[str, Any]:
    """The request's definition of a tool the history calls (a description, as real agents send)."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }


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
CALL_BODIES = tuple((n, a) for n in TOOL_NAMES for a in ("{}", '{"q": "x"}'))  # (name, arguments)
# Small pools, so ids repeat across turns as they do in real Kimi transcripts; the native pool
# weighs double. Odd ids (outside the native / official / call_ forms) only where expressible.
ID_POOLS = (
    tuple(f"functions.{n}:{i}" for n in TOOL_NAMES for i in (0, 1)),
    tuple(f"{n}{sep}{i}" for n in TOOL_NAMES for i in (0, 1) for sep in (":", "_")),
    ("call_abc123", "call_0", "call_x-y_z"),
)
ODD_IDS = ("toolu_01X|y", "call_abc-1", "$web_search:1", "id with space", "call_", "函数:0")
POOLS = {
    False: (ID_POOLS[0], *ID_POOLS),
    True: (ID_POOLS[0], *ID_POOLS, ODD_IDS),
}
SAID = (None, "", "let me look")  # an assistant tool-call message's content
REASONING = (None, "absent", "absent", "thinking about it", "")  # "absent": no key at all

MAX_TURNS = 3
MAX_CALLS = 3
CALL_BYTES = 5  # body, id pool, id, repeat an earlier id?, which one
TURN_BYTES = 1 + MAX_CALLS * CALL_BYTES + 6  # calls, the calls, said, reasoning, done, next text, results
# The order tool results come back in (indexes into the turn's calls; 0: call order, the simplest)
# and what they say: clients answer parallel calls as they finish, each with its own content, and
# a gateway that reorders or merges them is only seen when the contents differ.
RESULT_ORDERS = ("calls", "calls", "reversed", "rotated")
RESULT_CONTENTS = ("same", "numbered", "json")
CONTENT_BYTES = 4  # text or parts, first text, one or two parts, second text
HISTORY_BYTES = 2 + CONTENT_BYTES + 1 + MAX_TURNS * TURN_BYTES  # system?, its role, content, turns


def content(c: Choices, features: frozenset[str]) -> Any:
    """A user message's content: text, or (when the target can express it) an array of parts."""
    kind, first, count, second = c.below(3), c.pick(TEXTS), c.below(2), c.pick(TEXTS)
    if kind < 2 or "content_parts" not in features:
        return first
    return [{"type": "text", "text": t} for t in (first, second)[: count + 1]]


def history(c: Choices, features: frozenset[str], min_turns: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    system, developer = c.chance(1, 2), c.chance(1, 2)
    if system:
        role = "developer" if developer and "developer_role" in features else "system"
        messages.append({"role": role, "content": "You are Kimi."})
    messages.append({"role": "user", "content": content(c.block(CONTENT_BYTES), features)})
    pools = POOLS["odd_tool_ids" in features]
    turns = min_turns + c.below(MAX_TURNS + 1 - min_turns)
    ids: list[str] = []
    for _ in range(turns):
        messages += _turn(c.block(TURN_BYTES), pools, ids)
    return messages


def _turn(c: Choices, pools: tuple[tuple[str, ...], ...], ids: list[str]) -> list[dict[str, Any]]:
    """One round: the assistant's tool calls, their results, maybe an answer, the next user text.
    `ids`: the case's ids so far. A call repeats one of them a time in four, on top of the small
    pools' own repeats: the same id within a turn and across turns is what real transcripts do
    and what breaks id handling."""
    calls = []
    n = 1 + c.below(MAX_CALLS)
    for _ in range(n):
        name, arguments = c.pick(CALL_BODIES)
        call_id, repeat, earlier = c.pick(c.pick(pools)), c.chance(1, 4), c.block(1)
        if repeat and ids:
            call_id = earlier.pick(ids)
        ids.append(call_id)
        calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
    c.block((MAX_CALLS - n) * CALL_BYTES)  # the unused calls' bytes: what follows keeps its offset
    said, reasoning = c.pick(SAID), c.pick(REASONING)
    assistant: dict[str, Any] = {"role": "assistant", "content": said, "tool_calls": calls}
    if reasoning != "absent":  # None: the key is there with null; "absent": no key at all
        assistant["reasoning_content"] = reasoning
    out = [assistant]
    done, text = c.chance(1, 2), c.pick(TEXTS)
    out += _results(calls, c.pick(RESULT_ORDERS), c.pick(RESULT_CONTENTS))
    if done:
        out.append({"role": "assistant", "content": "done"})
    out.append({"role": "user", "content": text})
    return out


def _results(calls: list[dict[str, Any]], order: str, contents: str) -> list[dict[str, Any]]:
    """The tool messages answering `calls`: in call order or not, with one content or distinct ones."""
    answered = list(enumerate(calls))
    if order == "reversed":
        answered.reverse()
    elif order == "rotated":
        answered = answered[1:] + answered[:1]
    said = {
        "same": lambda k, call: "result",
        "numbered": lambda k, call: f"result {k + 1}",
        "json": lambda k, call: f'{{"{call["function"]["name"]}": {k}}}',
    }[contents]
    return [{"role": "tool", "tool_call_id": call["id"], "content": said(k, call)} for k, call in answered]
