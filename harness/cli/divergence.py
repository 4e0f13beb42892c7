"""`kimi-conformance divergence add`: draft known-divergence entries from a failing case.

The case is run on the target under every rule the target can be checked under; the violations
no existing entry covers are grouped by the request field they are about (one behaviour, one
entry), and each group becomes a draft entry: id, rules, checks, path, `when` conditions taken
from the case's relevant fields, evidence from the violations, and placeholders for the prose a
person must write. `--write` also writes the minimal case where the entry points.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.contract.verdict import Violation
from harness.errors import HarnessError

TODO = "TODO"


class FailureFileError(HarnessError):
    """The --from file is not a case, a results record or a results file with a minimal case."""


def _is_case(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("model"), str) and ("request" in data or "chunks" in data)


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The failing cases in `path`: a case, a results record (or pytest user_properties) with its
    `minimal_case`, or a whole results file (every failed record's minimal case)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise FailureFileError(f"{path}: cannot be read ({e.__class__.__name__}: {e})") from None
    except json.JSONDecodeError as e:
        raise FailureFileError(f"{path}: is not JSON (line {e.lineno}: {e.msg})") from None
    if _is_case(data):
        return [data]
    if isinstance(data, list):  # user_properties: [[key, value], ...]
        data = {k: v for k, v in (p for p in data if isinstance(p, (list, tuple)) and len(p) == 2)}
    if isinstance(data, dict) and _is_case(data.get("minimal_case")):
        return [data["minimal_case"]]
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        cases = [r["minimal_case"] for r in data["results"] if isinstance(r, dict) and _is_case(r.get("minimal_case"))]
        unique = list({json.dumps(c, sort_keys=True): c for c in cases}.values())
        if unique:
            return unique
        raise FailureFileError(f"{path}: a results file with no failed test carrying a minimal_case")
    raise FailureFileError(f"{path}: neither a case (model + request/chunks) nor a record with a minimal_case")


def _field(path: str) -> str:
    """The request field a violation is about: /body/messages/3/content -> /body/messages."""
    parts = path.split("/")
    return "/".join(parts[:3]) if len(parts) > 2 else path


def common_path(paths: list[str]) -> str | None:
    """The JSON pointer prefix shared by `paths`, cut before the first list index (an entry
    must also cover the same behaviour at another position)."""
    cut = set()
    for p in paths:
        parts = p.split("/")
        idx = next((i for i, s in enumerate(parts) if s.isdigit()), len(parts))
        cut.add("/".join(parts[:idx]))
    if len(cut) == 1:
        return cut.pop()
    prefix = []
    for segs in zip(*(p.split("/") for p in cut)):
        if len(set(segs)) != 1:
            break
        prefix.append(segs[0])
    found = "/".join(prefix)
    return found if found.count("/") >= 2 else None


def when_for(case: dict[str, Any], path: str | None) -> list[dict[str, Any]]:
    """Conditions that single out this kind of case: the model, the thinking level, the provider,
    and the request field the violations are about (its value when scalar)."""
    conds: list[dict[str, Any]] = [
        {"path": "model", "op": "matches", "value": case["model"].split("/")[-1].replace(".", r"\.") + "$"}
    ]
    if "chunks" in case:
        return conds
    if case.get("thinking") is not None:
        conds.append({"path": "thinking", "op": "equals", "value": case["thinking"]})
    provider = case.get("provider") or {}
    if provider.get("baseUrl"):
        conds.append({"path": "provider.baseUrl", "op": "equals", "value": provider["baseUrl"]})
    for flag, value in sorted((provider.get("compat") or {}).items()):
        conds.append({"path": f"provider.compat.{flag}", "op": "equals", "value": value})
    key = path.split("/")[2] if path and path.startswith("/body/") and path.count("/") >= 2 else None
    if key and key != "messages":
        for where, source in (
            ("request", case.get("request") or {}),
            ("params.extra_body", ((case.get("params") or {}).get("extra_body") or {})),
        ):
            if key in source:
                value = source[key]
                if isinstance(value, (str, int, float, bool)) or value is None:
                    conds.append({"path": f"{where}.{key}", "op": "equals", "value": value})
                else:
                    conds.append({"path": f"{where}.{key}", "op": "present"})
                break
        else:
            conds.append({"path": f"request.{key}", "op": "absent"})
    return conds


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def evidence(vs: list[Violation]) -> str:
    """What the target sent where the contract wants something else, one clause per place."""
    seen: dict[str, list[str]] = {}
    for v in vs:
        text = (
            f"{v.path}: expected {json.dumps(v.expected, ensure_ascii=False)}, "
            f"got {json.dumps(v.actual, ensure_ascii=False)}"
        )
        seen.setdefault(text, []).append(v.check)
    return "; ".join(f"{text} ({', '.join(sorted(set(checks)))})" for text, checks in seen.items())


@dataclass
class Draft:
    entry: dict[str, Any]
    case: dict[str, Any]
    violations: list[Violation]


def drafts(
    target, case: dict[str, Any], catalog=None, entries=None, taken: set[str] | None = None
) -> tuple[list[Draft], list[Violation]]:
    """Draft entries for the violations of `case` on `target` that no entry covers; also returns
    every violation found."""
    from harness.divergences.model import _MISSING, Divergences, at_pointer
    from harness.engine.replay import judged
    from harness.rules import all_rules, get
    from harness.targets import NotExpressible
    from harness.util.scrub import scrub_obj

    caps = target.capabilities
    kind = "usage" if "chunks" in case else "transform"
    if kind == "transform":  # as the engine runs it: the target's request defaults (OpenClaw streams)
        from harness.generation.features import case_features

        missing = sorted(case_features(case, caps.request_defaults) - caps.features)
        if missing:
            raise FailureFileError(f"the case uses features {target.name} cannot express: {', '.join(missing)}")
        case = {**case, "request": {**case["request"], **caps.request_defaults}}
    rule_ids = [r.id for r in all_rules() if r.kind == kind and caps.supports(r.id)]
    found: list[Violation] = []
    sent: dict[str, Any] = {}
    for rule_id in rule_ids:  # one by one: a rule whose rerun the target cannot express is skipped
        try:
            more, sent_now = judged([rule_id], target, case, catalog)
        except NotExpressible:
            continue
        found += more
        sent.update(sent_now)
    entries = entries if entries is not None else Divergences.for_target(target.name)
    uncovered = entries.cover(found, case).uncovered
    groups: dict[str, list[Violation]] = {}
    for v in uncovered:
        groups.setdefault(_field(v.path), []).append(v)
    taken = set(taken or ()) | {d.id for d in entries}
    base = _slug(target.name.split(":", 1)[0].split("=", 1)[0])
    out = []
    for field_path, vs in groups.items():
        order = {r.id: r.order for r in all_rules()}
        primary = next((v.rule for v in vs if not v.check.endswith(".agreement")), vs[0].rule)
        rules = sorted({v.rule for v in vs}, key=lambda r: (r != primary, order.get(r, 999)))
        checks = sorted({v.check for v in vs})
        path = common_path([v.path for v in vs])
        main = next((v.check for v in vs if v.rule == primary), checks[0])
        ident = _slug(f"{base}-{field_path.rsplit('/', 1)[-1]}-{main.split('.', 1)[1]}")
        n, unique = 1, ident
        while unique in taken:
            n += 1
            unique = f"{ident}-{n}"
        taken.add(unique)
        entry: dict[str, Any] = {"id": unique, "rules": rules, "checks": checks}
        if path:
            entry["path"] = path
        entry["when"] = when_for(case, path)
        entry["case"] = f"cases/{base}/{unique}.json"
        # what the target sent at each place (docs/reference/divergence-format.md#sends): widen a
        # pin to a set or a type where the value follows the case
        values = {v.path: at_pointer(sent, v.path) for v in vs if v.path}
        entry["sends"] = {k: {"absent": True} if x is _MISSING else {"value": x} for k, x in sorted(values.items())}
        entry["title"] = f"{TODO}: one line saying what {base} does"
        entry["target_does"] = f"{TODO}: what {base} sends, and where in its code"
        entry["contract_says"] = f"{TODO}: what the contract requires ({get(primary).read})"
        entry["evidence"] = evidence(vs)
        entry["source"] = f"{TODO}: file and function of {base} responsible"
        entry["contract"] = get(primary).section
        # what the target answered (evidence, sends) and the case can hold a key: redacted before it is
        # written (a redacted pin still holds: pins are compared scrubbed, divergences.model.pin_holds)
        out.append(Draft(scrub_obj(entry), scrub_obj(case), vs))  # the case as run, defaults included
    return out, found


def render(items: list[Draft]) -> str:
    import yaml

    return yaml.safe_dump([d.entry for d in items], sort_keys=False, allow_unicode=True, width=110)


def write_cases(items: list[Draft], directory: Path) -> list[Path]:
    written = []
    for d in items:
        path = Path(directory) / d.entry["case"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(d.case, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _installed(directory: Path) -> bool:
    """Whether `directory` lies in an installed package (never written: your entries are yours)."""
    return any(part in ("site-packages", "dist-packages") for part in directory.resolve().parts)


def append_to(path: Path, target_name: str, items: list[Draft]) -> list[Path]:
    """Add the drafts to the user's divergence file (made if missing, naming the target), their
    minimal cases under `cases/` beside it; the file must still load. Returns what was written."""
    import yaml

    from harness.divergences.model import DivergenceFileError, load_file
    from harness.util import yamlio
    from harness.util.scrub import spec_name

    # The file names the target as every output does (spec_name: its secrets redacted); a run of the
    # same spec matches it (Divergences.for_target compares spec_name of both sides).
    target_name = spec_name(target_name)
    header = ""
    data: dict[str, Any] = {"target": target_name, "entries": []}
    if path.exists():
        text = path.read_text(encoding="utf-8")
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        loaded = yamlio.safe_load(text)
        if not isinstance(loaded, dict) or not isinstance(loaded.get("entries", []), list):
            raise DivergenceFileError(f"{path}: not a divergence file (a mapping with an `entries` list)")
        data = {**loaded, "entries": list(loaded.get("entries") or [])}
        if isinstance(data.get("target"), str):  # a key someone wrote into the file by hand is not written back
            data["target"] = spec_name(data["target"])
        for e in data["entries"]:
            if isinstance(e, dict) and isinstance(e.get("targets"), list):
                e["targets"] = [spec_name(t) if isinstance(t, str) else t for t in e["targets"]]
    named = isinstance(data.get("target"), str) and data["target"] == target_name
    for d in items:
        d.entry["case"] = f"cases/{d.entry['id']}.json"
        if not named:
            d.entry = {"id": d.entry["id"], "targets": [target_name], **{k: v for k, v in d.entry.items() if k != "id"}}
        data["entries"].append(d.entry)
    written = write_cases(items, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    load_file(path)  # still a valid divergence file
    return [path, *written]


def add_main(args) -> int:
    """The `divergence add` command: print draft entries; `--to FILE` adds them to your file,
    `--write` writes their minimal cases into `--dir` (a checkout of kimi-conformance)."""
    import sys

    from harness.catalog import builtin
    from harness.divergences.model import DIR, DivergenceFileError
    from harness.targets import create
    from harness.util.scrub import spec_name

    spec_name(args.target)  # its secrets are remembered before anything can print them (an error naming the spec)
    try:
        cases = load_cases(Path(args.from_file))
        target = create(args.target, catalog=builtin(), timeout=args.timeout)
    except (HarnessError, DivergenceFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    directory = Path(args.dir) if args.dir else DIR
    if args.write and not args.to and _installed(directory):
        target.close()
        print(
            f"error: --write would write into the installed package ({directory}); "
            "give --to FILE (your own divergence file) instead",
            file=sys.stderr,
        )
        return 2
    items: list[Draft] = []
    try:
        user = [Path(args.to)] if args.to and Path(args.to).exists() else []
        from harness.divergences.model import Divergences

        entries = Divergences.for_target(target.name, user)
        for case in cases:
            new, found = drafts(target, case, entries=entries, taken={d.entry["id"] for d in items})
            if not found:
                print(f"# {case['model']}: the case does not diverge on {target.name}", file=sys.stderr)
            elif not new:
                print(f"# {case['model']}: every violation is covered by an existing entry", file=sys.stderr)
            items += new
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        target.close()
    if not items:
        return 0
    if args.to:
        try:
            for path in append_to(Path(args.to), target.name, items):
                print(f"# wrote {path}", file=sys.stderr)
        except (OSError, HarnessError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"# {len(items)} draft entr{'y' if len(items) == 1 else 'ies'} added to {args.to}: fill in the TODOs")
        print(render(items), end="")
        return 0
    print(f"# draft entries for the file of {target.name} under {directory} (fill in the TODOs, narrow `when`):")
    print(render(items), end="")
    if args.write:
        for path in write_cases(items, directory):
            print(f"# wrote {path}", file=sys.stderr)
    return 0


def add_command(sub) -> None:
    p = sub.add_parser(
        "divergence",
        help="known divergences: `divergence add --target T --from FAILURE.json`, `divergence pin --target T`",
    )
    dsub = p.add_subparsers(dest="action", required=True)
    a = dsub.add_parser("add", help="draft entries for the uncovered violations of a failing case")
    a.add_argument(
        "--target", required=True, help="the target the case failed on (openclaw, pi-ai, litellm, pydantic-ai, ...)"
    )
    a.add_argument(
        "--from",
        dest="from_file",
        required=True,
        metavar="FAILURE_JSON",
        help="a case, a results record / user_properties with minimal_case, or a results file",
    )
    a.add_argument(
        "--to",
        metavar="FILE",
        help="your own divergence file (made if missing): the drafts are added to it, keyed by the target's "
        "name, their minimal cases beside it under cases/ (what --kimi-divergences or a suite's divergences reads)",
    )
    a.add_argument("--write", action="store_true", help="also write each draft's minimal case file into --dir")
    a.add_argument(
        "--dir", help="the divergences directory of a kimi-conformance checkout (default: harness/divergences)"
    )
    a.add_argument("--timeout", type=float, default=30.0, help="seconds a target may take per case (default 30)")
    a.set_defaults(func=add_main)
    from harness.cli.divergence_pin import add_pin_command

    add_pin_command(dsub)
