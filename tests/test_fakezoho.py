"""The fake Zoho behaves as the SDK tests assume: one-use codes, known tokens only,
errors on demand, and a log of every request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_tokenstore.fakezoho import ORG_ZGID, FakeZoho, start_server

CLIENT_ID, SECRET = "1000.C", "s3cret"
CLIENT = {"client_id": CLIENT_ID, "client_secret": SECRET}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """One fake server for the module, on 127.0.0.1."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def zoho(server: Any) -> FakeZoho:
    """A fake Zoho with fresh state."""
    return FakeZoho(server)


def exchange(zoho: FakeZoho, **form: str) -> dict[str, Any]:
    """POST to the token endpoint and return the JSON answer."""
    body: dict[str, Any] = requests.post(zoho.accounts_url, data=form, timeout=5).json()
    return body


def test_a_grant_code_is_exchanged_once(zoho: FakeZoho) -> None:
    """A code gives tokens once; the second exchange is refused."""
    code = zoho.grant("a@example.com", CLIENT_ID, SECRET)

    first = exchange(zoho, grant_type="authorization_code", code=code, **CLIENT)
    second = exchange(zoho, grant_type="authorization_code", code=code, **CLIENT)

    grant = zoho.issued_to("a@example.com")
    assert grant is not None
    assert first["refresh_token"] == grant.refresh_token
    assert first["api_domain"] == zoho.url
    assert second == {"error": "invalid_code"}
    assert len(zoho.exchanges("authorization_code")) == 2


def test_only_issued_refresh_tokens_refresh(zoho: FakeZoho) -> None:
    """A refresh needs a token the fake issued, to the same client."""
    code = zoho.grant("a@example.com", CLIENT_ID, SECRET)
    issued = exchange(zoho, grant_type="authorization_code", code=code, **CLIENT)

    good = exchange(
        zoho,
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        **CLIENT,
    )
    unknown = exchange(
        zoho, grant_type="refresh_token", refresh_token="1000.made.up", **CLIENT
    )
    other_client = exchange(
        zoho,
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        client_id="1000.OTHER",
        client_secret="s3cret",
    )

    assert good["access_token"] == zoho.access_tokens("a@example.com")[-1]
    assert "refresh_token" not in good
    assert unknown == {"error": "invalid_code"}
    assert other_client == {"error": "invalid_client"}


@pytest.mark.parametrize(
    ("error", "status"), [("invalid_code", 200), ("server_error", 500)]
)
def test_token_requests_fail_on_demand(zoho: FakeZoho, error: str, status: int) -> None:
    """fail_token_requests makes the token endpoint refuse, as JSON or as a 500 page."""
    code = zoho.grant("a@example.com", CLIENT_ID, SECRET)
    zoho.fail_token_requests(error)

    answer = requests.post(
        zoho.accounts_url,
        data={"grant_type": "authorization_code", "code": code, **CLIENT},
        timeout=5,
    )

    assert answer.status_code == status
    assert zoho.issued_to("a@example.com") is None


def test_the_user_calls_and_revoke_know_the_tokens(zoho: FakeZoho) -> None:
    """The users and org calls answer only an issued access token; revoke works once."""
    code = zoho.grant("a@example.com", CLIENT_ID, SECRET)
    issued = exchange(zoho, grant_type="authorization_code", code=code, **CLIENT)
    auth = {"Authorization": f"Zoho-oauthtoken {issued['access_token']}"}

    users = requests.get(
        f"{zoho.url}/crm/v8/users",
        params={"type": "CurrentUser"},
        headers=auth,
        timeout=5,
    )
    org = requests.get(f"{zoho.url}/crm/v8/org", headers=auth, timeout=5)
    stranger = requests.get(
        f"{zoho.url}/crm/v8/org",
        headers={"Authorization": "Zoho-oauthtoken nope"},
        timeout=5,
    )
    revoke = f"{zoho.accounts_url}/revoke"
    first = requests.post(revoke, data={"token": issued["refresh_token"]}, timeout=5)
    again = requests.post(revoke, data={"token": issued["refresh_token"]}, timeout=5)

    assert users.json()["users"][0]["email"] == "a@example.com"
    assert org.json()["org"][0]["zgid"] == ORG_ZGID
    assert stranger.status_code == 401
    assert first.json() == {"status": "success"}
    assert again.json() == {"error": "invalid_token"}
    assert zoho.revocations() == [issued["refresh_token"]] * 2
    assert len(zoho.user_lookups()) == 3
