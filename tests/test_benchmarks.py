"""The benchmark scripts stay honest: bulk fills match save_token, targets can fail.

No timing is asserted here; the figures are for the scripts to print.
"""

from __future__ import annotations

import copy
from typing import Any

from benchmarks import kit_cost, stores


def test_every_bulk_fill_leaves_what_save_token_leaves():
    """The benchmark fills stores in bulk only where the result is the same."""
    assert stores.check_fill(stores.SUBJECTS, count=20) == []


def test_a_worker_times_every_operation():
    """One store at one small size yields a time for each operation."""
    result = stores.run_worker("sqlite", 20, reps=3, budget=0.01)

    assert set(result["median_s"]) == set(stores.OPERATIONS)
    assert result["held_bytes"] > 0


def _figures(find: float, insert: float, per_token: float) -> dict[str, Any]:
    """Figures for every store and size, with lookups costing ``find`` seconds."""

    def result(size: int, name: str) -> dict[str, Any]:
        base = find if name == "sqlite" else find * 100
        return {
            "size": size,
            "median_s": {
                **dict.fromkeys(stores.OPERATIONS, base),
                "insert": insert if name == "sqlite" else base,
            },
            "held_bytes": per_token * size,
        }

    return {
        name: {size: result(size, name) for size in stores.SIZES}
        for name in stores.SUBJECTS
    }


def test_the_targets_pass_on_good_figures():
    """Figures that meet every target are reported as passes."""
    lines = stores.check_targets(_figures(find=1e-5, insert=1e-5, per_token=500))

    assert [line.split()[0] for line in lines] == ["pass"] * len(lines)


def test_a_missed_target_is_reported():
    """A lookup that grows with the store, or a slow insert, is a MISS."""
    figures = _figures(find=1e-5, insert=1e-3, per_token=500)
    slow = copy.deepcopy(figures)
    slow["sqlite"][100_000]["median_s"]["find_id"] = 1e-3

    lines = stores.check_targets(slow)

    missed = [line for line in lines if line.startswith("MISS")]
    assert any("find_id: 10^5" in line for line in missed)
    assert any("insert at 10^4" in line and "naive" in line for line in missed)


def test_memory_that_grows_faster_than_the_store_is_a_miss():
    """The list store's memory must grow in step with the number of tokens."""
    figures = _figures(find=1e-5, insert=1e-5, per_token=500)
    for size, result in figures["list"].items():
        result["held_bytes"] = size * size

    lines = stores.check_targets(figures)

    assert lines[-1].startswith("MISS")


def test_the_best_speedup_halves_only_the_tests():
    """Start-up is paid in full by -n 2; only the tests' share can be halved."""
    # 4 s serially, 1 s of it start-up; -n 2 starts in 2 s: 2 + 3 / 2 = 3.5 s.
    assert kit_cost.best_speedup(4.0, 1.0, 2.0) == 4.0 / 3.5
    # With no start-up at all, two workers can at most halve the run.
    assert kit_cost.best_speedup(4.0, 0.0, 0.0) == 2.0
