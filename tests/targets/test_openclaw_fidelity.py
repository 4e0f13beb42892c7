"""The Node workers send what full, unmodified runs of OpenClaw and pi-ai send (issue 13).

For every case of tests/fixtures/fidelity/openclaw.json: the worker says which OpenClaw config
the case becomes; a fresh `openclaw agent --local` process runs one turn with that config
(tests/node_reference.py: real base URLs, captured through OpenClaw's own explicit-proxy setting);
then the persistent worker runs the same case with the conversation that run sent (system prompt,
messages, tools, tool_choice, max tokens, the thinking level it used). The two outbound bodies
must be equal as canonical JSON, and go to the same path. Headers are not compared: the CLI run
adds its own tracing headers. Slow: run in `tox -e nightly` (-- -k openclaw for this one). pi-ai's counterpart is
tests/targets/test_pi_ai_fidelity.py.

A fresh `openclaw agent --local` turn costs ~20 s of CPU (measured, issue 24): OpenClaw's own
start-up (its module graph, the plugin registry, the worker threads of its SQLite store, each of which
loads a 48 MB bundle). It waits on nothing: no DNS, no update check, no fetch (strace: its one connect
is the capture server's), and OpenClaw keeps its own compile cache (under the temp dir). Its wall time
is that CPU, stretched by whatever else the cores run. So the runs of both corpora (the worker's cases
and the documents' configs) go through one pool, as many at a time as there are cores.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.targets.node import install as node_install
from harness.util.yamlio import safe_load
from tests.node_reference import canonical

# fresh OpenClaw / pi-ai processes, minutes: tox -e nightly runs it (tests/conftest.py)
# one xdist worker runs a module (tox -e nightly: --dist loadgroup): its fixtures pool the fresh runs
# of every selected test of the module
pytestmark = [pytest.mark.fidelity, pytest.mark.xdist_group("openclaw-fidelity")]

CORPUS = json.loads((Path(__file__).parents[1] / "fixtures" / "fidelity" / "openclaw.json").read_text())
CASES = CORPUS["cases"]
# configs written the way the documents write them (doc 003, doc 000), not the worker's own
DOCUMENTS = safe_load((Path(__file__).parents[1] / "fixtures" / "fidelity" / "openclaw-documents.yaml").read_text())
PLUGIN_DIR = Path(node_install.__file__).parent / "openclaw" / "moonshot-plugin"
# Fresh OpenClaw processes run at once: each is CPU-bound (~20 s on about one core, see above), so more
# than the cores would only interleave them; two keep both cores of a CI machine busy.
REFERENCE_JOBS = max(2, min(4, os.cpu_count() or 2))


def _skip_reason(target: str) -> str | None:
    if not node_install.is_installed(target):
        return f"{target} is not installed (tox -e {target}, or python -m harness.targets.node.install {target})"
    from tests.node_reference import can_isolate_hosts

    return can_isolate_hosts()


needs_openclaw = pytest.mark.skipif(bool(_skip_reason("openclaw")), reason=_skip_reason("openclaw") or "")


@pytest.fixture(scope="module")
def worker():
    from harness.targets.openclaw import OpenClawTarget

    target = OpenClawTarget(timeout=120.0)
    yield target
    target.close()


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    from tests.node_reference import TlsCapture

    hosts = ["api.moonshot.ai", "api.moonshot.cn", "api.kimi.com", "llm.example.com"]
    cap = TlsCapture(hosts, tmp_path_factory.mktemp("tls"))
    yield cap
    cap.close()


def find_key(tree: Any, key: str) -> Any:
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            found = find_key(item, key)
            if found is not None:
                return found
    return None


def test_corpus_covers_every_rule_and_provider_kind():
    from harness.targets.openclaw import CAPABILITIES
    from tests.node_reference import corpus_gaps

    assert not corpus_gaps(CASES, CAPABILITIES)


def _base(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": entry["model"],
        "provider": entry.get("provider"),
        "params": entry.get("params"),
        "thinking": entry.get("thinking"),
    }


@pytest.fixture(scope="module")
def openclaw_runs(request, worker, capture):
    """The full OpenClaw run of every selected case of both corpora, REFERENCE_JOBS fresh processes at a
    time (each with a capture server of its own). The documents' runs share the pool instead of running one
    at a time in their tests: with a core free, they overlap (on a machine already saturated nothing
    changes: each run is CPU). ("corpus" | "document", name) -> {"requests", "result"}, or the exception
    the run raised (its test reports it)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.node_reference import install_plugin, run_openclaw_agent, tool_call_answer

    names = {getattr(item, "originalname", "") for item in request.session.items}
    selected = {
        (kind, item.callspec.params["entry"]["name"])
        for item in request.session.items
        for kind, test in (
            ("corpus", "test_worker_sends_what_openclaw_sends"),
            ("document", "test_documents_config_sends_what_the_worker_sends"),
        )
        if getattr(item, "originalname", "") == test
    }
    if "test_a_broken_worker_fails_the_comparison" in names:
        selected.add(("corpus", CASES[0]["name"]))
    configs = {
        e["name"]: worker.config({**_base(e), "request": {"messages": []}})
        for e in CASES
        if ("corpus", e["name"]) in selected
    }
    plugin = install_plugin(worker.cache_dir, PLUGIN_DIR)
    node = node_install.node_path(worker.cache_dir)

    def corpus_run(entry):
        config = configs[entry["name"]]
        answer = entry.get("answer")  # {"tool", "id", "count", "reasoning", "turns"}: the model calls a tool first
        return {
            "config": config["cfg"],
            "thinking": entry.get("thinking"),
            "plugin": config["providerId"] in ("moonshot", "moonshotai", "moonshot-ai"),
            "reply": tool_call_answer(
                answer["tool"], answer["id"], answer["count"], answer["reasoning"], answer.get("turns", 1)
            )
            if answer
            else None,
        }

    def document_run(entry):
        config = _document_config(entry)
        return {
            "config": config,
            "thinking": entry.get("thinking"),
            "plugin": "moonshot" in config["models"]["providers"],
        }

    jobs = [(("corpus", e["name"]), corpus_run(e)) for e in CASES if ("corpus", e["name"]) in selected]
    jobs += [
        (("document", e["name"]), document_run(e)) for e in DOCUMENTS["cases"] if ("document", e["name"]) in selected
    ]

    def run(job):
        server = capture.another()
        try:
            return run_openclaw_agent(
                node=node,
                install_dir=worker.cache_dir,
                config=job["config"],
                message="What is the weather in Paris?",
                thinking=job["thinking"],
                capture=capture,
                plugin_path=plugin if job["plugin"] else None,
                reply=job.get("reply"),
                server=server,
            )
        except Exception as e:  # reported by the case's own test
            return e
        finally:
            server.close()

    with ThreadPoolExecutor(max_workers=REFERENCE_JOBS) as pool:
        return dict(zip([key for key, _ in jobs], pool.map(run, [job for _, job in jobs]), strict=True))


def _replayed(entry: dict[str, Any], ref: dict[str, Any], target: Any) -> dict[str, Any]:
    """What the worker (`target`) sends for a corpus case's full run: {"url", "body"} and the run's
    {"path", "sent"}, for the test to compare."""
    base = _base(entry)
    answer = entry.get("answer")
    request_ref = ref["requests"][answer.get("turns", 1) if answer else 0]
    sent = request_ref.body
    assert isinstance(sent, dict), sent
    level = find_key(ref["result"], "requestShaping")
    messages = json.loads(json.dumps(sent["messages"]))
    if answer:  # the worker gets the history as the model answered it: raw (unsanitized) ids
        for m in messages:
            for call in m.get("tool_calls") or []:
                call["id"] = answer["id"]
            if m.get("role") == "tool":
                m["tool_call_id"] = answer["id"]
    request: dict[str, Any] = {"messages": messages, "stream": True}
    for key in ("tools", "tool_choice", "max_tokens", "max_completion_tokens"):
        if key in sent:
            request[key] = sent[key]
    case = {
        **base,
        "thinking": (level or {}).get("thinking", entry.get("thinking")),
        "request": request,
    }
    out = target.transform(case)
    return {"url": out["url"], "body": out["body"], "path": request_ref.path, "sent": sent}


@needs_openclaw
@pytest.mark.parametrize("entry", CASES, ids=[c["name"] for c in CASES])
def test_worker_sends_what_openclaw_sends(entry, worker, openclaw_runs):
    ref = openclaw_runs["corpus", entry["name"]]
    if isinstance(ref, BaseException):
        raise ref
    got = _replayed(entry, ref, worker)
    assert got["url"].endswith(got["path"]), (got["url"], got["path"])
    assert canonical(got["body"]) == canonical(got["sent"])


class _BrokenWorker:
    """The worker with one bug in what it sends: `break_(out)` changes its answer in place."""

    def __init__(self, worker: Any, break_: Any):
        self.worker, self.break_ = worker, break_

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        out = json.loads(json.dumps(self.worker.transform(case)))
        self.break_(out)
        return out


BREAKAGES = {
    # a field the full run sends, lost (e.g. a compat the worker's config forgets)
    "drops max_tokens": lambda out: out["body"].pop(
        "max_tokens" if "max_tokens" in out["body"] else "max_completion_tokens", None
    ),
    # the replayed history altered (e.g. a sanitizer the worker does not run)
    "rewrites the first message": lambda out: out["body"]["messages"][0].update(content="changed"),
    # another endpoint
    "posts to another path": lambda out: out.update(url=out["url"] + "/v2"),
}


@needs_openclaw
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_worker_fails_the_comparison(breakage, worker, openclaw_runs):
    """The comparison catches a worker that sends something else than the full run (the broken variant
    of test_worker_sends_what_openclaw_sends, on its first case's run: no fresh process of its own)."""
    entry = CASES[0]
    ref = openclaw_runs["corpus", entry["name"]]
    if isinstance(ref, BaseException):
        raise ref
    good = _replayed(entry, ref, worker)
    assert good["url"].endswith(good["path"]) and canonical(good["body"]) == canonical(good["sent"])
    got = _replayed(entry, ref, _BrokenWorker(worker, BREAKAGES[breakage]))
    assert not (got["url"].endswith(got["path"]) and canonical(got["body"]) == canonical(got["sent"]))


def _worker_case(base: dict[str, Any], sent: dict[str, Any], level: str | None) -> dict[str, Any]:
    """The case the worker runs for a full run's request: the conversation it sent, at its level."""
    request: dict[str, Any] = {"messages": json.loads(json.dumps(sent["messages"])), "stream": True}
    for key in ("tools", "tool_choice", "max_tokens", "max_completion_tokens"):
        if key in sent:
            request[key] = sent[key]
    return {**base, "thinking": level, "request": request}


def _document_config(entry: dict[str, Any]) -> dict[str, Any]:
    config = json.loads(json.dumps(DOCUMENTS["configs"][entry["config"]]))
    config["agents"]["defaults"]["model"]["primary"] = entry.get("primary", entry["model"])
    return config


@needs_openclaw
@pytest.mark.parametrize("entry", DOCUMENTS["cases"], ids=[c["name"] for c in DOCUMENTS["cases"]])
def test_documents_config_sends_what_the_worker_sends(entry, worker, openclaw_runs):
    """A full `openclaw agent --local` turn with the document's own config (its rows, its compat, its
    mode "merge") sends what the worker, which writes the catalog's row, sends for that model and level."""
    from harness.targets.base import NotExpressible

    ref = openclaw_runs["document", entry["name"]]
    if entry.get("refused"):  # OpenClaw refuses the level for the document's row: so does the worker
        with pytest.raises(AssertionError, match=f'Thinking level "{entry["thinking"]}" is not supported'):
            if isinstance(ref, BaseException):
                raise ref
        with pytest.raises(NotExpressible, match="OpenClaw refuses it"):
            worker.transform({"model": entry["model"], "thinking": entry["thinking"], "request": {"messages": []}})
        return
    if isinstance(ref, BaseException):
        raise ref
    request_ref = ref["requests"][0]
    sent = request_ref.body
    assert isinstance(sent, dict), sent
    level = (find_key(ref["result"], "requestShaping") or {}).get("thinking", entry.get("thinking"))
    out = worker.transform(_worker_case({"model": entry["model"]}, sent, level))
    assert out["url"].endswith(request_ref.path), (out["url"], request_ref.path)
    assert canonical(out["body"]) == canonical(sent)


def test_document_configs_are_the_documents():
    """The rows the documents' configs hold are the catalog's (doc 003's and doc 000's, which the catalog
    cites), so the worker's catalog rows and the documents' configs describe the same models."""
    from harness.targets.openclaw import catalog_row

    for name, config in DOCUMENTS["configs"].items():
        for pid, provider in config["models"]["providers"].items():
            for row in provider["models"]:
                ours = catalog_row({"model": f"{pid}/{row['id']}"})
                assert ours is not None, (name, row["id"])
                for key in ("reasoning", "input", "contextWindow", "maxTokens", "compat"):
                    assert row.get(key) == ours.get(key), (name, row["id"], key)
