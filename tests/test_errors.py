"""Failures as shown to people: secrets removed, one bounded line."""

from __future__ import annotations

from stytch2workos.errors import REDACTED, Failure, clip, redact


def test_redact_removes_every_occurrence_longest_first() -> None:
    text = "key sk_test_abcdef, again sk_test_abcdef, prefix sk_test"
    assert (
        redact(text, ["sk_test", "sk_test_abcdef", ""])
        == f"key {REDACTED}, again {REDACTED}, prefix {REDACTED}"
    )
    # Values too short to be secrets are left alone rather than garbling the message.
    assert redact("a b c", ["a", "b"]) == "a b c"


def test_clip_makes_one_bounded_line() -> None:
    assert clip("  two\n  lines ") == "two lines"
    long = clip("x" * 1000)
    assert len(long) == 300 and long.endswith("…")


def test_a_redacted_failure_keeps_everything_but_the_secret() -> None:
    failure = Failure("WorkOS", 400, "invalid", "hash $scrypt$salt is bad", "req_1", 2.0)
    clean = failure.redacted(["$scrypt$salt"])
    assert clean == Failure("WorkOS", 400, "invalid", f"hash {REDACTED} is bad", "req_1", 2.0)
    assert "$scrypt$salt" not in clean.describe()
