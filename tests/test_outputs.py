"""Atomic outputs: a failure while writing leaves the previous files whole."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from itinerant.errors import OutputError
from itinerant.outputs import (
    MANIFEST,
    check_output_folder,
    safe_file_name,
    write_atomic,
    write_outputs,
)


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
    # a.csv/x.csv makes a folder a.csv while staging, where the file a.csv must go
    with pytest.raises(OutputError, match="cannot write outputs"):
        write_outputs(tmp_path, {"a.csv": "new a", "a.csv/x.csv": "new", "b.csv": "new b"})
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert (tmp_path / "b.csv").read_text() == "old b"
    assert not list(tmp_path.glob(".*.tmp"))


def test_unwritable_target_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()  # a folder in the way of the file
    with pytest.raises(OutputError, match="cannot write outputs"):
        write_atomic(tmp_path / "plan.json", "{}")
    assert not list(tmp_path.glob(".*.tmp"))


def _version(name: str, count: int) -> dict[str, str | bytes]:
    """An output set whose every file says which version it belongs to."""
    files: dict[str, str | bytes] = {
        f"sheets/{name}-{i:03d}.html": name * 2000 for i in range(count)
    }
    files["plan.json"] = name
    return files


_STEPS = ("fsync", "replace", "rename", "unlink", "rmdir")
"""The file-system calls of a publication the kill test counts (and may be killed after)."""


def _publisher(folder: str, kill_after: int, report: Connection) -> None:
    """Child process: publish two versions in turn; stop dead after ``kill_after`` steps.

    Each step is one file-system call of :func:`write_outputs` (or its atomic exchange).
    After the chosen step the child tells the parent and waits to be killed, so that the
    kill falls at a point fixed by what the writer has done, not by the clock.
    """
    from itinerant import outputs

    done = 0

    def counted(call: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            nonlocal done
            result = call(*args, **kwargs)
            done += 1
            if done == kill_after:
                report.send(done)
                signal.pause()  # the parent's SIGKILL ends the process here
            return result

        return step

    for name in _STEPS:
        setattr(os, name, counted(getattr(os, name)))
    setattr(outputs, "_exchange", counted(outputs._exchange))  # noqa: B010
    versions = [_version("B", 80), _version("A", 120)]
    turn = 0
    while True:
        write_outputs(Path(folder), versions[turn % 2])
        turn += 1


def _check_whole(folder: Path) -> str:
    """The version the folder holds; fails if it holds a mix or a partial set."""
    assert folder.is_dir(), "the output folder disappeared"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    version = (folder / "plan.json").read_text()
    expected = set(_version(version, 120 if version == "A" else 80)) | {MANIFEST}
    assert names == expected, f"version {version}: {len(names ^ expected)} files differ"
    for name in names - {"plan.json", MANIFEST}:
        assert (folder / name).read_text() == version * 2000
    return version


def test_a_run_killed_while_publishing_leaves_one_whole_version(tmp_path: Path) -> None:
    """SIGKILL a process at chosen steps while it replaces the outputs: never a mix.

    The writer reports when it has made the chosen number of file-system calls and the
    kill follows: the same seed kills at the same points on any machine, however loaded.
    """
    folder = tmp_path / "2026-W49"
    write_outputs(folder, _version("A", 120))
    context = multiprocessing.get_context("fork")
    # publishing B takes 291 steps (an fsync and a rename per file, the exchange,
    # removing A's 122 old files) and A then 331: kills fall anywhere in the two
    last_step = 291 + 331
    rng = random.Random(7)
    seen = set()
    for _ in range(25):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_publisher, args=(str(folder), rng.randint(1, last_step), send)
        )
        child.start()
        send.close()
        # a hang (the writer never gets there) fails here; nothing waits on a clock
        assert receive.poll(timeout=120), "the writer never reached the chosen step"
        receive.recv()
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        write_outputs(tmp_path / "other", {"x": "y"})  # any later run tidies up the parent
        seen.add(_check_whole(folder))
    assert seen == {"A", "B"}, "the kills should fall on both versions"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".itinerant-")]
    assert leftovers == []  # killed runs' staging folders are removed by the next run


def test_a_kill_between_the_two_renames_is_undone(tmp_path: Path) -> None:
    """Where no atomic exchange exists, the next run puts the retired outputs back."""
    folder = tmp_path / "week"
    write_outputs(folder, {"plan.json": "old"})
    folder.rename(tmp_path / ".itinerant-old-week")  # the state after the first rename
    write_outputs(tmp_path / "week-2", {"plan.json": "other"})  # unrelated run: no change
    assert not folder.exists()
    write_outputs(folder, {"plan.json": "new", "schedule.csv": "a"})
    assert (folder / "plan.json").read_text() == "new"
    assert not (tmp_path / ".itinerant-old-week").exists()


def test_recovery_restores_the_previous_outputs(tmp_path: Path) -> None:
    folder = tmp_path / "week"
    write_outputs(folder, {"plan.json": "old"})
    folder.rename(tmp_path / ".itinerant-old-week")
    with pytest.raises(OutputError):
        write_outputs(folder, {"plan.json": "new", "x" * 300: "too long"})
    assert (folder / "plan.json").read_text() == "old"


def test_stale_files_of_an_earlier_run_do_not_survive(tmp_path: Path) -> None:
    write_outputs(tmp_path / "w", {"sheets/mardi.html": "a", "plan.json": "1"})
    write_outputs(tmp_path / "w", {"plan.json": "2"})
    assert not (tmp_path / "w" / "sheets" / "mardi.html").exists()


def test_a_folder_of_the_users_own_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    write_outputs(tmp_path, {"plan.json": "{}"})
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "plan.json").read_text() == "{}"
    assert not (tmp_path / MANIFEST).exists()


# ------------------------------------------------------------- names from user data (#18)

HOSTILE_NAMES = [
    "..",
    ".",
    "../../../../../X",
    "/../../etc/passwd",
    "a/b",
    "a\\b",
    "x\x00y",
    "bus\n",
    "line\r\nbreak",
    "CON",
    "con",
    "NUL",
    "nul.txt",
    "COM1",
    "lpt9",
    "Bus",
    "bus",
    "BUS",
    "x" * 300,
    "é" * 200,
    "",
    "-",
    "a--b",
    "a.",
    ".hidden",
]


def test_plain_names_are_kept() -> None:
    for name in ("bus", "tiny-house", "camille", "van_2", "v1.2", "2026-w49"):
        assert safe_file_name(name) == name


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_safe_file_name_stays_inside_and_is_one_component(tmp_path: Path, name: str) -> None:
    safe = safe_file_name(name)
    assert safe not in ("", ".", "..")
    assert "/" not in safe
    assert "\\" not in safe
    assert all(32 < ord(c) < 127 for c in safe)
    assert len(safe.encode()) <= 64
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert (tmp_path / safe).resolve().parent == tmp_path.resolve()
    write_outputs(tmp_path / "out", {f"calendars/unit-{safe}.ics": "x"})
    assert (tmp_path / "out" / "calendars" / f"unit-{safe}.ics").is_file()


def test_safe_file_names_are_unique_even_ignoring_case() -> None:
    """``Bus``, ``bus`` and ``BUS`` are three units: three files on a case-blind disk too."""
    folded = [safe_file_name(name).casefold() for name in HOSTILE_NAMES]
    assert len(set(folded)) == len(HOSTILE_NAMES)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../X.html", "'..' is not a file or folder name"),
        ("/abs/X.html", "'' is not a file or folder name"),
        ("a/./b.html", "'.' is not a file or folder name"),
        ("bad\x00.ics", "control character"),
        ("x\n.ics", "control character"),
        ("a\\..\\b", "backslash"),
        ("y" * 300 + ".html", "longer than 255 bytes"),
    ],
)
def test_a_name_that_would_land_outside_is_refused(tmp_path: Path, name: str, reason: str) -> None:
    with pytest.raises(OutputError, match="refusing to write") as info:
        write_outputs(tmp_path / "a" / "out", {"plan.json": "{}", name: "x"})
    assert reason in str(info.value)
    assert not (tmp_path / "a" / "out").exists()
    assert not list(tmp_path.rglob("*"))  # nothing at all, not even the parent


def test_names_equal_but_for_case_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"'Plan\.json' on a case-insensitive disk"):
        write_outputs(tmp_path / "out", {"Plan.json": "a", "plan.json": "b"})


def test_an_output_folder_no_file_system_takes_is_refused_first(tmp_path: Path) -> None:
    """A 300-character --out raised ENAMETOOLONG in the recovery path (#18)."""
    folder = tmp_path / ("o" * 300)
    with pytest.raises(OutputError, match="cannot be an output folder"):
        check_output_folder(folder)
    with pytest.raises(OutputError, match="File name too long"):
        write_outputs(folder, {"plan.json": "{}"})
    check_output_folder(tmp_path / "fine")
