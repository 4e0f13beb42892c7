"""Upstream drift: does the API still behave as the catalog and the emulator's rules say?

Two kinds of check, each with its own verdict:

* `models`: GET <base>/models against the catalog's models of the provider — a current catalog model
  the upstream no longer serves, or a served model the catalog lacks, is drift unless the allow-list
  (harness/catalog/drift-allow.yaml: `not_served`, `omitted`) names it;
* one control-variable probe per body rule (the `probe` of its entry in harness/emulator/rules.json):
  the smallest request the rule says is rejected, and its twin that differs in that one field and
  is accepted. `same` when the rejection (status, error type, and the text where the rule's text is
  verbatim) and the acceptance both hold; `drifted` when either does not; `undecidable` when the
  upstream could not say (no answer, 429 after the retries, 5xx, a refused key or an unknown model, the
  probe's budget spent) — then no rule is blamed.

Each probe has its own spend budget; requests are retried as the live mode retries them (429, 5xx).
The run's verdict is `drifted` if any check drifted, else `undecidable` if any could not decide,
else `same` (exit 1 / 3 / 0). Reports are data (`DriftRun.to_json`) and Markdown; no key reaches them.

This module takes the rules as data: the emulator (a layer above) is never imported here.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from harness.online.budget import Budget, BudgetExceeded, budget_prices
from harness.online.client import UpstreamBroken, WireClient
from harness.online.guard import UpstreamHealth
from harness.online.retry import RetryPolicy
from harness.util.scrub import scrub_text
from harness.util.tls import shared_tls

VERDICTS = ("same", "drifted", "undecidable")
EXIT_CODES = {"same": 0, "drifted": 1, "undecidable": 3}
DEFAULT_PROBE_BUDGET_USD = Decimal("0.02")


class ProbeError(ValueError):
    """A rule's probe is not usable (no probe, a bad path): names the rule."""


# ------------------------------------------------------------------------------------ probes
@dataclass(frozen=True)
class Probe:
    rule: str
    model: str
    rejected: dict[str, Any]  # the request the rule says is rejected
    accepted: dict[str, Any]  # its twin: one field changed
    field: str  # JSON pointer of that field
    expected: dict[str, Any]  # status, type, and message when the rule's text is verbatim


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ValueError(f"{path!r} is not a JSON pointer (starts with /)")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def set_pointer(body: dict[str, Any], path: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    """A copy of body with the field at `path` (RFC 6901) set to value, or removed."""
    out = copy.deepcopy(body)
    *parents, last = _pointer(path)
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        if delete:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif delete:
        del node[last]
    else:
        node[last] = value
    return out


def probes_from_rules(rules: Mapping[str, Any]) -> list[Probe]:
    """One probe per body rule of rules.json, built from its `probe` entry:
    {model, request, twin: {path, value | delete: true}, params}."""
    out = []
    for rule in rules["rules"]:
        if rule.get("phase") != "body":
            continue
        spec = rule.get("probe")
        if not isinstance(spec, dict):
            raise ProbeError(f"rule {rule['id']}: no `probe` in rules.json")
        try:
            model, twin = spec["model"], spec["twin"]
            rejected = {"model": model, **spec["request"]}
            accepted = set_pointer(rejected, twin["path"], twin.get("value"), delete=bool(twin.get("delete")))
            message = rule["message"].format(**{"model": model, **spec.get("params", {})})
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise ProbeError(f"rule {rule['id']}: bad probe ({type(e).__name__}: {e})") from None
        expected: dict[str, Any] = {"status": rule["status"], "type": rule["type"]}
        if rule.get("verbatim"):
            expected["message"] = message
        out.append(Probe(rule["id"], model, rejected, accepted, twin["path"], expected))
    return out


# ------------------------------------------------------------------------------------ checks
@dataclass
class Check:
    name: str  # "models" or the rule id
    kind: str  # "models" | "probe"
    verdict: str
    expected: Any
    observed: Any
    detail: str = ""
    model: str | None = None
    field: str | None = None
    attempts: int = 0
    differs: list[str] | None = None  # what drifted, as data: "rejected.status", "accepted.status", "notServed"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class _Undecidable(Exception):
    pass


def _observed(status: int, body: Any, text: str) -> dict[str, Any]:
    err = body.get("error") if isinstance(body, dict) else None
    out: dict[str, Any] = {"status": status}
    if isinstance(err, dict):
        out["type"] = err.get("type")
        out["message"] = scrub_text(str(err.get("message", "")))
    elif status != 200:
        out["body"] = scrub_text(text[:300])
    return out


def _undecidable_reason(status: int, body: Any) -> str | None:
    """Answers that say nothing about the rule: the upstream was busy, broken, or refused the probe
    itself (its key, its model)."""
    if status == 429:
        return "429 after the retries"
    if status >= 500:
        return f"HTTP {status} (server error)"
    if status in (401, 403):
        return f"HTTP {status}: the key was refused"
    if status == 404:
        return "HTTP 404: the probe's model is not served (see the models check)"
    return None


def check_models(base_url: str, key: str, catalog, provider_id: str, allow, *, client: httpx.Client, retry) -> Check:
    """GET <base>/models against the catalog's models of one provider."""
    expected = sorted(m.id for m in catalog if m.provider.id == provider_id and m.status != "retired")
    try:
        status, body, attempts = _get(client, f"{base_url}/models", key, retry)
    except (httpx.HTTPError, UpstreamBroken) as e:
        return Check("models", "models", "undecidable", expected, None, scrub_text(f"{type(e).__name__}: {e}"))
    reason = _undecidable_reason(status, body)
    data = body.get("data") if isinstance(body, dict) else None
    if reason or status != 200 or not isinstance(data, list):
        why = reason or f"HTTP {status}: not a model list"
        return Check("models", "models", "undecidable", expected, _observed(status, body, ""), why, attempts=attempts)
    served: list[str] = sorted({m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)})
    known = {m.id for m in catalog if m.provider.id == provider_id}
    not_served = [i for i in expected if i not in served and i not in allow.get("not_served", {})]
    unknown = [i for i in served if i not in known and i not in allow.get("omitted", {})]
    allowed = [i for i in expected if i not in served and i in allow.get("not_served", {})]
    allowed += [i for i in served if i not in known and i in allow.get("omitted", {})]
    observed = {"served": served, "notServed": not_served, "notInCatalog": unknown, "allowListed": sorted(allowed)}
    parts = []
    if not_served:
        parts.append(f"catalog models not served: {', '.join(not_served)}")
    if unknown:
        parts.append(f"served, not in the catalog: {', '.join(unknown)}")
    verdict = "drifted" if parts else "same"
    differs = [k for k, v in (("notServed", not_served), ("notInCatalog", unknown)) if v]
    return Check("models", "models", verdict, expected, observed, "; ".join(parts), attempts=attempts, differs=differs)


def _get(client: httpx.Client, url: str, key: str, retry: RetryPolicy) -> tuple[int, Any, int]:
    attempt, waited = 0, 0.0
    while True:
        r = client.get(url, headers={"authorization": f"Bearer {key}"})
        wait = retry.delay(r, attempt, waited)
        if wait is None:
            try:
                return r.status_code, r.json(), attempt + 1
            except ValueError:
                return r.status_code, None, attempt + 1
        retry.sleep(wait)
        attempt, waited = attempt + 1, waited + wait


def run_probe(probe: Probe, client: WireClient, catalog, provider_id: str, budget_usd: Decimal) -> Check:
    """The rejected request, then (when it was rejected as expected or accepted) its twin."""
    check = Check(probe.rule, "probe", "undecidable", {"rejected": probe.expected, "accepted": {"status": 200}}, {})
    check.model, check.field = probe.model, probe.field
    budget = Budget(budget_usd)
    try:
        for side, body in (("rejected", probe.rejected), ("accepted", probe.accepted)):
            model = catalog.resolve(f"{provider_id}/{body['model']}")
            client.budget = budget
            r = client.chat(body, prices=budget_prices(model, catalog))
            check.attempts += r.attempts
            check.observed[side] = _observed(r.status, r.json, r.text)
            reason = _undecidable_reason(r.status, r.json)
            if reason:
                raise _Undecidable(f"{side} request: {reason}")
    except _Undecidable as e:
        check.detail = str(e)
        return check
    except BudgetExceeded as e:
        check.detail = f"probe budget: {e}"
        return check
    except (httpx.HTTPError, UpstreamBroken) as e:
        check.detail = scrub_text(f"{type(e).__name__}: {e}")
        return check
    rejected, accepted = check.observed["rejected"], check.observed["accepted"]
    wrong = [k for k, v in probe.expected.items() if rejected.get(k) != v]
    problems = []
    if wrong:
        problems.append(f"the rejected request answered {', '.join(f'{k} {rejected.get(k)!r}' for k in wrong)}")
    if accepted["status"] != 200:
        problems.append(
            f"the twin ({probe.field} changed) answered HTTP {accepted['status']} {accepted.get('type', '')}"
        )
    check.verdict = "drifted" if problems else "same"
    check.detail = "; ".join(problems)
    check.differs = [f"rejected.{k}" for k in wrong] + (["accepted.status"] if accepted["status"] != 200 else [])
    return check


# ------------------------------------------------------------------------------------------ run
@dataclass
class DriftRun:
    upstream: str
    mode: str  # "live" | "upstream"
    started: str
    checks: list[Check] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        return next((v for v in ("drifted", "undecidable") if v in verdicts), "same")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict[str, Any]:
        counts = {v: sum(c.verdict == v for c in self.checks) for v in VERDICTS}
        return {
            "upstream": self.upstream,
            "mode": self.mode,
            "started": self.started,
            "verdict": self.verdict,
            "counts": counts,
            "checks": [c.to_json() for c in self.checks],
        }


def run(
    base_url: str,
    key: str,
    catalog,
    rules: Mapping[str, Any],
    allow,
    *,
    mode: str,
    provider_id: str = "moonshot",
    probe_budget_usd: Decimal = DEFAULT_PROBE_BUDGET_USD,
    retry: RetryPolicy | None = None,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
    progress: Callable[[Check], None] | None = None,
) -> DriftRun:
    base_url = base_url.rstrip("/")
    retry = retry or RetryPolicy()
    probes = probes_from_rules(rules)
    started = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = DriftRun(base_url, mode, started)
    # one guard for the run: a refused connection marks the upstream gone, and the probes after
    # it are undecidable at once instead of each waiting out its timeout
    health = UpstreamHealth(deadline=timeout * 2)

    def guarded() -> httpx.BaseTransport:  # one per client: closing a client closes its transport
        return health.transport(base_url, transport or httpx.HTTPTransport(verify=shared_tls()))

    def note(check: Check) -> None:
        result.checks.append(check)
        if progress:
            progress(check)

    with httpx.Client(timeout=timeout, transport=guarded()) as http:
        note(check_models(base_url, key, catalog, provider_id, allow, client=http, retry=retry))
    with WireClient(base_url, key, retry=retry, timeout=timeout, transport=guarded()) as client:
        for probe in probes:
            note(_probe_or_gone(probe, client, catalog, provider_id, probe_budget_usd, health))
    return result


def _probe_or_gone(probe, client, catalog, provider_id, budget_usd, health: UpstreamHealth) -> Check:
    gone = health.not_run_reason(client.base_url)
    if gone:
        check = Check(probe.rule, "probe", "undecidable", {"rejected": probe.expected}, {}, gone)
        check.model, check.field = probe.model, probe.field
        return check
    return run_probe(probe, client, catalog, provider_id, budget_usd)


# --------------------------------------------------------------------------------------- report
def write_report(result: DriftRun, out_dir: Path) -> tuple[Path, Path]:
    """reports/drift/drift-<UTC time>.json and .md (the date in the name and inside)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = result.started.replace("-", "").replace(":", "")
    data = result.to_json()
    json_path, md_path = out_dir / f"drift-{stamp}.json", out_dir / f"drift-{stamp}.md"
    json_path.write_text(scrub_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8")
    md_path.write_text(scrub_text(markdown(result)), encoding="utf-8")
    return json_path, md_path


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = " ".join(f"{k}={v}" for k, v in value.items() if k != "body")
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(result: DriftRun) -> str:
    counts = result.to_json()["counts"]
    lines = [
        f"# Upstream drift, {result.started}",
        "",
        f"Upstream `{result.upstream}` ({result.mode}). Verdict: **{result.verdict}** "
        f"({counts['same']} same, {counts['drifted']} drifted, {counts['undecidable']} undecidable; "
        f"exit {result.exit_code}).",
        "",
        "`same`: the upstream behaves as the catalog / rules.json say. `drifted`: it does not — update the "
        "catalog or the emulator's rule (and its cassettes). `undecidable`: no answer, 429 after retries, 5xx, "
        "a refused key or model, or the probe's budget: nothing is blamed; run it again.",
        "",
        "| check | model | field | verdict | expected | observed (rejected) | observed (twin) | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in result.checks:
        if c.kind == "models":
            obs = c.observed or {}
            lines.append(
                f"| models | | | {c.verdict} | {len(c.expected)} catalog models | "
                f"{_cell(len(obs.get('served', [])))} served | | {_cell(c.detail)} |"
            )
            continue
        exp = (c.expected or {}).get("rejected")
        lines.append(
            f"| {c.name} | {c.model} | `{c.field}` | {c.verdict} | {_cell(exp)} | "
            f"{_cell(c.observed.get('rejected'))} | {_cell(c.observed.get('accepted'))} | {_cell(c.detail)} |"
        )
    return "\n".join(lines) + "\n"
