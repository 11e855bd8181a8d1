"""One snapshot, as ``export`` and ``migrate`` take it: from the Stytch API or a JSON file.

Returns the summary both commands print (counts, refused and adjusted records, what
changed since the previous snapshot). Credentials come from the environment mapping
it is given; the Stytch SDK is imported only when the API is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stytch2workos.pacing import RetryPolicy
from stytch2workos.progress import Progress
from stytch2workos.report import snapshot_summary
from stytch2workos.settings import StytchCredentials, stytch_credentials
from stytch2workos.stytch_pace import StytchPace
from stytch2workos.workspace import Workspace, problems

if TYPE_CHECKING:
    from stytch2workos.source.client import StytchSource


def stytch_source(
    creds: StytchCredentials, pace: StytchPace, note: Callable[[str], None] | None = None
) -> StytchSource:
    """The Stytch client at ``pace`` (``export``, ``sync``, ``migrate``); each retry told to ``note``."""
    # The Stytch SDK takes a second to import: only the commands that call Stytch pay for it.
    from stytch2workos.source.client import StytchSource

    def on_retry(exc: Exception, wait: float) -> None:
        if note is not None:
            note(f"retrying in {wait:.1f}s: {exc}")

    return StytchSource(
        creds,
        searches_per_minute=pace.searches_per_minute,
        other_per_second=pace.reads_per_second,
        timeout=pace.timeout,
        policy=RetryPolicy(max_attempts=pace.max_attempts),
        on_retry=on_retry if note is not None else None,
    )


def take_snapshot(
    ws: Workspace,
    env: Mapping[str, str],
    pace: StytchPace,
    bar: Progress,
    *,
    refresh: bool = False,
    restart: bool = False,
    from_json: Path | None = None,
) -> dict[str, Any]:
    """Export (or resume exporting) into ``ws``; the snapshot's summary."""
    from stytch2workos.source.export import ExportOptions, export_project, load_json_file

    if from_json is not None:
        ws.bind_project(env.get("STYTCH_PROJECT_ID") or ws.get_meta("stytch_project_id") or "from-file")
        result = load_json_file(ws, from_json, refresh, bar, restart=restart)
    else:
        creds = stytch_credentials(env)
        ws.bind_project(creds.project_id)
        source = stytch_source(creds, pace, bar.note)
        try:
            result = export_project(ws, source, ExportOptions(refresh, restart), bar)
        finally:
            source.close()
    summary = snapshot_summary(ws, result.snapshot_id)
    summary["already_complete"] = result.already_complete
    summary["resumed"] = result.resumed
    summary["retries"] = result.retries
    if result.file_sha256 is not None:
        summary["file"] = {"path": str(from_json), "sha256": result.file_sha256}
    summary.update(problems.summary(ws, result.snapshot_id))
    return summary
