"""Bug reports for upstream: for a known divergence of a real target, a ready-to-file Markdown issue
body (`kimi-conformance bug-report`).

A body holds the title, the library and its version, the contract rule(s) with their sources, the
minimal case, what the library sends beside what the contract expects (the reference's request) as
a JSON diff, what the upstream answers to the library's request (the emulator's rule and its source,
and the entry's `upstream` note), and a runnable reproduction in the library's own language
(`harness.reporting.bug_repro`) that prints the request body the library sends. Everything written
is scrubbed of secrets (harness/util/scrub.py).

What the reproduction must show — "the value the entry pins" — is the entry's `sends:` when it has
one (JSON pointer -> {value} | {in} | {absent}); otherwise the value the target's own driver sends
at the entry's `path` (the whole body when it has none), so the test holds the standalone file to
the harness's view of the library (tests/reporting/test_bug_report.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.contract.verdict import Violation
from harness.divergences.model import _MISSING, Divergence, Divergences
from harness.reporting.bug_repro import Repro, drive, repro_for
from harness.targets.base import Target

# The targets that are real libraries (a reproduction can be written for them): every Node worker
# target, and the in-process Python ones with a template in bug_repro.
PYTHON_TARGETS = ("litellm", "pydantic-ai")


def real_targets() -> list[str]:
    """The real targets the harness knows (the built-in ones and the entry-point plug-ins)."""
    import importlib

    from harness.targets import known
    from harness.targets.node_worker import NodeWorkerTarget

    found = []
    for name, spec in sorted(known().items()):
        if name in PYTHON_TARGETS:
            found.append(name)
            continue
        module, _, attr = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        if isinstance(factory, type) and issubclass(factory, NodeWorkerTarget):
            found.append(name)
    return found


def entries(target_name: str) -> list[Divergence]:
    """Every divergence listed for the target (its file's and the shared ones naming it)."""
    return list(Divergences.for_target(target_name))


def pins(entry: Divergence, sent: dict[str, Any], found: list[Violation] | None = None) -> dict[str, dict[str, Any]]:
    """What the reproduction must show, pointer -> pin (harness.divergences.model's `sends` pins):
    the entry's `sends:` pins its minimal case meets — those with a violation the entry covers
    under their pointer (`found`: the case's violations), as the model reads them — else what the
    driver sent (`sent`) at the entry's path."""
    from harness.divergences.model import _under, at_pointer

    covered = [v.path for v in found or () if entry.covers(v, entry.case)]
    pinned = {p: pin for p, pin in (entry.data.get("sends") or {}).items() if any(_under(c, p) for c in covered)}
    if pinned:
        return pinned
    path = "/usage" if "chunks" in entry.case else entry.path or "/body"
    got = at_pointer(sent, path)
    return {path: {"absent": True} if got is _MISSING else {"value": got}}


def pin_problems(pinned: dict[str, dict[str, Any]], printed: Any, op: str = "transform") -> list[str]:
    """Where the reproduction's printed output misses a pinned value, one line each ([]: it shows them all)."""
    from harness.divergences.model import at_pointer, describe_pin, describe_sent, pin_accepts

    doc = {"usage": printed} if op == "usage" else {"body": printed}
    problems = []
    for pointer, pin in pinned.items():
        got = at_pointer(doc, pointer)
        if not pin_accepts(pin, got):
            problems.append(f"{pointer}: pinned {describe_pin(pin)[:200]}, printed {describe_sent(got)[:200]}")
    return problems


@dataclass(frozen=True)
class BugReport:
    target: str
    entry: Divergence
    title: str
    body: str  # Markdown, scrubbed
    repro: Repro | None
    pinned: dict[str, dict[str, Any]]


def _expected(case: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """What the contract expects: the reference's request (or usage) for the case, or why there is none."""
    from harness.errors import HarnessError
    from harness.targets.reference import ReferenceTarget

    try:
        return drive(ReferenceTarget(), case)[0], None
    except (HarnessError, ValueError, KeyError) as e:
        return None, f"the reference cannot run the case ({e})"


def upstream_answer(outbound: dict[str, Any]) -> str:
    """What the emulated upstream answers the library's request: the first rule that refuses it,
    with its status, type, message and source; or that it accepts it; or why it cannot say."""
    from urllib.parse import urlsplit

    from harness.catalog import builtin
    from harness.emulator import rules as em

    url = urlsplit(str(outbound.get("url", "")))
    hosts = {urlsplit(m.provider.base_url).hostname for m in builtin().models(include_retired=True)}
    if url.hostname not in hosts:
        return f"The request goes to `{url.hostname}`, not a Moonshot host: the emulator does not speak for it."
    service, below = em.service_for_path(url.path)
    if service is None or below != "/chat/completions":
        return f"`{url.path}` is not a chat-completions route the emulator's rules cover (harness/emulator/)."
    body = outbound.get("body")
    refused: tuple[str, Any] | None = None
    shape = em.check_shape(body)
    if shape:
        refused = ("invalid_body", shape)
    else:
        assert isinstance(body, dict)
        model, missing = em.lookup_model(body["model"], service)
        if missing or model is None:
            retired = missing == em.error("model_retired", model=body["model"])
            refused = ("model_retired" if retired else "model_not_found", missing)
        else:
            for rule_id in em.body_rules(service):
                err = em.BODY_CHECKS[rule_id](model, body, {}, {})
                if err:
                    refused = (rule_id, err)
                    break
    if refused is None:
        return "The emulator accepts this request (no rule of harness/emulator/rules.json refuses it)."
    rule_id, (status, answer) = refused
    rule = em.rule(rule_id)
    return (
        f"The emulator's rule `{rule_id}` refuses it: HTTP {status} `{answer['error']['type']}` "
        f"— {json.dumps(answer['error']['message'], ensure_ascii=False)}"
        f"{'' if rule.get('verbatim') else ' (the style is known, the text is the emulator’s)'}.\n"
        f"Source: {rule.get('source', '?')}"
        + "".join(
            f"\n- field report {f.get('ref')} ({f.get('date')}): {f.get('probed')}" for f in rule.get("field") or []
        )
    )


def _fence(value: Any, lang: str = "json") -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    return f"```{lang}\n{text}\n```"


def _rules_section(entry: Divergence) -> str:
    from harness import rules

    first, *others = entry.data["rules"]  # the first is the entry's own rule; the others are where it also shows
    try:
        r = rules.get(first)
    except KeyError:
        return f"Rule: {first}"
    sources = f" Sources: {', '.join(r.sources)}." if r.sources else ""
    also = f"\n\nThe same behaviour also breaks: {', '.join(others)}." if others else ""
    return f"Rule **{r.id}** ({r.title}): {r.summary} — `{r.link}`.{sources}{also}"


def _configuration(target: Target, case: dict[str, Any]) -> list[str]:
    """The library's own configuration for the case, where the target says it (OpenClaw's config)."""
    from harness.errors import HarnessError

    config = getattr(target, "config", None)
    if not callable(config) or "chunks" in case:
        return []
    try:
        cfg = config(case).get("cfg")
    except (HarnessError, AttributeError):
        return []
    if not isinstance(cfg, dict):
        return []
    return ["As the library's configuration (the case's provider, model and params):", _fence(cfg)]


def build(target: Target, entry: Divergence, repro_dir: str | None = None) -> BugReport:
    """The issue body of `entry` on `target` (whose driver runs the minimal case once); the body
    names the reproduction as `repro_dir`/<its file name> (just the file name without one)."""
    from harness.contract.diff import diff
    from harness.divergences.model import at_pointer, describe_pin, describe_sent
    from harness.engine.replay import violations
    from harness.util.scrub import scrub_text

    versions = target.versions()
    library = next((f"{k} {v}" for k, v in versions.items() if k != "node"), target.name)
    case = entry.case
    sent, message = drive(target, case)
    found = violations(sorted(r for r in entry.rules if target.capabilities.supports(r)), target, case)
    expected, no_reference = _expected(case)
    usage = "chunks" in case
    what = "usage" if usage else "body"
    repro = repro_for(target, entry.id, case, message)
    pinned = pins(entry, sent, found)
    d = entry.data
    title = f"[{library}] {d['title'].strip()}"
    parts = [
        f"# {title}",
        f"**Library:** {library} (driven through its public API; runtime {json.dumps(versions)})  \n"
        f"**Found by:** kimi-conformance, a conformance harness for Moonshot/Kimi integrations — known divergence "
        f"`{entry.id}` (harness/divergences/{entry.file.rsplit('/', 1)[-1]})",
        "## What happens",
        d["target_does"].strip(),
        "## What the contract says",
        d["contract_says"].strip(),
        _rules_section(entry),
        f"Evidence: {d['evidence'].strip()}" + (f"  \nWhere: {d['source'].strip()}" if d.get("source") else ""),
        "## Minimal case",
        "The harness's case format (docs/reference/case-format.md): the model ref, the request a caller builds, "
        "the thinking level and configured params.",
        _fence(case),
        *_configuration(target, case),
    ]
    if usage:
        parts += ["## What the library reads vs what the contract expects"]
    else:
        parts += ["## What the library sends vs what the contract expects"]
    if expected is None:
        parts += [f"The library's {what}:", _fence(sent.get(what)), f"(No expected {what}: {no_reference}.)"]
    else:
        parts += [
            f"`-` the contract (the reference implementation's {what}), `+` what {library} "
            f"{'reads' if usage else 'sends'}:",
            _fence(
                diff(expected.get(what), sent.get(what), labels=("contract", target.name)) or "(no difference)", "diff"
            ),
        ]
    if not usage:
        parts += ["## What the upstream answers", upstream_answer(sent)]
        if d.get("upstream"):
            parts.append(f"Observed: {d['upstream'].strip()}")
    if repro is not None:
        file = f"{repro_dir}/{repro.filename}" if repro_dir else repro.filename
        shown = "; ".join(
            f"`{p.removeprefix('/body').removeprefix('/usage') or '(the whole output)'}`: {describe_pin(w)[:300]}"
            + ("" if "value" in w else f" (here {describe_sent(at_pointer(sent, p))[:300]})")
            for p, w in pinned.items()
        )
        parts += [
            "## Reproduction",
            f"`{file}` prints the {'usage the library reads' if usage else 'request body the library sends'} as JSON. Run:",
            _fence(repro.command(file), "sh"),
            f"It shows: {shown}",
            _fence(repro.source.rstrip(), repro.language),
        ]
    body = "\n\n".join(p for p in parts if p) + "\n"
    return BugReport(target.name, entry, scrub_text(title), scrub_text(body), repro, pinned)
