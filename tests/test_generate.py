"""The synthetic-project generator: determinism, SDK-valid shapes, realism, consistency."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from stytch.b2b.models.organizations import Member, Organization
from stytch.b2b.models.rbac import Policy
from stytch.b2b.models.scim import SCIMConnection, SCIMGroup
from stytch.b2b.models.sso import Connection, OIDCConnection, SAMLConnection

from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.project import GeneratedProject, generate_project, write_project

Json = dict[str, Any]

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DIRECT = "direct_assignment"


@pytest.fixture(scope="module")
def project() -> GeneratedProject:
    return generate_project(orgs=12, members=300, seed=7)


@pytest.fixture(scope="module")
def seed(project: GeneratedProject) -> Json:
    return project.seed


@pytest.fixture(scope="module")
def members(seed: Json) -> list[Json]:
    return list(seed["members"])


@pytest.fixture(scope="module")
def orgs_by_id(seed: Json) -> dict[str, Json]:
    return {org["organization_id"]: org for org in seed["organizations"]}


def _dump(project: GeneratedProject) -> str:
    return json.dumps([project.seed, project.passwords], ensure_ascii=False)


def _sources(members: list[Json]) -> list[tuple[Json, str, Json]]:
    return [(m, role["role_id"], src) for m in members for role in m["roles"] for src in role["sources"]]


def _connection_ids(seed: Json, org_id: str, kinds: tuple[str, ...]) -> set[str]:
    sso = seed["sso_connections"][org_id]
    return {c["connection_id"] for kind in kinds for c in sso[f"{kind}_connections"]}


# --- determinism ---------------------------------------------------------------------------


def test_same_arguments_give_identical_output(project: GeneratedProject) -> None:
    assert _dump(generate_project(12, 300, 7)) == _dump(project)


def test_different_seed_gives_different_output(project: GeneratedProject) -> None:
    assert _dump(generate_project(12, 300, 8)) != _dump(project)


def test_output_is_byte_identical_across_processes(project: GeneratedProject, tmp_path: Path) -> None:
    """A fresh interpreter (fresh key cache, other hash seed) writes the same bytes."""
    here = write_project(project, tmp_path / "here")
    script = (
        "import sys; from pathlib import Path;"
        "from stytch2workos_emulators.synth.project import generate_project, write_project;"
        "write_project(generate_project(12, 300, 7), Path(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=env)
    for name, path in here.items():
        other = tmp_path / "there" / path.name
        assert hashlib.sha256(other.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), name


# --- shape ---------------------------------------------------------------------------------


def test_counts(project: GeneratedProject, seed: Json, members: list[Json]) -> None:
    assert len(seed["organizations"]) == 12
    assert len(members) == 300
    assert set(seed["sso_connections"]) == {o["organization_id"] for o in seed["organizations"]}
    with_password = {m["member_id"] for m in members if m["member_password_id"]}
    assert set(project.passwords) == with_password


def test_every_object_validates_with_the_sdk_models(seed: Json) -> None:
    for org in seed["organizations"]:
        Organization.model_validate(org)
    for member in seed["members"]:
        Member.model_validate(member)
    for sso in seed["sso_connections"].values():
        assert set(sso) == {"saml_connections", "oidc_connections", "external_connections"}
        for saml in sso["saml_connections"]:
            SAMLConnection.model_validate(saml)
        for oidc in sso["oidc_connections"]:
            OIDCConnection.model_validate(oidc)
        for external in sso["external_connections"]:
            Connection.model_validate(external)
    for scim in seed["scim_connections"].values():
        SCIMConnection.model_validate(scim)
    Policy.model_validate(seed["rbac_policy"])
    assert set(seed["scim_groups"]) == set(seed["scim_connections"])
    for groups in seed["scim_groups"].values():
        for group in groups:
            SCIMGroup.model_validate(group)


def test_ids_follow_stytch_formats(seed: Json, members: list[Json]) -> None:
    def check(value: str, kind: str) -> None:
        assert re.fullmatch(f"{kind}-test-{UUID}", value), value

    for org in seed["organizations"]:
        check(org["organization_id"], "organization")
    for m in members:
        check(m["member_id"], "member")
        if m["member_password_id"]:
            check(m["member_password_id"], "member-password")
        if m["totp_registration_id"]:
            check(m["totp_registration_id"], "member-totp")
    for sso in seed["sso_connections"].values():
        for saml in sso["saml_connections"]:
            check(saml["connection_id"], "saml-connection")
            for cert in saml["verification_certificates"]:
                check(cert["certificate_id"], "saml-verification-key")
            for key in saml["encryption_private_keys"]:
                check(key["private_key_id"], "saml-encryption-key")
        for oidc in sso["oidc_connections"]:
            check(oidc["connection_id"], "oidc-connection")
    for scim in seed["scim_connections"].values():
        check(scim["connection_id"], "scim-connection")
    assert len({m["member_id"] for m in members}) == len(members)


def test_live_project_ids_say_live() -> None:
    project = generate_project(2, 4, 1, project_id="project-live-00000000-0000-4000-8000-000000000001")
    assert all("-live-" in m["member_id"] for m in project.seed["members"])
    assert all("-test-" not in o["organization_id"] for o in project.seed["organizations"])


def test_timestamps_are_rfc3339_z_and_ordered(seed: Json, orgs_by_id: dict[str, Json]) -> None:
    for obj in [*seed["organizations"], *seed["members"]]:
        assert TIMESTAMP.match(obj["created_at"]) and TIMESTAMP.match(obj["updated_at"])
        assert obj["created_at"] <= obj["updated_at"]
    for m in seed["members"]:
        assert orgs_by_id[m["organization_id"]]["created_at"] <= m["created_at"]


def test_required_strings_are_empty_not_null(members: list[Json]) -> None:
    required = (
        "name",
        "member_password_id",
        "totp_registration_id",
        "mfa_phone_number",
        "default_mfa_method",
    )
    assert all(isinstance(m[field], str) for m in members for field in required)


# --- consistency ---------------------------------------------------------------------------


def test_members_belong_to_existing_orgs_with_unique_emails(
    members: list[Json], orgs_by_id: dict[str, Json]
) -> None:
    seen: set[tuple[str, str]] = set()
    for m in members:
        assert m["organization_id"] in orgs_by_id
        key = (m["organization_id"], m["email_address"].lower())
        assert key not in seen, key
        seen.add(key)


def test_every_org_has_members_when_there_are_enough(
    members: list[Json], orgs_by_id: dict[str, Json]
) -> None:
    assert {m["organization_id"] for m in members} == set(orgs_by_id)


def test_sso_registrations_reference_the_orgs_active_connections(seed: Json, members: list[Json]) -> None:
    for m in members:
        own = _connection_ids(seed, m["organization_id"], ("saml", "oidc"))
        for registration in m["sso_registrations"]:
            assert registration["connection_id"] in own


def test_org_connection_summaries_match_the_connections(seed: Json) -> None:
    all_ids = {
        c["connection_id"] for s in seed["sso_connections"].values() for kind in s.values() for c in kind
    }
    for org in seed["organizations"]:
        org_id = org["organization_id"]
        sso = seed["sso_connections"][org_id]
        active = {
            c["connection_id"]
            for kind in ("saml_connections", "oidc_connections")
            for c in sso[kind]
            if c["status"] == "active"
        }
        assert {c["connection_id"] for c in org["sso_active_connections"]} == active
        assert org["sso_default_connection_id"] in active | {None}
        assert set(org["sso_jit_provisioning_allowed_connections"]) <= active
        scim = seed["scim_connections"].get(org_id)
        if scim is None:
            assert org["scim_active_connection"] is None
        else:
            summary = org["scim_active_connection"]
            assert summary["connection_id"] == scim["connection_id"]
            assert summary["bearer_token_last_four"] == scim["bearer_token_last_four"]
        for external in sso["external_connections"]:
            assert external["external_organization_id"] != org_id
            assert external["external_connection_id"] in all_ids
            source_org = seed["sso_connections"][external["external_organization_id"]]
            assert external["external_connection_id"] in {
                c["connection_id"]
                for kind in ("saml_connections", "oidc_connections")
                for c in source_org[kind]
            }


def test_roles_are_defined_and_admin_flag_matches(
    seed: Json, members: list[Json], orgs_by_id: dict[str, Json]
) -> None:
    project_roles = {r["role_id"] for r in seed["rbac_policy"]["roles"]}
    for m in members:
        org_roles = {r["role_id"] for r in orgs_by_id[m["organization_id"]]["custom_roles"]}
        role_ids = [r["role_id"] for r in m["roles"]]
        assert role_ids[0] == "stytch_member"
        assert len(role_ids) == len(set(role_ids))
        assert set(role_ids) <= project_roles | org_roles
        assert m["is_admin"] == ("stytch_admin" in role_ids)
        assert all(r["sources"] for r in m["roles"])


def test_implicit_role_sources_follow_the_rules(
    seed: Json, members: list[Json], orgs_by_id: dict[str, Json]
) -> None:
    saml_by_id = {
        c["connection_id"]: c for s in seed["sso_connections"].values() for c in s["saml_connections"]
    }
    for m, role_id, src in _sources(members):
        org = orgs_by_id[m["organization_id"]]
        details = src["details"]
        if src["type"] == "email_assignment":
            domain = m["email_address"].rpartition("@")[2].lower()
            assert details["email_domain"] == domain
            assert {"domain": domain, "role_id": role_id} in org["rbac_email_implicit_role_assignments"]
        elif src["type"] in ("sso_connection", "sso_connection_group"):
            connection = saml_by_id[details["connection_id"]]
            assert connection["organization_id"] == m["organization_id"]
            assert details["connection_id"] in {r["connection_id"] for r in m["sso_registrations"]}
            if src["type"] == "sso_connection":
                assert {"role_id": role_id} in connection["saml_connection_implicit_role_assignments"]
            else:
                group = {"role_id": role_id, "group": details["group"]}
                assert group in connection["saml_group_implicit_role_assignments"]
        elif src["type"] == "scim_connection_group":
            scim = seed["scim_connections"][m["organization_id"]]
            assert m["scim_registration"]["connection_id"] == scim["connection_id"]
            groups = {(g["group_id"], g["role_id"]) for g in scim["scim_group_implicit_role_assignments"]}
            assert (details["group_id"], role_id) in groups
            pushed = {g["group_id"] for g in seed["scim_groups"][m["organization_id"]]}
            assert details["group_id"] in pushed
        else:
            assert src == {"type": DIRECT, "details": {}}
    # Email rules are applied to every member whose address is in the rule's domain.
    for m in members:
        domain = m["email_address"].rpartition("@")[2].lower()
        for rule in orgs_by_id[m["organization_id"]]["rbac_email_implicit_role_assignments"]:
            if rule["domain"] == domain:
                role = next(r for r in m["roles"] if r["role_id"] == rule["role_id"])
                assert {"type": "email_assignment", "details": {"email_domain": domain}} in role["sources"]


# --- realism -------------------------------------------------------------------------------


def test_people_in_several_orgs_with_differently_cased_emails(members: list[Json]) -> None:
    by_person: dict[str, list[Json]] = defaultdict(list)
    for m in members:
        by_person[m["email_address"].lower()].append(m)
    multi = [ms for ms in by_person.values() if len({m["organization_id"] for m in ms}) > 1]
    assert len(multi) >= 5
    assert any(len({m["email_address"] for m in ms}) > 1 for ms in multi)


def test_every_status_with_active_most(members: list[Json]) -> None:
    counts = {s: sum(m["status"] == s for m in members) for s in ("active", "invited", "pending", "deleted")}
    assert all(counts.values()), counts
    assert counts["active"] > len(members) / 2
    for status in ("invited", "pending"):
        group = [m for m in members if m["status"] == status]
        assert sum(not m["email_address_verified"] for m in group) > len(group) / 2
        assert not any(m["member_password_id"] or m["totp_registration_id"] for m in group)


def test_roles_direct_implicit_and_custom(seed: Json, members: list[Json]) -> None:
    types = {src["type"] for _, _, src in _sources(members)}
    assert types >= {DIRECT, "email_assignment", "sso_connection", "sso_connection_group"}
    assert all(r["sources"][0]["type"] == DIRECT for m in members for r in m["roles"][:1])
    admins = [m for m in members if m["is_admin"]]
    assert 0 < len(admins) < len(members) / 2
    policy_roles = {r["role_id"] for r in seed["rbac_policy"]["roles"]}
    assert {"stytch_member", "stytch_admin", "editor", "billing_viewer"} <= policy_roles
    held = {role_id for _, role_id, src in _sources(members) if src["type"] == DIRECT}
    assert {"editor", "billing_viewer"} <= held
    orgs_with_custom = [o for o in seed["organizations"] if o["custom_roles"]]
    assert 0 < len(orgs_with_custom) < len(seed["organizations"]) / 2
    org_role_ids = {r["role_id"] for o in orgs_with_custom for r in o["custom_roles"]}
    assert org_role_ids & held
    assert not org_role_ids & policy_roles


def test_oauth_and_sso_registrations(members: list[Json]) -> None:
    providers = {r["provider_type"] for m in members for r in m["oauth_registrations"]}
    assert providers == {"google", "microsoft", "github"}
    assert sum(bool(m["sso_registrations"]) for m in members) >= 10
    assert any(m["scim_registration"] for m in members)
    by_person: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in members:
        for r in m["oauth_registrations"]:
            by_person[(m["email_address"].lower(), r["provider_type"])].add(r["provider_subject"])
    assert all(len(subjects) == 1 for subjects in by_person.values())


def test_mfa_factors(members: list[Json]) -> None:
    totp = [m for m in members if m["totp_registration_id"]]
    assert totp and all(m["mfa_enrolled"] for m in totp)
    assert any(m["default_mfa_method"] == "totp" for m in totp)
    sms = [m for m in members if m["default_mfa_method"] == "sms_otp"]
    assert sms and all(m["mfa_phone_number_verified"] and m["mfa_enrolled"] for m in sms)
    phones = [m["mfa_phone_number"] for m in members if m["mfa_phone_number"]]
    assert all(re.fullmatch(r"\+1555\d{7}|\+447700900\d{3}", p) for p in phones)
    assert all(m["default_mfa_method"] in ("", "totp", "sms_otp") for m in members)


def test_breakglass_locked_external_ids_and_metadata(members: list[Json]) -> None:
    assert any(m["is_breakglass"] for m in members)
    locked = [m for m in members if m["is_locked"]]
    assert locked and all(m["lock_created_at"] < m["lock_expires_at"] for m in locked)
    assert 0 < sum(m["is_locked"] for m in members) < len(members) / 10
    assert any(m["external_id"] for m in members)
    assert any(m["trusted_metadata"] for m in members)
    assert any(m["untrusted_metadata"] for m in members)
    assert any(m["retired_email_addresses"] for m in members)


def test_names_are_varied(members: list[Json]) -> None:
    names = [m["name"] for m in members]
    assert "" in names
    assert any(n and " " not in n for n in names)
    assert any(len(n.split()) >= 3 for n in names)
    assert any(not n.isascii() and any(c.isascii() and c.isalpha() for c in n) for n in names)
    assert any(n and not any(c.isascii() for c in n.replace(" ", "")) for n in names)


def test_org_policies_are_varied(seed: Json) -> None:
    orgs = seed["organizations"]
    domain_owners: dict[str, int] = defaultdict(int)
    for org in orgs:
        for domain in org["email_allowed_domains"]:
            domain_owners[domain] += 1
    assert any(n == 2 for n in domain_owners.values())
    assert any(org["organization_external_id"] for org in orgs)
    assert any(org["organization_external_id"] is None for org in orgs)
    assert {org["mfa_policy"] for org in orgs} == {"OPTIONAL", "REQUIRED_FOR_ALL"}
    restricted = [org for org in orgs if org["auth_methods"] == "RESTRICTED"]
    assert restricted and all(org["allowed_auth_methods"] for org in restricted)
    assert all(not org["allowed_auth_methods"] for org in orgs if org["auth_methods"] == "ALL_ALLOWED")
    assert any(org["rbac_email_implicit_role_assignments"] for org in orgs)
    assert any(org["sso_default_connection_id"] for org in orgs)
    assert any(org["scim_active_connection"] for org in orgs)


def test_saml_connections_carry_real_pem_material(seed: Json) -> None:
    saml = [c for s in seed["sso_connections"].values() for c in s["saml_connections"]]
    assert saml
    for connection in saml:
        if connection["status"] != "active":
            continue
        assert connection["idp_entity_id"] and connection["idp_sso_url"].startswith("https://")
        assert connection["acs_url"].endswith(connection["connection_id"])
        assert connection["attribute_mapping"]["email"]
        assert connection["verification_certificates"]
        for cert in connection["verification_certificates"] + connection["signing_certificates"]:
            parsed = x509.load_pem_x509_certificate(cert["certificate"].encode())
            assert isinstance(parsed.public_key(), rsa.RSAPublicKey)
    keys = [k for c in saml for k in c["encryption_private_keys"]]
    assert keys
    for key in keys:
        assert isinstance(load_pem_private_key(key["private_key"].encode(), password=None), rsa.RSAPrivateKey)
    assert any(c["saml_connection_implicit_role_assignments"] for c in saml)
    assert any(c["saml_group_implicit_role_assignments"] for c in saml)


def test_oidc_external_and_scim_connections(seed: Json) -> None:
    sso = seed["sso_connections"].values()
    oidc = [c for s in sso for c in s["oidc_connections"]]
    assert oidc
    for connection in oidc:
        assert connection["client_id"] and connection["client_secret"]
        for field in ("issuer", "authorization_url", "token_url", "userinfo_url", "jwks_url"):
            host = connection[field].split("/")[2]
            assert host.endswith((".example", ".test", ".example.com", ".example.net")), host
    assert any(s["external_connections"] for s in sso)
    scim = list(seed["scim_connections"].values())
    assert scim
    for connection in scim:
        assert len(connection["bearer_token_last_four"]) == 4
        assert connection["scim_group_implicit_role_assignments"]


def test_passwords_are_varied(project: GeneratedProject, members: list[Json]) -> None:
    passwords = list(project.passwords.values())
    assert 0.2 < len(passwords) / len(members) < 0.4
    assert any(p.isascii() for p in passwords)
    assert any(not p.isascii() for p in passwords)
    assert any(len(p.encode()) > 72 for p in passwords)
    by_person: dict[str, set[str]] = defaultdict(set)
    for m in members:
        if m["member_id"] in project.passwords:
            by_person[m["email_address"].lower()].add(project.passwords[m["member_id"]])
    assert any(len(p) > 1 for p in by_person.values())


# --- sizes, errors, files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orgs", "members"), [(0, 0), (1, 0), (1, 1), (1, 6), (2, 1), (2, 2), (3, 2), (5, 40)]
)
def test_small_and_edge_sizes(orgs: int, members: int) -> None:
    seed = generate_project(orgs, members, seed=3).seed
    assert len(seed["organizations"]) == orgs
    assert len(seed["members"]) == members
    for org in seed["organizations"]:
        Organization.model_validate(org)
    for member in seed["members"]:
        Member.model_validate(member)
    per_org = defaultdict(set)
    for m in seed["members"]:
        email = m["email_address"].lower()
        assert email not in per_org[m["organization_id"]]
        per_org[m["organization_id"]].add(email)


@pytest.mark.parametrize(("orgs", "members"), [(-1, 0), (0, -1), (0, 5)])
def test_impossible_sizes_are_rejected(orgs: int, members: int) -> None:
    with pytest.raises(ValueError):
        generate_project(orgs, members, seed=1)


def test_write_project(project: GeneratedProject, tmp_path: Path) -> None:
    paths = write_project(project, tmp_path / "out")
    assert set(paths) == {"seed", "passwords"}
    assert paths["seed"].name == "stytch-seed.json"
    assert paths["passwords"].name == "passwords.json"
    assert json.loads(paths["seed"].read_text("utf-8")) == project.seed
    assert json.loads(paths["passwords"].read_text("utf-8")) == project.passwords
    assert stat.S_IMODE(paths["passwords"].stat().st_mode) == 0o600


@pytest.mark.slow
def test_performance_sanity_100k_members() -> None:
    """Sanity check, not a benchmark: 100,000 members must come out in well under 20 s."""
    start = time.perf_counter()
    project = generate_project(orgs=1000, members=100_000, seed=11)
    elapsed = time.perf_counter() - start
    assert len(project.seed["members"]) == 100_000
    assert elapsed < 20, f"generation took {elapsed:.1f}s"


@pytest.mark.skipif(
    importlib.util.find_spec("stytch2workos_emulators.stytch.api") is None,
    reason="the Stytch emulator is not available",
)
def test_seed_loads_into_the_stytch_emulator(
    project: GeneratedProject, request: pytest.FixtureRequest
) -> None:
    from stytch import B2BClient

    stytch_emu = request.getfixturevalue("stytch_emu")
    stytch_emu.control.seed(project.seed)
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    response = client.organizations.search(limit=1000)
    org_ids = [o["organization_id"] for o in project.seed["organizations"]]
    assert {o.organization_id for o in response.organizations} == set(org_ids)
    every_status = {
        "operator": "AND",
        "operands": [
            {"filter_name": "statuses", "filter_value": ["active", "invited", "pending", "deleted"]}
        ],
    }
    members = client.organizations.members.search(organization_ids=org_ids, limit=1, query=every_status)
    assert members.results_metadata.total == len(project.seed["members"])
