"""Streaming reader and writer for ``{"organizations": [...], "members": [...]}`` files.

The file written by the usual export script can be large (a gigabyte for a big
project), so it is read item by item: the decoder pulls one array element at a
time out of a sliding buffer and memory stays flat whatever the file's size. The
bytes are hashed as they are read, so the file's identity (size and SHA-256)
costs no second pass.

What this module refuses is the *file* (one error with a position): text that is
not JSON, not UTF-8, or not the expected shape; values Python cannot hold (NaN
and Infinity, numbers longer than its integer limit, nesting deeper than its
recursion limit); a repeated top-level key; a missing ``organizations`` or
``members`` array. Whether each array item is a usable record is for
:mod:`stytch2workos.transform.validate` to say: a bad record is a refused row,
not a bad file.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from stytch2workos.errors import InputError
from stytch2workos.private_files import open_private_text
from stytch2workos.workspace import Workspace

CHUNK = 1 << 20
# JSON's whitespace; a regular expression skips a run of it at C speed.
_SPACE = re.compile(r"[ \t\r\n]*")
ARRAYS = ("organizations", "members")


class _NonFinite(ValueError):
    """NaN, Infinity or -Infinity: Python reads them, JSON does not have them."""


def _refuse_constant(literal: str) -> Any:
    raise _NonFinite(literal)


# A NaN read as a float is truthy: left alone, it would become `email_verified = true`.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant)


class Item(NamedTuple):
    """One element of the ``organizations`` or ``members`` array, as read."""

    kind: Literal["organization", "member"]
    value: Any  # usually an object; checking it is the caller's business
    text: str  # the element exactly as the file holds it
    position: int  # the character where it starts, counted from the start of the file


class _Reader:
    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream = stream
        self.name = name
        self.buf = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the front of buf, for error offsets
        self.eof = False
        self.last_text = ""  # the source text of the value last decoded
        self.last_start = 0  # where that value starts in the file, in characters
        # utf-8-sig: a byte-order mark some editors put first is skipped, not an error.
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.stream.read(CHUNK)
        pending = len(self.decoder.getstate()[0])
        self.sha256.update(data)
        self.bytes_read += len(data)
        try:
            chunk = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self.bytes_read - len(data) - pending + exc.start
            raise InputError(f"{self.name}: not UTF-8 text near byte {max(at, 0)}") from None
        if not data:
            self.eof = True
            return False
        if self.pos > len(self.buf) // 2:
            self.consumed += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += chunk
        return True

    def error(self, what: str, at: int | None = None) -> InputError:
        where = self.consumed + (self.pos if at is None else at)
        return InputError(f"{self.name}: {what} near character {where}")

    def peek(self) -> str:
        """The next non-space character, without consuming it ('' at end of file)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr] # matches ""
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode one JSON value, reading more of the file while it is incomplete."""
        self.peek()
        while True:
            try:
                obj, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # A value cut off by the buffer's end decodes once more text arrives.
                if self._fill():
                    continue
                raise self.error(f"malformed JSON ({exc.msg})", exc.pos) from None
            except _NonFinite as exc:
                raise self.error(f"{exc} is not a JSON value (JSON numbers are finite)") from None
            except RecursionError:
                raise self.error("values nested too deeply to read") from None
            except ValueError:
                # int() refuses numbers past sys.get_int_max_str_digits() (4,300 by default).
                raise self.error("a number with too many digits to read") from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and self._fill():
                continue
            self.last_text = self.buf[self.pos : end]
            self.last_start = self.consumed + self.pos
            self.pos = end
            return obj


class ExportFile:
    """One pass over an export file: its items, and the size and digest of what was read.

    Use as a context manager; :meth:`items` may be iterated once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._stream = open(path, "rb")  # noqa: SIM115 - closed in close()
            self.size = os.fstat(self._stream.fileno()).st_size
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        self._reader = _Reader(self._stream, str(path))

    def __enter__(self) -> ExportFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()

    @property
    def bytes_read(self) -> int:
        return self._reader.bytes_read

    def sha256(self) -> str:
        """The SHA-256 of the bytes read so far (of the whole file once :meth:`items` is done)."""
        return self._reader.sha256.copy().hexdigest()

    def items(self) -> Iterator[Item]:
        """Every element of the two arrays, in file order. Other top-level keys are skipped.

        Raises :class:`InputError` with a position for anything that is not the expected shape.
        """
        reader = self._reader
        reader.expect("{")
        seen: set[str] = set()
        if reader.peek() == "}":
            raise reader.error('the file holds no "organizations" and no "members"')
        while True:
            if reader.peek() != '"':
                raise reader.error("expected a key")
            key = reader.value()
            if key in seen:
                # Which of two lists is the real one is anybody's guess.
                raise reader.error(f"the key {json.dumps(key[:60])} appears twice")
            seen.add(key)
            reader.expect(":")
            if key in ARRAYS:
                yield from self._array(key)
            else:
                reader.value()
            nxt = reader.peek()
            reader.pos += 1
            if nxt == "}":
                break
            if nxt != ",":
                raise reader.error("expected ',' or '}'")
        if reader.peek() != "":
            raise reader.error("more text after the end of the JSON object")
        missing = [k for k in ARRAYS if k not in seen]
        if missing:
            # A file without members would import organizations and nobody in them.
            raise reader.error(" and ".join(f'no "{k}" array' for k in missing))

    def _array(self, key: str) -> Iterator[Item]:
        reader = self._reader
        kind: Literal["organization", "member"] = "organization" if key == "organizations" else "member"
        reader.expect("[")
        if reader.peek() == "]":
            reader.pos += 1
            return
        while True:
            value = reader.value()
            yield Item(kind, value, reader.last_text, reader.last_start)
            nxt = reader.peek()
            reader.pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                raise reader.error("expected ',' or ']'")


def read_export(path: Path) -> Iterator[Item]:
    """Every item of the file at ``path`` (see :meth:`ExportFile.items`)."""
    with ExportFile(path) as export:
        yield from export.items()


def prefix_sha256(path: Path, length: int) -> str:
    """The SHA-256 of the first ``length`` bytes of the file (fewer if it is shorter)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while length > 0:
                data = stream.read(min(CHUNK, length))
                if not data:
                    break
                digest.update(data)
                length -= len(data)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return digest.hexdigest()


def write_export(ws: Workspace, snapshot: int, path: Path) -> tuple[int, int]:
    """Write the snapshot's organizations and members in the same shape, owner-only.

    Connections (which carry OIDC client secrets and SAML private keys) are not
    part of this shape and never leave the workspace database.
    """
    orgs = members = 0
    with open_private_text(path) as out:
        out.write('{"organizations": [')
        for i, org in enumerate(ws.organizations(snapshot)):
            out.write(("," if i else "") + "\n" + json.dumps(org, ensure_ascii=False))
            orgs += 1
        out.write('\n], "members": [')
        for i, member in enumerate(ws.members(snapshot)):
            out.write(("," if i else "") + "\n" + json.dumps(member, ensure_ascii=False))
            members += 1
        out.write("\n]}\n")
    return orgs, members
