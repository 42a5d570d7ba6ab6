"""``python -m pytest_tokenstore``: run the kit on named stores or the bundled ones."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REFERENCE_STORES = (
    "reference_stores.sqlite_store:SQLiteTokenStore",
    "reference_stores.memory_store:InMemoryTokenStore",
    "reference_stores.list_store:ListTokenStore",
)

USAGE = """\
usage: python -m pytest_tokenstore [MODULE:ATTR ...] [pytest options]

Check token stores for the Zoho CRM Python SDK against the TokenStore contract
and print the conformance matrix (clauses as rows, stores as columns).

  MODULE:ATTR    a TokenStore subclass, or a factory returning a new store,
                 e.g. mypackage.stores:RedisTokenStore. Repeat for several.
                 With none, the three bundled reference stores are checked.

Any other argument goes to pytest, for example:
  -n auto                      run in parallel (pytest-xdist)
  --tokenstore-strict          fail on SHOULD clauses too
  --tokenstore-waive=BYID-2    waive a clause (still run, reported as waived)
  --tokenstore-report=PATH     also write the verdicts (JSON, or Markdown for .md)
  --tokenstore-capabilities=MODULE:ATTR=thread-safe,durable
                               declare what a store supports (CONC, DUR, SEC)
  --tokenstore-timeout=SECONDS fail a store call that runs longer (default 60)
  --tokenstore-thorough        many more and longer generated sequences
  --tokenstore-no-shrink       report a failing sequence without shortening it
  --tokenstore-allow-wipe      run even if the store holds tokens (deletes them)
  -k EXPR / -m EXPR            select tests
`pytest --help` lists every --tokenstore option.

Exit status: 0 when every MUST clause holds, 1 when one fails (or a SHOULD
clause under --tokenstore-strict, or a store call hangs), 4 on a usage error
(see docs/usage.md). Only the kit's tests run, not those of the current
directory.
"""

SUITE_DIR = Path(__file__).parent / "suite"
_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


_TAKES_A_VALUE = frozenset(
    {
        *("-p", "-k", "-m", "-n", "-c", "-o", "-W", "-r"),
        *("--dist", "--maxprocesses", "--rootdir", "--basetemp", "--confcutdir"),
        *("--tokenstore", "--tokenstore-waive", "--tokenstore-report"),
        *("--tokenstore-capabilities", "--tokenstore-timeout"),
    }
)
"""Options whose value may follow as the next argument: ``-p no:cacheprovider``."""


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate store specs (``MODULE:ATTR``) from the arguments meant for pytest.

    An argument that is the value of the option before it (``-p no:cacheprovider``)
    stays with that option, even when it looks like a spec.
    """
    specs: list[str] = []
    rest: list[str] = []
    for index, arg in enumerate(argv):
        is_value = index > 0 and argv[index - 1] in _TAKES_A_VALUE
        (specs if _SPEC.match(arg) and not is_value else rest).append(arg)
    return specs, rest


def main(argv: list[str] | None = None) -> int:
    """Run the suite and print the matrix; return pytest's exit code."""
    import pytest

    arguments = sys.argv[1:] if argv is None else argv
    if {"-h", "--help"} & set(arguments):
        sys.stdout.write(USAGE)
        return 0
    specs, rest = split_arguments(arguments)
    stores = specs or list(REFERENCE_STORES)
    with tempfile.TemporaryDirectory(prefix="tokenstore-matrix-") as scratch:
        matrix = Path(scratch) / "matrix.md"
        code = pytest.main(
            [
                str(SUITE_DIR),
                "-p",
                "no:cacheprovider",
                # This package is imported already, as the module being run.
                "-W",
                "ignore::pytest.PytestAssertRewriteWarning",
                # The kit reports through its own messages and its suite has no
                # bare assert, so rewriting would only cost time: where bytecode
                # is not cached (PYTHONDONTWRITEBYTECODE, read-only installs)
                # pytest rewrites Hypothesis's modules in every process, about
                # a quarter of a small run. A later --assert=rewrite still wins.
                "--assert=plain",
                *(f"--tokenstore={spec}" for spec in stores),
                *rest,
                f"--tokenstore-report={matrix}",
            ]
        )
        if matrix.exists():
            sys.stdout.write("\n" + _table(matrix.read_text(encoding="utf-8")))
    return int(code)


def _table(markdown: str) -> str:
    return "".join(
        line + "\n" for line in markdown.splitlines() if line.startswith("|")
    )


if __name__ == "__main__":
    sys.exit(main())
