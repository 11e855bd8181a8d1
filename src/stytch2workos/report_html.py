"""``report --html``: one self-contained HTML page of where the migration stands.

The page shows the ``status`` model (every figure carries ``data-status="<path>"``, its
place in ``status --json``, so a script or a test can check one against the other), the
charts of ``report_charts`` and the tables of ``report_details``, sortable and
filterable by a small inline script. Styles, script and charts are inline and a
Content-Security-Policy forbids any fetch: the file opens the same from a disk, a mail
or an archive, with no network. Customers' packets are linked relative to the page.

Nothing secret is in it: the status model and the details read no hash, salt, key or
connection secret, and every value from the data is HTML-escaped.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stytch2workos import report_charts as charts
from stytch2workos.private_files import open_private_text
from stytch2workos.report_details import Details, Table
from stytch2workos.status import Status, lookup

TITLE = "Stytch → WorkOS migration: where it stands"
_STAGE_COLUMNS = ("planned", "done", "failed", "skipped", "handoff", "in_flight", "left")


def _resource(name: str) -> str:
    return (resources.files("stytch2workos") / "templates" / name).read_text(encoding="utf-8")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _format(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


class _Page:
    """Builds the body; every figure is read from the status document by its path."""

    def __init__(self, doc: dict[str, Any], out_dir: Path) -> None:
        self.doc = doc
        self.out_dir = out_dir
        self.parts: list[str] = []

    def fig(self, path: str) -> str:
        return f'<span data-status="{_e(path)}">{_e(_format(lookup(self.doc, path)))}</span>'

    def card(self, label: str, path: str, tone: str = "") -> str:
        return (
            f'<div class="card {tone}"><span class="figure">{self.fig(path)}</span>'
            f'<span class="label">{_e(label)}</span></div>'
        )

    def add(self, text: str) -> None:
        self.parts.append(text)

    def link(self, target: str | None, label: str) -> str:
        if not target:
            return ""
        relative = os.path.relpath(target, self.out_dir)
        return f'<a href="{_e(quote(Path(relative).as_posix()))}">{_e(label)}</a>'


def _header(page: _Page) -> None:
    doc = page.doc
    snap = doc["snapshot"]
    taken = (
        f"snapshot {snap['id']} ({snap['source']}) finished {snap['finished_at']}" if snap else "no snapshot"
    )
    page.add(
        f"<header><h1>{_e(TITLE)}</h1><p>Generated {_e(doc['generated_at'])} from the workspace "
        f"{_e(doc['workspace'])}; {_e(taken)}.</p></header><main>"
    )


def _cards(page: _Page) -> None:
    doc = page.doc
    cards = []
    if doc["snapshot"]:
        cards += [
            page.card("organizations", "snapshot.organizations"),
            page.card("members", "snapshot.members"),
            page.card("people", "snapshot.people"),
        ]
    cards += [
        page.card("refused by the export", "problems.refused", "bad" if doc["problems"]["refused"] else ""),
        page.card("users in WorkOS", "stages.users.done", "ok"),
        page.card("memberships in WorkOS", "stages.memberships.done", "ok"),
        page.card("records failed", "failed", "bad" if doc["failed"] else ""),
        page.card("passwords applied", "passwords.applied"),
        page.card("customers done (SSO)", "handoff.done", "ok"),
        page.card("customers waiting (SSO)", "handoff.waiting"),
    ]
    page.add(f'<section id="summary"><h2>At a glance</h2><div class="cards">{"".join(cards)}</div></section>')


def _stages(page: _Page) -> None:
    head = "".join(f'<th class="num">{_e(c.replace("_", " "))}</th>' for c in _STAGE_COLUMNS)
    rows = []
    for name in page.doc["stages"]:
        cells = "".join(f'<td class="num">{page.fig(f"stages.{name}.{c}")}</td>' for c in _STAGE_COLUMNS)
        rows.append(f"<tr><th>{_e(name)}</th>{cells}</tr>")
    plan = page.doc["problems"]["plan"]
    problems = ""
    if plan is None:
        problems = (
            '<p class="note">No plan yet: <code>stytch2workos plan</code> says what import will do.</p>'
        )
    else:
        items = [
            f'<li class="problem {sev}">{_e(sev)}: {_e(p["code"])} — {_e(_format(p["count"]))}: {_e(p["message"])}</li>'
            for sev, key in (("blocking", "blocking"), ("warning", "warnings"))
            for p in plan[key]
        ]
        problems = f'<p class="note">Last plan written {_e(plan["written_at"])}.</p>' + (
            f"<ul>{''.join(items)}</ul>" if items else '<p class="note">The plan found no problems.</p>'
        )
    page.add(
        '<section id="stages"><h2>Import stages</h2>'
        f'<table id="stage-table"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f"{problems}</section>"
    )


def _lines(page: _Page) -> None:
    doc = page.doc
    pw = doc["passwords"]
    if pw["loaded"]:
        passwords = (
            f"{page.fig('passwords.loaded')} hash rows loaded, {page.fig('passwords.usable')} usable: "
            f"{page.fig('passwords.applied')} applied, {page.fig('passwords.failed')} failed, "
            f"{page.fig('passwords.waiting')} waiting; {page.fig('passwords.need_reset')} people must reset."
        )
    else:
        passwords = "No password hashes loaded yet."
    if doc["sync"] is None:
        sync = "Sync: never run."
    else:
        sync = (
            f"Sync ({_e(doc['sync']['mode'])}), started {_e(doc['sync']['started_at'])}: "
            f"{page.fig('sync.applied')} applied, {page.fig('sync.conflicts')} conflicts, "
            f"{page.fig('sync.failures')} failures; lag {page.fig('sync.lag_seconds')} s."
        )
    if doc["verify"] is None:
        verify = "Verify: never run."
    elif doc["verify"].get("mode") == "rollback":
        verify = (
            f"Verify after the rollback ({_e(doc['verify']['finished_at'])}): "
            f"{page.fig('verify.left')} left in WorkOS, {page.fig('verify.missing')} reused ones missing, "
            f"{page.fig('verify.kept')} kept on purpose."
        )
    else:
        verify = (
            f"Verify ({_e(doc['verify']['finished_at'])}, snapshot {page.fig('verify.snapshot')}): "
            f"{page.fig('verify.missing')} missing, {page.fig('verify.different')} different, "
            f"{page.fig('verify.unexpected')} unexpected."
        )
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in doc["notes"])
    page.add(f'<section id="lines"><p>{passwords}</p><p>{sync}</p><p>{verify}</p>{notes}</section>')


def _chart(title: str, svg: str | None, empty: str) -> str:
    body = svg if svg is not None else f'<p class="empty">{_e(title)}: {_e(empty)}</p>'
    return f'<div class="chart">{body}</div>'


def _charts(page: _Page, details: Details) -> None:
    doc = page.doc
    snap = doc["snapshot"] or {}
    handoff = doc["handoff"]
    lag = doc["sync"]["lag_seconds"] if doc["sync"] else None
    items = [
        _chart(
            "Members by status",
            charts.pie("Members by status", list((snap.get("members_by_status") or {}).items())),
            "no snapshot",
        ),
        _chart(
            "Members by sign-in method",
            charts.bars(
                "Members by sign-in method",
                list((snap.get("members_by_auth_method") or {}).items()),
                "members",
            ),
            "no snapshot",
        ),
        _chart(
            "People per organization",
            charts.bars("Members per organization", details.members_per_organization, "members"),
            "no snapshot",
        ),
        _chart(
            "Import progress",
            charts.progress(f"Import progress (done, per {details.progress_bucket})", details.progress),
            "nothing imported yet",
        ),
        _chart(
            "Failures by reason",
            charts.bars("Failures by reason", details.failures_by_reason, "failures"),
            "no failures",
        ),
        _chart(
            "Customers' SSO handoff",
            charts.pie(
                "Customers' SSO handoff",
                [(s, handoff[s]) for s in ("done", "waiting", "failed")],
                [charts.STATE_COLOURS[s] for s in ("done", "waiting", "failed") if handoff[s]],
            ),
            "no customer has SSO or SCIM to hand over",
        ),
        _chart(
            "Handoff per customer",
            charts.handoff("Handoff per customer", handoff["customers"]),
            "no customer",
        ),
        _chart(
            "Sync lag", charts.lag("Last sync lag", float(lag)) if lag is not None else None, "sync never run"
        ),
    ]
    page.add(f'<section id="charts"><h2>Charts</h2><div class="charts">{"".join(items)}</div></section>')


def _table(
    table_id: str, title: str, columns: Sequence[str], rows: Sequence[str], total: int, note: str = ""
) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    beyond = f" (the first {len(rows):,} of {total:,})" if total > len(rows) else ""
    tools = (
        f'<div class="tools"><input type="search" data-filter="{table_id}" placeholder="Filter {_e(title.lower())}…" '
        f'aria-label="Filter {_e(title.lower())}"><span><span data-shown-for="{table_id}">{len(rows)}</span> '
        f"shown{_e(beyond)}</span></div>"
    )
    notes = f'<p class="note">{_e(note)}</p>' if note else ""
    body = "".join(rows) if rows else ""
    return (
        f'<section id="{table_id}-section"><h2>{_e(title)} '
        f'(<span data-total-for="{table_id}">{total:,}</span>)</h2>{notes}{tools}'
        f'<table class="data" id="{table_id}" data-rows="{len(rows)}" data-total="{total}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _plain_rows(table: Table) -> list[str]:
    return ["<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in table.rows]


def _customers(page: _Page) -> str:
    waiting = [c for c in page.doc["handoff"]["customers"] if c["state"] != "done"]
    rows = []
    for c in waiting:
        open_items = "".join(
            f'<li><span class="state-{_e(i["state"])}">{_e(i["state"])}</span> {_e(i["label"])}'
            f"{(' — ' + _e(i['detail'])) if i['detail'] else ''}</li>"
            for i in c["items"]
            if i["state"] != "skipped"
        )
        since = max((i["since"] or "" for i in c["items"]), default="")
        packet = c["packet"]
        links = (
            page.link(packet, "packet (Markdown)")
            + " · "
            + page.link(str(Path(packet).with_suffix(".txt")), "text")
            if packet
            else "not written yet: run <code>stytch2workos packets</code>"
        )
        rows.append(
            f'<tr data-organization="{_e(c["organization_id"])}"><td>{_e(c["name"] or c["organization_id"])}</td>'
            f'<td class="state-{_e(c["state"])}">{_e(c["state"])}</td><td><ul class="items">{open_items}</ul></td>'
            f"<td>{_e(since)}</td><td>{links}</td></tr>"
        )
    source = (
        "WorkOS, read when the report was made"
        if page.doc["handoff"]["source"] == "workos"
        else (
            "the workspace: what import recorded and the WorkOS events received (report --live asks WorkOS)"
        )
    )
    return _table(
        "customers",
        "Customers waiting",
        ("customer", "state", "connections and directories", "since", "packet"),
        rows,
        len(waiting),
        f"From {source}.",
    )


def render(status: Status, details: Details, out_dir: Path) -> str:
    """The whole page as text; links are relative to ``out_dir``, where it will be written."""
    page = _Page(status.to_json(), out_dir)
    _header(page)
    _cards(page)
    _stages(page)
    _lines(page)
    _charts(page, details)
    page.add(_customers(page))
    for table_id, title, table in (
        ("failures", "Failures", details.failures),
        ("resets", "People to reset a password or a second factor", details.resets),
        ("conflicts", "Sync conflicts", details.conflicts),
    ):
        page.add(_table(table_id, title, table.columns, _plain_rows(table), table.total, table.note))
    page.add("</main>")
    text = _resource("report.html")
    # One pass each, the placeholders last: nothing from the data can be taken for one.
    for key, value in (
        ("css", _resource("report.css")),
        ("js", _resource("report.js")),
        ("title", _e(TITLE)),
    ):
        text = text.replace("{{" + key + "}}", value)
    return text.replace("{{body}}", "".join(page.parts))


def write_report(path: Path, status: Status, details: Details) -> None:
    """Write the page owner-only (it names people and organizations)."""
    text = render(status, details, path.absolute().parent)
    with open_private_text(path) as out:
        out.write(text)
