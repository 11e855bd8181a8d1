"""Streaming reader for {"organizations", "members"} files, at every buffer boundary."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stytch2workos.errors import InputError
from stytch2workos.source import jsonfile

DATA = {
    "exported_at": {"nested": [1, 2, {"x": "y"}]},
    "organizations": [
        {"organization_id": "organization-test-1", "organization_name": 'Zoë\'s "Co"', "n": 12345},
        {"organization_id": "organization-test-2", "organization_name": "李", "n": -1.5e3},
    ],
    "members": [
        {
            "member_id": f"member-test-{i}",
            "organization_id": "organization-test-1",
            "email_address": f"p{i}@x.example",
        }
        for i in range(50)
    ],
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_reads_every_item_whatever_the_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, indent: int | None
) -> None:
    monkeypatch.setattr(jsonfile, "CHUNK", chunk)
    path = tmp_path / "export.json"
    text = json.dumps(DATA, indent=indent, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    with jsonfile.ExportFile(path) as export:
        items = list(export.items())
        # The file's identity is taken on the way: no second read.
        assert export.bytes_read == export.size == path.stat().st_size
        assert export.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [i.value for i in items if i.kind == "organization"] == DATA["organizations"]
    assert [i.value for i in items if i.kind == "member"] == DATA["members"]
    # The text handed back is the object as the file holds it, at the position given.
    for item in items:
        assert text[item.position : item.position + len(item.text)] == item.text
        assert json.loads(item.text) == item.value


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DATA).encode())
    items = list(jsonfile.read_export(path))
    assert len(items) == 52
    assert items[0].position == json.dumps(DATA).index('{"organization_id"')


def test_items_that_are_not_records_are_handed_on(tmp_path: Path) -> None:
    # Whether an item is a usable record is the validator's call, not the file reader's.
    path = tmp_path / "odd.json"
    path.write_text('{"organizations": [1, {"organization_id": 5}], "members": [null, "x"]}')
    assert [(i.kind, i.value) for i in jsonfile.read_export(path)] == [
        ("organization", 1),
        ("organization", {"organization_id": 5}),
        ("member", None),
        ("member", "x"),
    ]


def test_prefix_digest(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"0123456789" * 1000)
    for length in (0, 1, 9999, 10_000, 20_000):
        expected = hashlib.sha256(path.read_bytes()[:length]).hexdigest()
        assert jsonfile.prefix_sha256(path, length) == expected


DEEP = '{"organizations": [], "members": [' + "[" * 100_000 + "]" * 100_000 + "]}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected '{'"),
        ("[]", "expected '{'"),
        ("{}", 'no "organizations" and no "members"'),
        ('{"members": []}', 'no "organizations" array near character 15'),
        ('{"organizations": []}', 'no "members" array'),
        ('{"x": 1}', 'no "organizations" array and no "members" array'),
        ('{"organizations": [], "members": [], "organizations": []}', 'key "organizations" appears twice'),
        ('{"a": 1, "organizations": [], "members": [], "a": 2}', 'key "a" appears twice'),
        ('{"organizations": [{"organization_id": "o"} {"organization_id": "p"}]}', "expected ','"),
        ('{"organizations": [{"organization_id": "o"', "malformed JSON"),
        ('{"organizations": [], "members": []} trailing', "more text after the end of the JSON object"),
        ('{"organizations": [{"organization_id": "o", }]}', "malformed JSON"),
        ('{"organizations": {}, "members": []}', "expected '['"),
        ("{1: 2}", "expected a key"),
        (
            '{"organizations": [{"n": NaN}], "members": []}',
            "NaN is not a JSON value (JSON numbers are finite) near character 19",
        ),
        ('{"organizations": [], "members": [{"v": Infinity}]}', "Infinity is not a JSON value"),
        ('{"organizations": [], "members": [{"v": -Infinity}]}', "-Infinity is not a JSON value"),
        ('{"organizations": [], "members": [{"v": ' + "9" * 5000 + "}]}", "too many digits"),
        (DEEP, "nested too deeply to read near character 34"),
    ],
)
@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_malformed_files_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str, chunk: int
) -> None:
    monkeypatch.setattr(jsonfile, "CHUNK", chunk)
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json") as info:
        list(jsonfile.read_export(path))
    assert message in str(info.value)
    assert "near character" in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(jsonfile.read_export(tmp_path / "absent.json"))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"organizations": ["\xff\xfe"]}')
    with pytest.raises(InputError, match="not UTF-8 text near byte 20"):
        list(jsonfile.read_export(binary))
    cut = tmp_path / "cut.json"
    cut.write_bytes('{"organizations": ["é'.encode()[:-1])
    with pytest.raises(InputError, match="not UTF-8 text near byte 20"):
        list(jsonfile.read_export(cut))
