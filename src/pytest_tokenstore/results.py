"""Verdicts per store and clause: collected from reports, summed up, written out."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clauses import CLAUSES

PASS = "pass"
FAIL = "fail"
ADVISORY = "advisory"
WAIVED = "waived"
UNCHECKED = "unchecked"

LABELS = {
    PASS: "pass",
    FAIL: "FAIL",
    ADVISORY: "advisory",
    WAIVED: "waived",
    UNCHECKED: "not checked",
}

VERDICT_PROPERTY = "tokenstore_verdict"
"""Name of the ``user_properties`` entry a suite report carries its verdict in."""

NOTE_PROPERTY = "tokenstore_note"
"""``user_properties`` entry for what a passing check observed (DEL-2's choice)."""


@dataclass(frozen=True)
class Verdict:
    """What the kit concluded about one clause for one store."""

    clause_id: str
    level: str
    status: str
    detail: str

    def as_json(self) -> dict[str, str]:
        """The verdict as the JSON report writes it."""
        return {
            "id": self.clause_id,
            "level": self.level,
            "status": self.status,
            "detail": self.detail,
        }


class Ledger:
    """Item verdicts gathered during the run, folded into clause verdicts."""

    def __init__(self, stores: list[str], waived: frozenset[str]) -> None:
        self.stores = stores
        self.waived = waived
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)

    def add(self, entry: dict[str, Any]) -> None:
        """Record one test's verdict (a dict made by ``item_verdict``)."""
        self._items[entry["store"], entry["clause"]].append(entry)

    def verdicts(self, store: str) -> list[Verdict]:
        """One verdict per clause of the contract for this store, in contract order."""
        return [self._fold(store, clause_id) for clause_id in CLAUSES]

    def _fold(self, store: str, clause_id: str) -> Verdict:
        clause = CLAUSES[clause_id]
        entries = self._items.get((store, clause_id), [])
        if not entries:
            reason = clause.checked_from or "no check of it was selected in this run"
            return Verdict(clause_id, clause.level, UNCHECKED, reason)
        by_status: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            by_status[entry["status"]].append(entry)
        total = len(entries)
        for status in (FAIL, ADVISORY, WAIVED):
            if by_status[status]:
                return Verdict(
                    clause_id,
                    clause.level,
                    status,
                    _detail(by_status[status], total, status),
                )
        if by_status[PASS]:
            skipped = by_status[UNCHECKED]
            detail = f"{len(by_status[PASS])} of {total} checks passed"
            if skipped:
                detail += f"; {len(skipped)} not checked: {skipped[0]['detail']}"
            return Verdict(clause_id, clause.level, PASS, detail)
        return Verdict(
            clause_id, clause.level, UNCHECKED, by_status[UNCHECKED][0]["detail"]
        )

    def report(self) -> dict[str, Any]:
        """The whole run as the JSON report's document."""
        return {
            "stores": [
                {
                    "store": store,
                    "clauses": [v.as_json() for v in self.verdicts(store)],
                }
                for store in self.stores
            ]
        }

    def write_json(self, path: Path) -> None:
        """Write the JSON report, creating its directory."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.report(), indent=2) + "\n", encoding="utf-8")


def _detail(entries: list[dict[str, Any]], total: int, status: str) -> str:
    first = entries[0]["detail"]
    if status == WAIVED and all(e.get("passed") for e in entries):
        return "waived, but every check passes: the waiver can be removed"
    count = f"{len(entries)} of {total} checks"
    return f"{count} {'failed' if status != WAIVED else 'failed (waived)'}: {first}"
