"""The Stytch B2B emulator, driven through the official ``stytch`` SDK over loopback."""

from __future__ import annotations

import asyncio
import time
import urllib.error
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from stytch import B2BClient
from stytch.core.response_base import StytchError

from stytch2workos_emulators import defaults
from stytch2workos_emulators.stytch.records import assign_direct_roles
from stytch2workos_emulators.stytch.search import (
    SearchError,
    decode_cursor,
    encode_cursor,
    paginate,
    parse_limit,
    parse_query,
)
from stytch2workos_emulators.stytch.store import StytchStore

ACME = "organization-test-0a000000-0000-4000-8000-000000000001"
GLOBEX = "organization-test-0a000000-0000-4000-8000-000000000002"
INITECH = "organization-test-0a000000-0000-4000-8000-000000000003"
SAML_ID = "saml-connection-test-0b000000-0000-4000-8000-000000000001"
SCIM_ID = "scim-connection-test-0c000000-0000-4000-8000-000000000001"
# aiohttp 3.14 deprecates the ``auth=`` argument the SDK's async client passes on every call.
AIOHTTP_AUTH_WARNING = pytest.mark.filterwarnings(
    "ignore:The 'auth' parameter is deprecated:DeprecationWarning"
)
PEM = "-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----"


# -- seed builders ----------------------------------------------------------------------


def _org(org_id: str, name: str, slug: str, minute: int, **extra: Any) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "organization_name": name,
        "organization_slug": slug,
        "created_at": f"2024-01-01T00:{minute:02d}:00Z",
        **extra,
    }


def _member(org_id: str, n: int, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "member_id": f"member-test-0d000000-0000-4000-8000-{n:012d}",
        "email_address": email,
        "created_at": f"2024-02-01T00:00:{n:02d}Z",
        **extra,
    }


def small_seed() -> dict[str, Any]:
    """Three organizations, six members of every status, one of each connection type."""
    admin = [
        {"role_id": "stytch_member", "sources": [{"type": "direct_assignment", "details": {}}]},
        {"role_id": "stytch_admin", "sources": [{"type": "direct_assignment", "details": {}}]},
    ]
    editor = [{"role_id": "editor", "sources": [{"type": "direct_assignment", "details": {}}]}]
    return {
        "organizations": [
            _org(
                ACME,
                "Acme Corporation",
                "acme-co",
                1,
                email_allowed_domains=["acme.co"],
                claimed_email_domains=["acme.co"],
                organization_external_id="ext-acme",
                custom_roles=[
                    {
                        "role_id": "acme-auditor",
                        "description": "Reads everything",
                        "permissions": [{"resource_id": "documents", "actions": ["read"]}],
                    }
                ],
            ),
            _org(GLOBEX, "Globex", "globex", 2, email_allowed_domains=["globex.com"]),
            _org(INITECH, "Initech", "initech", 3, claimed_email_domains=["initech.io"]),
        ],
        "members": [
            _member(
                ACME,
                1,
                "ada@acme.co",
                roles=admin,
                member_password_id="member-password-test-1",
                mfa_phone_number="+15550000001",
                external_id="ada-ext",
            ),
            _member(ACME, 2, "bob@acme.co", status="invited"),
            _member(ACME, 3, "cy@acme.co", status="pending", is_breakglass=True),
            _member(ACME, 4, "dee@acme.co", status="deleted", email_address_verified=True),
            _member(GLOBEX, 5, "Ada@Acme.co"),
            _member(GLOBEX, 6, "eve@globex.com", roles=editor, mfa_phone_number="+15550000006"),
        ],
        "sso_connections": {
            ACME: {
                "saml_connections": [
                    {
                        "connection_id": SAML_ID,
                        "display_name": "Okta",
                        "identity_provider": "okta",
                        "idp_entity_id": "http://www.okta.example/exk1",
                        "idp_sso_url": "https://acme.okta.example/sso/saml",
                        "verification_certificates": [
                            {"certificate_id": "saml-verification-key-test-1", "certificate": PEM}
                        ],
                        "encryption_private_keys": [
                            {"private_key_id": "saml-encryption-key-test-1", "private_key": "KEY"}
                        ],
                        "saml_group_implicit_role_assignments": [{"role_id": "editor", "group": "editors"}],
                    }
                ],
                "oidc_connections": [
                    {
                        "connection_id": "oidc-connection-test-1",
                        "status": "pending",
                        "client_id": "client-1",
                        "client_secret": "not-a-real-secret",
                    }
                ],
                "external_connections": [
                    {
                        "connection_id": "external-connection-test-1",
                        "external_organization_id": GLOBEX,
                        "external_connection_id": "saml-connection-test-other",
                    }
                ],
            }
        },
        "scim_connections": {
            ACME: {"connection_id": SCIM_ID, "display_name": "Okta SCIM", "bearer_token_last_four": "abcd"}
        },
        "scim_groups": {
            ACME: [{"group_id": f"scim-group-{i}", "group_name": f"Group {i}"} for i in range(5)]
        },
    }


def bulk_seed(n_orgs: int, per_org: int) -> dict[str, Any]:
    """Many organizations and members; creation times tie on purpose (ids break ties)."""
    orgs = [_org(f"organization-test-bulk-{i:04d}", f"Bulk {i}", f"bulk-{i}", i % 7) for i in range(n_orgs)]
    members = [
        {
            "organization_id": orgs[i % n_orgs]["organization_id"],
            "member_id": f"member-test-bulk-{i:06d}",
            "email_address": f"user{i}@bulk{i % n_orgs}.example",
            "created_at": f"2024-03-01T00:00:{i % 13:02d}Z",
            "status": "deleted" if i % 5 == 0 else "active",
        }
        for i in range(n_orgs * per_org)
    ]
    return {"organizations": orgs, "members": members}


# -- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture
def client(stytch_emu: Any) -> B2BClient:
    return B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)


@pytest.fixture
def seeded(stytch_emu: Any, client: B2BClient) -> B2BClient:
    stytch_emu.control.seed(small_seed())
    return client


def _error(call: Callable[[], object]) -> Any:
    with pytest.raises(StytchError) as info:
        call()
    return info.value.details


def _query(*operands: tuple[str, Any], operator: str = "AND") -> dict[str, Any]:
    return {
        "operator": operator,
        "operands": [{"filter_name": n, "filter_value": v} for n, v in operands],
    }


def _all_orgs(client: B2BClient, limit: int, **kwargs: Any) -> Iterator[Any]:
    cursor = None
    while True:
        page = client.organizations.search(limit=limit, cursor=cursor, **kwargs)
        yield page
        cursor = page.results_metadata.next_cursor
        if not cursor:
            return


BASIC: dict[str, Any] = {"auth": (defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET), "timeout": 10}


# -- search and pagination ----------------------------------------------------------------


def test_organization_search_pages_in_stable_order(stytch_emu: Any, client: B2BClient) -> None:
    seed = bulk_seed(25, 0)
    stytch_emu.control.seed(seed)
    pages = list(_all_orgs(client, limit=10))
    assert [len(p.organizations) for p in pages] == [10, 10, 5]
    assert {p.results_metadata.total for p in pages} == {25}
    got = [o.organization_id for p in pages for o in p.organizations]
    expected = sorted(seed["organizations"], key=lambda o: (o["created_at"], o["organization_id"]))
    assert got == [o["organization_id"] for o in expected]


@AIOHTTP_AUTH_WARNING
def test_member_search_pages_async_and_leaves_out_deleted(stytch_emu: Any) -> None:
    seed = bulk_seed(3, 40)
    stytch_emu.control.seed(seed)
    org_ids = [o["organization_id"] for o in seed["organizations"]]

    async def collect() -> tuple[list[str], set[int], set[str]]:
        async with B2BClient(
            defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url
        ) as client:
            ids: list[str] = []
            totals: set[int] = set()
            orgs_seen: set[str] = set()
            cursor = None
            while True:
                page = await client.organizations.members.search_async(
                    organization_ids=org_ids, limit=25, cursor=cursor
                )
                ids += [m.member_id for m in page.members]
                totals.add(page.results_metadata.total)
                orgs_seen |= set(page.organizations)
                assert {m.organization_id for m in page.members} == set(page.organizations)
                cursor = page.results_metadata.next_cursor
                if not cursor:
                    return ids, totals, orgs_seen

    ids, totals, orgs_seen = asyncio.run(collect())
    live = [m for m in seed["members"] if m["status"] != "deleted"]
    assert totals == {len(live)} == {96}
    assert ids == [m["member_id"] for m in sorted(live, key=lambda m: (m["created_at"], m["member_id"]))]
    assert orgs_seen == set(org_ids)


def test_member_search_sync_pages_and_includes_deleted_when_asked(stytch_emu: Any, client: B2BClient) -> None:
    seed = bulk_seed(2, 30)
    stytch_emu.control.seed(seed)
    org_ids = [o["organization_id"] for o in seed["organizations"]]
    query = _query(("statuses", ["active", "deleted"]))
    seen: list[str] = []
    cursor = None
    while True:
        page = client.organizations.members.search(org_ids, limit=7, cursor=cursor, query=query)
        seen += [m.member_id for m in page.members]
        assert page.results_metadata.total == 60
        cursor = page.results_metadata.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 60
    deleted = client.organizations.members.search(org_ids, query=_query(("statuses", ["deleted"])))
    assert deleted.results_metadata.total == 12
    assert {m.status for m in deleted.members} == {"deleted"}


ORG_FILTERS = [
    (("organization_ids", [GLOBEX, INITECH]), {"globex", "initech"}),
    (("organization_slugs", ["acme-co"]), {"acme-co"}),
    (("organization_name_fuzzy", "CORP"), {"acme-co"}),
    (("organization_slug_fuzzy", "nit"), {"initech"}),
    (("member_emails", ["ADA@acme.co"]), {"acme-co", "globex"}),
    (("member_emails", ["dee@acme.co"]), set()),  # only a deleted member has it
    (("member_email_fuzzy", "globex"), {"globex"}),
    (("allowed_domains", ["globex.com"]), {"globex"}),
    (("allowed_domain_fuzzy", "acme"), {"acme-co"}),
    (("claimed_email_domains", ["initech.io", "acme.co"]), {"acme-co", "initech"}),
    (("has_active_sso_connection", True), {"acme-co"}),
    (("has_active_sso_connection", False), {"globex", "initech"}),
    (("sso_connection_id", SAML_ID), {"acme-co"}),
]


@pytest.mark.parametrize(("operand", "slugs"), ORG_FILTERS)
def test_organization_filters(seeded: B2BClient, operand: tuple[str, Any], slugs: set[str]) -> None:
    page = seeded.organizations.search(query=_query(operand))
    assert {o.organization_slug for o in page.organizations} == slugs
    assert page.results_metadata.total == len(slugs)


def test_organization_filters_combine_with_and_and_or(seeded: B2BClient) -> None:
    both = _query(("member_emails", ["ada@acme.co"]), ("allowed_domains", ["globex.com"]))
    assert [o.organization_slug for o in seeded.organizations.search(query=both).organizations] == ["globex"]
    either = _query(("organization_slugs", ["initech"]), ("allowed_domains", ["globex.com"]), operator="OR")
    assert {o.organization_slug for o in seeded.organizations.search(query=either).organizations} == {
        "globex",
        "initech",
    }


MEMBER_FILTERS = [
    (("member_ids", ["member-test-0d000000-0000-4000-8000-000000000002"]), {"bob@acme.co"}),
    (("member_ids", ["ada-ext"]), {"ada@acme.co"}),
    (("member_emails", ["ADA@ACME.CO", "eve@globex.com"]), {"ada@acme.co", "Ada@Acme.co", "eve@globex.com"}),
    (("member_email_fuzzy", "@ACME"), {"ada@acme.co", "bob@acme.co", "cy@acme.co", "Ada@Acme.co"}),
    (("statuses", ["invited", "pending"]), {"bob@acme.co", "cy@acme.co"}),
    (("statuses", ["deleted"]), {"dee@acme.co"}),
    (("member_roles", ["stytch_admin", "editor"]), {"ada@acme.co", "eve@globex.com"}),
    (("member_is_breakglass", True), {"cy@acme.co"}),
    (("member_password_exists", True), {"ada@acme.co"}),
    (("member_password_exists", False), {"bob@acme.co", "cy@acme.co", "Ada@Acme.co", "eve@globex.com"}),
    (("member_mfa_phone_numbers", ["+15550000006"]), {"eve@globex.com"}),
    (("member_mfa_phone_number_fuzzy", "555000000"), {"ada@acme.co", "eve@globex.com"}),
]


@pytest.mark.parametrize(("operand", "emails"), MEMBER_FILTERS)
def test_member_filters(seeded: B2BClient, operand: tuple[str, Any], emails: set[str]) -> None:
    page = seeded.organizations.members.search([ACME, "globex"], query=_query(operand))
    assert {m.email_address for m in page.members} == emails
    assert page.results_metadata.total == len(emails)


SEARCH_ERRORS = [
    ("org", {"limit": 1001}, "organization_search_invalid_limit"),
    ("member", {"limit": 1001}, "member_search_invalid_limit"),
    (
        "org",
        {"query": _query(("organization_name_fuzzy", "ab"))},
        "organization_search_organization_name_fuzzy_too_short",
    ),
    (
        "org",
        {"query": _query(("organization_slug_fuzzy", "x"))},
        "organization_search_organization_slug_fuzzy_too_short",
    ),
    ("member", {"query": _query(("member_email_fuzzy", "a@"))}, "member_search_member_email_fuzzy_too_short"),
    ("org", {"query": _query(("colour", ["red"]))}, "organization_search_filter_name_not_recognized"),
    ("member", {"query": _query(("colour", ["red"]))}, "member_search_filter_name_not_recognized"),
    ("member", {"query": _query(("statuses", ["asleep"]))}, "search_invalid_status_filter"),
    ("member", {"query": _query(("member_is_breakglass", "yes"))}, "member_search_expected_boolean"),
    ("org", {"query": _query(("organization_ids", "one"))}, "organization_search_expected_array_of_strings"),
    (
        "member",
        {"query": {"operator": "AND", "operands": [{"filter_value": ["x"]}]}},
        "member_search_missing_filter_name",
    ),
    ("member", {"query": {"operator": "XOR", "operands": []}}, "member_search_invalid_operator"),
    (
        "member",
        {"query": _query(("member_ids", ["member-test-1", "ext-2"]))},
        "member_search_cannot_mix_internal_and_external_member_ids",
    ),
    ("org", {"cursor": "not a cursor"}, "organization_search_invalid_cursor"),
]


@pytest.mark.parametrize(("endpoint", "kwargs", "error_type"), SEARCH_ERRORS)
def test_search_rejects_bad_requests(
    seeded: B2BClient, endpoint: str, kwargs: dict[str, Any], error_type: str
) -> None:
    if endpoint == "org":
        details = _error(lambda: seeded.organizations.search(**kwargs))
    else:
        details = _error(lambda: seeded.organizations.members.search([ACME], **kwargs))
    assert (details.status_code, details.error_type) == (400, error_type)
    assert details.request_id.startswith("request-id-test-")


def test_member_search_needs_known_organization_ids(seeded: B2BClient) -> None:
    details = _error(lambda: seeded.organizations.members.search([]))
    assert (details.status_code, details.error_type) == (400, "member_search_organization_ids_empty")
    details = _error(lambda: seeded.organizations.members.search(["organization-test-nope"]))
    assert (details.status_code, details.error_type) == (404, "organization_not_found")


def test_cursor_of_another_query_is_refused(seeded: B2BClient) -> None:
    first = seeded.organizations.members.search([ACME], limit=1)
    cursor = first.results_metadata.next_cursor
    assert cursor
    assert seeded.organizations.members.search([ACME], limit=1, cursor=cursor).members
    details = _error(lambda: seeded.organizations.members.search([ACME, GLOBEX], limit=1, cursor=cursor))
    assert details.error_type == "member_search_invalid_cursor"
    details = _error(lambda: seeded.organizations.search(cursor=cursor))
    assert details.error_type == "organization_search_invalid_cursor"


# -- reads, auth and errors ---------------------------------------------------------------


def test_organization_get_accepts_id_slug_and_external_id(seeded: B2BClient) -> None:
    for ref in (ACME, "acme-co", "ext-acme"):
        org = seeded.organizations.get(ref).organization
        assert org.organization_id == ACME
    org = seeded.organizations.get(ACME).organization
    # Derived from the seeded connections, since the seed left them out of the org.
    assert [c.connection_id for c in org.sso_active_connections] == [SAML_ID]
    assert org.scim_active_connection is not None
    assert org.scim_active_connection.bearer_token_last_four == "abcd"
    assert seeded.organizations.metrics("acme-co").member_count == 3
    details = _error(lambda: seeded.organizations.get("organization-test-missing"))
    assert (details.status_code, details.error_type) == (404, "organization_not_found")


def test_member_get_and_dangerously_get(seeded: B2BClient) -> None:
    by_id = seeded.organizations.members.get(ACME, member_id="ada-ext")
    by_email = seeded.organizations.members.get("acme-co", email_address="ADA@acme.co")
    assert by_id.member_id == by_email.member_id == "member-test-0d000000-0000-4000-8000-000000000001"
    assert by_id.member.is_admin and by_id.organization.organization_id == ACME
    details = _error(lambda: seeded.organizations.members.get(ACME, member_id="member-test-missing"))
    assert (details.status_code, details.error_type) == (404, "member_not_found")
    assert _error(lambda: seeded.organizations.members.get(ACME)).error_type == "invalid_member_get_fields"

    deleted_id = "member-test-0d000000-0000-4000-8000-000000000004"
    assert _error(lambda: seeded.organizations.members.dangerously_get(deleted_id)).status_code == 404
    # The sync SDK sends ``include_deleted=True`` (Python's spelling) in the query string.
    got = seeded.organizations.members.dangerously_get(deleted_id, include_deleted=True)
    assert got.member.status == "deleted"


@AIOHTTP_AUTH_WARNING
def test_async_reads(stytch_emu: Any) -> None:
    stytch_emu.control.seed(small_seed())

    async def run() -> tuple[str, str, int]:
        async with B2BClient(
            defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url
        ) as client:
            org = await client.organizations.get_async("globex")
            member = await client.organizations.members.get_async(GLOBEX, email_address="eve@globex.com")
            orgs = await client.organizations.search_async(limit=2)
            return org.organization.organization_id, member.member.email_address, len(orgs.organizations)

    assert asyncio.run(run()) == (GLOBEX, "eve@globex.com", 2)


def test_wrong_secret_is_unauthorized(stytch_emu: Any) -> None:
    client = B2BClient(defaults.STYTCH_PROJECT_ID, "secret-test-wrong", environment=stytch_emu.base_url)
    details = _error(lambda: client.organizations.search())
    assert (details.status_code, details.error_type) == (401, "unauthorized_credentials")
    response = requests.post(f"{stytch_emu.base_url}/v1/b2b/organizations/search", json={}, timeout=10)
    assert response.status_code == 401


def test_unknown_route_and_method(stytch_emu: Any) -> None:
    base = stytch_emu.base_url
    response = requests.get(f"{base}/v1/b2b/nothing/here", **BASIC)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error_type"] == "route_not_found"
    assert response.json()["status_code"] == 404
    # DELETE here would reach DELETE /organizations/{organization_id}; PATCH has no route at all.
    response = requests.patch(f"{base}/v1/b2b/organizations/search", **BASIC)
    assert (response.status_code, response.json()["error_type"]) == (405, "method_not_allowed")
    response = requests.post(f"{base}/v1/b2b/organizations/search", data=b"{not json", **BASIC)
    assert (response.status_code, response.json()["error_type"]) == (400, "bad_request")


# -- rate limits ---------------------------------------------------------------------------


def _burst_in_one_window(client: B2BClient, window: float) -> list[int]:
    """Statuses of 101 organization searches sent right after a window opens."""
    for _ in range(3):
        time.sleep(window - time.time() % window + 0.005)
        started = time.time()
        statuses = []
        for _ in range(101):
            try:
                statuses.append(client.organizations.search().status_code)
            except StytchError as exc:
                statuses.append(exc.details.status_code)
                assert exc.details.error_type == "too_many_requests"
        if time.time() // window == started // window:
            return statuses
    pytest.skip("machine too slow to send 101 requests inside one window")


def test_search_rate_limit_fixed_window(stytch_emu: Any, client: B2BClient) -> None:
    stytch_emu.control.set_rate_limits("scaled:60")  # 100 per second instead of per minute
    statuses = _burst_in_one_window(client, 1.0)
    assert statuses == [200] * 100 + [429]
    response = requests.post(f"{stytch_emu.base_url}/v1/b2b/organizations/search", json={}, **BASIC)
    assert response.status_code == 429
    assert response.json()["error_message"] == "Too many requests have been made."
    assert response.headers["retry-after"] == "1"
    # Members search has a budget of its own.
    stytch_emu.control.seed(small_seed())
    assert client.organizations.members.search([ACME]).status_code == 200
    stats = stytch_emu.control.stats()
    assert stats["max_in_window"]["organizations_search"] == 100
    assert stats["rate_limited_by_budget"]["organizations_search"] >= 2
    time.sleep(1.0 - time.time() % 1.0 + 0.01)
    assert client.organizations.search().status_code == 200


# -- faults --------------------------------------------------------------------------------


def test_injected_server_errors_and_429(seeded: B2BClient, stytch_emu: Any) -> None:
    route = "POST /v1/b2b/organizations/search"
    stytch_emu.control.set_faults([{"route": route, "error_rate": 1.0, "error_statuses": [503], "times": 1}])
    details = _error(lambda: seeded.organizations.search())
    assert (details.status_code, details.error_type) == (503, "server_unavailable")
    assert seeded.organizations.search().results_metadata.total == 3
    stytch_emu.control.set_faults([{"route": route, "error_rate": 1.0, "error_statuses": [500]}])
    details = _error(lambda: seeded.organizations.search())
    assert (details.status_code, details.error_type) == (500, "internal_server_error")
    stytch_emu.control.set_faults([{"route": route, "rate_limit_rate": 1.0}])
    assert _error(lambda: seeded.organizations.search()).error_type == "too_many_requests"


def test_hang_then_drop(seeded: B2BClient, stytch_emu: Any) -> None:
    stytch_emu.control.set_faults(
        [{"route": "GET /v1/b2b/organizations/*", "hang_rate": 1.0, "hang_seconds": 0.1, "times": 1}]
    )
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        seeded.organizations.get(ACME)
    assert seeded.organizations.get(ACME).organization.organization_id == ACME


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_commit_then_fail_on_member_create(seeded: B2BClient, stytch_emu: Any, mode: str) -> None:
    stytch_emu.control.reset_stats()  # ``reset`` leaves the fired-fault counters as they were
    stytch_emu.control.set_faults(
        [{"route": "POST */members", "commit_then_fail_rate": 1.0, "commit_then_fail_mode": mode}]
    )
    if mode == "500":
        assert _error(lambda: seeded.organizations.members.create(ACME, "new@acme.co")).status_code == 500
    else:
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            seeded.organizations.members.create(ACME, "new@acme.co")
    found = seeded.organizations.members.search([ACME], query=_query(("member_emails", ["new@acme.co"])))
    assert [m.email_address for m in found.members] == ["new@acme.co"]
    assert stytch_emu.control.stats()["faults_fired"]["commit_then_fail"] == 1


# -- member writes --------------------------------------------------------------------------


def test_member_create_update_delete_are_visible(seeded: B2BClient) -> None:
    members = seeded.organizations.members
    created = members.create("acme-co", "Zed@acme.co", name="Zed", roles=["editor"], external_id="zed")
    assert created.member.status == "active" and not created.member.email_address_verified
    assert created.member.member_id.startswith("member-test-")
    assert [r.role_id for r in created.member.roles] == ["stytch_member", "editor"]
    pending = members.create(ACME, "pat@acme.co", create_member_as_pending=True)
    assert pending.member.status == "pending"
    assert seeded.organizations.metrics(ACME).member_count == 5
    duplicate = _error(lambda: members.create(ACME, "zed@ACME.co"))
    assert (duplicate.status_code, duplicate.error_type) == (400, "duplicate_member_email")
    assert _error(lambda: members.create(ACME, "no-at-sign")).error_type == "invalid_email"

    by_roles = seeded.organizations.members.search([ACME], query=_query(("member_roles", ["editor"])))
    assert [m.email_address for m in by_roles.members] == ["Zed@acme.co"]

    before = seeded.organizations.members.get(ACME, member_id="ada-ext").member
    updated = members.update(ACME, "ada-ext", name="Ada L.", roles=["auditor"], email_address="ada@new.co")
    assert updated.member.name == "Ada L."
    assert {r.role_id for r in updated.member.roles} == {"stytch_member", "auditor"}
    assert not updated.member.is_admin and updated.member.member_password_id == ""
    assert [e.email_address for e in updated.member.retired_email_addresses] == ["ada@acme.co"]
    assert before.updated_at is not None and updated.member.updated_at is not None
    assert updated.member.updated_at > before.updated_at
    assert members.get(ACME, email_address="ada@new.co").member_id == updated.member_id

    deleted = members.delete(ACME, created.member_id)
    assert deleted.member_id == created.member_id
    live = seeded.organizations.members.search([ACME])
    assert "Zed@acme.co" not in {m.email_address for m in live.members}
    gone = seeded.organizations.members.search(
        [ACME], query=_query(("statuses", ["deleted"]), ("member_ids", ["zed"]))
    )
    assert [m.status for m in gone.members] == ["deleted"]
    assert _error(lambda: members.delete(ACME, created.member_id)).error_type == "member_not_found"
    # A deleted member's email is free again.
    assert members.create(ACME, "zed@acme.co").member.status == "active"


def test_reactivate(seeded: B2BClient) -> None:
    members = seeded.organizations.members
    dee = "member-test-0d000000-0000-4000-8000-000000000004"
    assert members.reactivate(ACME, dee).member.status == "active"
    again = _error(lambda: members.reactivate(ACME, dee))
    assert again.error_type == "no_deleted_member_found_for_reactivation"

    fresh = members.create(ACME, "fresh@acme.co").member_id
    members.delete(ACME, fresh)
    unverified = _error(lambda: members.reactivate(ACME, fresh))
    assert unverified.error_type == "email_unverified_for_reactivation"

    members.delete(ACME, dee)
    members.create(ACME, "dee@acme.co")
    taken = _error(lambda: members.reactivate(ACME, dee))
    assert taken.error_type == "reactivation_email_belongs_to_another_member"


# -- SSO, SCIM, RBAC ------------------------------------------------------------------------


def test_sso_connections_parse_in_sdk_models(seeded: B2BClient) -> None:
    sso = seeded.sso.get_connections("acme-co")
    (saml,) = sso.saml_connections
    assert saml.connection_id == SAML_ID and saml.organization_id == ACME
    assert saml.verification_certificates[0].certificate == PEM
    assert saml.verification_certificates[0].issuer == ""
    assert saml.encryption_private_keys[0].private_key == "KEY"
    assert saml.acs_url.endswith(f"/sso/callback/{SAML_ID}")
    assert saml.saml_group_implicit_role_assignments[0].group == "editors"
    (oidc,) = sso.oidc_connections
    assert (oidc.client_secret, oidc.status) == ("not-a-real-secret", "pending")
    (external,) = sso.external_connections
    assert external.external_organization_id == GLOBEX
    empty = seeded.sso.get_connections(GLOBEX)
    assert (empty.saml_connections, empty.oidc_connections, empty.external_connections) == ([], [], [])
    assert _error(lambda: seeded.sso.get_connections("nope")).error_type == "organization_not_found"


def test_scim_connection_and_groups(seeded: B2BClient) -> None:
    connection = seeded.scim.connection.get(ACME).connection
    assert connection is not None
    assert (connection.connection_id, connection.display_name) == (SCIM_ID, "Okta SCIM")
    assert connection.base_url.endswith(SCIM_ID)
    assert seeded.scim.connection.get(GLOBEX).connection is None
    first = seeded.scim.connection.get_groups(ACME, SCIM_ID, limit=3)
    rest = seeded.scim.connection.get_groups(ACME, SCIM_ID, limit=3, cursor=first.next_cursor)
    assert [g.group_id for g in first.scim_groups + rest.scim_groups] == [f"scim-group-{i}" for i in range(5)]
    assert rest.next_cursor is None


def test_rbac_policies(stytch_emu: Any, seeded: B2BClient) -> None:
    default = seeded.rbac.policy().policy
    assert default is not None
    assert {r.role_id for r in default.roles} == {"stytch_member", "stytch_admin"}
    org_policy = seeded.rbac.organizations.get_org_policy("acme-co").org_policy
    assert [r.role_id for r in org_policy.roles] == ["acme-auditor"]
    assert seeded.rbac.organizations.get_org_policy(GLOBEX).org_policy.roles == []

    custom = {
        "roles": [{"role_id": "editor", "description": "Edits", "permissions": []}],
        "resources": [{"resource_id": "documents", "description": "Docs", "actions": ["read"]}],
    }
    stytch_emu.control.seed({**small_seed(), "rbac_policy": custom})
    policy = seeded.rbac.policy().policy
    assert policy is not None
    assert [r.role_id for r in policy.roles] == ["editor"] and policy.scopes == []


# -- seeds ----------------------------------------------------------------------------------


def test_seed_round_trip_and_sparse_seeds(stytch_emu: Any, client: B2BClient) -> None:
    control = stytch_emu.control
    control.seed(small_seed())
    state = control.state()
    control.seed(state)
    assert control.state() == state
    assert len(state["members"]) == 6 and set(state["sso_connections"]) == {ACME}

    control.seed({"organizations": [{"organization_name": "Bare Minimum"}], "members": []})
    (org,) = client.organizations.search().organizations
    assert (org.organization_slug, org.organization_logo_url, org.custom_roles) == ("bare-minimum", "", [])
    control.seed(
        {
            "organizations": [{"organization_id": ACME}],
            "members": [{"organization_id": ACME, "email_address": "x@y.example"}],
        }
    )
    (member,) = client.organizations.members.search([ACME]).members
    assert (member.name, member.mfa_phone_number, member.status) == ("", "", "active")

    control.reset()
    assert control.state()["organizations"] == []
    with pytest.raises(urllib.error.HTTPError, match="400"):
        control.seed({"organizations": [], "members": [{"organization_id": "organization-test-x"}]})


# -- pure parts ---------------------------------------------------------------------------


def test_parse_limit() -> None:
    assert parse_limit(None, "member") == 100
    assert parse_limit(0, "member") == 100
    assert parse_limit(1000, "member") == 1000
    for bad in (1001, -1, True, "10"):
        with pytest.raises(SearchError):
            parse_limit(bad, "organization")


def test_cursor_is_bound_to_its_query() -> None:
    query = parse_query(None, "member", scope=["a"])
    other = parse_query(None, "member", scope=["b"])
    cursor = encode_cursor(query.fingerprint, (5, "member-x"))
    assert decode_cursor(cursor, query) == (5, "member-x")
    with pytest.raises(SearchError):
        decode_cursor(cursor, other)
    keys = [(1, "a"), (2, "b"), (2, "c"), (3, "d")]
    page = paginate(keys, (2, "b"), 2, query.fingerprint)
    assert page.keys == [(2, "c"), (3, "d")] and page.next_cursor is None and page.total == 4


def test_assign_direct_roles_keeps_implicit_sources() -> None:
    roles = [
        {"role_id": "stytch_member", "sources": [{"type": "direct_assignment", "details": {}}]},
        {"role_id": "editor", "sources": [{"type": "email_assignment", "details": {"email_domain": "a.co"}}]},
        {"role_id": "old", "sources": [{"type": "direct_assignment", "details": {}}]},
    ]
    out = assign_direct_roles(roles, ["editor"])
    assert [r["role_id"] for r in out] == ["stytch_member", "editor"]
    assert [s["type"] for s in out[1]["sources"]] == ["direct_assignment", "email_assignment"]


def test_large_member_search_pages_quickly() -> None:
    seed = bulk_seed(50, 400)  # 20,000 members
    store = StytchStore()
    store.load(seed)
    org_ids = list(store.orgs)
    started = time.perf_counter()
    query = parse_query(None, "member", scope=org_ids)
    cursor, seen = None, 0
    while True:
        page = paginate(
            store.search_members(org_ids, query), decode_cursor(cursor, query), 1000, query.fingerprint
        )
        seen += len(page.keys)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == 16_000
    # One filtering pass, then a binary search per page: far under a second.
    assert time.perf_counter() - started < 2.0
