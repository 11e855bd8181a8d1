from __future__ import annotations

from pathlib import Path

import pytest

from stytch2workos.errors import ConfigError
from stytch2workos.settings import secret_values, stytch_credentials, workos_credentials, workspace_dir

STYTCH = {"STYTCH_PROJECT_ID": "project-test-abc", "STYTCH_SECRET": "secret-test-fake"}


def test_stytch_environment_follows_the_project_id_unless_a_base_url_is_given() -> None:
    assert stytch_credentials(STYTCH).environment == "test"
    assert stytch_credentials({**STYTCH, "STYTCH_PROJECT_ID": "project-live-abc"}).environment == "live"
    creds = stytch_credentials({**STYTCH, "STYTCH_BASE_URL": "http://127.0.0.1:8401"})
    assert creds.environment == "http://127.0.0.1:8401"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "STYTCH_PROJECT_ID is not set"),
        ({"STYTCH_PROJECT_ID": "p"}, "STYTCH_SECRET is not set"),
        ({**STYTCH, "STYTCH_BASE_URL": "127.0.0.1:80"}, "must start with http"),
    ],
)
def test_stytch_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        stytch_credentials(env)


def test_secrets_never_appear_in_reprs() -> None:
    assert "secret-test-fake" not in repr(stytch_credentials(STYTCH))
    creds = workos_credentials({"WORKOS_API_KEY": "sk_test_fake_key_1234"})
    assert "sk_test_fake_key" not in repr(creds)
    assert creds.environment_label.endswith("(staging/test key …1234)")


def test_workos_client_id_required_when_asked() -> None:
    with pytest.raises(ConfigError, match="WORKOS_CLIENT_ID"):
        workos_credentials({"WORKOS_API_KEY": "sk_test_x"}, need_client_id=True)
    with pytest.raises(ConfigError, match="WORKOS_API_KEY"):
        workos_credentials({})


def test_workspace_dir_precedence(tmp_path: Path) -> None:
    assert workspace_dir(None, {}, tmp_path) == tmp_path / "stytch2workos-workspace"
    assert workspace_dir(None, {"STYTCH2WORKOS_WORKSPACE": "w"}, tmp_path) == tmp_path / "w"
    assert workspace_dir("/abs/x", {"STYTCH2WORKOS_WORKSPACE": "w"}, tmp_path) == Path("/abs/x")


def test_the_target_label_hides_url_credentials_and_short_keys() -> None:
    env = {
        "WORKOS_API_KEY": "sk_test_fake_key_1234",
        "WORKOS_BASE_URL": "https://ops:hunter2@proxy.example:8443/",
    }
    assert workos_credentials(env).environment_label == "https://proxy.example:8443/ (staging/test key …1234)"
    short = workos_credentials({"WORKOS_API_KEY": "sk_live_12345"})
    assert "2345" not in short.environment_label and "production" in short.environment_label


def test_secret_values_are_the_credentials_and_url_passwords() -> None:
    env = {
        **STYTCH,
        "WORKOS_API_KEY": " sk_test_k ",
        "STYTCH_BASE_URL": "http://user:pw-in-url@127.0.0.1:1",
        "WORKOS_BASE_URL": "http://[::1",  # malformed: refused later, with its own message
    }
    assert secret_values(env) == ["secret-test-fake", "sk_test_k", "pw-in-url"]
    assert secret_values({}) == []
