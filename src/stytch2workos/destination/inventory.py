"""What a WorkOS environment already holds: roles, organizations, users."""

from __future__ import annotations

from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.plan import TargetState
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.transform.identity import email_key


def read_target(target: WorkOSTarget, progress: Progress | None = None) -> TargetState:
    """List the environment's roles, organizations (by external id) and users (by email)."""
    progress = progress or NullProgress()
    roles = frozenset(target.environment_roles())
    orgs: dict[str, str] = {}
    progress.start("WorkOS orgs", None)
    for org in target.all_organizations():
        if org.external_id:
            orgs[str(org.external_id)] = str(org.id)
        progress.advance("WorkOS orgs")
    progress.finish("WorkOS orgs")
    users: dict[str, str] = {}
    progress.start("WorkOS users", None)
    for user in target.all_users():
        users[email_key(str(user.email))] = str(user.id)
        progress.advance("WorkOS users")
    progress.finish("WorkOS users")
    return TargetState(roles, orgs, users)
