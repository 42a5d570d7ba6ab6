"""DUR-1 and DUR-2: what a new instance over the same storage finds.

They run only for stores that declare ``durable``. DUR-2 kills a forked child with
SIGKILL in the middle of a burst of saves, for half a second of rounds.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import call, clause, saved, snapshot, violated
from pytest_tokenstore.concurrency import (
    budget,
    fork_available,
    hang_bound,
    kill_during_saves,
    require,
    rounds,
    whole,
)
from pytest_tokenstore.fixtures import StoreFactory
from pytest_tokenstore.spec import StoreSpec, describe_error
from pytest_tokenstore.tokens import Record, make_token, probe, read, sample

pytestmark = pytest.mark.tokenstore

BURST = 300
"""Saves a child has lined up when it is killed; it never gets near the end."""


@clause("DUR-1")
def test_a_new_instance_sees_every_saved_token(
    tokenstore: Any, tokenstore_factory: StoreFactory, tokenstore_spec: StoreSpec
) -> None:
    """Saves, an update and a delete by one instance are what the next one lists."""
    require(tokenstore_spec, "durable")
    records = saved(
        "DUR-1",
        tokenstore,
        *(sample(n) for n in range(1, 5)),
        sample(5, user_name=None, grant_token=None),
    )
    update = make_token(user_name=records[0]["user_name"], access_token="1000.new")
    call("DUR-1", tokenstore, "save_token", update)
    call("DUR-1", tokenstore, "delete_token", records[1]["id"])
    before = snapshot("DUR-1", tokenstore)

    reopened = tokenstore_factory()
    after = snapshot("DUR-1", reopened)
    found = call("DUR-1", reopened, "find_token", probe("refresh", records[4]))

    if after != before:
        lost = [r["user_name"] for r in before if r not in after]
        violated(
            "DUR-1",
            f"a new instance over the same storage listed {len(after)} records "
            f"where the one that saved them lists {len(before)} (differing: "
            f"{lost[:3]})",
            "a restarted application must find every token saved before, or each "
            "user has to authorise again",
        )
    if found is None:
        violated(
            "DUR-1",
            "a new instance did not find an unnamed token by its refresh token",
            "a restart looks tokens up by client id and refresh token",
        )


@clause("DUR-2")
@pytest.mark.tokenstore_long
def test_a_killed_process_leaves_every_returned_save(
    tokenstore: Any,
    tokenstore_factory: StoreFactory,
    tokenstore_spec: StoreSpec,
    request: pytest.FixtureRequest,
) -> None:
    """A child killed mid-burst leaves a store that opens and holds its saves."""
    require(tokenstore_spec, "durable")
    if not fork_available():
        pytest.skip("not checked: this platform cannot fork worker processes")
    config = request.config

    for round_ in rounds(budget(config), 60):
        call("DUR-2", tokenstore, "delete_tokens")
        sent = [
            sample(n, user_name=f"r{round_}.burst.u{n}@example.com")
            for n in range(BURST)
        ]
        kill_after = 2 + (round_ * 7) % 19
        delay = (round_ % 6) * 0.0004

        burst = kill_during_saves(
            tokenstore_factory, sent, kill_after, delay, hang_bound(config)
        )

        if burst.error is not None:
            violated(
                "DUR-2",
                f"before the kill, the child's {burst.error}",
                "the burst of saves must run, so that the kill lands among them",
            )
        _check_after_kill(tokenstore_factory, sent, [e.arg for e in burst.returned])


def _check_after_kill(
    factory: StoreFactory, sent: list[Record], returned: list[Record]
) -> None:
    """The storage opens, lists whole records, and holds every returned save."""
    __tracebackhide__ = True
    try:
        listed = [read(token) for token in factory().get_tokens()]
    except Exception as exc:
        violated(
            "DUR-2",
            f"after a process was killed while saving, opening the store and "
            f"listing its tokens raised {describe_error(exc)}",
            "a crash during one save must leave every other user's token readable",
        )
    names = [r["user_name"] for r in listed]
    sent_whole = [whole(r) for r in sent]
    torn = [r["user_name"] for r in listed if whole(r) not in sent_whole]
    missing = [r["user_name"] for r in returned if r["user_name"] not in names]
    if torn or len(set(names)) != len(names):
        violated(
            "DUR-2",
            f"after a process was killed while saving, the store held torn or "
            f"doubled records ({(torn or names)[:2]})",
            "a crash during one save must leave every record whole",
        )
    if missing:
        violated(
            "DUR-2",
            f"after a process was killed while saving, {len(missing)} of the "
            f"{len(returned)} saves that had returned were gone ({missing[:2]})",
            "a save that returned must survive a crash of the process that made it",
        )
