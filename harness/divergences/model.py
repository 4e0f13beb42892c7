"""Known divergences: where a real implementation (or the upstream API) disagrees with the
contract, written down as data with its evidence (`harness/divergences/<target>.yaml`, shared
behaviour in `shared.yaml`, minimal cases in `cases/`).

An entry covers a violation by structure — its `rules`, `checks`, optional `path` (a JSON
pointer prefix) and `when` conditions on the case — never by the wording of a message. Every
violation of a case must be covered by exactly one entry of its target.

An entry also says what the target sends where it diverges (`sends`: JSON pointer -> `{value}`,
`{in}`, `{absent}`, `{type}` or `{any}` of these). When it covers a violation under a pinned pointer and the target
now sends something else there, the violation is not covered but a *changed divergence*: a
`ChangedDivergence` (check `divergence.changed`) that fails like an uncovered one, so a behaviour
that changes inside a known divergence is seen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.contract.verdict import _ABSENT, Violation
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


# ------------------------------------------------------------------------------ pinned values
CHANGED = "divergence.changed"  # the check id of a changed divergence (data: summaries read it)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def at_pointer(doc: Any, ptr: str) -> Any:
    """The value at JSON pointer `ptr` in `doc` (`_MISSING` when there is none)."""
    for raw in ptr.split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict) and key in doc:
            doc = doc[key]
        elif isinstance(doc, list) and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        else:
            return _MISSING
    return doc


def _same(a: Any, b: Any) -> bool:
    """JSON equality: True is not 1 (Python's == says it is), 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b and (isinstance(a, (int, float)) == isinstance(b, (int, float)))


def pin_accepts(pin: dict[str, Any], sent: Any) -> bool:
    """Whether what the target sent (`_MISSING`: nothing) is what the pin says it sends."""
    if "any" in pin:
        return any(pin_accepts(p, sent) for p in pin["any"])
    if "absent" in pin:
        return sent is _MISSING
    if sent is _MISSING:
        return False
    if "value" in pin:
        return _same(pin["value"], sent)
    if "in" in pin:
        return any(_same(v, sent) for v in pin["in"])
    types = _JSON_TYPES[pin["type"]]
    return isinstance(sent, types) and (bool in types or not isinstance(sent, bool))


def describe_pin(pin: dict[str, Any]) -> str:
    """A pin as the summary says it: "minimal", one of ["low", "high"], absent, a number."""
    if "any" in pin:
        return " or ".join(describe_pin(p) for p in pin["any"])
    if "absent" in pin:
        return "absent"
    if "value" in pin:
        return json.dumps(pin["value"], ensure_ascii=False)
    if "in" in pin:
        return "one of " + json.dumps(pin["in"], ensure_ascii=False)
    return f"a {pin.get('type')}"


def describe_sent(sent: Any) -> str:
    return "absent" if sent is _MISSING else json.dumps(sent, ensure_ascii=False)


@dataclass(frozen=True)
class ChangedDivergence(Violation):
    """A violation a known divergence covers by structure, where the target no longer sends what
    the entry pins: `divergence` (the entry's id), `path` (the pinned pointer), `expected` (the pin),
    `actual` (what went out, "<absent>" for nothing) and `covers` (the covered violation's check)."""

    divergence: str = ""
    covers: str = ""

    @property
    def cause(self) -> tuple[str, str]:
        return (self.rule, f"{CHANGED}:{self.divergence}")


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
    sends: dict[str, dict[str, Any]] = field(default_factory=dict)  # pointer -> pin

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

    def changed(self, v: Violation, outbound: dict[str, Any]) -> ChangedDivergence | None:
        """The change, when the covered violation `v` lies under a pinned pointer and `outbound`
        (what the target sent) holds something else there; None when every pin holds."""
        for ptr, pin in self.sends.items():
            if not _under(v.path, ptr):
                continue
            sent = at_pointer(outbound, ptr)
            if not pin_holds(pin, sent):
                return ChangedDivergence(
                    v.rule,
                    CHANGED,
                    ptr,
                    pin,
                    _ABSENT if sent is _MISSING else sent,
                    f"known divergence {self.id} changed: was {describe_pin(pin)}, now {describe_sent(sent)}",
                    divergence=self.id,
                    covers=v.check,
                )
        return None


def pin_holds(pin: dict[str, Any], sent: Any) -> bool:
    """`pin_accepts`, or the same with both sides scrubbed (harness/util/scrub.py): the tools write
    pins scrubbed (`Bearer <redacted>`), so a target that sends a key there keeps its pin — a key is
    never written to hold it — and one key in place of another is no change."""
    if pin_accepts(pin, sent):
        return True
    return sent is not _MISSING and pin_accepts(_redacted(pin), _redacted(sent))


_ANY_REDACTION = re.compile(r"<redacted(?::[^<>\"]*)?>")


def _redacted(obj: Any) -> Any:
    """`obj` scrubbed, every redaction written alike (a header's `Bearer <redacted>`, a value's
    `<redacted:api-key>`): what was redacted, not how, is compared."""
    from harness.util.scrub import scrub_obj

    return json.loads(_ANY_REDACTION.sub("<redacted>", json.dumps(scrub_obj(obj))))


@dataclass
class Coverage:
    """How a verdict's violations meet a target's entries."""

    covered: list[tuple[Violation, Divergence]] = field(default_factory=list)
    # what fails: violations no entry covers, and changed divergences (ChangedDivergence)
    uncovered: list[Violation] = field(default_factory=list)
    overlapping: list[tuple[Violation, list[Divergence]]] = field(default_factory=list)

    @property
    def changed(self) -> list[ChangedDivergence]:
        return [v for v in self.uncovered if isinstance(v, ChangedDivergence)]

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
        never apply to another `command:` target.

        Names are compared redacted (`spec_name`, harness/util/scrub.py): a file stores the name with
        the spec's secrets redacted (`divergence add` writes it so), and a run's name is redacted the
        same way, so the two match; a key is no part of a target's identity (the same gateway under
        another key is the same target), and a file written by hand with the key in it matches too."""
        from harness.util.scrub import spec_name

        base = target_name.split(":", 1)[0]
        shipped = [d for d in _load_all() if base in d.targets]
        name = spec_name(target_name)
        mine = [
            d
            for path in user_files
            for d in load_user_file(str(path))
            if target_name in d.targets or name in {spec_name(t) for t in d.targets}
        ]
        return cls([*shipped, *_unique(mine, frozenset(d.id for d in shipped))])

    def cover(
        self, violations: list[Violation], case: dict[str, Any], outbound: dict[str, Any] | None = None
    ) -> Coverage:
        """Each violation against the entries; with `outbound` (what the target sent), a covering
        entry's pins are checked too (None: by structure only, as for the root-cause diagnosis)."""
        result = Coverage()
        for v in violations:
            found = [d for d in self.entries if d.covers(v, case)]
            changes = [d.changed(v, outbound) for d in found] if outbound is not None else [None] * len(found)
            # two entries covering one violation fail the replay; here the one whose pins hold covers it
            order = sorted(range(len(found)), key=lambda i: changes[i] is not None)
            found = [found[i] for i in order]
            change = changes[order[0]] if found else None
            if not found:
                result.uncovered.append(v)
            elif change is not None:
                result.uncovered.append(change)
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


@cache
def _schema_ok() -> Callable[[Any], bool]:
    """The schema's compiled yes/no (harness.util.fastschema): every process loads every shipped file,
    and jsonschema walking them was most of that; a file it refuses goes through jsonschema for the
    message, so a bad file's one line is jsonschema's."""
    from harness.util.fastschema import compile_check

    return compile_check(_schema())


def _fail(path: Path, msg: str):
    raise DivergenceFileError(f"{path}: {msg}")


def load_file(path: Path) -> list[Divergence]:
    from harness.util import yamlio

    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        _fail(path, f"cannot be read ({err})")
    except yamlio.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        _fail(path, f"is not valid YAML{f' (line {mark.line + 1})' if mark else ''}: {getattr(err, 'problem', err)}")
    error = None
    if not _schema_ok()(data):
        import jsonschema

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
                sends=dict(e.get("sends") or {}),
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
