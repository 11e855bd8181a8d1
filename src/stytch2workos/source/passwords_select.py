"""One hash per person: choosing among a person's member hashes.

WorkOS has one user (one password) per email address, while Stytch keeps a
password per member, so a person in several organizations may arrive with
several hashes. The choice is ``transform.passwords.pick_hash`` under the
configured ``[passwords] conflict_rule``; this module feeds it the candidates
the workspace reads, page by page, so memory stays flat, and hands the losers
back to be marked.
"""

from __future__ import annotations

from datetime import datetime

from stytch2workos.transform.passwords import HashCandidate, PickRule, pick_hash
from stytch2workos.workspace.hashes import CandidateRow, HashStore

PAGE = 500


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _candidates(rows: list[CandidateRow], org_created: dict[str, str]) -> list[HashCandidate]:
    """One person's candidates, oldest organization first (ties: organization id, member id)."""
    ordered = sorted(
        rows,
        key=lambda row: (org_created.get(row.organization_id) or "~", row.organization_id, row.member_id),
    )
    return [
        HashCandidate(
            row.member_id,
            row.organization_id,
            row.workos_hash,
            _moment(row.updated_at),
            _moment(org_created.get(row.organization_id)),
            row.member_status == "active",
        )
        for row in ordered
    ]


def select_hashes(store: HashStore, snapshot: int, rule: PickRule) -> None:
    """Leave one hash per person ``selected``; mark the others ``superseded``.

    Runs inside the caller's transaction, after every usable row was stored as
    ``selected``; only people with several such rows are visited. Candidates are
    ordered by the organization's creation, so ties (and ``first_org`` without
    dates) go to the oldest organization.
    """
    superseded = f"another organization's password was kept for this person ({rule} rule)"
    org_created = store.organization_created(snapshot)
    for people in store.contested(snapshot, PAGE):
        others: list[str] = []
        for rows in people:
            candidates = _candidates(rows, org_created)
            pick = pick_hash(candidates, rule).chosen
            others += [c.member_id for c in candidates if c.member_id != pick.member_id]
        store.supersede(others, superseded)
