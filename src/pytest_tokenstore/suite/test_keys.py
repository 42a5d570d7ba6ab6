"""KEY-1 to KEY-3: which record find_token and save_token pick for a token."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import (
    call,
    clause,
    count,
    saved,
    stored,
    violated,
)
from pytest_tokenstore.tokens import make_token, probe, read, sample

pytestmark = pytest.mark.tokenstore

A, B = 1, 2


def _two(store: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    a, b = saved("KEY-1", store, sample(A), sample(B))
    return a, b


PRECEDENCE = {
    "user-before-access": lambda a, b: make_token(
        user_name=a["user_name"], access_token=b["access_token"]
    ),
    "user-before-refresh": lambda a, b: make_token(
        user_name=a["user_name"],
        client_id=b["client_id"],
        client_secret=b["client_secret"],
        refresh_token=b["refresh_token"],
    ),
    "grant-before-refresh": lambda a, b: make_token(
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        grant_token=a["grant_token"],
        refresh_token=b["refresh_token"],
    ),
    "empty-user-falls-to-access": lambda a, b: make_token(
        user_name="", access_token=a["access_token"]
    ),
    "access-needs-no-credentials": lambda a, b: make_token(
        access_token=b["access_token"],
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        refresh_token=a["refresh_token"],
    ),
}


@clause("KEY-1")
@pytest.mark.parametrize("case", list(PRECEDENCE))
def test_find_uses_the_first_rule_that_applies(tokenstore: Any, case: str) -> None:
    """A token that could match two records by different keys gets the first rule's."""
    a, b = _two(tokenstore)
    token = PRECEDENCE[case](a, b)

    found = call("KEY-1", tokenstore, "find_token", token)

    if found is None or token.get_id() != a["id"]:
        got = "None" if found is None else f"record {token.get_id()!r}"
        violated(
            "KEY-1",
            f"find_token returned {got} for the {case} case, not record {a['id']!r}",
            "the SDK needs the record the first applicable key rule names",
        )


NO_FALLBACK = {
    "unknown-user-with-known-access": lambda a: make_token(
        user_name="nobody@example.com", access_token=a["access_token"]
    ),
    "unknown-user-with-known-refresh": lambda a: make_token(
        user_name="nobody@example.com",
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        refresh_token=a["refresh_token"],
    ),
    "unknown-grant-with-known-refresh": lambda a: make_token(
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        grant_token="1000.unknown-grant",
        refresh_token=a["refresh_token"],
    ),
    # No rule applies to half a client: rule 2 needs neither, rule 3 both.
    "client-id-without-secret-with-known-access": lambda a: make_token(
        client_id=a["client_id"], access_token=a["access_token"]
    ),
    "secret-without-client-id-with-known-access": lambda a: make_token(
        client_secret=a["client_secret"], access_token=a["access_token"]
    ),
}


@clause("KEY-1")
@pytest.mark.parametrize("case", list(NO_FALLBACK))
def test_find_does_not_fall_back_to_a_later_rule(tokenstore: Any, case: str) -> None:
    """When the applicable rule matches nothing, or none applies, no key is tried."""
    (a,) = saved("KEY-1", tokenstore, sample(A))
    token = NO_FALLBACK[case](a)

    found = call("KEY-1", tokenstore, "find_token", token)

    if found is not None:
        violated(
            "KEY-1",
            f"find_token fell back to another key and returned record "
            f"{found.get_id()!r} ({case})",
            "the SDK needs None here, or one user's token is handed to another",
        )


@clause("KEY-1")
def test_save_updates_the_record_the_first_rule_names(tokenstore: Any) -> None:
    """A save carrying A's user name and B's access token updates A, not B."""
    a, b = _two(tokenstore)
    token = make_token(
        user_name=a["user_name"],
        access_token=b["access_token"],
        expires_in="1999999999999",
    )

    call("KEY-1", tokenstore, "save_token", token)

    if count("KEY-1", tokenstore) != 2:
        violated(
            "KEY-1",
            "save_token added a record for a token whose user name is stored",
            "the SDK needs the record of that user updated",
        )
    if stored("KEY-1", tokenstore, b["id"]) != b:
        violated(
            "KEY-1",
            "save_token changed the record named by the access token",
            "the user name rule comes first, so the SDK needs that user's record",
        )


@clause("KEY-1")
def test_save_with_an_unknown_user_adds_a_record(tokenstore: Any) -> None:
    """A new user name with another user's refresh token is a new record."""
    (a,) = saved("KEY-1", tokenstore, sample(A))
    token = make_token(
        user_name="newcomer@example.com",
        client_id=a["client_id"],
        client_secret=a["client_secret"],
        refresh_token=a["refresh_token"],
        access_token="1000.access-of-newcomer",
    )

    call("KEY-1", tokenstore, "save_token", token)

    if stored("KEY-1", tokenstore, a["id"]) != a:
        violated(
            "KEY-1",
            "save_token for a new user name overwrote another user's record",
            "the SDK needs a separate record, or one user logs in as another",
        )


ROTATIONS = {
    "rotated-refresh-token": {"refresh_token": "1000.rotated.refresh"},
    "new-grant-token": {"grant_token": "1000.new.grant"},
    "new-access-token": {"access_token": "1000.new.access", "expires_in": "1"},
}


@clause("KEY-2")
@pytest.mark.parametrize("change", list(ROTATIONS))
def test_save_with_a_stored_id_updates_that_record(
    tokenstore: Any, change: str
) -> None:
    """A token carrying a stored id updates that record, whatever its keys say."""
    (a,) = saved("KEY-2", tokenstore, sample(A))
    fields = {
        "id": a["id"],
        "client_id": a["client_id"],
        "client_secret": a["client_secret"],
        **ROTATIONS[change],
    }

    call("KEY-2", tokenstore, "save_token", make_token(**fields))

    total = count("KEY-2", tokenstore)
    if total != 1:
        violated(
            "KEY-2",
            f"save_token of a token with stored id {a['id']!r} ({change}) left "
            f"{total} records",
            "the SDK needs that record updated, or every refresh adds a row",
        )
    after = stored("KEY-2", tokenstore, a["id"])
    for name, value in ROTATIONS[change].items():
        if after[name] != value:
            violated(
                "KEY-2",
                f"save_token by id did not store the new {name}",
                "the SDK needs the record with that id to hold the new value",
            )


@clause("KEY-3")
def test_find_with_only_an_id_resolves_by_id(tokenstore: Any) -> None:
    """find_token given a token with only an id fills it from that record."""
    a, _ = _two(tokenstore)
    token = probe("id", a)

    found = call("KEY-3", tokenstore, "find_token", token)

    if found is None or read(token) != a:
        violated(
            "KEY-3",
            "find_token did not resolve a token carrying only an id",
            "the SDK's revoke looks tokens up this way and finds nothing to revoke",
        )
