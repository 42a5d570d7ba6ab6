"""How the kit's own tests are collected, and ordered for xdist's workers."""

from __future__ import annotations

from collections.abc import Callable
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
    """What spreading needs of a collected item: its markers."""

    def get_closest_marker(self, name: str) -> object | None: ...


ItemT = TypeVar("ItemT", bound=_Marked)


def spread_long_tests(
    items: list[ItemT], is_kit: Callable[[ItemT], bool]
) -> list[ItemT]:
    """The same items, with the kit's long tests spread evenly over the kit's places.

    The long tests run for a time or example budget, or once per line of a save
    (the state machine, the races, the paused saves, the crash check), and take
    most of a run. Left where collection puts them, the state machine tests sit
    side by side at the end and xdist's load scheduler hands them, and often the
    races too, to one worker while the other waits: ``--tokenstore-thorough`` took
    about as long with ``-n 2`` as without. Spread evenly, the first at the kit's
    first place, each is picked up while other tests are still queued, so the
    workers stay busy to the end.

    Only the places the kit's own tests (``is_kit``) hold are used: every other
    test keeps its exact place, so a user's module is never split and its
    module-scoped fixtures are set up once. The kit's modules have no
    module-scoped fixtures. The kit's other tests keep their order.
    """
    kit_places = [n for n, item in enumerate(items) if is_kit(item)]
    kit = [items[n] for n in kit_places]
    long = [item for item in kit if item.get_closest_marker(LONG_MARKER)]
    if not long:
        return items
    rest = iter([item for item in kit if not item.get_closest_marker(LONG_MARKER)])
    slots = {index * len(kit) // len(long): item for index, item in enumerate(long)}
    spread = list(items)
    for rank, place in enumerate(kit_places):
        spread[place] = slots[rank] if rank in slots else next(rest)
    return spread
