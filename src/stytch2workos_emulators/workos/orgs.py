"""``/organizations``: create, get, get by external id, list, update (PUT), delete."""

from __future__ import annotations

import re
import secrets
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import (
    body_of,
    external_id,
    fail,
    field_error,
    flag,
    metadata,
    not_found,
    text,
)
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Domain, Organization, organization_json
from stytch2workos_emulators.workos.state import EMPTY, State

DOMAIN_STATES = ("pending", "verified")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# WorkOS refuses to attach common consumer mail domains to an organization.
CONSUMER_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
        "yandex.com",
        "zoho.com",
    }
)


def requested_domains(body: dict[str, Any]) -> list[tuple[str, str]] | None:
    """``domain_data`` (or the deprecated ``domains``) as (domain, state), or None if absent."""
    pairs: list[tuple[str, str]] = []
    if body.get("domain_data") is not None:
        data = body["domain_data"]
        if not isinstance(data, list):
            field_error("domain_data", "domain_data_array_required", "domain_data must be an array.")
        for item in data:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("domain"), str)
                or item.get("state") not in DOMAIN_STATES
            ):
                field_error(
                    "domain_data",
                    "invalid_domain_data",
                    "Each domain_data entry needs a domain and a state of pending or verified.",
                )
            pairs.append((item["domain"], item["state"]))
    elif body.get("domains") is not None:
        raw = body["domains"]
        if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
            field_error("domains", "domains_array_required", "domains must be an array of strings.")
        pairs = [(d, "pending") for d in raw]
    else:
        return None
    wanted: dict[str, str] = {}
    for raw_domain, state in pairs:
        domain = raw_domain.strip().lower()
        if not _DOMAIN.fullmatch(domain):
            field_error("domain_data", "invalid_domain", f"'{raw_domain}' is not a valid domain.")
        if domain in CONSUMER_DOMAINS:
            field_error(
                "domain_data",
                "consumer_domain_not_allowed",
                f"'{domain}' is a consumer email domain and cannot belong to an organization.",
            )
        # A domain listed twice keeps the stronger state.
        if wanted.get(domain) != "verified":
            wanted[domain] = state
    return list(wanted.items())


class OrganizationsAPI:
    """Handlers for the organization endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/organizations", self.list),
            ("POST", "/organizations", self.create),
            ("GET", "/organizations/external_id/{external_id}", self.get_by_external_id),
            ("GET", "/organizations/{id}", self.get),
            ("PUT", "/organizations/{id}", self.update),
            ("DELETE", "/organizations/{id}", self.delete),
        ]

    def _org(self, org_id: str) -> Organization:
        org = self.state.orgs.get(org_id)
        if org is None:
            not_found("Organization", org_id)
        return org

    def _check_external_id(self, value: str | None, org_id: str | None) -> None:
        owner = self.state.org_by_external_id.get(value) if value is not None else None
        if owner is not None and owner != org_id:
            fail(
                400,
                "external_id_already_used",
                f"An organization with external_id '{value}' already exists.",
            )

    def _domains(self, org: Organization, wanted: list[tuple[str, str]], now: str) -> list[Domain]:
        """The organization's new domain set; 409 for a domain another org has verified."""
        for domain, state in wanted:
            owner = self.state.verified_domain_owner.get(domain)
            if state == "verified" and owner is not None and owner != org.id:
                fail(
                    409,
                    "domain_already_verified",
                    f"Domain '{domain}' is already verified by another organization.",
                )
        current = {d.domain: d for d in org.domains}
        result: list[Domain] = []
        for domain, state in wanted:
            existing = current.get(domain)
            if existing is not None:
                if existing.state != state:
                    existing.state, existing.updated_at = state, now
                result.append(existing)
            else:
                domain_id = self.state.ids.new_id("org_domain")
                token = secrets.token_urlsafe(18)
                result.append(Domain(domain_id, org.id, domain, state, token, now, now))
        return result

    def create(self, request: Request) -> Response:
        body = body_of(request)
        name = text(body, "name", required=True)
        assert name is not None
        allow = flag(body, "allow_profiles_outside_organization")
        ext = external_id(body)
        wanted = requested_domains(body)
        meta = metadata(body)
        self._check_external_id(ext, None)
        org_id, now = self.state.ids.stamp("org")
        org = Organization(org_id, name, now, now, ext, meta)
        org.allow_profiles_outside_organization = bool(allow)
        if wanted:
            org.domains = self._domains(org, wanted, now)
        self.state.add_org(org)
        return Response(201, organization_json(org))

    def get(self, request: Request) -> Response:
        return Response(200, organization_json(self._org(request.params["id"])))

    def get_by_external_id(self, request: Request) -> Response:
        ext = request.params["external_id"]
        org_id = self.state.org_by_external_id.get(ext)
        if org_id is None:
            not_found("Organization", ext)
        return Response(200, organization_json(self.state.orgs.by_id[org_id]))

    def list(self, request: Request) -> Response:
        domains = [d.strip().lower() for d in request.q_list("domains")]
        search = (request.q("search") or "").strip().lower()
        keys = None
        if domains:
            found = (self.state.orgs_by_domain.get(domain, EMPTY) for domain in domains)
            keys = self.state.orgs.keys_for(org_id for index in found for org_id in index)
        keep = (lambda org: search in org.name.lower()) if search else None
        return Response(200, list_page(request, self.state.orgs, organization_json, keys, keep))

    def update(self, request: Request) -> Response:
        org = self._org(request.params["id"])
        body = body_of(request)
        name = text(body, "name")
        if name is not None and not name.strip():
            field_error("name", "name_string_required", "name must be a non-empty string.")
        allow = flag(body, "allow_profiles_outside_organization")
        stripe = text(body, "stripe_customer_id")
        ext = external_id(body) if "external_id" in body else org.external_id
        wanted = requested_domains(body)
        meta = metadata(body) if "metadata" in body else org.metadata
        self._check_external_id(ext, org.id)
        stripe_owner = self.state.org_by_stripe_id.get(stripe) if stripe else None
        if stripe_owner is not None and stripe_owner != org.id:
            fail(
                400,
                "stripe_customer_id_already_used",
                f"Stripe customer '{stripe}' already belongs to another organization.",
            )
        now = self.state.ids.now()
        domains = self._domains(org, wanted, now) if wanted is not None else org.domains
        with self.state.reindexing(org):
            org.name = name if name is not None else org.name
            if allow is not None:
                org.allow_profiles_outside_organization = allow
            org.stripe_customer_id = stripe if stripe is not None else org.stripe_customer_id
            org.external_id, org.metadata, org.domains = ext, meta, domains
            org.updated_at = now
        return Response(200, organization_json(org))

    def delete(self, request: Request) -> Response:
        self.state.remove_org(self._org(request.params["id"]))
        return Response(200)
