"""What a WorkOS environment already holds: roles, organizations, users."""

from __future__ import annotations

from ..plan import TargetState
from ..progress import NullProgress, Progress
from ..transform.identity import email_key
from .client import WorkOSTarget


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
