"""How the kit's own tests are collected, and ordered for xdist's workers."""

from __future__ import annotations

from typing import Protocol, TypeVar

import pytest


class SuiteModule(pytest.Module):
    """A kit module, collected by the default name patterns whatever the ini says.

    A user's ``python_functions`` or ``python_classes`` setting is about their own
    tests; it must not hide the kit's.
    """

    def funcnamefilter(self, name: str) -> bool:
        """Kit tests are the functions named ``test_*``."""
        return name.startswith("test_")

    def classnamefilter(self, name: str) -> bool:
        """Kit test classes are named ``Test*``."""
        return name.startswith("Test")


LONG_MARKER = "tokenstore_long"


class _Marked(Protocol):
    def get_closest_marker(self, name: str) -> object | None: ...


ItemT = TypeVar("ItemT", bound=_Marked)


def spread_long_tests(items: list[ItemT]) -> list[ItemT]:
    """The same items, with the kit's long tests spread evenly through the order.

    The long tests run for a time or example budget, or once per line of a save
    (the state machine, the races, the paused saves, the crash check), and take
    most of a run. Left where collection puts them, the
    state machine tests sit side by side at the end and xdist's load scheduler
    hands them, and often the races too, to one worker while the other waits:
    ``--tokenstore-thorough`` took as long with ``-n 2`` as without. Spread over
    the run, with the first at the start, each is picked up while other tests are
    still queued, so the workers stay busy to the end. Every other item keeps its
    place relative to the rest.
    """
    long = [item for item in items if item.get_closest_marker(LONG_MARKER)]
    if not long:
        return items
    rest = iter([item for item in items if not item.get_closest_marker(LONG_MARKER)])
    slots = {index * len(items) // len(long): item for index, item in enumerate(long)}
    return [
        slots[position] if position in slots else next(rest)
        for position in range(len(items))
    ]
