"""The fuzz suite's seeded subset: a few thousand spec-generated cases against real
`realtime-sdk serve` processes (echo and the offline agent), over a websocket, a
WebRTC call's data channel and a call's sideband socket, in both dialects.

The rule: no client event ends a session or a call. Every refused event gets an
`error` that echoes its `event_id` and names the wrong field in `error.param`
(fuzz_report.PARAM_ALLOWED lists the mismatches excused, with why; empty when none is),
and no event makes the server fail (`server_error`). `make fuzz` runs the same thing
bigger, with a seed of its own. Deselect with `-m "not fuzz"`.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from fuzz_report import allowed, render
from fuzz_runner import SUBSET_POOL, SUBSET_SEED, Cell, CellResult, Plan, Report, run

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FUZZ_SUBSET_SEED", SUBSET_SEED))
CASES = 3000
REQUIRE_ALL = os.environ.get("REALTIME_SDK_REQUIRE_ALL") == "1"


def _agent_installed() -> bool:
    return all(importlib.util.find_spec(m) for m in ("pocketsphinx", "espeakng_loader"))


HANDLERS = ("echo", "agent") if _agent_installed() or REQUIRE_ALL else ("echo",)
PLAN = Plan(seed=SEED, cases=CASES, handlers=HANDLERS, pool_size=SUBSET_POOL, max_seconds=240)
CELLS = [cell for cell, _ in PLAN.cells()]


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    found = run(PLAN, log=lambda _line: None)
    print(render(found))  # shown with -s, and in the captured output of a failure
    yield found


def _cell(report: Report, cell: Cell) -> CellResult:
    return next(c for c in report.cells if c.cell == cell)


def _listing(report: Report, what: str, cell: Cell | None = None) -> str:
    lines = []
    for f in report.findings(what):
        if cell is None or f.cell == cell.name:
            lines.append(f"{f.case.id} {f.case.kind} {f.case.note}: {f.detail}")
            lines.append(f"    sent: {f.case.shown(200)}")
    return "\n".join(lines[:40])


def test_the_agent_handler_is_fuzzed_too() -> None:
    if "agent" not in HANDLERS:
        pytest.skip("the agent extra is not installed: pip install 'realtime-sdk[agent]'")


def test_servers_outlive_the_run(report: Report) -> None:
    dead = {s.handler: s.exit_code for s in report.servers if s.exit_code is not None}
    assert not dead, f"server processes exited: {dead}"


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_every_case_ran(report: Report, cell: Cell) -> None:
    result = _cell(report, cell)
    assert not result.stopped, f"{cell.name} stopped early: {result.stopped}"
    assert result.run >= 0.9 * result.planned, (result.run, result.planned)


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_no_session_or_call_is_lost(report: Report, cell: Cell) -> None:
    result = _cell(report, cell)
    assert result.lost == 0, (
        f"{result.lost} of {result.run} cases ended the session or call on {cell.name}:\n"
        + _listing(report, "lost", cell)
    )


@pytest.mark.parametrize("cell", CELLS, ids=[c.name for c in CELLS])
def test_every_session_still_answers(report: Report, cell: Cell) -> None:
    result = _cell(report, cell)
    assert result.unusable == 0, (
        f"{result.unusable} sessions on {cell.name} stopped answering a text turn:\n"
        + _listing(report, "unusable", cell)
    )


def test_no_event_makes_the_server_fail(report: Report) -> None:
    failed = report.findings("server_error")
    assert not failed, f"{len(failed)} server_error answers:\n" + _listing(report, "server_error")


def test_every_error_echoes_the_event_id(report: Report) -> None:
    missing = report.findings("echo_missing")
    assert not missing, f"{len(missing)} errors do not echo the event's id:\n" + _listing(
        report, "echo_missing"
    )


def test_error_param_names_the_wrong_field(report: Report) -> None:
    mismatches = [f for f in report.findings("param_mismatch") if not allowed(f)]
    checked = report.total("param_checked")
    assert not mismatches, (
        f"{len(mismatches)} of {checked} refusals name another field than the one broken:\n"
        + "\n".join(
            f"{f.case.id} {f.case.kind}: {f.detail}\n    sent: {f.case.shown(200)}"
            for f in mismatches[:30]
        )
    )
