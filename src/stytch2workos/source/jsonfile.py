"""Streaming reader and writer for ``{"organizations": [...], "members": [...]}`` files.

The file written by the usual export script can be large (a gigabyte for a big
project), so it is read item by item: the decoder pulls one array element at a
time out of a sliding buffer and memory stays flat whatever the file's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from stytch2workos.errors import InputError
from stytch2workos.private_files import open_private_text
from stytch2workos.workspace import Workspace

CHUNK = 1 << 20
_WS = " \t\r\n"
_decoder = json.JSONDecoder()


class _Reader:
    def __init__(self, stream: IO[str], name: str) -> None:
        self.stream = stream
        self.name = name
        self.buf = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the front of buf, for error offsets
        self.eof = False
        self.last_text = ""  # the source text of the value last decoded

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > len(self.buf) // 2:
            self.consumed += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += chunk
        return True

    def error(self, what: str) -> InputError:
        return InputError(f"{self.name}: {what} near character {self.consumed + self.pos}")

    def peek(self) -> str:
        """The next non-space character, without consuming it ('' at end of file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
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
                raise self.error(f"malformed JSON ({exc.msg})") from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and self._fill():
                continue
            self.last_text = self.buf[self.pos : end]
            self.pos = end
            return obj


def read_export(path: Path) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield ``("organization" | "member", object, its JSON text)`` from the file, streaming.

    The text is the object exactly as the file holds it, so it can be stored without
    encoding the object again.

    Other top-level keys are skipped. Raises :class:`InputError` with a position
    for anything that is not the expected shape.
    """
    try:
        stream = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with stream:
        reader = _Reader(stream, str(path))
        try:
            reader.expect("{")
            seen: set[str] = set()
            if reader.peek() == "}":
                raise reader.error("the file holds no organizations")
            while True:
                key = reader.value()
                if not isinstance(key, str):
                    raise reader.error("expected a key")
                reader.expect(":")
                if key in ("organizations", "members"):
                    seen.add(key)
                    kind = key[:-1]
                    id_field = f"{kind}_id"
                    reader.expect("[")
                    if reader.peek() == "]":
                        reader.pos += 1
                    else:
                        while True:
                            item = reader.value()
                            if not isinstance(item, dict) or not isinstance(item.get(id_field), str):
                                raise reader.error(f"each of {key} must be an object with {id_field}")
                            if kind == "member" and not isinstance(item.get("organization_id"), str):
                                raise reader.error("each member must have an organization_id")
                            yield kind, item, reader.last_text
                            nxt = reader.peek()
                            reader.pos += 1
                            if nxt == "]":
                                break
                            if nxt != ",":
                                raise reader.error("expected ',' or ']'")
                else:
                    reader.value()
                nxt = reader.peek()
                reader.pos += 1
                if nxt == "}":
                    break
                if nxt != ",":
                    raise reader.error("expected ',' or '}'")
            if reader.peek() != "":
                raise reader.error("unexpected text after the JSON object")
            if "organizations" not in seen:
                raise reader.error('no "organizations" array')
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None


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
