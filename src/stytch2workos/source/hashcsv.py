"""Streaming parser for the decrypted password-hash CSV that Stytch support sends.

Layout, as Stytch writes it::

    scrypt hash parameters,,,,
    scryptCostParameter,1 << 15,,,
    scryptRParameter,8,,,
    scryptPParameter,1,,,
    scryptKeyLengthParamenter,32,,,
    ,,,,
    id,hash,salt,hash_method,project_id
    member-test-…,8dg6…=,zKia…==,scrypt,project-test-…

Tolerated: a UTF-8 BOM, CRLF line ends, blank lines before the block and at the
end, values written as ``1 << 15`` or as plain integers, the key-length name
spelled correctly (``scryptKeyLengthParameter``) as well as Stytch's way, the
columns in any order, and extra columns (ignored).

A file may also start directly with the column header. The parameters are then
None; ``passwords load`` refuses such a file as soon as it meets a scrypt row,
instead of assuming Stytch's defaults.

Problems in the preamble or header raise ``HashCsvFormatError`` at once (nothing
can be trusted after them). That includes a parameter block no scrypt hash can
have been made with (N not a power of two, r or p zero, an absurd key length):
it would make every scrypt row unusable, so it is the file's defect, not the
rows'. A bad data row becomes a ``RowError`` in the stream, naming its member id
when the row shows one, and the rest of the file is still read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from stytch2workos.transform.passwords import ParsedRow, ScryptParams, scrypt_params_problem

COLUMNS = ("id", "hash", "salt", "hash_method", "project_id")
_BLOCK_TITLE = "scrypt hash parameters"
_PARAM_NAMES = {
    "scryptcostparameter": "n",
    "scryptrparameter": "r",
    "scryptpparameter": "p",
    # Stytch's export spells it "Paramenter"; accept the correct spelling too.
    "scryptkeylengthparamenter": "key_length",
    "scryptkeylengthparameter": "key_length",
}
_SHIFT = re.compile(r"(\d{1,10})\s*<<\s*(\d{1,2})")
_PLAIN = re.compile(r"\d{1,10}")
# The shape of a Stytch id ("member-test-<uuid>", "member-live-<uuid>"). A row that lost a
# cell may have a hash where its id belongs: only a cell of this shape is named as the id.
_STYTCH_ID = re.compile(r"[a-z]+-(?:test|live)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Ids are echoed in reports; a cell longer than any id is damage, not an id.
_MAX_ID_CHARS = 200


class HashCsvFormatError(ValueError):
    """The CSV's parameter block or column header is not what Stytch writes."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no


@dataclass(frozen=True)
class RowError:
    """A data row that could not be read; the stream goes on after it."""

    line_no: int
    reason: str
    member_id: str | None = None  # when the row shows whose it is


def looks_like_stytch_id(text: str) -> bool:
    """Whether ``text`` has the shape of a Stytch id, so it can be named in a message.

    A damaged row can carry a hash or salt in any cell; only an id-shaped value is echoed.
    """
    return _STYTCH_ID.fullmatch(text) is not None


def read_params_and_rows(
    lines: Iterable[str],
) -> tuple[ScryptParams | None, Iterator[ParsedRow | RowError]]:
    """Read the preamble now; return the scrypt parameters and a lazy row stream.

    ``lines`` may carry their line ends or not. Raises ``HashCsvFormatError`` if
    the parameter block or the header is malformed or if there is no header.
    """
    numbered = _cells(lines)
    params: ScryptParams | None = None
    first = _next_nonblank(numbered)
    if first is None:
        raise HashCsvFormatError(0, "the file is empty; expected Stytch's hash export")
    line_no, cells = first
    if cells[0].strip().lower() == _BLOCK_TITLE:
        params, header = _read_block(numbered, line_no)
    else:
        header = first
    positions = _header_positions(*header)
    return params, _rows(numbered, positions)


def _cells(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    for line_no, line in enumerate(lines, start=1):
        if line_no == 1:
            line = line.removeprefix("\ufeff")
        line = line.rstrip("\r\n")
        # Stytch's export never quotes, and splitting is several times faster than
        # the csv module; a quoted line still gets proper CSV parsing, one line at
        # a time so that a stray quote cannot swallow the rest of the file.
        cells = next(csv.reader([line]), [""]) if '"' in line else line.split(",")
        yield line_no, cells


def _blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _next_nonblank(numbered: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    for line_no, cells in numbered:
        if not _blank(cells):
            return line_no, cells
    return None


def _int_value(text: str, line_no: int) -> int:
    text = text.strip()
    shift = _SHIFT.fullmatch(text)
    if shift is not None:
        return int(shift.group(1)) << int(shift.group(2))
    if _PLAIN.fullmatch(text):
        return int(text)
    raise HashCsvFormatError(line_no, f"expected an integer or 'A << B', found {text!r}")


def _read_block(
    numbered: Iterator[tuple[int, list[str]]], title_line: int
) -> tuple[ScryptParams, tuple[int, list[str]]]:
    values: dict[str, int] = {}
    header: tuple[int, list[str]] | None = None
    last_line = title_line
    for line_no, cells in numbered:
        last_line = line_no
        if _blank(cells):
            continue
        name = cells[0].strip().lower()
        if name not in _PARAM_NAMES and "id" in (cell.strip().lower() for cell in cells):
            header = (line_no, cells)
            break
        field_name = _PARAM_NAMES.get(name)
        if field_name is None:
            raise HashCsvFormatError(line_no, f"unknown scrypt parameter {cells[0].strip()!r}")
        if field_name in values:
            raise HashCsvFormatError(line_no, f"scrypt parameter {cells[0].strip()!r} repeated")
        if len(cells) < 2:
            raise HashCsvFormatError(line_no, f"no value for {cells[0].strip()!r}")
        values[field_name] = _int_value(cells[1], line_no)
    missing = [k for k in ("n", "r", "p", "key_length") if k not in values]
    if missing:
        raise HashCsvFormatError(last_line, f"scrypt parameter block lacks {', '.join(missing)}")
    if header is None:
        raise HashCsvFormatError(last_line, "no column header after the scrypt parameters")
    params = ScryptParams(**values)
    problem = scrypt_params_problem(params)
    if problem is not None:
        raise HashCsvFormatError(
            title_line,
            f"the scrypt parameters cannot be used: {problem}; every scrypt row would be unusable",
        )
    return params, header


def _header_positions(line_no: int, cells: list[str]) -> tuple[int, ...]:
    names = [cell.strip().lower() for cell in cells]
    positions = []
    for column in COLUMNS:
        count = names.count(column)
        if count != 1:
            problem = "missing" if count == 0 else "repeated"
            # The line is not echoed: when the header is absent it is a data row,
            # and data rows hold password hashes.
            raise HashCsvFormatError(
                line_no, f"column {column!r} {problem} in the header; expected {','.join(COLUMNS)}"
            )
        positions.append(names.index(column))
    return tuple(positions)


def _rows(
    numbered: Iterator[tuple[int, list[str]]], positions: tuple[int, ...]
) -> Iterator[ParsedRow | RowError]:
    width = max(positions) + 1
    for line_no, cells in numbered:
        if _blank(cells):
            continue
        if len(cells) < width:
            id_cell = cells[positions[0]].strip() if positions[0] < len(cells) else ""
            named = id_cell if looks_like_stytch_id(id_cell) else None
            yield RowError(line_no, f"expected at least {width} columns, found {len(cells)}", named)
            continue
        member_id, hash_value, salt, method, project_id = (cells[i].strip() for i in positions)
        if not member_id or not hash_value or not method:
            # The row has every column, so its id cell is the id.
            named = member_id if member_id and len(member_id) <= _MAX_ID_CHARS else None
            yield RowError(line_no, "id, hash and hash_method must not be empty", named)
            continue
        yield ParsedRow(member_id, hash_value, salt, method, project_id, line_no)
