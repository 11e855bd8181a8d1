"""Sync one record at a time: the webhook receiver's way into the sync engine
(:mod:`.sync`). Each call applies the CURRENT Stytch record of one member or organization
(read by the receiver, never an event's copy), through the same planning and writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from stytch2workos.destination.importer import ImportOptions
from stytch2workos.destination.sync import SyncEngine
from stytch2workos.plan import scoped_organizations
from stytch2workos.plan_sync import Change, Desired, desired_state, plan_changes
from stytch2workos.workspace import sync as store


class RecordSync:
    """Applies one member's or organization's current Stytch record through the engine.

    The rest of the person (their members in other organizations) comes from the latest
    snapshot; the baseline is updated as a refresh cycle would, so the next full sync finds
    nothing left to do. Safe to call from several threads: each entity's change is
    serialized by the engine, and every workspace access takes the workspace lock.
    """

    def __init__(self, engine: SyncEngine, passwords: Callable[[str], tuple[str, str] | None] | None = None):
        self.engine = engine
        self.ws, self.config = engine.ws, engine.config
        self.passwords = passwords
        self._create = threading.Lock()  # import's stages, one person or organization at a time

    def apply_member(self, member_id: str, record: dict[str, Any] | None) -> list[Change]:
        """Bring WorkOS in step with the member's current record (None: deleted in Stytch)."""
        from stytch2workos.transform.identity import email_key
        from stytch2workos.transform.records import plan_person

        snapshot = self.ws.require_snapshot()
        old = store.member_record(self.ws, snapshot, member_id)
        keys = {email_key(str(r["email_address"])) for r in (old, record) if r is not None}
        people = []
        rows: list[tuple[str, str, str]] = []
        for key in sorted(keys):
            group = [r for r in store.person_records(self.ws, snapshot, key) if r["member_id"] != member_id]
            if record is not None and email_key(str(record["email_address"])) == key:
                group.append(record)
            rows += [(str(r["member_id"]), str(r["organization_id"]), str(r.get("status"))) for r in group]
            if group:
                people.append(plan_person(group, self.config))
        if record is None:
            rows.append((member_id, str(old["organization_id"]) if old else "", "deleted"))
        desired = desired_state([], people, rows, self.config)
        members = {m for m, _, _ in rows}
        wanted = [("user", k) for k in keys] + [
            (kind, m) for m in members for kind in ("membership", "invitation")
        ]
        changes = plan_changes(store.baseline_of(self.ws, wanted), desired, self.config.sync.deleted_members)
        for change in changes:
            self.engine.apply(change)
        with self._create:
            importer = self._importer()
            org_ids = importer.ledger.done_ids("organization")
            for person in people:
                importer._person_task(person, org_ids)()
            self.engine.fill_baseline(desired)
        return changes

    def apply_organization(self, organization_id: str, record: dict[str, Any] | None) -> list[Change]:
        """Bring WorkOS in step with the organization's current record. An organization
        deleted in Stytch (None) is left in WorkOS: its members' deletions end their memberships."""
        if record is None:
            return []
        from stytch2workos.plan import domain_ownership
        from stytch2workos.plan_sync import org_values
        from stytch2workos.transform.records import org_request, slim_org

        snapshot = self.ws.require_snapshot()
        every = [o for o in scoped_organizations(self.ws.organizations(snapshot), None)]
        every = [o for o in every if o["organization_id"] != organization_id] + [slim_org(record)]
        req = org_request(record, self.config)
        domains = domain_ownership(every, self.config).domains[req.source_id]
        desired = Desired({("organization", organization_id): org_values(req.name, domains)})
        key = ("organization", organization_id)
        changes = plan_changes(store.baseline_of(self.ws, [key]), desired)
        for change in changes:
            self.engine.apply(change)
        if store.ledger_target(self.ws, "organization", organization_id) is None:
            with self._create:
                self._importer().import_organizations([slim_org(record)], every)
                self.engine.fill_baseline(desired)
        return changes

    def _importer(self) -> Any:
        from stytch2workos.destination.importer import Importer

        engine = self.engine
        return Importer(self.ws, engine.target, self.config, ImportOptions(), engine.progress, self.passwords)
