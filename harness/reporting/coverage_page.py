"""The Coverage page of the report: what the run exercised, per target, rule and check.

Rendered from the `coverage-<target>.json` files of the results directory (harness.engine.coverage)
into coverage.html: one self-contained page, no script, no outside reference, so it opens from
disk. Green: the check was exercised and every case form a target can express was drawn; yellow:
exercised, some form never drawn; red: never exercised (or its tests' examples were mostly
discarded). Linked from the overview's corner and from the matrix page.
"""

from __future__ import annotations

import html
from pathlib import Path

from harness.reporting.redact import scrub

PAGE = "coverage.html"
LINK_ID = "kimi-conformance-coverage-link"
COLOURS = {"green": "#2e7d32", "yellow": "#b26a00", "red": "#c62828", "n/a": "#757575", "diagnosis": "#757575"}
BACKGROUNDS = {"green": "#e8f5e9", "yellow": "#fff8e1", "red": "#ffebee", "n/a": "#f5f5f5", "diagnosis": "#f5f5f5"}


def _e(text: object) -> str:
    return html.escape(str(text))


def render(docs: dict[str, dict]) -> str:
    """The page for coverage documents by target (harness.engine.coverage.merge)."""
    from harness.engine.coverage import summarize

    parts = [
        "<h1>Contract coverage</h1>",
        "<p>What the run exercised, per target: for each check of each rule, the cases on which it ran "
        "with its precondition true (replayed seeds counted apart), the cases that violated it, and the case "
        "forms declared for it in <code>harness/rules/forms.yaml</code>. "
        + "".join(
            f"<span class='badge' style='background:{BACKGROUNDS[k]};color:{COLOURS[k]}'>{_e(k)}</span> {_e(v)} "
            for k, v in (
                ("green", "every form drawn"),
                ("yellow", "exercised, some forms never drawn"),
                ("red", "never exercised"),
            )
        )
        + "</p>",
    ]
    if not docs:
        parts.append("<p>No coverage files: run pytest with <code>--kimi-results-dir</code>.</p>")
    for name, doc in sorted(docs.items()):
        s = summarize(doc)
        n = s.counts()
        parts.append(f"<h2 id='target-{_e(name)}'>{_e(name)}</h2>")
        parts.append(
            f"<p>{n['green']} green, {n['yellow']} yellow, {n['red']} red, {n['n/a']} n/a over "
            f"{len(s.models)} model(s).</p>"
        )
        parts.append(
            "<table><thead><tr><th>rule</th><th>check</th><th>status</th><th>exercised</th><th>of them replayed</th>"
            "<th>violated</th><th>forms drawn</th><th>forms never drawn</th><th>proven by</th></tr></thead><tbody>"
        )
        for r in s.rows:
            missing = "; ".join(r.forms_missing) or (r.note if r.status in ("n/a", "red", "diagnosis") else "")
            parts.append(
                f"<tr class='{_e(r.status.replace('/', ''))}'><td>{_e(r.rule)}</td><td><code>{_e(r.check or '(rule forms)')}"
                f"</code></td><td style='background:{BACKGROUNDS[r.status]};color:{COLOURS[r.status]};font-weight:600'>"
                f"{_e(r.status)}</td><td>{r.exercised}</td><td>{r.replayed}</td><td>{r.violated}</td>"
                f"<td>{_e('; '.join(r.forms_drawn))}</td><td>{_e(missing)}</td>"
                f"<td>{_e(', '.join(r.proven_by)) or ('<em>unproven</em>' if r.check and r.status != 'n/a' else '')}</td></tr>"
            )
        parts.append("</tbody></table>")
        if s.starved:
            parts.append("<h3>Not exercised: examples mostly discarded</h3><ul>")
            for st in s.starved:
                reasons = "; ".join(f"{c}x {w}" for w, c in sorted(st.reasons.items(), key=lambda kv: -kv[1]))
                parts.append(
                    f"<li>{_e(st.rule)} on <code>{_e(st.model)}</code>: {st.discarded} of {st.attempts} "
                    f"examples discarded ({_e(reasons)})</li>"
                )
            parts.append("</ul>")
        problems = s.problems
        if problems:
            parts.append("<h3>Gaps (what <code>--kimi-min-coverage</code> fails on)</h3><ul>")
            parts += [f"<li>{_e(p)}</li>" for p in problems]
            parts.append("</ul>")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Contract coverage</title>"
        "<style>body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#22252a}"
        "table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d0d4dc;padding:4px 8px;text-align:left;"
        "vertical-align:top}th{background:#f3f4f7}code{font-family:monospace;background:#f3f4f7}"
        ".badge{padding:1px 6px;border-radius:4px;font-weight:600}</style></head><body>"
        "<p><a href='index.html'>&larr; back to the report</a> &middot; <a href='matrix.html'>Conformance matrix</a></p>"
        + "\n".join(parts)
        + "</body></html>"
    )


def add_coverage(out: Path, results_dir: Path | None) -> bool:
    """Write coverage.html beside the report from `results_dir`'s coverage files and link it from
    the overview (a corner link) and the matrix page; False (and nothing written) without files."""
    from harness.engine.coverage import CoverageFileError, files, merge, read

    if results_dir is None or not results_dir.is_dir():
        return False
    try:
        found = files([results_dir])
        docs = merge(read(p) for p in found)
    except CoverageFileError:
        return False
    if not found:
        return False
    (out / PAGE).write_text(scrub(render(docs)), encoding="utf-8")
    index = out / "index.html"
    if index.is_file():
        text = index.read_text(encoding="utf-8")
        if LINK_ID not in text:
            link = (
                f'<a id="{LINK_ID}" href="{PAGE}" style="position:fixed;right:16px;bottom:48px;'
                "z-index:2147483646;background:#3d7eff;color:#fff;padding:6px 12px;border-radius:6px;"
                'font:13px Arial,Helvetica,sans-serif;text-decoration:none;box-shadow:0 1px 4px rgba(0,0,0,.25)">'
                "Coverage</a>\n"
            )
            index.write_text(text.replace("</body>", link + "</body>", 1), encoding="utf-8")
    matrix = out / "matrix.html"
    if matrix.is_file():
        text = matrix.read_text(encoding="utf-8")
        back = "<p><a href='index.html'>&larr; back to the report</a></p>"
        if PAGE not in text and back in text:
            text = text.replace(
                back,
                f"<p><a href='index.html'>&larr; back to the report</a> &middot; <a href='{PAGE}'>Coverage</a></p>",
                1,
            )
            matrix.write_text(text, encoding="utf-8")
    return True
