"""Known divergences: where a real implementation (or the upstream API) disagrees with the
contract, written down as data with its evidence (`harness/divergences/<target>.yaml`, shared
behaviour in `shared.yaml`, minimal cases in `cases/`).

An entry covers a violation by structure — its `rules`, `checks`, optional `path` (a JSON
pointer prefix) and `when` conditions on the case — never by the wording of a message. Every
violation of a case must be covered by exactly one entry of its target.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.contract.verdict import Violation
from harness.errors import HarnessError

DIR = Path(__file__).resolve().parent
SCHEMA = DIR / "divergences.schema.json"
SHARED = "shared"
_MISSING = object()


class DivergenceFileError(HarnessError):
    """A divergence file (or a minimal case it names) is missing, malformed or fails its schema."""


def _resolve(obj: Any, parts: list[str]) -> list[Any]:
    """Values at a dotted path; `[]` after a key fans out over a list."""
    if not parts:
        return [obj]
    head, rest = parts[0], parts[1:]
    fan = head.endswith("[]")
    key = head[:-2] if fan else head
    value = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
    if value is _MISSING:
        return [_MISSING] if not rest else []
    if fan:
        return [v for item in (value if isinstance(value, list) else []) for v in _resolve(item, rest)]
    return _resolve(value, rest)


_OPS = {
    "present": lambda v, want: True,
    "equals": lambda v, want: v == want,
    "in": lambda v, want: v in want,
    "matches": lambda v, want: isinstance(v, str) and re.search(want, v) is not None,
    "lower-equals": lambda v, want: isinstance(v, str) and v.strip().lower() == want,
}


@cache
def _canonical(ref: str) -> str:
    """The catalog's ref for a spelling ("Kimi K2.6" -> moonshot/kimi-k2.6): generation draws the
    spellings users write, and a `when` on `model` is about the model, not its spelling."""
    from harness.catalog import builtin
    from harness.errors import HarnessError

    try:
        return builtin().resolve(ref).ref
    except (HarnessError, KeyError, ValueError):
        return ref


def holds(cond: dict[str, Any], case: dict[str, Any]) -> bool:
    """One `when` condition on a case (its values, never a failure text): a path op, a case form
    (`{predicate: NAME}`, a predicate of harness/rules/forms.yaml), or the negation of either."""
    if "not" in cond:
        return not holds(cond["not"], case)
    if "predicate" in cond:
        return form_holds(cond["predicate"], case)
    if cond["path"] == "model" and isinstance(case.get("model"), str):
        case = {**case, "model": _canonical(case["model"])}
    values = _resolve(case, cond["path"].split("."))
    op = cond.get("op", "present")
    if op == "absent":
        return all(v is _MISSING for v in values)
    if op == "unset":  # absent or null: targets read both as "not given"
        return all(v is _MISSING or v is None for v in values)
    return any(_OPS[op](v, cond.get("value")) for v in values if v is not _MISSING)


# Predicates that read what a target sent or whom it is compared with: a `when` is about the case.
_NOT_ABOUT_THE_CASE = ("outbound_",)


def predicate_problem(name: str) -> str | None:
    """Why `name` cannot be a `when: {predicate: NAME}` (None: it can)."""
    from harness.rules.forms import COMPARED, PREDICATES

    p = PREDICATES.get(name)
    if p is None:
        return f"no predicate {name!r} in harness/rules/forms.py"
    if name.startswith(_NOT_ABOUT_THE_CASE) or COMPARED in p.needs:
        return f"predicate {name!r} reads the outbound request or the comparison, not the case"
    return None


def form_holds(name: str, case: dict[str, Any]) -> bool:
    """Whether the case has the form the coverage model's predicate `name` recognises. Read as
    forms.yaml reads it (the case, its resolved context, the intended body; never a target's
    output). Only reached for violations whose rule, check and path already match the entry."""
    from harness.contract.case import context
    from harness.rules.forms import PREDICATES, Facts

    try:
        ctx = context(case, validated=True)  # cached per (model, provider)
    except (HarnessError, KeyError, TypeError):
        return False
    return bool(PREDICATES[name].fn(Facts(case, ctx, None, compared=False)))


def predicates_in(cond: dict[str, Any]) -> list[str]:
    """The predicate names a `when` condition uses (through `not`)."""
    if "not" in cond:
        return predicates_in(cond["not"])
    return [cond["predicate"]] if "predicate" in cond else []


def describe(cond: dict[str, Any]) -> str:
    """A condition in one line, as the divergence tables show it."""
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    if "predicate" in cond:
        return f"form `{cond['predicate']}`"
    value = cond.get("value")
    shown = "" if value is None else f" {json.dumps(value, ensure_ascii=False)}"
    return f"`{cond['path']}` {cond.get('op', 'present')}{shown}"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


@dataclass(frozen=True)
class Divergence:
    id: str
    targets: tuple[str, ...]
    rules: frozenset[str]
    checks: frozenset[str]
    path: str | None
    when: tuple[dict[str, Any], ...]
    observer: str
    case: dict[str, Any]
    data: dict[str, Any] = field(compare=False, repr=False)
    file: str = ""

    @property
    def rule(self) -> str:
        """The entry's first rule (where its minimal case is replayed)."""
        return self.data["rules"][0]

    def applies(self, case: dict[str, Any]) -> bool:
        return all(holds(c, case) for c in self.when)

    def covers(self, v: Violation, case: dict[str, Any]) -> bool:
        return (
            v.rule in self.rules
            and v.check in self.checks
            and (self.path is None or _under(v.path, self.path))
            and self.applies(case)
        )


@dataclass
class Coverage:
    """How a verdict's violations meet a target's entries."""

    covered: list[tuple[Violation, Divergence]] = field(default_factory=list)
    uncovered: list[Violation] = field(default_factory=list)
    overlapping: list[tuple[Violation, list[Divergence]]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return sorted({d.id for _, d in self.covered})


class Divergences:
    def __init__(self, entries: list[Divergence]):
        self.entries = entries

    @classmethod
    def for_target(cls, target_name: str, user_files: tuple[str | Path, ...] | list[Path] = ()) -> Divergences:
        """The shipped entries of a target's kind (`openclaw:2026.9.6` -> openclaw), then the entries
        of the user's own files (`user_files`) that name this target by its name: the alias of
        `NAME=SPEC`, or the spec itself — never a kind, so one user's `command:` target's entries
        never apply to another `command:` target."""
        base = target_name.split(":", 1)[0]
        shipped = [d for d in _load_all() if base in d.targets]
        mine = [d for path in user_files for d in load_user_file(str(path)) if target_name in d.targets]
        return cls([*shipped, *_unique(mine, frozenset(d.id for d in shipped))])

    def cover(self, violations: list[Violation], case: dict[str, Any]) -> Coverage:
        result = Coverage()
        for v in violations:
            found = [d for d in self.entries if d.covers(v, case)]
            if not found:
                result.uncovered.append(v)
            else:
                result.covered.append((v, found[0]))
                if len(found) > 1:
                    result.overlapping.append((v, found))
        return result

    def __iter__(self):
        return iter(self.entries)


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text())


def _fail(path: Path, msg: str):
    raise DivergenceFileError(f"{path}: {msg}")


def load_file(path: Path) -> list[Divergence]:
    import jsonschema

    from harness.util import yamlio

    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        _fail(path, f"cannot be read ({err})")
    except yamlio.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        _fail(path, f"is not valid YAML{f' (line {mark.line + 1})' if mark else ''}: {getattr(err, 'problem', err)}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(data))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "top level"
        _fail(path, f"fails its schema at {where}: {error.message}")
    default_targets = [data["target"]] if data.get("target") else []
    entries = []
    for e in data["entries"]:
        for n, cond in enumerate(e.get("when") or ()):
            for name in predicates_in(cond):
                problem = predicate_problem(name)
                if problem:
                    _fail(path, f"entry {e['id']!r}: when[{n}]: {problem}")
        case_path = path.parent / e["case"]
        try:
            case = json.loads(case_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            _fail(path, f"entry {e['id']!r}: its minimal case {e['case']} cannot be read ({err})")
        entries.append(
            Divergence(
                id=e["id"],
                targets=tuple(e.get("targets") or default_targets),
                rules=frozenset(e["rules"]),
                checks=frozenset(e["checks"]),
                path=e.get("path"),
                when=tuple(e.get("when") or ()),
                observer=e.get("observer", "harness"),
                case=case,
                data=e,
                file=str(path),
            )
        )
    return entries


def _unique(entries: list[Divergence], taken: frozenset[str] = frozenset()) -> tuple[Divergence, ...]:
    """The entries, each id once (among them and `taken`), else the file of the second one, in one line."""
    seen = set(taken)
    for d in entries:
        if d.id in seen:
            raise DivergenceFileError(f"{d.file}: divergence id {d.id!r} is used twice")
        seen.add(d.id)
    return tuple(entries)


@cache
def _load_all() -> tuple[Divergence, ...]:
    return _unique([d for p in all_files() for d in load_file(p)])


def all_files() -> list[Path]:
    return sorted(DIR.glob("*.yaml"))


@cache
def load_user_file(path: str) -> tuple[Divergence, ...]:
    """A user's divergence file (same schema as the shipped ones; minimal cases relative to it),
    read once per session. Its ids are unique within it."""
    file = Path(path)
    if not file.is_file():
        raise DivergenceFileError(f"{file}: no such divergence file")
    return _unique(load_file(file))
