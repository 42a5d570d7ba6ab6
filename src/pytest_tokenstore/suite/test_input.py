"""INPUT-1: what find_token and save_token do with something not an OAuthToken."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from pytest_tokenstore.checks import clause, saved, snapshot, violated
from pytest_tokenstore.clauses import SHOULD
from pytest_tokenstore.tokens import sample

pytestmark = pytest.mark.tokenstore

NOT_TOKENS = {"None": None, "dict": {"user_name": "x"}, "str": "user1@example.com"}
METHODS = ("find_token", "save_token")


@clause("INPUT-1")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("given", list(NOT_TOKENS))
def test_a_non_token_stores_nothing(tokenstore: Any, method: str, given: str) -> None:
    """Passing None, a dict or a str stores nothing and changes nothing."""
    saved("INPUT-1", tokenstore, sample(1))
    before = snapshot("INPUT-1", tokenstore)

    with contextlib.suppress(Exception):
        getattr(tokenstore, method)(NOT_TOKENS[given])

    if snapshot("INPUT-1", tokenstore) != before:
        violated(
            "INPUT-1",
            f"{method}({given}) changed the stored records",
            "only OAuthToken objects may be stored",
        )


@clause("INPUT-1", level=SHOULD)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("given", list(NOT_TOKENS))
def test_a_non_token_gets_a_clear_answer(
    method: str, given: str, tokenstore: Any
) -> None:
    """A non-token gets a clear error or None, not an AttributeError from inside."""
    value = NOT_TOKENS[given]

    try:
        result = getattr(tokenstore, method)(value)
    except AttributeError as exc:
        violated(
            "INPUT-1",
            f"{method}({given}) failed inside the store with AttributeError: {exc}",
            "a caller needs a clear error saying an OAuthToken was expected",
        )
    except Exception:
        return
    if result is not None:
        violated(
            "INPUT-1",
            f"{method}({given}) returned {type(result).__name__}",
            "a caller needs None or a clear error",
        )
