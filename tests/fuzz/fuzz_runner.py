"""Run fuzz cases against real servers and classify what each one got.

Each cell (a handler, a transport, a dialect) keeps one session open and, for every
case, sends the case's frames and then a probe: `conversation.item.retrieve` of an
item that cannot exist, with its own `event_id`. The server answers events in order,
so the probe's `error` (which echoes the probe's id) closes the case: everything read
before it is the case's answer. A case is then

- accepted: no `error`; refused: an `error` (counted by `error.code`);
- lost: the socket or call closed, or no answer to the probe within the timeout.
  Then a new session is opened and the run goes on. A frame over the limit may be
  answered by a close 1009 (a clean close, not a loss).

Checks on the way (findings, counted per cell): an `error` must have the protocol's
shape and echo the case's `event_id`; a case the spec refuses must be refused, with
`error.param` naming the field the case broke; no `server_error`; the server sends
standard JSON. Responses a case started are cancelled (`response.cancel`) and drained,
so the next case starts from a quiet session.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from fuzz_cases import SETUP_SUFFIX, Case, Mix, iter_cell_cases
from fuzz_conns import Closed, Conn, RtcConn, SidebandConn, WsConn, baseline_update
from fuzz_server import ProcessStats, ServerProcess

TRANSPORTS = ("websocket", "webrtc", "sideband")
DIALECTS = ("ga", "beta")
HANDLERS = ("echo", "agent")
PROBE_TIMEOUT_S = 15.0
ROTATE_EVERY = 400  # cases per session, then a fresh one (opening and closing is fuzzed too)
HEALTH_EVERY = 100  # cases between two checks that the session still answers a text turn
ERROR_FIELDS = ("type", "code", "message", "param", "event_id")
# the pytest subset's seed and pool (the case tests draw from the same pool: drawn once)
SUBSET_SEED = 20261204
SUBSET_POOL = 12


@dataclass(frozen=True)
class Cell:
    handler: str
    transport: str
    dialect: str

    @property
    def name(self) -> str:
        return f"{self.handler}/{self.transport}/{self.dialect}"


@dataclass
class Finding:
    what: str  # lost, param_mismatch, invalid_accepted, server_error, ...
    cell: str
    case: Case
    detail: str


@dataclass
class CellResult:
    cell: Cell
    planned: int = 0
    run: int = 0
    accepted: int = 0
    refused: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    unusable: int = 0  # sessions that stopped answering text turns
    clean_closes: int = 0
    sessions: int = 0
    param_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    valid_refused: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)  # cases run, by kind
    seconds: float = 0.0
    stopped: str = ""  # why the cell stopped early, if it did

    def count(self, what: str) -> int:
        return sum(1 for f in self.findings if f.what == what)


@dataclass
class ServerReport:
    handler: str
    started: ProcessStats | None = None
    before: ProcessStats | None = None
    after: ProcessStats | None = None
    exit_code: int | None = None
    exceptions: dict[str, int] = field(default_factory=dict)


@dataclass
class Report:
    seed: int
    cells: list[CellResult]
    servers: list[ServerReport]
    seconds: float = 0.0

    def total(self, attribute: str) -> int:
        return sum(getattr(c, attribute) for c in self.cells)

    def findings(self, what: str | None = None) -> list[Finding]:
        return [f for c in self.cells for f in c.findings if what is None or f.what == what]


@dataclass
class Plan:
    """What to run: cases per cell come from the seed alone."""

    seed: int
    cases: int  # over all cells
    handlers: tuple[str, ...] = HANDLERS
    transports: tuple[str, ...] = TRANSPORTS
    dialects: tuple[str, ...] = DIALECTS
    weights: dict[str, float] = field(
        default_factory=lambda: {"websocket": 0.5, "webrtc": 0.25, "sideband": 0.25}
    )
    handler_weights: dict[str, float] = field(default_factory=lambda: {"echo": 0.6, "agent": 0.4})
    pool_size: int = 30
    mix: Mix = field(default_factory=Mix)
    max_seconds: float = 900.0  # every cell stops issuing cases after this
    server_pythonpath: str | None = None  # serve another checkout's src (ServerProcess)

    def cells(self) -> list[tuple[Cell, int]]:
        weights = {t: self.weights[t] for t in self.transports}
        handlers = {h: self.handler_weights.get(h, 1.0) for h in self.handlers}
        total_t, total_h = sum(weights.values()), sum(handlers.values())
        out = []
        for handler in self.handlers:
            for transport in self.transports:
                for dialect in self.dialects:
                    share = weights[transport] / total_t * handlers[handler] / total_h
                    out.append(
                        (
                            Cell(handler, transport, dialect),
                            round(self.cases * share / len(self.dialects)),
                        )
                    )
        return out


# -- one case -----------------------------------------------------------------------------


@dataclass
class Outcome:
    errors: list[dict[str, Any]] = field(default_factory=list)
    lost: str | None = None  # why, when the session is gone
    clean_close: bool = False


def _is_error_for(event: dict[str, Any], event_id: str) -> bool:
    error = event.get("error")
    return (
        event.get("type") == "error"
        and isinstance(error, dict)
        and error.get("event_id") == event_id
    )


def _is_setup(event_id: str) -> bool:
    """Errors of what the runner sent around a case (cancels, a case's setup frame)."""
    return event_id.startswith("fuzz_cancel") or event_id.endswith(SETUP_SUFFIX)


class Stuck(Exception):
    """The session answers, but a response it started never ends."""


class Driver:
    """Sends cases on one session and reads their answers."""

    def __init__(self, conn: Conn, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.active: set[str] = set()  # responses started and not yet done
        self.serial = 0

    def _track(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        response = event.get("response")
        if not isinstance(response, dict):
            return
        if kind == "response.created" and isinstance(response.get("id"), str):
            self.active.add(response["id"])
        elif kind == "response.done":
            self.active.discard(response.get("id"))  # type: ignore[arg-type]

    async def _until(self, probe_id: str, timeout: float, into: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            event = await self.conn.recv(left)
            if _is_error_for(event, probe_id):
                return
            self._track(event)
            into.append(event)

    async def run(self, case: Case) -> Outcome:
        outcome = Outcome()
        self.serial += 1
        probe_id = f"probe_{self.serial}"
        probe = {"type": "conversation.item.retrieve", "item_id": probe_id, "event_id": probe_id}
        events: list[dict[str, Any]] = []
        try:
            for frame in case.frames:
                await self.conn.send(frame)
            await self.conn.send(json.dumps(probe))
            await self._until(probe_id, PROBE_TIMEOUT_S, events)
            await self._quiet()
        except Stuck as stuck:
            outcome.lost = str(stuck)
        except Closed as closed:
            if case.too_big and closed.code == 1009:
                outcome.clean_close = True
            else:
                outcome.lost = closed.why
        except TimeoutError:
            outcome.lost = f"no answer to the probe within {PROBE_TIMEOUT_S:.0f} s"
        outcome.errors = [
            e
            for e in events
            if e.get("type") == "error" and not _is_setup(str(_error(e).get("event_id") or ""))
        ]
        return outcome

    async def _quiet(self) -> None:
        """Cancel what the case started, and read until it is done (bounded in time)."""
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while self.active:
            if time.monotonic() > deadline:
                raise Stuck(f"responses {sorted(self.active)} did not end after response.cancel")
            for response_id in sorted(self.active):
                cancel = {
                    "type": "response.cancel",
                    "event_id": f"fuzz_cancel_{self.serial}",
                    "response_id": response_id,
                }
                await self.conn.send(json.dumps(cancel))
            self.serial += 1
            probe_id = f"probe_{self.serial}"
            probe = {"type": "conversation.item.retrieve", "item_id": probe_id}
            await self.conn.send(json.dumps({**probe, "event_id": probe_id}))
            await self._until(probe_id, max(0.1, deadline - time.monotonic()), [])
            if self.active:  # cancelled, its response.done may still be on its way
                await asyncio.sleep(0.05)

    async def health(self) -> str | None:
        """A text turn (text replies, a user item, response.create): None if the session
        answers it, or what is wrong. A session that can no longer respond is as good as
        lost. Refusals a fuzzed configuration explains (a transcription session, tools it
        must call...) are not counted: only a response that is active and cannot be
        cancelled, or one that never ends."""
        self.serial += 1
        tag = f"fuzz_health_{self.serial}"
        item = {"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "health check"}]}  # fmt: skip
        frames = [
            {**baseline_update(self.dialect), "event_id": f"{tag}_u"},
            {"type": "conversation.item.create", "event_id": f"{tag}_i", "item": item},
            {"type": "response.create", "event_id": f"{tag}_r"},
        ]
        try:
            events = await self._exchange(frames)
            refused = [_error(e).get("code") for e in events if _is_error_for(e, f"{tag}_r")]
            if "conversation_already_has_active_response" in refused:
                cancel = {"type": "response.cancel", "event_id": f"{tag}_c"}
                answer = await self._exchange([cancel])
                codes = [_error(e).get("code") for e in answer if _is_error_for(e, f"{tag}_c")]
                if "response_cancel_not_active" in codes:
                    return (
                        "stuck: response.create is refused (a response is active) and"
                        " response.cancel finds no active response"
                    )
            await self._quiet()
        except Stuck as stuck:
            return f"stuck: {stuck}"
        except Closed as closed:
            return f"lost during the health check: {closed.why}"
        except TimeoutError:
            return f"no answer to the health check within {PROBE_TIMEOUT_S:.0f} s"
        return None

    async def _exchange(self, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send `frames` and a probe; the events read before the probe's answer."""
        self.serial += 1
        probe_id = f"probe_{self.serial}"
        probe = {"type": "conversation.item.retrieve", "item_id": probe_id, "event_id": probe_id}
        for frame in [*frames, probe]:
            await self.conn.send(json.dumps(frame))
        events: list[dict[str, Any]] = []
        await self._until(probe_id, PROBE_TIMEOUT_S, events)
        return events


# -- classification ---------------------------------------------------------------------


def _shape_problem(event: dict[str, Any]) -> str | None:
    error = event.get("error")
    if not isinstance(event.get("event_id"), str) or not event["event_id"].startswith("event_"):
        return "the error event has no event_ id"
    if not isinstance(error, dict):
        return "no `error` object"
    missing = [k for k in ERROR_FIELDS if k not in error]
    if missing:
        return f"`error` lacks {', '.join(missing)}"
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return "`error.code` or `error.message` is not a string"
    return None


# the codes of a malformed event (invalid_value is also what a well-formed event that
# names a missing item gets, so it says nothing about the form)
SCHEMA_CODES = frozenset({"unknown_parameter", "missing_required_parameter", "invalid_type"})


def _error(event: dict[str, Any]) -> dict[str, Any]:
    error = event.get("error")
    return error if isinstance(error, dict) else {}


def names(param: object, case: Case) -> bool:
    """Whether `error.param` names the field the case broke: that field, or one inside
    it (a value retyped to an object is refused for what that object lacks or has, as
    in `session.prompt.id`); or the event's `type` when its transport does not carry it.
    """
    if not isinstance(param, str) or case.param is None:
        return False
    if param == case.param or param.startswith((f"{case.param}.", f"{case.param}[")):
        return True
    return not case.carried and param == "type"


def needs_recheck(case: Case, outcome: Outcome) -> bool:
    """A refused mutation whose `error.param` does not name the mutated field: is it
    the mutation the server refused, or something it refuses in the event anyway?"""
    return (
        outcome.lost is None
        and case.invalid
        and case.param is not None
        and case.base is not None
        and bool(outcome.errors)
        and not any(names(_error(e).get("param"), case) for e in outcome.errors)
    )


def classify(
    result: CellResult,
    case: Case,
    outcome: Outcome,
    base_errors: list[dict[str, Any]] | None = None,
) -> None:
    """Count `outcome` in `result`; `base_errors`: what the unmutated event got."""
    name = result.cell.name
    errors = outcome.errors
    if outcome.clean_close:
        result.clean_closes += 1
        return
    if errors:
        result.refused += 1
        result.codes[str(_error(errors[0]).get("code"))] += 1
    elif outcome.lost is None:
        result.accepted += 1
    for event in errors:
        problem = _shape_problem(event)
        if problem:
            result.findings.append(Finding("bad_error_shape", name, case, f"{problem}: {event}"))
        if _error(event).get("code") == "server_error":
            message = str(_error(event).get("message"))
            result.findings.append(Finding("server_error", name, case, message))
    if outcome.lost is not None:
        return
    if errors and case.event_id is not None:
        echoed = [_error(e).get("event_id") for e in errors]
        if case.event_id not in echoed:
            said = [(_error(e).get("code"), _error(e).get("message")) for e in errors]
            detail = f"error.event_id {echoed}, sent {case.event_id!r}: {said}"
            result.findings.append(Finding("echo_missing", name, case, detail))
    if case.invalid and not errors:
        result.findings.append(Finding("invalid_accepted", name, case, "no error"))
    if case.invalid and errors and case.param is not None:
        result.param_checked += 1
        got = [(_error(e).get("code"), _error(e).get("param")) for e in errors]
        if not any(names(param, case) for _, param in got):
            base = [(_error(e).get("code"), _error(e).get("param")) for e in base_errors or []]
            if any(code in SCHEMA_CODES for code, _ in base):
                # the server refuses the unmutated event as malformed: what it says of
                # the mutated one tells nothing about the mutation
                detail = f"the unmutated event, valid by the spec, is refused: {base}"
                result.findings.append(Finding("valid_refused", name, case, detail))
            elif base and set(got) <= set(base):
                detail = f"refused only as the unmutated event is: {got}"
                result.findings.append(Finding("invalid_accepted", name, case, detail))
            else:
                detail = f"expected param {case.param!r}, got {got}"
                result.findings.append(Finding("param_mismatch", name, case, detail))
    if not case.invalid and case.event != "raw" and errors:
        code = str(_error(errors[0]).get("code"))
        if code in SCHEMA_CODES:
            message = _error(errors[0]).get("message")
            result.findings.append(Finding("valid_refused", name, case, f"{code}: {message}"))


# -- cells ------------------------------------------------------------------------------


async def _open(cell: Cell, server: ServerProcess) -> Conn:
    conn: Conn
    if cell.transport == "websocket":
        conn = await WsConn.open(server.ws_url, cell.dialect)
    elif cell.transport == "webrtc":
        conn = await RtcConn.open(server.base, cell.dialect)
    else:
        conn = await SidebandConn.open(server.base, server.ws_url, cell.dialect)
    try:
        await conn.start(cell.dialect)
    except BaseException:
        await conn.close()
        raise
    return conn


async def run_cell(
    cell: Cell,
    cases: Iterable[Case],
    planned: int,
    server: ServerProcess,
    deadline: float,
    progress: Callable[[CellResult], None] | None = None,
) -> CellResult:
    result = CellResult(cell, planned=planned)
    started = time.monotonic()
    conn: Conn | None = None
    driver: Driver | None = None
    in_session = 0
    failures_to_open = 0
    rechecked: dict[str, list[dict[str, Any]]] = {}  # a mutation's base -> its errors
    faulted: list[str] = []  # this session's cases answered with server_error
    try:
        for case in cases:
            if time.monotonic() > deadline:
                result.stopped = "time limit"
                break
            if not server.alive():
                result.stopped = f"the server exited ({server.exit_code()})"
                break
            if conn is None or driver is None:
                try:
                    conn = await _open(cell, server)
                except Exception as exc:
                    failures_to_open += 1
                    if failures_to_open >= 3:
                        result.stopped = f"cannot open a session: {exc!r}"
                        break
                    await asyncio.sleep(1)
                    conn = None
                    continue
                driver, in_session, faulted = Driver(conn, cell.dialect), 0, []
                result.sessions += 1
            if case.size() > conn.max_frame:
                continue  # this transport cannot carry it
            outcome = await driver.run(case)
            result.run += 1
            result.kinds[case.kind] += 1
            in_session += 1
            for problem in conn.bad_json:
                result.findings.append(Finding("bad_json", cell.name, case, problem))
            conn.bad_json.clear()
            if outcome.lost is not None:
                result.lost += 1
                gone = await conn.gone()
                why = outcome.lost + (f"; {gone}" if gone else "")
                if not server.alive():
                    why += f"; the server exited ({server.exit_code()})"
                result.findings.append(Finding("lost", cell.name, case, why))
            base_errors = None
            if needs_recheck(case, outcome):
                assert case.base is not None
                if case.base not in rechecked:
                    base_case = replace(case, kind="valid", frames=(case.base,), invalid=False)
                    base_outcome = await driver.run(base_case)
                    if base_outcome.lost is not None:  # a valid event lost the session
                        outcome = base_outcome
                        result.lost += 1
                        why = f"{base_outcome.lost} (the unmutated event, sent to re-check)"
                        result.findings.append(Finding("lost", cell.name, base_case, why))
                    rechecked[case.base] = base_outcome.errors
                base_errors = rechecked[case.base]
            classify(result, case, outcome, base_errors)
            if outcome.clean_close and isinstance(conn, SidebandConn):
                try:
                    await conn.reattach(cell.dialect)
                    await conn.start(cell.dialect)
                    driver = Driver(conn, cell.dialect)
                    continue
                except Exception:
                    pass
            usable = outcome.lost is None and not outcome.clean_close
            if any(_error(e).get("code") == "server_error" for e in outcome.errors):
                faulted.append(case.id)
            if usable and (in_session % HEALTH_EVERY == 0 or in_session >= ROTATE_EVERY):
                problem = await driver.health()
                if problem is not None:
                    if faulted:
                        problem += f" (after server_error answers to {', '.join(faulted[-5:])})"
                    result.unusable += 1
                    result.findings.append(Finding("unusable", cell.name, case, problem))
                    usable = False
            if not usable or in_session >= ROTATE_EVERY:
                await conn.close()
                conn, driver = None, None
            if progress is not None and result.run % 200 == 0:
                progress(result)
    finally:
        if conn is not None:
            await conn.close()
        result.seconds = time.monotonic() - started
    return result


async def run_servers(
    plan: Plan, servers: dict[str, ServerProcess], log: Callable[[str], None]
) -> list[CellResult]:
    deadline = time.monotonic() + plan.max_seconds
    jobs = []
    for cell, count in plan.cells():
        server = servers[cell.handler]
        max_frame = 1 << 40 if cell.transport != "webrtc" else 0
        if cell.transport == "webrtc":
            # what the server's data channel takes: ask one call (the SDP says it)
            probe_conn = await RtcConn.open(server.base, cell.dialect)
            max_frame = probe_conn.max_frame
            await probe_conn.close()
        cases = iter_cell_cases(
            plan.seed,
            plan.pool_size,
            cell.dialect,
            cell.transport,
            count,
            max_frame=max_frame,
            name=cell.handler,
            mix=plan.mix,
        )

        def progress(r: CellResult) -> None:
            log(f"  {r.cell.name}: {r.run}/{r.planned} cases, {r.lost} lost")

        jobs.append(run_cell(cell, cases, count, server, deadline, progress))
    return list(await asyncio.gather(*jobs))


async def warm_up(servers: dict[str, ServerProcess], transports: tuple[str, ...]) -> None:
    """One session of each transport opened and closed: lazily loaded parts (the
    WebRTC stack, the VAD model) are in memory before the `before` figures."""
    for handler, server in servers.items():
        for transport in transports:
            conn = await _open(Cell(handler, transport, "ga"), server)
            await conn.close()
    await asyncio.sleep(1.0)


def settled(server: ServerProcess, limit_s: float = 10.0) -> ProcessStats | None:
    """The server's figures once the last sessions' clean-up is over: the same thread
    and descriptor counts for 2 s in a row (at most `limit_s`)."""
    deadline = time.monotonic() + limit_s
    last, same = server.stats(), 0
    while time.monotonic() < deadline and same < 4:
        time.sleep(0.5)
        now = server.stats()
        steady = (
            now is not None
            and last is not None
            and (now.threads, now.fds)
            == (
                last.threads,
                last.fds,
            )
        )
        same = same + 1 if steady else 0
        last = now
    return last


def run(plan: Plan, log: Callable[[str], None] = print) -> Report:
    """Start the servers, run the plan, stop them; the report says what happened."""
    started = time.monotonic()
    servers = {h: ServerProcess(h, plan.server_pythonpath) for h in plan.handlers}
    reports = {h: ServerReport(h) for h in plan.handlers}
    try:
        for handler, server in servers.items():
            server.start()
            reports[handler].started = server.stats()
        asyncio.run(warm_up(servers, plan.transports))
        for handler, server in servers.items():
            reports[handler].before = server.stats()
        cells = asyncio.run(run_servers(plan, servers, log))
        for handler, server in servers.items():
            reports[handler].after = settled(server)
            reports[handler].exit_code = server.exit_code()
            reports[handler].exceptions = server.exceptions()
    finally:
        for server in servers.values():
            server.close()
    report = Report(plan.seed, cells, list(reports.values()), time.monotonic() - started)
    return report
