"""Credentials and locations from the environment, as frozen values.

Pure: every function takes the environment as a mapping. Keys come only from the
environment, never from argv (argv leaks through shell history and ``ps``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from stytch2workos.errors import ConfigError

DEFAULT_WORKSPACE = "stytch2workos-workspace"
SECRET_VARIABLES = ("STYTCH_SECRET", "WORKOS_API_KEY", "WORKOS_WEBHOOK_SECRET", "STYTCH_WEBHOOK_SECRET")
BASE_URL_VARIABLES = ("STYTCH_BASE_URL", "WORKOS_BASE_URL")
# Below this many characters a key's last four would give away too much of it.
_SHOW_SUFFIX_FROM = 20


@dataclass(frozen=True)
class StytchCredentials:
    project_id: str
    secret: str = field(repr=False)
    # None lets the SDK pick test or live from the project id.
    base_url: str | None = None

    @property
    def environment(self) -> str:
        if self.base_url:
            return self.base_url
        return "live" if self.project_id.startswith("project-live-") else "test"


@dataclass(frozen=True)
class WorkOSCredentials:
    api_key: str = field(repr=False)
    client_id: str | None = None
    base_url: str | None = None

    @property
    def environment_label(self) -> str:
        """What to show an operator about the target, without revealing the key."""
        kind = "production" if self.api_key.startswith("sk_live") else "staging/test"
        where = without_userinfo(self.base_url or "https://api.workos.com")
        suffix = f" …{self.api_key[-4:]}" if len(self.api_key) >= _SHOW_SUFFIX_FROM else ""
        return f"{where} ({kind} key{suffix})"


def without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` part (a proxy's credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def secret_values(env: Mapping[str, str]) -> list[str]:
    """Values in the environment that must never be printed: the credentials, URL passwords."""
    values = [env.get(name, "").strip() for name in SECRET_VARIABLES]
    for name in BASE_URL_VARIABLES:
        # A malformed URL is refused with its own message later.
        with contextlib.suppress(ValueError):
            values.append(urlsplit(env.get(name, "").strip()).password or "")
    return [value for value in values if value]


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: export your {what} in the environment")
    return value


def base_url(env: Mapping[str, str], name: str) -> str | None:
    """An API address override from ``name``: an http(s) URL with a host, or None when unset."""
    value = env.get(name, "").strip()
    if not value:
        return None
    # The value is not quoted back: it may carry a proxy's password.
    example = "e.g. https://api.example.com or http://127.0.0.1:8402"
    if any(c.isspace() for c in value):
        raise ConfigError(f"{name} must be a URL without spaces ({example})")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [IPv6 address
        raise ConfigError(f"{name} is not a valid URL ({example})") from None
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number from 1 to 65535 ({example})") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{name} must start with http:// or https:// ({example})")
    if not parts.hostname:
        raise ConfigError(f"{name} has no host name ({example})")
    if port == 0:
        raise ConfigError(f"{name} has a port that is not a number from 1 to 65535 ({example})")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not have a ?query or #fragment ({example})")
    return value


def stytch_credentials(env: Mapping[str, str]) -> StytchCredentials:
    """Stytch credentials from STYTCH_PROJECT_ID, STYTCH_SECRET and optional STYTCH_BASE_URL."""
    base = base_url(env, "STYTCH_BASE_URL")
    return StytchCredentials(
        project_id=_required(env, "STYTCH_PROJECT_ID", "Stytch project id"),
        secret=_required(env, "STYTCH_SECRET", "Stytch project secret"),
        base_url=base,
    )


def workos_credentials(env: Mapping[str, str], need_client_id: bool = False) -> WorkOSCredentials:
    """WorkOS credentials from WORKOS_API_KEY, WORKOS_CLIENT_ID and optional WORKOS_BASE_URL."""
    base = base_url(env, "WORKOS_BASE_URL")
    client_id = env.get("WORKOS_CLIENT_ID", "").strip() or None
    if need_client_id and client_id is None:
        raise ConfigError("WORKOS_CLIENT_ID is not set: export your WorkOS client id")
    return WorkOSCredentials(
        api_key=_required(env, "WORKOS_API_KEY", "WorkOS API key"),
        client_id=client_id,
        base_url=base,
    )


def workspace_dir(flag: str | None, env: Mapping[str, str], cwd: Path) -> Path:
    """The workspace: ``--workspace``, else STYTCH2WORKOS_WORKSPACE, else one in ``cwd``."""
    raw = flag or env.get("STYTCH2WORKOS_WORKSPACE", "").strip() or DEFAULT_WORKSPACE
    path = Path(raw).expanduser()
    return path if path.is_absolute() else cwd / path
