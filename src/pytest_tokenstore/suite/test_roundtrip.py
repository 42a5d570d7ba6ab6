"""TRIP-1 to TRIP-4: every field comes back exactly as it was saved."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import call, clause, expect_same, saved, violated
from pytest_tokenstore.tokens import FIELDS, HOSTILE, Record, make_token, read, sample

pytestmark = pytest.mark.tokenstore

READ_PATHS = ("find_token", "find_token_by_id", "get_tokens")


def read_back(clause_id: str, store: Any, record: Record, path: str) -> Any:
    """The stored token for ``record`` through one of the three read paths."""
    __tracebackhide__ = True
    if path == "find_token":
        if record["user_name"]:
            token = make_token(user_name=record["user_name"])
        else:
            token = make_token(access_token=record["access_token"])
        found = call(clause_id, store, "find_token", token)
    elif path == "find_token_by_id":
        found = call(clause_id, store, "find_token_by_id", record["id"])
    else:
        listed = call(clause_id, store, "get_tokens")
        matches = [t for t in listed or [] if t.get_id() == record["id"]]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        violated(
            clause_id,
            f"{path} did not return the token just saved",
            "the SDK needs to read back what it saved",
        )
    return found


def _hostile(value: str) -> Record:
    record = sample(1)
    for name in FIELDS:
        if name not in ("id", "expires_in"):
            record[name] = f"{name}:{value}"
    record["user_name"] = value
    return record


@clause("TRIP-1")
@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("value", list(HOSTILE))
def test_hostile_values_come_back_exactly(
    tokenstore: Any, value: str, path: str
) -> None:
    """Quotes, SQL, separators, patterns, non-ASCII and long text survive storage."""
    (record,) = saved("TRIP-1", tokenstore, _hostile(HOSTILE[value]))

    found = read_back("TRIP-1", tokenstore, record, path)

    expect_same(
        "TRIP-1",
        record,
        read(found),
        f"the token read back through {path} ({value} values)",
        "the SDK sends these values to Zoho and needs them byte for byte",
    )


@clause("TRIP-2")
@pytest.mark.parametrize("path", READ_PATHS)
def test_unset_fields_come_back_as_none(tokenstore: Any, path: str) -> None:
    """A field never set comes back as None, not as "None", "null" or ""."""
    lonely = {name: None for name in FIELDS} | {"access_token": "1000.only-this"}
    (record,) = saved("TRIP-2", tokenstore, lonely)

    found = read(read_back("TRIP-2", tokenstore, record, path))

    wrong = {
        name: value
        for name, value in found.items()
        if name not in ("id", "access_token") and value is not None
    }
    if wrong:
        violated(
            "TRIP-2",
            f"{path} returned unset fields as {wrong!r}",
            "the SDK tests fields against None and would send these strings to Zoho",
        )


@clause("TRIP-2")
@pytest.mark.parametrize("path", READ_PATHS)
def test_empty_strings_come_back_empty_or_none(tokenstore: Any, path: str) -> None:
    """A field saved as an empty string comes back as "" or None, nothing else."""
    (record,) = saved("TRIP-2", tokenstore, sample(1, redirect_url="", api_domain=""))

    found = read(read_back("TRIP-2", tokenstore, record, path))

    for name in ("redirect_url", "api_domain"):
        if found[name] not in ("", None):
            violated(
                "TRIP-2",
                f"{path} returned the empty {name} as {found[name]!r}",
                "the SDK needs an empty value back, or None",
            )


@clause("TRIP-3")
@pytest.mark.parametrize("path", READ_PATHS)
def test_expiry_comes_back_as_the_same_str(tokenstore: Any, path: str) -> None:
    """expires_in comes back as a str holding the same digits."""
    (record,) = saved("TRIP-3", tokenstore, sample(1, expires_in="1767225600123"))

    expiry = read_back("TRIP-3", tokenstore, record, path).get_expires_in()

    if not isinstance(expiry, str) or expiry != "1767225600123":
        violated(
            "TRIP-3",
            f"{path} returned expires_in as {type(expiry).__name__} {expiry!r}",
            "the SDK calls len() and int() on it and needs the saved str",
        )


@clause("TRIP-4")
@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("named", ["named", "unnamed"])
def test_the_user_comes_back_as_a_signature(
    tokenstore: Any, path: str, named: str
) -> None:
    """The user comes back as a UserSignature with the same name, or as None."""
    name = "Someone@Example.com" if named == "named" else None
    (record,) = saved("TRIP-4", tokenstore, sample(1, user_name=name))

    token = read_back("TRIP-4", tokenstore, record, path)
    found = read(token)

    if found["user_name"] != name:
        violated(
            "TRIP-4",
            f"{path} returned the user as {found['user_name']!r}, not {name!r}",
            "the SDK reads the name through UserSignature.get_name()",
        )
    if name is None and token.get_user_signature() is not None:
        violated(
            "TRIP-4",
            f"{path} returned a UserSignature without a name for a record that "
            "has no user, instead of None",
            "the SDK asks Zoho for the user's name only when the signature is None",
        )
