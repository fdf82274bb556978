"""Write rendered outputs atomically: a failed or killed run never leaves a half-written file."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from itinerant.errors import OutputError

__all__ = ["write_atomic", "write_outputs"]

logger = logging.getLogger(__name__)


def _file_mode() -> int:
    """Permissions of a new ordinary file under the process umask (usually 0644)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file atomically (temporary file in the same folder, then ``os.replace``).

    Raises
    ------
    OutputError
        When the folder cannot be created or the file cannot be written.
    """
    write_outputs(path.parent, {path.name: content})


def write_outputs(folder: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write several files into ``folder``, each atomically, all or none of them staged.

    Every file is first written in full (and flushed to disk) under a temporary name in
    the target folder; only when all are staged are they renamed into place, in the
    order given, so that a failure while staging leaves the previous outputs untouched.
    Names may contain ``/`` for sub-folders.

    Returns
    -------
    The paths written, in the order given.
    """
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
        msg = f"cannot write outputs in {folder}: {exc.strerror or exc}"
        raise OutputError(msg) from exc
    logger.info("wrote %d file(s) in %s", len(staged), folder)
    return [target for _, target in staged]
