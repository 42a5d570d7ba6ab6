"""Time the reference stores, the SDK's FileStore and a naive SQLite store.

Run from the repository root:  python -m benchmarks.stores  (--help for options)

Each store and size runs in its own subprocess, so that peak memory is that of one
store at one size. The store is filled in bulk (see ``fill``), then every operation
is timed call by call and the median is reported. The targets of issue #7 are
checked on the figures of this one run and printed as pass or MISS.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 1_000, 10_000, 100_000)
OPERATIONS = (
    "insert",
    "update",
    "find_user",
    "find_refresh",
    "find_id",
    "get_tokens",
)
LOOKUPS = ("find_user", "find_refresh", "find_id")
CLIENT_ID, CLIENT_SECRET = "1000.BENCHCLIENT", "bench-client-secret"


# --- the stores -------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A store under test: how to build one in a directory and fill it in bulk."""

    name: str
    label: str
    build: Callable[[Path], Any]
    bulk_fill: Callable[[Any, Iterable[Any]], None]


def _build_sqlite(directory: Path) -> Any:
    from reference_stores.sqlite_store import SQLiteTokenStore

    return SQLiteTokenStore(directory / "tokens.db")


def _build_memory(directory: Path) -> Any:
    from reference_stores.memory_store import InMemoryTokenStore

    return InMemoryTokenStore()


def _build_list(directory: Path) -> Any:
    from reference_stores.list_store import ListTokenStore

    return ListTokenStore()


def _build_filestore(directory: Path) -> Any:
    from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore

    return FileStore(str(directory / "tokens.csv"))


def _build_naive(directory: Path) -> Any:
    from benchmarks.naive_store import NaiveSQLiteStore

    return NaiveSQLiteStore(str(directory / "naive.db"))


def _fill_sqlite(store: Any, tokens: Iterable[Any]) -> None:
    """Insert the records save_token would insert, in one transaction."""
    from reference_stores import sqlite_store

    def records() -> Iterator[dict[str, Any]]:
        for token in tokens:
            record = sqlite_store._Record.for_insert(token)
            token.set_id(record.id)
            yield record._asdict()

    with store._transaction(write=True) as db:
        db.executemany(sqlite_store._INSERT, records())


def _fill_list(store: Any, tokens: Iterable[Any]) -> None:
    """Append the records save_token would append."""
    from reference_stores import list_store

    for token in tokens:
        record = list_store._Record.for_insert(token)
        token.set_id(record.id)
        store._records.append(record)


def _fill_filestore(store: Any, tokens: Iterable[Any]) -> None:
    """Append the rows FileStore.save_token would append: ids 1, 2, 3..."""
    with open(store.file_path) as file:
        next_id = sum(1 for _ in csv.reader(file))
    with open(store.file_path, "a", newline="") as file:
        writer = csv.writer(file)
        for number, token in enumerate(tokens, start=next_id):
            token.set_id(str(number))
            writer.writerow(store.set_token(token))


def _fill_naive(store: Any, tokens: Iterable[Any]) -> None:
    store.insert_many(tokens)


SUBJECTS = {
    subject.name: subject
    for subject in (
        Subject("sqlite", "SQLiteTokenStore (file)", _build_sqlite, _fill_sqlite),
        Subject("memory", "InMemoryTokenStore", _build_memory, _fill_sqlite),
        Subject("list", "ListTokenStore", _build_list, _fill_list),
        Subject("filestore", "SDK FileStore (CSV)", _build_filestore, _fill_filestore),
        Subject("naive", "naive SQLite", _build_naive, _fill_naive),
    )
}


# --- tokens -----------------------------------------------------------------------


def user_name(number: int) -> str:
    return f"user{number:07d}@example.com"


def refresh_token(number: int) -> str:
    return f"1000.{number:032x}.refresh"


def new_token(number: int) -> Any:
    """A token as the SDK saves it after a grant, different for every number."""
    from pytest_tokenstore.tokens import make_token

    return make_token(
        user_name=user_name(number),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=refresh_token(number),
        access_token=f"1000.{number:032x}.access",
        expires_in=str(1_800_000_000_000 + number),
        redirect_url="https://example.com/oauth/callback",
        api_domain="https://www.zohoapis.com",
    )


# --- one store at one size, in a worker process -----------------------------------


def _rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(name: str, size: int, reps: int, budget: float) -> dict[str, Any]:
    """Fill one store to ``size`` tokens, time each operation, measure memory."""
    from pytest_tokenstore.tokens import make_token

    subject = SUBJECTS[name]
    rng = random.Random(size)
    targets = sorted(rng.sample(range(size), min(size, reps)))
    ids: dict[int, str] = {}

    def tokens() -> Iterator[Any]:
        wanted = set(targets)
        for number in range(size):
            token = new_token(number)
            yield token
            if number in wanted:
                ids[number] = token.get_id()

    result: dict[str, Any] = {"store": name, "size": size, "load": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="tokenstore-bench-") as scratch:
        directory = Path(scratch)
        previous = os.getcwd()
        os.chdir(directory)
        try:
            # A throwaway store first, so that imports are not counted as held.
            (directory / "warm-up").mkdir()
            subject.build(directory / "warm-up")
            gc.collect()
            rss_before = _rss_mib()
            tracemalloc.start()
            started = time.perf_counter()
            store = subject.build(directory)
            subject.bulk_fill(store, tokens())
            result["fill_s"] = time.perf_counter() - started
            gc.collect()
            result["held_bytes"] = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()

            calls: dict[str, Callable[[int], Any]] = {
                "update": lambda n: store.save_token(
                    make_token(user_name=user_name(n), access_token=f"new.{n}")
                ),
                "find_user": lambda n: store.find_token(
                    make_token(user_name=user_name(n))
                ),
                "find_refresh": lambda n: store.find_token(
                    make_token(
                        client_id=CLIENT_ID,
                        client_secret=CLIENT_SECRET,
                        refresh_token=refresh_token(n),
                    )
                ),
                "find_id": lambda n: store.find_token_by_id(ids[n]),
                "get_tokens": lambda n: store.get_tokens(),
            }
            result["median_s"] = {}
            result["calls"] = {}
            times, count = _time_inserts(store, size, targets, budget)
            result["median_s"]["insert"] = statistics.median(times)
            result["calls"]["insert"] = count
            for operation, call in calls.items():
                times = _time_calls(call, targets, budget, operation)
                result["median_s"][operation] = statistics.median(times)
                result["calls"][operation] = len(times)
        finally:
            os.chdir(previous)
    result["rss_growth_mib"] = _rss_mib() - rss_before
    result["peak_rss_mib"] = _rss_mib()
    result["load"] = [*result["load"], *os.getloadavg()]
    return result


def _time_inserts(
    store: Any, size: int, targets: list[int], budget: float
) -> tuple[list[float], int]:
    """Time save_token of new tokens; each is deleted again, untimed, after."""
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for offset in range(len(targets)):
        token = new_token(size + offset)
        started = time.perf_counter()
        store.save_token(token)
        times.append(time.perf_counter() - started)
        store.delete_token(token.get_id())
        if len(times) >= 3 and time.perf_counter() > deadline:
            break
    return times, len(times)


def _time_calls(
    call: Callable[[int], Any], targets: list[int], budget: float, operation: str
) -> list[float]:
    """Time ``call`` on each target in turn until done or the budget is spent."""
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for number in targets:
        started = time.perf_counter()
        found = call(number)
        times.append(time.perf_counter() - started)
        if operation.startswith("find") and found is None:
            raise SystemExit(f"{operation} found no token for #{number}")
        if len(times) >= 3 and time.perf_counter() > deadline:
            break
    return times


# --- checking the bulk fill -------------------------------------------------------


def check_fill(names: Iterable[str], count: int = 50) -> list[str]:
    """Compare a bulk fill with a save_token fill of the same tokens, per store.

    Both stores must then return the same tokens, field by field, ids aside (the
    reference stores draw random ids). Returns the names of stores that differ.
    """
    from pytest_tokenstore.tokens import read

    differ = []
    for name in names:
        subject = SUBJECTS[name]
        contents = []
        for bulk in (False, True):
            with tempfile.TemporaryDirectory(prefix="tokenstore-fill-") as scratch:
                store = subject.build(Path(scratch))
                tokens = [new_token(number) for number in range(count)]
                if bulk:
                    subject.bulk_fill(store, tokens)
                else:
                    for token in tokens:
                        store.save_token(token)
                fields = [read(token) for token in store.get_tokens()]
                for record in fields:
                    record.pop("id")
                contents.append(fields)
        if contents[0] != contents[1] or len(contents[0]) != count:
            differ.append(name)
    return differ


# --- the run ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run every store at every size in subprocesses, print the table and targets."""
    args = _parse(argv)
    if args.worker:
        name, size = args.worker
        print(json.dumps(run_worker(name, int(size), args.reps, args.budget)))
        return 0

    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {_machine()}")
    print(f"# uptime at start: {_uptime()}")
    differ = check_fill(args.stores)
    if differ:
        print(f"bulk fill differs from save_token for: {', '.join(differ)}")
        return 1
    print(
        "# stores are filled in bulk; for each store a bulk fill of 50 tokens was "
        "checked to leave what 50 save_token calls leave"
    )
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for name in args.stores:
        results[name] = _run_store(name, args)
    print(f"# uptime at end: {_uptime()}")
    print()
    print(format_table(results))
    print()
    outcomes = check_targets(results)
    for line in outcomes:
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(line.startswith("pass") for line in outcomes) else 1


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stores", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(SIZES),
        help="comma-separated store sizes (default: %(default)s)",
    )
    parser.add_argument(
        "--stores",
        type=lambda text: text.split(","),
        default=list(SUBJECTS),
        help=f"comma-separated stores, of {', '.join(SUBJECTS)} (default: all)",
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=60.0,
        help="seconds one store may take at one size; a size estimated to take "
        "longer is not run, and a run that does is stopped (default: %(default)s)",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=200,
        help="calls timed per operation at most (default: %(default)s)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=2.0,
        help="seconds per operation after which timing stops, once 3 calls are "
        "timed (default: %(default)s)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--worker", nargs=2, metavar=("STORE", "SIZE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    unknown = set(args.stores) - set(SUBJECTS)
    if unknown:
        parser.error(f"unknown store {', '.join(sorted(unknown))}")
    return args


def _run_store(name: str, args: argparse.Namespace) -> dict[int, dict[str, Any]]:
    """Run one store at growing sizes until one would take longer than the cap."""
    measured: dict[int, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    for size in sorted(args.sizes):
        if previous is not None:
            estimate = _estimate(previous, size, args.budget)
            if estimate > args.cap:
                measured[size] = {
                    "stopped": f"est. {estimate:.0f} s > {args.cap:.0f} s"
                }
                break
        command = [
            sys.executable,
            "-m",
            "benchmarks.stores",
            "--worker",
            name,
            str(size),
        ]
        command += ["--reps", str(args.reps), "--budget", str(args.budget)]
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=args.cap,
                check=False,
            )
        except subprocess.TimeoutExpired:
            measured[size] = {"stopped": f"over {args.cap:.0f} s"}
            break
        if done.returncode != 0:
            measured[size] = {"stopped": f"failed: {done.stderr.strip()[-200:]}"}
            break
        result = json.loads(done.stdout)
        result["wall_s"] = time.perf_counter() - started
        measured[size] = previous = result
        print(f"# {name} at {size}: {result['wall_s']:.1f} s", file=sys.stderr)
    return measured


def _estimate(previous: dict[str, Any], size: int, budget: float) -> float:
    """Seconds the next size should take, if every cost grows with the size."""
    ratio = size / previous["size"]
    fill = previous["fill_s"] * ratio
    operations = 0.0
    for operation, median in previous["median_s"].items():
        calls = previous["calls"][operation]
        # At least three calls run however long they take; then the budget stops.
        operations += max(min(median * calls * ratio, budget), 3 * median * ratio)
    startup = previous["wall_s"] - previous["fill_s"] - operations / ratio
    return max(startup, 0.0) + fill + operations


def format_table(results: dict[str, dict[int, dict[str, Any]]]) -> str:
    """The figures as a Markdown table: one row per store and size."""
    header = [
        "store",
        "tokens",
        *OPERATIONS,
        "held MiB",
        "RSS +MiB",
        "fill s",
        "load",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, sizes in results.items():
        for size, result in sizes.items():
            cells = [SUBJECTS[name].label, f"{size:,}"]
            if "stopped" in result:
                cells += [f"stopped: {result['stopped']}"]
                cells += [""] * (len(header) - len(cells))
            else:
                cells += [_duration(result["median_s"][op]) for op in OPERATIONS]
                cells += [
                    f"{result['held_bytes'] / 2**20:.1f}",
                    f"{result['rss_growth_mib']:.1f}",
                    f"{result['fill_s']:.2f}",
                    f"{max(result['load'][0], result['load'][3]):.1f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def check_targets(results: dict[str, dict[int, dict[str, Any]]]) -> list[str]:
    """Check the targets of issue #7 on this run's figures; one line per target."""
    lines = []

    def median(name: str, size: int, operation: str) -> float | None:
        result = results.get(name, {}).get(size, {})
        value = result.get("median_s", {}).get(operation)
        return None if value is None else float(value)

    def verdict(ok: bool | None, text: str) -> str:
        word = "n/a " if ok is None else "pass" if ok else "MISS"
        return f"{word}  {text}"

    for operation in LOOKUPS:
        small, large = (
            median("sqlite", 100, operation),
            median("sqlite", 100_000, operation),
        )
        ratio = None if small is None or large is None else large / small
        lines.append(
            verdict(
                None if ratio is None else ratio <= 3,
                f"sqlite {operation}: 10^5 costs {_ratio(ratio)} of 10^2 (at most 3x)",
            )
        )
    for other, factor in (("naive", 20), ("filestore", 50)):
        for operation in ("insert", *LOOKUPS):
            ours, theirs = (
                median("sqlite", 10_000, operation),
                median(other, 10_000, operation),
            )
            ratio = None if ours is None or theirs is None else theirs / ours
            lines.append(
                verdict(
                    None if ratio is None else ratio >= factor,
                    f"sqlite {operation} at 10^4: {_ratio(ratio)} faster than "
                    f"{other} (at least {factor}x)",
                )
            )
    held = {
        size: result["held_bytes"]
        for size, result in sorted(results.get("list", {}).items())
        if "held_bytes" in result
    }
    sizes = list(held)
    # The memory each further token costs, from one size to the next: constant if
    # memory grows linearly, whatever the store's fixed cost.
    per_token = {
        f"{low:,}-{high:,}": (held[high] - held[low]) / (high - low)
        for low, high in itertools.pairwise(sizes)
    }
    values = list(per_token.values())
    spread = max(values) / min(values) if len(values) > 1 and min(values) > 0 else None
    figures = ", ".join(f"{span}: {value:.0f} B" for span, value in per_token.items())
    lines.append(
        verdict(
            None if spread is None else spread <= 1.25,
            f"list store memory per added token ({figures}) varies by "
            f"{_ratio(spread)} (linear: at most 1.25x)",
        )
    )
    return lines


def _ratio(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f}x"


def _machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}, "
        f"SQLite {__import__('sqlite3').sqlite_version}"
    )


def _uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


if __name__ == "__main__":
    sys.exit(main())
