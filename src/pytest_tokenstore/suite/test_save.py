"""SAVE-1 to SAVE-11 and DUP-1: inserting, updating and refusing tokens."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from pytest_tokenstore.checks import (
    call,
    clause,
    count,
    expect_same,
    raised,
    save,
    saved,
    snapshot,
    stored,
    violated,
)
from pytest_tokenstore.tokens import (
    KEY_KINDS,
    Record,
    make_token,
    probe,
    record_for_kind,
    sample,
)

pytestmark = pytest.mark.tokenstore

NEW_TOKENS: dict[str, Record] = {
    "named-user": sample(1),
    "access-token-only": {
        **{name: None for name in sample(1)},
        "access_token": "1000.lonely-access-token",
        "expires_in": "1767225600000",
    },
    "grant-without-user": sample(1, user_name=None, refresh_token=None),
    "refresh-without-user": sample(1, user_name=None, grant_token=None),
}
LOOKUP_OF_NEW = {
    "named-user": "user",
    "access-token-only": "access",
    "grant-without-user": "grant",
    "refresh-without-user": "refresh",
}


@clause("SAVE-1")
@pytest.mark.parametrize("shape", list(NEW_TOKENS))
def test_a_new_token_is_visible_everywhere(tokenstore: Any, shape: str) -> None:
    """A saved new token is found by its key, by its id and in get_tokens."""
    (record,) = saved("SAVE-1", tokenstore, NEW_TOKENS[shape])

    by_key = call(
        "SAVE-1", tokenstore, "find_token", probe(LOOKUP_OF_NEW[shape], record)
    )
    by_id = call("SAVE-1", tokenstore, "find_token_by_id", record["id"])
    listed = snapshot("SAVE-1", tokenstore)

    for how, found in (("find_token", by_key), ("find_token_by_id", by_id)):
        if found is None:
            violated(
                "SAVE-1",
                f"{how} returned None for a {shape} token just saved",
                "the SDK needs to find what it saved, or it logs in again",
            )
    if listed != [record]:
        violated(
            "SAVE-1",
            f"get_tokens listed {len(listed)} records after saving one {shape} token",
            "the SDK needs exactly the saved token listed",
        )


@clause("SAVE-2")
def test_new_tokens_get_distinct_str_ids(tokenstore: Any) -> None:
    """Each token saved without an id gets a new non-empty str id, set on it.

    Twelve saves, because ids computed from text ("9" sorts after "10") collide
    only past nine records.
    """
    tokens = [save("SAVE-2", tokenstore, sample(n)) for n in range(1, 13)]

    ids = [token.get_id() for token in tokens]
    listed = sorted(str(r["id"]) for r in snapshot("SAVE-2", tokenstore))

    if not all(isinstance(i, str) and i for i in ids):
        violated(
            "SAVE-2",
            f"save_token set ids {ids!r} on the saved tokens",
            "the SDK needs a non-empty str id on each saved token",
        )
    if len(set(ids)) != len(ids) or sorted(ids) != listed:
        violated(
            "SAVE-2",
            f"save_token handed out ids {ids!r}, while get_tokens lists {listed!r}",
            "every record needs its own id, or delete and find-by-id hit others",
        )


@clause("SAVE-3")
def test_an_id_the_token_has_is_kept(tokenstore: Any) -> None:
    """A new token that already carries an id is stored under that id."""
    token = save("SAVE-3", tokenstore, sample(1, id="caller-chosen-id-7"))

    found = call("SAVE-3", tokenstore, "find_token_by_id", "caller-chosen-id-7")

    if token.get_id() != "caller-chosen-id-7" or found is None:
        violated(
            "SAVE-3",
            f"save_token replaced the caller's id with {token.get_id()!r}",
            "the SDK looks tokens up by the id the application gave",
        )


def _update(kind: str, target: Record, **changes: Any) -> Any:
    token = probe(kind, target)
    for name, value in changes.items():
        getattr(token, f"set_{name}")(value)
    return token


@clause("SAVE-4")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_a_matching_token_updates_in_place(tokenstore: Any, kind: str) -> None:
    """Saving a token that matches a record keeps one record with the same id."""
    target, other = saved(
        "SAVE-4", tokenstore, record_for_kind(kind, 1), record_for_kind(kind, 2)
    )
    token = _update(kind, target, expires_in="1999999999999")

    call("SAVE-4", tokenstore, "save_token", token)

    total = count("SAVE-4", tokenstore)
    if total != 2:
        violated(
            "SAVE-4",
            f"saving a token that matches by {kind} left {total} records, not 2",
            "the SDK needs an update in place, or every refresh adds a row",
        )
    if stored("SAVE-4", tokenstore, target["id"])["expires_in"] != "1999999999999":
        violated(
            "SAVE-4",
            f"saving a token that matches by {kind} did not update its record",
            "the SDK needs the new expiry stored under the record's id",
        )
    expect_same(
        "SAVE-4",
        other,
        stored("SAVE-4", tokenstore, other["id"]),
        "the other record",
        "an update must touch only the matching record",
    )


@clause("SAVE-5")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_an_update_merges_fields(tokenstore: Any, kind: str) -> None:
    """Unset fields keep their stored values; set fields replace them."""
    (target,) = saved("SAVE-5", tokenstore, record_for_kind(kind, 1))
    token = _update(kind, target, expires_in="1999999999999")
    if kind != "access":
        token.set_access_token("1000.fresh-access")

    call("SAVE-5", tokenstore, "save_token", token)

    expected = {**target, "expires_in": "1999999999999"}
    if kind != "access":
        expected["access_token"] = "1000.fresh-access"
    expect_same(
        "SAVE-5",
        expected,
        stored("SAVE-5", tokenstore, target["id"]),
        f"the record after an update by {kind}",
        "the SDK saves partial tokens and needs the rest of the record kept",
    )


@clause("SAVE-6")
@pytest.mark.parametrize("sameness", ["same-client", "same-everything-but-name"])
def test_different_users_are_different_records(tokenstore: Any, sameness: str) -> None:
    """Two users of one client are two records; saving one leaves the other."""
    first = sample(1)
    if sameness == "same-client":
        second = sample(2, client_id=first["client_id"])
        second["client_secret"] = first["client_secret"]
    else:
        second = {**first, "user_name": sample(2)["user_name"]}
    a = saved("SAVE-6", tokenstore, first)[0]
    b = saved("SAVE-6", tokenstore, second)[0]

    call(
        "SAVE-6",
        tokenstore,
        "save_token",
        make_token(user_name=a["user_name"], access_token="1000.only-for-a"),
    )

    if count("SAVE-6", tokenstore) != 2 or a["id"] == b["id"]:
        violated(
            "SAVE-6",
            f"two users with the {sameness} share or lost a record",
            "the SDK needs one record per user",
        )
    expect_same(
        "SAVE-6",
        b,
        stored("SAVE-6", tokenstore, b["id"]),
        "the second user's record",
        "saving one user must never change another",
    )


@clause("SAVE-7")
@pytest.mark.parametrize("action", ["insert", "update"])
def test_save_returns_none(tokenstore: Any, action: str) -> None:
    """save_token returns None, for an insert and for an update."""
    if action == "update":
        saved("SAVE-7", tokenstore, sample(1))

    result = call("SAVE-7", tokenstore, "save_token", make_token(**sample(1)))

    if result is not None:
        violated(
            "SAVE-7",
            f"save_token returned {type(result).__name__} on {action}",
            "the interface returns None; a caller relying on it would break",
        )


REFUSED = {
    "user-name-only": {"user_name": "nobody@example.com"},
    "credentials-only": {
        "user_name": "nobody@example.com",
        "client_id": "1000.CLIENT",
        "client_secret": "secret",
    },
    "id-only": {"id": "never-stored-id"},
    "credentials-without-user": {"client_id": "1000.CLIENT", "client_secret": "s"},
}


@clause("SAVE-8")
@pytest.mark.parametrize("shape", list(REFUSED))
def test_a_token_without_tokens_is_refused(tokenstore: Any, shape: str) -> None:
    """A new token with no refresh, grant or access token raises and stores nothing."""
    saved("SAVE-8", tokenstore, sample(1))
    before = snapshot("SAVE-8", tokenstore)

    error = raised(lambda: tokenstore.save_token(make_token(**REFUSED[shape])))

    if error is None:
        violated(
            "SAVE-8",
            f"save_token accepted a token with no refresh, grant or access token "
            f"({shape})",
            "the SDK needs an exception, since such a record can never authenticate",
        )
    if snapshot("SAVE-8", tokenstore) != before:
        violated(
            "SAVE-8",
            f"save_token stored something for a refused token ({shape})",
            "a refused save must leave the store as it was",
        )


@clause("SAVE-9")
@pytest.mark.parametrize("kind", KEY_KINDS)
def test_an_update_sets_the_record_id_on_the_token(tokenstore: Any, kind: str) -> None:
    """After an update, the token given to save_token carries the record's id."""
    (target,) = saved("SAVE-9", tokenstore, record_for_kind(kind, 1))
    token = _update(kind, target, expires_in="1999999999999")

    call("SAVE-9", tokenstore, "save_token", token)

    if token.get_id() != target["id"]:
        violated(
            "SAVE-9",
            f"after an update by {kind} the token has id {token.get_id()!r}, not "
            f"{target['id']!r}",
            "the SDK keeps using that token and needs its id for remove()",
        )


@clause("SAVE-10")
@pytest.mark.parametrize("how", ["delete_token", "delete_tokens"])
def test_ids_of_deleted_records_are_not_reused(tokenstore: Any, how: str) -> None:
    """Ids handed out before a delete are never handed out again."""
    old = saved("SAVE-10", tokenstore, *(sample(n) for n in range(1, 4)))
    old_ids = {r["id"] for r in old}
    if how == "delete_tokens":
        call("SAVE-10", tokenstore, "delete_tokens")
    else:
        call("SAVE-10", tokenstore, "delete_token", old[2]["id"])
        call("SAVE-10", tokenstore, "delete_token", old[0]["id"])

    new = saved("SAVE-10", tokenstore, *(sample(n) for n in range(4, 7)))

    reused = sorted(old_ids & {r["id"] for r in new})
    if reused:
        violated(
            "SAVE-10",
            f"after {how}, save_token handed out the old id(s) {reused!r} again",
            "a stale id held by the application would then open another user's token",
        )


@clause("SAVE-11")
@pytest.mark.parametrize("key", ["refresh", "grant"])
def test_a_named_token_adopts_the_unnamed_record(tokenstore: Any, key: str) -> None:
    """A named token with an unnamed record's client and grant updates that record."""
    base = sample(1, user_name=None)
    if key == "refresh":
        base["grant_token"] = None
    (unnamed,) = saved("SAVE-11", tokenstore, base)
    token = make_token(
        user_name="late-name@example.com",
        client_id=unnamed["client_id"],
        client_secret=unnamed["client_secret"],
        **{f"{key}_token": unnamed[f"{key}_token"]},
    )

    call("SAVE-11", tokenstore, "save_token", token)

    records = snapshot("SAVE-11", tokenstore)
    if len(records) != 1 or records[0]["user_name"] != "late-name@example.com":
        violated(
            "SAVE-11",
            f"save_token left {len(records)} records for one grant ({key} token)",
            "the SDK needs the unnamed record to take the user's name",
        )


@clause("SAVE-1")
def test_a_token_without_a_user_adopts_nothing(tokenstore: Any) -> None:
    """A token with no user and half a client is new, whatever grant it shares.

    SAVE-11 is for a token that brings a user name; this one matches nothing
    (no rule of KEY-1 applies to a client id without its secret).
    """
    (unnamed,) = saved("SAVE-1", tokenstore, sample(1, user_name=None))
    token = make_token(
        client_id=unnamed["client_id"], refresh_token=unnamed["refresh_token"]
    )

    call("SAVE-1", tokenstore, "save_token", token)

    records = snapshot("SAVE-1", tokenstore)
    if unnamed not in records or len(records) != 2:
        violated(
            "SAVE-1",
            f"saving a token without a user and without a client secret left "
            f"{len(records)} record(s), the unnamed one "
            f"{'kept' if unnamed in records else 'changed'}",
            "the SDK needs a token that matches nothing stored as a new record",
        )


OTHER_GRANTS = {
    # The other grant sorts before, or extends, the stored one, so that an
    # ordering or prefix comparison shows too.
    "grant-sorting-before": lambda value: "0" + value,
    "grant-extending-it": lambda value: value + "0",
}


@clause("SAVE-1")
@pytest.mark.parametrize("differs", [*OTHER_GRANTS, "client"])
@pytest.mark.parametrize("key", ["refresh", "grant"])
def test_a_named_token_of_another_grant_adopts_nothing(
    tokenstore: Any, key: str, differs: str
) -> None:
    """A named token with another grant or client than an unnamed record's is new.

    SAVE-11 lets a named token take over only the unnamed record of its own
    client and grant.
    """
    base = sample(1, user_name=None)
    if key == "refresh":
        base["grant_token"] = None
    (unnamed,) = saved("SAVE-1", tokenstore, base)
    grant = unnamed[f"{key}_token"]
    client_id = unnamed["client_id"]
    if differs == "client":
        client_id = "0" + client_id
    else:
        grant = OTHER_GRANTS[differs](grant)
    token = make_token(
        user_name="late-name@example.com",
        client_id=client_id,
        client_secret=unnamed["client_secret"],
        **{f"{key}_token": grant},
    )

    call("SAVE-1", tokenstore, "save_token", token)

    records = snapshot("SAVE-1", tokenstore)
    if unnamed not in records or len(records) != 2:
        violated(
            "SAVE-1",
            f"saving a named token with another {differs.split('-')[0]} than the "
            f"unnamed record's ({key} token) left {len(records)} record(s), the "
            f"unnamed one {'kept' if unnamed in records else 'changed'}",
            "the SDK needs a new record for a new grant, and the old grant's kept",
        )


DUPLICATES = {
    "new-tokens-for-a-known-user": lambda a: [
        sample(7, user_name=a["user_name"]),
    ],
    "same-token-twice": lambda a: [dict(a, id=None), dict(a, id=None)],
    "unknown-id-for-a-known-user": lambda a: [
        sample(8, user_name=a["user_name"], id="an-id-never-stored"),
    ],
    "five-rotations": lambda a: [
        sample(10 + n, user_name=a["user_name"], client_id=a["client_id"])
        for n in range(5)
    ],
}


@clause("DUP-1")
@pytest.mark.parametrize("case", list(DUPLICATES))
def test_no_two_records_share_a_user_name(tokenstore: Any, case: str) -> None:
    """However a user's tokens change, the store keeps one record for that user."""
    (a,) = saved("DUP-1", tokenstore, sample(1))

    for record in DUPLICATES[case](a):
        call("DUP-1", tokenstore, "save_token", make_token(**record))

    names = [r["user_name"] for r in snapshot("DUP-1", tokenstore)]
    if names.count(a["user_name"]) != 1:
        violated(
            "DUP-1",
            f"{names.count(a['user_name'])} records hold user {a['user_name']!r} "
            f"({case})",
            "the SDK finds a user by name and needs exactly one record",
        )


@clause("DUP-1")
def test_an_update_by_id_cannot_take_another_users_name(tokenstore: Any) -> None:
    """A record given another user's name through its id leaves no two sharing it.

    The store may refuse the save. Each of two records is given the other's name
    in turn, so that ids compared by order rather than by value show, whichever
    order the store's ids have.
    """
    first, second = saved("DUP-1", tokenstore, sample(1), sample(2))

    for target, other in ((first, second), (second, first)):
        token = make_token(id=target["id"], user_name=other["user_name"])
        raised(partial(tokenstore.save_token, token))

        names = [r["user_name"] for r in snapshot("DUP-1", tokenstore)]
        if names.count(other["user_name"]) != 1:
            violated(
                "DUP-1",
                f"saving record {target['id']!r} under the name of record "
                f"{other['id']!r} left {names.count(other['user_name'])} records "
                f"holding {other['user_name']!r}",
                "the SDK finds a user by name and needs exactly one record",
            )
