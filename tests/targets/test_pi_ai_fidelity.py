"""The pi-ai worker sends what pi-ai's public API sends (issue 13).

Each case of tests/fixtures/fidelity/pi-ai.json is written as a pi-ai user writes it (getModel
from pi-ai's registry or a Model object, pi-ai's context and options) and run in a fresh process
through pi-ai's public `streamSimple` (tests/node_reference.py: Node's env proxy to a TLS capture
server); the persistent worker's outbound body for the same case must equal it as canonical JSON,
and go to the same path. Run in `tox -e nightly` (-- -k pi-ai).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.targets.node import install as node_install
from tests.node_reference import canonical

# fresh OpenClaw / pi-ai processes, minutes: tox -e nightly runs it (tests/conftest.py)
# one xdist worker runs a module (tox -e nightly: --dist loadgroup): its fixtures pool the fresh runs
# of every selected test of the module
pytestmark = [pytest.mark.fidelity, pytest.mark.xdist_group("pi-ai-fidelity")]

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "fidelity" / "pi-ai.json").read_text())["cases"]
_NOT_INSTALLED = None if node_install.is_installed("pi-ai") else "pi-ai is not installed (tox -e pi-ai)"


def test_corpus_covers_every_rule_and_provider_kind():
    from harness.targets.pi_ai import CAPABILITIES
    from tests.node_reference import corpus_gaps

    assert not corpus_gaps(CASES, CAPABILITIES)


@pytest.fixture(scope="module")
def worker():
    from harness.targets.pi_ai import PiAiTarget

    target = PiAiTarget(timeout=60.0)
    yield target
    target.close()


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    from tests.node_reference import TlsCapture

    cap = TlsCapture(
        ["api.moonshot.ai", "api.moonshot.cn", "api.kimi.com", "llm.example.com"], tmp_path_factory.mktemp("tls")
    )
    yield cap
    cap.close()


@pytest.mark.skipif(bool(_NOT_INSTALLED), reason=_NOT_INSTALLED or "")
@pytest.mark.parametrize("entry", CASES, ids=[c["name"] for c in CASES])
def test_worker_sends_what_pi_ai_sends(entry, worker, capture):
    from tests.node_reference import run_pi_ai

    ref = run_pi_ai(
        node=node_install.node_path(worker.cache_dir),
        install_dir=worker.cache_dir,
        spec=entry["pi"],
        capture=capture,
    )
    out = worker.transform(entry["case"])
    assert out["url"].endswith(ref.path), (out["url"], ref.path)
    assert canonical(out["body"]) == canonical(ref.body)
