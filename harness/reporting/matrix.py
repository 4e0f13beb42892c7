"""The conformance matrix: target x rule x model, from `--kimi-results-dir` files (results.py).

A cell is one of
- `pass`  the test passed and met no known divergence;
- `div`   it passed only because every failure it met is a listed known divergence (or xfail);
- `FAIL`  it failed (an unlisted divergence, a crash, an unexpected pass of an xfail);
- `n/a`   skipped as not applicable (the reason starts with "not applicable");
- `skip`  skipped for another reason;
- `unex`  not exercised: most of its examples were discarded (the record's `not_exercised`: the rate), never a pass;
- `—`     not run.
Several tests for the same target, rule and model fold into the worst of their cells.

Columns are targets (the systems under test: `reference`, `openclaw`, `pi-ai`, `litellm`, your
`--kimi-target`), then the wire columns — the API as the cassettes hold it: `wire: emulator` (recorded
from the harness's emulator), `wire: real` (built from public captures of the real API),
`wire: live` (recorded from the real API with your key) — and `harness` (checks of the harness's
own computations that need no target). Rows are the contract's rules (docs/contract.md).

`kimi-conformance matrix [RESULTS_DIR_OR_FILES...] [--markdown reports/matrix.md]` prints the
summary (rule rows x target columns, aggregated over models: `19/19 pass`, `2 div`, `1 FAIL`,
`n/a`) and writes the Markdown report: that summary plus, per target, a rule x model table.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASS, DIV, FAIL, NA, SKIP, NOT_RUN = "pass", "div", "FAIL", "n/a", "skip", "—"
UNEX = "unex"  # not exercised: read from the record's structured `not_exercised`, not from its reason
# a not-exercised test folds above a pass (a pass beside it does not make the cell proven)
SEVERITY = {NOT_RUN: 0, NA: 1, SKIP: 2, PASS: 3, UNEX: 3.5, DIV: 4, FAIL: 5}
RULE_ORDER = (
    "routing",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "T6",
    "T6b",
    "T7",
    "T8",
    "T9",
    "idempotence",
    "passthrough",
    "errors",
)
ANY_MODEL = "*"
HARNESS = "harness"  # tests with no target and no cassette (column_for)
WIRE_PREFIX = "wire: "  # wire columns: the provenance of the cassettes (emulator, real, live)
COLUMN_NOTE = (
    "Columns: each target is a system under test; `wire: emulator`, `wire: real`, `wire: live` are "
    "the wire suites against cassettes recorded from the harness's emulator, built from public "
    "captures of the real API, and recorded from the real API; `harness` holds checks of the "
    "harness's own computations that need no target. Rules: `kimi-conformance contract` (docs/contract.md)."
)


def column_for(area: str | None, provenance: str | None) -> str:
    """The column of a test without a target: the wire suites' is their cassette's provenance
    (`wire: emulator`, `wire: real`, `wire: live`); anything else is `harness`."""
    if area == "wire" and provenance:
        return f"wire: {provenance}"
    return HARNESS


def classify(record: dict[str, Any]) -> str:
    outcome, reason = record.get("outcome"), str(record.get("reason") or "")
    if outcome == "passed":
        return DIV if record.get("divergences") else PASS
    if outcome == "xfailed":
        return DIV
    if outcome == "skipped" and record.get("not_exercised"):
        return UNEX
    if outcome == "skipped":
        return NA if reason.lower().startswith("not applicable") else SKIP
    return FAIL  # failed, error, xpassed


@dataclass
class Cell:
    status: str = NOT_RUN
    divergences: set[str] = field(default_factory=set)
    reasons: set[str] = field(default_factory=set)
    checks: Counter = field(default_factory=Counter)  # failing tests per check id (structured violations)
    failing: list[str] = field(default_factory=list)  # node ids of the failing tests

    def add(self, record: dict[str, Any]) -> None:
        status = classify(record)
        if SEVERITY[status] > SEVERITY[self.status]:
            self.status = status
        self.divergences.update(record.get("divergences") or [])
        if status in (NA, SKIP, FAIL, UNEX) and record.get("reason"):
            self.reasons.add(str(record["reason"]))
        if status == FAIL:
            self.failing.append(str(record.get("nodeid", "")))
            self.checks.update({str(v["check"]) for v in record.get("violations") or [] if v.get("check")})


@dataclass
class Matrix:
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> versions etc.

    # ------------------------------------------------------------------ building
    def add(self, record: dict[str, Any]) -> None:
        target, rule = record.get("target"), record.get("rule")
        if not target or not rule:
            return
        key = (target, rule, record.get("model") or ANY_MODEL)
        self.cells.setdefault(key, Cell()).add(record)

    @property
    def targets(self) -> list[str]:
        def order(t: str) -> tuple:
            return (t == HARNESS, t.startswith(WIRE_PREFIX), t != "reference", t)

        return sorted({t for t, _, _ in self.cells}, key=order)

    @property
    def rules(self) -> list[str]:
        found = {r for _, r, _ in self.cells}
        return [r for r in RULE_ORDER if r in found] + sorted(found - set(RULE_ORDER))

    def models(self, target: str | None = None) -> list[str]:
        seen: dict[str, None] = {}
        for t, _, m in self.cells:
            if target is None or t == target:
                seen.setdefault(m, None)
        return list(seen)

    def cell(self, target: str, rule: str, model: str) -> Cell:
        return self.cells.get((target, rule, model), Cell())

    # ------------------------------------------------------------------ aggregates
    def counts(self, target: str, rule: str) -> Counter:
        return Counter(c.status for (t, r, _), c in self.cells.items() if t == target and r == rule)

    def summary(self, target: str, rule: str) -> str:
        n = self.counts(target, rule)
        if not n:
            return NOT_RUN
        applicable = n[PASS] + n[DIV] + n[FAIL]
        if not applicable and n[UNEX]:
            return ", ".join([f"{n[UNEX]} {UNEX}", *(f"{n[k]} {k}" for k in (SKIP, NA) if n[k])])
        if not applicable:
            return NA if n[NA] else f"{n[SKIP]} skip"
        parts = [f"{n[PASS]}/{applicable} pass"]
        if n[UNEX]:
            parts.append(f"{n[UNEX]} {UNEX}")
        if n[DIV]:
            parts.append(f"{n[DIV]} div")
        if n[FAIL]:
            parts.append(f"{n[FAIL]} FAIL")
        if n[SKIP]:
            parts.append(f"{n[SKIP]} skip")
        if n[NA]:
            parts.append(f"{n[NA]} n/a")
        return ", ".join(parts)

    def totals(self, target: str) -> Counter:
        return Counter(c.status for (t, _, _), c in self.cells.items() if t == target)

    # ------------------------------------------------------------------ rendering
    def render_terminal(self) -> str:
        header = ["rule", *self.targets]
        rows = [[rule, *(self.summary(t, rule) for t in self.targets)] for rule in self.rules]
        totals = ["total", *(_total_text(self.totals(t)) for t in self.targets)]
        return _table([header, *rows, totals])

    def top_check(self, target: str, rule: str, model: str | None = None) -> str:
        """The check id most failing tests of a (target, rule) — or of one cell — failed ("" if none)."""
        n: Counter = Counter()
        for (t, r, m), c in self.cells.items():
            if t == target and r == rule and model in (None, m):
                n.update(c.checks)
        return min(n, key=lambda k: (-n[k], k)) if n else ""

    def failing(self, target: str, rule: str) -> list[str]:
        return [
            nodeid for (t, r, _), c in sorted(self.cells.items()) if t == target and r == rule for nodeid in c.failing
        ]

    def summary_markdown(self, target: str, rule: str, link: Link | None = None) -> str:
        """The summary cell with its why: `FAIL ×15 · T4.incompatible-under-thinking` (linked to its
        first failing test in the report), then what passed."""
        n = self.counts(target, rule)
        if not n[FAIL]:
            return self.summary(target, rule)
        top = self.top_check(target, rule)
        text = f"FAIL ×{n[FAIL]}" + (f" · {top}" if top else "")
        url = _first_link(self.failing(target, rule), link)
        parts = [f"[{text}]({url})" if url else text, f"{n[PASS]}/{n[PASS] + n[DIV] + n[FAIL]} pass"]
        parts += [f"{n[k]} {k}" for k in (DIV, UNEX, SKIP, NA) if n[k]]
        return ", ".join(parts)

    def _detail(self, target: str, rule: str, model: str, link: Link | None) -> str:
        c = self.cell(target, rule, model)
        if c.status != FAIL:
            return c.status
        top = self.top_check(target, rule, model)
        text = "FAIL" + (f" · {top}" if top else "")
        url = _first_link(c.failing, link)
        return f"[{text}]({url})" if url else text

    def render_markdown(self, link: Link | None = None) -> str:
        """The Markdown matrix; `link(nodeid)` -> the URL of a test in the report (FAIL cells link to it)."""
        out = [
            "# Conformance matrix",
            "",
            "Cells: `pass`; `div` — passes only through listed known divergences; `FAIL ×N · check` — N tests "
            "failed, most of them this check (in the report, the cell links to its first failing test); "
            "`n/a` — not applicable to the target (reason below the target's table); `unex` — not exercised, most "
            "of its examples were discarded (the rate below the target's table), never a pass; `—` — not run.",
            "",
            COLUMN_NOTE,
            "",
            "## Summary (over models)",
            "",
        ]
        out += _md_table(
            ["rule", *self.targets],
            [[rule, *(self.summary_markdown(t, rule, link) for t in self.targets)] for rule in self.rules]
            + [["**total**", *(_total_text(self.totals(t)) for t in self.targets)]],
        )
        met: dict[str, Counter] = defaultdict(Counter)  # target -> divergence id -> cells
        for target in self.targets:
            out += ["", f"## {target}", ""]
            versions = self.meta.get(target, {}).get("versions")
            if versions:
                out += [", ".join(f"{k} {v}" for k, v in sorted(versions.items())), ""]
            models = self.models(target)
            rules = [r for r in self.rules if any(t == target and rr == r for t, rr, _ in self.cells)]
            rows = [[model, *(self._detail(target, rule, model, link) for rule in rules)] for model in models]
            out += _md_table(["model", *rules], rows)
            divs = met[target]
            reasons: dict[str, list[tuple[str, str]]] = defaultdict(list)  # reason, its model as {model}
            unexercised: list[str] = []
            for (t, rule, model), c in self.cells.items():
                if t != target:
                    continue
                for d in c.divergences:
                    divs[d] += 1
                if c.status == UNEX:  # the rate, said per cell: it differs from model to model
                    unexercised.append(f"{UNEX}: {rule} on {model}: " + next(iter(sorted(c.reasons)), ""))
                if c.status == NA:
                    reason = next(iter(sorted(c.reasons)), "")
                    reasons[reason.replace(model, "{model}") if model != ANY_MODEL else reason].append((rule, model))
            if divs:
                out += [
                    "",
                    "Known divergences met (cells): " + ", ".join(f"`{d}` ({n})" for d, n in sorted(divs.items())),
                ]
            for reason, where in sorted(reasons.items()):
                out += ["", _na_line(reason, where)]
            for line in sorted(unexercised):
                out += ["", line]
        from harness.reporting.divergence_table import render

        out += ["", render(self.targets, met).rstrip("\n")]
        return "\n".join(out) + "\n"


Link = Callable[[str], str | None]


def _first_link(nodeids: list[str], link: Link | None) -> str | None:
    if link is None:
        return None
    for nodeid in nodeids:
        url = link(nodeid)
        if url:
            return url
    return None


def _na_line(reason: str, where: list[tuple[str, str]]) -> str:
    """One line per reason and target: a reason that names its model is said once for all of them."""
    if "{model}" not in reason or len(where) == 1:
        return f"n/a ({len(where)} cells): {reason.replace('{model}', where[0][1])}"
    rules = sorted({r for r, _ in where})
    models = ", ".join(sorted(m for _, m in where))
    return f"n/a ({len(where)} cells, {', '.join(rules)}): {reason.replace('{model}', 'these models')} — {models}"


def _total_text(n: Counter) -> str:
    parts = [f"{n[k]} {k}" for k in (PASS, DIV, FAIL, UNEX, NA, SKIP) if n[k]]
    return ", ".join(parts) or NOT_RUN


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return lines


# ---------------------------------------------------------------------- loading
def result_files(inputs: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            # a folder of downloaded parts (a CI merge job's artifacts): the results of each sub-folder
            files += (
                sorted(path.glob("results-*.json"))
                or sorted(path.glob("*.json"))
                or sorted(path.glob("*/results-*.json"))
            )
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(f"no results at {path}")
    return files


def load(inputs: Iterable[str | Path]) -> Matrix:
    """Read results files (later files win for the same target and test id; the parts of one run are
    merged first by harness.reporting.merge.load_matrix, which `kimi-conformance matrix` uses)."""
    return from_data([(str(path), json.loads(path.read_text(encoding="utf-8"))) for path in result_files(inputs)])


def from_data(loaded: Iterable[tuple[str, Any]]) -> Matrix:
    """A matrix from parsed results files, (source, content) each (later ones win)."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    matrix = Matrix()
    for source, data in loaded:
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError(f"{source} is not a results file (no `results` list)")
        for rec in data["results"]:
            target = rec.get("target") or data.get("target")
            if target in (None, "_"):  # no target: its column
                target = column_for(rec.get("area"), rec.get("provenance"))
            records[(target, rec.get("nodeid", ""))] = {**rec, "target": target}
            versions = (data.get("targets") or {}).get(target)
            if versions:
                matrix.meta.setdefault(target, {})["versions"] = versions
    for rec in records.values():
        matrix.add(rec)
    return matrix


def main(inputs: list[str], markdown: str | None = None, stream=None, loader=load) -> int:
    import sys

    stream = stream or sys.stdout
    try:
        matrix = loader(inputs)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not matrix.cells:
        print(f"error: no conformance results in {', '.join(map(str, inputs))}", file=sys.stderr)
        return 2
    from harness.util.scrub import scrub_text

    # Results files written before scrubbing (or by hand) may still name a key: never print it.
    print(scrub_text(matrix.render_terminal()), file=stream)
    if markdown:
        path = Path(markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(scrub_text(matrix.render_markdown()), encoding="utf-8")
        print(f"\nwrote {path}", file=stream)
    return 0
