"""The oracle of the state machine: the contract as plain dicts, nothing shared.

Written from ``docs/contract.md`` alone; it shares no code with any store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Fields = dict[str, Any]

TOKEN_FIELDS = ("refresh_token", "grant_token", "access_token")


def key_rule(token: Fields) -> tuple[str, str] | None:
    """The (field, value) KEY-1 looks a token up by, or None if no rule applies."""
    if token.get("user_name"):
        return "user_name", token["user_name"]
    has_id = token.get("client_id") is not None
    has_secret = token.get("client_secret") is not None
    if not has_id and not has_secret:
        return (
            ("access_token", token["access_token"])
            if token.get("access_token")
            else None
        )
    if has_id and has_secret:
        for name in ("grant_token", "refresh_token"):
            if token.get(name):
                return name, token[name]
    return None


@dataclass
class Model:
    """What the store should hold: records by id, and every id ever handed out."""

    records: dict[str, Fields] = field(default_factory=dict)
    issued: set[str] = field(default_factory=set)

    def find(self, token: Fields, by_id_alone: bool = True) -> str | None:
        """The id of the record ``find_token`` must return, or None (KEY-1, KEY-3)."""
        rule = key_rule(token)
        if rule is None:
            wanted = token.get("id")
            if by_id_alone and wanted in self.records:
                return str(wanted)
            return None
        name, value = rule
        hits = [i for i, r in self.records.items() if r[name] == value]
        return hits[0] if hits else None

    def target_of_save(self, token: Fields, adopt: bool = True) -> str | None:
        """The id of the record ``save_token`` must update, or None to insert."""
        if token.get("id") in self.records:
            return str(token["id"])
        if key_rule(token) is not None:
            found = self.find(token)
            if found is not None:
                return found
        return self._adoptable(token) if adopt else None

    def _adoptable(self, token: Fields) -> str | None:
        if not token.get("user_name") or token.get("client_id") is None:
            return None
        for record_id, record in self.records.items():
            if (
                record["user_name"] is not None
                or record["client_id"] != token["client_id"]
            ):
                continue
            for name in ("refresh_token", "grant_token"):
                if token.get(name) and record[name] == token[name]:
                    return record_id
        return None

    def refuses(self, token: Fields) -> bool:
        """Whether saving a token that matches nothing must raise (SAVE-8)."""
        return not any(token.get(name) for name in TOKEN_FIELDS)

    def update(self, record_id: str, token: Fields) -> None:
        """Merge the set fields of ``token`` into a record (SAVE-5)."""
        record = self.records[record_id]
        for name, value in token.items():
            if name != "id" and value is not None:
                record[name] = value

    def insert(self, record_id: str, token: Fields) -> None:
        """Add a record under the id the store gave it."""
        self.records[record_id] = {**token, "id": record_id}
        self.issued.add(record_id)

    def delete(self, record_id: Any) -> None:
        """Remove one record, if there is one with that id."""
        self.records.pop(record_id, None)

    def clear(self) -> None:
        """Remove every record; the ids stay issued."""
        self.records.clear()
