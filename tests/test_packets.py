"""The packets for customers' IT admins: pure building and rendering, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import ConnectionsConfig
from stytch2workos.packets import Context, Item, build_packet, file_stem, render_markdown, render_text
from stytch2workos.transform.connections import API_UNAVAILABLE, decide
from test_transform_connections import IDP_CERT, PRIVATE_KEY, SECRET, SP_CERT, external, oidc, saml, scim

NEW_ACS = "https://api.workos.test/sso/saml/acs/key1"
NEW_REDIRECT = "https://api.workos.test/sso/oidc/callback/key2"
WORKOS_CERT = "-----BEGIN CERTIFICATE-----\nV29ya09TLWNlcnQ=\n-----END CERTIFICATE-----"
CTX = Context(
    "Acme Docs",
    "Pat <it-help@vendor.example>",
    {"editor": "editor-role", "viewer": "viewer"},
    {"organization-test-2": "Parent Co"},
)


def item(kind: str, raw: dict[str, Any], status: str, details: dict[str, Any] | None = None) -> Item:
    d = decide(kind, raw, ConnectionsConfig())
    return Item(d.facts, status, d.reason, details or {})


def both(items: list[Item]) -> tuple[str, str]:
    packet = build_packet("organization-test-1", "Zoë [Corp] *Ltd*", items, CTX)
    return render_markdown(packet), render_text(packet)


SAML_DETAILS = {
    "acs_url": NEW_ACS,
    "callback_url": NEW_ACS,
    "sp_encryption_certs": [WORKOS_CERT],
    "sp_signing_cert": WORKOS_CERT,
}


@pytest.mark.parametrize(
    ("items", "present", "absent"),
    [
        (
            [item("saml", saml(), "created", SAML_DETAILS)],
            ["Single sign-on URL", NEW_ACS, "Audience URI (SP Entity ID)", saml()["acs_url"], "unchanged"],
            ["encrypts its answers", "set up again"],
        ),
        (
            [
                item(
                    "saml",
                    saml(
                        encryption_private_keys=[{"private_key": PRIVATE_KEY}],
                        identity_provider="microsoft-entra",
                    ),
                    "recovered",
                    SAML_DETAILS,
                )
            ],
            [
                "Reply URL (Assertion Consumer Service URL)",
                NEW_ACS,
                "encrypts its answers",
                WORKOS_CERT.splitlines()[1],
            ],
            [],
        ),
        (
            [
                item(
                    "saml",
                    saml(alternative_acs_url="https://login.vendor.example/acs", identity_provider="x"),
                    "created",
                    SAML_DETAILS,
                )
            ],
            ["Nothing changes in", "Audience / SP Entity ID"],
            [NEW_ACS + "`"],
        ),
        (
            [item("oidc", oidc(), "created", {"redirect_uri": NEW_REDIRECT})],
            ["Redirect URI (Web platform)", NEW_REDIRECT, "client-1", "client secret"],
            [],
        ),
        (
            [item("saml", saml(), "handoff")],
            ["set up once more", "five minutes", "Pat"],
            ["Single sign-on URL"],
        ),
        (
            [item("external", external(), "handoff")],
            ["Parent Co", "set up once more", "role viewer", "“Eng”", "role editor-role"],
            [],
        ),
        (
            [item("scim", scim(), "handoff")],
            [
                "SCIM connector base URL",
                "API token",
                "ending in abcd",
                scim()["base_url"],
                "directory sync",
                "role editor-role",
            ],
            [],
        ),
        (
            [item("saml", saml(status="pending"), "skipped")],
            ["Zoë"],
            ["Okta"],
        ),
    ],
)
def test_packet_contents(items: list[Item], present: list[str], absent: list[str]) -> None:
    markdown, text = both(items)
    for rendered in (markdown, text):
        flat = " ".join(rendered.split())
        for phrase in present:
            assert phrase in flat or phrase in rendered, (phrase, rendered)
        for phrase in absent:
            assert phrase not in rendered
        # Never a secret, never the old SP's own certificate or key, never the vendors' names.
        for secret in (SECRET, PRIVATE_KEY, SP_CERT, IDP_CERT, "PRIVATE KEY"):
            assert secret not in rendered
        assert "Stytch" not in rendered and "WorkOS" not in rendered
        assert "Acme Docs" in rendered


def test_markdown_escapes_names_and_keeps_urls_as_code() -> None:
    markdown, text = both([item("saml", saml(display_name="Okta_*x*"), "created", SAML_DETAILS)])
    assert markdown.startswith("# Single sign-on changes for Zoë \\[Corp\\] \\*Ltd\\*\n")
    assert f"| `{NEW_ACS}` |" in markdown
    assert text.startswith("Single sign-on changes for Zoë [Corp] *Ltd*\n=====")
    assert all(len(line) <= 78 or "://" in line or line.startswith("    ") for line in text.splitlines())


def test_api_unavailable_handoff_reads_like_any_setup_again() -> None:
    d = decide("saml", saml(), ConnectionsConfig())
    markdown, _ = both([Item(d.facts, "handoff", API_UNAVAILABLE)])
    assert "setup link for single sign-on" in markdown and API_UNAVAILABLE not in markdown


@pytest.mark.parametrize(
    ("slug", "taken", "expected"),
    [
        ("acme", set(), "acme"),
        ("Zoë GmbH", set(), "zo-gmbh"),
        ("../../etc", set(), "etc"),
        ("", set(), "organization-test-000000000001"),
        ("acme", {"acme"}, "acme-000000000001"),
    ],
)
def test_file_stem(slug: str, taken: set[str], expected: str) -> None:
    assert file_stem(slug, "organization-test-000000000001", taken) == expected
    assert expected in taken
