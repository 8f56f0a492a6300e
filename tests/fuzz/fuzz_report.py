"""The fuzz run as tables: per cell, errors by code, the servers, and the findings."""

from __future__ import annotations

import re
from collections import Counter

from fuzz_runner import Finding, Report

# what fails a run (and the pytest subset): the rule the fuzz enforces (no lost session
# or call, an `error` that echoes the event's id, no server fault), and the `error.param`
# naming (less what PARAM_ALLOWED excuses)
FAILING = ("lost", "unusable", "server_error", "echo_missing", "param_mismatch")

# Param mismatches excused, each with its reason: (dialect, event, mutation kind,
# expected param as a regular expression). Empty: every mismatch fails.
PARAM_ALLOWED: tuple[tuple[str, str, str, str, str], ...] = ()


def allowed(finding: Finding) -> bool:
    case = finding.case
    return any(
        dialect in (case.dialect, "*")
        and event in (case.event, "*")
        and kind in (case.kind, "*")
        and re.fullmatch(param, case.param or "")
        for dialect, event, kind, param, _reason in PARAM_ALLOWED
    )


def failures(report: Report) -> list[Finding]:
    found = [f for f in report.findings() if f.what in FAILING]
    return [f for f in found if not (f.what == "param_mismatch" and allowed(f))]


def _short(cell: str) -> str:
    handler, transport, dialect = cell.split("/")
    short = {"websocket": "ws", "webrtc": "rtc", "sideband": "sb"}[transport]
    return f"{handler[:2]}/{short}/{dialect}"


def _table(rows: list[list[str]], right_from: int = 1) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i >= right_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _pattern(text: str | None) -> str:
    return re.sub(r"\[\d+\]", "[N]", str(text))


def _group(findings: list[Finding], key: object) -> list[tuple[object, int, Finding]]:
    groups: dict[object, list[Finding]] = {}
    for f in findings:
        groups.setdefault(key(f), []).append(f)  # type: ignore[operator]
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    return [(k, len(v), v[0]) for k, v in ranked]


def render(report: Report, examples: int = 12) -> str:
    out: list[str] = []
    out.append(
        f"fuzz seed {report.seed} (replay: FUZZ_SEED={report.seed} make fuzz)"
        f"  {report.total('run')} cases in {report.seconds:.0f} s"
    )
    header = ["cell", "cases", "accepted", "refused", "lost", "stuck", "1009", "sessions",
              "param ok/checked", "mismatch", "invalid ok'd", "server_error", "no echo",
              "other", "s"]  # fmt: skip
    rows = [header]
    for c in report.cells:
        mismatches = c.count("param_mismatch")
        other = sum(c.count(k) for k in ("bad_error_shape", "bad_json"))
        rows.append(
            [
                c.cell.name + (f" (stopped: {c.stopped})" if c.stopped else ""),
                str(c.run),
                str(c.accepted),
                str(c.refused),
                str(c.lost),
                str(c.unusable),
                str(c.clean_closes),
                str(c.sessions),
                f"{c.param_checked - mismatches}/{c.param_checked}",
                str(mismatches),
                str(c.count("invalid_accepted")),
                str(c.count("server_error")),
                str(c.count("echo_missing")),
                str(other),
                f"{c.seconds:.0f}",
            ]
        )
    rows.append(
        ["total", str(report.total("run")), str(report.total("accepted")),
         str(report.total("refused")), str(report.total("lost")), str(report.total("unusable")),
         str(report.total("clean_closes")), str(report.total("sessions")),
         f"{report.total('param_checked') - len(report.findings('param_mismatch'))}"
         f"/{report.total('param_checked')}",
         str(len(report.findings("param_mismatch"))),
         str(len(report.findings("invalid_accepted"))),
         str(len(report.findings("server_error"))),
         str(len(report.findings("echo_missing"))),
         str(len(report.findings("bad_error_shape")) + len(report.findings("bad_json"))),
         f"{report.seconds:.0f}"]
    )  # fmt: skip
    out += ["", _table(rows)]

    codes = Counter[str]()
    for c in report.cells:
        codes.update(c.codes)
    rows = [["errors by code", *(_short(c.cell.name) for c in report.cells), "total"]]
    for code, total in codes.most_common():
        rows.append([code, *(str(c.codes.get(code, 0)) for c in report.cells), str(total)])
    out += ["", _table(rows)]

    kinds = Counter[str]()
    for c in report.cells:
        kinds.update(c.kinds)
    out += ["", "cases by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))]

    rows = [["server", "when", "threads", "fds", "RSS MiB"]]
    for s in report.servers:
        for when, stats in (("started", s.started), ("before", s.before), ("after", s.after)):
            if stats is None:
                rows.append([s.handler, when, "-", "-", "-"])
            else:
                rows.append(
                    [s.handler, when, str(stats.threads), str(stats.fds),
                     f"{stats.rss_kib / 1024:.1f}"]
                )  # fmt: skip
    out += ["", _table(rows, right_from=2)]
    for s in report.servers:
        if s.exit_code is not None:
            out.append(f"server {s.handler} EXITED with {s.exit_code}")
        for line, n in sorted(s.exceptions.items(), key=lambda kv: -kv[1]):
            out.append(f"server {s.handler} logged {n}x: {line}")

    sections = [
        ("lost sessions/calls", "lost", lambda f: (f.case.kind, f.case.event, f.detail[:60])),
        ("sessions that stopped answering (shown: the last case before the check)",
         "unusable", lambda f: f.detail[:60]),
        ("server_error answers", "server_error",
         lambda f: (f.case.dialect, f.case.event, f.case.kind)),
        ("param mismatches", "param_mismatch",
         lambda f: (f.case.dialect, f.case.event, f.case.kind, _pattern(f.case.param),
                    _pattern(f.detail.split(", got ", 1)[-1]))),
        ("invalid events accepted", "invalid_accepted",
         lambda f: (f.case.dialect, f.case.event, f.case.kind, _pattern(f.case.param))),
        ("valid events refused as malformed", "valid_refused",
         lambda f: (f.case.dialect, f.case.event, f.detail[:50])),
        ("errors not echoing event_id", "echo_missing", lambda f: (f.case.dialect, f.case.kind)),
        ("malformed error events", "bad_error_shape", lambda f: f.detail[:60]),
        ("non-standard JSON from the server", "bad_json", lambda f: f.detail[:40]),
    ]  # fmt: skip
    for title, what, key in sections:
        found = report.findings(what)
        if not found:
            continue
        groups = _group(found, key)
        out += ["", f"{title}: {len(found)} in {len(groups)} groups"]
        for _key, n, f in groups[:examples]:
            excused = " [allowed]" if what == "param_mismatch" and allowed(f) else ""
            out.append(f"  {n}x {f.case.id} {f.case.kind} {f.case.note}{excused}")
            out.append(f"     {f.detail[:300]}")
            out.append(f"     sent: {f.case.shown(240)}")
    failed = failures(report)
    out += ["", f"failing findings: {len(failed)}" + ("" if failed else " (none)")]
    return "\n".join(out)
