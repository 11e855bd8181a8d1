"""The plan's notes on people and organizations WorkOS cannot take whole.

Pure: :class:`MemberNotes` gathers, while the plan counts, the metadata keys WorkOS
cannot take (:mod:`.transform.metadata`) and the members that Stytch marks in a
way WorkOS has no field for (locked, break-glass, retired addresses), and returns
them as problems, plain tuples for :mod:`.plan` to add (as :mod:`.plan_roles` does).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.transform.metadata import LeftOut
from stytch2workos.transform.records import Special

# (code, severity, message, count, examples): what plan.Problem is built from.
MemberProblem = tuple[str, Literal["blocking", "warning", "info"], str, int, list[str]]

_SPECIAL: dict[str, tuple[str, Literal["warning", "info"], str]] = {
    "locked": (
        "locked_members",
        "info",
        "members locked in Stytch (is_locked, e.g. after repeated failed sign-ins; the lock expires at "
        "lock_expires_at): they are migrated, and WorkOS has no per-user lock, so they can sign in after "
        "cutover; block them in your app if the lock must hold",
    ),
    "breakglass": (
        "breakglass_members",
        "warning",
        "break-glass members (is_breakglass) may sign in past their organization's allowed methods in "
        "Stytch, e.g. without SSO; WorkOS has no such flag: give each a way in that the WorkOS environment "
        "allows (a password, Magic Auth) before cutover, or they depend on SSO like everyone else",
    ),
}
# Examples kept while counting; the plan shows the first five, sorted.
_KEEP = 50


def _examples(items: list[str], limit: int = 5) -> list[str]:
    return sorted(set(items))[:limit]


@dataclass
class MemberNotes:
    """Metadata left out and special members, gathered while the plan counts."""

    metadata_records: int = 0
    metadata_reasons: Counter[str] = field(default_factory=Counter)
    metadata_examples: list[str] = field(default_factory=list)
    members: Counter[str] = field(default_factory=Counter)  # kind → members
    people: dict[str, list[str]] = field(default_factory=dict)  # kind → emails, for examples
    retired_addresses: int = 0

    def metadata(self, record: str, left: tuple[LeftOut, ...]) -> None:
        """Note what one user or organization (``record``: its email or name) cannot carry."""
        if not left:
            return
        self.metadata_records += 1
        self.metadata_reasons.update(x.reason for x in left)
        if len(self.metadata_examples) < _KEEP:
            # Key names come from the data: clipped, so a key of any length cannot flood the terminal.
            self.metadata_examples += [f"{record}: {x.key[:60]} ({x.reason})" for x in left[:2]]

    def special(self, person: str, special: tuple[Special, ...]) -> None:
        """Note one person's locked, break-glass and retired-address members."""
        for s in special:
            self.members[s.kind] += 1
            kept = self.people.setdefault(s.kind, [])
            if len(kept) < _KEEP:
                kept.append(person)
            if s.kind == "retired_emails":
                self.retired_addresses += s.count

    def problems(self, config: MigrationConfig) -> list[MemberProblem]:
        found: list[MemberProblem] = []
        if self.metadata_records:
            reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(self.metadata_reasons.items()))
            found.append(
                (
                    "metadata_not_carried",
                    "warning",
                    "users and organizations with Stytch metadata keys WorkOS cannot take (at most 50 "
                    "keys, keys of 40 and values of 600 characters), or keys that clash; the rest of their "
                    f"metadata is carried ({reasons} keys). `stytch2workos readiness` lists every key left "
                    "out in metadata-not-carried.csv; [metadata] in migration.toml chooses the keys",
                    self.metadata_records,
                    _examples(self.metadata_examples),
                )
            )
        for kind, (code, severity, message) in _SPECIAL.items():
            if self.members[kind]:
                found.append((code, severity, message, self.members[kind], _examples(self.people[kind])))
        if self.members["retired_emails"]:
            carried = (
                "they are carried as a JSON list in the user's metadata key stytch_retired_emails"
                if config.metadata.retired_emails
                else "they are left behind unless [metadata] retired_emails = true carries them in the "
                "user's metadata (key stytch_retired_emails)"
            )
            found.append(
                (
                    "retired_email_addresses",
                    "info",
                    f"members with retired email addresses ({self.retired_addresses:,} addresses): a WorkOS "
                    f"user has one email address; {carried}",
                    self.members["retired_emails"],
                    _examples(self.people["retired_emails"]),
                )
            )
        return found
