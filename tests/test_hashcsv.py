"""The decrypted Stytch hash CSV: the real layout, its tolerated variations, errors, streaming."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from helpers import STYTCH_EXPORT_SAMPLE
from stytch2workos.source.hashcsv import HashCsvFormatError, RowError, read_params_and_rows
from stytch2workos.transform.passwords import ParsedRow, ScryptParams
from stytch2workos_emulators.synth.delivery import stytch_scrypt_row, write_csv

SAMPLE = STYTCH_EXPORT_SAMPLE
SAMPLE_ROW = ParsedRow(
    "user-test-c1be12e4-fc61-4e7a-8831-0fc14cb87b65",
    "8dg6AaIWPfcLTQU7lb4H-CI49dHeqaBXfFE1ogb2qRQ=",
    "zKia-0BdIFKCzWbzXbj3qrhBnbiWNg==",
    "scrypt",
    "project-test-36510638-652a-4d3d-9a94-f0a7106582fc",
    line_no=8,
)
STYTCH = ScryptParams(32768, 8, 1, 32)


def parse(text: str) -> tuple[ScryptParams | None, list[ParsedRow | RowError]]:
    params, rows = read_params_and_rows(text.splitlines(keepends=True))
    return params, list(rows)


VARIANTS = [
    pytest.param(SAMPLE, STYTCH, 8, id="as-sent"),
    pytest.param(SAMPLE.replace("\n", "\r\n"), STYTCH, 8, id="crlf"),
    pytest.param("\ufeff" + SAMPLE, STYTCH, 8, id="bom"),
    pytest.param(SAMPLE + ",,,,\n\n\r\n", STYTCH, 8, id="trailing-blank-lines"),
    pytest.param("\n" + SAMPLE, STYTCH, 9, id="leading-blank-line"),
    pytest.param(SAMPLE.replace("Paramenter", "Parameter"), STYTCH, 8, id="correct-spelling"),
    pytest.param(SAMPLE.replace("1 << 15", "32768"), STYTCH, 8, id="plain-integer"),
    pytest.param(SAMPLE.replace("1 << 15", "1<<15"), STYTCH, 8, id="shift-without-spaces"),
    pytest.param(SAMPLE.replace("SCRYPT HASH PARAMETERS", "scrypt hash parameters"), STYTCH, 8, id="case"),
    pytest.param(SAMPLE.replace(",,,,\nid,", "id,"), STYTCH, 7, id="no-blank-separator"),
    pytest.param(SAMPLE.split(",,,,\n", 2)[2], None, 2, id="no-parameter-block"),
    pytest.param(
        SAMPLE.replace("project_id\n", "project_id,extra\n").replace("582fc\n", '582fc,"x, y"\n'),
        STYTCH,
        8,
        id="extra-quoted-column",
    ),
]


@pytest.mark.parametrize(("text", "params", "line_no"), VARIANTS)
def test_layout_variants(text: str, params: ScryptParams | None, line_no: int) -> None:
    found_params, rows = parse(text)
    assert found_params == params
    assert rows == [ParsedRow(**{**SAMPLE_ROW.__dict__, "line_no": line_no})]


def test_lines_without_line_ends_and_reordered_columns() -> None:
    lines = [
        "id,hash_method,project_id,salt,hash",
        "m1,bcrypt,p1,,$2b$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y",
        '"m2",scrypt , p1, s2 ,h2 ',
    ]
    params, rows = read_params_and_rows(lines)
    assert params is None
    assert list(rows) == [
        ParsedRow(
            "m1", "$2b$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", "", "bcrypt", "p1", 2
        ),
        ParsedRow("m2", "h2", "s2", "scrypt", "p1", 3),
    ]


def test_bad_rows_become_errors_and_the_stream_goes_on() -> None:
    text = SAMPLE + "only,three,cells\n,h,s,scrypt,p\nm,,s,scrypt,p\nm,h,s,,p\n" + SAMPLE.splitlines()[-1]
    _, rows = parse(text)
    assert rows[0] == SAMPLE_ROW
    assert rows[1] == RowError(9, "expected at least 5 columns, found 3")
    assert [r.line_no for r in rows[2:5]] == [10, 11, 12]
    assert all(isinstance(r, RowError) and "must not be empty" in r.reason for r in rows[2:5])
    assert rows[5] == ParsedRow(**{**SAMPLE_ROW.__dict__, "line_no": 13})


HEADER_ERRORS = [
    ("", 0, "empty"),
    (",,,,\n\n", 0, "empty"),
    (SAMPLE.replace("hash_method", "method"), 7, "'hash_method' missing"),
    (SAMPLE.replace("project_id\n", "project_id,salt\n"), 7, "'salt' repeated"),
    (SAMPLE.replace("scryptRParameter", "scryptQParameter"), 3, "unknown scrypt parameter"),
    (SAMPLE.replace("1 << 15", "2^15"), 2, "expected an integer"),
    (SAMPLE.replace("scryptPParameter,1,,,\n", ""), 6, "lacks p"),
    (SAMPLE.replace("scryptPParameter,1,,,\n", "scryptRParameter,8,,,\n"), 4, "repeated"),
    (SAMPLE.replace("scryptPParameter,1,,,", "scryptPParameter"), 4, "no value"),
    ("\n".join(SAMPLE.splitlines()[:6]), 6, "no column header"),
    (SAMPLE.split(",,,,\n", 2)[2].split("\n", 1)[1], 1, "'id' missing"),
    # Parameters no scrypt hash can have spoil every row: the block's first line is named.
    (SAMPLE.replace("1 << 15", "1000"), 1, "n=1000 must be a power of two"),
    (SAMPLE.replace("1 << 15", "1"), 1, "n=1 must be a power of two"),
    (SAMPLE.replace("1 << 15", "0"), 1, "n=0 must be a power of two"),
    ("\n" + SAMPLE.replace("1 << 15", "1 << 40"), 2, "must be a power of two between 2 and"),
    (SAMPLE.replace("scryptRParameter,8", "scryptRParameter,0"), 1, "r=0"),
    (SAMPLE.replace("scryptPParameter,1", "scryptPParameter,0"), 1, "p=0"),
    (SAMPLE.replace("scryptRParameter,8", "scryptRParameter,99999"), 1, "r=99999"),
    (SAMPLE.replace("Paramenter,32", "Paramenter,0"), 1, "key length 0"),
    (SAMPLE.replace("Paramenter,32", "Paramenter,4096"), 1, "key length 4096"),
    (SAMPLE.replace("scryptRParameter,8", "scryptRParameter,32").replace("<< 15", "<< 20"), 1, "memory"),
]


@pytest.mark.parametrize(("text", "line_no", "message"), HEADER_ERRORS)
def test_preamble_and_header_errors_raise_with_line_numbers(text: str, line_no: int, message: str) -> None:
    with pytest.raises(HashCsvFormatError) as caught:
        parse(text)
    assert isinstance(caught.value, ValueError)
    assert caught.value.line_no == line_no
    assert message in str(caught.value)
    assert f"line {line_no}:" in str(caught.value)


def test_impossible_parameters_say_every_row_would_be_unusable() -> None:
    with pytest.raises(HashCsvFormatError) as caught:
        parse(SAMPLE.replace("scryptRParameter,8", "scryptRParameter,0"))
    assert "every scrypt row would be unusable" in str(caught.value)


MEMBER = "member-test-0c1be12e-fc61-4e7a-8831-0fc14cb87b65"
NAMED_ROWS = [
    pytest.param(f"{MEMBER},h,s,scrypt", MEMBER, "expected at least 5 columns, found 4", id="no-project"),
    pytest.param(f"{MEMBER}", MEMBER, "found 1", id="id-only"),
    pytest.param(f"{MEMBER},,s,scrypt,p", MEMBER, "must not be empty", id="empty-hash"),
    pytest.param(f"{MEMBER},h,s,,p", MEMBER, "must not be empty", id="empty-method"),
    # A row that lost its id cell starts with its hash: that is never named.
    pytest.param("8dg6AaIWPfcLTQU7lb4H-CI49dHeqaBXfFE1ogb2qRQ=,s,scrypt,p", None, "found 4", id="lost-id"),
    pytest.param("only,three,cells", None, "found 3", id="short-not-an-id"),
    pytest.param(",h,s,scrypt,p", None, "must not be empty", id="empty-id"),
    pytest.param("x" * 201 + ",,s,scrypt,p", None, "must not be empty", id="overlong-id"),
]


@pytest.mark.parametrize(("line", "member_id", "reason"), NAMED_ROWS)
def test_unreadable_rows_name_their_member_when_they_show_one(
    line: str, member_id: str | None, reason: str
) -> None:
    _, rows = parse(SAMPLE + line + "\n")
    error = rows[1]
    assert isinstance(error, RowError)
    assert (error.line_no, error.member_id) == (9, member_id)
    assert reason in error.reason
    assert "8dg6AaIW" not in error.reason


def test_header_error_does_not_echo_a_data_row() -> None:
    data_only = SAMPLE.split(",,,,\n", 2)[2].split("\n", 1)[1]
    with pytest.raises(HashCsvFormatError) as caught:
        parse(data_only)
    assert "8dg6AaIWPfcLTQU7lb4H" not in str(caught.value)


def test_stream_is_lazy() -> None:
    pulled = 0

    def endless() -> Iterator[str]:
        nonlocal pulled
        for line in itertools.chain(
            SAMPLE.splitlines()[:7], (f"m{i},h,s,scrypt,p" for i in itertools.count())
        ):
            pulled += 1
            yield line

    params, rows = read_params_and_rows(endless())
    assert params == STYTCH
    assert pulled == 7  # only the preamble and header are read up front
    first = list(itertools.islice(rows, 1000))
    assert pulled == 1007
    assert first[-1] == ParsedRow("m999", "h", "s", "scrypt", "p", 1007)


def test_round_trips_the_emulated_export() -> None:
    written = [stytch_scrypt_row(f"member-{i}", f"pw{i}", "project-x", n=16) for i in range(3)]
    params = ScryptParams(1 << 14, 8, 2, 64)
    found_params, rows = parse(write_csv(written, params))
    assert found_params == params
    assert [(r.member_id, r.hash, r.salt) for r in rows if isinstance(r, ParsedRow)] == [
        (w["id"], w["hash"], w["salt"]) for w in written
    ]
