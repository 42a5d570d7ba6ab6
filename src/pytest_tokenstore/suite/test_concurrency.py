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


Scenario = tuple[list[Step], Step]
"""What is saved before the paused save starts, and thread B's call."""


def paused_saves(
    clause_id: str,
    store: Any,
    first: Step,
    scenarios: dict[str, Scenario],
    bound: float,
) -> None:
    """Pause ``first`` before each line of store code in turn, on a store holding
    just what each scenario saves first, while thread B makes the scenario's call
    whole; judge every history, the earlier saves included."""
    __tracebackhide__ = True
    for doing, (before, second) in scenarios.items():
        call(clause_id, store, "delete_tokens")
        for step in before:
            perform(store, "the setup", step)
        lines = lines_run(store, first)
        if not lines:
            pytest.skip(
                "not checked: the store runs no Python code of its own the kit "
                "could pause a call in"
            )
        for line in range(1, lines + 1):
            call(clause_id, store, "delete_tokens")
            setup = [perform(store, "the setup", step) for step in before]
            outcome = run_paused(store, first, second, line, bound)
            outcome.events[:0] = setup
            history = History(
                clause_id,
                f"while thread A's save was paused before line {line} of the "
                f"{lines} lines of store code it runs, and thread B {doing}",
            )
            history.check(outcome, final_records(clause_id, store), bound)


@clause("CONC-1")
@pytest.mark.tokenstore_long
def test_a_save_of_a_user_paused_anywhere_leaves_one_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Another thread saves the same user inside any step of a save; one remains."""
    require(tokenstore_spec, "thread-safe")
    paused_saves(
        "CONC-1",
        tokenstore,
        ("save", shared_state(0, 0, 0)),
        {
            "saved the same user": ([], ("save", shared_state(0, 1, 0))),
            "saved the same user, stored before": (
                [("save", shared_state(0, 2, 0))],
                ("save", shared_state(0, 1, 0)),
            ),
        },
        hang_bound(request.config),
    )


@clause("CONC-2")
@pytest.mark.tokenstore_long
def test_a_save_paused_anywhere_loses_no_other_record(
    tokenstore: Any, tokenstore_spec: StoreSpec, request: pytest.FixtureRequest
) -> None:
    """Inside any step of a save, another thread saves its own user, lists, or
    looks up a stored user; nothing is lost, torn or hidden."""
    require(tokenstore_spec, "thread-safe")
    stored = own_state(0, "C", 0, 1)
    paused_saves(
        "CONC-2",
        tokenstore,
        ("save", own_state(0, "A", 0, 1)),
        {
            "saved another user": ([], ("save", own_state(0, "B", 0, 1))),
            "listed the tokens": ([("save", stored)], ("list", None)),
            "looked up a stored user": (
                [("save", stored)],
                ("find", stored["user_name"]),
            ),
        },
        hang_bound(request.config),
    )
