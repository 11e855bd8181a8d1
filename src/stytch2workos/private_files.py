"""Owner-only files and directories: whatever the tool writes may hold secrets.

Directories are 0700 and files 0600 from the moment they exist: a file is
created with mode 0600 (not created, then narrowed), and one that already
existed with a wider mode is narrowed before anything is written to it. Only
regular files are narrowed: ``-o /dev/stdout`` must not chmod a terminal.

A file that cannot be written is an :class:`OutputError` naming the path, not a
traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

from stytch2workos.errors import OutputError

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) owner-only; narrow it if it exists wider."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, DIR_MODE)


def _open(path: Path, flags: int) -> int:
    fd = os.open(path, flags | os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        mode = os.fstat(fd).st_mode
        # O_CREAT keeps an existing file's mode.
        if stat.S_ISREG(mode) and mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_file(path: Path) -> None:
    """Create ``path`` (if missing) readable by its owner only; its content is kept."""
    os.close(_open(path, 0))


def open_private_text(path: Path) -> TextIO:
    """Open ``path`` for writing (truncated) as an owner-only UTF-8 text file."""
    try:
        fd = _open(path, os.O_TRUNC)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing what was there) as an owner-only file."""
    try:
        with os.fdopen(_open(path, os.O_TRUNC), "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
