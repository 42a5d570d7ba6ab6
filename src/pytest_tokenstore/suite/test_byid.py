"""BYID-1 to BYID-3: find_token_by_id."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from pytest_tokenstore.checks import (
    call,
    clause,
    expect_same,
    saved,
    snapshot,
    violated,
)
from pytest_tokenstore.tokens import copied, read, sample

pytestmark = pytest.mark.tokenstore


@clause("BYID-1")
def test_a_stored_id_returns_the_full_token(tokenstore: Any) -> None:
    """A stored id returns a token with every field of its record."""
    records = saved("BYID-1", tokenstore, sample(1), sample(2), sample(3))

    for record in records:
        found = call("BYID-1", tokenstore, "find_token_by_id", record["id"])
        if found is None:
            violated(
                "BYID-1",
                f"find_token_by_id({record['id']!r}) returned None for a stored id",
                "the SDK loads tokens given by id this way",
            )
        expect_same(
            "BYID-1",
            record,
            read(found),
            f"the token for id {record['id']!r}",
            "the SDK needs the whole record to authenticate",
        )


@clause("BYID-1")
def test_an_equal_id_from_elsewhere_finds_the_token(tokenstore: Any) -> None:
    """An id equal to a stored one, but not the same object, finds its token."""
    (record,) = saved("BYID-1", tokenstore, sample(1))

    found = call("BYID-1", tokenstore, "find_token_by_id", copied(record["id"]))

    if found is None or found.get_id() != record["id"]:
        violated(
            "BYID-1",
            f"find_token_by_id found nothing for a copy of the stored id "
            f"{record['id']!r}: ids seem compared by identity, not by value",
            "the SDK passes ids read from configuration or another process",
        )


UNKNOWN_IDS = ["never-stored", "0", "", "id", "1 OR 1=1", "' OR ''='"]


@clause("BYID-2")
@pytest.mark.parametrize("filled", ["empty", "populated"])
@pytest.mark.parametrize("unknown", UNKNOWN_IDS)
def test_an_unknown_id_returns_none(tokenstore: Any, unknown: str, filled: str) -> None:
    """An id the store does not hold returns None, without raising."""
    if filled == "populated":
        saved("BYID-2", tokenstore, sample(1), sample(2))

    try:
        found = tokenstore.find_token_by_id(unknown)
    except Exception as exc:
        violated(
            "BYID-2",
            f"find_token_by_id({unknown!r}) raised {type(exc).__name__} on the "
            f"{filled} store",
            "the SDK treats None as 'not stored' and goes on to log in; an "
            "exception aborts the request",
        )
    if found is not None:
        violated(
            "BYID-2",
            f"find_token_by_id({unknown!r}) returned a token on the {filled} store",
            "the SDK needs None for an id it never saved",
        )


@clause("BYID-3")
@pytest.mark.parametrize("outcome", ["hit", "miss"])
def test_find_by_id_changes_nothing(tokenstore: Any, outcome: str) -> None:
    """find_token_by_id leaves every stored record as it was."""
    records = saved("BYID-3", tokenstore, sample(1), sample(2))
    before = snapshot("BYID-3", tokenstore)
    wanted = records[0]["id"] if outcome == "hit" else "never-stored"

    with contextlib.suppress(Exception):
        tokenstore.find_token_by_id(wanted)

    if snapshot("BYID-3", tokenstore) != before:
        violated(
            "BYID-3",
            f"find_token_by_id ({outcome}) changed what get_tokens lists",
            "a lookup must not write",
        )
