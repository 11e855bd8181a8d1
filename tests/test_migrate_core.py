"""`migrate`'s decisions: which stages run from which workspace state, and what the run says after."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stytch2workos.migrate import Route, Stage, StageResult, State, next_stages, what_next, worst_exit

E, INIT, P, L, M, A, K, V = (
    Stage.EXPORT,
    Stage.INIT,
    Stage.PLAN,
    Stage.PASSWORDS_LOAD,
    Stage.IMPORT,
    Stage.PASSWORDS_APPLY,
    Stage.PACKETS,
    Stage.VERIFY,
)
READY = State(snapshot="complete", config=True)


@pytest.mark.parametrize(
    ("state", "route"),
    [
        # A new workspace: export, propose the config, then stop for a person to read it.
        (State(), Route((E, INIT), "review_config")),
        (State(snapshot="unfinished"), Route((E, INIT), "review_config")),
        # Killed during init's first run: the snapshot is kept, init is not repeated after it ran.
        (State(snapshot="complete"), Route((INIT,), "review_config")),
        (State(snapshot="complete", done=frozenset({E, INIT})), Route((), "review_config")),
        # Reviewed: the rest of the sequence; the snapshot is kept unless --refresh asks.
        (READY, Route((P, M))),
        (replace(READY, refresh=True), Route((E, P, M))),
        (replace(READY, snapshot="unfinished"), Route((E, P, M))),
        # An interrupted export under a reviewed config resumes, then goes on.
        (replace(READY, snapshot="none"), Route((E, P, M))),
        (replace(READY, dry_run=True), Route((P,), "dry_run")),
        (replace(READY, dry_run=True, refresh=True), Route((E, P), "dry_run")),
        # Passwords: a new delivery is loaded before import; one loaded before is not read again,
        # and apply runs whenever hashes are in the workspace.
        (replace(READY, delivery="new"), Route((P, L, M, A))),
        (replace(READY, delivery="loaded", hashes_loaded=True), Route((P, M, A))),
        (replace(READY, hashes_loaded=True), Route((P, M, A))),
        (replace(READY, dry_run=True, delivery="new"), Route((P,), "dry_run")),
        # SSO and SCIM in the snapshot: packets after import; verify last when the build has it.
        (replace(READY, handoff=True), Route((P, M, K))),
        (replace(READY, handoff=True, verify=True, delivery="new"), Route((P, L, M, A, K, V))),
        (replace(READY, verify=True), Route((P, M, V))),
        # Midway through a run: what is done is not run again.
        (replace(READY, verify=True, done=frozenset({P, M})), Route((V,))),
        (replace(READY, refresh=True, done=frozenset({E})), Route((P, M))),
        (replace(READY, verify=True, done=frozenset({P, M, V})), Route(())),
    ],
)
def test_next_stages(state: State, route: Route) -> None:
    assert next_stages(state) == route


def test_a_run_reaches_the_end_one_stage_at_a_time() -> None:
    """Following the route stage by stage (as the CLI does) visits each stage once, in order."""
    state = replace(READY, refresh=True, delivery="new", handoff=True, verify=True)
    seen: list[Stage] = []
    while (stage := next_stages(state).next) is not None:
        seen.append(stage)
        state = replace(state, done=state.done | {stage})
    assert seen == [E, P, L, M, A, K, V]


@pytest.mark.parametrize(
    ("codes", "worst"),
    [([], 0), ([0, 0], 0), ([0, 1, 0], 1), ([1, 2], 2), ([0, 3, 1], 3), ([4, 1], 4), ([5, 0], 5)],
)
def test_the_exit_code_is_the_worst_stage(codes: list[int], worst: int) -> None:
    assert worst_exit(StageResult(P, "done", c) for c in codes) == worst


CMD = "stytch2workos migrate -w ws"


@pytest.mark.parametrize(
    ("results", "stop", "says"),
    [
        ([StageResult(E, "done"), StageResult(INIT, "stopped")], "review_config", "Review migration.toml"),
        ([StageResult(P, "stopped", 1)], None, "--accept CODE"),
        ([StageResult(P, "done")], "dry_run", "without --dry-run"),
        ([StageResult(P, "done"), StageResult(M, "declined", 1)], None, "Nothing more was written"),
        ([StageResult(P, "done"), StageResult(M, "failed", 3)], None, "resumes where it stopped"),
        ([StageResult(M, "findings", 1)], None, "--retry-failed"),
        ([StageResult(M, "done"), StageResult(K, "done")], None, "docs/runbook.md"),
    ],
)
def test_every_stop_says_what_to_do_next(results: list[StageResult], stop: str | None, says: str) -> None:
    advice = what_next(results, stop, CMD)  # type: ignore[arg-type]
    assert says in advice
    if stop == "review_config" or results[-1].outcome in ("failed", "stopped", "declined"):
        assert CMD in advice  # the very command to run again


def test_accept_lists_every_blocking_code_the_plan_can_raise() -> None:
    """`--accept`'s help (and the README) name the codes: the same set the planners mark blocking."""
    import ast
    from pathlib import Path

    from stytch2workos.cli.common import ACCEPT_CODES

    src = Path(__file__).resolve().parents[1] / "src" / "stytch2workos"
    raised: set[str] = set()
    for path in src.glob("plan*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            items = node.args if isinstance(node, ast.Call) else getattr(node, "elts", None)
            if isinstance(node, ast.Call | ast.Tuple) and items and len(items) >= 2:
                code, severity = items[0], items[1]
                if isinstance(severity, ast.Constant) and severity.value == "blocking":
                    assert isinstance(code, ast.Constant)
                    raised.add(str(code.value))
    assert raised and set(ACCEPT_CODES) == raised
    readme = (src.parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{code}`" in readme for code in ACCEPT_CODES)
