"""Contract coverage: what a run exercised, per target, rule, model, check and case form.

The engine counts, in memory, every case it judges (`ContractCoverage.judged`) and every example
it could not judge (`discarded`); the pytest plugin writes one `coverage-<target>.json` at the end
of the session (workers' counts merged first: `merge`). What counts is declared as data in
harness/rules/forms.yaml: a check is *exercised* by a case on which its precondition holds, a form
is *drawn* by a case Hypothesis drew (replayed seeds are counted apart). `summarize` turns a file
into rows (green: exercised with every reachable form drawn; yellow: exercised, some form never
drawn; red: never exercised; n/a: no model of the run can reach it on this target) and the lines
the gate (`--kimi-min-coverage`) fails on. A test whose examples were mostly discarded counts as
not exercised, never as a pass.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.rules import forms as forms_mod

FORMAT = "kimi-conformance coverage 1"
FILE_PREFIX = "coverage-"
KILLS_FILE = Path(__file__).with_name("mutation_kills.json")
MAX_REASONS = 12  # distinct discard reasons kept per test; the rest count as "other"
MOSTLY = 0.5  # more than this share of a test's examples discarded: not exercised


class CoverageFileError(ValueError):
    """A coverage file that cannot be read (one line naming it)."""


Fns = tuple[Any, ...]  # predicate functions, all of which must hold


@dataclass
class _Compiled:
    """A rule's forms.yaml entry as functions: (check, precondition, ((form key, predicates), ...))."""

    rule: str
    checks: tuple[tuple[str, Fns, tuple[tuple[str, Fns], ...]], ...]
    rule_forms: tuple[tuple[str, Fns], ...]
    declared: tuple[forms_mod.CheckForms, ...]


def _fns(names: tuple[str, ...]) -> Fns:
    return tuple(forms_mod.PREDICATES[n].fn for n in names)


@cache
def _compiled(rule: str) -> _Compiled | None:
    declared = forms_mod.load().get(rule)
    if declared is None:
        return None
    checks = tuple(c for c in declared.all_checks if not c.diagnosis)
    return _Compiled(
        rule,
        tuple((c.check, _fns(c.when), tuple((f"{c.check}|{f.name}", _fns(f.when)) for f in c.forms)) for c in checks),
        tuple(("|" + f.name, _fns(f.when)) for f in declared.forms),
        checks,
    )


@dataclass
class _Test:
    """One (rule, model) on one target: what its examples did."""

    drawn: int = 0
    replayed: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # cases the predicates could not read (a malformed outbound body)
    checks: dict[str, list[int]] = field(default_factory=dict)  # check -> [drawn, replayed, violated]
    forms: dict[str, list[int]] = field(default_factory=dict)  # "check|form" ("|form": the rule's) -> [drawn, replayed]

    def to_json(self) -> dict[str, Any]:
        return {
            "drawn": self.drawn,
            "replayed": self.replayed,
            "discarded": dict(self.discarded),
            "errors": self.errors,
            "checks": self.checks,
            "forms": self.forms,
        }


@dataclass
class _Target:
    features: dict[str, frozenset[str]] = field(default_factory=dict)  # model -> what it can express
    tests: dict[tuple[str, str], _Test] = field(default_factory=dict)


class ContractCoverage:
    """The session's counts (one per engine; the plugin merges workers' at the end)."""

    def __init__(self) -> None:
        self.targets: dict[str, _Target] = {}

    def _test(self, target, rule: str, model: str) -> _Test:
        t = self.targets.get(target.name)
        if t is None:
            t = self.targets[target.name] = _Target()
        if model not in t.features:
            t.features[model] = frozenset(target.capabilities.features_for(model))
        test = t.tests.get((rule, model))
        if test is None:
            test = t.tests[(rule, model)] = _Test()
        return test

    def discarded(self, rule: str, target, model: str, why: str) -> None:
        test = self._test(target, rule, model)
        why = " ".join(str(why).split())[:160] or "no reason given"
        if why not in test.discarded and len(test.discarded) >= MAX_REASONS:
            why = "other reasons"
        test.discarded[why] += 1

    def judged(
        self,
        rule: str,
        target,
        model: str,
        case: dict[str, Any],
        ctx: Any,
        out: dict[str, Any] | None,
        violated: Iterable[str],
        origin: str,
    ) -> None:
        """One judged case: which checks it exercised, which forms it is, which checks it broke."""
        test = self._test(target, rule, model)
        drawn = origin == "search"
        if drawn:
            test.drawn += 1
        else:
            test.replayed += 1
        compiled = _compiled(rule)
        if compiled is None:
            return
        slot = 0 if drawn else 1
        broken = set(violated)
        facts = forms_mod.Facts(case, ctx, out, target.name != "reference")
        try:
            for key, fns in compiled.rule_forms:
                if _all(fns, facts):
                    _bump(test.forms, key, slot, 2)
            for check, when, check_forms in compiled.checks:
                hit = check in broken
                if not (_all(when, facts) or hit):
                    continue
                counts = _bump(test.checks, check, slot, 3)
                if hit:
                    counts[2] += 1
                for key, fns in check_forms:
                    if _all(fns, facts):
                        _bump(test.forms, key, slot, 2)
        except Exception:  # a target's malformed body: the verdict says it; coverage must not crash
            test.errors += 1

    # ---------------------------------------------------------------------- output
    def to_json(self, catalog) -> dict[str, dict[str, Any]]:
        """target name -> the document of coverage-<target>.json."""
        return {name: _document(name, t, catalog) for name, t in self.targets.items()}

    def state(self) -> dict[str, Any]:
        """Plain data for a worker to send to the controller (see `from_state`)."""
        return {
            name: {
                "features": {m: sorted(f) for m, f in t.features.items()},
                "tests": {f"{r}\t{m}": test.to_json() for (r, m), test in t.tests.items()},
            }
            for name, t in self.targets.items()
        }

    def add_state(self, state: dict[str, Any]) -> None:
        """Merge a worker's `state()` into this one (xdist: the controller's counts)."""
        for name, part in state.items():
            t = self.targets.setdefault(name, _Target())
            for m, f in part["features"].items():
                t.features.setdefault(m, frozenset(f))
            for key, data in part["tests"].items():
                rule, model = key.split("\t", 1)
                test = t.tests.setdefault((rule, model), _Test())
                test.drawn += data["drawn"]
                test.replayed += data["replayed"]
                test.errors += data.get("errors", 0)
                test.discarded.update(data["discarded"])
                for k, v in data["checks"].items():
                    _add(test.checks.setdefault(k, [0, 0, 0]), v)
                for k, v in data["forms"].items():
                    _add(test.forms.setdefault(k, [0, 0]), v)

    def write(self, directory: Path, catalog) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, doc in self.to_json(catalog).items():
            path = directory / f"{FILE_PREFIX}{_safe(name)}.json"
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            tmp.replace(path)
            written.append(path)
        return written


def _all(fns: Fns, facts: Any) -> bool:
    for fn in fns:  # noqa: SIM110 (a loop: all() over a generator costs more, per check per example)
        if not fn(facts):
            return False
    return True


def _bump(table: dict[str, list[int]], key: str, slot: int, width: int) -> list[int]:
    counts = table.get(key)
    if counts is None:
        counts = table[key] = [0] * width
    counts[slot] += 1
    return counts


def _add(into: list[int], more: list[int]) -> None:
    for i, v in enumerate(more):
        into[i] += v


def _safe(name: str) -> str:
    """A file-name part for a target name; a long one (a `command:` spec with its paths) is cut, with
    a digest of the whole so two long names that share a start stay two files (names past 255 bytes
    are refused by the file system, at session finish)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "target"
    if len(safe) <= 80:
        return safe
    return f"{safe[:68]}-{hashlib.sha256(name.encode()).hexdigest()[:11]}"


def _document(name: str, t: _Target, catalog) -> dict[str, Any]:
    """The file: counts per rule and model, plus what each model cannot reach on this target."""
    tests: dict[str, dict[str, Any]] = {}
    for (rule, model), test in sorted(t.tests.items()):
        doc = test.to_json()
        doc["unreachable"] = _unreachable(rule, model, t.features.get(model, frozenset()), name, catalog)
        tests.setdefault(rule, {})[model] = doc
    return {
        "format": FORMAT,
        "target": name,
        "features": {m: sorted(f) for m, f in sorted(t.features.items())},
        "tests": tests,
    }


def _unreachable(rule: str, model: str, features: frozenset[str], target: str, catalog) -> list[str]:
    """Checks ("check") and forms ("check|form", "|form") no case of `model` can reach here."""
    compiled = _compiled(rule)
    if compiled is None:
        return []
    can = features | ({forms_mod.COMPARED} if target != "reference" else set())
    try:
        resolved = catalog.resolve(model) if catalog is not None else None
    except Exception:
        resolved = None
    declared = forms_mod.load()[rule]
    out = [f"|{f.name}" for f in declared.forms if not forms_mod.reachable(f.when, can, resolved)]
    for c in compiled.declared:
        if not forms_mod.reachable(c.when, can, resolved):
            out.append(c.check)
            continue
        out += [f"{c.check}|{f.name}" for f in c.forms if not forms_mod.reachable(c.when + f.when, can, resolved)]
    return out


# -------------------------------------------------------------------------- reading, merging
def read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CoverageFileError(f"{path}: not a coverage file: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("tests"), dict):
        raise CoverageFileError(f"{path}: not a coverage file (no format {FORMAT!r})")
    return doc


def files(inputs: Iterable[Path]) -> list[Path]:
    """Coverage files of results directories (coverage-*.json) or named directly."""
    found: list[Path] = []
    for p in inputs:
        if p.is_dir():
            found += sorted(p.glob(f"{FILE_PREFIX}*.json"))
        elif p.is_file():
            found.append(p)
        else:
            raise CoverageFileError(f"{p}: no such file or directory")
    return found


def merge(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Documents by target, counts of the same target added (shards of one run)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        into = out.get(doc["target"])
        if into is None:
            out[doc["target"]] = json.loads(json.dumps(doc))
            continue
        for m, f in doc.get("features", {}).items():
            into["features"].setdefault(m, f)
        for rule, models in doc["tests"].items():
            for model, data in models.items():
                have = into["tests"].setdefault(rule, {}).get(model)
                if have is None:
                    into["tests"][rule][model] = json.loads(json.dumps(data))
                    continue
                for k in ("drawn", "replayed", "errors"):
                    have[k] = have.get(k, 0) + data.get(k, 0)
                have["discarded"] = dict(Counter(have["discarded"]) + Counter(data["discarded"]))
                for k, v in data["checks"].items():
                    _add(have["checks"].setdefault(k, [0, 0, 0]), v)
                for k, v in data["forms"].items():
                    _add(have["forms"].setdefault(k, [0, 0]), v)
    return out


# -------------------------------------------------------------------------- what it says
@dataclass
class Row:
    rule: str
    check: str  # "" for a rule's own forms (T6b's extra bodies)
    status: str  # green | yellow | red | n/a | diagnosis
    exercised: int = 0
    replayed: int = 0
    violated: int = 0
    forms_drawn: list[str] = field(default_factory=list)
    forms_missing: list[str] = field(default_factory=list)
    forms_unreachable: list[str] = field(default_factory=list)
    note: str = ""
    proven_by: list[str] = field(default_factory=list)  # mutants this check killed (tests/mutants.py)


@dataclass
class Starved:
    """A test whose examples were mostly discarded: not exercised."""

    rule: str
    model: str
    discarded: int
    attempts: int
    reasons: dict[str, int]


@dataclass
class Summary:
    target: str
    rows: list[Row]
    starved: list[Starved]
    models: list[str]

    @property
    def problems(self) -> list[str]:
        """What the gate fails on, one line each."""
        lines = [
            f"{s.rule} on {s.model} not exercised: {s.discarded} of {s.attempts} examples discarded"
            f" ({_top_reason(s.reasons)})"
            for s in self.starved
        ]
        missing: dict[tuple[str, str], list[str]] = {}
        for r in self.rows:
            if r.status == "red":
                lines.append(f"{r.rule} check {r.check} never exercised" + (f" ({r.note})" if r.note else ""))
            for f in r.forms_missing:
                missing.setdefault((r.rule, f), []).append(r.check or "rule form")
        lines += [
            f"{rule} form {name!r} never drawn ({', '.join(sorted(set(where)))})"
            for (rule, name), where in missing.items()
        ]
        return lines

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.rows)


def _top_reason(reasons: dict[str, int]) -> str:
    if not reasons:
        return "no reason recorded"
    why, n = max(reasons.items(), key=lambda kv: kv[1])
    return f"{n}x {why}"


@cache
def mutation_kills(path: Path = KILLS_FILE) -> dict[str, list[str]]:
    """check -> the mutants (tests/mutants.py) it killed, from the committed record (empty if none)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, list[str]] = {}
    for name, info in (doc.get("mutants") or {}).items():
        for check in info.get("checks") or []:
            out.setdefault(check, []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def summarize(doc: dict[str, Any], kills: dict[str, list[str]] | None = None) -> Summary:
    """The rows of one target's coverage (a document of `read` / `merge`)."""
    kills = mutation_kills() if kills is None else kills
    declared = forms_mod.load()
    rows: list[Row] = []
    starved: list[Starved] = []
    models: set[str] = set()
    tests = doc.get("tests", {})
    from harness import rules as registry

    for rule in registry.ids():
        rf = declared.get(rule)
        ran = tests.get(rule) or {}
        counted: dict[str, dict[str, Any]] = {}
        for model, data in sorted(ran.items()):
            models.add(model)
            discarded = sum(data.get("discarded", {}).values())
            attempts = discarded + data.get("drawn", 0)
            if attempts and discarded > MOSTLY * attempts:
                starved.append(Starved(rule, model, discarded, attempts, dict(data.get("discarded", {}))))
                continue
            counted[model] = data
        if rf is None or not ran:  # a rule this run did not run says nothing here
            continue
        if rf.forms:
            rows.append(_rule_forms_row(rule, rf, counted))
        for c in rf.all_checks:
            rows.append(_row(rule, c, ran, counted, kills, doc.get("target", "")))
    return Summary(doc.get("target", "?"), rows, starved, sorted(models))


def _form_state(key: str, counted: dict[str, dict[str, Any]]) -> tuple[int, bool]:
    drawn, reachable = 0, False
    for data in counted.values():
        drawn += (data.get("forms", {}).get(key) or [0, 0])[0]
        reachable = reachable or key not in data.get("unreachable", ())
    return drawn, reachable


def _rule_forms_row(rule: str, rf, counted) -> Row:
    row = Row(rule, "", "green")
    for f in rf.forms:
        drawn, reachable = _form_state("|" + f.name, counted)
        (row.forms_drawn if drawn else row.forms_missing if reachable else row.forms_unreachable).append(f.name)
    row.exercised = sum(d.get("drawn", 0) for d in counted.values())
    row.replayed = sum(d.get("replayed", 0) for d in counted.values())
    if not counted:
        row.status, row.note = "n/a", "the rule did not run on this target"
    elif row.forms_missing:
        row.status = "yellow"
    return row


def _row(rule: str, c, ran, counted, kills, target: str) -> Row:
    row = Row(rule, c.check, "green", proven_by=list(kills.get(c.check, [])))
    if c.diagnosis:
        row.status, row.note = "diagnosis", "said on failures only (a root cause), not counted per case"
        return row
    reachable_models = [m for m, d in counted.items() if c.check not in d.get("unreachable", ())]
    for data in counted.values():
        ex = data.get("checks", {}).get(c.check) or [0, 0, 0]
        row.exercised += ex[0] + ex[1]
        row.replayed += ex[1]
        row.violated += ex[2]
    for f in c.forms:
        key = f"{c.check}|{f.name}"
        drawn, reachable = _form_state(key, {m: counted[m] for m in reachable_models})
        (row.forms_drawn if drawn else row.forms_missing if reachable else row.forms_unreachable).append(f.name)
    if not reachable_models:
        row.forms_missing = []
        if row.exercised:
            return row
        row.status = "n/a"
        if not ran:
            row.note = "the rule did not run on this target"
        elif not counted:
            row.note = "every test of the rule had its examples mostly discarded"
        elif "compared_with_reference" in c.when and target == "reference":
            row.note = "the reference is what the others are compared with"
        else:
            row.note = "no model of this run can reach it on this target"
        if not ran or counted:
            return row
        row.status = "red"
        return row
    if row.exercised == 0:
        row.status = "red"
        row.note = f"precondition {' and '.join(c.when)} never held"
    elif row.forms_missing:
        row.status = "yellow"
    return row
