"""Building tokens, reading them back as plain dicts, and the values tests use.

Everything here is independent of any store: the kit's own view of a token.
"""

from __future__ import annotations

from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

FIELDS = (
    "id",
    "user_name",
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "grant_token",
    "expires_in",
    "redirect_url",
    "api_domain",
)
"""A token's fields, as the contract names them."""

SECRET_FIELDS = ("client_secret", "refresh_token", "access_token", "grant_token")

KEY_KINDS = ("user", "access", "grant", "refresh")
"""The KEY-1 rules, in order: by user name, access token alone, grant, refresh."""

LOOKUP_KINDS = (*KEY_KINDS, "id")

Record = dict[str, Any]

_SETTERS = {
    "id": "set_id",
    "client_id": "set_client_id",
    "client_secret": "set_client_secret",
    "refresh_token": "set_refresh_token",
    "access_token": "set_access_token",
    "grant_token": "set_grant_token",
    "expires_in": "set_expires_in",
    "redirect_url": "set_redirect_url",
    "api_domain": "set_api_domain",
}

_GETTERS = {
    "id": "get_id",
    "client_id": "get_client_id",
    "client_secret": "get_client_secret",
    "refresh_token": "get_refresh_token",
    "access_token": "get_access_token",
    "grant_token": "get_grant_token",
    "expires_in": "get_expires_in",
    "redirect_url": "get_redirect_url",
    "api_domain": "get_api_domain",
}


def make_token(**fields: Any) -> OAuthToken:
    """An OAuthToken with exactly these fields set and every other field None.

    The SDK's constructor is run (with a placeholder id it accepts) so the object
    has every attribute the SDK gives one; then each field is set through its setter.
    Every value is a fresh copy, as in a token the SDK builds from a response, so a
    store that compares values with ``is`` shows.
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown token fields: {sorted(unknown)}")
    token = OAuthToken(id="placeholder")
    for name in FIELDS:
        value = copied(fields.get(name))
        if name == "user_name":
            token.set_user_signature(None if value is None else UserSignature(value))
        else:
            getattr(token, _SETTERS[name])(value)
    return token


def read(token: Any) -> Record:
    """The token's fields as a dict; the user as its name, or a marker if malformed."""
    record: Record = {name: getattr(token, _GETTERS[name])() for name in _GETTERS}
    signature = token.get_user_signature()
    if signature is None:
        record["user_name"] = None
    elif isinstance(signature, UserSignature):
        record["user_name"] = signature.get_name()
    else:
        record["user_name"] = f"<not a UserSignature: {type(signature).__name__}>"
    return {name: record[name] for name in FIELDS}


def copied(value: Any) -> Any:
    """An equal but distinct copy of a str, as an id read back from elsewhere is.

    The SDK's ids come from the user's configuration or from another process, never
    as the very object the store handed out; a store comparing ids with ``is``
    finds the one and not the other. Strings of one character are shared by
    Python, so only longer ones are truly copied.
    """
    return "".join(list(value)) if isinstance(value, str) else value


def sample(n: int, **overrides: Any) -> Record:
    """A complete, realistic record for user number ``n``, without an id."""
    record: Record = {
        "id": None,
        "user_name": f"user{n}@example.com",
        "client_id": f"1000.CLIENT{n:04d}ABCDEFGHIJ",
        "client_secret": f"secret{n:04d}0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "refresh_token": f"1000.refresh{n:04d}.5c2e8a9b0d1f3e4a6b7c8d9e0f1a2b3c",
        "access_token": f"1000.access{n:04d}.9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "grant_token": f"1000.grant{n:04d}.0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "expires_in": str(1_767_225_600_000 + n * 1000),
        "redirect_url": f"https://app{n}.example.com/oauth/callback",
        "api_domain": "https://www.zohoapis.com",
    }
    record.update(overrides)
    return record


def probe_fields(kind: str, record: Record) -> Record:
    """The fields KEY-1 (KEY-3 for ``id``) needs to find ``record`` by ``kind``."""
    if kind in ("user", "access", "id"):
        name = key_field(kind)
        return {name: record[name]}
    if kind in ("grant", "refresh"):
        return {
            "client_id": record["client_id"],
            "client_secret": record["client_secret"],
            f"{kind}_token": record[f"{kind}_token"],
        }
    raise ValueError(f"unknown lookup kind {kind!r}")


def probe(kind: str, record: Record) -> OAuthToken:
    """A token with only what KEY-1 (KEY-3 for ``id``) needs to find ``record``."""
    return make_token(**probe_fields(kind, record))


def key_field(kind: str) -> str:
    """The record field a lookup kind matches on."""
    return {
        "user": "user_name",
        "access": "access_token",
        "grant": "grant_token",
        "refresh": "refresh_token",
        "id": "id",
    }[kind]


def record_for_kind(kind: str, n: int, **overrides: Any) -> Record:
    """A record that a probe of ``kind`` can find.

    For ``refresh`` the record has no grant token: a probe carries client
    credentials and a refresh token, and KEY-1 matches on the grant token first
    only when the probe has one.
    """
    record = sample(n, **overrides)
    if kind == "refresh" and "grant_token" not in overrides:
        record["grant_token"] = None
    return record


def describe(value: Any, limit: int = 60) -> str:
    """A short repr of a value for a failure message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


HOSTILE = {
    "quotes": 'O\'Brien said "hi" `x`',
    "sql": "x'); DELETE FROM tokens; --",
    "sql-or": "' OR ''='",
    "comma": "a,b,,c",
    "semicolon": "a;b;c",
    "newline": "line1\nline2\r\nline3",
    "carriage-return": "before\rafter",
    "backslash": "C:\\path\\to\\x\\",
    "like": "100%_done",
    "non-ascii": "J\u00fcrgen \u00d1and\u00fa \u6771\u4eac \U0001f680",
    "long": "k" * 6000 + "-end",
}
"""Values that break naive stores: SQL and CSV syntax, patterns, text, size."""

LOOKALIKES = {
    "upper": str.upper,
    "lower": str.lower,
    "prefix": lambda value: value[:-3],
    "longer": lambda value: value + "x",
    "like-pattern": lambda value: value[:4] + "%",
    "single-char-pattern": lambda value: "_" + value[1:],
}
"""Ways to make a key that must not match the one it is made from (FIND-5)."""
