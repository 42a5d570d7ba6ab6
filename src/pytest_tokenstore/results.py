"""Verdicts per store and clause: collected from reports, summed up, written out."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clauses import CAPABILITIES, CLAUSES

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

    def __init__(
        self,
        stores: list[str],
        waived: frozenset[str],
        capabilities: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.stores = stores
        self.waived = waived
        self.capabilities = capabilities or {}
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)

    def add(self, entry: dict[str, Any]) -> None:
        """Record one test's verdict (a dict made by ``item_verdict``)."""
        self._items[entry["store"], entry["clause"]].append(entry)

    def verdicts(self, store: str) -> list[Verdict]:
        """One verdict per clause of the contract for this store, in contract order."""
        return [self._fold(store, clause_id) for clause_id in CLAUSES]

    def _fold(self, store: str, clause_id: str) -> Verdict:
        clause = CLAUSES[clause_id]
        entries = sorted(self._items.get((store, clause_id), []), key=_by_node)
        if not entries:
            reason = clause.checked_from or "no check of it was selected in this run"
            if clause.capability and clause.capability not in self.declared(store):
                reason = f"not declared: {clause.capability}"
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

    def declared(self, store: str) -> list[str]:
        """The capabilities declared for this store, in the contract's order."""
        chosen = self.capabilities.get(store, frozenset())
        return [c for c in CAPABILITIES if c in chosen]

    def report(self) -> dict[str, Any]:
        """The whole run as the JSON report's document."""
        return {
            "stores": [
                {
                    "store": store,
                    "capabilities": self.declared(store),
                    "clauses": [v.as_json() for v in self.verdicts(store)],
                }
                for store in self.stores
            ]
        }

    def write(self, path: Path) -> None:
        """Write the report: a Markdown matrix for ``.md`` paths, JSON otherwise.

        A Markdown file that already holds the start and end markers keeps the text
        around them; only what lies between is replaced.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".md":
            text = _embed(path, self.markdown())
        else:
            text = json.dumps(self.report(), indent=2) + "\n"
        path.write_text(text, encoding="utf-8")

    def markdown(self) -> str:
        """Clauses as rows, stores as columns, then every non-passing detail."""
        verdicts = {store: self.verdicts(store) for store in self.stores}
        lines = [
            "Written by pytest-tokenstore's `--tokenstore-report`; regenerate it "
            "rather than edit it. Cells: pass, **FAIL** (a MUST clause broken), "
            "advisory (a SHOULD clause broken), waived, not checked.",
            "",
            "| Clause | Level | " + " | ".join(f"`{s}`" for s in self.stores) + " |",
            "| --- | --- |" + " --- |" * len(self.stores),
            "| *capabilities* | |"
            + "".join(
                f" {', '.join(self.declared(s)) or 'none declared'} |"
                for s in self.stores
            ),
        ]
        for row, clause_id in enumerate(CLAUSES):
            cells = [_cell(verdicts[store][row]) for store in self.stores]
            level = CLAUSES[clause_id].level
            lines.append(f"| {clause_id} | {level} | " + " | ".join(cells) + " |")
        for store in self.stores:
            notes = [v for v in verdicts[store] if v.status not in (PASS, UNCHECKED)]
            if notes:
                lines += ["", f"**`{store}`**", ""]
                lines += [
                    f"- {v.clause_id} ({LABELS[v.status]}): {_escape(v.detail)}"
                    for v in notes
                ]
        return "\n".join(lines) + "\n"


MATRIX_START = "<!-- tokenstore-matrix:start -->"
MATRIX_END = "<!-- tokenstore-matrix:end -->"


def _embed(path: Path, matrix: str) -> str:
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"# Conformance matrix\n\n{matrix}"
    head, start, rest = current.partition(MATRIX_START)
    _, end, tail = rest.partition(MATRIX_END)
    if not (start and end):
        return f"# Conformance matrix\n\n{matrix}"
    return f"{head}{MATRIX_START}\n{matrix}{MATRIX_END}{tail}"


def _by_node(entry: dict[str, Any]) -> str:
    return str(entry.get("nodeid", ""))


def _cell(verdict: Verdict) -> str:
    if verdict.status == FAIL:
        return "**FAIL**"
    if verdict.status == UNCHECKED and verdict.detail.startswith("not declared"):
        return f"not checked ({verdict.detail})"
    return LABELS[verdict.status]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _detail(entries: list[dict[str, Any]], total: int, status: str) -> str:
    first = entries[0]["detail"]
    if status == WAIVED and all(e.get("passed") for e in entries):
        return "waived, but every check passes: the waiver can be removed"
    count = f"{len(entries)} of {total} checks"
    return f"{count} {'failed' if status != WAIVED else 'failed (waived)'}: {first}"
