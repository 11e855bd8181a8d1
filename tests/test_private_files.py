"""Owner-only files: created 0600, narrowed if they existed wider, clear errors otherwise."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stytch2workos.errors import OutputError
from stytch2workos.private_files import open_private_text, private_dir, private_file, write_private_bytes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_are_owner_only_even_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with open_private_text(tmp_path / "a.txt") as out:
            out.write("é\n")
        write_private_bytes(tmp_path / "b.bin", b"\x00secret")
        private_file(tmp_path / "c")
        private_dir(tmp_path / "d" / "e")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00secret"
    for name in ("a.txt", "b.bin", "c"):
        assert _mode(tmp_path / name) == 0o600, name
    assert _mode(tmp_path / "d" / "e") == 0o700


def test_existing_files_are_narrowed_and_replaced(tmp_path: Path) -> None:
    text, raw, kept = tmp_path / "report.csv", tmp_path / "key.bin", tmp_path / "db"
    for path in (text, raw, kept):
        path.write_text("old content that is longer\n")
        path.chmod(0o644)
    (tmp_path / "dir").mkdir(mode=0o755)
    with open_private_text(text) as out:
        out.write("new\n")
    write_private_bytes(raw, b"new")
    private_file(kept)
    private_dir(tmp_path / "dir")
    assert (text.read_text(), raw.read_bytes(), kept.read_text()) == (
        "new\n",
        b"new",
        "old content that is longer\n",
    )
    assert {_mode(p) for p in (text, raw, kept)} == {0o600}
    assert _mode(tmp_path / "dir") == 0o700


def test_something_other_than_a_regular_file_keeps_its_mode(tmp_path: Path) -> None:
    # `-o /dev/stdout` must not chmod the terminal; a FIFO stands in for it here.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fifo.chmod(0o644)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with open_private_text(fifo) as out:
            out.write("row\n")
        assert os.read(reader, 100) == b"row\n"
    finally:
        os.close(reader)
    assert _mode(fifo) == 0o644


@pytest.mark.parametrize("where", ["missing/dir/out.csv", "a-file/out.csv"])
def test_an_unwritable_path_is_an_output_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputError, match=r"cannot write .*out\.csv: (No such file|Not a directory)"):
        open_private_text(tmp_path / where)
    with pytest.raises(OutputError, match="cannot write"):
        write_private_bytes(tmp_path / where, b"x")
    assert OutputError.exit_code == 2
