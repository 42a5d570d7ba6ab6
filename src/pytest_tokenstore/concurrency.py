"""Running a store from many threads or processes at once, and judging the history.

Every worker runs a plan of steps (save a record, find a user, list the tokens) and
logs each call with its start, end and outcome. Threads either race freely, or one
is paused before a chosen line of the store's own code while another runs
(``run_paused``), which makes a race in that code show up in every run. The history
is then checked against what any correct store could have done, without a model of
its internals:

- every call succeeds;
- a read returns whole records, each exactly as one save sent it (nothing torn or
  partial), lists no user twice and gives distinct records distinct ids;
- a read that starts after a save of a user has returned sees that user, and not a
  state that a later save had certainly replaced before the read began;
- at the end, each user saved has exactly one record, holding what the last save
  (in the same sense) sent, under the id every save of that user was given.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .spec import StoreSpec, describe_error
from .tokens import FIELDS, Record, make_token, probe, read

Step = tuple[str, Any]
"""("save", record), ("find", user name) or ("list", None)."""


@dataclass
class Event:
    """One call a worker made, with its outcome."""

    worker: str
    op: str
    arg: Any
    start: float
    end: float
    result: Any = None
    error: str | None = None


@dataclass
class Outcome:
    """A run's history, or the call that never returned."""

    events: list[Event] = field(default_factory=list)
    stuck: str | None = None


def whole(record: Record) -> Record:
    """A record without its id, for comparing what was read with what was sent."""
    return {name: record[name] for name in FIELDS if name != "id"}


def perform(store: Any, worker: str, step: Step) -> Event:
    """Make one call and log it; an exception is logged, not raised."""
    op, arg = step
    start = time.monotonic()
    result: Any = None
    error = None
    try:
        if op == "save":
            token = make_token(**arg)
            store.save_token(token)
            result = token.get_id()
        elif op == "find":
            found = store.find_token(probe("user", {"user_name": arg}))
            result = None if found is None else read(found)
        else:
            result = [read(token) for token in store.get_tokens()]
    except Exception as exc:
        error = describe_error(exc)
    return Event(worker, op, arg, start, time.monotonic(), result, error)


METHOD = {"save": "save_token", "find": "find_token", "list": "get_tokens"}
"""The store method behind each kind of step."""


def require(spec: StoreSpec, capability: str) -> None:
    """Skip unless the store declares ``capability``; the reason is what is shown."""
    if capability not in spec.capabilities:
        pytest.skip(f"not declared: {capability}")


def budget(config: pytest.Config) -> float:
    """Seconds of rounds per test: half a second, ten when thorough."""
    thorough = config.getoption("tokenstore_thorough") or config.getini(
        "tokenstore_thorough"
    )
    return 10.0 if thorough else 0.5


def hang_bound(config: pytest.Config) -> float:
    """How long a round may take before its stuck call is reported."""
    from .plugin import STATE_KEY

    return config.stash[STATE_KEY].timeout or 3600.0


def rounds(budget: float, most: int) -> Iterator[int]:
    """Round numbers: at least one, then more while the time budget lasts."""
    started = time.monotonic()
    number = 0
    while number < most and (number == 0 or time.monotonic() - started < budget):
        yield number
        number += 1


def run_threads(store: Any, plans: dict[str, list[Step]], bound: float) -> Outcome:
    """Run each plan in its own thread, all on one store, started together.

    The interpreter switches threads as often as it can meanwhile, so that races
    show up in a short run. A thread still busy after ``bound`` seconds is named
    with the call it is stuck in.
    """
    outcome = Outcome()
    current: dict[str, str] = {}
    barrier = threading.Barrier(len(plans))
    lock = threading.Lock()

    def work(name: str, plan: list[Step]) -> None:
        try:
            barrier.wait(timeout=bound)
        except threading.BrokenBarrierError:
            return
        for step in plan:
            current[name] = METHOD[step[0]]
            event = perform(store, name, step)
            with lock:
                outcome.events.append(event)
        current.pop(name, None)

    threads = [
        threading.Thread(
            target=work, args=(name, plan), name=f"tokenstore-{name}", daemon=True
        )
        for name, plan in plans.items()
    ]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + bound
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
    finally:
        sys.setswitchinterval(switching)
    stuck = [name for name, method in sorted(current.items()) if method]
    if any(thread.is_alive() for thread in threads) and stuck:
        outcome.stuck = f"{current[stuck[0]]}() in {stuck[0]}"
    return outcome


BLOCKED_AFTER = 0.005
"""Seconds the second call may go without calling any Python function before it is
taken to wait on the first (a lock, a transaction), and the first is let go on."""

PATIENCE = 20
"""The second call may run this many times as long as it took alone (and at least
``4 * BLOCKED_AFTER``) while the first is paused: a store that waits for a lock by
polling keeps calling functions, and the first must then go on all the same."""


def pause_points(store: Any) -> frozenset[str]:
    """The source files of the store's own classes: where a call can be paused.

    Pauses fall between lines of the store's Python code (its class and the classes
    it builds on); what a line calls in a driver or the standard library runs whole.
    """
    files = set()
    for cls in type(store).__mro__:
        module = sys.modules.get(cls.__module__)
        path = getattr(module, "__file__", None)
        if cls is object or path is None:
            continue
        files.add(path)
    return frozenset(files)


Tracer = Callable[[Any, str, Any], Any]


def _both(first: Tracer | None, second: Tracer | None) -> Tracer | None:
    """One global trace function that runs two, each as if it were alone."""
    if first is None or second is None:
        return first or second

    def start(frame: Any, event: str, arg: Any) -> Any:
        return _pair(first(frame, event, arg), second(frame, event, arg))

    return start


def _pair(first: Tracer | None, second: Tracer | None) -> Tracer | None:
    """One frame's local trace function that runs two, each as if it were alone."""
    if first is None or second is None:
        return first or second
    pair: list[Tracer | None] = [first, second]

    def local(frame: Any, event: str, arg: Any) -> Any:
        for index, tracer in enumerate(pair):
            if tracer is not None:
                pair[index] = tracer(frame, event, arg)
        return local if pair[0] is not None or pair[1] is not None else None

    return local


@contextlib.contextmanager
def _traced(tracer: Tracer) -> Iterator[None]:
    """Trace this thread with ``tracer`` beside whatever traced it before (a
    coverage tool, a debugger), which sees every event as it would have."""
    previous: Any = sys.gettrace()
    sys.settrace(_both(previous, tracer))
    try:
        yield
    finally:
        sys.settrace(previous)


class _Pause:
    """A trace that counts the store's lines in one thread and stops before one."""

    def __init__(self, files: frozenset[str], stop_before: int) -> None:
        self.files = files
        self.stop_before = stop_before
        self.lines = 0
        self.reached = threading.Event()
        self.go_on = threading.Event()

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in self.files:
            return None
        return self.line

    def line(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines == self.stop_before:
                self.reached.set()
                self.go_on.wait()
        return self.line


def lines_run(store: Any, step: Step, bound: float) -> tuple[int, Event | None]:
    """How many lines of the store's own code one call runs alone, and its event;
    no event if the call was still busy after ``bound`` seconds."""
    pause = _Pause(pause_points(store), 0)
    done: list[Event] = []

    def work() -> None:
        with _traced(pause.trace):
            done.append(perform(store, "thread A", step))

    thread = threading.Thread(target=work, name="tokenstore-count", daemon=True)
    thread.start()
    thread.join(bound)
    return pause.lines, (done[0] if done else None)


def run_paused(
    store: Any,
    first: Step,
    second: Step,
    stop_before: int,
    bound: float,
    patience: float,
) -> Outcome:
    """Run ``first`` in one thread, paused before its ``stop_before``-th line of
    store code; meanwhile run ``second`` whole in another, then let ``first`` go on.

    ``first`` goes on once ``second`` has returned, or has called no function for
    ``BLOCKED_AFTER`` seconds (it waits on ``first``: a correct store's lock, a
    database's row lock), or has run for ``patience`` seconds (it polls for such a
    lock). A call still busy after ``bound`` seconds is named as stuck.
    """
    outcome = Outcome()
    pause = _Pause(pause_points(store), stop_before)
    current: dict[str, str] = {}
    lock = threading.Lock()
    calls = [0]

    def count_calls(frame: Any, event: str, arg: Any) -> None:
        calls[0] += 1

    def work(name: str, step: Step, paused: bool) -> None:
        current[name] = METHOD[step[0]]
        try:
            with _traced(pause.trace if paused else count_calls):
                event = perform(store, name, step)
        finally:
            if paused:
                pause.reached.set()
        with lock:
            outcome.events.append(event)
        current.pop(name, None)

    first_thread = threading.Thread(
        target=work, args=("thread A", first, True), name="tokenstore-A", daemon=True
    )
    second_thread = threading.Thread(
        target=work, args=("thread B", second, False), name="tokenstore-B", daemon=True
    )
    deadline = time.monotonic() + bound
    try:
        first_thread.start()
        pause.reached.wait(bound)
        second_thread.start()
        give_up = time.monotonic() + patience
        seen = -1
        while second_thread.is_alive() and calls[0] != seen:
            if time.monotonic() > min(give_up, deadline):
                break
            seen = calls[0]
            second_thread.join(BLOCKED_AFTER)
    finally:
        pause.go_on.set()  # never leave the paused thread behind, even on a hang
    for thread in (first_thread, second_thread):
        thread.join(max(deadline - time.monotonic(), 0.0))
    stuck = [name for name, method in sorted(current.items()) if method]
    if stuck and (first_thread.is_alive() or second_thread.is_alive()):
        outcome.stuck = f"{current[stuck[0]]}() in {stuck[0]}"
    return outcome


def fork_available() -> bool:
    """Whether the kit can start worker processes that share the test's factory."""
    return hasattr(os, "fork")


def run_processes(
    factory: Callable[[], Any], plans: dict[str, list[Step]], bound: float
) -> Outcome:
    """Run each plan in a forked process that builds its own store, started together.

    A process still busy after ``bound`` seconds is killed and named with the call
    it was in.
    """
    go_read, go_write = os.pipe()
    children: dict[int, tuple[str, int]] = {}
    for name, plan in plans.items():
        out_read, out_write = os.pipe()
        pid = _fork()
        if pid == 0:  # pragma: no cover - the child leaves through os._exit
            os.close(out_read)
            _child(factory, name, plan, go_read, out_write)
        os.close(out_write)
        children[pid] = (name, out_read)
    os.close(go_read)
    os.write(go_write, b"g" * len(plans))
    os.close(go_write)
    outcome = Outcome()
    begun = _collect(children, bound, outcome.events)
    if begun:
        outcome.stuck = sorted(f"{method}() in {name}" for name, method in begun)[0]
    return outcome


def _fork() -> int:
    """Fork; the child only runs the store and leaves through ``os._exit``.

    Python 3.12 warns about forking a process with threads (xdist has some); the
    child touches no lock those threads could hold, so the warning is silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _collect(
    children: dict[int, tuple[str, int]], bound: float, events: list[Event]
) -> list[tuple[str, str]]:
    """Read every child's log until each ends; kill those still busy at the bound.

    Returns the (worker, method) of every child killed in the middle of a call.
    """
    selector = selectors.DefaultSelector()
    buffers: dict[int, bytes] = {}
    busy: dict[int, str] = {}
    for pid, (_, fd) in children.items():
        selector.register(fd, selectors.EVENT_READ, pid)
        buffers[pid] = b""
    deadline = time.monotonic() + bound
    while selector.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in selector.select(left):
            pid = key.data
            chunk = os.read(key.fd, 65536)
            if not chunk:
                selector.unregister(key.fd)
                os.close(key.fd)
                continue
            buffers[pid] += chunk
            *lines, buffers[pid] = buffers[pid].split(b"\n")
            for line in lines:
                entry = json.loads(line)
                if "begin" in entry:
                    busy[pid] = entry["begin"]
                else:
                    busy.pop(pid, None)
                    events.append(Event(**entry))
    stuck = []
    for key in list(selector.get_map().values()):
        pid = key.data
        os.kill(pid, signal.SIGKILL)
        selector.unregister(key.fd)
        os.close(key.fd)
        stuck.append((children[pid][0], busy.get(pid, "the store's constructor")))
    for pid in children:
        os.waitpid(pid, 0)
    return stuck


def _child(
    factory: Callable[[], Any],
    name: str,
    plan: list[Step],
    go: int,
    out: int,
) -> None:  # pragma: no cover - runs in the forked child
    """Wait for the start, build a store, run the plan, log each call, exit."""
    code = 0
    try:
        os.read(go, 1)
        os.close(go)
        start = time.monotonic()
        try:
            store = factory()
        except Exception as exc:
            event = Event(name, "build", None, start, time.monotonic())
            event.error = describe_error(exc)
            _send(out, event.__dict__)
            return
        for step in plan:
            _send(out, {"begin": METHOD[step[0]]})
            _send(out, perform(store, name, step).__dict__)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _send(fd: int, entry: dict[str, Any]) -> None:
    data = (json.dumps(entry) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


@dataclass
class Burst:
    """A child killed with SIGKILL in the middle of a burst of saves."""

    returned: list[Event]
    error: str | None = None


def kill_during_saves(
    factory: Callable[[], Any],
    records: list[Record],
    kill_after: int,
    delay: float,
    bound: float,
) -> Burst:
    """Fork a child that saves ``records`` in turn; SIGKILL it mid-burst.

    The kill comes ``delay`` seconds after the child reports its ``kill_after``-th
    returned save. Returns the saves the child reported as returned.
    """
    out_read, out_write = os.pipe()
    go_read, go_write = os.pipe()
    pid = _fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        os.close(out_read)
        os.close(go_write)
        _child(factory, "child", [("save", r) for r in records], go_read, out_write)
    os.close(out_write)
    os.close(go_read)
    os.write(go_write, b"g")
    os.close(go_write)
    burst = Burst([])
    buffer = b""
    killed = False
    deadline = time.monotonic() + bound
    # A selector, not select.select: a store may hold more than 1023 descriptors.
    with (
        os.fdopen(out_read, "rb", buffering=0) as pipe,
        selectors.DefaultSelector() as ready,
    ):
        ready.register(pipe, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not ready.select(left):
                burst.error = f"the child's saves did not finish within {bound:g} s"
                break
            chunk = pipe.read(65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                entry = json.loads(line)
                if "begin" in entry:
                    continue
                event = Event(**entry)
                if event.error is not None:
                    burst.error = f"{METHOD.get(event.op, event.op)}: {event.error}"
                else:
                    burst.returned.append(event)
            if not killed and len(burst.returned) >= kill_after:
                if delay:
                    time.sleep(delay)
                os.kill(pid, signal.SIGKILL)
                killed = True
    if not killed:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return burst


class History:
    """Checks of one run's history; each failure is worded for ``clause_id``."""

    def __init__(self, clause_id: str, setting: str) -> None:
        self.clause_id = clause_id
        self.setting = setting

    def fail(self, did: str, needs: str) -> None:
        """Raise the clause's violation."""
        from .checks import violated

        __tracebackhide__ = True
        violated(self.clause_id, f"{did} {self.setting}", needs)

    def check(self, outcome: Outcome, final: list[Record], bound: float) -> None:
        """Judge every call of the run, then the records left at its end."""
        __tracebackhide__ = True
        if outcome.stuck is not None:
            self.fail(
                f"{outcome.stuck} did not return within {bound:g} s",
                "a store shared this way must never block for good (a deadlock?)",
            )
        for event in outcome.events:
            if event.error is not None:
                self.fail(
                    f"{METHOD.get(event.op, 'building the store')} raised "
                    f"{event.error}",
                    "each call must succeed under load, or the SDK loses the "
                    "token it was saving or logs the user in again",
                )
        saves: dict[str, list[Event]] = {}
        for event in outcome.events:
            if event.op == "save":
                saves.setdefault(event.arg["user_name"], []).append(event)
        for event in sorted(outcome.events, key=lambda e: e.start):
            if event.op == "find":
                records = [] if event.result is None else [event.result]
                self._read(saves, event, records, [event.arg])
            elif event.op == "list":
                self._read(saves, event, event.result, list(saves))
        end = Event("the end", "list", None, float("inf"), float("inf"), final)
        self._read(saves, end, final, list(saves))
        self._final(saves, final)

    def _read(
        self,
        saves: dict[str, list[Event]],
        event: Event,
        records: list[Record],
        watched: list[str],
    ) -> None:
        __tracebackhide__ = True
        what = (
            "after every call had returned, get_tokens"
            if event.end == float("inf")
            else f"{METHOD[event.op]}() in {event.worker}"
        )
        seen: dict[str, Record] = {}
        ids: dict[Any, str] = {}
        for record in records:
            user = record["user_name"]
            if user in seen:
                self.fail(
                    f"{what} listed user {user!r} twice",
                    "one user must have one record, or the SDK finds either",
                )
            seen[user] = record
            if record["id"] in ids:
                self.fail(
                    f"{what} listed users {ids[record['id']]!r} and {user!r} under "
                    f"one id {record['id']!r}",
                    "every record needs its own id, or deleting one deletes both",
                )
            ids[record["id"]] = user
            source = _sender(saves.get(user, []), record)
            if source is None:
                self.fail(
                    f"{what} returned a torn or partial record of user {user!r} "
                    f"({_torn(saves.get(user, []), record)})",
                    "a reader must see each record whole, as one save left it",
                )
            later = [
                s
                for s in saves.get(user, [])
                if source is not None and s.start > source.end and s.end < event.start
            ]
            if later:
                self.fail(
                    f"{what} returned user {user!r} as a save had left it that a "
                    f"later save had replaced before the read began",
                    "a save that returned must not be lost to another save",
                )
        for user in watched:
            done = [s for s in saves.get(user, []) if s.end < event.start]
            if done and user not in seen:
                self.fail(
                    f"{what} did not return user {user!r}, whose save had returned "
                    "before the read began",
                    "a saved record must stay visible while others write, or the "
                    "SDK sends the user to log in again",
                )

    def _final(self, saves: dict[str, list[Event]], final: list[Record]) -> None:
        __tracebackhide__ = True
        by_user = {record["user_name"]: record for record in final}
        strangers = sorted(str(u) for u in by_user if u not in saves)
        if strangers:
            self.fail(
                f"the store held records no save sent, for {strangers[:3]}",
                "a store must hold only what was saved",
            )
        for user, events in saves.items():
            # A save that set no id on its token is SAVE-9's business, not ours.
            given = sorted({str(e.result) for e in events if e.result is not None})
            if not given:
                continue
            if given != [str(by_user[user]["id"])]:
                self.fail(
                    f"the saves of user {user!r} were given the ids {given[:4]}, "
                    f"while the record has id {by_user[user]['id']!r}",
                    "every save of one user must update that user's one record",
                )


def _sender(events: list[Event], record: Record) -> Event | None:
    """The save that sent exactly this record, if any."""
    wanted = whole(record)
    return next((e for e in events if whole(e.arg) == wanted), None)


def _torn(events: list[Event], record: Record) -> str:
    """Which fields of a record match no save, against the closest one."""
    if not events:
        return "no save sent this user"
    got = whole(record)

    def mismatched(event: Event) -> list[str]:
        return [n for n, v in whole(event.arg).items() if got[n] != v]

    fields = min((mismatched(e) for e in events), key=len)
    return f"{', '.join(fields)} as no save sent {'it' if len(fields) == 1 else 'them'}"
