"""Pure rules about people: how emails compare, how names split."""

from __future__ import annotations

import re
import unicodedata

# Deliberately permissive: one @, a non-empty local part, a dotted domain, no spaces.
# WorkOS has the final word; this only catches what would certainly be refused.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def email_key(email: str) -> str:
    """The identity of an email address: trimmed and lower-cased, as WorkOS stores it."""
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email.strip()))


def split_name(name: str) -> tuple[str | None, str | None]:
    """Split Stytch's single ``name`` into WorkOS first and last names.

    One word is a first name; several words put the last word in the last name
    and the rest in the first name, keeping surname particles with the surname
    ("José María de la Cruz" → "José María", "de la Cruz"). Empty names give
    ``(None, None)`` rather than empty strings.
    """
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    # Surname particles ("de la Cruz", "van der Berg") belong to the last name.
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in _PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


_PARTICLES = frozenset(
    {
        "de",
        "del",
        "della",
        "der",
        "den",
        "di",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "van",
        "von",
        "y",
        "bin",
        "al",
    }
)
