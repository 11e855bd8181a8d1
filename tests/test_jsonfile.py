"""Streaming reader for {"organizations", "members"} files, at every buffer boundary."""

from __future__ import annotations

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
    path.write_text(json.dumps(DATA, indent=indent, ensure_ascii=False), encoding="utf-8")
    items = list(jsonfile.read_export(path))
    assert [i for k, i, _ in items if k == "organization"] == DATA["organizations"]
    assert [i for k, i, _ in items if k == "member"] == DATA["members"]
    # The text handed back is the object as the file holds it.
    assert [json.loads(t) for _, _, t in items] == DATA["organizations"] + DATA["members"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected '{'"),
        ("[]", "expected '{'"),
        ('{"members": []}', 'no "organizations"'),
        ('{"organizations": [1]}', "must be an object with organization_id"),
        ('{"organizations": [{"organization_id": 5}]}', "must be an object with organization_id"),
        ('{"organizations": [], "members": [{"member_id": "m"}]}', "organization_id"),
        ('{"organizations": [{"organization_id": "o"} {"organization_id": "p"}]}', "expected ','"),
        ('{"organizations": [{"organization_id": "o"', "malformed JSON"),
        ('{"organizations": []} trailing', "unexpected text"),
        ('{"organizations": [{"organization_id": "o", }]}', "malformed JSON"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json") as info:
        list(jsonfile.read_export(path))
    assert message in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        list(jsonfile.read_export(tmp_path / "absent.json"))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"organizations": ["\xff\xfe"]}')
    with pytest.raises(InputError, match="not UTF-8"):
        list(jsonfile.read_export(binary))
