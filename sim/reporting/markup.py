"""HTML pieces of the report (``sim.reporting.report``): escaped text and tables."""
from __future__ import annotations

import html


def escape(x) -> str:
    return html.escape(str(x))


def table(head: list[str], rows: list[list[str]], classes: list[list[str]] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            cls = classes[i][j] if classes else ""
            cells.append(f"<td class=\"{cls}\">{cell}</td>" if cls else f"<td>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>"
