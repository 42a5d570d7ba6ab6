"""SDK-1 to SDK-5: the SDK's own token flows, run against the store and a fake Zoho.

Each test starts the SDK as an application does (``Initializer.initialize`` with a
new ``OAuthToken``), with Zoho replaced by the fake on 127.0.0.1, and then reads
the store and the fake's request log. Select them with ``-m tokenstore_sdk``.
"""

from __future__ import annotations

import time

import pytest

from pytest_tokenstore.checks import clause, differences, violated
from pytest_tokenstore.fakezoho import ACCESS_LIFETIME, ERRORS
from pytest_tokenstore.sdkloop import (
    START_WORDS,
    SDKLoop,
    describe_requests,
    sdk_user_name,
)
from pytest_tokenstore.spec import describe_error

pytestmark = [pytest.mark.tokenstore, pytest.mark.tokenstore_sdk]

ALICE = "alice@example.com"
BOB = "bob@example.com"

EXPIRED = -60
"""A lifetime the fake can give: the access token ran out a minute ago, standing in
for the hour that passes between a login and the refresh."""


def now_ms() -> int:
    """The time as the SDK writes expiries: epoch milliseconds."""
    return int(time.time() * 1000)


@clause("SDK-1")
def test_a_grant_login_stores_one_full_record(tokenstore_sdk: SDKLoop) -> None:
    """A grant login leaves one record with refresh and access token, expiry, user."""
    sdk = tokenstore_sdk
    before = now_ms()

    sdk.start(
        sdk.grant_token(ALICE),
        "with a grant code",
        "the first login must succeed",
    )

    after = now_ms()
    issued = sdk.zoho.issued_to(ALICE)
    if issued is None or issued.refresh_token is None:
        violated(
            "SDK-1",
            "the SDK never exchanged the grant code: find_token returned a token "
            "for a grant it had never seen",
            "a new grant must miss in the store (FIND-1) so that the SDK logs in",
        )
    records = sdk.records()
    if len(records) != 1:
        violated(
            "SDK-1",
            f"after one grant login the store lists {len(records)} records; the "
            "SDK logs an error from save_token and carries on (see the captured "
            "log)",
            "the grant code is spent, so the SDK needs exactly one record holding "
            "what the exchange gave",
        )
    record = records[0]
    expected = {
        "user_name": sdk_user_name(ALICE),
        "refresh_token": issued.refresh_token,
        "access_token": issued.access_tokens[-1],
    }
    wrong = [
        f"{name} {record[name]!r} instead of {value!r}"
        for name, value in expected.items()
        if record[name] != value
    ]
    expiry = record["expires_in"]
    lowest, highest = before + ACCESS_LIFETIME * 1000, after + ACCESS_LIFETIME * 1000
    if not (
        isinstance(expiry, str)
        and expiry.isdigit()
        and lowest <= int(expiry) <= highest
    ):
        wrong.append(f"expires_in {expiry!r}, not the str the SDK computed")
    if wrong:
        violated(
            "SDK-1",
            f"the record the grant login left has {'; '.join(wrong)}",
            "nothing can rebuild a login's tokens once the grant code is spent",
        )


@clause("SDK-2")
def test_a_restart_reuses_the_stored_token(tokenstore_sdk: SDKLoop) -> None:
    """A later start by refresh token finds the record and asks Zoho for nothing."""
    sdk = tokenstore_sdk
    record = sdk.login(ALICE)
    sent = len(sdk.zoho.requests)

    token = sdk.token_for("refresh", record)
    sdk.start(token, START_WORDS["refresh"], "a restart must find the stored record")
    used = sdk.access_token(token, "a restart must find the stored record")

    later = sdk.zoho.requests[sent:]
    if later:
        violated(
            "SDK-2",
            f"a restart while the stored access token was valid sent "
            f"{describe_requests(later)}",
            "find_token must return the stored access token and expiry for the "
            "client and refresh token (KEY-1 rule 3, FIND-2), or every start "
            "spends a token request",
        )
    if used != record["access_token"]:
        violated(
            "SDK-2",
            f"after the restart the SDK signs requests with {used!r}, not the "
            f"stored {record['access_token']!r}",
            "find_token must fill the token it is given with the stored values",
        )
    count = len(sdk.records())
    if count != 1:
        violated(
            "SDK-2",
            f"a restart that needed no token left {count} records",
            "the SDK needs its one record left alone",
        )


@clause("SDK-3")
@pytest.mark.parametrize("start", ["refresh", "user", "id"])
def test_an_expired_token_is_refreshed_once_in_place(
    tokenstore_sdk: SDKLoop, start: str
) -> None:
    """An expired token is refreshed once, and the record keeps its id and refresh."""
    sdk = tokenstore_sdk
    record = sdk.login(ALICE, lifetime=EXPIRED)
    sent = len(sdk.zoho.requests)
    needs = "an expired token must be refreshed and saved"

    token = sdk.token_for(start, record)
    sdk.start(token, START_WORDS[start], needs)
    for _ in range(2):
        sdk.access_token(token, needs)

    refreshes = [r for r in sdk.zoho.requests[sent:] if r.grant_type]
    if len(refreshes) != 1:
        violated(
            "SDK-3",
            f"an expired access token, then two API requests, led to "
            f"{describe_requests(refreshes)} instead of one refresh",
            "the SDK saves the refreshed token and finds it on the next request; "
            "the store must update the record in place (KEY-2, SAVE-4, SAVE-5)",
        )
    new_access = sdk.zoho.access_tokens(ALICE)[-1]
    records = sdk.records()
    if len(records) != 1:
        violated(
            "SDK-3",
            f"after the refresh the store lists {len(records)} records, not 1",
            "the refresh must update the record it came from",
        )
    after = records[0]
    wrong = [
        f"{name} {after[name]!r} instead of {value!r}"
        for name, value in (
            ("id", record["id"]),
            ("refresh_token", record["refresh_token"]),
            ("access_token", new_access),
            ("user_name", record["user_name"]),
        )
        if after[name] != value
    ]
    expiry = after["expires_in"]
    if not (isinstance(expiry, str) and expiry.isdigit() and int(expiry) > now_ms()):
        wrong.append(f"expires_in {expiry!r}, not the new expiry")
    if wrong:
        violated(
            "SDK-3",
            f"after the refresh the record has {'; '.join(wrong)}",
            "the SDK saves the new access token and expiry on the record it "
            "found, id included, and keeps the refresh token",
        )


@clause("SDK-3")
@pytest.mark.parametrize("error", ERRORS)
def test_a_rejected_refresh_leaves_the_record(
    tokenstore_sdk: SDKLoop, error: str
) -> None:
    """When Zoho refuses a refresh, the stored record stays exactly as it was."""
    sdk = tokenstore_sdk
    record = sdk.login(ALICE, lifetime=EXPIRED)
    before = sdk.records()
    sent = len(sdk.zoho.requests)
    sdk.zoho.fail_token_requests(error)

    failure = sdk.attempt(sdk.token_for("refresh", record))

    if not any(r.grant_type for r in sdk.zoho.requests[sent:]):
        violated(
            "SDK-3",
            "the SDK did not try to refresh an expired access token",
            "find_token must return the stored expiry, so that the SDK refreshes",
        )
    after = sdk.records()
    if after != before:
        if len(after) == len(before) == 1:
            changed = "; ".join(differences(before[0], after[0]))
            what = f"the record now has {changed}"
        else:
            what = f"it lists {len(after)} records instead of {len(before)}"
        violated(
            "SDK-3",
            f"after Zoho refused the refresh ({error}, the SDK raised "
            f"{describe_error(failure) if failure else 'nothing'}) {what}",
            "the SDK needs the record kept as it was, so the refresh can be tried "
            "again; a lost refresh token means the user must authorise again",
        )


@clause("SDK-4")
@pytest.mark.parametrize("kind", ["id", "user", "access"])
def test_a_token_given_by_one_key_resolves(tokenstore_sdk: SDKLoop, kind: str) -> None:
    """A token given only by id, user name or access token finds its record."""
    sdk = tokenstore_sdk
    sdk.login(BOB)
    record = sdk.login(ALICE)
    sent = len(sdk.zoho.requests)
    needs = f"the store must find the record for a token given {START_WORDS[kind]}"

    token = sdk.token_for(kind, record)
    sdk.start(token, START_WORDS[kind], needs)
    used = sdk.access_token(token, needs)

    if used != record["access_token"]:
        violated(
            "SDK-4",
            f"a token given {START_WORDS[kind]} made the SDK sign requests with "
            f"{used!r}, not {ALICE}'s stored {record['access_token']!r}",
            needs,
        )
    later = sdk.zoho.requests[sent:]
    if later:
        violated(
            "SDK-4",
            f"resolving a token given {START_WORDS[kind]} sent "
            f"{describe_requests(later)}",
            "a valid stored token needs no request to Zoho; the SDK asks only "
            "when the store did not find the record",
        )
    count = len(sdk.records())
    if count != 2:
        violated(
            "SDK-4",
            f"after resolving a token given {START_WORDS[kind]} the store lists "
            f"{count} records, not 2",
            "a lookup must not add or remove records",
        )


@clause("SDK-5")
@pytest.mark.parametrize("start", ["id", "refresh"])
def test_remove_deletes_the_record(tokenstore_sdk: SDKLoop, start: str) -> None:
    """OAuthToken.remove() deletes the user's record and no other."""
    sdk = tokenstore_sdk
    other = sdk.login(BOB)
    record = sdk.login(ALICE)
    token = sdk.token_for(start, record)
    sdk.start(token, START_WORDS[start], "remove() needs a started SDK")

    removed = token.remove()

    sdk.check_guard()
    left = sdk.records()
    if not removed:
        violated(
            "SDK-5",
            f"OAuthToken.remove() returned False: delete_token({token.get_id()!r}) "
            "raised",
            "remove() reports only whether delete_token raised; it must delete",
        )
    if any(r["id"] == record["id"] for r in left):
        violated(
            "SDK-5",
            f"after remove() the store still lists {ALICE}'s record "
            f"{record['id']!r} (remove() passed the id {token.get_id()!r})",
            "remove() deletes the id the lookup put on the token, so find_token "
            "and find_token_by_id must set it (FIND-2) and delete_token must "
            "delete it (DEL-1)",
        )
    if other not in left:
        violated(
            "SDK-5",
            f"remove() of {ALICE} also changed or removed {BOB}'s record",
            "remove() must delete one user's record only",
        )


@clause("SDK-5")
def test_revoke_finds_the_refresh_token(tokenstore_sdk: SDKLoop) -> None:
    """OAuthToken.revoke(id) finds the stored refresh token and has Zoho revoke it."""
    sdk = tokenstore_sdk
    record = sdk.login(ALICE)
    token = sdk.token_for("id", record)

    try:
        revoked = token.revoke(record["id"])
    except Exception as exc:
        sdk.check_guard()
        violated(
            "SDK-5",
            f"OAuthToken.revoke({record['id']!r}) raised {describe_error(exc)}",
            "revoke must find the record's refresh token",
        )

    sdk.check_guard()
    sent = sdk.zoho.revocations()
    if sent != [record["refresh_token"]]:
        found = f"sent {sent!r} to revoke" if sent else "found no refresh token"
        violated(
            "SDK-5",
            f"OAuthToken.revoke({record['id']!r}) {found} (it returned {revoked!r})",
            "revoke calls find_token with a token carrying only the id and reads "
            "the refresh token off that same token, so the store must resolve an "
            "id-only token (KEY-3) and fill the token it is given (FIND-3)",
        )
    if revoked is not True:
        violated(
            "SDK-5",
            f"OAuthToken.revoke returned {revoked!r} though Zoho confirmed it",
            "revoke must report a revoked token",
        )
