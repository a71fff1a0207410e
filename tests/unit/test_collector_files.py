"""Reading the collector's JSON-lines files while it appends to them."""

from __future__ import annotations

from pathlib import Path

from tta_otel.testing.collector_files import complete_lines, documents


def test_a_half_written_last_line_is_left_for_the_next_read(tmp_path: Path) -> None:
    path = tmp_path / "logs.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c": ')

    assert documents(path) == [{"a": 1}, {"b": 2}]


def test_only_lines_with_the_marker_are_returned(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    path.write_text('{"service": "one"}\n{"service": "two"}\n')

    assert complete_lines(path, "two") == ['{"service": "two"}']


def test_a_file_not_written_yet_has_no_lines(tmp_path: Path) -> None:
    assert complete_lines(tmp_path / "absent.jsonl") == []
