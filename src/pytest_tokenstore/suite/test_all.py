"""ALL-1, ALL-2 and CLEAR-1 to CLEAR-3: listing and clearing the store."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import (
    call,
    clause,
    gone_by_id,
    saved,
    snapshot,
    violated,
)
from pytest_tokenstore.tokens import LOOKUP_KINDS, probe, record_for_kind, sample

pytestmark = pytest.mark.tokenstore


@clause("ALL-1")
def test_an_empty_store_lists_nothing(tokenstore: Any) -> None:
    """get_tokens on an empty store returns an empty list."""
    listed = call("ALL-1", tokenstore, "get_tokens")

    if listed != [] or not isinstance(listed, list):
        violated(
            "ALL-1",
            f"get_tokens on an empty store returned {listed!r}",
            "the SDK expects []",
        )


@clause("ALL-1")
@pytest.mark.parametrize("size", [1, 5])
def test_every_record_is_listed_in_full(tokenstore: Any, size: int) -> None:
    """get_tokens lists one fully populated token, with its id, per record."""
    records = saved("ALL-1", tokenstore, *(sample(n) for n in range(1, size + 1)))

    listed = snapshot("ALL-1", tokenstore)

    expected = sorted(records, key=lambda r: [str(v) for v in r.values()])
    ordered = sorted(listed, key=lambda r: [str(v) for v in r.values()])
    if ordered != expected:
        violated(
            "ALL-1",
            f"get_tokens listed {len(listed)} tokens that differ from the {size} saved",
            "the SDK needs every record, every field and its id",
        )


@clause("ALL-2")
def test_changing_a_listed_token_changes_nothing(tokenstore: Any) -> None:
    """Changing a token returned by get_tokens leaves the stored record alone."""
    saved("ALL-2", tokenstore, sample(1))
    before = snapshot("ALL-2", tokenstore)

    for token in call("ALL-2", tokenstore, "get_tokens"):
        token.set_access_token("1000.changed-by-caller")
        token.set_expires_in("0")

    if snapshot("ALL-2", tokenstore) != before:
        violated(
            "ALL-2",
            "changing a token returned by get_tokens changed the store",
            "the SDK may change tokens it holds before saving them on purpose",
        )


@clause("CLEAR-1")
@pytest.mark.parametrize("kind", LOOKUP_KINDS)
def test_after_clearing_nothing_is_found(tokenstore: Any, kind: str) -> None:
    """After delete_tokens every lookup misses and get_tokens is empty."""
    records = saved(
        "CLEAR-1", tokenstore, record_for_kind(kind, 1), record_for_kind(kind, 2)
    )

    call("CLEAR-1", tokenstore, "delete_tokens")

    if snapshot("CLEAR-1", tokenstore):
        violated(
            "CLEAR-1",
            "get_tokens still lists records after delete_tokens",
            "the SDK needs an empty store",
        )
    for record in records:
        by_key = call("CLEAR-1", tokenstore, "find_token", probe(kind, record))
        if by_key is not None or not gone_by_id("CLEAR-1", tokenstore, record["id"]):
            violated(
                "CLEAR-1",
                f"a cleared record is still found (by {kind} or by id)",
                "a cache that outlives delete_tokens serves tokens that were revoked",
            )


@clause("CLEAR-2")
def test_clearing_an_empty_store_succeeds(tokenstore: Any) -> None:
    """delete_tokens on an empty store raises nothing."""
    call("CLEAR-2", tokenstore, "delete_tokens")
    call("CLEAR-2", tokenstore, "delete_tokens")


@clause("CLEAR-3")
def test_the_store_is_usable_after_clearing(tokenstore: Any) -> None:
    """After delete_tokens new saves work and get distinct ids."""
    saved("CLEAR-3", tokenstore, sample(1), sample(2))
    call("CLEAR-3", tokenstore, "delete_tokens")

    records = saved("CLEAR-3", tokenstore, sample(3), sample(4), sample(5))

    ids = [r["id"] for r in records]
    listed = sorted(str(r["id"]) for r in snapshot("CLEAR-3", tokenstore))
    if len(set(ids)) != 3 or sorted(str(i) for i in ids) != listed:
        violated(
            "CLEAR-3",
            f"after delete_tokens, three saves gave ids {ids!r} and get_tokens "
            f"lists {listed!r}",
            "the store must work as new after being cleared",
        )
