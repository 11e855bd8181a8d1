"""Running the real CLI as a subprocess, and small hand-written Stytch seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stytch2workos_emulators import defaults


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def cli_env(stytch_url: str | None = None, workos_url: str | None = None, **extra: str) -> dict[str, str]:
    env = defaults.operator_env(stytch_url, workos_url)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 180, stdin: str | None = None) -> Run:
    """Run ``stytch2workos ARGS`` in a fresh process, as an operator would."""
    proc = subprocess.run(
        [sys.executable, "-m", "stytch2workos", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stytch2workos", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# The one public sample of Stytch's password-hash export, byte for byte (FusionAuth's Stytch data).
STYTCH_EXPORT_SAMPLE = """scrypt hash parameters,,,,
scryptCostParameter,1 << 15,,,
scryptRParameter,8,,,
scryptPParameter,1,,,
scryptKeyLengthParamenter,32,,,
,,,,
id,hash,salt,hash_method,project_id
user-test-c1be12e4-fc61-4e7a-8831-0fc14cb87b65,8dg6AaIWPfcLTQU7lb4H-CI49dHeqaBXfFE1ogb2qRQ=,zKia-0BdIFKCzWbzXbj3qrhBnbiWNg==,scrypt,project-test-36510638-652a-4d3d-9a94-f0a7106582fc
"""

OIDC_SECRET = "oidc-client-secret-FAKE-do-not-print"
SAML_KEY = "-----BEGIN PRIVATE KEY-----\nFAKE-SAML-KEY-do-not-print\n-----END PRIVATE KEY-----"


def small_seed() -> dict[str, Any]:
    """Three organizations, a person in two of them (case-different emails), every status, SSO and SCIM."""
    o1, o2, o3 = (f"organization-test-0000000{i}-0000-4000-8000-000000000000" for i in (1, 2, 3))
    saml = f"saml-connection-test-{'1' * 8}-0000-4000-8000-000000000000"
    oidc = f"oidc-connection-test-{'2' * 8}-0000-4000-8000-000000000000"

    def org(oid: str, name: str, slug: str, created: str, **kw: Any) -> dict[str, Any]:
        return {
            "organization_id": oid,
            "organization_name": name,
            "organization_slug": slug,
            "created_at": created,
            "updated_at": created,
            **kw,
        }

    def member(n: int, oid: str, email: str, status: str = "active", **kw: Any) -> dict[str, Any]:
        return {
            "member_id": f"member-test-{n:08d}-0000-4000-8000-000000000000",
            "organization_id": oid,
            "email_address": email,
            "status": status,
            "created_at": f"2024-01-0{1 + n % 8}T00:00:0{n % 10}Z",
            "updated_at": f"2024-02-0{1 + n % 8}T00:00:0{n % 10}Z",
            "email_address_verified": status == "active",
            **kw,
        }

    admin = [
        {"role_id": "stytch_member", "sources": [{"type": "direct_assignment", "details": {}}]},
        {"role_id": "stytch_admin", "sources": [{"type": "direct_assignment", "details": {}}]},
    ]
    editor = [
        {"role_id": "stytch_member", "sources": [{"type": "direct_assignment", "details": {}}]},
        {
            "role_id": "editor",
            "sources": [{"type": "email_assignment", "details": {"email_domain": "acme.example"}}],
        },
    ]
    return {
        "organizations": [
            org(
                o1,
                "Acme Co",
                "acme",
                "2024-01-01T00:00:00Z",
                email_allowed_domains=["acme.example", "shared.example"],
                sso_active_connections=[
                    {"connection_id": saml, "display_name": "Okta", "identity_provider": "okta"}
                ],
                sso_default_connection_id=saml,
            ),
            org(
                o2,
                "Zoë Ångström GmbH",
                "zoe",
                "2024-01-02T00:00:00Z",
                email_allowed_domains=["shared.example"],
                organization_external_id="crm-42",
                sso_active_connections=[
                    {"connection_id": oidc, "display_name": "Entra", "identity_provider": "microsoft-entra"}
                ],
            ),
            org(o3, "Empty Org", "empty", "2024-01-03T00:00:00Z"),
        ],
        "members": [
            member(1, o1, "Ada@Acme.example", name="Ada Lovelace", roles=admin, is_admin=True),
            member(2, o2, "ada@acme.example", name="Ada King", roles=editor),
            member(3, o1, "bob@acme.example", name="", roles=editor),
            member(4, o1, "carol@acme.example", "invited", name="Carol"),
            member(5, o2, "dave@zoe.example", "pending", name="José María de la Cruz"),
            member(6, o2, "erin@zoe.example", "deleted", name="Erin"),
            member(7, o2, "李@zoe.example", name="李小龙", external_id="ext-7"),
        ],
        "sso_connections": {
            o1: {
                "saml_connections": [
                    {
                        "connection_id": saml,
                        "display_name": "Okta",
                        "idp_entity_id": "http://idp.example/exk1",
                        "idp_sso_url": "https://idp.example/sso",
                        "identity_provider": "okta",
                        "encryption_private_keys": [{"private_key_id": "k1", "private_key": SAML_KEY}],
                    }
                ],
            },
            o2: {
                "oidc_connections": [
                    {
                        "connection_id": oidc,
                        "display_name": "Entra",
                        "client_id": "client-1",
                        "client_secret": OIDC_SECRET,
                        "issuer": "https://login.idp.example/v2.0",
                        "identity_provider": "microsoft-entra",
                    }
                ]
            },
        },
        "scim_connections": {
            o1: {
                "connection_id": "scim-connection-test-33333333-0000-4000-8000-000000000000",
                "display_name": "Okta SCIM",
                "identity_provider": "okta",
                "bearer_token_last_four": "abcd",
            }
        },
        "rbac_policy": {
            "roles": [
                {"role_id": "stytch_member", "description": "Everyone", "permissions": []},
                {"role_id": "stytch_admin", "description": "Admins", "permissions": []},
                {"role_id": "editor", "description": "Edits documents", "permissions": []},
            ],
            "resources": [],
            "scopes": [],
        },
    }


def workspace_files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]
