"""On xdist workers, and only there, the kit spreads its long tests through the run."""

from __future__ import annotations

import itertools

import pytest

from pytest_tokenstore.collect import LONG_MARKER, spread_long_tests
from tests.helpers import GOOD_STORE, run_kit


class Item:
    """A stand-in for a collected test: a name, whether it is long, whose it is."""

    def __init__(self, name: str, long: bool = False, kit: bool = True) -> None:
        self.name = name
        self.long = long
        self.kit = kit

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.long and name == LONG_MARKER else None

    def __repr__(self) -> str:
        return self.name


def _spread(items: list[Item]) -> list[str]:
    return [item.name for item in spread_long_tests(items, lambda item: item.kit)]


def test_long_tests_are_spaced_evenly_from_the_start():
    """Four long tests among twelve land at 0, 3, 6 and 9; the rest keep order."""
    items = [Item(f"s{n}") for n in range(8)] + [
        Item(f"L{n}", long=True) for n in range(4)
    ]

    assert _spread(items) == [
        "L0", "s0", "s1", "L1", "s2", "s3", "L2", "s4", "s5", "L3", "s6", "s7",
    ]  # fmt: skip


def test_a_user_s_tests_keep_their_exact_places():
    """Only the kit's places are used: a user's module is never split."""
    users = [Item(f"u{n}", kit=False) for n in range(3)]
    kit = [Item(f"s{n}") for n in range(4)] + [
        Item(f"L{n}", long=True) for n in range(2)
    ]
    # A user's long-marked test is the user's business, not moved either.
    items = [*users[:2], *kit, users[2], Item("uL", long=True, kit=False)]

    assert _spread(items) == [
        "u0", "u1", "L0", "s0", "s1", "L1", "s2", "s3", "u2", "uL",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("shorts", "longs"), [(0, 3), (1, 5), (5, 1), (7, 2), (30, 6), (0, 0), (4, 0)]
)
def test_spreading_keeps_every_item_once(shorts: int, longs: int):
    """Whatever the mix, the result holds each item exactly once."""
    items = [Item(f"s{n}") for n in range(shorts)] + [
        Item(f"L{n}", long=True) for n in range(longs)
    ]

    spread = _spread(items)

    assert sorted(spread) == sorted(item.name for item in items)
    assert [n for n in spread if n[0] == "s"] == [f"s{n}" for n in range(shorts)]
    assert [n for n in spread if n[0] == "L"] == [f"L{n}" for n in range(longs)]


WORKER_CONFTEST = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.workerinput = {"workerid": "gw0", "workercount": 2}
"""

LONG_ONLY = ("-m", LONG_MARKER)


def _collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = run_kit(
        pytester,
        f"--tokenstore={GOOD_STORE}",
        "--collect-only",
        "-q",
        "-p",
        "no:xdist",
        *args,
    )
    return [line for line in result.outlines if "::" in line]


def test_an_xdist_worker_spreads_the_long_tests(pytester: pytest.Pytester):
    """On a worker the tests marked long no longer sit together."""
    long = set(_collected(pytester, *LONG_ONLY))
    serial = _collected(pytester)
    pytester.makeconftest(WORKER_CONFTEST)
    worker = _collected(pytester)

    assert sorted(worker) == sorted(serial)
    long_at = [n for n, name in enumerate(worker) if name in long]
    assert len(long_at) >= 8  # state machine, races, paused saves, crash check
    assert long_at[0] == 0
    gaps = [b - a for a, b in itertools.pairwise(long_at)]
    assert min(gaps) >= len(worker) // len(long_at) - 1


def test_a_serial_run_keeps_the_order_of_the_files(pytester: pytest.Pytester):
    """Without xdist the kit's tests run file by file, as collected."""
    long = set(_collected(pytester, *LONG_ONLY))
    collected = _collected(pytester)

    files = [name.split("::", 1)[0] for name in collected]
    assert files == sorted(files, key=files.index)
    assert collected[-1] in long  # the state machine module comes last


def test_the_marker_is_registered(pytester: pytest.Pytester):
    """``pytest --markers`` lists the marker, so ``-m`` and --strict-markers work."""
    result = run_kit(pytester, "--markers")

    assert any(
        line.startswith(f"@pytest.mark.{LONG_MARKER}:") for line in result.outlines
    )
