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


RULES_FILE = HERE / "rules.json"
_rules_file: Path | None = None  # `emulator serve --rules FILE` (use_rules)


class RulesFileError(ValueError):
    """A --rules file the emulator cannot serve: one line naming the file and what is wrong."""


@cache
def load_rules() -> dict:
    return json.loads(rules_source().read_text(encoding="utf-8"))


def rules_source() -> Path:
    """The rules file the emulator serves: rules.json, or the one `use_rules` swapped in."""
    return _rules_file or RULES_FILE


def use_rules(path: str | Path | None) -> None:
    """Serve the rules of `path` instead of rules.json (None: rules.json again). The file is checked
    first, so a broken one is one line naming it, not a KeyError in the middle of a request."""
    global _rules_file
    if path is not None:
        check_rules_file(Path(path))
    _rules_file = Path(path) if path is not None else None
    load_rules.cache_clear()


def check_rules_file(path: Path) -> dict:
    """What the emulator's code relies on: every rule it names by id (those of rules.json outside
    the body phase), each rule's status, type and message, body rules it knows how to check, and
    the shipped file's other sections."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RulesFileError(f"{path}: cannot read it ({e.strerror or e})") from None
    except ValueError as e:
        raise RulesFileError(f"{path}: not JSON ({e})") from None
    shipped = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesFileError(f"{path}: expected an object with a `rules` list, like {RULES_FILE.name}")
    missing = [k for k in shipped if k not in data]
    if missing:
        raise RulesFileError(f"{path}: missing section(s) {', '.join(missing)}")
    ids = set()
    for i, r in enumerate(data["rules"]):
        ok = isinstance(r, dict) and isinstance(r.get("id"), str) and r.get("phase") in ("request", "model", "body")
        ok = ok and isinstance(r.get("status"), int) and all(isinstance(r.get(k), str) for k in ("type", "message"))
        if not ok:
            raise RulesFileError(f"{path}: rules[{i}] needs id, phase (request/model/body), status, type, message")
        if r["phase"] == "body" and r["id"] not in BODY_CHECKS:
            raise RulesFileError(f"{path}: body rule {r['id']!r} has no check in harness/emulator/rules.py")
        ids.add(r["id"])
    needed = [r["id"] for r in shipped["rules"] if r["phase"] != "body" and r["id"] not in ids]
    if needed:
        raise RulesFileError(f"{path}: rule(s) the emulator raises by id are missing: {', '.join(needed)}")
    return data


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


def header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def anthropic_key(headers: dict[str, str]) -> tuple[str | None, str | None]:
    """(key, None) or (None, error kind) for Kimi Coding's Anthropic surface, which takes the key in
    `x-api-key` or as `Authorization: Bearer` (D6, rules.json "anthropic" auth); both headers at once
    must hold the same key."""
    api_key, bearer = (header(headers, "x-api-key") or "").strip() or None, bearer_key(headers)
    if api_key and bearer and api_key != bearer:
        return None, "auth_conflict"
    return api_key or bearer, None


def check_auth(
    headers: dict[str, str],
    api_keys: set[str] | None,
    revoked: set[str],
    service: str | None = None,
    *,
    anthropic: bool = False,
) -> Error | None:
    """None when the request's key is accepted. The OpenAI surfaces (/v1, /coding/v1/chat/...) read
    `Authorization: Bearer` only; `anthropic=True` (/coding/v1/messages) reads either header and
    answers a conflict or a refused key in Anthropic's error shape (rules.json "anthropic")."""
    if not anthropic:
        return None if key_accepted(bearer_key(headers), api_keys, revoked, service) else error("auth_invalid")
    key, problem = anthropic_key(headers)
    if problem is None and key_accepted(key, api_keys, revoked, service):
        return None
    e = load_rules()["anthropic"]["errors"][problem or "auth"]
    return e["status"], {"type": "error", "error": {"type": e["type"], "message": e["message"]}}


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


def _thinking_with_effort(model, body, headers, opts):
    # K2.5/K2.6 take the level either as thinking or as reasoning_effort, never both (field: HKUDS/nanobot#3939)
    if model["thinking"] == "binary" and body.get("thinking") is not None and body.get("reasoning_effort") is not None:
        return error("thinking_with_reasoning_effort")
    return None


def _effort_none(model, body, headers, opts):
    if model["thinking"] == "binary" and body.get("reasoning_effort") == "none":
        return error("reasoning_effort_none")
    return None


def _thinking_unsupported(model, body, headers, opts):
    # K3 has no thinking object: it always thinks, its depth is reasoning_effort
    if model["thinking"] == "effort" and body.get("thinking") is not None:
        return error("thinking_unsupported")
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
        if not thinking_enabled(model, body):
            return None
        tc = body.get("tool_choice")
        # only kimi-k3 ("effort") takes 'required' under thinking (moonshotai-k3-required-tool-choice.json,
        # field: inspect_ai#5152); a named tool is refused by every thinking model, K3 included (big-AGI#1161)
        if kind == "required" and tc == "required" and model["thinking"] in ("binary", "always"):
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
    "thinking_with_reasoning_effort": _thinking_with_effort,
    "reasoning_effort_none": _effort_none,
    "thinking_unsupported": _thinking_unsupported,
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
