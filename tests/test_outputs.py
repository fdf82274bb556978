"""Atomic outputs: a failure while writing leaves the previous files whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from itinerant.errors import OutputError
from itinerant.outputs import write_atomic, write_outputs


def test_files_are_written_with_subfolders(tmp_path: Path) -> None:
    paths = write_outputs(tmp_path / "out", {"plan.json": "{}", "sheets/mon.html": b"<p>"})
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "out/plan.json",
        "out/sheets/mon.html",
    ]
    assert (tmp_path / "out" / "sheets" / "mon.html").read_bytes() == b"<p>"
    assert not list((tmp_path / "out").rglob(".*.tmp"))
    # readable by others like any file the user makes (mkstemp alone gives 0600)
    assert (tmp_path / "out" / "plan.json").stat().st_mode & 0o044 == 0o044


def test_failure_while_staging_keeps_previous_outputs(tmp_path: Path) -> None:
    write_outputs(tmp_path, {"a.csv": "old a", "b.csv": "old b"})
    too_long = "x" * 300 + ".csv"  # no file system takes a 300-byte name, even for root
    with pytest.raises(OutputError, match="cannot write outputs"):
        write_outputs(tmp_path, {"a.csv": "new a", too_long: "new", "b.csv": "new b"})
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert (tmp_path / "b.csv").read_text() == "old b"
    assert not list(tmp_path.glob(".*.tmp"))


def test_unwritable_target_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()  # a folder in the way of the file
    with pytest.raises(OutputError, match="cannot write outputs"):
        write_atomic(tmp_path / "plan.json", "{}")
    assert not list(tmp_path.glob(".*.tmp"))
