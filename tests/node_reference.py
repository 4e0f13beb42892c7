"""Full, unmodified runs of the real OpenClaw and pi-ai, one fresh process per case, for the
fidelity tests (tests/targets/test_openclaw_fidelity.py).

OpenClaw: `openclaw agent --local` with a config file and a scratch state dir. The provider keeps
its real base URL (so endpoint classification and compat are the real ones); the config routes it
through OpenClaw's own `models.providers.*.request.proxy` (explicit proxy) to a loopback
CaptureServer that terminates TLS with a throw-away certificate (trusted via NODE_EXTRA_CA_CERTS),
and `request.allowPrivateNetwork` lets OpenClaw's SSRF guard accept the loopback resolution that a
private /etc/hosts (a mount namespace of the child only, `unshare -m`) gives the provider host.
Nothing in OpenClaw is patched or preloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.targets.capture_server import CaptureServer

RUN_TIMEOUT = 240.0
# Rules the fidelity corpora do not pin, and why.
NOT_PINNED = {
    "T10": "a full `openclaw agent` turn sends OpenClaw's own tools: a case's builtin $web_search tool "
    "cannot be put into it; pi-ai's Context takes function tools only",
    "errors": "the malformed cases (harness/contract/bad_cases.json) are judged by whether anything is sent at "
    "all, which the suites see from the worker's own run of the library; the corpora pin the shape of what is sent",
    "anthropic": "the Anthropic Messages surface (pi-ai's kimi-coding models) is pinned by its own tests "
    "(tests/targets/test_anthropic_pi_ai.py), not by these corpora",
}
PROVIDER_KINDS = {"native Moonshot", "China", "custom id on a native host", "custom host", "nix kimi provider"}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def corpus_gaps(cases: list[dict[str, Any]], capabilities: Any) -> dict[str, set[str]]:
    """What a fidelity corpus misses: rules the target is judged on (except NOT_PINNED) and provider kinds."""
    gaps = {
        "rules": capabilities.rules - {r for case in cases for r in case["rules"]} - set(NOT_PINNED),
        "kinds": PROVIDER_KINDS - {case["kind"] for case in cases},
    }
    return {k: v for k, v in gaps.items() if v}


def can_isolate_hosts() -> str | None:
    """None when `unshare -m` + a bind-mounted /etc/hosts works here, else why not."""
    if not shutil.which("unshare") or not shutil.which("openssl"):
        return "needs unshare and openssl on PATH"
    probe = subprocess.run(["unshare", "-m", "true"], check=False, capture_output=True, timeout=10)
    if probe.returncode != 0:
        return f"unshare -m is not permitted here ({probe.stderr.decode(errors='replace').strip()[:120]})"
    return None


class TlsCapture:
    """A CaptureServer that also serves HTTPS through CONNECT, with a certificate for `hosts`."""

    def __init__(self, hosts: list[str], workdir: Path):
        self.cert, key = workdir / "cert.pem", workdir / "key.pem"
        san = ",".join(f"DNS:{h}" for h in sorted(set(hosts)))
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-keyout",
                str(key),
                "-out",
                str(self.cert),
                "-subj",
                "/CN=kimi-conformance-capture",
                "-addext",
                f"subjectAltName={san}",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(self.cert), str(key))
        self.server = CaptureServer(tls_context=self.context)

    def another(self) -> CaptureServer:
        """A capture server of its own with the same certificate (one per concurrent run)."""
        return CaptureServer(tls_context=self.context)

    def close(self) -> None:
        self.server.close()


def install_plugin(install_dir: Path, plugin_dir: Path) -> Path:
    """The plugin copied inside the install dir, so its `openclaw/plugin-sdk/...` imports resolve
    (done once, before concurrent runs load it)."""
    installed = install_dir / "kimi-conformance-plugins" / plugin_dir.name
    shutil.rmtree(installed, ignore_errors=True)
    shutil.copytree(plugin_dir, installed)
    return installed


def tool_call_answer(tool: str, call_id: str, count: int, reasoning: str, turns: int = 1) -> Any:
    """A capture-server reply: the first `turns` requests are answered with `count` calls of `tool`,
    all with the same id (Kimi numbers calls per response, so `functions.x:0` comes back every turn)
    and reasoning_content; later ones with "OK"."""

    def reply(body: Any) -> list[dict[str, Any]] | None:
        if not isinstance(body, dict):
            return None
        if sum(m.get("role") == "tool" for m in body.get("messages") or []) >= turns * count:
            return None
        base = {
            "id": "chatcmpl-kc-tools",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": body.get("model"),
        }
        calls = [
            {
                "index": i,
                "id": call_id,
                "type": "function",
                "function": {"name": tool, "arguments": '{"path": "."}'},
            }
            for i in range(count)
        ]
        return [
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "reasoning_content": reasoning},
                        "finish_reason": None,
                    }
                ],
            },
            {
                **base,
                "choices": [{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}],
            },
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
                "usage": {
                    "prompt_tokens": 1,
                    "completion_tokens": 1,
                    "total_tokens": 2,
                },
            },
        ]

    return reply


def run_openclaw_agent(
    *,
    node: Path,
    install_dir: Path,
    config: dict[str, Any],
    message: str,
    thinking: str | None,
    capture: TlsCapture,
    plugin_path: Path | None,
    reply: Any = None,
    server: CaptureServer | None = None,
) -> dict[str, Any]:
    """One `openclaw agent --local` turn in a fresh process; returns {"requests", "result"}: the
    chat-completions requests that reached the capture server and OpenClaw's JSON answer.
    `plugin_path`: a plugin already installed (install_plugin); `server`: a capture server of this
    run's own (capture.another()) when runs go concurrently, else capture's."""
    server = server or capture.server
    config = json.loads(json.dumps(config))
    hosts = []
    for provider in config["models"]["providers"].values():
        provider["request"] = {
            "proxy": {"mode": "explicit-proxy", "url": server.base},
            "allowPrivateNetwork": True,
        }
        hosts.append(urlparse(provider["baseUrl"]).hostname)
    if plugin_path is not None:
        config["plugins"] = {"load": {"paths": [str(plugin_path)]}}
    with tempfile.TemporaryDirectory(prefix="kimi-conformance-oc-ref-") as tmp:
        root = Path(tmp)
        (root / "openclaw.json").write_text(json.dumps(config))
        (root / "hosts").write_text("127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {h}\n" for h in hosts))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "OPENCLAW_STATE_DIR": str(root / "state"),
            "OPENCLAW_CONFIG_PATH": str(root / "openclaw.json"),
            "NODE_EXTRA_CA_CERTS": str(capture.cert),
            "NO_COLOR": "1",
        }
        argv = [
            str(node),
            str(install_dir / "node_modules" / "openclaw" / "openclaw.mjs"),
            "agent",
            "--local",
            "--message",
            message,
            "--session-id",
            "fidelity",
            "--json",
            "--timeout",
            "120",
        ]
        if thinking:
            argv += ["--thinking", thinking]
        script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"'
        server.clear()
        server._server.reply = reply
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", str(root / "hosts"), *argv],
            cwd=install_dir,
            env=env,
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        posts = [c for c in server._server.captured if c.method == "POST"]
        if not posts:
            tail = proc.stderr.decode(errors="replace")[-1500:]
            raise AssertionError(f"openclaw agent sent no request (exit {proc.returncode}): {tail}")
        try:
            result = json.loads(proc.stdout.decode(errors="replace") or "null")
        except json.JSONDecodeError:
            result = None
        return {"requests": posts, "result": result}


PI_AI_SCRIPT = """
import { getModel, streamSimple } from "@mariozechner/pi-ai";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const spec = JSON.parse(text);
const model = spec.registry ? getModel(spec.registry[0], spec.registry[1]) : spec.model;
if (!model) throw new Error(`pi-ai has no model ${spec.registry}`);
const events = streamSimple(model, spec.context, { apiKey: "sk-canary-fidelity", maxRetries: 0, ...spec.options });
for await (const event of events) if (event.type === "error") console.error(event.error?.errorMessage);
"""


def run_pi_ai(*, node: Path, install_dir: Path, spec: dict[str, Any], capture: TlsCapture) -> Any:
    """One pi-ai `streamSimple` call (its public API, its own model registry) in a fresh process;
    Node's own env-proxy support (NODE_USE_ENV_PROXY) carries the HTTPS request to the capture
    server. Returns the first captured POST."""
    return run_node_script(
        node=node, install_dir=install_dir, script=PI_AI_SCRIPT, spec=spec, capture=capture, lib="pi-ai"
    )


def run_node_script(
    *, node: Path, install_dir: Path, script: str, spec: dict[str, Any], capture: TlsCapture, lib: str
) -> Any:
    """`script` (an ES module reading the JSON `spec` on stdin) in a fresh Node process in `install_dir`,
    its HTTPS requests carried to the capture server by Node's env proxy. Returns the first captured POST."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "NODE_USE_ENV_PROXY": "1",
        "HTTPS_PROXY": capture.server.base,
        "HTTP_PROXY": capture.server.base,
        "NODE_EXTRA_CA_CERTS": str(capture.cert),
    }
    capture.server.clear()
    proc = subprocess.run(
        [str(node), "--input-type=module", "-e", script],
        input=json.dumps(spec).encode(),
        cwd=install_dir,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    posts = [c for c in capture.server._server.captured if c.method == "POST"]
    if not posts:
        raise AssertionError(
            f"{lib} sent no request (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-1500:]}"
        )
    return posts[0]
