"""The contract's clauses: the ids, levels and summaries every verdict refers to."""

from __future__ import annotations

from dataclasses import dataclass

MUST = "MUST"
SHOULD = "SHOULD"


@dataclass(frozen=True)
class Clause:
    """One requirement of the contract, as ``docs/contract.md`` states it."""

    id: str
    level: str
    summary: str
    capability: str | None = None
    checked_from: str | None = None
    """Why the kit has no check for it yet, or None when it has one."""


CAPABILITIES = ("thread-safe", "multi-process", "durable", "file-backed")
"""What a store may declare it supports; the CONC, DUR and SEC clauses need one."""

_ALL = (
    Clause("KEY-1", MUST, "find and save pick the record by the first key rule"),
    Clause("KEY-2", MUST, "save with a stored id updates that record"),
    Clause("KEY-3", SHOULD, "find_token with only an id resolves it by id"),
    Clause("FIND-1", MUST, "no match returns None"),
    Clause("FIND-2", MUST, "a match fills every unset field, id included"),
    Clause("FIND-3", MUST, "find fills and returns the token it was given"),
    Clause("FIND-4", SHOULD, "fields already set on the token are kept"),
    Clause("FIND-5", MUST, "exact, case-sensitive matching; never another record"),
    Clause("FIND-6", MUST, "find changes nothing in storage"),
    Clause("FIND-7", SHOULD, "on a miss the token is left unchanged"),
    Clause("SAVE-1", MUST, "a new token is inserted and visible to every lookup"),
    Clause("SAVE-2", MUST, "a token without an id gets a new unique str id"),
    Clause("SAVE-3", MUST, "an id the token already has is kept"),
    Clause("SAVE-4", MUST, "a matching token updates its record in place"),
    Clause("SAVE-5", MUST, "an update merges: unset fields keep stored values"),
    Clause("SAVE-6", MUST, "different users are different records"),
    Clause("SAVE-7", MUST, "save_token returns None"),
    Clause("SAVE-8", MUST, "a token with no refresh, grant or access token is refused"),
    Clause("SAVE-9", SHOULD, "after an update the token carries the record's id"),
    Clause("SAVE-10", SHOULD, "ids of deleted records are never handed out again"),
    Clause("SAVE-11", SHOULD, "a named token adopts the unnamed record of its grant"),
    Clause("DUP-1", MUST, "no two records share a non-empty user name"),
    Clause("TRIP-1", MUST, "every field comes back exactly as saved"),
    Clause("TRIP-2", MUST, "an unset field comes back as None"),
    Clause("TRIP-3", MUST, "expires_in comes back as a str with the same digits"),
    Clause("TRIP-4", MUST, "the user comes back as a UserSignature or None"),
    Clause("BYID-1", MUST, "a stored id returns a fully populated token"),
    Clause("BYID-2", MUST, "an unknown id returns None"),
    Clause("BYID-3", MUST, "find_token_by_id changes nothing in storage"),
    Clause("DEL-1", MUST, "delete_token removes that record and no other"),
    Clause("DEL-2", MUST, "an unknown id removes nothing"),
    Clause("DEL-3", MUST, "an id made of SQL or CSV syntax removes nothing else"),
    Clause("ALL-1", MUST, "get_tokens lists one populated token per record"),
    Clause("ALL-2", SHOULD, "changing a returned token changes nothing stored"),
    Clause("CLEAR-1", MUST, "delete_tokens leaves nothing to find"),
    Clause("CLEAR-2", MUST, "delete_tokens succeeds on an empty store"),
    Clause("CLEAR-3", MUST, "the store stays usable after delete_tokens"),
    Clause("FAIL-1", MUST, "a backend failure raises instead of pretending"),
    Clause("FAIL-2", SHOULD, "that exception is an SDKException with the cause"),
    Clause("FAIL-3", SHOULD, "no exception text carries a secret or token value"),
    Clause("FAIL-4", MUST, "a failed call leaves stored data intact"),
    Clause("INPUT-1", MUST, "a non-OAuthToken argument stores nothing"),
    Clause(
        "CONC-1",
        MUST,
        "threads saving one user leave one record",
        "thread-safe",
    ),
    Clause(
        "CONC-2",
        MUST,
        "threads saving distinct users leave every record",
        "thread-safe",
    ),
    Clause(
        "CONC-3",
        MUST,
        "the same across processes",
        "multi-process",
    ),
    Clause(
        "DUR-1",
        MUST,
        "a new instance sees every saved token",
        "durable",
    ),
    Clause(
        "DUR-2",
        SHOULD,
        "a killed process leaves every returned save",
        "durable",
    ),
    Clause(
        "SEC-1",
        SHOULD,
        "files the store creates are owner-only",
        "file-backed",
    ),
    Clause("SDK-1", MUST, "the grant flow stores one full record"),
    Clause("SDK-2", MUST, "a restart reuses the stored token"),
    Clause("SDK-3", MUST, "an expired token is refreshed in place"),
    Clause("SDK-4", MUST, "tokens by id, user and access token resolve"),
    Clause("SDK-5", MUST, "remove() deletes and revoke finds the token"),
)

CLAUSES: dict[str, Clause] = {clause.id: clause for clause in _ALL}
"""Every clause by id, in the order of the contract."""


def get(clause_id: str) -> Clause:
    """Return the clause with this id; raise KeyError naming the known ids."""
    try:
        return CLAUSES[clause_id]
    except KeyError:
        known = ", ".join(CLAUSES)
        raise KeyError(f"unknown clause id {clause_id!r}; known ids: {known}") from None
