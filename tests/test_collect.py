"""On xdist workers, and only there, the kit spreads its long tests through the run."""

from __future__ import annotations

import itertools

import pytest

from pytest_tokenstore.collect import LONG_MARKER, spread_long_tests
from tests.helpers import GOOD_STORE, run_kit


class Item:
    """A stand-in for a collected test: a name, and whether it is long."""

    def __init__(self, name: str, long: bool = False) -> None:
        self.name = name
        self.long = long

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.long and name == LONG_MARKER else None

    def __repr__(self) -> str:
        return self.name


def _names(items: list[Item]) -> list[str]:
    return [item.name for item in items]


def test_long_tests_are_spaced_evenly_from_the_start():
    """Four long tests among twelve land at 0, 3, 6 and 9; the rest keep order."""
    items = [Item(f"s{n}") for n in range(8)] + [
        Item(f"L{n}", long=True) for n in range(4)
    ]

    spread = spread_long_tests(items)

    assert _names(spread) == [
        "L0", "s0", "s1", "L1", "s2", "s3", "L2", "s4", "s5", "L3", "s6", "s7",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("shorts", "longs"), [(0, 3), (1, 5), (5, 1), (7, 2), (30, 6), (0, 0), (4, 0)]
)
def test_spreading_keeps_every_item_once(shorts: int, longs: int):
    """Whatever the mix, the result holds each item exactly once."""
    items = [Item(f"s{n}") for n in range(shorts)] + [
        Item(f"L{n}", long=True) for n in range(longs)
    ]

    spread = spread_long_tests(items)

    assert sorted(_names(spread)) == sorted(_names(items))
    assert [i for i in spread if not i.long] == [i for i in items if not i.long]
    assert [i for i in spread if i.long] == [i for i in items if i.long]


LONG_PER_STORE = 8
"""Two state machine tests, three races, two paused saves, one crash check."""

WORKER_CONFTEST = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.workerinput = {"workerid": "gw0", "workercount": 2}
"""


def _collected(pytester: pytest.Pytester) -> list[str]:
    result = run_kit(
        pytester, f"--tokenstore={GOOD_STORE}", "--collect-only", "-q", "-p", "no:xdist"
    )
    return [line for line in result.outlines if "::" in line]


def test_an_xdist_worker_spreads_the_long_tests(pytester: pytest.Pytester):
    """On a worker the state machine and race tests no longer sit together."""
    serial = _collected(pytester)
    pytester.makeconftest(WORKER_CONFTEST)
    worker = _collected(pytester)

    assert sorted(worker) == sorted(serial)
    long_at = [n for n, name in enumerate(worker) if _is_long(name)]
    assert len(long_at) == LONG_PER_STORE
    assert long_at[0] == 0
    gaps = [b - a for a, b in itertools.pairwise(long_at)]
    assert min(gaps) >= len(worker) // LONG_PER_STORE - 1


def test_a_serial_run_keeps_the_order_of_the_files(pytester: pytest.Pytester):
    """Without xdist the kit's tests run file by file, as collected."""
    collected = _collected(pytester)

    files = [name.split("::", 1)[0] for name in collected]
    assert files == sorted(files, key=files.index)
    assert _is_long(collected[-1])  # the state machine module comes last


def _is_long(name: str) -> bool:
    return "test_stateful.py" in name or any(
        test in name
        for test in (
            "test_threads_saving",
            "test_processes_sharing",
            "test_a_killed_process",
            "paused_anywhere",
        )
    )
