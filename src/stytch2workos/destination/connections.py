"""Import's connection stage: recreate SSO connections in WorkOS; record the rest as handoffs.

Runs after organizations, one ledger row per Stytch connection (kind ``connection``)
and per SCIM connection (kind ``directory``):

* ``created`` / ``recovered`` with the WorkOS connection id, and what WorkOS answered
  (callback URLs, the SP entity id, public certificates) in the workspace for the
  customer's packet;
* ``handoff`` with a reason: the customer's IT admin sets it up through an Admin
  Portal link (a directory always: WorkOS has no API that creates one);
* ``skipped`` with a reason (a pending or inactive connection), or ``failed`` with
  WorkOS's code.

**The Create Connection API may be off.** WorkOS enables ``POST /connections`` per
environment and answers 404 where it is not ("…not enabled…"; WorkOS's own CLI looks
for that or "migration capabilities"). No read tells beforehand, so the first create
of a run goes out alone: if it meets that 404, it and every other connection go to
the handoff with reason ``connections_api_unavailable`` and nothing more is sent. A
later run tries once more (WorkOS may have enabled it since). Any other 404 (an
organization WorkOS does not know) is that connection's own failure.

**Idempotent.** The Stytch connection id is the ``external_id``: WorkOS documents that
a create whose external id matches a connection of the organization returns that
connection. After an unknown outcome (a lost or unreadable answer, or a run stopped
while the write was on the wire) the organization's connections are listed first and
the connection is looked for by external id when the list shows it, else by name and
type (``decide_all`` makes names unique per organization). Found, it is ``recovered``;
its details are then read with one more create of the same external id, which can
only return it (and if WorkOS answered another id, the row fails rather than guess).

**Secrets.** The body is built with the SDK's own request models and sent with
``request_raw``, because the SDK's ``Connection`` model drops what the packet needs
(``callback_endpoint``, ``saml_options``). The OIDC client secret is passed to
:meth:`WorkOSTarget.once` to be redacted from any error; only fields picked by
:func:`public_details` (URLs, ``BEGIN CERTIFICATE`` blocks) are kept from the answer.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from workos.sso import (
    CreateConnectionAttributeMaps,
    CreateConnectionOIDCOptions,
    CreateConnectionSAMLOptions,
    CreateConnectionStandardAttributes,
)

from stytch2workos.config import MigrationConfig
from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.errors import (
    AuthError,
    Failure,
    Refused,
    RetriesExhausted,
    Retryable,
    ServiceError,
    Unreadable,
)
from stytch2workos.progress import Progress
from stytch2workos.transform.connections import (
    API_UNAVAILABLE,
    REASONS,
    ConnectionRequest,
    Decision,
    OidcOptions,
    decide_all,
)
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.handoff import save_target
from stytch2workos.workspace.ledger import DONE, SENDING, UNKNOWN_OUTCOME, Ledger

_DISABLED = re.compile(r"not enabled|migration capabilit", re.IGNORECASE)
_CERT = "-----BEGIN CERTIFICATE-----"
HANDOFF = "handoff"


def connection_decisions(
    ws: Workspace, snapshot: int, config: MigrationConfig, organizations: set[str]
) -> list[Decision]:
    """The decision for every connection of these (Stytch) organizations in the snapshot."""
    found = decide_all(ws.connections(snapshot), config.connections)
    return [d for d in found if d.facts.organization_id in organizations]


def api_disabled(failure: Failure) -> bool:
    """Whether a refusal is WorkOS saying the Create Connection API is off here."""
    return failure.status == 404 and bool(_DISABLED.search(failure.message))


def create_body(req: ConnectionRequest, organization_id: str) -> dict[str, Any]:
    """The body ``sso.create_connection`` sends, built with the SDK's request models."""
    body: dict[str, Any] = {
        "organization_id": organization_id,
        "name": req.name,
        "external_id": req.external_id,
        "connection_type": req.connection_type,
    }
    a = req.attributes
    if a is not None:
        standard = CreateConnectionStandardAttributes(
            email=a.email, first_name=a.first_name, last_name=a.last_name, groups=a.groups, name=a.name
        )
        body["attribute_maps"] = CreateConnectionAttributeMaps(standard_attributes=standard).to_dict()
    o = req.options
    if isinstance(o, OidcOptions):
        body["oidc_options"] = CreateConnectionOIDCOptions(
            discovery_endpoint=o.discovery_endpoint, client_id=o.client_id, client_secret=o.client_secret
        ).to_dict()
    else:
        body["saml_options"] = CreateConnectionSAMLOptions(
            idp_entity_id=o.idp_entity_id,
            idp_sso_url=o.idp_sso_url,
            idp_signing_certs=list(o.idp_signing_certs) or None,
            sp_entity_id=o.sp_entity_id,
            acs_url=o.acs_url,
        ).to_dict()
    return body


def _url(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


def _cert(value: Any) -> str:
    return (
        value if isinstance(value, str) and value.strip().startswith(_CERT) and "PRIVATE" not in value else ""
    )


def public_details(answer: dict[str, Any]) -> dict[str, Any]:
    """What the customer's IdP takes from a create answer: URLs and public certificates only."""
    saml = answer.get("saml_options") if isinstance(answer.get("saml_options"), dict) else {}
    oidc = answer.get("oidc_options") if isinstance(answer.get("oidc_options"), dict) else {}
    assert isinstance(saml, dict) and isinstance(oidc, dict)
    details: dict[str, Any] = {
        "callback_url": _url(answer.get("callback_endpoint")),
        "connection_type": str(answer.get("connection_type") or ""),
        "state": str(answer.get("state") or ""),
    }
    if saml:
        encryption = saml.get("sp_encryption_certs")
        details.update(
            acs_url=_url(saml.get("acs_url")),
            sp_entity_id=str(saml.get("sp_entity_id") or ""),
            sp_metadata_url=_url(saml.get("sp_metadata_url")),
            sp_signing_cert=_cert(saml.get("sp_signing_cert")),
            sp_encryption_certs=[
                c for c in map(_cert, encryption if isinstance(encryption, list) else []) if c
            ],
        )
    if oidc:
        details["redirect_uri"] = _url(oidc.get("redirect_uri"))
    return details


class ConnectionStage:
    """Recreates one run's connections; records every decision in the ledger."""

    def __init__(
        self,
        ws: Workspace,
        target: WorkOSTarget,
        ledger: Ledger,
        pool: WorkerPool,
        progress: Progress,
        count: Callable[[str, str], None],
        retry_failed: bool = False,
    ) -> None:
        self.ws, self.target, self.ledger, self.pool = ws, target, ledger, pool
        self.progress, self.count, self.retry_failed = progress, count, retry_failed
        # None: nothing was sent this run; False: WorkOS answered that the API is off.
        self.api_available: bool | None = None
        self._api_lock = threading.Lock()

    def run(self, decisions: list[Decision], org_ids: dict[str, str]) -> None:
        """Settle every decision; ``org_ids`` maps Stytch organization ids to WorkOS ones."""
        self.progress.start("connections", len(decisions))
        creates: list[Decision] = []
        for d in decisions:
            if d.request is not None and self._todo(d):
                creates.append(d)
                continue
            if d.request is None:
                self._settle(d, HANDOFF if d.action == "handoff" else "skipped", d.reason or "")
            self.progress.advance("connections")
        if creates:
            # The first create alone: its answer says whether the API is on at all.
            self._create(creates[0], org_ids)
            self.progress.advance("connections")
        self.pool.run((self._task(d, org_ids) for d in creates[1:]), "connections")
        self.progress.finish("connections")

    def _task(self, d: Decision, org_ids: dict[str, str]) -> Callable[[], None]:
        return lambda: self._create(d, org_ids)

    def _todo(self, d: Decision) -> bool:
        entry = self.ledger.get(d.ledger_kind, d.source_id)
        if entry is None or entry.status not in (*DONE, "failed"):
            return True  # new, on the wire when a run stopped, or handed off / skipped before
        todo = entry.status == "failed" and self.retry_failed
        if not todo:
            self.count(d.ledger_kind, "unchanged")
        return todo

    def _settle(self, d: Decision, status: str, code: str) -> None:
        """Record a handoff or a skip, unless the ledger says exactly that (or it is done)."""
        entry = self.ledger.get(d.ledger_kind, d.source_id)
        if entry is not None and (entry.status in DONE or (entry.status, entry.code) == (status, code)):
            self.count(d.ledger_kind, "unchanged")
            return
        self.ledger.record(d.ledger_kind, d.source_id, status, code=code, detail=REASONS.get(code, code))
        self.count(d.ledger_kind, HANDOFF if status == HANDOFF else "skipped")

    def _create(self, d: Decision, org_ids: dict[str, str]) -> None:
        req = d.request
        assert req is not None
        kind = d.ledger_kind
        if self.api_available is False:
            self._settle(d, HANDOFF, API_UNAVAILABLE)
            return
        org_id = org_ids.get(req.organization_id)
        if org_id is None:
            detail = f"organization {req.organization_id} is not in WorkOS yet"
            self.ledger.record(kind, d.source_id, "failed", code="organization_not_imported", detail=detail)
            self.count(kind, "failed")
            return
        entry = self.ledger.get(kind, d.source_id)
        unknown = entry is not None and (entry.status == SENDING or entry.code in UNKNOWN_OUTCOME)
        self.ledger.mark_sending(kind, d.source_id)
        try:
            workos_id, status, details = self._ensure(req, org_id, unknown)
        except (AuthError, RetriesExhausted):
            raise
        except ServiceError as exc:
            if isinstance(exc, Refused) and api_disabled(exc.failure):
                with self._api_lock:
                    self.api_available = False
                # Recorded even when the row said so before: its time is when WorkOS last said it.
                seen = entry is not None and (entry.status, entry.code) == (HANDOFF, API_UNAVAILABLE)
                self.ledger.record(
                    kind, d.source_id, HANDOFF, code=API_UNAVAILABLE, detail=REASONS[API_UNAVAILABLE]
                )
                self.count(kind, "unchanged" if seen else HANDOFF)
                return
            self.ledger.record(
                kind, d.source_id, "failed", code=exc.failure.code, detail=exc.failure.describe()
            )
            self.count(kind, "failed")
            return
        with self._api_lock:
            self.api_available = True
        save_target(self.ws, d.source_id, workos_id, details)
        self.ledger.record(kind, d.source_id, status, workos_id)
        self.count(kind, status)

    # -- the write ---------------------------------------------------------------------

    def _post(self, req: ConnectionRequest, org_id: str) -> dict[str, Any]:
        body = create_body(req, org_id)
        client = self.target.client

        def send() -> dict[str, Any] | None:
            answer = client.request_raw("post", ("connections",), body=body)
            # An answer without an id is as unreadable as one the SDK cannot parse.
            return answer if isinstance(answer.get("id"), str) else None

        return self.target.once(send, req.secrets)

    def _ensure(self, req: ConnectionRequest, org_id: str, unknown: bool) -> tuple[str, str, dict[str, Any]]:
        """``(WorkOS id, created | recovered, public details)``; a refusal raises."""
        maybe_applied = unknown

        def attempt() -> tuple[str, str, dict[str, Any]]:
            nonlocal maybe_applied
            if maybe_applied:
                found = self._lookup(req, org_id)
                if found is not None:
                    return self._recovered(req, org_id, found)
            try:
                answer = self._post(req, org_id)
            except Retryable as exc:
                maybe_applied = maybe_applied or exc.failure.status != 429
                raise
            return str(answer["id"]), "created", public_details(answer)

        try:
            return self.target.pacer.call(attempt, *self.target.buckets("general"))
        except Unreadable as exc:
            found = self._lookup(req, org_id)
            if found is not None:
                return self._recovered(req, org_id, found)
            note = "; it is not in WorkOS afterwards, and nothing was sent again"
            raise Unreadable(replace(exc.failure, message=exc.failure.message + note)) from None

    def _recovered(self, req: ConnectionRequest, org_id: str, found: str) -> tuple[str, str, dict[str, Any]]:
        # The connection is there: a create with its external id returns it, with its details.
        answer = self.target.pacer.call(lambda: self._post(req, org_id), *self.target.buckets("general"))
        if answer["id"] != found:
            message = (
                f"WorkOS holds {found} for this connection but answered {answer['id']} to a repeat with "
                "the same external_id; delete the extra one in WorkOS, then run import --retry-failed"
            )
            raise Refused(Failure("WorkOS", None, "duplicate_connection", message), frozenset())
        return found, "recovered", public_details(answer)

    def _lookup(self, req: ConnectionRequest, org_id: str) -> str | None:
        """The organization's connection made from ``req``, if WorkOS has it."""
        client = self.target.client
        after: str | None = None
        by_name: str | None = None
        while True:
            params: dict[str, Any] = {"organization_id": org_id, "limit": 100, "order": "asc"}
            if after:
                params["after"] = after
            page = self.target.call(
                "general", functools.partial(client.request_raw, "get", ("connections",), params=params)
            )
            items = [c for c in page.get("data") or [] if isinstance(c, dict)]
            for c in items:
                if c.get("external_id") == req.external_id:
                    return str(c["id"])
                if "external_id" not in c and (c.get("name"), c.get("connection_type")) == (
                    req.name,
                    req.connection_type,
                ):
                    by_name = by_name or str(c["id"])
            meta = page.get("list_metadata") if isinstance(page.get("list_metadata"), dict) else {}
            after = meta.get("after") if isinstance(meta, dict) else None
            if not after or not items:
                return by_name
