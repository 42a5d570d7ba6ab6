"""The hang bound: a store call that never returns fails its test instead of the run.

A timer signal looks, a few times a second, at what the main thread is running. When
one call of a store method (or a store's constructor) has been running longer than
the bound, the signal handler raises ``StoreHung`` inside that call, naming the
clause under test and the method. ``StoreHung`` is not an ``Exception``, so a store
that catches every exception cannot swallow it. Where the signal cannot interrupt
(a call stuck in C code holding the interpreter lock, or no ``SIGALRM`` at all), a
backstop dumps every thread's stack and ends the process once the bound has passed
twice over; the run then reports a crashed test rather than hanging.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from .spec import STORE_METHODS

BACKSTOP_GRACE = 30.0
"""Seconds past twice the bound before the backstop ends a stuck process."""


class StoreHung(BaseException):
    """A store call ran past the hang bound; the message starts with the clause id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.clause_id = message.split(":", 1)[0]


def store_call_in(frame: FrameType | None) -> tuple[FrameType, str] | None:
    """The outermost store method (or constructor) running in this stack, if any."""
    found = None
    while frame is not None:
        name = frame.f_code.co_name
        if name in STORE_METHODS or name == "__init__":
            owner = frame.f_locals.get("self")
            if owner is not None and all(
                callable(getattr(owner, m, None)) for m in STORE_METHODS
            ):
                found = (frame, name)
        frame = frame.f_back
    return found


def describe_call(method: str) -> str:
    """How a failure message names a store method."""
    return "the store's constructor" if method == "__init__" else f"{method}()"


class Watchdog:
    """Watch the main thread's store calls and raise StoreHung in one that hangs."""

    def __init__(self, bound: float, clause_id: str) -> None:
        self.bound = bound
        self.clause_id = clause_id
        self._call: FrameType | None = None
        self._since = 0.0

    def _tick(self, signum: int, frame: FrameType | None) -> None:
        found = store_call_in(frame)
        now = time.monotonic()
        if found is None or found[0] is not self._call:
            self._call = None if found is None else found[0]
            self._since = now
            return
        if now - self._since >= self.bound:
            self._call = None
            raise StoreHung(hang_message(self.clause_id, found[1], self.bound))

    @contextlib.contextmanager
    def armed(self, backstop: bool) -> Iterator[None]:
        """Watch while the block runs; restore any timer someone else had set."""
        usable = hasattr(signal, "SIGALRM") and (
            threading.current_thread() is threading.main_thread()
        )
        if backstop:
            faulthandler.dump_traceback_later(
                2 * self.bound + BACKSTOP_GRACE, exit=True, file=2
            )
        if not usable:
            try:
                yield
            finally:
                if backstop:
                    faulthandler.cancel_dump_traceback_later()
            return
        tick = min(0.5, self.bound / 5)
        previous = signal.signal(signal.SIGALRM, self._tick)
        old_delay, _ = signal.setitimer(signal.ITIMER_REAL, tick, tick)
        started = time.monotonic()
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if old_delay:
                left = old_delay - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
            if backstop:
                faulthandler.cancel_dump_traceback_later()


def hang_message(clause_id: str, method: str, bound: float) -> str:
    """The failure of a test whose store call did not return in time."""
    return (
        f"{clause_id}: {describe_call(method)} did not return within {bound:g} s "
        "(--tokenstore-timeout); the SDK calls the store on every request, and a "
        "call that never returns hangs the application (a deadlock, or a lock "
        "never released?)"
    )
