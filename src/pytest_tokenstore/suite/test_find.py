"""FIND-1 to FIND-7: what find_token returns and what it leaves alone."""

from __future__ import annotations

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
from pytest_tokenstore.tokens import (
    KEY_KINDS,
    LOOKALIKES,
    LOOKUP_KINDS,
    key_field,
    make_token,
    probe,
    read,
    record_for_kind,
    sample,
)

pytestmark = pytest.mark.tokenstore


def _unknown(kind: str) -> dict[str, Any]:
    """A record like user 99's, which the store never saw."""
    return {**record_for_kind(kind, 99), "id": "id-that-was-never-stored"}


@clause("FIND-1")
@pytest.mark.parametrize("filled", ["empty", "populated"])
@pytest.mark.parametrize("kind", LOOKUP_KINDS)
def test_a_miss_returns_none(tokenstore: Any, kind: str, filled: str) -> None:
    """Looking up a token the store does not hold returns None."""
    if filled == "populated":
        saved("FIND-1", tokenstore, record_for_kind(kind, 1), record_for_kind(kind, 2))

    found = call("FIND-1", tokenstore, "find_token", probe(kind, _unknown(kind)))

    if found is not None:
        violated(
            "FIND-1",
            f"find_token returned {type(found).__name__} for an unknown {kind} "
            f"on the {filled} store",
            "the SDK needs None so that it asks for a new token",
        )


NO_RULE = {
    "empty-user-name": lambda: make_token(user_name=""),
    "client-id-without-secret": lambda: make_token(
        client_id=sample(1)["client_id"], refresh_token=sample(1)["refresh_token"]
    ),
    "credentials-without-tokens": lambda: make_token(
        client_id=sample(1)["client_id"], client_secret=sample(1)["client_secret"]
    ),
}


@clause("FIND-1")
@pytest.mark.parametrize("case", list(NO_RULE))
def test_a_token_no_rule_applies_to_finds_nothing(tokenstore: Any, case: str) -> None:
    """A token with no usable key finds nothing, even in a populated store."""
    saved("FIND-1", tokenstore, sample(1), sample(2, user_name=None))

    found = call("FIND-1", tokenstore, "find_token", NO_RULE[case]())

    if found is not None:
        violated(
            "FIND-1",
            f"find_token returned record {found.get_id()!r} for a token with no "
            f"usable key ({case})",
            "the SDK needs None; any record returned is a guess",
        )


@clause("FIND-2")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_a_hit_fills_every_unset_field(tokenstore: Any, kind: str) -> None:
    """A match by each key kind returns the stored record, id included."""
    target, _ = saved(
        "FIND-2", tokenstore, record_for_kind(kind, 1), record_for_kind(kind, 2)
    )
    token = probe(kind, target)

    found = call("FIND-2", tokenstore, "find_token", token)

    if found is None:
        violated(
            "FIND-2",
            f"find_token returned None for a stored {kind}",
            "the SDK needs the stored token, or the user must log in again",
        )
    expect_same(
        "FIND-2",
        target,
        read(found),
        f"the token found by {kind}",
        "the SDK needs every field of the stored record",
    )


@clause("FIND-3")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_a_hit_returns_the_given_object(tokenstore: Any, kind: str) -> None:
    """find_token fills the token it was given and returns that same object."""
    (target,) = saved("FIND-3", tokenstore, record_for_kind(kind, 1))
    token = probe(kind, target)

    found = call("FIND-3", tokenstore, "find_token", token)

    if found is not token:
        violated(
            "FIND-3",
            f"find_token returned {'None' if found is None else 'another object'} "
            f"instead of the token it was given ({kind})",
            "the SDK's revoke reads the token it passed in, not the return value",
        )
    expect_same(
        "FIND-3",
        target,
        read(token),
        "the token passed to find_token",
        "the SDK needs its own token filled in",
    )


@clause("FIND-4")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_fields_already_set_are_kept(tokenstore: Any, kind: str) -> None:
    """Fields the caller set before find_token keep the caller's values."""
    (target,) = saved("FIND-4", tokenstore, record_for_kind(kind, 1))
    token = probe(kind, target)
    token.set_redirect_url("https://caller.example.com/own")
    token.set_expires_in("42")

    call("FIND-4", tokenstore, "find_token", token)

    if token.get_redirect_url() != "https://caller.example.com/own" or (
        token.get_expires_in() != "42"
    ):
        violated(
            "FIND-4",
            f"find_token overwrote fields the caller had set ({kind})",
            "the SDK merges stored values only into fields that are unset",
        )


@clause("FIND-5")
@pytest.mark.parametrize("trap", list(LOOKALIKES))
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_keys_match_exactly(tokenstore: Any, kind: str, trap: str) -> None:
    """A key that differs by case, length or a pattern character finds nothing."""
    field = key_field(kind)
    record = record_for_kind(kind, 1)
    record[field] = "Mixed.Case_Key-" + str(record[field])
    (target,) = saved("FIND-5", tokenstore, record)
    lookalike = {**target, field: LOOKALIKES[trap](target[field])}

    found = call("FIND-5", tokenstore, "find_token", probe(kind, lookalike))

    if found is not None:
        violated(
            "FIND-5",
            f"find_token matched {field} {lookalike[field]!r} to stored "
            f"{target[field]!r} ({trap})",
            "the SDK needs exact matches, or one user's token serves another",
        )


@clause("FIND-6")
@pytest.mark.parametrize("outcome", ["hit", "miss"])
@pytest.mark.parametrize("kind", LOOKUP_KINDS)
def test_find_changes_nothing(tokenstore: Any, kind: str, outcome: str) -> None:
    """find_token, hit or miss, leaves every stored record as it was."""
    records = saved(
        "FIND-6", tokenstore, record_for_kind(kind, 1), record_for_kind(kind, 2)
    )
    before = snapshot("FIND-6", tokenstore)
    wanted = records[0] if outcome == "hit" else _unknown(kind)
    token = probe(kind, wanted)
    token.set_expires_in("7")

    call("FIND-6", tokenstore, "find_token", token)

    if snapshot("FIND-6", tokenstore) != before:
        violated(
            "FIND-6",
            f"a find_token {outcome} by {kind} changed what get_tokens lists",
            "lookups must not write, or a read can overwrite a fresh token",
        )


@clause("FIND-7")
@pytest.mark.parametrize("kind", LOOKUP_KINDS)
def test_a_miss_leaves_the_token_unchanged(tokenstore: Any, kind: str) -> None:
    """On a miss, find_token leaves the given token exactly as it was."""
    saved("FIND-7", tokenstore, record_for_kind(kind, 1))
    token = probe(kind, _unknown(kind))
    before = read(token)

    call("FIND-7", tokenstore, "find_token", token)

    if read(token) != before:
        violated(
            "FIND-7",
            f"find_token changed the given token on a miss by {kind}",
            "the SDK goes on to use that token for a new login",
        )
