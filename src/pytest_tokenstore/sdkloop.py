"""The SDK in the loop: its own ``Initializer`` and ``OAuthToken`` run against the
store under test and the fake Zoho, behind a guard that allows only loopback.

The SDK is imported here, when an SDK test first needs it, never at plugin start-up.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from .checks import snapshot, violated
from .fakezoho import ACCESS_LIFETIME, ORG_ZGID, FakeZoho
from .spec import describe_error
from .tokens import Record

CLIENT_ID = "1000.KITFAKECLIENT0001"
CLIENT_SECRET = "kit-fake-client-secret-0001"

LEAVE_OUT = "-m 'not tokenstore_sdk'"


def sdk_user_name(email: str) -> str:
    """The user name the SDK gives a token: the user's email, a colon, the org's id."""
    return f"{email}:{ORG_ZGID}"


class OffLoopback(ConnectionRefusedError):
    """What the guard raises where a connection or name lookup would leave the host."""


def is_loopback(host: Any) -> bool:
    """Whether a host (name, address, bytes; None: a local socket) is loopback."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class LoopbackGuard:
    """Refuses, and remembers, every connection and name lookup beyond loopback.

    A refused attempt raises ``OffLoopback`` where it happens, but the SDK swallows
    some errors (a failed current-user call is only logged), so the attempts are
    also kept in ``refused`` for the test to fail on.
    """

    def __init__(self) -> None:
        self.refused: list[str] = []

    def _refuse(self, target: str) -> NoReturn:
        self.refused.append(target)
        raise OffLoopback(
            f"pytest-tokenstore refused to reach {target}: during SDK tests only "
            "127.0.0.1 may be contacted"
        )

    @contextlib.contextmanager
    def active(self) -> Iterator[LoopbackGuard]:
        """Patch the socket module while the block runs, then restore it."""
        connect = socket.socket.connect
        connect_ex = socket.socket.connect_ex
        getaddrinfo = socket.getaddrinfo
        by_name = socket.gethostbyname
        by_name_ex = socket.gethostbyname_ex
        guard = self

        def checked(sock: socket.socket, address: Any) -> None:
            if sock.family != getattr(socket, "AF_UNIX", None) and not isinstance(
                address, (str, bytes)
            ):
                host, port = address[0], address[1]
                if not is_loopback(host):
                    guard._refuse(f"{host}:{port}")

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            checked(sock, address)
            connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            checked(sock, address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if not is_loopback(host):
                guard._refuse(f"{host}:{port} (name lookup)")
            return getaddrinfo(host, port, *args, **kwargs)

        def guarded_by_name(host: str) -> str:
            if not is_loopback(host):
                guard._refuse(f"{host} (name lookup)")
            return by_name(host)

        def guarded_by_name_ex(host: str) -> Any:
            if not is_loopback(host):
                guard._refuse(f"{host} (name lookup)")
            return by_name_ex(host)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(socket.socket, "connect", guarded_connect)
            patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
            patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
            patch.setattr(socket, "gethostbyname", guarded_by_name)
            patch.setattr(socket, "gethostbyname_ex", guarded_by_name_ex)
            for name in ("NO_PROXY", "no_proxy"):
                # requests would send even 127.0.0.1 through a configured proxy.
                patch.setenv(name, "127.0.0.1,localhost,::1")
            yield self

    def message(self, clause_id: str) -> str:
        """The failure for a test during which something reached beyond loopback."""
        targets = ", ".join(dict.fromkeys(self.refused))
        return (
            f"{clause_id}: during this check something tried to reach {targets}, "
            "which is not 127.0.0.1; the kit lets SDK tests talk only to its fake "
            "Zoho so that they never reach Zoho. A store that returns another api "
            "domain than the one saved sends the SDK to that host; a store whose "
            "backend lives on another host cannot run these tests (leave them out "
            f"with {LEAVE_OUT})."
        )


@contextlib.contextmanager
def fresh_sdk() -> Iterator[None]:
    """Clear the SDK's global state for one test and put back what was there.

    ``Initializer`` keeps the current initializer on the class and in a thread
    local; ``Initializer.initialize`` also sets the level of the ``SDKLogger``.
    """
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    saved = Initializer.initializer, getattr(Initializer.LOCAL, "init", None)
    sdk_logger = logging.getLogger("SDKLogger")
    level, handlers = sdk_logger.level, list(sdk_logger.handlers)
    clear_initializer()
    try:
        yield
    finally:
        Initializer.initializer = saved[0]
        Initializer.LOCAL.init = saved[1]
        sdk_logger.setLevel(level)
        sdk_logger.handlers[:] = handlers


def clear_initializer() -> None:
    """Forget the SDK's current initializer, as a new process would start."""
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    Initializer.initializer = None
    Initializer.LOCAL.init = None


class SDKLoop:
    """One test's SDK, wired to the store under test and the fake Zoho.

    Every start is a new ``Initializer.initialize`` with a new token, as an
    application does when it starts; the store instance is kept, so what it saved
    is there for the next start.
    """

    def __init__(
        self,
        store: Any,
        zoho: FakeZoho,
        guard: LoopbackGuard,
        clause_id: str,
        workdir: Path,
    ) -> None:
        self.store = store
        self.zoho = zoho
        self.guard = guard
        self.clause_id = clause_id
        self.workdir = workdir
        self.guard_reported = False

    # --- starting the SDK ------------------------------------------------------------

    def environment(self) -> Any:
        """An ``Environment`` whose API and accounts URLs are the fake's."""
        from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter

        return DataCenter.Environment(
            self.zoho.url, self.zoho.accounts_url, self.zoho.url
        )

    def attempt(self, token: Any) -> BaseException | None:
        """Start the SDK with ``token``; return what it raised, or None."""
        from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
        from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

        clear_initializer()
        try:
            Initializer.initialize(
                environment=self.environment(),
                token=token,
                store=self.store,
                sdk_config=SDKConfig(connect_timeout=5.0, read_timeout=5.0),
                resource_path=str(self.workdir),
            )
        except Exception as exc:
            self.check_guard()
            return exc
        self.check_guard()
        return None

    def start(self, token: Any, given: str, needs: str) -> None:
        """Start the SDK with ``token``; a failure violates this test's clause."""
        __tracebackhide__ = True
        error = self.attempt(token)
        if error is not None:
            violated(
                self.clause_id,
                f"Initializer.initialize with a token given {given} raised "
                f"{describe_error(error)}",
                needs,
            )

    def access_token(self, token: Any, needs: str) -> str:
        """The access token the SDK puts on the next API request, as it gets it."""
        __tracebackhide__ = True
        try:
            value = token.get_token()
        except Exception as exc:
            self.check_guard()
            violated(
                self.clause_id,
                f"OAuthToken.get_token(), run for every API request, raised "
                f"{describe_error(exc)}",
                needs,
            )
        self.check_guard()
        return str(value)

    def check_guard(self) -> None:
        """Fail the test if anything tried to reach beyond loopback."""
        __tracebackhide__ = True
        if self.guard.refused and not self.guard_reported:
            self.guard_reported = True
            from .checks import ContractViolation

            raise ContractViolation(self.guard.message(self.clause_id))

    # --- tokens ------------------------------------------------------------------

    def grant_token(self, email: str, lifetime: int = ACCESS_LIFETIME) -> Any:
        """A token carrying a new grant code for ``email``, as an application builds."""
        from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

        code = self.zoho.grant(email, CLIENT_ID, CLIENT_SECRET, lifetime)
        return OAuthToken(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_token=code,
            redirect_url=self.zoho.url + "/callback",
        )

    def login(self, email: str, lifetime: int = ACCESS_LIFETIME) -> Record:
        """Log ``email`` in with a grant code and return the record the store keeps.

        The access token it gets lives ``lifetime`` seconds: below 5 the SDK takes
        it as expired at the next start, and below 0 it has already run out.
        """
        __tracebackhide__ = True
        name = sdk_user_name(email)
        self.start(
            self.grant_token(email, lifetime),
            "with a grant code",
            f"this check starts from {email}'s grant login (SDK-1)",
        )
        record = self.record_of(name)
        if record is None:
            violated(
                self.clause_id,
                f"after the grant login of {name!r} the store lists no record with "
                "that user name",
                "this check starts from the record the SDK saves at login (SDK-1)",
            )
        return record

    @staticmethod
    def token_for(kind: str, record: Record) -> Any:
        """A token as an application gives it at a later start, by one key."""
        from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
        from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

        if kind == "refresh":
            return OAuthToken(
                client_id=record["client_id"],
                client_secret=record["client_secret"],
                refresh_token=record["refresh_token"],
            )
        if kind == "user":
            return OAuthToken(user_signature=UserSignature(record["user_name"]))
        if kind == "id":
            return OAuthToken(id=record["id"])
        if kind == "access":
            return OAuthToken(access_token=record["access_token"])
        raise ValueError(f"unknown start kind {kind!r}")

    # --- the store -----------------------------------------------------------------

    def records(self) -> list[Record]:
        """Every stored record, read through get_tokens."""
        __tracebackhide__ = True
        return snapshot(self.clause_id, self.store)

    def record_of(self, user_name: str) -> Record | None:
        """The stored record with this user name, or None."""
        __tracebackhide__ = True
        return next(
            (r for r in self.records() if r["user_name"] == user_name),
            None,
        )


START_WORDS = {
    "refresh": "by client id, secret and refresh token",
    "user": "only by user name",
    "id": "only by id",
    "access": "only by access token",
}
"""How each kind of later start is worded in a failure message."""


def describe_requests(requests: list[Any]) -> str:
    """Requests the fake received, as ``2 requests (POST /oauth/v2/token ...)``."""
    parts = [
        f"{r.method} {r.path}" + (f" ({r.grant_type})" if r.grant_type else "")
        for r in requests
    ]
    noun = "request" if len(parts) == 1 else "requests"
    return f"{len(parts)} {noun} ({', '.join(parts)})"
