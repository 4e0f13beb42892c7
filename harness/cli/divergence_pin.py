"""`kimi-conformance divergence pin`: write what a target sends into its known divergences.

Each entry's minimal case runs through the target (as `suites/test_known_divergences.py` replays
it); at each path of a violation the entry covers, the value the target sent becomes the entry's
`sends:` pin (`{value: V}`, or `{absent: true}` when nothing went out). The pins go into the YAML
files in place: only each entry's `sends:` block is inserted (after its `case:` line) or replaced,
so comments and formatting stay. A pin that already accepts what was seen (a set or a type someone
widened on purpose) is kept; on an entry shared by several targets a different value widens it to
a set.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

_PLAIN_KEY = re.compile(r"[/A-Za-z0-9_.~-]+")


def observe(entry, target, catalog=None) -> dict[str, dict[str, Any]]:
    """The pins of `entry` as `target` behaves now: pointer -> pin, for each violation of its
    minimal case that the entry covers (a pointer under another pinned one is left to that one)."""
    from harness.divergences.model import _MISSING, at_pointer
    from harness.engine.replay import judged

    rules = sorted(r for r in entry.rules if target.capabilities.supports(r))
    found, sent = judged(rules, target, entry.case, catalog)
    paths = sorted({v.path for v in found if entry.covers(v, entry.case) and v.path})
    pins: dict[str, dict[str, Any]] = {}
    for ptr in paths:
        if any(ptr.startswith(p.rstrip("/") + "/") for p in pins):
            continue
        value = at_pointer(sent, ptr)
        pins[ptr] = {"absent": True} if value is _MISSING else {"value": value}
    return pins


def merged(entry, seen: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The entry's new `sends`: its pins that still accept what was seen (and those for paths not
    seen this time), the seen values elsewhere. Also returns notes for people."""
    from harness.divergences.model import _MISSING, pin_accepts

    out = dict(entry.sends)
    notes = []
    for ptr, pin in seen.items():
        if any(ptr.startswith(p.rstrip("/") + "/") for p in entry.sends):  # pinned above, on purpose
            continue
        old = out.get(ptr)
        sent = _MISSING if "absent" in pin else pin["value"]
        if old is None:
            out[ptr] = pin
        elif pin_accepts(old, sent):
            continue
        elif len(entry.targets) > 1 and sent is not _MISSING and ("value" in old or "in" in old):
            # a shared entry: each target sends one of these (pinned by one run per target)
            values = [*(old["in"] if "in" in old else [old["value"]]), sent]
            out[ptr] = {"in": values}
            notes.append(f"{entry.id}: {ptr} widened to {values} (a shared entry)")
        else:
            notes.append(f"{entry.id}: {ptr} was {old}, now {pin}")
            out[ptr] = pin
    return out, notes


def _pin_text(pin: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(pin, default_flow_style=True, allow_unicode=True, width=10**6)).strip()


def sends_block(sends: dict[str, dict[str, Any]], comments: Sequence[str] = ()) -> list[str]:
    """The `sends:` lines of an entry (keys at two spaces, one flow-style pin per pointer), after
    the comments of the block it replaces (why a pin is a set or a type)."""
    lines = ["  sends:\n", *comments]
    for ptr, pin in sends.items():
        key = ptr if _PLAIN_KEY.fullmatch(ptr) else json.dumps(ptr)
        lines.append(f"    {key}: {_pin_text(pin)}\n")
    return lines


def with_sends(text: str, entry_id: str, sends: dict[str, dict[str, Any]]) -> str:
    """`text` (a divergence file) with the `sends:` block of entry `entry_id` set to `sends`:
    replaced where it was, else inserted after the entry's `case:` line; nothing else changes."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() in (f"- id: {entry_id}",)), None)
    if start is None:
        raise HarnessError(f"entry {entry_id!r}: no line `- id: {entry_id}` to pin it at")
    end = next(
        (j for j in range(start + 1, len(lines)) if lines[j].strip() and not lines[j].startswith("  ")),
        len(lines),
    )
    old = next((i for i in range(start, end) if lines[i].startswith("  sends:")), None)
    comments: list[str] = []
    if old is not None:
        stop = next((j for j in range(old + 1, end) if not lines[j].startswith("   ")), end)
        comments = [line for line in lines[old + 1 : stop] if line.lstrip().startswith("#")]
        del lines[old:stop]
        at = old
    else:
        case = next((i for i in range(start, end) if lines[i].startswith("  case:")), None)
        if case is None:
            raise HarnessError(f"entry {entry_id!r}: no `case:` line to put `sends:` after")
        at = case + 1
    lines[at:at] = sends_block(sends, comments)
    return "".join(lines)


def pin_file(path: Path, pins: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Write `pins` (entry id -> sends) into the divergence file `path`, checked before writing:
    the new text must load with exactly these pins and the same entries otherwise."""
    from harness.divergences.model import load_file
    from harness.util import yamlio

    text = path.read_text(encoding="utf-8")
    new = text
    for ident, sends in pins.items():
        new = with_sends(new, ident, sends)
    before, after = yamlio.safe_load(text), yamlio.safe_load(new)
    for b, a in zip(before["entries"], after["entries"], strict=True):
        want = pins.get(b["id"], b.get("sends"))
        if {k: v for k, v in a.items() if k != "sends"} != {k: v for k, v in b.items() if k != "sends"} or (
            a.get("sends") != want
        ):
            raise HarnessError(f"{path}: pinning {b['id']!r} would change more than its `sends:` block")
    tmp = path.with_name(f".{path.name}.pin")
    tmp.write_text(new, encoding="utf-8")
    try:
        load_file(tmp)  # the schema and the minimal cases, as the suites read it
    finally:
        tmp.unlink()
    path.write_text(new, encoding="utf-8")


def pin_main(args) -> int:
    """The `divergence pin` command: pin each entry of the target (or `--id`) in its file."""
    from harness.catalog import builtin
    from harness.divergences.model import DivergenceFileError, Divergences
    from harness.targets import NotExpressible, create
    from harness.util.scrub import scrub_obj, spec_name

    spec_name(args.target)  # its secrets are remembered before anything can print them (an error naming the spec)
    try:
        target = create(args.target, catalog=builtin(), timeout=args.timeout)
    except (HarnessError, DivergenceFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    by_file: dict[Path, dict[str, dict[str, dict[str, Any]]]] = {}
    try:
        own = [Path(f) for f in args.divergences or ()]
        known = Divergences.for_target(target.name, own).entries
        if own:  # your files only: the shipped ones belong to the install (and to their own pins)
            mine = {f.resolve() for f in own}
            known = [d for d in known if Path(d.file).resolve() in mine]
        entries = [d for d in known if not args.id or d.id in args.id]
        unknown = sorted(set(args.id or ()) - {d.id for d in entries})
        if unknown:
            where = f" in {', '.join(map(str, own))}" if own else ""
            print(f"error: no entry {', '.join(unknown)} for {target.name}{where}", file=sys.stderr)
            return 2
        for d in entries:
            if d.observer == "upstream":  # what the API refuses, not what a target does: pinned by hand
                print(f"# {d.id}: observed upstream; pin it by hand", file=sys.stderr)
                continue
            try:
                seen = observe(d, target)
            except NotExpressible as e:
                print(f"# {d.id}: {target.name} cannot express its case ({e}); not pinned", file=sys.stderr)
                continue
            if not seen:
                print(f"# {d.id}: covers nothing on its minimal case (stale?); not pinned", file=sys.stderr)
                continue
            # what the target sent can hold a key: never written into a file (a redacted pin still holds:
            # pins are compared scrubbed, harness.divergences.model.pin_holds)
            sends, notes = merged(d, scrub_obj(seen))
            for note in notes:
                print(f"# {note}", file=sys.stderr)
            by_file.setdefault(Path(d.file), {})[d.id] = sends
        for path, pins in by_file.items():
            if args.dry_run:
                print(f"# {path}: would pin {len(pins)} entr{'y' if len(pins) == 1 else 'ies'}")
                continue
            pin_file(path, pins)
            print(f"# pinned {len(pins)} entr{'y' if len(pins) == 1 else 'ies'} in {path}", file=sys.stderr)
    except (OSError, HarnessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        target.close()
    return 0


def add_pin_command(dsub) -> None:
    p = dsub.add_parser("pin", help="write what the target sends at each entry's paths into its `sends:` (in place)")
    p.add_argument("--target", required=True, help="the target whose entries to pin (openclaw, pi-ai, litellm, ...)")
    p.add_argument("--id", action="append", help="only this entry (repeatable)")
    p.add_argument(
        "--divergences",
        action="append",
        metavar="FILE",
        help="your own divergence file (repeatable): pin its entries that name the target, not the shipped ones",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would be pinned, write nothing")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a target may take per case (default 30)")
    p.set_defaults(func=pin_main)
