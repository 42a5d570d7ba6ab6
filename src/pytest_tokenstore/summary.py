"""The end-of-run conformance summary printed to the terminal."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from .clauses import CLAUSES
from .results import ADVISORY, FAIL, LABELS, PASS, UNCHECKED, WAIVED

if TYPE_CHECKING:
    from .plugin import KitState

_MARKUP = {
    PASS: {"green": True},
    FAIL: {"red": True, "bold": True},
    ADVISORY: {"yellow": True},
    WAIVED: {"cyan": True},
    UNCHECKED: {},
}


def write_summary(terminalreporter: Any, state: KitState) -> None:
    """Write a section with one line per clause under each store's spec."""
    terminalreporter.section("tokenstore conformance")
    width = max(len(label) for label in LABELS.values())
    for spec in state.specs:
        verdicts = state.ledger.verdicts(spec.text)
        terminalreporter.write_line(f"{spec.text}", bold=True)
        declared = ", ".join(state.ledger.declared(spec.text)) or "none declared"
        terminalreporter.write_line(
            f"  capabilities: {declared} ({spec.capabilities_source})"
        )
        for verdict in verdicts:
            label = LABELS[verdict.status].ljust(width)
            summary = CLAUSES[verdict.clause_id].summary
            line = f"  {label}  {verdict.clause_id:<8} {verdict.level:<6} {summary}"
            if verdict.status == UNCHECKED and verdict.detail.startswith(
                "not declared"
            ):
                line += f" ({verdict.detail})"
            elif verdict.status != PASS:
                line += f" -- {verdict.detail}"
            terminalreporter.write_line(line, **_MARKUP[verdict.status])
        counts = Counter(v.status for v in verdicts)
        totals = ", ".join(f"{counts[s]} {LABELS[s]}" for s in LABELS if counts[s])
        terminalreporter.write_line(f"  {totals}")
    if not state.strict and any(
        v.status == ADVISORY
        for spec in state.specs
        for v in state.ledger.verdicts(spec.text)
    ):
        terminalreporter.write_line(
            "advisories are SHOULD clauses; --tokenstore-strict makes them fail the run"
        )
