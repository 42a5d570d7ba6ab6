"""FAIL-1 to FAIL-4: what a store does when its backend breaks.

These need the store's breaker (``tokenstore_breaker`` on the class or factory, or
an overridden ``tokenstore_breaker`` fixture). Without one they are not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_tokenstore.checks import clause, saved, snapshot, violated
from pytest_tokenstore.tokens import SECRET_FIELDS, Record, make_token, probe, sample

pytestmark = pytest.mark.tokenstore

CALLS: dict[str, Callable[[Any, Record], Any]] = {
    "find_token": lambda store, r: store.find_token(probe("user", r)),
    "save_token": lambda store, r: store.save_token(make_token(**sample(9))),
    "update_token": lambda store, r: store.save_token(
        make_token(user_name=r["user_name"], access_token="1000.during-outage")
    ),
    "delete_token": lambda store, r: store.delete_token(r["id"]),
    "get_tokens": lambda store, r: store.get_tokens(),
    "delete_tokens": lambda store, r: store.delete_tokens(),
    "find_token_by_id": lambda store, r: store.find_token_by_id(r["id"]),
}


def _broken_call(
    clause_id: str, store: Any, breaker: Any, method: str
) -> tuple[BaseException | None, list[Record], Record]:
    """Save two records, break the backend, call ``method``, mend it again."""
    __tracebackhide__ = True
    if breaker is None:
        pytest.skip(
            f"{clause_id} not checked: the store declares no tokenstore_breaker "
            "(see docs/usage.md, 'Breakers')"
        )
    records = saved(clause_id, store, sample(1), sample(2))
    before = snapshot(clause_id, store)
    error: BaseException | None = None
    with breaker(store):
        try:
            CALLS[method](store, records[0])
        except Exception as exc:
            error = exc
    return error, before, records[0]


@clause("FAIL-1")
@pytest.mark.parametrize("method", list(CALLS))
def test_a_broken_backend_raises(
    tokenstore: Any, tokenstore_breaker: Any, method: str
) -> None:
    """Every method raises while the backend is broken."""
    error, _, _ = _broken_call("FAIL-1", tokenstore, tokenstore_breaker, method)

    if error is None:
        violated(
            "FAIL-1",
            f"{method} returned normally while the backend was broken",
            "the SDK must learn of the failure, or it loses tokens silently",
        )


@clause("FAIL-2")
@pytest.mark.parametrize("method", list(CALLS))
def test_the_error_is_an_sdk_exception_with_its_cause(
    tokenstore: Any, tokenstore_breaker: Any, method: str
) -> None:
    """The exception is an SDKException that carries the backend's error."""
    from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

    error, _, _ = _broken_call("FAIL-2", tokenstore, tokenstore_breaker, method)

    if error is None:
        pytest.skip(f"FAIL-2 not checked for {method}: it raised nothing (FAIL-1)")
    cause = error.__cause__ or getattr(error, "cause", None)
    if not isinstance(error, SDKException) or cause is None:
        violated(
            "FAIL-2",
            f"{method} raised {type(error).__name__}"
            f"{'' if cause else ' without a cause'}",
            "the SDK and its callers handle SDKException, with the cause for logs",
        )


@clause("FAIL-3")
@pytest.mark.parametrize("method", list(CALLS))
def test_the_error_carries_no_secret(
    tokenstore: Any, tokenstore_breaker: Any, method: str
) -> None:
    """No message or repr in the exception chain holds a secret or token value."""
    error, before, _ = _broken_call("FAIL-3", tokenstore, tokenstore_breaker, method)

    if error is None:
        pytest.skip(f"FAIL-3 not checked for {method}: it raised nothing (FAIL-1)")
    secrets = {r[f] for r in [*before, sample(9)] for f in SECRET_FIELDS if r[f]}
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        text = f"{link}\n{link!r}"
        leaked = sorted(s for s in secrets if s in text)
        if leaked:
            violated(
                "FAIL-3",
                f"{method}'s {type(link).__name__} shows the value {leaked[0][:12]}...",
                "exception texts end up in logs, and tokens there can be stolen",
            )
        link = link.__cause__ or link.__context__ or getattr(link, "cause", None)


@clause("FAIL-4")
@pytest.mark.parametrize("method", list(CALLS))
def test_a_failed_call_leaves_the_data_intact(
    tokenstore: Any, tokenstore_breaker: Any, method: str
) -> None:
    """Once the backend works again, everything stored before is still there."""
    error, before, _ = _broken_call("FAIL-4", tokenstore, tokenstore_breaker, method)

    after = snapshot("FAIL-4", tokenstore)

    if error is not None and after != before:
        violated(
            "FAIL-4",
            f"a failed {method} left {len(after)} records that differ from the "
            f"{len(before)} stored before",
            "a failure must not lose or corrupt the tokens already stored",
        )
