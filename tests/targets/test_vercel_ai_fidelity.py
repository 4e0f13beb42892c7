"""The vercel-ai worker sends what the Vercel AI SDK's public API sends (issue 23).

Each case of tests/fixtures/fidelity/vercel-ai.json is written by hand as an SDK user writes it
(`createMoonshotAI` settings, `generateText` / `streamText` options, tools as `tool({inputSchema:
jsonSchema(...)})`) and run in a fresh Node process with the provider's default fetch, which Node's
env proxy (NODE_USE_ENV_PROXY) carries to a TLS capture server; the persistent worker's outbound body
for the same case must equal it as canonical JSON, and go to the same path. Run in `tox -e nightly` (-- -k vercel-ai).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from harness.targets.node import install as node_install
from tests.node_reference import canonical

# fresh Node processes: tox -e nightly runs it (tests/conftest.py)
# one xdist worker runs a module (tox -e nightly: --dist loadgroup): its fixtures pool the fresh runs
# of every selected test of the module
pytestmark = [pytest.mark.fidelity, pytest.mark.xdist_group("vercel-ai-fidelity")]

NATIVE = "https://api.moonshot.ai/v1"  # createMoonshotAI's default baseURL
CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "fidelity" / "vercel-ai.json").read_text())["cases"]
_NOT_INSTALLED = None if node_install.is_installed("vercel-ai") else "vercel-ai is not installed (tox -e vercel-ai)"

# What an SDK user writes, nothing of the worker's: the spec is the fixture's `sdk` object.
SCRIPT = """
import { createMoonshotAI } from "@ai-sdk/moonshotai";
import { generateText, jsonSchema, streamText, tool } from "ai";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const spec = JSON.parse(text);
const moonshotai = createMoonshotAI({ apiKey: "sk-canary-fidelity", ...(spec.baseURL ? { baseURL: spec.baseURL } : {}) });
const call = { ...spec.call, model: moonshotai(spec.modelId), maxRetries: 0 };
if (call.tools) {
  call.tools = Object.fromEntries(Object.entries(call.tools).map(([name, t]) => [name, tool({ ...t, inputSchema: jsonSchema(t.inputSchema) })]));
}
try {
  if (spec.stream) await streamText({ ...call, onError: ({ error }) => console.error(String(error)) }).consumeStream();
  else await generateText(call);
} catch (e) {
  console.error(String(e?.message ?? e));
}
"""


def test_corpus_covers_every_rule_and_provider_kind():
    from harness.targets.vercel_ai import CAPABILITIES
    from tests.node_reference import corpus_gaps

    assert not corpus_gaps(CASES, CAPABILITIES)


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    """The persistent worker, and a TLS capture server for every host the corpus sends to."""
    from harness.targets.vercel_ai import VercelAITarget
    from tests.node_reference import TlsCapture

    hosts = sorted({urlparse(c["sdk"].get("baseURL") or NATIVE).hostname or "" for c in CASES})
    target, cap = VercelAITarget(timeout=60.0), TlsCapture(hosts, tmp_path_factory.mktemp("tls"))
    yield target, cap
    target.close()
    cap.close()


@pytest.mark.skipif(bool(_NOT_INSTALLED), reason=_NOT_INSTALLED or "")
@pytest.mark.parametrize("entry", CASES, ids=[c["name"] for c in CASES])
def test_worker_sends_what_the_sdk_sends(entry, sides):
    from tests.node_reference import run_node_script

    worker, capture = sides
    ref = run_node_script(
        node=node_install.node_path(worker.cache_dir),
        install_dir=worker.cache_dir,
        script=SCRIPT,
        spec=entry["sdk"],
        capture=capture,
        lib="the Vercel AI SDK",
    )
    out = worker.transform(entry["case"])
    assert out["url"].endswith(ref.path), (out["url"], ref.path)
    assert canonical(out["body"]) == canonical(ref.body)
