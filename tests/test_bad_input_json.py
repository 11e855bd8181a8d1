"""Bad `export --from-json` input, through the real CLI and on into WorkOS (the emulator).

Every case is a small project file with one thing wrong, and its expected outcome:

* ``file``: the file is refused — exit 2, one line on stderr starting ``error:`` that
  names the problem, no traceback, and nothing half-loaded left behind;
* ``rows``: the named records are refused (or adjusted) — export, plan and import exit
  0, the refused ids are listed, and WorkOS ends up with everyone else;
* ``accepted``: nothing is wrong with it after all.

What WorkOS should hold is computed here from the file and the refused ids, not with
the tool's own mapping code, and read back through the official ``workos`` SDK.
"""

from __future__ import annotations

import copy
import json
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from workos import WorkOSClient

from conftest import Emulator
from helpers import Run, cli_env, run_cli, start_cli
from stytch2workos.workspace import DB_NAME

O1, O2, O3 = (f"organization-test-0000000{i}-0000-4000-8000-000000000000" for i in (1, 2, 3))


def mid(n: int) -> str:
    return f"member-test-{n:08d}-0000-4000-8000-000000000000"


def base() -> dict[str, Any]:
    """Three organizations; five people, one of them (Ada) a member of two."""

    def org(oid: str, name: str, slug: str) -> dict[str, Any]:
        return {"organization_id": oid, "organization_name": name, "organization_slug": slug}

    def member(n: int, oid: str, email: str, name: str) -> dict[str, Any]:
        return {
            "member_id": mid(n),
            "organization_id": oid,
            "email_address": email,
            "status": "active",
            "name": name,
            "email_address_verified": True,
            "external_id": None,
            "roles": [{"role_id": "stytch_member", "sources": [{"type": "direct_assignment"}]}],
            "trusted_metadata": {},
            "created_at": f"2024-01-0{n}T00:00:00Z",
            "updated_at": f"2024-01-0{n}T00:00:00Z",
        }

    return {
        "organizations": [org(O1, "Acme", "acme"), org(O2, "Beta", "beta"), org(O3, "Gamma", "gamma")],
        "members": [
            member(1, O1, "ada@acme.example", "Ada Lovelace"),
            member(2, O2, "ada@acme.example", "Ada King"),
            member(3, O1, "bob@acme.example", "Bob Stone"),
            member(4, O2, "cy@beta.example", "Cy Young"),
            member(5, O3, "dee@gamma.example", "Dee Dee"),
        ],
    }


Outcome = Literal["file", "rows", "accepted"]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], dict[str, Any] | str | bytes]
    outcome: Outcome
    error: str = ""  # for a refused file: what the one line must say
    refused: frozenset[str] = frozenset()  # ids of refused records (None-id records: "")
    codes: frozenset[str] = frozenset()  # refusal and adjustment codes the export reports
    check: Callable[[WorkOSClient], None] | None = None  # more about what WorkOS holds


def edit(fn: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        data = base()
        fn(data)
        return data

    return build


def set_member(n: int, **fields: Any) -> Callable[[], dict[str, Any]]:
    def fn(data: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is DROP:
                del data["members"][n - 1][key]
            else:
                data["members"][n - 1][key] = value

    return edit(fn)


def set_org(n: int, **fields: Any) -> Callable[[], dict[str, Any]]:
    def fn(data: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is DROP:
                del data["organizations"][n - 1][key]
            else:
                data["organizations"][n - 1][key] = value

    return edit(fn)


DROP = object()


def text_of(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False)


def raw(fn: Callable[[str], str]) -> Callable[[], str]:
    return lambda: fn(text_of(base()))


def first_name_of(email: str, expected: str | None) -> Callable[[WorkOSClient], None]:
    def check(client: WorkOSClient) -> None:
        (user,) = client.user_management.list_users(email=email).data
        assert user.first_name == expected

    return check


def org_name_of(external_id: str, expected: str) -> Callable[[WorkOSClient], None]:
    def check(client: WorkOSClient) -> None:
        assert client.organizations.get_organization_by_external_id(external_id).name == expected

    return check


def dup_member(data: dict[str, Any]) -> None:
    twin = copy.deepcopy(data["members"][2])
    twin.update(organization_id=O3, email_address="bob.other@gamma.example")
    data["members"].append(twin)


def dup_org(data: dict[str, Any]) -> None:
    data["organizations"].append({**data["organizations"][2], "organization_name": "Gamma Two"})


FIVE_MIB = "x" * (5 * 1024 * 1024)
M3, M5 = mid(3), mid(5)

CASES = [
    # -- the file itself ------------------------------------------------------------------
    Case("empty", lambda: "", "file", "expected '{'"),
    Case("top_level_list", lambda: json.dumps([base()]), "file", "expected '{'"),
    Case("truncated", raw(lambda t: t[: len(t) // 2]), "file", "malformed JSON"),
    Case("trailing_comma", raw(lambda t: t.replace("}\n ]\n}", "},\n ]\n}")), "file", "malformed JSON"),
    Case("trailing_text", raw(lambda t: t + "\n{}"), "file", "more text after the end of the JSON object"),
    Case("nan", raw(lambda t: t.replace("true", "NaN", 1)), "file", "NaN is not a JSON value"),
    Case("infinity", raw(lambda t: t.replace("true", "Infinity", 1)), "file", "Infinity is not a JSON value"),
    Case("minus_infinity", raw(lambda t: t.replace("true", "-Infinity", 1)), "file", "-Infinity is not"),
    Case(
        "deep_nesting",
        set_member(1, trusted_metadata={"x": json.loads("[" * 900 + "]" * 900)}),
        "accepted",  # deep, but within what Python reads
    ),
    Case(
        "too_deep",
        raw(
            lambda t: t.replace(
                '"trusted_metadata": {}', '"trusted_metadata": ' + "[" * 50_000 + "]" * 50_000, 1
            )
        ),
        "file",
        "nested too deeply",
    ),
    Case(
        "huge_integer",
        raw(
            lambda t: t.replace('"trusted_metadata": {}', '"trusted_metadata": {"n": ' + "7" * 5000 + "}", 1)
        ),
        "file",
        "a number with too many digits",
    ),
    Case(
        "members_twice",
        raw(lambda t: t[:-2] + ', "members": []\n}'),
        "file",
        'the key "members" appears twice',
    ),
    Case("no_members", edit(lambda d: d.pop("members")), "file", 'no "members" array'),
    Case("no_organizations", edit(lambda d: d.pop("organizations")), "file", 'no "organizations" array'),
    Case("organizations_not_a_list", edit(lambda d: d.update(organizations={})), "file", "expected '['"),
    Case("invalid_utf8", lambda: text_of(base()).encode().replace(b"Acme", b"Ac\xffe"), "file", "not UTF-8"),
    Case("byte_order_mark", lambda: b"\xef\xbb\xbf" + text_of(base()).encode(), "accepted"),
    Case(
        "other_top_level_keys",
        edit(lambda d: d.update(exported_at="2024-05-01", extra={"a": [1]})),
        "accepted",
    ),
    Case(
        "nulls_where_stytch_allows_them", set_member(3, name=None, external_id=None, roles=None), "accepted"
    ),
    # -- members --------------------------------------------------------------------------
    Case(
        "member_without_email",
        set_member(3, email_address=DROP),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"missing_field"}),
    ),
    Case(
        "member_email_null",
        set_member(3, email_address=None),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"missing_field"}),
    ),
    Case(
        "member_email_number",
        set_member(3, email_address=3),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_email_too_long",
        set_member(3, email_address="b" * 300 + "@acme.example"),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"email_too_long"}),
    ),
    Case(
        "member_name_number",
        set_member(3, name=12345),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_status_number",
        set_member(3, status=1),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_status_missing",
        set_member(3, status=DROP),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"missing_field"}),
    ),
    Case(
        "member_roles_not_a_list",
        set_member(3, roles="stytch_admin"),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_role_not_an_object",
        set_member(3, roles=["stytch_admin"]),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_metadata_not_an_object",
        set_member(3, trusted_metadata=["a"]),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    # A NaN read as a float would have been a verified email; a string is not a bool either.
    Case(
        "member_verified_string",
        set_member(3, email_address_verified="false"),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_id_missing",
        set_member(3, member_id=DROP),
        "rows",
        refused=frozenset({""}),
        codes=frozenset({"missing_field"}),
    ),
    Case(
        "member_id_too_long",
        set_member(3, member_id="m" * 601),
        "rows",
        refused=frozenset({"m" * 601}),
        codes=frozenset({"invalid_id"}),
    ),
    Case(
        "member_not_an_object",
        edit(lambda d: d["members"].append(42)),
        "rows",
        refused=frozenset({""}),
        codes=frozenset({"not_an_object"}),
    ),
    # The same member id twice: which one is Bob? Both copies are refused, never merged.
    Case(
        "member_id_twice",
        edit(dup_member),
        "rows",
        refused=frozenset({M3}),
        codes=frozenset({"duplicate_id"}),
    ),
    # Ada's member in Beta is refused; her member in Acme still migrates.
    Case(
        "one_of_two_members_of_a_person",
        set_member(2, roles={"stytch_admin": True}),
        "rows",
        refused=frozenset({mid(2)}),
        codes=frozenset({"wrong_type"}),
    ),
    Case(
        "member_name_5_mib",
        set_member(3, name=FIVE_MIB),
        "rows",
        codes=frozenset({"name_too_long"}),
        check=first_name_of("bob@acme.example", None),
    ),
    Case(
        "member_external_id_too_long",
        set_member(3, external_id="e" * 200),
        "rows",
        codes=frozenset({"external_id_unusable"}),
    ),
    # -- organizations --------------------------------------------------------------------
    Case(
        "organization_without_name",
        set_org(3, organization_name=DROP),
        "rows",
        codes=frozenset({"missing_name"}),
        check=org_name_of(O3, "gamma"),
    ),
    Case(
        "organization_name_5_mib",
        set_org(3, organization_name=FIVE_MIB),
        "rows",
        codes=frozenset({"name_too_long"}),
        check=org_name_of(O3, "gamma"),
    ),
    Case(
        "organization_external_id_not_ascii",
        set_org(3, organization_external_id="crm-ü"),
        "rows",
        codes=frozenset({"external_id_unusable"}),
    ),
    # An organization refused takes its members with it (reported, each with its reason).
    Case(
        "organization_name_number",
        set_org(3, organization_name=3),
        "rows",
        refused=frozenset({O3, M5}),
        codes=frozenset({"wrong_type", "organization_refused"}),
    ),
    Case(
        "organization_id_twice",
        edit(dup_org),
        "rows",
        refused=frozenset({O3, M5}),
        codes=frozenset({"duplicate_id", "organization_refused"}),
    ),
    Case(
        "organization_id_too_long",
        edit(
            lambda d: d["organizations"].append({"organization_id": "o" * 129, "organization_name": "Long"})
        ),
        "rows",
        refused=frozenset({"o" * 129}),
        codes=frozenset({"invalid_id"}),
    ),
    Case(
        "organization_without_id",
        edit(lambda d: d["organizations"].append({"organization_name": "Nobody"})),
        "rows",
        refused=frozenset({""}),
        codes=frozenset({"missing_field"}),
    ),
    Case(
        "organization_domains_not_a_list",
        set_org(2, email_allowed_domains="beta.example"),
        "rows",
        refused=frozenset({O2, mid(2), mid(4)}),
        codes=frozenset({"wrong_type", "organization_refused"}),
    ),
]


def write(path: Path, content: dict[str, Any] | str | bytes) -> None:
    if isinstance(content, dict):
        content = text_of(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)


def cli(args: list[str], workos: Emulator | None = None) -> Run:
    return run_cli(args, cli_env(None, workos.base_url if workos else None))


def assert_one_error_line(run: Run, *needles: str) -> None:
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in run.stderr and "unexpected" not in run.stderr.lower()


def expected_in_workos(
    data: dict[str, Any], refused: frozenset[str]
) -> tuple[set[str], set[tuple[str, str]]]:
    """(user emails, (email, organization id) memberships) for everyone not refused."""
    orgs = {o.get("organization_id") for o in data["organizations"]} - refused - {None}
    kept = [
        m
        for m in data["members"]
        if isinstance(m, dict)
        and m.get("member_id") not in refused
        and "member_id" in m
        and m["organization_id"] in orgs
    ]
    return {m["email_address"] for m in kept}, {(m["email_address"], m["organization_id"]) for m in kept}


def workos_holds(client: WorkOSClient) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    orgs = list(client.organizations.list_organizations(limit=100).auto_paging_iter())
    users = list(client.user_management.list_users(limit=100).auto_paging_iter())
    email_of = {u.id: u.email for u in users}
    memberships = {
        (email_of[m.user_id], str(o.external_id))
        for o in orgs
        for m in client.organization_membership.list_organization_memberships(
            organization_id=o.id, limit=100
        ).auto_paging_iter()
    }
    return set(email_of.values()), memberships, {str(o.external_id) for o in orgs}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.outcome for c in CASES} == {"file", "rows", "accepted"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, workos_emu: Emulator, workos_client: WorkOSClient) -> None:
    content = case.build()
    path, ws = tmp_path / "project.json", tmp_path / "ws"
    write(path, content)
    export = cli(["export", "--from-json", str(path), "-w", str(ws), "--json"])

    if case.outcome == "file":
        assert_one_error_line(export, str(path), case.error)
        # Nothing half-loaded is left to be resumed, and there is nothing to plan from.
        with sqlite3.connect(ws / DB_NAME) as db:
            assert db.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0
            assert db.execute("SELECT COUNT(*) FROM snapshots WHERE status != 'abandoned'").fetchone()[0] == 0
        return

    assert export.code == 0, export.stderr
    assert "Traceback" not in export.stderr
    summary = export.json()
    refused = summary["refused_records"]
    assert {e["id"] or "" for e in refused["examples"]} == case.refused
    found_codes = set(refused["by_code"]) | set(summary["adjusted_records"]["by_code"])
    assert found_codes == case.codes
    data = content if isinstance(content, dict) else base()

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 0, plan.stderr
    problems = {p["code"]: p for p in plan.json()["problems"]}
    # Counted by record: the copies of a repeated id are one record, as in import's ledger.
    records = {(e["entity"], e["id"] or f"character {e['position']}") for e in refused["examples"]}
    if case.refused:
        assert problems["refused_record"]["severity"] == "warning"
        assert problems["refused_record"]["count"] == len(records)
        skipped = plan.json()["skipped"]
        assert sum(skipped.get(c, 0) for c in case.codes) == sum(1 for e, _ in records if e == "member")
    else:
        assert "refused_record" not in problems
    assert ("adjusted_record" in problems) == bool(summary["adjusted_records"]["count"])

    imported = cli(["import", "-w", str(ws), "--yes", "--json"], workos_emu)
    assert imported.code == 0, imported.stderr + imported.stdout
    result = imported.json()
    assert result["failures"] == []
    # One ledger row per refused member (a repeated id is one member).
    refused_members = {
        e["id"] or f"character {e['position']}" for e in refused["examples"] if e["entity"] == "member"
    }
    assert result["ledger"].get("skip", {}).get("skipped", 0) == len(refused_members)

    users, memberships = expected_in_workos(data, case.refused)
    got_users, got_memberships, got_orgs = workos_holds(workos_client)
    assert got_users == users
    assert got_memberships == memberships
    assert got_orgs == {o.get("organization_id") for o in data["organizations"]} - case.refused - {None}
    if case.check is not None:
        case.check(workos_client)


# -- an unfinished load and a different file under the same name ---------------------------


def big_project(people: int, tag: str) -> dict[str, Any]:
    orgs = [
        {"organization_id": f"organization-test-{tag}-{i:04d}", "organization_name": f"Org {i}"}
        for i in range(20)
    ]
    members = [
        {
            "member_id": f"member-test-{tag}-{i:06d}",
            "organization_id": orgs[i % 20]["organization_id"],
            "email_address": f"person{i}@{tag}.example",
            "status": "active",
            "name": f"Person {i}",
        }
        for i in range(people)
    ]
    return {"organizations": orgs, "members": members}


def stored(ws: Path) -> tuple[int, int]:
    with sqlite3.connect(ws / DB_NAME) as db:
        members = db.execute("SELECT COUNT(*) FROM members").fetchone()[0]
        orgs = db.execute("SELECT COUNT(*) FROM organizations").fetchone()[0]
    return int(orgs), int(members)


def kill_after_first_rows(args: list[str], ws: Path) -> None:
    """Start the load and SIGKILL it once some rows are committed (before it completes)."""
    proc = start_cli(args, cli_env())
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (ws / DB_NAME).exists():
                try:
                    if stored(ws)[1] > 0:
                        break
                except sqlite3.OperationalError:
                    pass  # the schema is not there yet
            time.sleep(0.01)
        assert proc.poll() is None, "the load finished before it could be interrupted"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.communicate(timeout=30)


@pytest.mark.parametrize("change", ["fewer_members", "same_size_changed_early", "same_size_changed_late"])
def test_an_unfinished_load_goes_on_only_with_the_same_file(tmp_path: Path, change: str) -> None:
    ws, path = tmp_path / "ws", tmp_path / "export.json"
    a = big_project(60_000, "a")
    write(path, a)
    args = ["export", "--from-json", str(path), "-w", str(ws), "--json"]
    kill_after_first_rows(args, ws)
    partial = stored(ws)
    assert 0 < partial[1] < 60_000

    # Another file under the same name.
    if change == "fewer_members":
        b = big_project(1_000, "b")
    else:
        # The same size, one address changed: in the part the stored rows came from, or
        # after it (then the stored rows are exactly what this file gives: it goes on).
        b = copy.deepcopy(a)
        which = 0 if change == "same_size_changed_early" else -1
        b["members"][which]["email_address"] = b["members"][which]["email_address"].replace("@a.", "@b.")
        assert len(text_of(b)) == len(text_of(a))
    write(path, b)
    expected = {m["email_address"] for m in b["members"]}

    if change == "same_size_changed_late":
        resumed = cli(args)
        assert resumed.code == 0, resumed.stderr
        assert resumed.json()["resumed"] is True
    else:
        refused = cli(args)
        assert_one_error_line(refused, "unfinished load of another file", "--restart")
        assert stored(ws) == partial  # nothing was changed
        restarted = cli([*args, "--restart"])
        assert restarted.code == 0, restarted.stderr
        assert restarted.json()["resumed"] is False
    assert stored(ws) == (20, len(b["members"]))
    with sqlite3.connect(ws / DB_NAME) as db:
        assert {r[0] for r in db.execute("SELECT email FROM members")} == expected


def test_an_unfinished_load_resumes_from_the_same_file_even_renamed(tmp_path: Path) -> None:
    ws, path = tmp_path / "ws", tmp_path / "export.json"
    data = big_project(60_000, "a")
    write(path, data)
    kill_after_first_rows(["export", "--from-json", str(path), "-w", str(ws)], ws)
    renamed = path.rename(tmp_path / "renamed.json")
    resumed = cli(["export", "--from-json", str(renamed), "-w", str(ws), "--json"])
    assert resumed.code == 0, resumed.stderr
    assert resumed.json()["resumed"] is True
    assert resumed.json()["members"] == 60_000
    assert stored(ws) == (20, 60_000)


def test_restart_never_drops_a_complete_snapshot(tmp_path: Path) -> None:
    ws, path = tmp_path / "ws", tmp_path / "export.json"
    write(path, base())
    assert cli(["export", "--from-json", str(path), "-w", str(ws)]).code == 0
    write(path, big_project(10, "b"))
    again = cli(["export", "--from-json", str(path), "-w", str(ws), "--restart", "--json"])
    assert again.code == 0, again.stderr
    assert again.json()["members"] == 10
    with sqlite3.connect(ws / DB_NAME) as db:
        statuses = [r[0] for r in db.execute("SELECT status FROM snapshots ORDER BY id")]
    assert statuses == ["complete", "complete"]
