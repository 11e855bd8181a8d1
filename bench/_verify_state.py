"""The state a finished import leaves, made directly (not measured): for the verify benchmark.

``python -m bench._verify_state WORKSPACE OUT_DIR`` computes what WorkOS should hold for the
workspace's snapshot (the tool's own :func:`load_expected`, with an empty ledger), gives every
organization, user, membership and invitation a WorkOS id, writes the ledger rows an import
would have written, and writes the WorkOS emulator's seed as chunk files ``OUT_DIR/NN.json``
(the control API takes a seed per request). Importing 100,000 members through the API would
take the write budget half an hour; verify only needs the result.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from stytch2workos.config import load_config
from stytch2workos.expected import load_expected
from stytch2workos.workspace import Workspace

CHUNK = 20_000
STAMP = "2026-01-01T00:00:00Z"
FAR = "2099-01-01T00:00:00.000Z"


def _id(prefix: str, n: int) -> str:
    # 26 digits: a valid Crockford ULID body, ordered by n.
    return f"{prefix}_{n:026d}"


def main(workspace: Path, out: Path) -> None:
    with Workspace(workspace, create=False) as ws:
        expected = load_expected(ws, load_config(ws.path))
    org_ids = {key: _id("org", n) for n, key in enumerate(sorted(expected.organizations))}
    user_ids = {key: _id("user", n) for n, key in enumerate(sorted(expected.users))}
    ledger: list[tuple[str, str, str]] = []
    orgs = []
    for key, org in expected.organizations.items():
        ledger.append(("organization", key, org_ids[key]))
        orgs.append(
            {
                "id": org_ids[key],
                "name": org.name,
                "external_id": org.external_id,
                "domains": [{"domain": d, "state": s} for d, s in org.domains],
                "metadata": dict(org.metadata),
            }
        )
    users = []
    for key, user in expected.users.items():
        ledger.append(("user", key, user_ids[key]))
        users.append(
            {
                "id": user_ids[key],
                "email": key,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email_verified": user.email_verified,
                "external_id": user.external_id,
                "metadata": dict(user.metadata),
            }
        )
    memberships, invitations, slugs = [], [], set()
    for n, (member_id, om) in enumerate(sorted(expected.memberships.items())):
        om_id = _id("om", n)
        ledger.append(("membership", member_id, om_id))
        roles = list(om.roles or ["member"])
        slugs.update(roles)
        memberships.append(
            {
                "id": om_id,
                "user_id": user_ids[om.user_key or ""],
                "organization_id": org_ids[om.organization_id or ""],
                "role_slugs": roles,
            }
        )
    for n, (member_id, inv) in enumerate(sorted(expected.invitations.items())):
        inv_id = _id("invitation", n)
        ledger.append(("invitation", member_id, inv_id))
        invitations.append(
            {
                "id": inv_id,
                "email": inv.email,
                "organization_id": org_ids[inv.organization_id or ""],
                "role_slug": inv.role_slug,
                "state": "pending",
                "expires_at": FAR,
            }
        )
    db = sqlite3.connect(workspace / "workspace.db")
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO ledger (kind, source_id, status, target_id, attempts, updated_at) "
            "VALUES (?, ?, 'created', ?, 1, ?)",
            [(*row, STAMP) for row in ledger],
        )
    db.close()
    out.mkdir(parents=True, exist_ok=True)
    roles = [{"slug": s, "name": s} for s in sorted(slugs | {"admin", "member"})]
    chunks: list[dict[str, Any]] = [{"roles": roles, "organizations": orgs}]
    for name, items in (
        ("users", users),
        ("organization_memberships", memberships),
        ("invitations", invitations),
    ):
        chunks += [{name: items[i : i + CHUNK]} for i in range(0, len(items), CHUNK)]
    for n, chunk in enumerate(chunks):
        (out / f"{n:02d}.json").write_text(json.dumps(chunk), encoding="utf-8")
    per_org = Counter(str(m["organization_id"]) for m in memberships)
    counts = {
        "organizations": len(orgs),
        "users": len(users),
        "memberships": len(memberships),
        "invitations": len(invitations),
        "memberships_per_org": {o: per_org[o] for o in org_ids.values()},
    }
    (out / "counts.json").write_text(json.dumps(counts), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
