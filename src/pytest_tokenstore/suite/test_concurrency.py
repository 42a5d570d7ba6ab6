"""CONC-1 to CONC-3: threads and processes saving and reading at once.

They run only for stores that declare ``thread-safe`` (CONC-1, CONC-2) or
``multi-process`` (CONC-3). The race tests repeat short rounds for half a second
(ten with ``--tokenstore-thorough``) and judge every round's history; whether a
round meets a race is chance. The paused tests leave nothing to chance: they stop
one thread's save before each line of the store's own code in turn, run another
call whole meanwhile, and judge every such history.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import call, clause
from pytest_tokenstore.concurrency import (
    BLOCKED_AFTER,
    METHOD,
    PATIENCE,
    History,
    Step,
    budget,
    fork_available,
    hang_bound,
    lines_run,
    perform,
    require,
    rounds,
    run_paused,
    run_processes,
    run_threads,
)
from pytest_tokenstore.fixtures import StoreFactory
from pytest_tokenstore.spec import StoreSpec
from pytest_tokenstore.tokens import Record, read, sample

pytestmark = pytest.mark.tokenstore

SHARED_USER = "shared.user@example.com"
MOST_ROUNDS = 200


def shared_state(round_: int, worker: int, step: int) -> Record:
    """What one save of the shared user sends: a full record, unique per save."""
    return sample(
        0,
        user_name=SHARED_USER,
        access_token=f"1000.access.r{round_}.w{worker}.s{step}",
        expires_in=str(1_767_225_600_000 + round_ * 10_000 + worker * 100 + step),
    )


def own_state(round_: int, worker: str, n: int, version: int) -> Record:
    """A full record of a user only one worker saves; version 2 is an update."""
    record = sample(n, user_name=f"r{round_}.{worker}.u{n}@example.com")
    if version == 2:
        record["access_token"] = f"1000.updated.r{round_}.{worker}.u{n}"
    return record


def same_user_plan(round_: int, worker: int, saves: int) -> list[Step]:
    """Save the shared user again and again, looking it up after each save."""
    plan: list[Step] = []
    for step in range(saves):
        plan += [("save", shared_state(round_, worker, step)), ("find", SHARED_USER)]
    return plan


def own_users_plan(round_: int, worker: str, users: int) -> list[Step]:
    """Insert new users, updating each one two saves later."""
    plan: list[Step] = []
    for n in range(users + 2):
        if n < users:
            plan.append(("save", own_state(round_, worker, n, 1)))
        if n >= 2:
            plan.append(("save", own_state(round_, worker, n - 2, 2)))
            plan.append(("find", own_state(round_, worker, n - 2, 2)["user_name"]))
    return plan


def reader_plan(round_: int, writers: list[str], users: int, reads: int) -> list[Step]:
    """List the tokens and look up other workers' users, alternately."""
    plan: list[Step] = []
    for n in range(reads):
        if n % 2 == 0:
            plan.append(("list", None))
        else:
            worker = writers[n % len(writers)]
            plan.append(("find", own_state(round_, worker, n % users, 1)["user_name"]))
    return plan


def final_records(clause_id: str, store: Any) -> list[Record]:
    """Every record left, read through get_tokens."""
    return [read(token) for token in call(clause_id, store, "get_tokens")]


@clause("CONC-1")
@pytest.mark.tokenstore_long
def test_threads_saving_one_user_leave_one_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Six threads save and look up one user at once; one whole record remains."""
    require(tokenstore_spec, "thread-safe")
    config = request.config
    history = History("CONC-1", "while 6 threads saved one user at once")

    for round_ in rounds(budget(config), MOST_ROUNDS):
        call("CONC-1", tokenstore, "delete_tokens")
        plans = {f"thread {w}": same_user_plan(round_, w, 6) for w in range(6)}

        outcome = run_threads(tokenstore, plans, hang_bound(config))

        history.check(outcome, final_records("CONC-1", tokenstore), hang_bound(config))


@clause("CONC-2")
@pytest.mark.tokenstore_long
def test_threads_saving_distinct_users_leave_every_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Four threads save their own users while two read; every record stays whole."""
    require(tokenstore_spec, "thread-safe")
    config = request.config
    history = History(
        "CONC-2", "while 4 threads saved distinct users and 2 read at once"
    )
    writers = [f"thread {w}" for w in range(4)]

    for round_ in rounds(budget(config), MOST_ROUNDS):
        call("CONC-2", tokenstore, "delete_tokens")
        plans = {name: own_users_plan(round_, name[-1], 6) for name in writers}
        for r in range(2):
            plans[f"reader {r}"] = reader_plan(round_, [w[-1] for w in writers], 6, 16)

        outcome = run_threads(tokenstore, plans, hang_bound(config))

        history.check(outcome, final_records("CONC-2", tokenstore), hang_bound(config))


@clause("CONC-3")
@pytest.mark.tokenstore_long
def test_processes_sharing_the_storage_keep_every_record(
    tokenstore: Any,
    tokenstore_factory: StoreFactory,
    tokenstore_spec: StoreSpec,
    request: pytest.FixtureRequest,
) -> None:
    """Four processes, each with its own instance, save one user and their own."""
    require(tokenstore_spec, "multi-process")
    if not fork_available():
        pytest.skip("not checked: this platform cannot fork worker processes")
    config = request.config
    history = History("CONC-3", "while 4 processes saved over one storage at once")

    for round_ in rounds(budget(config), MOST_ROUNDS):
        call("CONC-3", tokenstore, "delete_tokens")
        plans = {
            f"process {p}": same_user_plan(round_, p, 3)
            + own_users_plan(round_, str(p), 3)
            + [("list", None)]
            for p in range(4)
        }

        outcome = run_processes(tokenstore_factory, plans, hang_bound(config))

        history.check(
            outcome, final_records("CONC-3", tokenstore_factory()), hang_bound(config)
        )


Scenario = tuple[list[Step], Step, Step]
"""What is saved first, thread A's call (paused), and thread B's call (whole)."""


def paused_calls(
    clause_id: str, store: Any, scenarios: dict[str, Scenario], bound: float
) -> None:
    """For each scenario, pause thread A's call before each line of store code in
    turn, on a store holding just what the scenario saves first, while thread B
    makes its call whole; judge every history, the first saves included."""
    __tracebackhide__ = True
    for doing, (before, first, second) in scenarios.items():
        method = METHOD[first[0]]
        call(clause_id, store, "delete_tokens")
        for step in before:
            perform(store, "the setup", step)
        lines, alone = lines_run(store, first, bound)
        if alone is None:
            History(
                clause_id, "when it ran alone, for the kit to count its lines"
            ).fail(
                f"{method}() in a thread did not return within {bound:g} s",
                "a store shared this way must never block for good",
            )
        if not lines:
            pytest.skip(
                "not checked: the store runs no Python code of its own the kit "
                "could pause a call in"
            )
        patience = _patience(clause_id, store, before, second)
        for line in range(1, lines + 1):
            call(clause_id, store, "delete_tokens")
            setup = [perform(store, "the setup", step) for step in before]
            outcome = run_paused(store, first, second, line, bound, patience)
            outcome.events[:0] = setup
            history = History(
                clause_id,
                f"while thread A's {method}() was paused before line {line} of the "
                f"{lines} lines of store code it runs, and thread B {doing}",
            )
            history.check(outcome, final_records(clause_id, store), bound)


def _patience(clause_id: str, store: Any, before: list[Step], second: Step) -> float:
    """How long thread B may run while A is paused: ``PATIENCE`` times its time
    alone, and at least ``4 * BLOCKED_AFTER``."""
    call(clause_id, store, "delete_tokens")
    for step in before:
        perform(store, "the setup", step)
    alone = perform(store, "thread B", second)
    return max(PATIENCE * (alone.end - alone.start), 4 * BLOCKED_AFTER)


SHARED = shared_state(0, 2, 0)
"""The shared user as stored before the paused call."""
STORED = own_state(0, "C", 0, 1)
"""Another user stored before the paused call."""


@clause("CONC-1")
@pytest.mark.tokenstore_long
def test_a_call_on_a_user_paused_anywhere_leaves_one_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Inside any step of a save of a user, another thread saves or looks up the
    same user; one whole record remains, found by every lookup."""
    require(tokenstore_spec, "thread-safe")
    save_a = ("save", shared_state(0, 0, 0))
    save_b = ("save", shared_state(0, 1, 0))
    paused_calls(
        "CONC-1",
        tokenstore,
        {
            "saved the same user": ([], save_a, save_b),
            "saved the same user, stored before": ([("save", SHARED)], save_a, save_b),
            "looked the user up, stored before": (
                [("save", SHARED)],
                save_a,
                ("find", SHARED_USER),
            ),
        },
        hang_bound(request.config),
    )


@clause("CONC-2")
@pytest.mark.tokenstore_long
def test_a_call_paused_anywhere_loses_no_other_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Inside any step of a save, another thread saves its own user, lists, or
    looks up a stored user; inside any step of a listing, another thread saves;
    nothing is lost, torn or hidden."""
    require(tokenstore_spec, "thread-safe")
    save_a = ("save", own_state(0, "A", 0, 1))
    save_b = ("save", own_state(0, "B", 0, 1))
    stored = [("save", STORED)]
    paused_calls(
        "CONC-2",
        tokenstore,
        {
            "saved another user": ([], save_a, save_b),
            "listed the tokens": (stored, save_a, ("list", None)),
            "looked up a stored user": (stored, save_a, ("find", STORED["user_name"])),
            "saved a new user": (stored, ("list", None), save_b),
        },
        hang_bound(request.config),
    )
