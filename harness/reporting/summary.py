"""The summary first: what changed between two results sets, as short Markdown.

Sections: regressions (test, target, rule, model, cause = the failing checks of its structured
violations, a link to its minimal case), new and fixed known divergences, not-applicable changes,
the targets and their versions (a version that changed since the previous run is named in the
regressions too: "openclaw 2026.9.6 → 2026.10.1"), and what fails now, by cause.

Shown at the end of every suite run (pytest_terminal_summary, `<results-dir>/summary.md`), by the
report build (`reports/summary.md`, linked from the report's overview) and by
`kimi-conformance compare RESULTS_A RESULTS_B`; appended to `$GITHUB_STEP_SUMMARY` when set.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.reporting.runs import NO_TARGET, ResultsSet, digest

CASES_DIR = "minimal-cases"
MAX_ROWS = 30  # a summary stays short; the report has the rest


def _status(record: dict[str, Any]) -> str:
    from harness.reporting.matrix import classify

    return classify(record)


def cause(record: dict[str, Any]) -> str:
    checks = sorted({str(v.get("check")) for v in record.get("violations") or [] if v.get("check")})
    return ", ".join(checks) or str(record.get("outcome") or "—")  # no verdict recorded: how it ended


def version_change(before: dict[str, Any] | None, now: dict[str, Any] | None) -> str:
    """ "openclaw 2026.9.6 → 2026.10.1" for each component whose version changed ("" when none)."""
    if before is None or now is None:
        return ""
    keys = sorted(set(before) | set(now))
    return ", ".join(f"{k} {before.get(k, '—')} → {now.get(k, '—')}" for k in keys if before.get(k) != now.get(k))


@dataclass
class Summary:
    current: ResultsSet
    previous: ResultsSet | None
    regressions: list[dict[str, Any]] = field(default_factory=list)
    fixed_tests: int = 0
    new_divergences: list[tuple[str, str, int]] = field(default_factory=list)  # target, id, tests
    fixed_divergences: list[tuple[str, str, int]] = field(default_factory=list)
    na_changes: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # target, rule, change, reason, n
    failing: list[tuple[str, int, str]] = field(default_factory=list)  # cause, tests, example test
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)  # cause -> its example record
    counts: Counter = field(default_factory=Counter)
    # target, divergence id, was (the pin), now (what went out), tests: read from the verdicts' data
    changed_divergences: list[tuple[str, str, str, str, int]] = field(default_factory=list)

    def changed_versions(self, target: str) -> str:
        before = self.previous.versions.get(target) if self.previous else None
        return version_change(before, self.current.versions.get(target, {})) if before else ""


def _divergences(rs: ResultsSet) -> Counter:
    return Counter((t, d) for (t, _), r in rs.records.items() for d in r.get("divergences") or [])


def pass_rates(rs: ResultsSet) -> dict[str, tuple[int, int]]:
    """Per target: (passing, applicable) tests — a known divergence counts as passing; n/a and
    not-run tests aside, so one target's health reads on its own."""
    tally: dict[str, Counter] = {}
    for (target, _), rec in rs.records.items():
        if target != NO_TARGET:
            tally.setdefault(target, Counter())[_status(rec)] += 1
    return {t: (n["pass"] + n["div"], n["pass"] + n["div"] + n["FAIL"]) for t, n in sorted(tally.items())}


def rate_text(ok: int, applicable: int, *, short: bool = False) -> str:
    if not applicable:
        return "n/a" if short else "nothing applicable"
    pct = f"{100 * ok // applicable}%"
    return pct if short else f"{ok}/{applicable} pass ({pct})"


def compare(previous: ResultsSet | None, current: ResultsSet) -> Summary:
    s = Summary(current=current, previous=previous)
    before = previous.records if previous else {}
    na: Counter = Counter()
    causes: dict[str, list[dict[str, Any]]] = {}
    for key, rec in sorted(current.records.items()):
        now = _status(rec)
        s.counts[now] += 1
        if now == "FAIL":
            causes.setdefault(cause(rec), []).append(rec)
        old_rec = before.get(key)
        if old_rec is None:
            continue
        old = _status(old_rec)
        if old in ("pass", "div") and now == "FAIL":
            s.regressions.append(rec)
        elif old == "FAIL" and now in ("pass", "div"):
            s.fixed_tests += 1
        if (old == "n/a") != (now == "n/a") and key[0] != NO_TARGET:
            became = now == "n/a"
            reason = str((rec if became else old_rec).get("reason") or "").removeprefix("not applicable: ")
            na[(key[0], str(rec.get("rule") or "—"), "now n/a" if became else "applicable again", reason)] += 1
    if previous is not None:
        new, old_divs = _divergences(current), _divergences(previous)
        s.new_divergences = [(t, d, n) for (t, d), n in sorted(new.items()) if (t, d) not in old_divs]
        s.fixed_divergences = [
            (t, d, n) for (t, d), n in sorted(old_divs.items()) if (t, d) not in new and t in current.targets
        ]
    s.na_changes = [(*k, n) for k, n in sorted(na.items())]
    s.changed_divergences = changed_divergences(current)
    s.examples = {c: _example(recs) for c, recs in causes.items()}
    s.failing = sorted(
        ((c, len(recs), _test(s.examples[c])) for c, recs in causes.items()), key=lambda x: (-x[1], x[0])
    )
    return s


def changed_divergences(rs: ResultsSet) -> list[tuple[str, str, str, str, int]]:
    """Known divergences whose pinned value changed (check `divergence.changed`): (target, id,
    was, now, tests), from the violations' fields (`divergence`, `expected`: the pin, `actual`)."""
    from harness.contract.verdict import _ABSENT
    from harness.divergences.model import _MISSING, CHANGED, describe_pin, describe_sent

    seen: Counter = Counter()
    for (target, _), rec in rs.records.items():
        if _status(rec) != "FAIL":
            continue
        for v in rec.get("violations") or []:
            pin = v.get("expected")
            if v.get("check") != CHANGED or not isinstance(pin, dict):
                continue
            actual = v.get("actual")
            now = describe_sent(_MISSING if actual == _ABSENT else actual)
            seen[(target, str(v.get("divergence")), describe_pin(pin), now)] += 1
    return [(*k, n) for k, n in sorted(seen.items())]


def changed_line(target: str, ident: str, was: str, now: str, tests: int) -> str:
    return f"- {target}: known divergence `{ident}` changed: was {was}, now {now} ({tests} test(s))"


def _retired_models() -> frozenset[str]:
    try:
        from harness.catalog.loading import builtin

        return frozenset(m.ref for m in builtin().models() if m.status == "retired")
    except Exception:  # an example is chosen without the catalog then
        return frozenset()


def _example(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The test to show for a cause: on a current model (not a retired one), with a minimal case."""
    retired = _retired_models()
    return min(records, key=lambda r: (r.get("model") in retired, not r.get("minimal_case"), str(r.get("nodeid"))))


def _test(rec: dict[str, Any]) -> str:
    return str(rec.get("nodeid", "")).split("::")[-1]


def case_id(case: dict[str, Any]) -> str:
    return digest(case)[:12]


# ------------------------------------------------------------------------------ rendering
def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def verdict(s: Summary) -> str:
    """The run in one line: FAIL or PASS, and why."""
    n, targets = s.counts, ", ".join(s.current.targets) or "none"
    if n["FAIL"]:
        regressions = f", {len(s.regressions)} regression(s)" if s.regressions else ""
        return f"**FAIL** — {n['FAIL']} test(s) failing{regressions} (targets: {targets})."
    rest = ", ".join(
        f"{n[k]} {label}"
        for k, label in (("div", "known divergence"), ("unex", "not exercised"), ("n/a", "n/a"), ("skip", "skipped"))
        if n[k]
    )
    return f"**PASS** — {n['pass']} passed{', ' + rest if rest else ''}; nothing failing (targets: {targets})."


def render(s: Summary, *, cases: str = "link", case_prefix: str = CASES_DIR) -> str:
    """Markdown: the verdict first, then only the sections that have something to say.
    cases="link": a minimal case is a link `case_prefix/<id>.json` (written by write()); "inline":
    its JSON in a <details> block under the table (GitHub step summary)."""
    cur, prev = s.current, s.previous
    out = ["## kimi-conformance summary", "", verdict(s), ""]
    if prev is None:
        out.append(f"Run `{cur.run_id}`; no previous run of these targets to compare with.")
    else:
        out.append(f"Run `{cur.run_id}` compared with `{prev.run_id}`.")
    n = s.counts
    headline = (
        f"**{len(s.regressions)} regression(s)**, {len(s.new_divergences)} new and "
        f"{len(s.fixed_divergences)} fixed divergence(s), {len(s.na_changes)} not-applicable change(s), "
        f"{s.fixed_tests} test(s) fixed; now {n['FAIL']} failing, {n['pass']} passed, {n['div']} known "
        f"divergence, {n['n/a']} n/a, {n['skip']} skipped" + (f", {n['unex']} not exercised." if n["unex"] else ".")
    )
    out += ["", headline]
    rates = pass_rates(cur)
    if rates:
        out += ["", "Per target: " + ", ".join(f"**{t}** {rate_text(*r)}" for t, r in rates.items()) + "."]
    inline: dict[str, dict[str, Any]] = {}

    def case_link(rec: dict[str, Any]) -> str:
        case = rec.get("minimal_case") or {}
        if not case:
            return "—"
        cid = case_id(case)
        inline[cid] = case
        return f"[{cid}]({case_prefix}/{cid}.json)" if cases == "link" else f"`{cid}`"

    rows: list[str] = []
    # a new version of a target is the first suspect: say so before the list
    for t in sorted({str(r.get("target")) for r in s.regressions}):
        if s.changed_versions(t):
            rows += [f"{t} changed since the previous run: **{s.changed_versions(t)}**", ""]
    if s.regressions:
        rows += ["| test | target | rule | model | cause | minimal case |", "|---|---|---|---|---|---|"]
    for rec in s.regressions[:MAX_ROWS]:
        cells = (_test(rec), rec.get("target"), rec.get("rule") or "—", rec.get("model") or "—", cause(rec))
        rows.append("| " + " | ".join(map(_cell, (*cells, case_link(rec)))) + " |")
    if len(s.regressions) > MAX_ROWS:
        rows += ["", f"… and {len(s.regressions) - MAX_ROWS} more (see the report)."]
    out += _section("Regressions", rows if s.regressions else [])
    out += _section("Changed divergences", [changed_line(*c) for c in s.changed_divergences])
    out += _section("New divergences", [f"- {t}: `{d}` ({k} test(s))" for t, d, k in s.new_divergences])
    out += _section("Fixed divergences", [f"- {t}: `{d}` ({k} test(s))" for t, d, k in s.fixed_divergences])
    na = [
        f"- {t} {rule}: {change} ({k} test(s)){': ' + why if why else ''}" for t, rule, change, why, k in s.na_changes
    ]
    out += _section("Not-applicable changes", na)
    out += _section(
        "Failing now, by cause", [_cause_line(s, c, k, first, case_link) for c, k, first in s.failing[:MAX_ROWS]]
    )
    rows = ["| target | versions | since the previous run |", "|---|---|---|"]
    for t in cur.targets:
        versions = ", ".join(f"{k} {v}" for k, v in sorted((cur.versions.get(t) or {}).items())) or "—"
        change = s.changed_versions(t) or ("unchanged" if prev and prev.versions.get(t) else "—")
        rows.append(f"| {_cell(t)} | {_cell(versions)} | {_cell(change)} |")
    out += _section("Targets", rows if cur.targets else [])
    if cases == "inline" and inline:
        out += ["", "### Minimal cases", ""]
        for cid, case in inline.items():
            out += [
                f"<details><summary>{cid}</summary>",
                "",
                "```json",
                json.dumps(case, indent=1, ensure_ascii=False),
                "```",
                "",
                "</details>",
            ]
    return _scrub("\n".join(out) + "\n")


def _cause_line(s: Summary, check: str, count: int, first: str, case_link) -> str:
    """`- `T4.x`: 15 test(s) — its message; contract: kimi-conformance contract T4 (docs/contract.md#t4);
    e.g. TEST on a current model, minimal case LINK`."""
    rec = s.examples.get(check) or {}
    messages = [str(v.get("message")) for v in rec.get("violations") or [] if v.get("message")]
    parts = [f"- `{check}`: {count} test(s)"]
    if messages:
        parts.append(f" — {_cell(messages[0])}")
    section = _contract_section(str(rec.get("rule") or ""))
    if section:
        parts.append(f"; contract: {section}")
    parts.append(f"; e.g. {first}")
    link = case_link(rec)
    if link != "—":
        parts.append(f", minimal case {link}")
    return "".join(parts)


def _contract_section(rule_id: str) -> str:
    try:
        from harness.rules import get

        rule = get(rule_id)
        return f"{rule.read} ({rule.link})"  # readable from an install, and linked in a checkout
    except (KeyError, ImportError):
        return ""


def _section(title: str, rows: list[str]) -> list[str]:
    """A section; an empty one is left out (the headline already says "0 regression(s)")."""
    return ["", f"### {title}", "", *rows] if rows else []


def _scrub(text: str) -> str:
    # no key reaches a summary, a log or a case file
    from harness.reporting.redact import scrub

    return scrub(text)


# ------------------------------------------------------------------------------ outputs
def write(s: Summary, path: Path) -> str:
    """`path` (Markdown) and the regressions' minimal cases beside it in minimal-cases/."""
    md = render(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    shown = [*s.regressions[:MAX_ROWS], *(s.examples[c] for c, _, _ in s.failing[:MAX_ROWS] if c in s.examples)]
    cases = {case_id(r["minimal_case"]): r["minimal_case"] for r in shown if r.get("minimal_case")}
    for stale in (path.parent / CASES_DIR).glob("*.json"):  # cases of an earlier summary
        stale.unlink()
    if cases:
        (path.parent / CASES_DIR).mkdir(exist_ok=True)
    for cid, case in cases.items():
        (path.parent / CASES_DIR / f"{cid}.json").write_text(
            _scrub(json.dumps(case, indent=1, ensure_ascii=False)), encoding="utf-8"
        )
    path.write_text(md, encoding="utf-8")
    return md


def write_unavailable(path: Path, run_id: str, targets: list[str], why: str | None = None) -> str:
    """The summary of a run whose per-test results are not known (Allure results without the
    plugin's run file): says so, in place of an earlier run's summary."""
    lines = [
        "## kimi-conformance summary",
        "",
        f"Run `{run_id}` (targets: {', '.join(targets) or 'none'}): no summary — the Allure results carry no "
        "per-test conformance results (run the suites with this harness's plugin and `--alluredir`).",
    ]
    if why:
        lines += ["", why]
    md = _scrub("\n".join(lines) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path.parent / CASES_DIR).glob("*.json"):
        stale.unlink()
    path.write_text(md, encoding="utf-8")
    return md


def append_step_summary(s: Summary, environ: dict[str, str] | None = None) -> bool:
    """Append to $GITHUB_STEP_SUMMARY (when set); the same run appended again replaces its block."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    begin, end = f"<!-- kimi-conformance {s.current.run_id} -->", f"<!-- /kimi-conformance {s.current.run_id} -->"
    block = f"{begin}\n{render(s, cases='inline')}{end}\n"
    path = Path(target)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        text = head + block + rest.partition(end + "\n")[2]
    else:
        text += ("\n" if text and not text.endswith("\n") else "") + block
    path.write_text(text, encoding="utf-8")
    return True


# ------------------------------------------------------------------------------ compare
def compare_main(a: list[str], b: list[str], markdown: str | None = None, stream=None) -> int:
    from harness.reporting import merge  # several directories: the parts of one run, merged

    try:
        s = compare(merge.load_set(a), merge.load_set(b))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(write(s, Path(markdown)) if markdown else render(s), end="", file=stream or sys.stdout)
    append_step_summary(s)
    return 0


def add_compare_command(sub) -> None:
    """`kimi-conformance compare RESULTS_A RESULTS_B` (the CLI wiring, kept here)."""
    p = sub.add_parser(
        "compare",
        help="what changed from results set A to results set B (regressions, "
        "divergences, n/a changes, target versions) as a Markdown summary",
    )
    p.add_argument(
        "sets",
        nargs="+",
        metavar="RESULTS",
        help="RESULTS_A RESULTS_B: the earlier and the later results (a --kimi-results-dir directory or a results "
        "file each); with --to, every RESULTS is a part of the earlier run (shards, merged)",
    )
    p.add_argument(
        "--to",
        nargs="+",
        metavar="RESULTS_B",
        default=None,
        help="the later run's parts (several --kimi-results-dir of its shards, merged); RESULTS are then the earlier's",
    )
    p.add_argument("--markdown", metavar="PATH", help="also write the summary here (minimal cases beside it)")
    p.set_defaults(func=_compare_command)


def _compare_command(args) -> int:
    if not args.to and len(args.sets) != 2:
        print("error: compare RESULTS_A RESULTS_B, or compare RESULTS_A... --to RESULTS_B...", file=sys.stderr)
        return 2
    a, b = (args.sets, args.to) if args.to else (args.sets[:1], args.sets[1:])
    return compare_main(a, b, markdown=args.markdown)
