"""What every report shares on its way out: JSON/CSV as text or a file, and the PDF's first page.

matplotlib (extra ``report``) is imported only when a PDF is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

A4_PORTRAIT = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)


@contextmanager
def pdf_report(path: Path, title: str, summary: list[str]) -> Iterator[tuple[Any, Any]]:
    """A PDF whose first page is ``title`` over the ``summary`` lines; yields ``(pdf, pyplot)``
    for the chart pages. Text is embedded as TrueType, so it can be searched and extracted."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["pdf.fonttype"] = 42
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        page = plt.figure(figsize=A4_PORTRAIT)
        page.text(0.06, 0.96, title, fontsize=18, weight="bold", va="top")
        page.text(0.06, 0.92, "\n".join(summary), fontsize=8, va="top", wrap=True)
        pdf.savefig(page)
        plt.close(page)
        yield pdf, plt


def rows_text(report: Any, rows: Sequence[Any], row_type: type, fmt: str) -> str:
    """A dataclass report as JSON, or its ``rows`` (dataclasses of ``row_type``) as CSV with a
    header of the row's fields; a missing value is an empty cell."""
    if fmt == "json":
        return json.dumps(asdict(report), indent=2)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[field.name for field in fields(row_type)], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in asdict(row).items()})
    return buffer.getvalue()


def write_output(
    fmt: str, path: Path | None, text: Callable[[str], str], write_pdf: Callable[[Path], None]
) -> str | None:
    """Write ``fmt`` (json, csv or pdf) to ``path``; JSON and CSV are returned instead when no path is given."""
    if fmt == "pdf":
        if path is None:
            raise ValueError("a PDF needs --output PATH")
        write_pdf(path)
        return None
    rendered = text(fmt)
    if path is None:
        return rendered
    path.write_text(rendered)
    return None
