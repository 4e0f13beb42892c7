"""The divergence files themselves, offline: every file loads and passes its schema, every entry
names check ids the rule registry really produces (a typo would make an entry cover nothing, and
the engine would report its violations as new), no entry matches on message text, and every
minimal case is a valid case. The replay on the real targets is suites/test_known_divergences.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness.contract.case import context
from harness.divergences.model import DIR, DivergenceFileError, _load_all, all_files, load_file
from harness.rules import all_rules
from harness.rules.t6b_extra_body import INNER
from harness.util import yamlio

ROOT = Path(__file__).resolve().parents[2]
REAL_TARGETS = ("openclaw", "pi-ai", "litellm", "pydantic-ai", "vercel-ai")
_CHECK_LITERAL = re.compile(r"""["']((?:routing|passthrough|idempotence|errors|T[0-9]b?)\.[a-z0-9-]+)["']""")
# The anthropic rule's checks name themselves without the prefix: _v("schema", ...) -> anthropic.schema.
_ANTHROPIC_CHECK = re.compile(r"""\b_v\(\s*["']([a-z0-9-]+)["']""")
# T10's checks name themselves through violation("<name>", ...) -> T10.<name>.
_T10_CHECK = re.compile(r"""\bviolation\(\s*["']([a-z0-9-]+)["']""")
_T10_CHOSEN = re.compile(r"""kind = ["']([a-z0-9-]+)["'] if .+ else ["']([a-z0-9-]+)["']""")


def registry_checks() -> set[str]:
    """Every check id the rules and the judge can produce: the literals they yield, plus the
    agreement check of every rule that compares with the reference."""
    found: set[str] = set()
    for path in [*(ROOT / "harness" / "rules").glob("*.py"), ROOT / "harness" / "rules" / "judge.py"]:
        found |= set(_CHECK_LITERAL.findall(path.read_text(encoding="utf-8")))
    anthropic = (ROOT / "harness" / "rules" / "anthropic_checks.py").read_text(encoding="utf-8")
    found |= {f"anthropic.{name}" for name in _ANTHROPIC_CHECK.findall(anthropic)}
    found |= {f"{r.id}.agreement" for r in all_rules() if r.project is not None or r.agree is not None}
    # T10's checks live in the web-search modules and name themselves through `violation("<name>", ...)`.
    for name in ("websearch_checks.py", "websearch_history.py"):
        text = (ROOT / "harness" / "rules" / name).read_text(encoding="utf-8")
        found |= {f"T10.{c}" for c in _T10_CHECK.findall(text)}
        # a check name chosen by a condition: `kind = "builtin-unchanged" if ... else "tools-unchanged"`
        found |= {f"T10.{c}" for pair in _T10_CHOSEN.findall(text) for c in pair}
    return found


def emulator_checks() -> set[str]:
    import json

    rules = json.loads((ROOT / "harness" / "emulator" / "rules.json").read_text(encoding="utf-8"))["rules"]
    return {f"upstream.{r['id'].replace('_', '-')}" for r in rules}


def _entries() -> list:
    # the plugin has loaded (and cached) every file at collection already: reading them again here
    # cost each xdist worker ~1 s. Two entries with one id make that load refuse: then read the
    # files one by one, so test_every_real_target_has_entries_and_ids_are_unique names the clash.
    try:
        return list(_load_all())
    except DivergenceFileError:
        return [d for p in all_files() for d in load_file(p)]


ENTRIES = _entries()


def test_every_real_target_has_entries_and_ids_are_unique():
    for name in REAL_TARGETS:
        assert any(name in d.targets for d in ENTRIES), f"no divergence entries for {name}"
    ids = [d.id for d in ENTRIES]
    assert len(ids) == len(set(ids))


def test_the_check_registry_is_found():
    checks = registry_checks()
    assert {
        "T4.incompatible-under-thinking",
        "T5.changed",
        "T9.tokens",
        "passthrough.content",
        "T7.agreement",
        "idempotence.idempotent",
    } <= checks
    assert "T4.no-such-check" not in checks


@pytest.mark.parametrize("entry", ENTRIES, ids=[d.id for d in ENTRIES])
def test_entry_names_real_checks_of_its_rules(entry):
    known = emulator_checks() if entry.observer == "upstream" else registry_checks()
    unknown = sorted(entry.checks - known)
    assert not unknown, f"{entry.file}: {entry.id}: unknown check ids {unknown}"
    if entry.observer == "upstream":
        return
    for check in entry.checks:
        owner = check.split(".", 1)[0]
        reachable = owner in entry.rules or ("T6b" in entry.rules and owner in INNER)
        assert reachable, f"{entry.file}: {entry.id}: no rule of {sorted(entry.rules)} reports {check}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[d.id for d in ENTRIES])
def test_entry_minimal_case_is_a_valid_case(entry):
    if "chunks" in entry.case:
        assert entry.rules == {"T9"}, f"{entry.id}: a usage case only replays under T9"
        return
    if "errors" in entry.rules:  # a malformed case, one of bad_cases.json (its fault's place is known there)
        from harness.errors import CaseError
        from harness.rules.errors import bad_cases

        assert entry.rules == {"errors"}, f"{entry.id}: a malformed case only replays under errors"
        assert entry.case in [b["case"] for b in bad_cases()], f"{entry.id}: not a case of bad_cases.json"
        with pytest.raises(CaseError):
            context(entry.case)
        return
    context(entry.case)  # raises CaseError on an invalid case


def test_no_entry_matches_on_message_text():
    for path in all_files():
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
        for e in data["entries"]:
            assert not {"failure", "also_rules", "rule"} & set(e), f"{path.name}: {e['id']} uses the old format"
    assert not [p for p in DIR.glob("*.json") if p.name != "divergences.schema.json"], (
        "old JSON divergence files are left next to the YAML ones"
    )


def test_shared_entries_name_their_targets():
    for d in ENTRIES:
        if Path(d.file).name == "shared.yaml":
            assert len(d.targets) >= 2, f"{d.id}: a shared entry names at least two targets"
        else:
            assert d.targets == (Path(d.file).stem,), (
                f"{d.id}: an entry of {Path(d.file).name} is for its file's target"
            )


def test_when_on_model_matches_any_spelling_of_it():
    """Generation draws the spellings users write ("Kimi K2.6"): a `when` on `model` is about the model."""
    from harness.divergences.model import holds

    cond = {"path": "model", "op": "matches", "value": r"kimi-k2\.6$"}
    assert holds(cond, {"model": "Kimi K2.6"}) and holds(cond, {"model": "moonshot/kimi-k2.6"})
    assert not holds(cond, {"model": "Kimi K3"})


def test_when_unset_holds_for_absent_and_null_but_not_for_a_value():
    """Targets read a null level like no level: `unset` spares an entry per spelling; `absent` stays strict."""
    from harness.divergences.model import holds

    unset = {"path": "params.thinking", "op": "unset"}
    assert holds(unset, {}) and holds(unset, {"params": {}}) and holds(unset, {"params": {"thinking": None}})
    assert not holds(unset, {"params": {"thinking": "maybe"}}) and not holds(unset, {"params": {"thinking": {}}})
    assert not holds({"path": "params.thinking", "op": "absent"}, {"params": {"thinking": None}})


# Checks that exist because of a field fact (issue #27, D3 amended): an entry that covers one says
# which public report or probe backs the contract, so a reader can weigh it against the target.
FIELD_FACT_CHECKS = frozenset({"T7.thinking-and-effort", "T7.reasoning-effort-native"})
FIELD_RE_DERIVED = ("openclaw", "pi-ai", "litellm", "pydantic-ai")  # the lists re-derived under the amended D3


def test_field_fact_divergences_cite_their_field_source():
    found = [d for d in ENTRIES if d.checks & FIELD_FACT_CHECKS and set(d.targets) & set(FIELD_RE_DERIVED)]
    # each of them sends reasoning_effort to a K2.x model on a Moonshot host somewhere
    assert {t for d in found for t in d.targets} >= set(FIELD_RE_DERIVED)
    for d in found:
        assert re.search(r"\[field: [\w.-]+/[\w.-]+#\d+\]", d.data["evidence"]), f"{d.id}: no [field: owner/repo#N]"


# ------------------------------------------------------------------------------ `when` on a case form
IN_ORDER = {
    "model": "moonshot/kimi-k2.6",
    "request": {
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": f"functions.read:{n}", "type": "function", "function": {"name": "read", "arguments": "{}"}}
                    for n in (0, 1)
                ],
            },
            {"role": "tool", "tool_call_id": "functions.read:0", "content": "a"},
            {"role": "tool", "tool_call_id": "functions.read:1", "content": "b"},
        ]
    },
}


def _swapped(case):
    import copy

    out = copy.deepcopy(case)
    msgs = out["request"]["messages"]
    msgs[2], msgs[3] = msgs[3], msgs[2]
    return out


def test_when_predicate_names_a_case_form_of_the_coverage_model():
    """`{predicate: NAME}` holds when forms.yaml's predicate recognises the case: a property of the
    whole history ("results out of call order") that no path op can say."""
    from harness.divergences.model import holds

    cond = {"predicate": "results_out_of_order"}
    assert holds(cond, _swapped(IN_ORDER))
    assert not holds(cond, IN_ORDER)
    assert holds({"predicate": "has_tool_results"}, IN_ORDER)
    assert not holds({"predicate": "has_tool_results"}, {"model": "moonshot/kimi-k2.6", "request": {"messages": []}})


def test_when_not_negates_a_condition():
    from harness.divergences.model import holds

    assert holds({"not": {"predicate": "results_out_of_order"}}, IN_ORDER)
    assert not holds({"not": {"predicate": "results_out_of_order"}}, _swapped(IN_ORDER))
    assert holds({"not": {"path": "request.tool_choice"}}, IN_ORDER)
    assert not holds({"not": {"not": {"path": "request.tool_choice"}}}, IN_ORDER)


def _entry_file(tmp_path, when) -> Path:
    import json

    (tmp_path / "case.json").write_text(json.dumps(IN_ORDER))
    entry = {
        "id": "e",
        "rules": ["T6"],
        "checks": ["T6.result-follows-call"],
        "case": "case.json",
        "title": "t",
        "target_does": "t",
        "contract_says": "t",
        "evidence": "t",
        "when": when,
    }
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"target": "openclaw", "entries": [entry]}))
    return path


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ([{"predicate": "results_out_of_orde"}], "when[0]: no predicate 'results_out_of_orde'"),
        ([{"path": "model"}, {"not": {"predicate": "nope"}}], "when[1]: no predicate 'nope'"),
        ([{"predicate": "outbound_thinking_on"}], "reads the outbound request"),
        ([{"predicate": "compared_with_reference"}], "reads the outbound request or the comparison"),
        ([{"predicate": "Results-Out"}], "fails its schema at entries/0/when/0"),
        ([{"predicate": "has_tool_results", "path": "model"}], "fails its schema at entries/0/when/0"),
    ],
)
def test_a_bad_predicate_is_one_line_naming_file_and_entry(tmp_path, when, said):
    from harness.divergences.model import DivergenceFileError

    path = _entry_file(tmp_path, when)
    with pytest.raises(DivergenceFileError) as err:
        load_file(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path)) and said in msg
    if "predicate" in said:
        assert "entry 'e'" in msg


def test_a_good_predicate_loads_and_the_entry_covers_by_form(tmp_path):
    from harness.contract.verdict import Violation
    from harness.divergences.model import Divergences

    [entry] = load_file(_entry_file(tmp_path, [{"predicate": "results_out_of_order"}]))
    v = Violation("T6", "T6.result-follows-call", "/body/messages/2/tool_call_id", "a", "b", "m")
    entries = Divergences([entry])
    assert entries.cover([v], _swapped(IN_ORDER)).ids == ["e"]
    assert entries.cover([v], IN_ORDER).uncovered == [v]


def test_every_predicate_named_by_a_shipped_entry_exists():
    from harness.divergences.model import predicate_problem, predicates_in

    for d in ENTRIES:
        for cond in d.when:
            for name in predicates_in(cond):
                assert predicate_problem(name) is None, f"{d.file}: {d.id}: {predicate_problem(name)}"
