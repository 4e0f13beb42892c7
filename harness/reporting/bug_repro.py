"""The runnable reproduction of a bug report: one standalone file in the library's own language that
sends a divergence's minimal case through the library's public API to a loopback HTTP server and
prints the request body the library sent, as JSON.

- pi-ai and the Vercel AI SDK: the library called directly, the case as its own inputs in literal
  code (`bug_repro_direct`: bug_repro_pi_ai.mjs / bug_repro_vercel_ai.mjs with the loopback capture
  of bug_repro_loopback.mjs), run from the target's install dir (where the library is installed).
- Every other Node target (`NodeWorkerTarget`: OpenClaw, any later one) and a pi-ai / Vercel AI case
  the direct file does not write: `bug_repro_node.mjs`, filled with the worker message of the case.
  It starts the target's own worker (harness/targets/node/<target>/worker.mjs), which builds the
  library's inputs and captures on loopback, and its first line says why — OpenClaw's pipeline
  cannot be written through its public API in a short file. A new Node target needs nothing here.
- LiteLLM: `litellm.completion(api_base=<loopback>, **kwargs)` with the kwargs the target's driver
  derives from the case (`LiteLLMTarget.kwargs_for`), written out as literals.
- pydantic-ai: `pydantic_ai.direct.model_request` on `OpenAIChatModel(id, provider=MoonshotAIProvider(...))`
  with the message history, settings and tools of `PydanticAITarget.call_for`, written out as code.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.reporting.bug_repro_direct import DIRECT, REPRO_KEY, Fallback
from harness.reporting.bug_repro_direct import js as _js
from harness.targets.base import Target
from harness.targets.node_worker import NodeWorkerTarget

NODE_TEMPLATE = Path(__file__).with_name("bug_repro_node.mjs")
LOOPBACK_TEMPLATE = Path(__file__).with_name("bug_repro_loopback.mjs")


@dataclass(frozen=True)
class Repro:
    """A reproduction file: its name, source, and how to run it (argv with `{file}` for its path, cwd)."""

    filename: str
    language: str  # the Markdown code fence: javascript / python
    source: str
    argv: tuple[str, ...]
    cwd: str | None
    op: str = "transform"  # what it prints: the request body (transform) or the library's usage

    def command(self, path: str) -> str:
        """The command line a person types (shown in the body)."""
        import shlex

        run = " ".join(shlex.quote(a.replace("{file}", path)) for a in self.argv)
        return f"cd {shlex.quote(self.cwd)} && {run}" if self.cwd else run


def drive(target: Target, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What the target's driver sends for the case — the outbound request, or `{"usage": ...}` for a
    usage (T9) case — and, for a process target, the last protocol message it wrote (the one a Node
    reproduction hands the worker: whatever the target adds to the case is in it)."""
    process = getattr(target, "process", None)
    written: list[dict[str, Any]] = []
    if process is not None:
        original = process.call

        def spy(op: str, what: str = "a case", **fields: Any) -> Any:
            written.append({"op": op, **fields})
            return original(op, what, **fields)

        process.call = spy
    try:
        sent = {"usage": target.usage(case["model"], case["chunks"])} if "chunks" in case else target.transform(case)
    finally:
        if process is not None:
            del process.call
    return sent, (written[-1] if written else None)


def _fill(template: Path, code: dict[str, str]) -> str:
    """The template with each `/*@NAME@*/` line's value replaced by `code[NAME]` (JavaScript source)."""
    source = template.read_text(encoding="utf-8")
    loopback = "/*@LOOPBACK@*/"  # the direct templates' shared loopback capture
    source = (
        source.replace(loopback, LOOPBACK_TEMPLATE.read_text(encoding="utf-8").rstrip())
        if loopback in source
        else source
    )
    for marker, value in code.items():
        line = next(ln for ln in source.splitlines() if f"/*@{marker}@*/" in ln)
        # `const NAME = /*@NAME@*/ placeholder;`: the value replaces the placeholder
        source = source.replace(line, line.partition(f"/*@{marker}@*/")[0] + value + ";")
    return source


def _run(target: NodeWorkerTarget, source: str, op: str) -> Repro:
    from harness.targets.node import install as node_install

    node = node_install.node_path(target.cache_dir)
    return Repro("repro.mjs", "javascript", source, (str(node), "{file}"), str(target.cache_dir), op)


# Targets whose file always starts the worker, and why (the body says it in one sentence).
_WORKER_ONLY = {
    "openclaw": "OpenClaw's pipeline (config, session history, agent run) does not fit a short file.",
}


def node_repro(target: NodeWorkerTarget, entry_id: str, message: dict[str, Any], because: str = "") -> Repro:
    """The Node reproduction through the target's worker: the template with the worker message the
    driver sent for the case (`because`: why a target with a direct form falls back to it)."""
    message = {"id": 1, **{k: v for k, v in message.items() if k not in ("id", "protocol")}}
    library = target.package or target.name
    values = {"LIBRARY": library, "DIVERGENCE": entry_id, "MESSAGE": message}
    source = _fill(NODE_TEMPLATE, {k: _js(v) for k, v in values.items()})
    why = _WORKER_ONLY.get(target.node_target) or (f"{because}." if because else "")
    if why:  # one sentence in the body: why this file starts the harness's driver, not the library alone
        source = f"// Reproduced through the harness's driver (its worker.mjs) because {why}\n" + source
    return _run(target, source, message["op"])


# ---------------------------------------------------------------------------------------- Python
# The loopback server both Python reproductions start: it records each POST and answers a minimal
# Moonshot completion (SSE when the request streams), so the library finishes its call normally.
_SERVER = """\
import contextlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"  # loopback, never through a proxy
CAPTURED = []


class Capture(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
        CAPTURED.append(body)
        model = body.get("model", "") if isinstance(body, dict) else ""
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if isinstance(body, dict) and body.get("stream"):
            chunks = [
                {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
            ]
            text = "".join(
                f"data: {json.dumps({'id': 'r', 'object': 'chat.completion.chunk', 'created': 0, 'model': model, **c})}\\n\\n"
                for c in chunks
            ) + "data: [DONE]\\n\\n"
            self._send("text/event-stream", text)
        else:
            message = {"role": "assistant", "content": "ok"}
            answer = {"id": "r", "object": "chat.completion", "created": 0, "model": model, "usage": usage,
                      "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
            self._send("application/json", json.dumps(answer))

    def _send(self, kind, text):
        data = text.encode()
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
"""

_PRINT = """
server.shutdown()
if len(CAPTURED) != 1:
    sys.exit(f"expected one request on the loopback server, got {len(CAPTURED)} ({FAILED!r})")
print(json.dumps(CAPTURED[0], indent=2, ensure_ascii=False))
"""


def _header(library: str, entry_id: str, what: str) -> str:
    return (
        f'"""kimi-conformance bug report {entry_id}: the request {library} sends for the minimal case.\n\n'
        f"{what}\nIt starts a loopback HTTP server, points {library} at it, sends the case and prints the request\n"
        'body the library sent, as JSON. Nothing leaves the machine."""\n\n'
    )


def _literal(value: Any) -> str:
    """A JSON value as a Python literal (its repr is exact: JSON has no value repr cannot write)."""
    import pprint

    return pprint.pformat(value, width=110, sort_dicts=False)


def litellm_repro(target: Target, entry_id: str, case: dict[str, Any]) -> Repro:
    import sys

    kwargs, _ = target.kwargs_for(case)  # type: ignore[attr-defined]
    call = f"""
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # LiteLLM's bundled cost map, not a download
import litellm  # noqa: E402

litellm.suppress_debug_info = True
KWARGS = {_literal(kwargs)}
FAILED = None
try:
    with contextlib.redirect_stdout(sys.stderr):  # only the captured body goes to stdout
        response = litellm.completion(api_base=BASE_URL, api_key="{REPRO_KEY}", num_retries=0, max_retries=0, **KWARGS)
        if KWARGS.get("stream"):
            for _ in response:
                pass
except Exception as e:  # the request left LiteLLM: it is what the report is about
    FAILED = e
"""
    what = "Run it with a Python that has litellm installed: python repro.py"
    source = _header("LiteLLM", entry_id, what) + _SERVER + call + _PRINT
    return Repro("repro.py", "python", source, (sys.executable, "{file}"), None)


def _py_value(obj: Any) -> str:
    """A pydantic-ai message part / tool definition (or plain data) as the Python code that builds it."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        fields = _PART_FIELDS.get(name)
        if fields is None:
            raise ValueError(f"no code for pydantic-ai's {name}")
        args = ", ".join(f"{f}={_py_value(getattr(obj, f))}" for f in fields if getattr(obj, f) is not None)
        return f"{name}({args})"
    if isinstance(obj, list):
        return "[" + ", ".join(_py_value(v) for v in obj) + "]"
    return _literal(obj)


_PART_FIELDS = {
    "ModelRequest": ("parts",),
    "ModelResponse": ("parts", "provider_name"),
    "SystemPromptPart": ("content",),
    "UserPromptPart": ("content",),
    "ImageUrl": ("url",),
    "ToolReturnPart": ("tool_name", "content", "tool_call_id"),
    "ThinkingPart": ("content", "id", "provider_name"),
    "TextPart": ("content",),
    "ToolCallPart": ("tool_name", "args", "tool_call_id"),
    "ToolDefinition": ("name", "parameters_json_schema", "description", "strict"),
}


def pydantic_ai_repro(target: Target, entry_id: str, case: dict[str, Any]) -> Repro:
    import sys

    call = target.call_for(case)  # type: ignore[attr-defined]
    history = ",\n".join(_py_value(m) for m in call["messages"])
    tools = ",\n".join(_py_value(t) for t in call["tools"])
    run = "model_request_stream" if call["stream"] else "model_request"
    body = f"""
import asyncio  # noqa: E402

from openai import AsyncOpenAI  # noqa: E402
from pydantic_ai.direct import model_request, model_request_stream  # noqa: E402,F401
from pydantic_ai.messages import *  # noqa: E402,F403
from pydantic_ai.models import ModelRequestParameters  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.moonshotai import MoonshotAIProvider  # noqa: E402
from pydantic_ai.tools import ToolDefinition  # noqa: E402

client = AsyncOpenAI(base_url=BASE_URL, api_key="{REPRO_KEY}", max_retries=0)
model = OpenAIChatModel({call["model_id"]!r}, provider=MoonshotAIProvider(openai_client=client))
HISTORY = [
{textwrap.indent(history, "    ")}
]
TOOLS = [
{textwrap.indent(tools, "    ")}
]
SETTINGS = {_literal(call["settings"]) if call["settings"] else None}


async def main():
    parameters = ModelRequestParameters(function_tools=TOOLS)
"""
    if call["stream"]:
        body += f"""    async with {run}(model, HISTORY, model_settings=SETTINGS, model_request_parameters=parameters) as r:
        async for _ in r:
            pass
"""
    else:
        body += f"    await {run}(model, HISTORY, model_settings=SETTINGS, model_request_parameters=parameters)\n"
    body += """

FAILED = None
try:
    with contextlib.redirect_stdout(sys.stderr):  # only the captured body goes to stdout
        asyncio.run(main())
except Exception as e:  # the request left pydantic-ai: it is what the report is about
    FAILED = e
"""
    what = "Run it with a Python that has pydantic-ai-slim[openai] installed: python repro.py"
    source = _header("pydantic-ai", entry_id, what) + _SERVER + body + _PRINT
    return Repro("repro.py", "python", source, (sys.executable, "{file}"), None)


def repro_for(
    target: Target, entry_id: str, case: dict[str, Any], message: dict[str, Any] | None = None
) -> Repro | None:
    """The reproduction of `case` on `target` (None: no reproduction for this kind of target);
    `message`: the worker message the driver wrote for it (`drive`), for a Node target."""
    if isinstance(target, NodeWorkerTarget):
        if not message:
            return None
        direct = DIRECT.get(target.node_target)  # the worker folder the template stands for
        if direct is None:
            return node_repro(target, entry_id, message)
        try:
            template, code, op = direct(entry_id, message)
        except Fallback as e:
            return node_repro(target, entry_id, message, because=str(e))
        return _run(target, _fill(template, code), op)
    if "chunks" in case:
        return None  # usage (T9) is driven for the Node targets only
    maker = {"litellm": litellm_repro, "pydantic-ai": pydantic_ai_repro}.get(target.name)
    return maker(target, entry_id, case) if maker else None
