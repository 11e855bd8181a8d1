from __future__ import annotations

import pytest

from stytch2workos.transform.identity import email_key, is_valid_email, split_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", (None, None)),
        ("   ", (None, None)),
        ("Cher", ("Cher", None)),
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("Mary Ann  Evans", ("Mary Ann", "Evans")),
        ("José María de la Cruz", ("José María", "de la Cruz")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("李小龙", ("李小龙", None)),
        ("Zoë Ångström", ("Zoë", "Ångström")),
    ],
)
def test_split_name(name: str, expected: tuple[str | None, str | None]) -> None:
    assert split_name(name) == expected


@pytest.mark.parametrize(
    ("email", "key"), [("Ada@Example.COM", "ada@example.com"), ("  bob@example.org ", "bob@example.org")]
)
def test_email_key(email: str, key: str) -> None:
    assert email_key(email) == key


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("a@example.com", True),
        ("a@b", False),
        ("no-at.example.com", False),
        ("a b@example.com", False),
        ("", False),
    ],
)
def test_is_valid_email(email: str, ok: bool) -> None:
    assert is_valid_email(email) is ok
