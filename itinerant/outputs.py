"""Write rendered outputs atomically: a failed or killed run leaves the previous outputs whole.

An output folder (``maps/<scenario>/<week>/``, a replan's, a comparison's) is published
as one unit: the new files are written in full into a hidden sibling folder, then that
folder takes the old one's place in one atomic exchange (``renameat2(RENAME_EXCHANGE)``
on Linux). A run killed at any moment leaves either every old file or every new one,
never a mix, and no stale file of an earlier run (a sheet for a unit-day that no longer
exists) survives next to the new ones.

A folder counts as itinerant's when it is new, empty, or holds the manifest
(:data:`MANIFEST`) that every publication writes. Any other folder (``--out .``, a
folder of the user's own files) is never replaced: the files are written into it one by
one, each atomically, and nothing else in it is touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from itinerant.errors import OutputError

__all__ = ["MANIFEST", "check_output_folder", "safe_file_name", "write_atomic", "write_outputs"]

logger = logging.getLogger(__name__)

MANIFEST = ".itinerant-outputs.json"
"""Name of the file listing what a publication wrote (marks the folder as itinerant's)."""

_STAGING_PREFIX = ".itinerant-new-"
_RETIRED_PREFIX = ".itinerant-old-"
_RENAME_EXCHANGE = 2  # linux/fs.h


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_FILE_MODE = 0o666 & ~_umask()
"""Permissions of a new ordinary file under the process umask (usually 0644)."""
_DIR_MODE = 0o777 & ~_umask()
"""Permissions of a new folder under the process umask (usually 0755)."""


_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")
_MAX_PLAIN = 64
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{kind}{n}" for kind in ("COM", "LPT") for n in range(10)]
)
_MAX_NAME_BYTES = 255  # longest file or folder name on common file systems


def safe_file_name(text: str) -> str:
    """Map text from user data (a unit id, a staff id, a scenario label) to a file name.

    A plain name (lower-case ASCII letters, digits, ``_``, ``-`` and single inner ``.``,
    at most 64 characters, no Windows reserved name such as ``CON`` or ``NUL``) is kept as
    it is. Anything else (``..``, ``/``, NUL, a newline, capitals, 300 characters...)
    becomes a readable prefix of its safe characters, ``--`` and a digest of the exact
    text: ``../../X`` gives ``X--<12 hex digits>``. Plain names never contain ``--``, so
    two different texts never get the same name, even on a case-insensitive file system.
    The result is one path component: no separator, never ``.`` or ``..``.
    """
    if (
        len(text) <= _MAX_PLAIN
        and _PLAIN_NAME.match(text)
        and "--" not in text
        and ".." not in text
        and not text.endswith((".", "-"))
        and text.split(".", 1)[0].upper() not in _WINDOWS_RESERVED
    ):
        return text
    prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_-")[:32].strip("_-") or "x"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{prefix}--{digest}"


def _unsafe_part(part: str) -> str | None:
    """Why one component of an output file name cannot be written, or None."""
    if part in ("", ".", ".."):
        return f"{part!r} is not a file or folder name"
    if any(ord(c) < 32 or c in "\\\x7f" for c in part):
        return "it contains a control character or a backslash"
    if len(part.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        return f"a component is longer than {_MAX_NAME_BYTES} bytes"
    return None


def check_output_folder(folder: Path) -> None:
    """Refuse an output folder whose path no file system takes (before any work is done).

    Raises
    ------
    OutputError
        A component of the path is longer than 255 bytes or holds a NUL byte.
    """
    for part in folder.parts:
        if "\x00" in part or len(os.fsencode(part)) > _MAX_NAME_BYTES:
            msg = (
                f"{_shorten(str(folder))}: cannot be an output folder (a folder name is longer "
                f"than {_MAX_NAME_BYTES} bytes or holds a NUL byte)"
            )
            raise OutputError(msg)


def _shorten(text: str) -> str:
    return text if len(text) <= 100 else text[:97] + "..."


def _check_names(folder: Path, names: list[str]) -> None:
    """Refuse output names that would land outside ``folder`` or collide in case."""
    problems = []
    seen: dict[str, str] = {}
    for name in names:
        why = next(filter(None, (_unsafe_part(part) for part in name.split("/"))), None)
        if why is not None:
            problems.append(f"refusing to write {name[:80]!r} in {folder}: {why}")
            continue
        folded = name.casefold()
        if folded in seen:
            problems.append(
                f"refusing to write {name!r} in {folder}: it is {seen[folded]!r} "
                "on a case-insensitive disk"
            )
        seen[folded] = name
    if problems:
        raise OutputError("\n".join(problems))


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file atomically (temporary file in the same folder, then ``os.replace``).

    The rest of the folder is left as it is.

    Raises
    ------
    OutputError
        When the folder cannot be created or the file cannot be written.
    """
    _write_in_place(path.parent, {path.name: content})


def write_outputs(folder: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Publish ``files`` as the content of ``folder``, all at once.

    Names may contain ``/`` for sub-folders. When ``folder`` is itinerant's (new, empty
    or holding :data:`MANIFEST`), its whole content is replaced atomically: afterwards it
    holds exactly ``files`` and the manifest. Otherwise each file is written into it
    atomically and the rest of the folder is left alone.

    Returns
    -------
    The paths written, in the order given.

    Raises
    ------
    OutputError
        When a file cannot be written, or a name would land outside ``folder``; the
        previous outputs are then untouched.
    """
    try:
        _recover(folder)
    except OSError as exc:  # a folder name too long, a parent that is a file...
        raise _output_error(folder, exc) from exc
    _check_names(folder, [*files, MANIFEST])
    if folder.exists() and not _is_ours(folder):
        logger.info("%s holds files of its own: writing file by file", folder)
        return _write_in_place(folder, files)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(dir=folder.parent, prefix=f"{_STAGING_PREFIX}{os.getpid()}-")
        )
    except OSError as exc:
        raise _output_error(folder, exc) from exc
    try:
        staging.chmod(_DIR_MODE)  # mkdtemp makes 0700
        manifest = json.dumps({"files": sorted(files)}, indent=1) + "\n"
        _write_in_place(staging, {**files, MANIFEST: manifest}, publish_to=folder)
        _fsync_dir(staging)
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("published %d file(s) in %s", len(files), folder)
    return [folder / name for name in files]


def _write_in_place(
    folder: Path, files: Mapping[str, str | bytes], *, publish_to: Path | None = None
) -> list[Path]:
    """Stage every file under a temporary name, then rename them all into place."""
    shown = publish_to or folder
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            handle, temp_name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            staged.append((Path(temp_name), target))
            Path(temp_name).chmod(_FILE_MODE)  # mkstemp makes 0600; outputs are shared
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for temp, target in staged:
            temp.replace(target)
    except OSError as exc:
        for temp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise _output_error(shown, exc) from exc
    return [target for _, target in staged]


def _output_error(folder: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write outputs in {folder}: {exc.strerror or exc}")


def _is_ours(folder: Path) -> bool:
    """Whether ``folder`` may be replaced whole: empty, or written by :func:`write_outputs`."""
    if not folder.is_dir():
        return False
    return (folder / MANIFEST).is_file() or not any(folder.iterdir())


def _swap_in(staging: Path, folder: Path) -> None:
    """Put ``staging`` at ``folder``'s place atomically and delete what was there."""
    if not folder.exists():
        try:
            staging.rename(folder)
        except OSError as exc:
            raise _output_error(folder, exc) from exc
        _fsync_dir(folder.parent)
        return
    if _exchange(staging, folder):
        _fsync_dir(folder.parent)
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old outputs
        return
    # no atomic exchange here: two renames, undone by _recover if a kill falls between
    retired = folder.parent / f"{_RETIRED_PREFIX}{folder.name}"
    try:
        folder.rename(retired)
        staging.rename(folder)
    except OSError as exc:
        if retired.exists() and not folder.exists():
            retired.rename(folder)
        raise _output_error(folder, exc) from exc
    _fsync_dir(folder.parent)
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(
        at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    logger.info("renameat2 exchange unavailable (errno %d)", ctypes.get_errno())
    return False


def _recover(folder: Path) -> None:
    """Undo what a run killed while publishing ``folder`` left behind."""
    parent = folder.parent
    if not parent.is_dir():
        return
    retired = parent / f"{_RETIRED_PREFIX}{folder.name}"
    if retired.is_dir():
        if folder.exists():
            shutil.rmtree(retired, ignore_errors=True)
        else:
            retired.rename(folder)  # killed between the two renames: put the old back
    for leftover in parent.glob(f"{_STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):
            if leftover.is_dir() and not _in_use(leftover):
                shutil.rmtree(leftover)


def _in_use(staging: Path) -> bool:
    """Whether a staging folder may belong to a run still writing.

    Its name carries the writer's process id: a folder whose process is gone, or that
    is over an hour old, is a killed run's leftover.
    """
    try:
        age = time.time() - staging.stat().st_mtime
    except OSError:
        return False
    pid_text = staging.name.removeprefix(_STAGING_PREFIX).partition("-")[0]
    if age > 3600 or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, owned by someone else
    return True


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (so a rename survives a power cut)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
