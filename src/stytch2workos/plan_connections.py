"""The plan's SSO part: which connections import creates, reuses, hands off or skips, and why.

Pure: the CLI passes in the decisions (:func:`..transform.connections.decide_all`),
the organizations' names and what the ledger says already happened; this returns a
value. Import decides the same way, so the plan shows what import does.

Whether WorkOS's Create Connection API is on is not something any read tells: the
plan says so once, up front. When an earlier import met the 404 (or a create went
through), the plan says that instead, with when.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stytch2workos.transform.connections import (
    API_UNAVAILABLE,
    NOTE_ATTRIBUTES,
    NOTE_ENCRYPTION,
    NOTE_IDP_INITIATED,
    NOTE_PROXIED_ACS,
    NOTE_SCOPES,
    REASONS,
    Decision,
)

NOTE_ROLE_RULES = "role_rules"
NOTES: dict[str, str] = {
    NOTE_ENCRYPTION: "connections whose IdP encrypts assertions: the customer's admin installs WorkOS's "
    "encryption certificate (it is in their packet)",
    NOTE_IDP_INITIATED: "connections that allowed IdP-initiated sign-in in Stytch: WorkOS has no API for "
    "it; switch it on for each in the WorkOS Dashboard",
    NOTE_PROXIED_ACS: "connections whose IdP posts to your own alternative ACS URL: the URL is kept; "
    "forward it to the WorkOS callback URL (`stytch2workos packets` lists each)",
    NOTE_ATTRIBUTES: "connections mapping attributes WorkOS has no standard field for; define them as "
    "custom attributes in the WorkOS Dashboard if your application reads them",
    NOTE_SCOPES: "OIDC connections with custom scopes: WorkOS takes no scopes, it reads the IdP's "
    "discovery document",
    NOTE_ROLE_RULES: "group and connection role rules (WorkOS has no API for them): each is listed in the "
    "organization's packet, to set up again in the Admin Portal or the WorkOS Dashboard",
}
_DONE = ("created", "reused", "recovered")


@dataclass(frozen=True)
class LedgerFact:
    """What the ledger says about one connection: status, code and when."""

    status: str
    code: str | None
    updated_at: str


@dataclass
class ConnectionPlan:
    create: int = 0
    reuse: int = 0
    handoff: Counter[str] = field(default_factory=Counter)
    skip: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    note_examples: dict[str, list[str]] = field(default_factory=dict)
    api: str = "unknown"  # unknown | available | unavailable
    api_message: str = ""
    per_organization: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.create + self.reuse + sum(self.handoff.values()) + sum(self.skip.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "create": self.create,
            "reuse": self.reuse,
            "handoff": dict(self.handoff),
            "skip": dict(self.skip),
            "api": self.api,
            "api_message": self.api_message,
            "notes": [
                {"code": c, "count": n, "message": NOTES[c], "examples": self.note_examples.get(c, [])}
                for c, n in sorted(self.notes.items())
            ],
            "reasons": {
                code: REASONS[code] for code in sorted({*self.handoff, *self.skip}) if code in REASONS
            },
            "per_organization": self.per_organization,
        }


def _api(facts: Mapping[tuple[str, str], LedgerFact], creates: int) -> tuple[str, str]:
    rows = [f for (kind, _), f in facts.items() if kind == "connection"]
    off = max((f.updated_at for f in rows if f.code == API_UNAVAILABLE), default="")
    on = max((f.updated_at for f in rows if f.status in _DONE), default="")
    if off > on:
        return "unavailable", (
            f"the last import ({off}) found WorkOS's Create Connection API off (POST /connections "
            f"answered 404): unless WorkOS support has enabled it since, the {creates:,} connection(s) "
            "below go to the Admin Portal handoff instead; import tries once more each run"
        )
    if on:
        return "available", f"WorkOS accepted POST /connections (last at {on})"
    return "unknown", (
        f"import creates {creates:,} connection(s) with POST /connections, which WorkOS enables per "
        "environment and no read shows: if WorkOS answers 404, import sends every connection to the "
        f"Admin Portal handoff instead (reason {API_UNAVAILABLE}) and sends nothing more"
    )


def plan_connections(
    decisions: Sequence[Decision],
    org_names: Mapping[str, str],
    facts: Mapping[tuple[str, str], LedgerFact],
) -> ConnectionPlan:
    """Create, reuse, handoff and skip counts, overall and per organization, with the notes."""
    plan = ConnectionPlan()
    rows: dict[str, dict[str, Any]] = {}
    for d in decisions:
        org = d.facts.organization_id
        row = rows.setdefault(
            org,
            {
                "organization_id": org,
                "name": org_names.get(org, ""),
                "create": 0,
                "reuse": 0,
                "handoff": [],
                "skip": [],
            },
        )
        fact = facts.get((d.ledger_kind, d.source_id))
        if d.request is not None:
            done = fact is not None and fact.status in _DONE
            plan.reuse += done
            plan.create += not done
            row["reuse" if done else "create"] += 1
        elif d.action == "handoff":
            plan.handoff[d.reason or ""] += 1
            row["handoff"].append({"connection_id": d.source_id, "kind": d.facts.kind, "reason": d.reason})
        else:
            plan.skip[d.reason or ""] += 1
            row["skip"].append({"connection_id": d.source_id, "kind": d.facts.kind, "reason": d.reason})
        if d.action == "skip":
            continue
        for note in d.facts.notes:
            plan.notes[note] += 1
            plan.note_examples.setdefault(note, [])
            if len(plan.note_examples[note]) < 5:
                example = ", ".join(d.facts.not_carried) if note == NOTE_ATTRIBUTES else d.source_id
                plan.note_examples[note].append(example)
        if d.facts.role_rules:
            plan.notes[NOTE_ROLE_RULES] += len(d.facts.role_rules)
    plan.per_organization = sorted(rows.values(), key=lambda r: (r["name"], r["organization_id"]))
    plan.api, plan.api_message = _api(facts, plan.create)
    return plan
