"""One snapshot, as ``export`` and ``migrate`` take it: from the Stytch API or a JSON file.

Returns the summary both commands print (counts, refused and adjusted records, what
changed since the previous snapshot). Credentials come from the environment mapping
it is given; the Stytch SDK is imported only when the API is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stytch2workos.errors import ConfigError
from stytch2workos.pacing import RetryPolicy
from stytch2workos.progress import Progress
from stytch2workos.report import snapshot_summary
from stytch2workos.settings import stytch_credentials
from stytch2workos.workspace import Workspace, problems


@dataclass(frozen=True)
class ExportPace:
    """How fast, and how patiently, the export calls Stytch."""

    searches_per_minute: int = 100  # Stytch documents 100 per minute per search endpoint
    reads_per_second: float = 20.0  # other reads (connections, RBAC): no documented limit
    timeout: float = 30.0
    max_attempts: int = 8

    def check(self) -> None:
        if self.searches_per_minute < 1 or self.max_attempts < 1 or self.reads_per_second < 1:
            raise ConfigError(
                "--searches-per-minute, --reads-per-second and --max-attempts must be at least 1"
            )


def take_snapshot(
    ws: Workspace,
    env: Mapping[str, str],
    pace: ExportPace,
    bar: Progress,
    *,
    refresh: bool = False,
    restart: bool = False,
    from_json: Path | None = None,
) -> dict[str, Any]:
    """Export (or resume exporting) into ``ws``; the snapshot's summary."""
    pace.check()
    from stytch2workos.source.client import StytchSource
    from stytch2workos.source.export import ExportOptions, export_project, load_json_file

    if from_json is not None:
        ws.bind_project(env.get("STYTCH_PROJECT_ID") or ws.get_meta("stytch_project_id") or "from-file")
        result = load_json_file(ws, from_json, refresh, bar, restart=restart)
    else:
        creds = stytch_credentials(env)
        ws.bind_project(creds.project_id)

        def on_retry(exc: Exception, wait: float) -> None:
            bar.note(f"retrying in {wait:.1f}s: {exc}")

        source = StytchSource(
            creds,
            searches_per_minute=pace.searches_per_minute,
            other_per_second=pace.reads_per_second,
            timeout=pace.timeout,
            policy=RetryPolicy(max_attempts=pace.max_attempts),
            on_retry=on_retry,
        )
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
