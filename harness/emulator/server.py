"""HTTP plumbing of the Moonshot emulator (standard library only, loopback only): the `Emulator`,
its request handling and its server thread. Its clock is `clock`, its replies `reply`, and the
`emulator serve` command `serve`."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from . import anthropic, rules, transport, websearch
from . import faults as faults_mod
from .clock import FixedClock
from .reply import Reply, fill, json_reply, redact
from .responses import Completion, dumps, prompt_tokens

WINDOW = 60.0
REQUEST_LOG = 1000  # requests kept for inspection (newest); memory stays flat under load
MEMO = 10_000  # distinct requests / prompt prefixes remembered (oldest forgotten first)


class Emulator:
    """A Moonshot-compatible /v1 API on 127.0.0.1, and the Kimi Coding API at /coding/v1.

    `base_url` is the Moonshot service (http://127.0.0.1:PORT/v1), `coding_base_url` the Kimi
    Coding one (http://127.0.0.1:PORT/coding/v1); each has its own model list (models.json
    'services') and body rules (rules.json 'services').

    api_keys: accepted keys (None = any 'sk-' key); revoked_keys: always rejected;
    seed: varies ids/texts deterministically; rpm: per-key requests per minute (None = unlimited);
    clock: callable -> epoch seconds (default FixedClock); prompt_cache: report cached tokens for
    message prefixes already seen; retry_after: seconds announced on RPM 429s;
    reject_empty_reasoning: treat reasoning_content "" as missing (docs/contract.md#gaps open question);
    faults: a faults.FaultPlan (429 / 5xx / stall / truncate at given rates, seeded);
    request_log: how many recent requests `requests` keeps;
    require_agent_user_agent: the Anthropic surface answers 403 unless the User-Agent is Claude
    Code's (`claude-code/…`) — unconfirmed field evidence (NousResearch/hermes-agent#9664), off by default.

    Ids and texts derive from (seed, request body, how often that body was seen), not from
    arrival order or the clock: re-recording an unchanged interaction gives identical bytes.
    """

    def __init__(
        self,
        *,
        api_keys: Iterable[str] | None = None,
        revoked_keys: Iterable[str] = (),
        seed: int = 0,
        rpm: int | None = None,
        clock: Callable[[], float] | None = None,
        prompt_cache: bool = True,
        retry_after: int = 1,
        reject_empty_reasoning: bool = False,
        host: str = "127.0.0.1",
        faults: faults_mod.FaultPlan | None = None,
        request_log: int = REQUEST_LOG,
        require_agent_user_agent: bool = False,
    ):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator binds to loopback only")
        self.api_keys = set(api_keys) if api_keys is not None else None
        self.revoked_keys = set(revoked_keys)
        self.seed, self.rpm, self.retry_after = seed, rpm, retry_after
        self.clock = clock or FixedClock()
        self.prompt_cache = prompt_cache
        self.options = {"reject_empty_reasoning": reject_empty_reasoning}
        self.require_agent_user_agent = require_agent_user_agent
        self.host = host
        self.faults = faults or faults_mod.FaultPlan(seed=seed)
        self._log: deque[dict] = deque(maxlen=request_log)
        self.served = 0  # requests handled since start/reset (the log keeps only the newest)
        self._lock = threading.Lock()
        self._injected: deque = deque()
        self._hits: dict[str, deque] = {}
        self._cache: OrderedDict[str, None] = OrderedDict()
        self._seen: OrderedDict[bytes, int] = OrderedDict()
        self._stopping = threading.Event()
        self._httpd: transport.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None
        self.coding_base_url: str | None = None

    @property
    def requests(self) -> list[dict]:
        """The newest `request_log` requests (a copy), oldest first; `served` counts them all."""
        with self._lock:
            return list(self._log)

    # --- control -------------------------------------------------------------------
    def inject(
        self, status: int, error_type: str, message: str | None = None, count: int = 1, retry_after: int | None = None
    ) -> None:
        """Fail the next `count` authenticated requests with this error."""
        preset = rules.load_rules()["inject_presets"].get(error_type, {})
        template = message if message is not None else preset.get("message", error_type)
        with self._lock:
            self._injected.extend([(status, error_type, template, retry_after)] * count)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._injected.clear()
            self._hits.clear()
            self._cache.clear()
            self._seen.clear()
            self.served = 0

    # --- request handling (transport independent) ----------------------------------
    def handle(self, method: str, target: str, headers: dict, raw: bytes) -> Reply:
        path = urlsplit(target).path.rstrip("/") or "/"
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        service, _ = rules.service_for_path(path)
        record = {"method": method, "path": path, "service": service, "headers": redact(headers), "body": body}
        with self._lock:
            self._log.append(record)
            self.served += 1
            occurrence = self._occurrence(method, path, raw)
        fault = self.faults.draw(method, path, raw, occurrence)
        if fault is not None and fault.isdigit():
            reply = self._fault_reply(int(fault))
        else:
            reply = self._dispatch(method, path, headers, body, raw, occurrence)
            reply.fault = fault
        record["status"] = reply.status
        if reply.fault:
            record["fault"] = reply.fault
        return reply

    def _occurrence(self, method: str, path: str, raw: bytes) -> int:
        """How often this exact request was seen before (called under the lock; bounded memory)."""
        key = hashlib.sha256(b"%s %s\n" % (method.encode(), path.encode()) + raw).digest()
        n = self._seen.pop(key, -1) + 1
        self._seen[key] = n
        if len(self._seen) > MEMO:
            self._seen.popitem(last=False)
        return n

    @staticmethod
    def _fault_reply(status: int) -> Reply:
        if status == 429:
            preset = rules.load_rules()["inject_presets"]["engine_overloaded_error"]
            return json_reply(429, rules.error_body("engine_overloaded_error", preset["message"]))
        etype = faults_mod.SERVER_ERROR_TYPES.get(status, "server_error")
        return json_reply(status, rules.error_body(etype, f"injected fault: HTTP {status}"))

    def _dispatch(self, method, path, headers, body, raw, occurrence: int = 0) -> Reply:
        service, sub = rules.service_for_path(path)
        if service == "kimi-coding" and sub in ("/messages", "/messages/count_tokens"):  # the Anthropic surface
            return Reply(*anthropic.handle(self, method, headers, body, occurrence, sub.endswith("/count_tokens")))
        err = rules.check_auth(headers, self.api_keys, self.revoked_keys, service)
        if err:
            return json_reply(*err)
        key = rules.bearer_key(headers)
        assert key is not None  # check_auth accepted it
        with self._lock:
            injected = self._injected.popleft() if self._injected else None
        if injected:
            status, etype, template, retry = injected
            msg = fill(template, **rules.account_ids(key), rpm=self.rpm or 3, retry_after=self.retry_after)
            extra = {"Retry-After": str(retry)} if retry is not None else {}
            return json_reply(status, rules.error_body(etype, msg), extra)
        if service is not None:
            if method == "GET" and sub == "/models":
                return json_reply(
                    200,
                    {
                        "object": "list",
                        "data": [
                            self._model_obj(m, service)
                            for m in rules.load_models(service).values()
                            if not m.get("retired")
                        ],
                    },
                )
            if method == "GET" and sub.startswith("/models/"):
                info, err = rules.lookup_model(sub[len("/models/") :], service)
                if err:
                    return json_reply(*err)
                assert info is not None  # lookup_model gives a model or an error
                return json_reply(200, self._model_obj(info, service))
            if method == "POST" and sub == "/chat/completions":
                limited = self._rate_limit(key)
                if limited:
                    return limited
                return self._chat(headers, body if raw else None, service, occurrence)
        return json_reply(*rules.error("unknown_route", method=method, path=path))

    @staticmethod
    def _model_obj(m: dict, service: str = rules.DEFAULT_SERVICE) -> dict:
        return {
            "id": m["id"],
            "object": "model",
            "created": m["created"],
            "owned_by": rules.services()[service]["owned_by"],
        }

    def _rate_limit(self, key: str) -> Reply | None:
        if self.rpm is None:
            return None
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW:
                hits.popleft()
            if len(hits) >= self.rpm:
                status, body = rules.error(
                    "rate_limit_rpm", rpm=self.rpm, retry_after=self.retry_after, **rules.account_ids(key)
                )
                return json_reply(status, body, {"Retry-After": str(self.retry_after)})
            hits.append(now)
        return None

    def _chat(self, headers: dict, body, service: str = rules.DEFAULT_SERVICE, occurrence: int = 0) -> Reply:
        err = rules.check_shape(body)
        if err:
            return json_reply(*err)
        model, err = rules.lookup_model(body["model"], service)
        if err:
            return json_reply(*err)
        assert model is not None  # lookup_model gives a model or an error
        err = rules.check_body(model, body, headers, self.options, service)
        if err:
            return json_reply(*err)
        with self._lock:
            cached = self._cached_tokens(model, body)
        comp = Completion(model, body, seed=self.seed, created=int(self.clock()), seq=occurrence, cached=cached)
        comp, err = websearch.play(comp, model, body, self.seed)  # $web_search round trip (T10)
        if err:
            return json_reply(*err)
        if body.get("stream") is True:
            events = [b"data: " + dumps(c).encode() + b"\n\n" for c in comp.chunks()]
            events.append(b"data: [DONE]\n\n")
            return Reply(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, events)
        return json_reply(200, comp.to_json())

    def _cached_tokens(self, model: dict, body: dict) -> int:
        """Longest already-seen message prefix counts as cached (called under the lock)."""
        if not self.prompt_cache or model.get("usage_style") == "plain":
            return 0
        msgs, tools = body["messages"], body.get("tools")
        keys = [
            hashlib.sha256(dumps([model["id"], tools, msgs[:k]]).encode()).hexdigest() for k in range(1, len(msgs) + 1)
        ]
        hit = max((k for k, h in enumerate(keys, 1) if h in self._cache), default=0)
        for h in keys:
            self._cache.pop(h, None)
            self._cache[h] = None
        while len(self._cache) > MEMO:
            self._cache.popitem(last=False)
        return prompt_tokens(msgs[:hit], tools) if hit else 0

    # --- HTTP server -----------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        if self._httpd:
            assert self.base_url is not None  # set together with _httpd
            return self.base_url
        self._stopping.clear()
        self._httpd = transport.Server((self.host, port), transport.Handler)
        self._httpd.emulator = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        root = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.base_url = root + rules.services()["moonshot"]["base_path"]
        self.coding_base_url = root + rules.services()["kimi-coding"]["base_path"]
        return self.base_url

    def stop(self) -> None:
        if self._httpd:
            self._stopping.set()  # release stalled connections
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:  # started together with _httpd
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
