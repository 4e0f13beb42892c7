def pytest_terminal_summary(terminalreporter):
    from tests.test_mutation import MUTANTS, RESULTS

    if not RESULTS:
        return
    caught = sorted(n for n, (code, _) in RESULTS.items() if code == 1)
    tr = terminalreporter
    tr.section("mutation score")
    for name in sorted(RESULTS):
        code, first = RESULTS[name]
        verdict = "caught  " if code == 1 else "MISSED  "
        tr.write_line(f"{verdict}{name:32} {MUTANTS[name]}")
        if code == 1:
            tr.write_line(f"          by {first.removeprefix('FAILED ')[:150]}")
    tr.write_line(f"mutation score: {len(caught)}/{len(RESULTS)} = {100 * len(caught) / len(RESULTS):.0f}%")
