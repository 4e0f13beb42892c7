"""Case forms: which shapes of case can provoke each check, declared as data (forms.yaml) and
recognised from the case by small named predicates (_forms_case.py, _forms_messages.py; what they
read: _form_facts.py) — never from the generator's internals, so a narrowed generator shows up as
a form never drawn.

A check of forms.yaml has a precondition (`when`: every predicate holds — the check ran on
something it can judge: "exercised") and forms (name -> predicates). A predicate says which
case features it needs (`needs`: a target that cannot express them is never asked for the form)
and, where only some catalog models can reach it, which (`model`). `compared`: the pseudo-feature
of every target but the reference (agreement and the failure diagnosis compare with it).

Predicates read a `Facts`: the case, its resolved context, the intended body and the outbound
request, each computed at most once per judged case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

# The predicates register by name as their modules load (harness/rules/_forms_case.py, _forms_messages.py).
from harness.rules import _forms_case, _forms_messages  # noqa: F401
from harness.rules._form_facts import COMPARED, PREDICATES, Facts, Predicate, predicate

__all__ = ["COMPARED", "PREDICATES", "Facts", "FormsError", "Predicate", "holds", "load", "predicate", "reachable"]
FORMS_FILE = Path(__file__).with_name("forms.yaml")


class FormsError(ValueError):
    """forms.yaml is malformed or names a predicate that does not exist (one line saying which)."""


# ------------------------------------------------------------------------------ the model of forms
@dataclass(frozen=True)
class Form:
    name: str
    when: tuple[str, ...]


@dataclass(frozen=True)
class CheckForms:
    rule: str
    check: str
    when: tuple[str, ...] = ("always",)
    forms: tuple[Form, ...] = ()
    reason: str | None = None  # why `forms: []`
    diagnosis: str | None = None  # said only on failures (root cause), never counted per case


@dataclass(frozen=True)
class RuleForms:
    rule: str
    checks: tuple[CheckForms, ...] = ()
    forms: tuple[Form, ...] = ()  # forms of the rule's cases as a whole (T6b's extra bodies)
    includes: tuple[str, ...] = ()  # rules whose checks this rule also runs (T6b: T1-T5, passthrough)
    reason: str | None = None  # a rule without checks of its own: why
    all_checks: tuple[CheckForms, ...] = field(default=(), compare=False)  # own + included


def _form_list(value: Any, where: str) -> tuple[Form, ...]:
    if value is None or value == []:
        return ()
    if not isinstance(value, dict):
        raise FormsError(f"{FORMS_FILE.name}: {where}: forms must be a mapping of name -> predicate(s), or []")
    return tuple(Form(str(name), _names(preds, f"{where} form {name!r}")) for name, preds in value.items())


def _names(value: Any, where: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value or ())
    for n in names:
        if not isinstance(n, str):
            raise FormsError(f"{FORMS_FILE.name}: {where}: a predicate name must be a string, got {n!r}")
    return names


@cache
def load(path: Path = FORMS_FILE) -> dict[str, RuleForms]:
    """forms.yaml as RuleForms by rule id (structure only; `validate` checks names)."""
    from harness.util import yamlio

    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError) as e:
        raise FormsError(f"{path}: cannot be read: {e}") from None
    if not isinstance(data, dict):
        raise FormsError(f"{path.name}: the top level must be a mapping of rule id -> its checks")
    out: dict[str, RuleForms] = {}
    for rule, spec in data.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise FormsError(f"{path.name}: rule {rule!r} must be a mapping (checks, forms, includes, reason)")
        checks = []
        for check, c in (spec.get("checks") or {}).items():
            c = c or {}
            if "forms" not in c and not c.get("diagnosis"):
                raise FormsError(f"{path.name}: {check}: no `forms` (declare `forms: []` with a `reason`)")
            if c.get("forms") in ([], None) and not (c.get("reason") or c.get("diagnosis")):
                raise FormsError(f"{path.name}: {check}: `forms: []` needs a `reason` saying why")
            checks.append(
                CheckForms(
                    str(rule),
                    str(check),
                    _names(c.get("when", "always"), f"{check} when"),
                    _form_list(c.get("forms"), str(check)),
                    c.get("reason"),
                    c.get("diagnosis"),
                )
            )
        out[str(rule)] = RuleForms(
            str(rule),
            tuple(checks),
            _form_list(spec.get("forms"), f"{rule} (rule forms)"),
            tuple(spec.get("includes") or ()),
            spec.get("reason"),
        )
    for rule_id, rf in list(out.items()):
        # an included rule's checks count with their preconditions; their forms are their own suite's,
        # and its agreement and diagnoses are its own (the including rule compares on its own fields)
        inherited = tuple(
            CheckForms(c.rule, c.check, c.when, (), c.reason, c.diagnosis)
            for inc in rf.includes
            for c in (out[inc].checks if inc in out else ())
            if not c.diagnosis and not c.check.endswith(".agreement")
        )
        out[rule_id] = RuleForms(rf.rule, rf.checks, rf.forms, rf.includes, rf.reason, rf.checks + inherited)
    return out


def validate(path: Path = FORMS_FILE) -> list[str]:
    """What is wrong with forms.yaml against the registry and the predicates (empty: nothing)."""
    from harness import rules

    problems = []
    declared = load(path)
    known_checks = set(rules._advice())
    for r in rules.all_rules():
        rf = declared.get(r.id)
        own = {c for c in known_checks if c.split(".")[0] == r.id}
        if rf is None:
            problems.append(f"rule {r.id}: not in {path.name}")
            continue
        if not own and not rf.reason:
            problems.append(f"rule {r.id}: has no check ids: give a `reason`")
        names = {c.check for c in rf.checks}
        problems += [f"{r.id}: check {c} has no entry" for c in sorted(own - names)]
        problems += [f"{r.id}: {c} is no check of the registry" for c in sorted(names - own)]
        problems += [f"{r.id}: includes unknown rule {inc!r}" for inc in rf.includes if inc not in declared]
        for c in rf.checks:
            for form in (Form("(when)", c.when), *c.forms):
                problems += [
                    f"{c.check}: form {form.name!r}: no predicate {p!r}" for p in form.when if p not in PREDICATES
                ]
        for form in rf.forms:
            problems += [f"{r.id}: form {form.name!r}: no predicate {p!r}" for p in form.when if p not in PREDICATES]
    problems += [f"{rule}: not a rule of the registry" for rule in declared if rule not in rules.ids()]
    return problems


def needs(names: tuple[str, ...]) -> frozenset[str]:
    """The case features a conjunction of predicates needs."""
    out: set[str] = set()
    for n in names:
        out |= PREDICATES[n].needs
    return frozenset(out)


def reachable(names: tuple[str, ...], features: frozenset[str], model: Any) -> bool:
    """Whether a target with `features` can draw a case on catalog `model` where all hold."""
    for n in names:
        p = PREDICATES[n]
        if not p.needs <= features or (p.model is not None and model is not None and not p.model(model)):
            return False
    return True


def holds(names: tuple[str, ...], facts: Facts) -> bool:
    for n in names:  # noqa: SIM110 (a loop: all() over a generator costs more, once per check per example)
        if not PREDICATES[n].fn(facts):
            return False
    return True
