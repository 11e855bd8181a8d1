"""Deterministic generator of realistic synthetic Stytch B2B projects.

``generate_project(orgs, members, seed)`` returns a seed for the Stytch emulator (every
object shaped as the Stytch endpoints return it) and the plaintext passwords of the
members that have one. The same arguments always give byte-identical output: all
randomness comes from seeded streams, all times from a fixed 2023-2024 window.

The data is built to exercise a migration: people in several organizations under
differently-cased addresses, every member status, direct and implicit roles, OAuth,
SSO, SCIM, TOTP and SMS factors, break-glass and locked members, names in many scripts,
shared email domains, SAML/OIDC/external connections and a project RBAC policy.

Layout: ``generate_orgs`` (organizations), ``generate_sso`` (connections),
``generate_members`` and ``generate_people`` (members), ``generate_rbac`` (policy),
``generate_keys`` (fake certificates), ``generate_vocab`` (word lists).
"""

from __future__ import annotations

import gc
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.common import Ids, Json, api_base, environment, stream
from stytch2workos_emulators.synth.files import write_private_bytes
from stytch2workos_emulators.synth.members import MemberFactory
from stytch2workos_emulators.synth.orgs import build_organizations
from stytch2workos_emulators.synth.rbac import project_policy
from stytch2workos_emulators.synth.sso import cert_pool

SEED_FILE = "stytch-seed.json"
PASSWORDS_FILE = "passwords.json"


@dataclass(frozen=True)
class GeneratedProject:
    """A synthetic Stytch project: the emulator seed and the members' plaintext passwords.

    ``seed`` has ``organizations``, ``members``, ``sso_connections`` (org id → the three
    connection lists), ``scim_connections`` (org id → connection, only where one exists),
    ``scim_groups`` (org id → the groups its directory pushed) and ``rbac_policy``. ``passwords`` maps member id → password, for tests and demos.
    """

    seed: dict[str, Any]
    passwords: dict[str, str]


def _member_counts(rng: random.Random, orgs: int, members: int) -> list[int]:
    """Split ``members`` over ``orgs``: a few large organizations and a long tail.

    Every organization gets at least one member when there are enough to go round; the
    first (showcase) organizations are the largest, so their features reach members.
    """
    if members <= orgs:
        return [1] * members + [0] * (orgs - members)
    weights = [rng.uniform(0.6, 1.4) / (index + 1) ** 0.8 for index in range(orgs)]
    total = sum(weights)
    spare = members - orgs
    counts = [1 + int(spare * weight / total) for weight in weights]
    for index in range(members - sum(counts)):
        counts[index % orgs] += 1
    return counts


def generate_project(
    orgs: int, members: int, seed: int, project_id: str = defaults.STYTCH_PROJECT_ID
) -> GeneratedProject:
    """Generate ``orgs`` organizations holding ``members`` member records in total.

    ``project_id`` only decides the environment embedded in ids (``-test-`` or ``-live-``).
    """
    if orgs < 0 or members < 0:
        raise ValueError("orgs and members must not be negative")
    if members and not orgs:
        raise ValueError("members need at least one organization")
    # The generator allocates millions of long-lived containers and no reference cycles;
    # cyclic-GC passes over them would roughly double the run time of large projects.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(orgs, members, seed, project_id)
    finally:
        if collecting:
            gc.enable()


def _generate(orgs: int, members: int, seed: int, project_id: str) -> GeneratedProject:
    env = environment(project_id)
    org_rng = stream(seed, "organizations")
    bundles = build_organizations(
        org_rng, Ids(org_rng, env), api_base(env), orgs, cert_pool(stream(seed, "certificates"))
    )
    member_rng = stream(seed, "members")
    factory = MemberFactory(member_rng, Ids(member_rng, env))
    member_records: list[Json] = []
    passwords: dict[str, str] = {}
    counts = _member_counts(stream(seed, "sizes"), orgs, members)
    for bundle, count in zip(bundles, counts, strict=True):
        for member, password in factory.organization_members(bundle.context, count):
            member_records.append(member)
            if password is not None:
                passwords[member["member_id"]] = password
    project_seed: Json = {
        "organizations": [bundle.organization for bundle in bundles],
        "members": member_records,
        "sso_connections": {b.context.organization_id: b.sso for b in bundles},
        "scim_connections": {b.context.organization_id: b.scim for b in bundles if b.scim is not None},
        "scim_groups": {
            b.context.organization_id: [dict(group) for group in b.context.scim.directory_groups]
            for b in bundles
            if b.context.scim is not None
        },
        "rbac_policy": project_policy(),
    }
    return GeneratedProject(project_seed, passwords)


def _dumps(value: Any) -> bytes:
    # Compact and key-order-preserving: large projects run to hundreds of megabytes, and
    # insertion order is already deterministic.
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_project(project: GeneratedProject, out_dir: Path) -> dict[str, Path]:
    """Write ``stytch-seed.json`` and ``passwords.json`` (both mode 0600) into ``out_dir``.

    Returns the paths by name: ``{"seed": ..., "passwords": ...}``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    seed_path = out_dir / SEED_FILE
    # The seed holds (fake) OIDC client secrets, the passwords file plaintext: both owner-only.
    write_private_bytes(seed_path, _dumps(project.seed))
    passwords_path = out_dir / PASSWORDS_FILE
    write_private_bytes(passwords_path, _dumps(project.passwords))
    return {"seed": seed_path, "passwords": passwords_path}
