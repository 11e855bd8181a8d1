"""The people behind a synthetic project's members: names, mailboxes, passwords, phones.

One person can be a member of several organizations (a consultant, or an employee of a
company with two Stytch organizations). Stytch keeps one Member per organization, and
the spelling of the address may differ between them (``Ada.L@x.example`` in one,
``ada.l@x.example`` in another); a person is identified by the lowercased address.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from stytch2workos_emulators.synth.vocab import (
    COMPOUND_GIVEN,
    FAMILY,
    GIVEN,
    MONONYMS,
    NON_ASCII_PASSWORD_WORDS,
    NON_LATIN,
    PARTICLE_FAMILY,
    PASSWORD_SYMBOLS,
    PASSWORD_WORDS,
    PLUS_TAGS,
    ROAMING_DOMAINS,
)

_PASSWORD_CHARS = string.ascii_letters + string.digits + PASSWORD_SYMBOLS


@dataclass(slots=True)
class Person:
    """Someone with one mailbox who may hold memberships in several organizations."""

    email: str  # spelled as first seen
    name: str
    short_name: str  # how the person appears where only a first name was entered
    domain: str
    orgs: set[str] = field(default_factory=set)
    password: str | None = None
    phone: str = ""
    oauth_subjects: dict[str, str] = field(default_factory=dict)


def _name(rng: random.Random) -> tuple[str, str, str, str]:
    """(display name, short name, ascii given, ascii family); the display may be empty."""
    roll = rng.random()
    given, given_ascii = rng.choice(GIVEN)
    family, family_ascii = rng.choice(FAMILY)
    if roll < 0.70:
        return f"{given} {family}", given, given_ascii, family_ascii
    if roll < 0.78:
        given, given_ascii = rng.choice(COMPOUND_GIVEN)
        family, family_ascii = rng.choice(PARTICLE_FAMILY)
        return f"{given} {family}", given, given_ascii, family_ascii
    if roll < 0.86:
        display, local = rng.choice(NON_LATIN)
        given_ascii, _, family_ascii = local.partition(".")
        return display, display, given_ascii, family_ascii
    if roll < 0.92:
        mononym, ascii_form = rng.choice(MONONYMS + GIVEN)
        return mononym, mononym, ascii_form, ""
    if roll < 0.97:
        return "", "", given_ascii, family_ascii
    return f"{given} {family[0]}.", given, given_ascii, family_ascii


def _local_part(rng: random.Random, given: str, family: str) -> str:
    if not family:
        return given if rng.random() < 0.5 else f"{given}{rng.randint(1, 99)}"
    roll = rng.random()
    if roll < 0.45:
        local = f"{given}.{family}"
    elif roll < 0.65:
        local = f"{given[0]}{family}"
    elif roll < 0.75:
        local = f"{given}_{family}"
    elif roll < 0.87:
        local = f"{given}.{family[0]}"
    elif roll < 0.93:
        local = f"{given}.{family}+{rng.choice(PLUS_TAGS)}"
    else:
        local = f"{given}{family}{rng.randint(1, 99)}"
    roll = rng.random()
    if roll < 0.1:
        # Some directories store addresses as "First.Last"; Stytch keeps the spelling.
        local = ".".join(part[:1].upper() + part[1:] for part in local.split("."))
    return local


def case_variant(rng: random.Random, email: str) -> str:
    """The same address spelled with different letter case (or unchanged, sometimes)."""
    local, _, domain = email.partition("@")
    roll = rng.random()
    if roll < 0.35:
        return email.lower()
    if roll < 0.7:
        return ".".join(part[:1].upper() + part[1:] for part in local.split(".")) + "@" + domain
    if roll < 0.85:
        return f"{local}@{domain.upper()}"
    return email


class People:
    """Everyone created so far, indexed so organizations can draw existing people."""

    def __init__(self) -> None:
        self.by_domain: dict[str, list[Person]] = {}
        self.roaming: list[Person] = []
        self._emails: set[str] = set()

    def create(self, rng: random.Random, domains: tuple[str, ...]) -> Person:
        """A new person, usually with a mailbox at one of ``domains``, else a roaming one."""
        roaming = not domains or rng.random() < 0.07
        domain = rng.choice(ROAMING_DOMAINS) if roaming else rng.choice(domains)
        display, short, given, family = _name(rng)
        local = _local_part(rng, given, family)
        email = f"{local}@{domain}"
        if rng.random() < 0.03:
            email = f"{local}@{domain.upper()}"
        n = 2
        while email.lower() in self._emails:
            email = f"{local}{n}@{domain}"
            n += 1
        self._emails.add(email.lower())
        person = Person(email, display, short, domain)
        if roaming:
            self.roaming.append(person)
        else:
            self.by_domain.setdefault(domain, []).append(person)
        return person

    def existing(self, rng: random.Random, organization_id: str, domains: tuple[str, ...]) -> Person | None:
        """Someone already in another organization who could also join this one, if any."""
        pools = [self.by_domain[d] for d in domains if d in self.by_domain]
        if self.roaming:
            pools.append(self.roaming)
        if not pools:
            return None
        for _ in range(3):
            person = rng.choice(rng.choice(pools))
            if organization_id not in person.orgs:
                return person
        return None


def make_password(rng: random.Random) -> str:
    """A plausible user-chosen password: ASCII, passphrases, non-ASCII, long, decomposed."""
    roll = rng.random()
    digits = str(rng.randint(0, 9999))
    if roll < 0.35:
        return rng.choice(PASSWORD_WORDS).capitalize() + digits + rng.choice(PASSWORD_SYMBOLS)
    if roll < 0.55:
        return rng.choice(("-", " ", ".")).join(rng.choices(PASSWORD_WORDS, k=4))
    if roll < 0.75:
        return "".join(rng.choices(_PASSWORD_CHARS, k=rng.randint(12, 24)))
    if roll < 0.88:
        words = rng.choices(NON_ASCII_PASSWORD_WORDS, k=rng.randint(2, 3))
        return "-".join([*words, rng.choice(PASSWORD_WORDS)]) + digits
    if roll < 0.95:
        # Longer than bcrypt's 72-byte input limit, which matters when rehashing.
        return " ".join(rng.choices(PASSWORD_WORDS, k=rng.randint(12, 18))) + digits
    # "é" as "e" + combining accent: the same-looking password in another normal form.
    return f"{rng.choice(PASSWORD_WORDS).capitalize()}-Cafe\u0301-{digits}"


def make_phone(rng: random.Random) -> str:
    """An E.164 number from ranges reserved for fiction (US 555, UK 07700 900xxx)."""
    if rng.random() < 0.8:
        return f"+1555{rng.randint(0, 9_999_999):07d}"
    return f"+447700900{rng.randint(0, 999):03d}"
