"""Time the kit itself: the suite per reference store, and the plugin's idle cost.

Run from the repository root:  python -m benchmarks.kit_cost  (--help for options)

Every figure is the wall time of a fresh ``python -m ...`` process, so it includes
what a user waits for. The targets of issue #7 are printed as pass or MISS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORES = (
    "reference_stores.sqlite_store:SQLiteTokenStore",
    "reference_stores.memory_store:InMemoryTokenStore",
    "reference_stores.list_store:ListTokenStore",
)
SERIAL_TARGET_S = 30.0
SPEEDUP_TARGET = 1.6
# Deselects every kit test: a run with it measures start-up and shutdown alone, and
# pytest then exits with status 5, "no tests ran".
DESELECT_ALL = ("-m", "not tokenstore")
NO_TESTS = (int(pytest.ExitCode.NO_TESTS_COLLECTED),)
OVERHEAD_TARGET_S = 0.050
# The pytest11 plugins that come with the kit's dependencies, loaded in every run.
DEPENDENCY_PLUGINS = ("hypothesispytest", "xdist", "xdist.looponfail")


def _wall(command: Sequence[str], cwd: Path) -> float:
    """Run ``command`` and return its wall time; fail loudly if it fails."""
    return _run(command, cwd)[0]


def _run(
    command: Sequence[str], cwd: Path, accept: tuple[int, ...] = (0,)
) -> tuple[float, float]:
    """Run ``command``; return its wall time and the CPU time of its processes.

    The CPU time (user and system, of the process and the workers it waited for)
    depends far less on what else the machine is doing than the wall time. An exit
    status outside ``accept`` stops the benchmark with the command's output.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in accept:
        tail = (done.stdout + done.stderr).strip()[-2000:]
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def _load() -> str:
    return "load {:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())


def suite_times(stores: Sequence[str], reps: int, extra: Sequence[str]) -> list[str]:
    """Run the full default suite per store, serially and with -n 2; check targets.

    Each store is also run with every kit test deselected, serially and with -n 2:
    what is left is the start-up (Python, pytest, the plugins, the store and the
    SDK, xdist's workers, collection) and the shutdown, which no scheduling of the
    tests can shorten. From those, ``at best`` is the speedup ``-n 2`` would give
    if its two workers halved the serial test time exactly, at no cost of their
    own: an upper bound, measured, for a verdict to be read against.

    A last row runs every store in one session, which is how -n 2 is used best.
    """
    lines = [
        "| stores | serial s | -n 2 s | speedup | start-up s serial | start-up s -n 2 "
        "| at best | CPU s serial | CPU s -n 2 | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    runs = [[store] for store in stores]
    if len(stores) > 1:
        runs.append(list(stores))
    for specs in runs:
        load = _load()
        command = [sys.executable, "-m", "pytest_tokenstore", *specs, "-q", *extra]
        empty = [*command, *DESELECT_ALL]
        serial_runs = [_run(command, ROOT) for _ in range(reps)]
        parallel_runs = [_run([*command, "-n", "2"], ROOT) for _ in range(reps)]
        empty_serial_runs = [_run(empty, ROOT, NO_TESTS) for _ in range(reps)]
        empty_parallel_runs = [
            _run([*empty, "-n", "2"], ROOT, NO_TESTS) for _ in range(reps)
        ]
        serial, serial_cpu = _medians(serial_runs)
        parallel, parallel_cpu = _medians(parallel_runs)
        start_serial = _medians(empty_serial_runs)[0]
        start_parallel = _medians(empty_parallel_runs)[0]
        speedup = serial / parallel
        best = best_speedup(serial, start_serial, start_parallel)
        name = " + ".join(spec.rsplit(":", 1)[1] for spec in specs)
        lines.append(
            f"| {name} | {serial:.1f} | {parallel:.1f} | {speedup:.2f}x "
            f"| {start_serial:.2f} | {start_parallel:.2f} | {best:.2f}x "
            f"| {serial_cpu:.1f} | {parallel_cpu:.1f} | {load} |"
        )
        if len(specs) > 1 or extra:
            continue  # the targets are per store, for the default suite
        verdicts.append(
            _verdict(
                serial < SERIAL_TARGET_S,
                f"{name}: serial {serial:.1f} s (under {SERIAL_TARGET_S:.0f} s)",
            )
        )
        verdicts.append(
            _verdict(
                speedup >= SPEEDUP_TARGET,
                f"{name}: -n 2 is {speedup:.2f}x faster (at least {SPEEDUP_TARGET}x; "
                f"at best {best:.2f}x here, as {start_parallel:.2f} s of the -n 2 run "
                f"is start-up and shutdown, and {serial - start_serial:.2f} s of the "
                "serial run is tests)",
            )
        )
    if extra:
        verdicts.append(
            "(not judged: the targets are for the default suite, not "
            f"{' '.join(extra)})"
        )
    return [*lines, "", *verdicts]


def best_speedup(serial: float, start_serial: float, start_parallel: float) -> float:
    """The speedup of ``-n 2`` if it halved the tests' time and cost nothing more.

    ``serial`` is a whole serial run; ``start_serial`` and ``start_parallel`` are
    runs with every test deselected, so the serial run's tests take ``serial -
    start_serial`` and a ``-n 2`` run cannot take less than ``start_parallel`` plus
    half of that.
    """
    tests = max(serial - start_serial, 0.0)
    return serial / (start_parallel + tests / 2)


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall time and the median CPU time of some runs."""
    return (
        statistics.median(wall for wall, _ in runs),
        statistics.median(cpu for _, cpu in runs),
    )


def plugin_overhead(reps: int) -> list[str]:
    """Median wall time of a tiny pytest run with and without the plugin loaded.

    The runs alternate, so that a change in the machine's load hits both alike.
    """
    with tempfile.TemporaryDirectory(prefix="tokenstore-idle-") as scratch:
        project = Path(scratch)
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        variants = {
            "plugin loaded": base,
            "-p no:tokenstore": [*base, "-p", "no:tokenstore"],
            "no kit, no dependency plugins": [
                *base,
                "-p",
                "no:tokenstore",
                *(part for name in DEPENDENCY_PLUGINS for part in ("-p", f"no:{name}")),
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        _wall(base, project)  # warm the file cache and write bytecode first
        for _ in range(reps):
            for name, command in variants.items():
                times[name].append(_wall(command, project))
    medians = {name: statistics.median(values) for name, values in times.items()}
    imports = _plugin_import_times(reps)
    overhead = medians["plugin loaded"] - medians["-p no:tokenstore"]
    with_dependencies = (
        medians["plugin loaded"] - medians["no kit, no dependency plugins"]
    )
    lines = [
        f"| pytest run of one empty test ({reps} runs each) | median ms |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value * 1e3:.0f} |" for name, value in medians.items()]
    lines += [
        f"| importing pytest_tokenstore.plugin after pytest | {imports * 1e3:.1f} |",
        "",
        _verdict(
            overhead < OVERHEAD_TARGET_S,
            f"plugin overhead {overhead * 1e3:.0f} ms (under "
            f"{OVERHEAD_TARGET_S * 1e3:.0f} ms); with its dependencies' plugins "
            f"{with_dependencies * 1e3:.0f} ms",
        ),
    ]
    return lines


def _plugin_import_times(reps: int) -> float:
    """Median time to import the plugin module in a process that has pytest."""
    code = (
        "import time, pytest\n"
        "started = time.perf_counter()\n"
        "import pytest_tokenstore.plugin\n"
        "print(time.perf_counter() - started)\n"
    )
    values = []
    for _ in range(reps):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        values.append(float(done.stdout))
    return statistics.median(values)


def _verdict(ok: bool, text: str) -> str:
    return f"{'pass' if ok else 'MISS'}  {text}"


def main(argv: list[str] | None = None) -> int:
    """Measure what is asked for and print the tables and verdicts."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.kit_cost", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only",
        choices=("suite", "overhead"),
        help="measure only the suite times or only the plugin's idle cost",
    )
    parser.add_argument(
        "--suite-reps",
        type=int,
        default=1,
        help="runs of the suite per store and mode; the median is shown "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="time the suite with --tokenstore-thorough (minutes per store)",
    )
    parser.add_argument(
        "--overhead-reps",
        type=int,
        default=30,
        help="runs per variant of the idle pytest run (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {_machine()}")
    print(f"# {_load()} at start")
    lines: list[str] = []
    if args.only != "overhead":
        extra = ["--tokenstore-thorough"] if args.thorough else []
        lines += ["", *suite_times(STORES, args.suite_reps, extra)]
    if args.only != "suite":
        lines += ["", *plugin_overhead(args.overhead_reps)]
    print("\n".join(lines))
    print(f"\n# {_load()} at end")
    return 0 if all(not line.startswith("MISS") for line in lines) else 1


def _machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}"


if __name__ == "__main__":
    sys.exit(main())
