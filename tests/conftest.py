def pytest_terminal_summary(terminalreporter):
    from tests.test_mutation import MUTANTS, RESULTS, SUITE_RESULTS

    results = {**RESULTS, **SUITE_RESULTS}
    if not results:
        return
    tr = terminalreporter
    tr.section("mutation score")
    for name in sorted(results):
        code, first, violations = results[name]
        verdict = "caught  " if code == 1 else "MISSED  "
        tr.write_line(f"{verdict}{name:32} {MUTANTS[name]}")
        if code == 1:
            how = sorted({v["check"] for v in violations}) or [first.removeprefix("FAILED ")[:150]]
            tr.write_line(f"          by {', '.join(how)}")
    caught = [n for n, (code, *_) in results.items() if code == 1]
    tr.write_line(f"mutation score: {len(caught)}/{len(results)} = {100 * len(caught) / len(results):.0f}%")
