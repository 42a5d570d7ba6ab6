"""A Hypothesis state machine that drives a store and the model side by side.

Every rule does one thing the SDK or an application does to a store, checks the
clauses that step touches, and writes the step as a line of Python, so that a
failure comes with the shortest sequence found as a test a user can paste.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from .checks import ContractViolation
from .model import Fields, Model, key_rule
from .spec import StoreSpec, describe_error
from .tokens import (
    FIELDS,
    KEY_KINDS,
    LOOKALIKES,
    describe,
    key_field,
    make_token,
    probe_fields,
    read,
)

MUST_CLAUSES = (
    "KEY-1",
    "KEY-2",
    "FIND-1",
    "FIND-2",
    "FIND-3",
    "FIND-5",
    "FIND-6",
    "SAVE-1",
    "SAVE-2",
    "SAVE-3",
    "SAVE-4",
    "SAVE-5",
    "SAVE-6",
    "SAVE-8",
    "DUP-1",
    "TRIP-1",
    "BYID-1",
    "BYID-2",
    "DEL-1",
    "DEL-2",
    "DEL-3",
    "ALL-1",
    "CLEAR-1",
    "CLEAR-3",
)
"""Clauses the MUST-only machine checks; a clean run passes each of them."""

SHOULD_CLAUSES = ("KEY-3", "FIND-7", "SAVE-9", "SAVE-10", "SAVE-11")
"""Clauses only the second machine checks; it also checks the MUST ones."""

PIECES = (
    "",
    "",
    "",
    "'",
    '"',
    "' OR ''='",
    ",",
    ";",
    "\n",
    "\r\n",
    "\\",
    "%",
    "_",
    "\u00fc\u6771",
    "k" * 3000,
)
"""Fragments mixed into generated values: quotes, SQL, separators, patterns."""

HEX = st.text("0123456789abcdef", min_size=8, max_size=8)
PIECE = st.sampled_from(PIECES)
LOCAL = st.sampled_from(["user", "o'brien", "ana.maria", "\u00e5sa", "Mixed.Case"])
DOMAIN = st.sampled_from(["example.com", "zylker.co.uk", "b\u00fccher.de"])
API = st.sampled_from(
    [
        "https://www.zohoapis.com",
        "https://www.zohoapis.eu",
        "https://www.zohoapis.in",
        "https://www.zohoapis.com.au",
    ]
)
EXPIRY = st.integers(1_700_000_000_000, 1_900_000_000_000).map(str)
KINDS = KEY_KINDS
ODD_IDS = ("never-issued", "1 OR 1=1", "' OR ''='", "1,2", "%", "*", "", "id")


def machine_settings(
    thorough: bool, database_dir: Path | None, shrink: bool = True
) -> settings:
    """Fast by default; thorough on request; derandomized when ``CI`` is set.

    Everything not set here comes from the active Hypothesis profile, so a user's
    ``--hypothesis-profile`` still chooses verbosity and the like.
    """
    parent = settings()
    in_ci = bool(os.environ.get("CI"))
    database = None
    if database_dir is not None and not in_ci:
        database = DirectoryBasedExampleDatabase(str(database_dir))
    phases = tuple(parent.phases)
    if not shrink:
        phases = tuple(p for p in phases if p not in (Phase.shrink, Phase.explain))
    return settings(
        parent,
        max_examples=500 if thorough else 50,
        stateful_step_count=60 if thorough else 30,
        deadline=None,
        derandomize=in_ci or parent.derandomize,
        database=database,
        phases=phases,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def replay_hint(chosen: settings) -> str:
    """How to see the same failure again under these settings."""
    if chosen.database is not None:
        return (
            "Run the same pytest command again to replay it: Hypothesis keeps "
            "failing examples in .hypothesis/tokenstore under the rootdir."
        )
    return (
        "Run the same pytest command again to replay it: with CI set the state "
        "machine is derandomized and draws the same sequences every time."
    )


def machine_for(
    factory: Callable[[], Any], spec: StoreSpec, check_should: bool, replay: str
) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one store factory."""
    attributes = {
        "factory": staticmethod(factory),
        "spec": spec,
        "check_should": check_should,
        "replay": replay,
    }
    return type("TokenStoreMachine", (TokenStoreMachine,), attributes)


class TokenStoreMachine(RuleBasedStateMachine):
    """Drives a store and the model through the same steps."""

    factory: Callable[[], Any]
    spec: StoreSpec
    check_should: bool
    replay: str

    def __init__(self) -> None:
        super().__init__()
        self.store = self.factory()
        self.model = Model()
        self.counter = 0
        self.lines: list[str] = []
        self.deleted: list[Fields] = []
        if self.store.get_tokens():
            self.store.delete_tokens()  # left by an earlier example of this test

    # --- plumbing ----------------------------------------------------------------

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def fail(self, clause_id: str, did: str, needs: str) -> NoReturn:
        __tracebackhide__ = True
        raise ContractViolation(
            f"{clause_id}: {did}; {needs}.\n\n"
            "The shortest sequence found, as a test you can paste (each step "
            "names the clause it checks; the last one fails):\n\n"
            f"{self.snippet()}\n\n{self.replay}"
        )

    def snippet(self) -> str:
        module, _, attr = self.spec.text.partition(":")
        build = f"{attr}(tmp_path)" if self.spec.takes_directory else f"{attr}()"
        head = [
            "def test_tokenstore_sequence(tmp_path):",
            "    from pytest_tokenstore.tokens import make_token",
            f"    from {module} import {attr.split('.')[0]}",
            "",
            f"    store = {build}",
        ]
        return "\n".join(head + [f"    {line}" for line in self.lines])

    def call(self, clause_id: str, text: str, method: str, *args: Any) -> Any:
        __tracebackhide__ = True
        self.lines.append(f"{text}  # {clause_id}")
        try:
            return getattr(self.store, method)(*args)
        except Exception as exc:
            self.fail(
                clause_id,
                f"{method} raised {describe_error(exc)}",
                "the SDK calls it in this situation and needs it to succeed",
            )

    def stored(self, clause_id: str, action: str) -> dict[str, Fields]:
        """get_tokens as records by id, checked for unique ids and user names."""
        __tracebackhide__ = True
        try:
            tokens = self.store.get_tokens()
        except Exception as exc:
            self.fail(
                "ALL-1", f"get_tokens raised {describe_error(exc)}", "it must list"
            )
        records = [read(token) for token in tokens]
        ids = [r["id"] for r in records]
        if len(set(ids)) != len(ids) or None in ids:
            self.fail(
                "SAVE-2",
                f"after {action}, get_tokens lists ids {ids!r}",
                "ids must be unique",
            )
        names = [r["user_name"] for r in records if r["user_name"]]
        if len(set(names)) != len(names):
            self.fail(
                "DUP-1",
                f"after {action}, two records share a user name",
                "one record per user",
            )
        return {r["id"]: r for r in records}

    def expect_model(self, clause_id: str, action: str) -> None:
        """The store lists exactly what the model holds, field by field."""
        __tracebackhide__ = True
        actual = self.stored(clause_id, action)
        expected = self.model.records
        if actual == expected:
            return
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        if missing or extra:
            self.fail(
                clause_id,
                f"after {action}, get_tokens lists {len(actual)} records where "
                f"{len(expected)} were expected (missing {_ids(missing)}, "
                f"unexpected {_ids(extra)})",
                "every record the SDK saved, and no other, must be listed",
            )
        for record_id in sorted(expected):
            diff = [
                f"{name} {describe(actual[record_id][name], 50)} instead of "
                f"{describe(expected[record_id][name], 50)}"
                for name in FIELDS
                if actual[record_id][name] != expected[record_id][name]
            ]
            if diff:
                self.fail(
                    clause_id,
                    f"after {action}, record {record_id!r} has {'; '.join(diff[:2])}",
                    "each record must hold what was saved into it",
                )

    def pick(
        self, data: st.DataObject, usable: Callable[[Fields], bool]
    ) -> Fields | None:
        """A stored record that ``usable`` accepts, or None if there is none.

        Drawn by position in saving order, never by id: ids are the store's and may
        differ from one run to the next (uuids), which would make replays drift.
        """
        candidates = [r for r in self.model.records.values() if usable(r)]
        if not candidates:
            return None
        return candidates[data.draw(st.integers(0, len(candidates) - 1))]

    # --- values ------------------------------------------------------------------

    def token_value(self, kind: str, hex_part: str, piece: str) -> str:
        return f"1000.{kind}{hex_part}{piece}.{self.fresh()}"

    def user_name(self, local: str, piece: str, domain: str) -> str:
        return f"{local}{piece}{self.fresh()}@{domain}"

    # --- saving ------------------------------------------------------------------

    def save_new(self, fields: Fields, clause_id: str, what: str) -> None:
        token = make_token(**fields)
        self.call(clause_id, f"store.save_token({_token(fields)})", "save_token", token)
        new_id = token.get_id()
        if not isinstance(new_id, str) or not new_id:
            self.fail(
                "SAVE-2",
                f"save_token set id {new_id!r} on a new token",
                "a non-empty str id",
            )
        if fields.get("id") is not None and new_id != fields["id"]:
            self.fail(
                "SAVE-3",
                f"save_token replaced the id {fields['id']!r}",
                "the given id kept",
            )
        if new_id in self.model.records:
            self.fail(
                "SAVE-2",
                f"save_token gave a new token the id {new_id!r} of a stored record",
                "a new id",
            )
        if self.check_should and new_id in self.model.issued:
            self.fail(
                "SAVE-10",
                f"save_token handed out {new_id!r} again after its record was deleted",
                "ids never reused",
            )
        self.model.insert(new_id, {**fields, "id": new_id})
        self.expect_model(clause_id, f"saving {what}")
        self.expect_findable(new_id)

    def save_update(
        self, fields: Fields, target: str, clause_id: str, what: str
    ) -> None:
        token = make_token(**fields)
        self.call(clause_id, f"store.save_token({_token(fields)})", "save_token", token)
        self.model.update(target, fields)
        if self.check_should and token.get_id() != target:
            self.fail(
                "SAVE-9",
                f"after {what} the token carries id {token.get_id()!r}, not {target!r}",
                "the record's id on the token",
            )
        self.expect_model(clause_id, what)
        self.expect_findable(target)

    @initialize()
    def start(self) -> None:
        """Every sequence starts from an empty store."""

    @rule(
        hex_part=HEX,
        piece=PIECE,
        local=LOCAL,
        domain=DOMAIN,
        expiry=EXPIRY,
        api=API,
        grant=st.booleans(),
        own_id=st.booleans(),
    )
    def save_new_user(
        self,
        hex_part: str,
        piece: str,
        local: str,
        domain: str,
        expiry: str,
        api: str,
        grant: bool,
        own_id: bool,
    ) -> None:
        """A user logs in for the first time (SAVE-1; SAVE-3 with an own id)."""
        n = self.fresh()
        fields = {
            "id": f"own-{n}" if own_id else None,
            "user_name": self.user_name(local, piece, domain),
            "client_id": f"1000.CLIENT{n}",
            "client_secret": f"secret{hex_part}{n}",
            "refresh_token": self.token_value("r", hex_part, piece),
            "access_token": self.token_value("a", hex_part, ""),
            "grant_token": self.token_value("g", hex_part, "") if grant else None,
            "expires_in": expiry,
            "redirect_url": f"https://app.example.com/cb{piece}",
            "api_domain": api,
        }
        self.save_new(fields, "SAVE-3" if own_id else "SAVE-1", "a new user")

    @rule(hex_part=HEX, piece=PIECE, use_grant=st.booleans())
    def save_unnamed(self, hex_part: str, piece: str, use_grant: bool) -> None:
        """A grant or refresh token saved before the user is known (SAVE-1)."""
        n = self.fresh()
        fields = dict.fromkeys(FIELDS) | {
            "client_id": f"1000.CLIENT{n}",
            "client_secret": f"secret{hex_part}",
            "refresh_token": self.token_value("r", hex_part, piece),
            "grant_token": self.token_value("g", hex_part, piece)
            if use_grant
            else None,
            "access_token": self.token_value("a", hex_part, ""),
        }
        self.save_new(fields, "SAVE-1", "a token without a user")

    @rule(hex_part=HEX, piece=PIECE, expiry=EXPIRY)
    def save_access_only(self, hex_part: str, piece: str, expiry: str) -> None:
        """A bare access token, as an application may hand one over (SAVE-1)."""
        fields = dict.fromkeys(FIELDS) | {
            "access_token": self.token_value("a", hex_part, piece),
            "expires_in": expiry,
        }
        self.save_new(fields, "SAVE-1", "an access token alone")

    @precondition(lambda self: self.model.records)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), hex_part=HEX, expiry=EXPIRY)
    def update_by_key(
        self, data: st.DataObject, kind: str, hex_part: str, expiry: str
    ) -> None:
        """A refresh saved by each key kind updates in place (KEY-1, SAVE-4, SAVE-5)."""
        record = self.pick(data, lambda r: _probe_fields(kind, r) is not None)
        if record is None:
            return
        fields = dict.fromkeys(FIELDS) | (_probe_fields(kind, record) or {})
        fields["expires_in"] = expiry
        if kind == "access":
            fields["api_domain"] = "https://www.zohoapis.jp"
        else:
            fields["access_token"] = self.token_value("a", hex_part, "")
        self.save_update(fields, record["id"], "SAVE-4", f"an update by {kind}")

    @precondition(lambda self: self.model.records)
    @rule(data=st.data(), hex_part=HEX, piece=PIECE)
    def rotate_by_id(self, data: st.DataObject, hex_part: str, piece: str) -> None:
        """A rotated refresh token saved with the record's id (KEY-2)."""
        record = self.pick(data, lambda r: True)
        if record is None:
            return
        fields = dict.fromkeys(FIELDS) | {
            "id": record["id"],
            "client_id": record["client_id"],
            "client_secret": record["client_secret"],
            "refresh_token": self.token_value("r", hex_part, piece),
            "access_token": self.token_value("a", hex_part, ""),
        }
        self.save_update(fields, record["id"], "KEY-2", "a rotation by id")

    @precondition(lambda self: self.check_should and self.model.records)
    @rule(data=st.data(), local=LOCAL, domain=DOMAIN)
    def name_unnamed(self, data: st.DataObject, local: str, domain: str) -> None:
        """A named token adopts the unnamed record of its grant (SAVE-11)."""
        record = self.pick(
            data,
            lambda r: (
                r["user_name"] is None
                and r["client_id"] is not None
                and r["client_secret"] is not None
                and r["refresh_token"] is not None
            ),
        )
        if record is None:
            return
        fields = dict.fromkeys(FIELDS) | {
            "user_name": self.user_name(local, "", domain),
            "client_id": record["client_id"],
            "client_secret": record["client_secret"],
            "refresh_token": record["refresh_token"],
        }
        self.save_update(
            fields, record["id"], "SAVE-11", "a named token for an unnamed grant"
        )

    @rule(local=LOCAL, domain=DOMAIN)
    def save_without_tokens(self, local: str, domain: str) -> None:
        """A new token with nothing to authenticate with is refused (SAVE-8)."""
        fields = dict.fromkeys(FIELDS) | {
            "user_name": self.user_name(local, "", domain)
        }
        self.lines.append(f"# store.save_token({_token(fields)}) must raise  # SAVE-8")
        try:
            self.store.save_token(make_token(**fields))
        except Exception:
            self.expect_model("SAVE-8", "a refused save")
            return
        self.fail(
            "SAVE-8",
            "save_token accepted a token with no refresh, grant or access token",
            "an exception",
        )

    # --- looking up --------------------------------------------------------------

    @precondition(lambda self: self.model.records)
    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def find_hit(self, data: st.DataObject, kind: str) -> None:
        """Each key kind finds its record, fully filled in (FIND-2, FIND-3)."""
        record = self.pick(data, lambda r: _probe_fields(kind, r) is not None)
        if record is None:
            return
        self.expect_found(kind, record)

    def expect_found(self, kind: str, record: Fields) -> None:
        """A lookup by ``kind`` returns ``record``, filled into the token given."""
        __tracebackhide__ = True
        fields = _probe_fields(kind, record) or {}
        token = make_token(**fields)
        found = self.call(
            "FIND-2",
            f"assert store.find_token({_token(fields)}) is not None",
            "find_token",
            token,
        )
        if found is None:
            self.fail(
                "FIND-2",
                f"find_token by {kind} returned None for a stored record",
                "the stored token",
            )
        if found is not token:
            self.fail(
                "FIND-3",
                "find_token returned another object than the one given",
                "its argument, filled",
            )
        if read(token) != record:
            self.fail(
                "FIND-2",
                f"find_token by {kind} filled the token from another record or partly",
                "that record's fields",
            )
        self.expect_model("FIND-6", f"a find_token by {kind}")

    def expect_findable(self, record_id: str) -> None:
        """Right after a save, every key of the saved record finds it (SAVE-1)."""
        __tracebackhide__ = True
        record = self.model.records[record_id]
        for kind in KINDS:
            fields = _probe_fields(kind, record)
            if fields is not None and self.model.find(fields) == record_id:
                self.expect_found(kind, record)

    @rule(kind=st.sampled_from(KINDS), hex_part=HEX, local=LOCAL, domain=DOMAIN)
    def find_miss(self, kind: str, hex_part: str, local: str, domain: str) -> None:
        """A key nothing has is not found, and the token stays as it was (FIND-1)."""
        record = {
            "id": None,
            "user_name": self.user_name(local, "", domain),
            "client_id": "1000.CLIENT-unknown",
            "client_secret": "unknown",
            "access_token": self.token_value("a", hex_part, ""),
            "grant_token": self.token_value("g", hex_part, ""),
            "refresh_token": self.token_value("r", hex_part, ""),
        }
        self.expect_absent("FIND-1", kind, _probe_fields(kind, record) or {})

    @precondition(lambda self: self.model.records)
    @rule(
        data=st.data(),
        kind=st.sampled_from(KINDS),
        how=st.sampled_from(sorted(LOOKALIKES)),
    )
    def find_lookalike(self, data: st.DataObject, kind: str, how: str) -> None:
        """A key differing by case, length or a pattern finds nothing (FIND-5)."""
        record = self.pick(data, lambda r: _probe_fields(kind, r) is not None)
        if record is None:
            return
        fields = _probe_fields(kind, record) or {}
        name, value = key_rule(fields) or ("", "")
        fields[name] = LOOKALIKES[how](value)
        if self.model.find(fields) is not None:
            return  # the lookalike happens to be another record's key
        self.expect_absent("FIND-5", kind, fields)

    def expect_absent(self, clause_id: str, kind: str, fields: Fields) -> None:
        token = make_token(**fields)
        before = read(token)
        found = self.call(
            clause_id,
            f"assert store.find_token({_token(fields)}) is None",
            "find_token",
            token,
        )
        if found is not None:
            self.fail(
                clause_id,
                f"find_token by {kind} returned a record for a key nothing has",
                "None",
            )
        if self.check_should and read(token) != before:
            self.fail(
                "FIND-7",
                f"find_token changed the token on a miss by {kind}",
                "the token left as it was",
            )
        self.expect_model("FIND-6", f"a find_token miss by {kind}")

    @precondition(lambda self: self.check_should and self.model.records)
    @rule(data=st.data())
    def find_by_id_alone(self, data: st.DataObject) -> None:
        """find_token with only an id resolves it, as revoke needs (KEY-3)."""
        record = self.pick(data, lambda r: True)
        if record is None:
            return
        token = make_token(id=record["id"])
        found = self.call(
            "KEY-3",
            f"assert store.find_token(make_token(id={record['id']!r})) is not None",
            "find_token",
            token,
        )
        if found is None or read(token) != record:
            self.fail(
                "KEY-3",
                "find_token did not resolve a token carrying only an id",
                "that record",
            )

    @rule(data=st.data(), known=st.booleans())
    def find_by_id(self, data: st.DataObject, known: bool) -> None:
        """find_token_by_id returns the record, or None for an unknown id (BYID)."""
        if known and self.model.records:
            record = self.pick(data, lambda r: True)
            if record is None:
                return
            clause_id, wanted = "BYID-1", record["id"]
        else:
            clause_id, wanted = "BYID-2", data.draw(st.sampled_from(ODD_IDS))
            if wanted in self.model.records:
                return
        found = self.call(
            clause_id, f"store.find_token_by_id({wanted!r})", "find_token_by_id", wanted
        )
        expected = self.model.records.get(wanted)
        actual = None if found is None else read(found)
        if actual != expected:
            what = "None" if actual is None else "a different record"
            self.fail(
                clause_id,
                f"find_token_by_id({wanted!r}) returned {what}",
                "the stored record, or None",
            )

    # --- deleting ----------------------------------------------------------------

    @precondition(lambda self: self.model.records)
    @rule(data=st.data())
    def delete_known(self, data: st.DataObject) -> None:
        """delete_token removes that record and no other (DEL-1)."""
        record = self.pick(data, lambda r: True)
        if record is None:
            return
        self.call(
            "DEL-1",
            f"store.delete_token({record['id']!r})",
            "delete_token",
            record["id"],
        )
        self.model.delete(record["id"])
        self.deleted.append(record)
        self.expect_model("DEL-1", f"deleting {record['id']!r}")
        self.expect_forgotten("DEL-1", [record])

    @rule(odd=st.sampled_from(ODD_IDS))
    def delete_unknown(self, odd: str) -> None:
        """An unknown or syntax-laden id removes nothing (DEL-2, DEL-3)."""
        if odd in self.model.records:
            return
        clause_id = "DEL-2" if odd == "never-issued" else "DEL-3"
        self.lines.append(f"store.delete_token({odd!r})  # {clause_id}, may raise")
        with contextlib.suppress(Exception):
            self.store.delete_token(odd)
        self.expect_model(clause_id, f"delete_token({odd!r})")

    @precondition(lambda self: self.deleted)
    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def find_deleted(self, data: st.DataObject, kind: str) -> None:
        """A deleted record's key finds nothing, cached or not (FIND-1)."""
        usable = [r for r in self.deleted if _probe_fields(kind, r) is not None]
        if not usable:
            return
        record = usable[data.draw(st.integers(0, len(usable) - 1))]
        fields = _probe_fields(kind, record) or {}
        if self.model.find(fields) is not None:
            return  # the key was saved again since
        self.expect_absent("FIND-1", kind, fields)

    @rule(now=st.booleans())
    def clear(self, now: bool) -> None:
        """delete_tokens empties the store, which stays usable (CLEAR-1, CLEAR-3).

        Fires on half of its draws, and not on the simplest one, so that sequences
        grow past a handful of records and shrinking drops the clears it does not need.
        """
        if not now:
            return
        gone = list(self.model.records.values())
        self.call("CLEAR-1", "store.delete_tokens()", "delete_tokens")
        self.model.clear()
        self.deleted.extend(gone)
        self.expect_model("CLEAR-1", "delete_tokens")
        self.expect_forgotten("CLEAR-1", gone[:3])

    def expect_forgotten(self, clause_id: str, gone: list[Fields]) -> None:
        """No key of a removed record finds anything any more."""
        for record in gone:
            for kind in KINDS:
                fields = _probe_fields(kind, record)
                if fields is not None and self.model.find(fields) is None:
                    self.expect_absent(clause_id, kind, fields)


def _probe_fields(kind: str, record: Fields) -> Fields | None:
    """The fields a lookup of ``kind`` carries for ``record``; None if it has none."""
    fields = probe_fields(kind, record)
    if not fields[key_field(kind)] or any(v is None for v in fields.values()):
        return None
    return fields


def _ids(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids) or "none"


def _literal(value: str) -> str:
    """A Python expression for ``value``, with long runs of one character folded."""
    for char in set(value):
        run = char * 50
        if run in value:
            start = value.index(run)
            end = start
            while end < len(value) and value[end] == char:
                end += 1
            parts = [repr(value[:start])] if start else []
            parts.append(f"{char!r} * {end - start}")
            if end < len(value):
                parts.append(_literal(value[end:]))
            return " + ".join(parts)
    return repr(value)


def _token(fields: Fields) -> str:
    args = ", ".join(f"{k}={_literal(v)}" for k, v in fields.items() if v is not None)
    return f"make_token({args})"
