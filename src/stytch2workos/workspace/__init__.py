"""The workspace: the only package that speaks SQL. Typed methods over one SQLite database."""

from stytch2workos.workspace.core import DB_NAME, Workspace, now_iso

__all__ = ["DB_NAME", "Workspace", "now_iso"]
