"""``status`` on a terminal: the model of ``status.py`` as one screen of Rich text and tables.

Every value that comes from the data (names, codes, details) is escaped: text, never markup.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stytch2workos.status import Status

_STATE_COLOURS = {"done": "green", "waiting": "yellow", "failed": "red"}
_WAITING_SHOWN = 15


def age(seconds: int | None) -> str:
    """``3 min``, ``5 h``, ``2 days``: how long ago, roughly."""
    if seconds is None:
        return "unknown"
    for size, unit in ((86_400, "day"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''}"
    return f"{seconds} s"


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _pairs(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"


def _snapshot(out: Console, snap: dict[str, Any] | None) -> None:
    if snap is None:
        out.print("[bold]Snapshot[/bold]: none complete yet: run `stytch2workos export`")
        return
    out.print(
        f"[bold]Snapshot {snap['id']}[/bold] ({escape(snap['source'])}), finished "
        f"{escape(str(snap['finished_at']))} ({age(snap['age_seconds'])} ago): "
        f"{snap['organizations']:,} organizations, {snap['members']:,} members, {snap['people']:,} people; "
        f"SSO/SCIM connections: {escape(_pairs(snap['connections']))}"
    )
    if snap["export_running"]:
        out.print("  [yellow]an export is running (or stopped part-way): a newer snapshot is coming[/yellow]")


def _problems(out: Console, problems: dict[str, Any]) -> None:
    out.print(
        f"[bold]Records[/bold]: {problems['refused']:,} refused by the export "
        f"({escape(_pairs(problems['refused_by_code']))}), {problems['adjusted']:,} adjusted"
    )
    plan = problems["plan"]
    if plan is None:
        return
    out.print(f"[bold]Last plan[/bold] ({escape(str(plan['written_at']))}):", end=" ")
    if not plan["blocking"] and not plan["warnings"]:
        out.print("no problems")
    else:
        out.print(f"{len(plan['blocking'])} blocking, {len(plan['warnings'])} warning(s)")
    for severity, colour in (("blocking", "red"), ("warnings", "yellow")):
        for p in plan[severity]:
            out.print(
                f"  [{colour}]{severity.rstrip('s')}[/{colour}] " + escape(f"{p['code']}: {p['count']:,}")
            )
    if plan["skipped_members"]:
        out.print("  members import skips: " + escape(_pairs(plan["skipped_members"])))


def _stages(out: Console, stages: dict[str, dict[str, Any]]) -> None:
    table = Table(title="Import stages (ledger)", title_justify="left", show_edge=False)
    columns = ("planned", "done", "failed", "skipped", "handoff", "in_flight", "left")
    table.add_column("")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, row in stages.items():
        cells = [_n(row[c]) for c in columns]
        if row["failed"]:
            cells[2] = f"[red]{cells[2]}[/red]"
        table.add_row(name, *cells)
    out.print(table)


def _passwords(out: Console, pw: dict[str, Any]) -> None:
    if not pw["loaded"]:
        out.print("[bold]Passwords[/bold]: no hashes loaded (`stytch2workos passwords load`)")
        return
    out.print(
        f"[bold]Passwords[/bold]: {pw['loaded']:,} hash rows loaded ({escape(str(pw['loaded_at']))}), "
        f"{pw['usable']:,} usable; {pw['applied']:,} applied, {pw['failed']:,} failed, "
        f"{pw['waiting']:,} waiting; {_n(pw['need_reset'])} people must reset theirs"
    )


def _handoff(out: Console, doc: dict[str, Any]) -> None:
    if not doc["total"]:
        out.print("[bold]SSO handoff[/bold]: no customer has SSO or SCIM to hand over")
        return
    source = (
        "as WorkOS holds it now"
        if doc["source"] == "workos"
        else "as the workspace knows it; --live asks WorkOS"
    )
    out.print(
        f"[bold]SSO handoff[/bold] ({source}): {doc['done']:,} of {doc['total']:,} customers done, "
        f"{doc['waiting']:,} waiting, {doc['failed']:,} failed"
    )
    pending = [c for c in doc["customers"] if c["state"] != "done"]
    if not pending:
        return
    table = Table(show_edge=False, box=None, padding=(0, 1))
    for column in ("customer", "state", "waiting on", "packet"):
        table.add_column(column)
    for c in pending[:_WAITING_SHOWN]:
        colour = _STATE_COLOURS[c["state"]]
        open_items = [i["label"] for i in c["items"] if i["state"] in ("waiting", "failed")]
        table.add_row(
            escape(c["name"] or c["organization_id"]),
            f"[{colour}]{c['state']}[/{colour}]",
            escape(", ".join(open_items)),
            escape(c["packet"] or "(run `stytch2workos packets`)"),
        )
    out.print(table)
    if len(pending) > _WAITING_SHOWN:
        out.print(f"  … and {len(pending) - _WAITING_SHOWN:,} more (`stytch2workos handoff`, or the report)")


def _sync(out: Console, run: dict[str, Any] | None) -> None:
    if run is None:
        out.print("[bold]Sync[/bold]: never run")
        return
    lag = run["lag_seconds"]
    end = "running" if run["finished_at"] is None else f"finished {run['finished_at']}"
    out.print(
        f"[bold]Sync[/bold] ({escape(str(run['mode']))}): started {escape(str(run['started_at']))}, "
        f"{escape(end)}; {run['applied']:,} applied, {run['conflicts']:,} conflicts, "
        f"{run['failures']:,} failures; lag {'unknown' if lag is None else f'{lag:,.1f} s'}"
    )


def _verify(out: Console, run: dict[str, Any] | None) -> None:
    if run is None:
        out.print("[bold]Verify[/bold]: never run")
        return
    ok = run["exit_code"] == 0
    colour = "green" if ok else "red"
    if run.get("mode") == "rollback":
        out.print(
            f"[bold]Verify[/bold] (after the rollback): [{colour}]{'clean' if ok else 'not clean'}[/{colour}] "
            f"({escape(str(run['finished_at']))}): {run['left']:,} left, {run['missing']:,} reused ones "
            f"missing, {run['kept']:,} kept on purpose"
        )
        return
    out.print(
        f"[bold]Verify[/bold]: [{colour}]{'matches' if ok else 'differs'}[/{colour}] "
        f"(snapshot {run['snapshot']}, {escape(str(run['finished_at']))}): {run['missing']:,} missing, "
        f"{run['different']:,} different, {run['unexpected']:,} unexpected"
    )


def render(out: Console, status: Status) -> None:
    """Print the status, one section after another."""
    doc = status.to_json()
    _snapshot(out, doc["snapshot"])
    _problems(out, doc["problems"])
    _stages(out, doc["stages"])
    _passwords(out, doc["passwords"])
    _handoff(out, doc["handoff"])
    _sync(out, doc["sync"])
    _verify(out, doc["verify"])
    live = doc["live"]
    if live is not None:
        out.print(
            f"[bold]WorkOS now[/bold]: {live['organizations']:,} organizations "
            f"({live['organizations_from_stytch']:,} from this Stytch project), {live['users']:,} users"
        )
    for note in doc["notes"]:
        out.print(f"[dim]note[/dim] {escape(note)}")
