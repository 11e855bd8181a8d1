"""The baseline an import is compared with: the migration guide's loop, one request at a time.

For each member: create the user, then create the membership, through the
official ``workos`` SDK with its default settings and no concurrency. This is
what a hand-written migration script does; its speed is bounded by round trips.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workos import WorkOSClient
from workos.organization_membership import RoleSingle

from stytch2workos_emulators import defaults


@dataclass
class BaselineRun:
    members: int
    writes: int
    seconds: float

    @property
    def writes_per_second(self) -> float:
        return self.writes / self.seconds if self.seconds > 0 else 0.0


def sample_members(export_file: Path, count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first ``count`` active members with distinct addresses, and their organizations."""
    data = json.loads(export_file.read_text(encoding="utf-8"))
    seen: set[str] = set()
    members: list[dict[str, Any]] = []
    for member in data["members"]:
        email = str(member.get("email_address") or "").lower()
        if member.get("status") != "active" or not email or email in seen:
            continue
        seen.add(email)
        members.append(member)
        if len(members) == count:
            break
    wanted = {m["organization_id"] for m in members}
    orgs = [o for o in data["organizations"] if o["organization_id"] in wanted]
    return members, orgs


def _names(member: dict[str, Any]) -> tuple[str | None, str | None]:
    first, _, last = str(member.get("name") or "").strip().partition(" ")
    return first or None, last or None


def run_baseline(workos_url: str, members: list[dict[str, Any]], orgs: list[dict[str, Any]]) -> BaselineRun:
    """Create the organizations (not timed), then time the sequential per-member loop."""
    client = WorkOSClient(
        api_key=defaults.WORKOS_API_KEY, client_id=defaults.WORKOS_CLIENT_ID, base_url=workos_url
    )
    try:
        org_ids = {
            o["organization_id"]: client.organizations.create_organization(
                name=o["organization_name"], external_id=o["organization_id"]
            ).id
            for o in orgs
        }
        start = time.perf_counter()
        for member in members:
            first, last = _names(member)
            user = client.user_management.create_user(
                email=member["email_address"],
                first_name=first,
                last_name=last,
                email_verified=bool(member.get("email_address_verified")),
            )
            client.organization_membership.create_organization_membership(
                user_id=user.id,
                organization_id=org_ids[member["organization_id"]],
                role=RoleSingle(role_slug="member"),
            )
        seconds = time.perf_counter() - start
    finally:
        client.close()
    return BaselineRun(len(members), 2 * len(members), seconds)
