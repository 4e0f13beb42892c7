"""The report's Coverage page: rendered from the coverage files, linked from the overview and the
matrix, and opening from disk (no script, nothing fetched from outside)."""

from __future__ import annotations

from harness.catalog import builtin
from harness.engine.conformance import Conformance
from harness.reporting.coverage_page import LINK_ID, add_coverage
from harness.targets.reference import ReferenceTarget


def _results(tmp_path):
    catalog = builtin()
    engine, target = Conformance(catalog), ReferenceTarget(catalog)
    engine.check(
        "T6", target, {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    )
    engine.check(
        "T8",
        target,
        {"model": "moonshot/kimi-k2.6", "request": {"messages": [{"role": "user", "content": "x"}], "stream": True}},
    )
    results = tmp_path / "results"
    engine.coverage.write(results, catalog)
    return results


def test_the_page_is_written_linked_and_offline(tmp_path):
    from harness.reporting.offline import offline_problems

    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("<html><body><div id='app'></div></body></html>", encoding="utf-8")
    (out / "matrix.html").write_text(
        "<html><body><p><a href='index.html'>&larr; back to the report</a></p></body></html>", encoding="utf-8"
    )
    assert add_coverage(out, _results(tmp_path))
    page = (out / "coverage.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert "T6.unique" in page and ">red<" in page  # never exercised: a history without tool calls
    assert "T8.include-usage" in page
    assert "never exercised" in page
    assert LINK_ID in (out / "index.html").read_text(encoding="utf-8")
    assert "href='coverage.html'" in (out / "matrix.html").read_text(encoding="utf-8")
    problems, _ = offline_problems(out)
    assert [p for p in problems if "coverage" in p] == []
    assert add_coverage(out, _results(tmp_path))  # again: one link, not two
    assert (out / "index.html").read_text(encoding="utf-8").count(LINK_ID) == 1


def test_no_coverage_files_no_page(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    assert not add_coverage(out, tmp_path)
    assert not add_coverage(out, None)
    assert not (out / "coverage.html").exists()
