"""DEL-1 to DEL-3: delete_token removes exactly one record."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import (
    call,
    clause,
    gone_by_id,
    note,
    raised,
    saved,
    snapshot,
    violated,
)
from pytest_tokenstore.tokens import copied, sample

pytestmark = pytest.mark.tokenstore


@clause("DEL-1")
@pytest.mark.parametrize("position", [0, 1, 2])
def test_delete_removes_that_record_only(tokenstore: Any, position: int) -> None:
    """Deleting one id leaves every other record as it was."""
    records = saved("DEL-1", tokenstore, sample(1), sample(2), sample(3))
    gone = records[position]

    call("DEL-1", tokenstore, "delete_token", gone["id"])

    expected = sorted(
        (r for r in snapshot("DEL-1", tokenstore)), key=lambda r: str(r["id"])
    )
    kept = sorted((r for r in records if r is not gone), key=lambda r: str(r["id"]))
    if expected != kept:
        violated(
            "DEL-1",
            f"after delete_token({gone['id']!r}) get_tokens lists "
            f"{[r['id'] for r in expected]!r}, not {[r['id'] for r in kept]!r}",
            "the SDK's remove() must delete that token and keep every other user's",
        )
    if not gone_by_id("DEL-1", tokenstore, gone["id"]):
        violated(
            "DEL-1",
            "find_token_by_id still returns the deleted record",
            "a removed token must stay removed",
        )


@clause("DEL-1")
def test_an_equal_id_from_elsewhere_deletes_the_record(tokenstore: Any) -> None:
    """An id equal to a stored one, but not the same object, deletes its record."""
    kept, gone = saved("DEL-1", tokenstore, sample(1), sample(2))

    call("DEL-1", tokenstore, "delete_token", copied(gone["id"]))

    remaining = [record["id"] for record in snapshot("DEL-1", tokenstore)]
    if remaining != [kept["id"]]:
        violated(
            "DEL-1",
            f"after delete_token on a copy of the id {gone['id']!r} get_tokens "
            f"lists {remaining!r}: ids seem compared by identity, not by value",
            "the SDK's remove() passes an id read from configuration or elsewhere",
        )


@clause("DEL-2")
@pytest.mark.parametrize("filled", ["empty", "populated"])
def test_an_unknown_id_removes_nothing(
    tokenstore: Any, filled: str, request: pytest.FixtureRequest
) -> None:
    """Deleting an unknown id removes nothing; raising or not are both allowed."""
    if filled == "populated":
        saved("DEL-2", tokenstore, sample(1), sample(2))
    before = snapshot("DEL-2", tokenstore)

    error = raised(lambda: tokenstore.delete_token("never-stored"))

    if snapshot("DEL-2", tokenstore) != before:
        violated(
            "DEL-2",
            "delete_token of an unknown id changed the stored records",
            "the SDK's remove() of a stale token must not touch others",
        )
    behaviour = f"raises {type(error).__name__}" if error else "does nothing"
    note(request, f"an unknown id {behaviour}")


HOSTILE_IDS = [
    "1 OR 1=1",
    "' OR ''='",
    "1,2",
    "%",
    "*",
    "1; DELETE FROM tokens",
    "",
    "id",
]


@clause("DEL-3")
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_a_syntax_id_removes_nothing_else(tokenstore: Any, hostile: str) -> None:
    """An id made of SQL or CSV syntax removes no record whose id differs."""
    records = saved("DEL-3", tokenstore, *(sample(n) for n in range(1, 4)))
    if any(r["id"] == hostile for r in records):
        pytest.skip(f"the store handed out {hostile!r} as an id")

    raised(lambda: tokenstore.delete_token(hostile))

    left = {r["id"] for r in snapshot("DEL-3", tokenstore)}
    lost = sorted({r["id"] for r in records} - left)
    if lost:
        violated(
            "DEL-3",
            f"delete_token({hostile!r}) removed records {lost!r}",
            "an id must be matched as a value, or one call wipes every user",
        )
