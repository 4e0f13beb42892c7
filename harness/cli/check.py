"""`kimi-conformance check CASE --target SPEC`: one case through a target, judged under every rule that
applies exactly as the suites judge it (`harness.rules.judge`), and its verdict: per rule pass, FAIL,
div (every violation covered by a known divergence) or n/a; each violation with its check id, place,
expected and actual value, message and what to do, the known divergence that covers it, and the
rule's contract section (`kimi-conformance contract RULE`). A failing suite test prints this command
as its `Reproduce:` line.

Exit 0 conformant (or every violation covered by a known divergence); 1 a violation no known
divergence covers, or the target rejected or failed on a well-formed case; 2 bad input (one line:
the case file, a malformed case, an unknown rule or target, a case the target cannot express or a
model it cannot run); 4 a harness error (`main`).

A malformed case is bad input, unless `--rule errors` asks whether the target rejects it as the
contract wants (the `errors` rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.contract.verdict import Violation

PASS, FAIL, DIV, NA = "pass", "FAIL", "div", "n/a"
ABSENT = "<absent>"


@dataclass
class RuleResult:
    rule: str
    status: str = PASS
    reason: str = ""  # why n/a, or how the target failed
    # every violation with the known divergence that covers it (None: uncovered)
    violations: list[tuple[Violation, Any]] = field(default_factory=list)

    def judge(self) -> None:
        if self.violations:
            self.status = FAIL if any(d is None for _, d in self.violations) else DIV


@dataclass
class Report:
    case: str  # where the case came from
    target: str
    model: str
    kind: str  # transform | usage | errors
    rules: list[RuleResult] = field(default_factory=list)
    root_causes: list[Violation] = field(default_factory=list)
    target_error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def uncovered(self) -> list[Violation]:
        return [v for r in self.rules for v, d in r.violations if d is None]

    @property
    def covered(self) -> list[tuple[Violation, Any]]:
        return [(v, d) for r in self.rules for v, d in r.violations if d is not None]

    @property
    def exit_code(self) -> int:
        return 1 if self.uncovered or self.target_error else 0

    @property
    def verdict(self) -> str:
        if self.exit_code:
            return "fail"
        if self.rules and all(r.status == NA for r in self.rules):
            return "n/a"
        return "covered" if self.covered else "conformant"


# ------------------------------------------------------------------------------- judging
def _problem(message: str):
    from harness.cli.inputs import UsageProblem

    return UsageProblem(message)


def _wanted_rules(names: list[str] | None):
    from harness import rules

    if not names:
        return None
    by_id = {r.id.lower(): r for r in rules.all_rules()}
    found = []
    for name in names:
        rule = by_id.get(name.strip().lower())
        if rule is None:
            raise _problem(f"--rule: unknown rule {name!r} (rules: {', '.join(rules.ids())})")
        found.append(rule)
    if len({r.kind for r in found}) > 1:
        raise _problem(
            f"--rule: {', '.join(r.id for r in found)} judge different kinds of case; check one kind at a time"
        )
    return found


def _kind(case: dict[str, Any], wanted) -> str:
    if wanted:
        kind = wanted[0].kind
        has_chunks = "chunks" in case
        if kind == "usage" and not has_chunks:
            raise _problem(f"--rule {wanted[0].id} judges a usage case (model + chunks); this case has no chunks")
        if kind == "transform" and has_chunks:
            raise _problem(f"--rule {wanted[0].id} judges a request case; this case holds chunks (a usage case: T9)")
        return kind
    return "usage" if "chunks" in case else "transform"


def _model(case: dict[str, Any], kind: str, where: str, catalog) -> str:
    """The case's canonical model ref; a malformed case (for its kind) is bad input."""
    from harness.cli.inputs import malformed
    from harness.contract.case import context
    from harness.errors import CatalogError

    if kind == "usage":
        if not isinstance(case.get("model"), str) or not isinstance(case.get("chunks"), list):
            raise _problem(f"{where}: a usage case is {{model, chunks}}: a model ref and a list of stream chunks")
        try:
            return catalog.resolve(case["model"]).ref
        except CatalogError as e:
            raise _problem(f"{where}: {e}") from None
    problem = malformed(case, catalog)
    if kind == "errors":
        if problem is None:
            raise _problem(f"{where}: the case is well-formed, and `--rule errors` judges malformed cases")
        model = case.get("model") if isinstance(case, dict) else None
        return model if isinstance(model, str) else "?"
    if problem is not None:
        raise _problem(f"{where}: {problem} (a malformed case; `--rule errors` checks that the target rejects it)")
    return context(case, catalog).model.ref


def _errors_verdict(target, case: dict[str, Any], report: Report, entries) -> None:
    """The `errors` rule on a malformed case: the target must reject it (harness.rules.errors);
    what it accepts or crashes on is held to its known divergences as the suite does."""
    from harness.rules.errors import violations
    from harness.targets import NotExpressible

    result = RuleResult("errors")
    report.rules.append(result)
    result.violations = [
        (v, _covering(entries, v, case)) for v in violations(case, target.transform, (NotExpressible,))
    ]
    result.judge()


def _applicable(target, kind: str, model: str, wanted, report: Report, catalog) -> list:
    """The rules to run; the rest of the case's kind go into the report as n/a, with why."""
    from harness import rules

    caps = target.capabilities
    catalog_model = catalog.resolve(model) if kind == "transform" else None
    run = []
    for rule in wanted or [r for r in rules.all_rules() if r.kind == kind]:
        if not caps.supports(rule.id):
            why = caps.why_not.get(rule.id, f"{target.name} is not checked under {rule.id}")
            if wanted:
                raise _problem(f"--rule {rule.id}: {why}")
            report.rules.append(RuleResult(rule.id, NA, why))
            continue
        surface = rule.extra.get("api", "openai-completions")  # as the suites give each rule its surface's models
        why = rule.not_applicable(catalog_model) if catalog_model is not None else None
        if catalog_model is not None and catalog_model.api != surface:
            why = f"judged on {surface} requests; {model} is reached through {catalog_model.api}"
        if why:
            report.rules.append(RuleResult(rule.id, NA, why))
            continue
        run.append(rule)
    return run


def check_case(case: dict[str, Any], target, *, where: str, catalog, wanted_rules=None, divergences=()) -> Report:
    """The verdict of one case on one target (bad input raises `UsageProblem`)."""
    from harness.errors import CaseError, TargetError
    from harness.targets import NotExpressible
    from harness.targets.reference import ReferenceTarget

    if not isinstance(case, dict):
        raise _problem(f"{where}: a case is a JSON object, got {type(case).__name__}")
    wanted = _wanted_rules(wanted_rules)
    kind = "errors" if wanted and wanted[0].kind == "errors" else _kind(case, wanted)
    model = _model(case, kind, where, catalog)
    report = Report(where, target.name, model, kind)
    caps = target.capabilities
    if kind == "errors":
        _errors_verdict(target, case, report, _divergences(target.name, divergences))
        return report
    if model in caps.models_not_applicable:
        raise _problem(f"{target.name} cannot run {model}: {caps.models_not_applicable[model]}")
    if kind == "transform":
        from harness.generation.features import case_features

        missing = sorted(case_features(case, caps.request_defaults) - caps.features_for(model))
        if missing:
            raise _problem(f"{where}: the case uses features {target.name} cannot express: {', '.join(missing)}")
        changed = {k: v for k, v in caps.request_defaults.items() if case["request"].get(k, ABSENT) != v}
        if changed:  # as the suites run it: the target's fixed request fields (OpenClaw always streams)
            report.notes.append(
                f"{target.name} always sends {json.dumps(changed)}: the case is judged with that in its request"
            )
            case = {**case, "request": {**case["request"], **caps.request_defaults}}
    run = _applicable(target, kind, model, wanted, report, catalog)
    if not run:
        return report
    entries = _divergences(target.name, divergences)
    reference = ReferenceTarget(catalog)
    is_reference = isinstance(target, ReferenceTarget)
    out: dict[str, Any] | None = None  # what went out: pins are checked against it
    if kind == "usage":
        _judge_usage(target, reference, case, run[0], report)
    else:
        try:
            out = target.transform(case)
        except CaseError as e:
            report.target_error = f"{target.name} rejected a well-formed case as invalid: {_line(e)}"
            return report
        except TargetError as e:
            report.target_error = f"{target.name} failed on this case: {_line(e)}"
            return report
        except NotExpressible as e:
            raise _problem(f"{where}: {target.name} cannot express this case: {_line(e)}") from None
        _judge_transform(target, None if is_reference else reference, case, out, run, report, catalog)
    for result in report.rules:
        result.violations = [_held(entries, v, case, out) for v, _ in result.violations]
        result.judge()
    if kind == "transform" and report.uncovered and not is_reference:
        report.root_causes = _root_causes(case, out, reference.transform(case), entries, report)
    return report


def _judge_transform(target, reference, case, out, run, report: Report, catalog) -> None:
    from harness.errors import CaseError, TargetError
    from harness.rules.judge import judge
    from harness.targets import NotExpressible

    for rule in run:
        result = RuleResult(rule.id)
        try:
            verdict = judge(
                rule.id,
                case,
                out,
                catalog=catalog,
                reference=reference.transform if reference is not None else None,
                transform=target.transform,
                features=frozenset(target.capabilities.features_for(report.model)),  # as the suites rerun it
            )
        except NotExpressible as e:  # a rule that reruns the target on a case it cannot express
            result.status, result.reason = NA, f"{target.name} cannot express its rerun: {_line(e)}"
        except (CaseError, TargetError) as e:
            report.target_error = f"{target.name} failed when {rule.id} ran it again: {_line(e)}"
            result.status, result.reason = FAIL, report.target_error
        else:
            result.violations = [(v, None) for v in verdict.violations]
        report.rules.append(result)


def _judge_usage(target, reference, case, rule, report: Report) -> None:
    from harness.errors import TargetError
    from harness.rules.judge import usage_verdict
    from harness.targets import NotExpressible

    try:
        want = reference.usage(case["model"], case["chunks"])
    except Exception as e:  # the chunks are the user's: what the reference cannot read is bad input
        raise _problem(
            f"{report.case}: the reference cannot read these chunks: {type(e).__name__}: {_line(e)}"
        ) from None
    try:
        got = target.usage(case["model"], case["chunks"])
    except NotExpressible as e:
        raise _problem(f"{target.name} does not parse usage: {_line(e)}") from None
    except TargetError as e:
        report.target_error = f"{target.name} failed on these chunks: {_line(e)}"
        report.rules.append(RuleResult(rule.id, FAIL, report.target_error))
        return
    result = RuleResult(rule.id, violations=[(v, None) for v in usage_verdict(got, want).violations])
    report.rules.append(result)


def _divergences(name: str, files):
    from harness.divergences.model import Divergences

    return Divergences.for_target(name, tuple(files)) if files else Divergences.for_target(name)


def _covering(entries, v: Violation, case: dict[str, Any]):
    coverage = entries.cover([v], case)
    return coverage.covered[0][1] if coverage.covered else None


def _held(entries, v: Violation, case: dict[str, Any], out: dict[str, Any] | None) -> tuple[Violation, Any]:
    """A violation with the entry that covers it, its pins checked against what went out (as the
    suites do): a pinned value the target no longer sends is the changed divergence, uncovered."""
    coverage = entries.cover([v], case, out)
    return coverage.covered[0] if coverage.covered else (coverage.uncovered[0], None)


def _root_causes(case, out, want, entries, report: Report) -> list[Violation]:
    """Configured inputs that never reached the body: said first, the rest may follow from them."""
    try:
        from harness.rules.diagnosis import dropped_inputs
    except ImportError:  # pragma: no cover - an older registry without the diagnosis
        return []
    seen = [v for r in report.rules for v, _ in r.violations]  # Violations hold JSON values: not hashable
    return [v for v in dropped_inputs(case, out, want) if v not in seen and _covering(entries, v, case) is None]


def _line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


# ------------------------------------------------------------------------------- output
def _value(value: Any) -> str:
    text = value if value == ABSENT else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _advice(check: str) -> str | None:
    from harness import rules

    advice = getattr(rules, "advice", None)  # the registry's "what to do" per check
    return advice(check) if advice is not None else None


@dataclass
class _Said:
    """One difference is said in full once: `names` the property check naming each place and value,
    `printed` the violations already written out."""

    names: dict[tuple[str, str], str] = field(default_factory=dict)
    printed: set[tuple[str, str, str]] = field(default_factory=set)


def _violation_lines(v: Violation, divergence, said: _Said | None = None) -> list[str]:
    where = v.path or "/"
    values = (
        f"got {_value(v.actual)}" if v.expected is None else f"expected {_value(v.expected)}, got {_value(v.actual)}"
    )
    if said is not None and divergence is None:
        key = (v.path, _value(v.actual))
        named = said.names.get(key)
        if named and ((v.check.endswith(".agreement") and named != v.check) or (v.check, *key) in said.printed):
            return [f"      [{v.check}] {where}: {values} (the same difference as [{named}])"]
        said.printed.add((v.check, *key))
    lines = [f"      [{v.check}] {where}: {values}"]
    if v.message:
        lines.append(f"          {v.message}")
    todo = _advice(v.check)
    if todo:
        lines.append(f"          what to do: {todo}")
    if divergence is not None:
        lines.append(f"          known divergence: {divergence.id} ({divergence.file})")
    return lines


def render(report: Report) -> str:
    from harness import rules
    from harness.cli.rules import title_of

    lines = [f"{report.case}: {report.model} on {report.target}"]
    lines += [f"  note: {n}" for n in report.notes]
    if report.root_causes:
        lines.append("  first, what the rest may follow from:")
        for v in report.root_causes:
            lines += _violation_lines(v, None)
    # an agreement violation at a place a property already names is the same difference: said once
    said = _Said()
    for r in report.rules:
        for v, _ in r.violations:
            if not v.check.endswith(".agreement"):
                said.names.setdefault((v.path, _value(v.actual)), v.check)
    width = max((len(r.rule) for r in report.rules), default=0)
    not_applicable: dict[str, list[str]] = {}  # reason -> rules: said once, after the rules that ran
    for r in report.rules:
        try:
            rule = rules.get(r.rule)
            title, read = title_of(rule), f"  (contract: `kimi-conformance contract {rule.id}`)"
        except KeyError:
            title, read = "", ""
        name = f"{r.rule:<{width}}  {title}".rstrip()
        if r.status == PASS:
            lines.append(f"  pass  {name}")
        elif r.status == NA:
            not_applicable.setdefault(r.reason, []).append(r.rule)
        else:
            lines.append(f"  {r.status:<4}  {name}{read}")
            if r.reason:
                lines.append(f"      {r.reason}")
            for v, d in r.violations:
                lines += _violation_lines(v, d, said)
    for reason, names in not_applicable.items():
        lines.append(f"  n/a   {', '.join(names)}: {reason}")
    if report.target_error and not any(r.reason == report.target_error for r in report.rules):
        lines.append(f"  FAIL  {report.target_error}")
    uncovered, covered = report.uncovered, report.covered
    if report.exit_code:
        what = f"{len(uncovered)} violation(s) no known divergence covers" if uncovered else report.target_error
        checks = f" ({', '.join(sorted({v.check for v in uncovered}))})" if uncovered else ""
        lines.append(f"verdict: FAIL: {what}{checks}")
    elif covered:
        ids = ", ".join(sorted({d.id for _, d in covered}))
        lines.append(f"verdict: conformant but for known divergences: {ids}")
    elif report.verdict == "n/a":
        lines.append(f"verdict: not applicable: no rule judges this case on {report.target}")
    else:
        lines.append("verdict: conformant")
    return "\n".join(lines)


def to_json(report: Report) -> dict[str, Any]:
    from harness import rules

    def violation(v: Violation, d) -> dict[str, Any]:
        return {
            **v.to_json(),
            "what_to_do": _advice(v.check),
            "divergence": {"id": d.id, "file": d.file} if d is not None else None,
        }

    out_rules = []
    for r in report.rules:
        try:
            rule = rules.get(r.rule)
            title, anchor = rule.title, rule.section
        except KeyError:
            title, anchor = "", None
        out_rules.append(
            {
                "rule": r.rule,
                "title": title,
                "status": r.status.lower(),
                "reason": r.reason or None,
                "contract": f"kimi-conformance contract {r.rule}",
                "anchor": anchor,
                "violations": [violation(v, d) for v, d in r.violations],
            }
        )
    return {
        "case": report.case,
        "target": report.target,
        "model": report.model,
        "kind": report.kind,
        "verdict": report.verdict,
        "exit_code": report.exit_code,
        "notes": report.notes,
        "target_error": report.target_error,
        "root_causes": [v.to_json() for v in report.root_causes],
        "rules": out_rules,
    }


# ------------------------------------------------------------------------------- the command
def cmd_check(args) -> int:
    from harness.cli.endpoints import load_catalog
    from harness.cli.inputs import read_cases
    from harness.targets import create
    from harness.util.scrub import spec_name

    (case,) = read_cases(args.case, lines=False)
    where = "<stdin>" if args.case == "-" else args.case
    catalog = load_catalog(args.catalog)
    _wanted_rules(args.rule)  # an unknown rule is bad input before any target starts
    spec_name(args.target)  # the spec's secrets are remembered before anything can print them
    target = create(args.target, catalog=catalog, timeout=args.timeout)
    try:
        report = check_case(
            case, target, where=where, catalog=catalog, wanted_rules=args.rule, divergences=args.divergences or ()
        )
    finally:
        target.close()
    # what the target sent (a violation's actual value) can hold a key: main() scrubs every output line
    print(json.dumps(to_json(report), indent=2, ensure_ascii=False) if args.json else render(report))
    return report.exit_code


def add_check_command(sub) -> None:
    from harness.cli.inputs import add_catalog_option

    p = sub.add_parser(
        "check",
        help="one case through a target under every rule that applies: its verdict (exit 0 conformant, 1 not)",
        description="Run one case through a target, judge it under every rule that applies (as the suites do), "
        "and print the verdict: each violation with its check id, place, expected and actual value, what to "
        "do, the known divergence covering it, and the contract section. Exit 0 conformant (or every "
        "violation a known divergence), 1 a violation, 2 bad input, 4 a harness error.",
    )
    p.add_argument("case", help="the case: a JSON file (docs/reference/case-format.md), or - for stdin")
    p.add_argument(
        "--target",
        required=True,
        help="the target: reference, python:MODULE:CALLABLE, command:CMD, openclaw, pi-ai, litellm, pydantic-ai, vercel-ai, http:URL, "
        "NAME=SPEC (as pytest --kimi-target)",
    )
    p.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="judge under this rule only (repeatable; default: every rule that applies). `--rule errors`: "
        "the case is malformed and the target must reject it",
    )
    p.add_argument(
        "--divergences",
        action="append",
        metavar="PATH",
        help="your own known-divergence file (as pytest --kimi-divergences; repeatable): what it covers is "
        "a known divergence, not a failure",
    )
    add_catalog_option(p)
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="per-case timeout for process targets (default 30)",
    )
    p.add_argument("--json", action="store_true", help="the verdict as JSON (exit code as without it)")
    p.set_defaults(func=cmd_check)
