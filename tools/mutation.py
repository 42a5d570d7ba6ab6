"""Mutation testing of the reference stores, with the kit as the test suite.

    python tools/mutation.py                  # all three stores, one after another
    python tools/mutation.py list sqlite      # only these
    python tools/mutation.py --jobs 2         # two stores at a time
    python tools/mutation.py --workdir D --resume   # judge survivors again

For each store, cosmic-ray mutates a scratch copy of ``reference_stores/`` one
change at a time and runs the kit against that store, from an empty directory,
derandomized (``CI=1``) and without shrinking. A mutant is killed when the run
fails. The whole run is niced to 19. Results stay in ``--workdir`` (a session
database per store, which ``cr-report`` reads) and a summary is printed.

Not part of the test suite or CI: a full run takes tens of minutes. The figures
and the surviving mutants are in docs/strength.md.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

STORES = {
    "list": "reference_stores.list_store:ListTokenStore",
    "memory": "reference_stores.memory_store:InMemoryTokenStore",
    "sqlite": "reference_stores.sqlite_store:SQLiteTokenStore",
}

# Where the kit's temporary directories go, when the machine has it.
MEMORY_DISK = "/dev/shm"

SKIPPED_ANNOTATION = "skipped: inside an annotation, which is never evaluated"

# Strict: the reference stores keep every SHOULD clause too, so an advisory is a kill.
KIT_ARGS = (
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    "--tokenstore-no-shrink",
    "--tokenstore-strict",
)


class Score(NamedTuple):
    """What one store's run came to."""

    store: str
    killed: int
    total: int
    skipped: int
    survivors: list[str]


def main(argv: list[str]) -> int:
    """Run the mutation session of each store asked for and print the scores."""
    args = _parser().parse_args(argv)
    if args.judge is not None:
        return _judge(args.judge)

    unknown = sorted(set(args.stores) - set(STORES))
    if unknown:
        sys.exit(f"unknown store {', '.join(unknown)}; choose from {', '.join(STORES)}")
    if not _tool("cosmic-ray").exists():
        sys.exit("cosmic-ray is not installed here; pip install -e '.[dev]' brings it")
    if args.resume and args.workdir is None:
        sys.exit("--resume needs the --workdir of an earlier run")
    os.nice(19)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tokenstore-mutation-"))
    stores = args.stores or list(STORES)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        scores = list(
            pool.map(
                lambda name: _session(name, workdir, args.timeout, args.resume),
                stores,
            )
        )

    for score in scores:
        for survivor in score.survivors:
            print(survivor)
    print(f"sessions in {workdir} (read them with cr-report --show-diff)")
    for score in scores:
        percent = 100 * score.killed / score.total if score.total else 0.0
        print(
            f"{score.store}: {score.killed}/{score.total} killed ({percent:.1f}%), "
            f"{score.skipped} more in annotations skipped"
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tools/mutation.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "stores", nargs="*", help=f"stores to mutate: {', '.join(STORES)} (all)"
    )
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1)
    parser.add_argument("--workdir", help="where sessions go (a new temp dir)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds before a kit run counts as hung, and so killed (180)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the sessions in --workdir: run what is left, and judge every "
        "surviving mutant again (after the kit gained a check)",
    )
    parser.add_argument("--judge", metavar="STORE", help=argparse.SUPPRESS)
    return parser


def _session(name: str, workdir: Path, timeout: float, resume: bool) -> Score:
    """Set up, run and score the cosmic-ray session of one store."""
    here = workdir / name
    if resume:
        if not (here / "session.sqlite").exists():
            sys.exit(f"{name}: no session in {here}; run once without --resume")
        with contextlib.closing(sqlite3.connect(here / "session.sqlite")) as db, db:
            db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
        _cosmic_ray(name, here, "exec", "cosmic-ray.toml", "session.sqlite")
        return _score(name, here / "session.sqlite")
    if here.exists():
        shutil.rmtree(here)
    shutil.copytree(
        ROOT / "reference_stores",
        here / "reference_stores",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (here / "run").mkdir()
    module = STORES[name].split(":")[0].replace(".", "/") + ".py"
    judge = [sys.executable, str(Path(__file__).resolve()), "--judge", name]
    (here / "cosmic-ray.toml").write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(module)}\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(shlex.join(judge))}\n"
        "\n[cosmic-ray.distributor]\nname = 'local'\n"
    )

    _cosmic_ray(name, here, "init", "cosmic-ray.toml", "session.sqlite")
    _skip_annotations(here, here / "session.sqlite")
    _cosmic_ray(name, here, "baseline", "cosmic-ray.toml")
    _cosmic_ray(name, here, "exec", "cosmic-ray.toml", "session.sqlite")
    return _score(name, here / "session.sqlite")


def _cosmic_ray(name: str, here: Path, *args: str) -> None:
    """Run one cosmic-ray step in the session directory; stop the run if it fails."""
    command = [str(_tool("cosmic-ray")), *args]
    done = subprocess.run(command, cwd=here, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(
            f"{name}: cosmic-ray {shlex.join(args)} failed:\n{done.stdout}{done.stderr}"
        )


def _tool(name: str) -> Path:
    """A command installed beside this Python."""
    return Path(sys.executable).parent / name


def _skip_annotations(here: Path, session: Path) -> None:
    """Mark every mutant inside a type annotation as skipped: it cannot be killed.

    Each reference store starts with ``from __future__ import annotations``, so
    annotations stay unevaluated strings (PEP 563): ``str | None`` turned into
    ``str & None`` runs exactly as before.
    """
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.work_items):
            (mutation,) = item.mutations
            where = (mutation.start_pos[0], mutation.start_pos[1])
            if any(
                start <= where < end
                for start, end in _annotations(here / mutation.module_path)
            ):
                skipped = WorkResult(
                    worker_outcome=WorkerOutcome.SKIPPED, output=SKIPPED_ANNOTATION
                )
                db.set_result(item.job_id, skipped)


def _annotations(module: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (start, end) positions of every annotation in a postponing module."""
    tree = ast.parse(module.read_text())
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    if not postponed:
        return []
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for argument in (
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                arguments.vararg,
                arguments.kwarg,
            ):
                if argument is not None and argument.annotation is not None:
                    found.append(argument.annotation)
            if node.returns is not None:
                found.append(node.returns)
    return [
        ((a.lineno, a.col_offset), (a.end_lineno or a.lineno, a.end_col_offset or 0))
        for a in found
    ]


def _score(name: str, session: Path) -> Score:
    """Count the killed mutants of a finished session and describe the survivors."""
    dump = subprocess.run(
        [str(_tool("cosmic-ray")), "dump", str(session)],
        capture_output=True,
        text=True,
        check=True,
    )
    killed, survivors = 0, []
    items = [json.loads(line) for line in dump.stdout.splitlines() if line]
    judged = [
        (item, result)
        for item, result in items
        if result is None or result["worker_outcome"] != "skipped"
    ]
    for item, result in judged:
        if result is not None and result["test_outcome"] == "killed":
            killed += 1
            continue
        mutation = item["mutations"][0]
        line = mutation["start_pos"][0]
        outcome = "pending" if result is None else result["test_outcome"]
        survivors.append(
            f"{name}: {outcome} {mutation['module_path']}:{line} "
            f"{mutation['operator_name']} #{mutation['occurrence']} "
            f"in {mutation['definition_name']}"
        )
    return Score(name, killed, len(judged), len(items) - len(judged), survivors)


def _judge(name: str) -> int:
    """The test command: the kit against one store, from the session's empty dir.

    Run by cosmic-ray in the session directory, where the mutated copy of
    ``reference_stores`` is; that copy goes first on the path.
    """
    session = Path.cwd()
    path = os.pathsep.join(filter(None, [str(session), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "CI": "1", "PYTHONPATH": path}
    # With synchronous = NORMAL the SQLite store syncs only at checkpoints, but a
    # run still creates a database per test: on a shared disk a kit run takes
    # about one and a half times as long as in memory, and varies more.
    if os.access(MEMORY_DISK, os.W_OK):
        env["TMPDIR"] = MEMORY_DISK
    command = [sys.executable, "-m", "pytest", f"--tokenstore={STORES[name]}"]
    return subprocess.run(
        [*command, *KIT_ARGS], cwd=session / "run", env=env, check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
