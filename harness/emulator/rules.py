"""Validation rules of the emulated Moonshot API.

Texts, statuses and order live in rules.json; this module only decides *whether* a rule
fires. Every check is a pure function (model, body, headers, options) -> None | (status, body).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IMAGE_MIMES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif"}

Error = tuple[int, dict]


@cache
def load_rules() -> dict:
    return json.loads((HERE / "rules.json").read_text(encoding="utf-8"))


@cache
def _models_json() -> dict:
    return json.loads((HERE / "models.json").read_text(encoding="utf-8"))


DEFAULT_SERVICE = "moonshot"


def services() -> dict[str, dict]:
    """Emulated services (models.json 'services'): base path and model list of each."""
    return _models_json()["services"]


@cache
def load_models(service: str = DEFAULT_SERVICE) -> dict[str, dict]:
    data = _models_json()
    return {m["id"]: m for m in data[services()[service]["models"]]}


def service_for_path(path: str) -> tuple[str | None, str]:
    """(service, path below its base path) for a request path; (None, path) when none matches."""
    for name, svc in sorted(services().items(), key=lambda kv: -len(kv[1]["base_path"])):
        base = svc["base_path"]
        if path == base or path.startswith(base + "/"):
            return name, path[len(base) :] or "/"
    return None, path


def body_rules(service: str = DEFAULT_SERVICE) -> list[str]:
    """Body-phase rule ids the service enforces, in rules.json order."""
    wanted = load_rules()["services"][service]["body_rules"]
    ids = [r["id"] for r in load_rules()["rules"] if r["phase"] == "body"]
    return ids if wanted == "all" else [i for i in ids if i in wanted]


def rule(rule_id: str) -> dict:
    for r in load_rules()["rules"]:
        if r["id"] == rule_id:
            return r
    raise KeyError(rule_id)


def error(rule_id: str, **params: Any) -> Error:
    r = rule(rule_id)
    return r["status"], error_body(r["type"], r["message"].format(**params))


def error_body(error_type: str, message: str) -> dict:
    return {"error": {"message": message, "type": error_type}}


def account_ids(api_key: str) -> dict[str, str]:
    """Stable fake org/ak ids for a key, as they appear in Moonshot's 429 texts."""
    h = hashlib.sha256(api_key.encode()).hexdigest()
    alnum = "0123456789abcdefghijklmnopqrstuvwxyz"
    ak = "".join(alnum[int(h[i : i + 2], 16) % 36] for i in range(0, 40, 2))
    return {"org": "org-" + h[:32], "ak": "ak-" + ak}


# --- request phase -------------------------------------------------------------------


def bearer_key(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value or not value.startswith("Bearer "):
        return None
    return value[len("Bearer ") :].strip() or None


def key_service(key: str) -> str:
    """The service that issued a key: Kimi Coding keys carry its prefix (rules.json services)."""
    prefix = load_rules()["services"]["kimi-coding"]["key_prefix"]
    return "kimi-coding" if key.startswith(prefix) else DEFAULT_SERVICE


def key_accepted(key: str | None, api_keys: set[str] | None, revoked: set[str], service: str | None = None) -> bool:
    """An sk- key, not revoked, listed (when a list is given), and issued by this service."""
    if key is None or not key.startswith("sk-") or key in revoked:
        return False
    if api_keys is not None and key not in api_keys:
        return False
    return service is None or key_service(key) == service


def check_auth(
    headers: dict[str, str], api_keys: set[str] | None, revoked: set[str], service: str | None = None
) -> Error | None:
    if not key_accepted(bearer_key(headers), api_keys, revoked, service):
        return error("auth_invalid")
    return None


# --- model phase ---------------------------------------------------------------------


def lookup_model(model_id: Any, service: str = DEFAULT_SERVICE) -> tuple[dict | None, Error | None]:
    info = load_models(service).get(model_id) if isinstance(model_id, str) else None
    if isinstance(model_id, str) and (model_id.endswith("-preview") or (info or {}).get("retired")):
        return None, error("model_retired", model=model_id)
    if info is None:
        return None, error("model_not_found", model=model_id)
    return info, None


def check_shape(body: Any) -> Error | None:
    if not isinstance(body, dict):
        return error("invalid_body", detail="request body must be a JSON object")
    if not isinstance(body.get("model"), str):
        return error("invalid_body", detail="model is required")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) for m in msgs):
        return error("invalid_body", detail="messages must be a non-empty array of objects")
    return None


# --- body phase ----------------------------------------------------------------------


def thinking_enabled(model: dict, body: dict) -> bool:
    mode = model.get("thinking", "none")
    if mode == "none":
        return False
    if mode in ("always", "effort"):
        return True
    thinking = body.get("thinking")
    return not (isinstance(thinking, dict) and thinking.get("type") == "disabled")


def _thinking_only_enabled(model, body, headers, opts):
    t = body.get("thinking")
    if model["thinking"] == "always" and t is not None and (not isinstance(t, dict) or t.get("type") != "enabled"):
        return error("thinking_only_enabled")
    return None


def _fixed(field: str, value: float, rule_id: str) -> Callable:
    def check(model, body, headers, opts):
        got = body.get(field)
        if model.get("fixed_sampling") and got is not None and got != value:
            return error(rule_id)
        return None

    return check


def _temperature(want_thinking: bool, value: float, rule_id: str) -> Callable:
    def check(model, body, headers, opts):
        if not model.get("fixed_sampling") or thinking_enabled(model, body) != want_thinking:
            return None
        got = body.get("temperature")
        return error(rule_id) if got is not None and got != value else None

    return check


def _tool_choice(kind: str) -> Callable:
    def check(model, body, headers, opts):
        # kimi-k3 ("effort") keeps required/pinned tool_choice (moonshotai-k3-required-tool-choice.json)
        if model["thinking"] not in ("binary", "always") or not thinking_enabled(model, body):
            return None
        tc = body.get("tool_choice")
        if kind == "required" and tc == "required":
            return error("tool_choice_required_thinking")
        if kind == "specified" and isinstance(tc, dict):
            return error("tool_choice_specified_thinking")
        return None

    return check


def _reasoning_missing(model, body, headers, opts):
    if not thinking_enabled(model, body):
        return None
    for i, m in enumerate(body["messages"]):
        if m.get("role") == "assistant" and m.get("tool_calls"):
            rc = m.get("reasoning_content")
            if rc is None or (rc == "" and opts.get("reject_empty_reasoning")):
                return error("reasoning_content_missing", index=i)
    return None


def _duplicate_ids(model, body, headers, opts) -> Error | None:
    seen: set[str] = set()
    for m in body["messages"]:
        if m.get("role") != "assistant":
            continue
        for call in m.get("tool_calls") or []:
            cid = call.get("id") if isinstance(call, dict) else None
            if cid is None:
                continue
            if cid in seen:
                return error("tool_call_id_duplicated", id=cid)
            seen.add(cid)
    return None


def image_urls(body: dict) -> list[str]:
    urls = []
    for m in body["messages"]:
        content = m.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                iu = part.get("image_url")
                urls.append(iu.get("url", "") if isinstance(iu, dict) else str(iu or ""))
    return urls


def _image_model(model, body, headers, opts):
    if image_urls(body) and not model.get("images"):
        return error("image_unsupported_model", model=model["id"])
    return None


def _image_format(model, body, headers, opts):
    for url in image_urls(body):
        if url.startswith("data:"):
            mime = url[5:].split(",", 1)[0].removesuffix(";base64")
            if mime.lower() not in IMAGE_MIMES:
                return error("image_unsupported_format", mime=mime)
    return None


BODY_CHECKS: dict[str, Callable] = {
    "thinking_only_enabled": _thinking_only_enabled,
    "temperature_thinking": _temperature(True, 1, "temperature_thinking"),
    "temperature_non_thinking": _temperature(False, 0.6, "temperature_non_thinking"),
    "top_p_fixed": _fixed("top_p", 0.95, "top_p_fixed"),
    "n_fixed": _fixed("n", 1, "n_fixed"),
    "presence_penalty_fixed": _fixed("presence_penalty", 0, "presence_penalty_fixed"),
    "frequency_penalty_fixed": _fixed("frequency_penalty", 0, "frequency_penalty_fixed"),
    "tool_choice_required_thinking": _tool_choice("required"),
    "tool_choice_specified_thinking": _tool_choice("specified"),
    "reasoning_content_missing": _reasoning_missing,
    "tool_call_id_duplicated": _duplicate_ids,
    "image_unsupported_model": _image_model,
    "image_unsupported_format": _image_format,
}


def check_body(
    model: dict,
    body: dict,
    headers: dict[str, str] | None = None,
    options: dict | None = None,
    service: str = DEFAULT_SERVICE,
) -> Error | None:
    """Run the service's body-phase rules in rules.json order; the first failure wins."""
    for rule_id in body_rules(service):
        err = BODY_CHECKS[rule_id](model, body, headers or {}, options or {})
        if err:
            return err
    return None
