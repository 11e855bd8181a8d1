"""``/directories``: list, get and delete. WorkOS has no API that creates a directory.

A customer's IT admin makes one through the Admin Portal (``dsync`` intent) or the
Dashboard; here a directory comes from the seed, or from the control action that
plays the customer finishing setup (:func:`new_directory`). States are the API's
``linked | validating | invalid_credentials | unlinked | deleting``.
"""

from __future__ import annotations

import secrets

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import not_found
from stytch2workos_emulators.workos.events import directory_deleted
from stytch2workos_emulators.workos.handoff_models import Directory, directory_json
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.state import State

DIRECTORY_STATES = ("linked", "validating", "invalid_credentials", "unlinked", "deleting")
# The SDK's DirectoryType enum.
DIRECTORY_TYPES = frozenset(
    {
        "azure scim v2.0", "bamboohr", "breathe hr", "cezanne hr", "cyberark scim v2.0", "fourth hr",
        "generic scim v2.0", "gsuite directory", "gusto", "hibob", "jump cloud scim v2.0",
        "okta scim v2.0", "onelogin scim v2.0", "people hr", "personio", "pingfederate scim v2.0",
        "rippling scim v2.0", "rippling", "sailpoint scim v2.0", "s3", "sftp", "sftp workday", "workday",
    }
)  # fmt: skip


def external_key() -> str:
    """A WorkOS-style external key: short, random, URL-safe."""
    return secrets.token_urlsafe(12).replace("-", "a").replace("_", "b")


def new_directory(
    state: State,
    organization_id: str,
    *,
    name: str | None = None,
    directory_type: str = "generic scim v2.0",
    directory_state: str = "unlinked",
    directory_id: str | None = None,
    created_at: str | None = None,
) -> Directory:
    """Make and store a directory for an existing organization (ValueError on bad values)."""
    org = state.orgs.get(organization_id)
    if org is None:
        raise ValueError(f"directory names an unknown organization {organization_id}")
    if directory_type not in DIRECTORY_TYPES:
        raise ValueError(f"unknown directory type {directory_type!r}")
    if directory_state not in DIRECTORY_STATES:
        raise ValueError(f"directory state must be one of: {', '.join(DIRECTORY_STATES)}")
    new_id, now = state.ids.stamp("directory")
    created = created_at or now
    d = Directory(
        directory_id or new_id,
        organization_id,
        name or org.name,
        directory_type,
        directory_state,
        external_key(),
        created,
        created,
        org.domains[0].domain if org.domains else None,
    )
    state.handoff.directories.add(d.id, d.created_at, d)
    return d


class DirectoriesAPI:
    """Handlers for the directory endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/directories", self.list),
            ("GET", "/directories/{id}", self.get),
            ("DELETE", "/directories/{id}", self.delete),
        ]

    def _directory(self, directory_id: str) -> Directory:
        d = self.state.handoff.directories.get(directory_id)
        if d is None:
            not_found("Directory", directory_id)
        return d

    def get(self, request: Request) -> Response:
        return Response(200, directory_json(self._directory(request.params["id"])))

    def list(self, request: Request) -> Response:
        state = self.state
        org_id = request.q("organization_id")
        search = (request.q("search") or "").lower()
        domain = (request.q("domain") or "").strip().lower()  # deprecated, still sent by the SDK
        owners = state.orgs_by_domain.get(domain) if domain else None

        def keep(d: Directory) -> bool:
            return (
                (org_id is None or d.organization_id == org_id)
                and search in d.name.lower()
                and (not domain or d.domain == domain or (owners is not None and d.organization_id in owners))
            )

        filtered = org_id is not None or bool(search) or bool(domain)
        page = list_page(request, state.handoff.directories, directory_json, None, keep if filtered else None)
        return Response(200, page)

    def delete(self, request: Request) -> Response:
        d = self._directory(request.params["id"])
        self.state.handoff.directories.remove(d.id)
        directory_deleted(self.state, d, "api")
        # Deleting is asynchronous at WorkOS (state "deleting"); the spec allows 202.
        return Response(202)
