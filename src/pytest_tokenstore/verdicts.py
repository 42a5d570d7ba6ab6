"""Judging one test report against its clauses' levels, strict mode and waivers."""

from __future__ import annotations

from typing import Any

import pytest

from .clauses import CLAUSES, SHOULD
from .results import (
    ADVISORY,
    FAIL,
    NOTE_PROPERTY,
    PASS,
    UNCHECKED,
    VERDICT_PROPERTY,
    WAIVED,
)
from .spec import describe_error, spec_of
from .watchdog import StoreHung

DETAIL_LIMIT = 400


def clauses_of(item: pytest.Item) -> list[tuple[str, str]]:
    """The clause ids and levels a kit test checks; empty for other tests."""
    marker = item.get_closest_marker("tokenstore_clause")
    if marker is None:
        return []
    override = marker.kwargs.get("level")
    return [(cid, override or CLAUSES[cid].level) for cid in marker.args]


def judge(
    item: pytest.Item,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
    strict: bool,
    waived: frozenset[str],
) -> None:
    """Attach verdicts to a kit test's report; turn forgiven failures into xfails.

    A test checking several clauses (the state machine) passes for all of them,
    and fails for the one its ContractViolation names.
    """
    checked = clauses_of(item)
    spec = spec_of(item)
    if not checked or spec is None:
        return
    status, detail = _status(call, report)
    if status is None:
        return
    hung = call.excinfo is not None and isinstance(call.excinfo.value, StoreHung)
    if status == FAIL:
        checked = [_blamed(call, checked)]
    entries = []
    for clause_id, level in checked:
        verdict = status
        if status in (FAIL, PASS) and report.when == "call":
            # A hang is never an advisory: the SDK's request would never end.
            forgiven = _forgiven(clause_id, level, strict or hung, waived)
            if forgiven and status == FAIL:
                verdict = forgiven
                report.outcome = "skipped"
                report.wasxfail = f"tokenstore {forgiven}: {detail}"
            elif forgiven == WAIVED:
                verdict = WAIVED
        entries.append(
            {
                "store": str(spec),
                "clause": clause_id,
                "level": level,
                "status": verdict,
                "detail": detail,
                "passed": report.passed,
                "nodeid": item.nodeid,
            }
        )
    report.user_properties = [
        *report.user_properties,
        *((VERDICT_PROPERTY, entry) for entry in entries),
    ]


def _blamed(
    call: pytest.CallInfo[None], checked: list[tuple[str, str]]
) -> tuple[str, str]:
    """The clause a failure belongs to: the one its violation names, else the first."""
    exc = call.excinfo.value if call.excinfo else None
    named = getattr(exc, "clause_id", None)
    for clause_id, level in checked:
        if clause_id == named:
            return clause_id, level
    if named in CLAUSES:
        return named, CLAUSES[named].level
    return checked[0]


def _forgiven(clause_id: str, level: str, strict: bool, waived: frozenset[str]) -> str:
    if clause_id in waived:
        return WAIVED
    if level == SHOULD and not strict:
        return ADVISORY
    return ""


def _status(
    call: pytest.CallInfo[None], report: pytest.TestReport
) -> tuple[str | None, str]:
    if report.when == "call" and report.passed:
        notes = [str(v) for k, v in report.user_properties if k == NOTE_PROPERTY]
        return PASS, "; ".join(notes) or "passed"
    if report.skipped:
        return UNCHECKED, _skip_reason(report)
    if report.failed:
        where = "" if report.when == "call" else f"{report.when} error: "
        return FAIL, where + _failure_line(call)
    return None, ""


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def _failure_line(call: pytest.CallInfo[Any]) -> str:
    if call.excinfo is None:
        return "failed"
    exc = call.excinfo.value
    worded = isinstance(exc, AssertionError) or hasattr(exc, "clause_id")
    text = str(exc).strip() if worded else describe_error(exc)
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= DETAIL_LIMIT else line[: DETAIL_LIMIT - 3] + "..."
