"""The conformance matrix as a page of the report: Markdown rendered to matrix.html and linked."""

from __future__ import annotations

import html
import re
from pathlib import Path

from harness.reporting.redact import scrub

MATRIX_LINK_ID = "kimi-conformance-matrix-link"


def markdown_to_html(md: str, title: str = "Conformance matrix") -> str:
    """A small, dependency-free Markdown renderer: headings, pipe tables, lists, code, paragraphs."""

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"\[([^\]]+)\]\(((?!https?:|//)[^)\s]+)\)", r'<a href="\2">\1</a>', s)  # local links only
        return s

    out, lines, i = [], md.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if (
            re.match(r"^\s*\|.*\|\s*$", line)
            and i + 1 < len(lines)
            and re.match(r"^\s*\|?[\s:|-]+\|?\s*$", lines[i + 1])
        ):
            cells = lambda row: [  # noqa: E731  (`\|` is a pipe inside a cell, as on GitHub)
                c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))
            ]
            out.append(
                "<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells(line)) + "</tr></thead><tbody>"
            )
            i += 2
            while i < len(lines) and re.match(r"^\s*\|.*\|\s*$", lines[i]):
                out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells(lines[i])) + "</tr>")
                i += 1
            out.append("</tbody></table>")
            continue
        if line.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(lines[i])
                i += 1
            out.append("<pre>" + html.escape("\n".join(block)) + "</pre>")
            i += 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            n = len(m.group(1))
            out.append(f"<h{n}>{inline(m.group(2))}</h{n}>")
        elif re.match(r"^\s*[-*]\s+", line):
            out.append("<ul>")
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                out.append("<li>" + inline(re.sub(r"^\s*[-*]\s+", "", lines[i])) + "</li>")
                i += 1
            out.append("</ul>")
            continue
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
        i += 1
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
        "<style>body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#22252a}"
        "table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d0d4dc;padding:4px 8px;text-align:left}"
        "th{background:#f3f4f7}code,pre{font-family:monospace;background:#f3f4f7}pre{padding:8px}</style></head><body>"
        "<p><a href='index.html'>&larr; back to the report</a></p>" + "\n".join(out) + "</body></html>"
    )


def add_matrix(out: Path, md: str | None) -> bool:
    if md is None:
        return False
    (out / "matrix.md").write_text(scrub(md), encoding="utf-8")
    (out / "matrix.html").write_text(scrub(markdown_to_html(md)), encoding="utf-8")
    index = out / "index.html"
    text = index.read_text(encoding="utf-8")
    if MATRIX_LINK_ID not in text:
        link = (
            f'<a id="{MATRIX_LINK_ID}" href="matrix.html" style="position:fixed;right:16px;bottom:12px;'
            "z-index:2147483646;background:#3d7eff;color:#fff;padding:6px 12px;border-radius:6px;"
            'font:13px Arial,Helvetica,sans-serif;text-decoration:none;box-shadow:0 1px 4px rgba(0,0,0,.25)">'
            "Conformance matrix</a>\n"
        )
        text = text.replace("</body>", link + "</body>", 1)
        index.write_text(text, encoding="utf-8")
    return True


def add_page(out: Path, md: str, stem: str, label: str, *, right_px: int, files: Path | None = None) -> None:
    """Another Markdown page of the report (`<stem>.md` / `.html`), linked from every page's corner;
    `files` (a directory) is copied beside it for the page's relative links."""
    import shutil

    (out / f"{stem}.md").write_text(scrub(md), encoding="utf-8")
    (out / f"{stem}.html").write_text(scrub(markdown_to_html(md, title=label)), encoding="utf-8")
    if files is not None and files.is_dir():
        shutil.copytree(files, out / files.name, dirs_exist_ok=True)
    index, link_id = out / "index.html", f"kimi-conformance-{stem}-link"
    text = index.read_text(encoding="utf-8")
    if link_id not in text:
        link = (
            f'<a id="{link_id}" href="{stem}.html" style="position:fixed;right:{right_px}px;bottom:12px;'
            "z-index:2147483646;background:#3d7eff;color:#fff;padding:6px 12px;border-radius:6px;"
            f'font:13px Arial,Helvetica,sans-serif;text-decoration:none;box-shadow:0 1px 4px rgba(0,0,0,.25)">'
            f"{html.escape(label)}</a>\n"
        )
        index.write_text(text.replace("</body>", link + "</body>", 1), encoding="utf-8")


# ----------------------------------------------------------------------------------- build
