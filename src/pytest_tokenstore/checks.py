"""What kit tests use to call a store and to word a broken clause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from .results import NOTE_PROPERTY
from .spec import describe_error
from .tokens import FIELDS, Record, make_token, read


class ContractViolation(AssertionError):
    """A store broke a clause; the message starts with the clause id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.clause_id = message.split(":", 1)[0]


def clause(*clause_ids: str, level: str | None = None) -> pytest.MarkDecorator:
    """Mark a kit test as checking these clauses (at ``level`` if only part of one)."""
    return pytest.mark.tokenstore_clause(*clause_ids, level=level)


def violated(clause_id: str, did: str, needs: str) -> NoReturn:
    """Fail with one sentence: what the store did, and what the SDK needs instead."""
    __tracebackhide__ = True
    raise ContractViolation(f"{clause_id}: {did}; {needs}.")


def call(clause_id: str, store: Any, method: str, *args: Any) -> Any:
    """Call a store method; an exception becomes a violation of ``clause_id``."""
    __tracebackhide__ = True
    try:
        return getattr(store, method)(*args)
    except Exception as exc:
        raise ContractViolation(
            f"{clause_id}: {method}() raised {describe_error(exc)}; the SDK calls "
            f"it here and needs it to succeed."
        ) from exc


def save(clause_id: str, store: Any, record: Record) -> Any:
    """Save a token built from ``record`` and return the token object given."""
    __tracebackhide__ = True
    token = make_token(**record)
    call(clause_id, store, "save_token", token)
    return token


def saved(clause_id: str, store: Any, *records: Record) -> list[Record]:
    """Save each record and return them with the ids the store assigned."""
    __tracebackhide__ = True
    result = []
    for record in records:
        token = save(clause_id, store, record)
        result.append({**record, "id": token.get_id()})
    return result


def snapshot(clause_id: str, store: Any) -> list[Record]:
    """Every stored record as a dict, in a stable order, read through get_tokens."""
    __tracebackhide__ = True
    tokens = call(clause_id, store, "get_tokens")
    if not isinstance(tokens, list):
        violated(
            clause_id,
            f"get_tokens() returned a {type(tokens).__name__}",
            "the SDK needs a list of tokens",
        )
    return sorted((read(t) for t in tokens), key=_order)


def _order(record: Record) -> tuple[str, ...]:
    return tuple(str(record[name]) for name in FIELDS)


def count(clause_id: str, store: Any) -> int:
    """How many records get_tokens lists."""
    __tracebackhide__ = True
    return len(snapshot(clause_id, store))


def stored(clause_id: str, store: Any, record_id: str) -> Record:
    """The stored record with this id, read through get_tokens."""
    __tracebackhide__ = True
    for record in snapshot(clause_id, store):
        if record["id"] == record_id:
            return record
    violated(
        clause_id,
        f"no record with id {record_id!r} is listed by get_tokens()",
        "a saved token must stay stored until it is deleted",
    )


def differences(expected: Record, actual: Record) -> list[str]:
    """Field-by-field differences, worded for a failure message."""
    return [
        f"{name} {_short(actual[name])} instead of {_short(expected[name])}"
        for name in FIELDS
        if expected[name] != actual[name]
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:46] + "...'"


def expect_same(
    clause_id: str, expected: Record, actual: Record, what: str, needs: str
) -> None:
    """Fail ``clause_id`` if the two records differ in any field."""
    __tracebackhide__ = True
    diff = differences(expected, actual)
    if diff:
        violated(clause_id, f"{what} has {'; '.join(diff[:3])}", needs)


def note(request: pytest.FixtureRequest, text: str) -> None:
    """Record what a passing check saw, for the summary's detail column."""
    request.node.user_properties.append((NOTE_PROPERTY, text))


def raised(func: Callable[[], Any]) -> BaseException | None:
    """Run ``func`` and return the exception it raised, or None."""
    try:
        func()
    except Exception as exc:
        return exc
    return None


def gone_by_id(clause_id: str, store: Any, record_id: str) -> bool:
    """Whether find_token_by_id no longer finds this id.

    An exception counts as not found here: raising for an unknown id is BYID-2's
    business, not that of the clause being checked.
    """
    __tracebackhide__ = True
    try:
        return store.find_token_by_id(record_id) is None
    except Exception:
        return True
