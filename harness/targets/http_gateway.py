"""`--target http:URL`: any OpenAI-compatible gateway (a LiteLLM proxy, an OpenClaw gateway, a
company proxy) that forwards chat completions to Moonshot.

For each case the target POSTs the case's request to `URL/chat/completions` and captures what
the gateway forwards upstream on a loopback capture server (harness/targets/capture_server.py)
that answers like Moonshot. The gateway's upstream (its Moonshot base URL) must point at that
server:

- `KIMI_CONFORMANCE_CAPTURE_PORT=8765` starts the capture server on a fixed port: configure the
  gateway's Moonshot base URL as `http://127.0.0.1:8765/v1` (what is captured under `/v1/...`
  or directly under `/...` is accepted). Without it a free port is picked and printed on stderr
  — only useful when the gateway is configured after the harness starts.
- The outbound request is the captured one, with its URL put back on the real upstream base the
  case implies (the catalog's endpoint, or the case's custom provider `baseUrl`): the routing
  rule can check the path, the model and the credentials, not the host.

What is sent to the gateway:

- the body is `case.request` with `model` = the case's model ref exactly as drawn (an alias or
  legacy spelling included): gateways route on names like `moonshot/kimi-k2.6`, and resolving
  refs is part of what they are tested for. `KIMI_CONFORMANCE_GATEWAY_MODEL=id` sends the
  canonical API id (`kimi-k2.6`) instead, for gateways that take bare upstream ids.
- an OpenAI-compatible request has no place for the case's configuration (the `/think` level,
  `agents.defaults.models[ref].params`, a custom provider), so it travels in one header,
  `X-Kimi-Conformance-Case: {"thinking": ..., "params": ..., "provider": ...}` (JSON). A gateway
  under test maps it onto its own configuration (tests/gateway_fixture.py shows how).
  `KIMI_CONFORMANCE_GATEWAY_CONFIG=none` declares a gateway that cannot take it: then only
  cases without a level, params or provider are expressible (the rest are rejected) and the
  features that need them are not drawn.
- `Authorization: Bearer $KIMI_CONFORMANCE_GATEWAY_KEY` (default a dummy key); whatever the
  gateway forwards upstream is redacted by the capture server.
- a malformed case (the `errors` rule) is posted as it is, never checked here first: a 4xx answer
  with nothing forwarded upstream is the gateway's rejection (a case error naming the status), a
  forwarded request is judged like any other.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from harness.errors import CaseError, CatalogError, TargetError, TargetProtocolError, TargetUnavailable
from harness.targets.base import ALL_FEATURES, ALL_RULES, Capabilities, NotExpressible, Target, check_outbound
from harness.targets.malformed import malformed
from harness.util.scrub import remember, scrub_text, secrets_in_command

CASE_HEADER = "X-Kimi-Conformance-Case"
REJECT_GRACE = 0.2  # seconds a 4xx answer waits for a late forward (see transform)
PAIRING_ID = re.compile(rb"chatcmpl-kc-[0-9]+")
HOP_HEADERS = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "transfer-encoding", CASE_HEADER.lower()}
)
T9_WHY = "a gateway's usage and cost accounting is not observable through the request it forwards"
NOT_DRIVEN = {"T9": T9_WHY}

HEADER_CAPABILITIES = Capabilities(rules=ALL_RULES - set(NOT_DRIVEN), features=ALL_FEATURES, why_not=NOT_DRIVEN)
REQUEST_ONLY_CAPABILITIES = Capabilities(
    rules=ALL_RULES - set(NOT_DRIVEN),
    features=ALL_FEATURES - {"extra_body", "params_sampling", "custom_provider", "compat"},
    why_not=NOT_DRIVEN,
)


class HttpGatewayTarget(Target):
    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        *,
        capture_port: int | None = None,
        config: str | None = None,
        model: str | None = None,
    ):
        if not url.startswith(("http://", "https://")):
            raise TargetUnavailable(f"http target wants http:URL with the gateway's OpenAI base URL, got {url!r}")
        # a password or an ?api_key= in the URL is redacted wherever it shows up (errors name the URL)
        remember(secrets_in_command(url))
        self.name = scrub_text(f"http:{url}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.config = (config or os.environ.get("KIMI_CONFORMANCE_GATEWAY_CONFIG") or "header").lower()
        if self.config not in ("header", "none"):
            raise TargetUnavailable(f"KIMI_CONFORMANCE_GATEWAY_CONFIG must be header or none, got {self.config!r}")
        self.model_mode = (model or os.environ.get("KIMI_CONFORMANCE_GATEWAY_MODEL") or "ref").lower()
        if self.model_mode not in ("ref", "id"):
            raise TargetUnavailable(f"KIMI_CONFORMANCE_GATEWAY_MODEL must be ref or id, got {self.model_mode!r}")
        self.capabilities = HEADER_CAPABILITIES if self.config == "header" else REQUEST_ONLY_CAPABILITIES
        if capture_port is None:
            capture_port = int(os.environ.get("KIMI_CONFORMANCE_CAPTURE_PORT") or 0)
        import httpx

        from harness.targets.capture_server import CaptureServer
        from harness.util.tls import shared_tls

        try:
            self._capture = CaptureServer(capture_port)
        except OSError as e:
            raise TargetUnavailable(f"cannot start the capture server on 127.0.0.1:{capture_port}: {e}") from None
        if not capture_port:
            print(
                f"kimi-conformance: capture server on {self._capture.url} — point the gateway's Moonshot "
                f"base URL there (or set KIMI_CONFORMANCE_CAPTURE_PORT)",
                file=sys.stderr,
            )
        self._client = httpx.Client(timeout=timeout, verify=shared_tls())
        self._key = os.environ.get("KIMI_CONFORMANCE_GATEWAY_KEY", "sk-conformance-gateway")

    @property
    def capture_url(self) -> str:
        return self._capture.url

    def request_for(self, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The body and headers sent to the gateway for a case."""
        # No case-schema check: a malformed case (bad_cases.json) is posted as it is, and the
        # gateway's own answer is judged (the `errors` rule).
        if not isinstance(case, dict) or not isinstance(case.get("request"), dict):
            raise CaseError("case.request must be an object (the body posted to the gateway)")
        config = {k: case[k] for k in ("thinking", "params", "provider") if case.get(k) is not None}
        if config and self.config == "none":
            raise NotExpressible(f"the gateway takes no case configuration, this case has {sorted(config)}")
        body = dict(case["request"])
        if "model" in case:  # no model: the body goes without one
            body["model"] = case["model"] if self.model_mode == "ref" else _model_id(case)
        headers = {"authorization": f"Bearer {self._key}", "content-type": "application/json"}
        if config and self.config == "header":
            headers[CASE_HEADER] = json.dumps(config, ensure_ascii=True, separators=(",", ":"))
        return body, headers

    def transform(self, case: dict[str, Any]) -> dict[str, Any]:
        import httpx

        body, headers = self.request_for(case)
        self._capture.clear()
        try:
            with self._client.stream("POST", self.url + "/chat/completions", json=body, headers=headers) as resp:
                answer = resp.read()
                status = resp.status_code
        except httpx.HTTPError as e:
            raise TargetError(f"gateway {self.url} did not answer: {type(e).__name__}: {e}") from None
        # after a 4xx only a grace: a synchronous gateway's forward is captured before it answers, and
        # REJECT_GRACE covers one that forwards on another thread; a second cost every refused bad case
        wait = REJECT_GRACE if status >= 400 else self.timeout
        got = [c for c in self._capture.take(1, timeout=wait) if c.method == "POST"]
        if not got and 400 <= status < 500 and malformed(case):
            # the gateway refused the malformed case and forwarded nothing: its rejection
            raise CaseError(
                f"gateway {self.url} rejected the case: {status} {scrub_text(answer[:300].decode(errors='replace'))}"
            )
        if not got:
            raise TargetError(
                f"gateway {self.url} forwarded nothing to the capture server {self._capture.url} "
                f"(gateway answered {status}: {answer[:300]!r})"
            )
        if len(got) > 1:
            raise TargetError(f"gateway {self.url} sent {len(got)} upstream requests for one case")
        captured = got[0]
        self._check_pairing(answer, captured.seq)
        if not isinstance(captured.body, dict):
            raise TargetError(f"gateway forwarded a body that is not a JSON object: {captured.body!r:.200}")
        path = captured.path.split("?", 1)[0]
        path = path[3:] if path.startswith("/v1/") else path
        return check_outbound(
            {
                "method": captured.method,
                "url": _base_url(case).rstrip("/") + path,
                "headers": {k: v for k, v in captured.headers.items() if k not in HOP_HEADERS},
                "body": captured.body,
            },
            self.name,
        )

    def _check_pairing(self, answer: bytes, seq: int) -> None:
        """The capture server answers capture N with id chatcmpl-kc-N; a gateway that passes the
        upstream id through must hand back this case's N, or the capture belongs to another
        request (a late forward of an earlier case). Gateways that rewrite ids pair by count."""
        from harness.targets.capture_server import completion_id

        ids = set(PAIRING_ID.findall(answer))
        if ids and ids != {completion_id(seq).encode()}:
            raise TargetProtocolError(
                f"gateway {self.url}: its answer carries {b', '.join(sorted(ids)).decode()}, but the request "
                f"captured for this case was answered as {completion_id(seq)}: answer and capture are not "
                f"the same exchange"
            )

    def versions(self) -> dict[str, str]:
        return {"gateway": self.url}

    def close(self) -> None:
        self._client.close()
        self._capture.close()


def _model_id(case: dict[str, Any]) -> Any:
    """The canonical API id of the case's model; a ref the catalog does not know goes as written
    (without its provider prefix), whatever the gateway then makes of it."""
    from harness.catalog import builtin

    ref = case.get("model")
    try:
        return builtin().resolve(ref).id  # type: ignore[arg-type]
    except (CatalogError, TypeError, AttributeError):
        return ref.split("/", 1)[-1] if isinstance(ref, str) else ref


def _base_url(case: dict[str, Any]) -> str:
    """The real upstream base the case implies: the catalog's endpoint or the custom provider's
    baseUrl; for a malformed case the gateway forwarded anyway, the best the case still says
    (its model's, else the Moonshot provider's)."""
    from harness.catalog import builtin
    from harness.contract.case import context

    try:
        return context(case).base_url
    except CaseError:
        pass
    custom = case.get("provider")
    if isinstance(custom, dict) and isinstance(custom.get("baseUrl"), str):
        return custom["baseUrl"]
    try:
        return builtin().resolve(case.get("model")).base_url  # type: ignore[arg-type]
    except (CatalogError, TypeError, AttributeError):
        return builtin().providers["moonshot"].base_url
