"""A fake Zoho on 127.0.0.1 for the SDK tests: the accounts token endpoint and the
CRM call that names the current user, served by pytest-httpserver.

It keeps the state the SDK's token flows meet at Zoho (one-use grant codes, refresh
and access tokens and whose they are), records every request, and answers with an
error on demand. It never forwards anything anywhere.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

TOKEN_PATH = "/oauth/v2/token"
"""Where the SDK exchanges grant codes and refresh tokens (the accounts URL)."""

REVOKE_PATH = TOKEN_PATH + "/revoke"
"""Where ``OAuthToken.revoke`` sends a refresh token: the accounts URL + ``/revoke``."""

USERS_PATH = "/crm/v8/users"
"""The CRM call the SDK makes, with ``type=CurrentUser``, to name a new token's user."""

ORG_PATH = "/crm/v8/org"
"""The CRM call that gives the organisation's ``zgid``, the second half of the name."""

ORG_ZGID = "70000000001"
"""The fake organisation's id: the SDK names a user ``email:zgid``."""

ACCESS_LIFETIME = 3600
"""Seconds an access token lives unless a grant asks for another lifetime."""

ERRORS = ("invalid_code", "server_error")
"""What ``fail_token_requests`` can make the token endpoint answer."""


@dataclass(frozen=True)
class Exchange:
    """One request the fake received, reduced to what the tests look at."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None

    @property
    def grant_type(self) -> str | None:
        """``authorization_code`` or ``refresh_token`` for a token request."""
        return self.form.get("grant_type")


@dataclass
class Grant:
    """What one authorisation gave: a user, a client, and the tokens issued since."""

    user: str
    client_id: str
    client_secret: str
    lifetime: int
    refresh_token: str | None = None
    access_tokens: list[str] = field(default_factory=list)


class FakeZoho:
    """Zoho as the SDK's token flows see it, with a log of every request.

    One instance serves one test: ``grant`` hands out a one-use code for a user,
    the token endpoint exchanges it and refreshes, the users call names the owner
    of an access token, and ``fail_token_requests`` makes the token endpoint refuse.
    """

    def __init__(self, server: HTTPServer) -> None:
        self.url = server.url_for("").rstrip("/")
        self.accounts_url = self.url + TOKEN_PATH
        self.requests: list[Exchange] = []
        self.revoked: set[str] = set()
        self.failure: str | None = None
        self._codes: dict[str, Grant] = {}
        self._grants: list[Grant] = []
        self._serial = itertools.count(1)
        server.clear()
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    # --- what tests do ---------------------------------------------------------------

    def grant(
        self,
        user: str,
        client_id: str,
        client_secret: str,
        lifetime: int = ACCESS_LIFETIME,
    ) -> str:
        """A new one-use code for ``user``; its access token lives ``lifetime`` s."""
        code = f"1000.fakegrant{next(self._serial):04d}.kit"
        self._codes[code] = Grant(user, client_id, client_secret, lifetime)
        return code

    def fail_token_requests(self, error: str | None) -> None:
        """Answer every token request with ``error`` (one of ERRORS), or stop (None).

        ``invalid_code`` is Zoho's JSON refusal of a spent or unknown code or token;
        ``server_error`` is an HTTP 500 with an HTML page, which is not JSON.
        """
        if error is not None and error not in ERRORS:
            raise ValueError(f"unknown error {error!r}; choose one of {ERRORS}")
        self.failure = error

    def exchanges(self, grant_type: str | None = None) -> list[Exchange]:
        """Token requests received, of one grant type or of any."""
        return [
            r
            for r in self.requests
            if r.path == TOKEN_PATH and grant_type in (None, r.grant_type)
        ]

    def user_lookups(self) -> list[Exchange]:
        """Requests the SDK makes to name a user: current user, then organisation."""
        return [r for r in self.requests if r.path in (USERS_PATH, ORG_PATH)]

    def revocations(self) -> list[str]:
        """The tokens revoke requests asked to revoke, in order."""
        return [r.form.get("token", "") for r in self.requests if r.path == REVOKE_PATH]

    def access_tokens(self, user: str) -> list[str]:
        """Every access token issued to ``user``, oldest first."""
        return [a for g in self._grants if g.user == user for a in g.access_tokens]

    def issued_to(self, user: str) -> Grant | None:
        """The latest grant exchanged for ``user``: its refresh and access tokens."""
        exchanged = [g for g in self._grants if g.user == user]
        return exchanged[-1] if exchanged else None

    # --- what the SDK meets ----------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Record the request and answer it as Zoho would."""
        exchange = Exchange(
            method=request.method,
            path=request.path,
            query=dict(request.args),
            form=dict(request.form),
            authorization=request.headers.get("Authorization"),
        )
        self.requests.append(exchange)
        if exchange.path == TOKEN_PATH and exchange.method == "POST":
            return self._token(exchange.form)
        if exchange.path == REVOKE_PATH and exchange.method == "POST":
            return self._revoke(exchange.form)
        if exchange.path == USERS_PATH and exchange.method == "GET":
            return self._current_user(exchange)
        if exchange.path == ORG_PATH and exchange.method == "GET":
            return self._organisation(exchange)
        return _json({"error": "not_found", "path": exchange.path}, status=404)

    def _token(self, form: dict[str, str]) -> Response:
        if self.failure == "server_error":
            return _html_error()
        if self.failure == "invalid_code":
            return _json({"error": "invalid_code"})
        kind = form.get("grant_type")
        if kind == "authorization_code":
            return self._exchange_code(form)
        if kind == "refresh_token":
            return self._refresh(form)
        return _json({"error": "unsupported_grant_type"})

    def _exchange_code(self, form: dict[str, str]) -> Response:
        grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return _json({"error": "invalid_code"})
        if not _same_client(grant, form):
            return _json({"error": "invalid_client"})
        grant.refresh_token = f"1000.fakerefresh{next(self._serial):04d}.kit"
        self._grants.append(grant)
        body = self._new_access(grant, grant.lifetime)
        body["refresh_token"] = grant.refresh_token
        return _json(body)

    def _refresh(self, form: dict[str, str]) -> Response:
        wanted = form.get("refresh_token")
        grant = next((g for g in self._grants if g.refresh_token == wanted), None)
        if grant is None or wanted in self.revoked:
            return _json({"error": "invalid_code"})
        if not _same_client(grant, form):
            return _json({"error": "invalid_client"})
        return _json(self._new_access(grant, ACCESS_LIFETIME))

    def _new_access(self, grant: Grant, lifetime: int) -> dict[str, Any]:
        access = f"1000.fakeaccess{next(self._serial):04d}.kit"
        grant.access_tokens.append(access)
        return {
            "access_token": access,
            "api_domain": self.url,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }

    def _revoke(self, form: dict[str, str]) -> Response:
        token = form.get("token", "")
        known = any(g.refresh_token == token for g in self._grants)
        if not known or token in self.revoked:
            return _json({"error": "invalid_token"})
        self.revoked.add(token)
        return _json({"status": "success"})

    def _owner(self, exchange: Exchange) -> Grant | None:
        access = (exchange.authorization or "").removeprefix("Zoho-oauthtoken ")
        return next((g for g in self._grants if access in g.access_tokens), None)

    def _current_user(self, exchange: Exchange) -> Response:
        owner = self._owner(exchange)
        if owner is None or exchange.query.get("type") != "CurrentUser":
            return _invalid_token()
        user = {
            "id": f"{self._grants.index(owner) + 1:019d}",
            "email": owner.user,
            "full_name": owner.user.split("@", 1)[0],
            "status": "active",
        }
        info = {"per_page": 200, "count": 1, "page": 1, "more_records": False}
        return _json({"users": [user], "info": info})

    def _organisation(self, exchange: Exchange) -> Response:
        if self._owner(exchange) is None:
            return _invalid_token()
        org = {"id": "70000000000", "zgid": ORG_ZGID, "company_name": "Kit Fake Org"}
        return _json({"org": [org]})


def _invalid_token() -> Response:
    body = {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    return _json(body, status=401)


def _same_client(grant: Grant, form: dict[str, str]) -> bool:
    return (
        form.get("client_id") == grant.client_id
        and form.get("client_secret") == grant.client_secret
    )


def _json(body: dict[str, Any], status: int = 200) -> Response:
    from werkzeug import Response

    return Response(json.dumps(body), status=status, content_type="application/json")


def _html_error() -> Response:
    from werkzeug import Response

    page = "<html><body><h1>500 Internal Server Error</h1></body></html>"
    return Response(page, status=500, content_type="text/html")


def start_server() -> HTTPServer:
    """A pytest-httpserver server listening on 127.0.0.1, on a free port.

    Its thread polls for shutdown every 50 ms rather than every 500, so that
    stopping it at the end of a session costs next to nothing.
    """
    from pytest_httpserver import HTTPServer

    class QuickStopServer(HTTPServer):
        def thread_target(self) -> None:
            assert self.server is not None
            self.server.serve_forever(poll_interval=0.05)

    server = QuickStopServer(host="127.0.0.1", port=0)
    server.start()
    return server
