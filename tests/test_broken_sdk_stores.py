"""The SDK tests can fail: each broken store is caught by its SDK clause, the sound
store passes, and nothing reaches beyond 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from pytest_tokenstore.clauses import CLAUSES
from pytest_tokenstore.sdkloop import LEAVE_OUT, LoopbackGuard, OffLoopback
from tests.broken_sdk_stores import CAUGHT_BY, DefaultsToZohoDomain
from tests.helpers import run_kit_process, run_report

SDK_CLAUSES = [cid for cid in CLAUSES if cid.startswith("SDK-")]
SOUND = "tests.sound_store:SoundStore"
ZOO = {
    f"tests.broken_sdk_stores:{store.__name__}": clause_id
    for store, clause_id in CAUGHT_BY.items()
    if store is not DefaultsToZohoDomain  # run in-process, behind a second wall
}

Verdicts = dict[str, dict[str, dict[str, Any]]]


def _loopback(host: Any) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def lookups_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A second wall under the kit's guard: a name lookup it let through fails here.

    The project's conftest refuses connections; this refuses the DNS query before
    them, so that even a broken guard sends nothing off this machine.
    """
    asked: list[str] = []
    real = socket.getaddrinfo

    def refuse(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            asked.append(str(host))
            raise OSError(f"the project's tests look up no names but loopback: {host}")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return asked


def test_the_guard_refuses_a_name_lookup(lookups_beyond_loopback: list[str]) -> None:
    """A lookup of a Zoho host fails inside the guard and is remembered."""
    guard = LoopbackGuard()

    with guard.active(), pytest.raises(OffLoopback, match=r"accounts\.zoho\.com"):
        socket.getaddrinfo("accounts.zoho.com", 443)

    assert guard.refused == ["accounts.zoho.com:443 (name lookup)"]
    assert lookups_beyond_loopback == []


def test_the_guard_refuses_an_address_beyond_loopback() -> None:
    """A connection to an address that is not loopback fails and is remembered."""
    guard = LoopbackGuard()

    with guard.active(), socket.socket() as sock, pytest.raises(OffLoopback):
        sock.connect(("192.0.2.1", 443))

    assert guard.refused == ["192.0.2.1:443"]
    assert "192.0.2.1:443" in guard.message("SDK-2")
    assert guard.message("SDK-2").startswith("SDK-2: ")
    assert LEAVE_OUT in guard.message("SDK-2")


def test_the_guard_lets_loopback_through() -> None:
    """127.0.0.1 stays reachable, and the socket module is restored afterwards."""
    original = socket.socket.connect
    guard = LoopbackGuard()

    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with guard.active():
            client.connect(server.getsockname())

    assert guard.refused == []
    assert socket.socket.connect is original


@pytest.fixture(scope="module")
def zoo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Verdicts]:
    """The SDK tests against the sound store and every broken one, in one process."""
    code, _, verdicts = run_kit_process(
        tmp_path_factory.mktemp("sdk-zoo"),
        *(f"--tokenstore={spec}" for spec in (SOUND, *ZOO)),
        "-m",
        "tokenstore_sdk",
    )
    return code, verdicts


def test_the_sound_store_passes_every_sdk_clause(
    zoo_run: tuple[int, Verdicts],
) -> None:
    """The SDK flows all work on a correct store; -m selects the SDK tests alone."""
    code, verdicts = zoo_run
    clauses = verdicts[SOUND]

    assert {cid: clauses[cid]["status"] for cid in SDK_CLAUSES} == dict.fromkeys(
        SDK_CLAUSES, "pass"
    )
    assert clauses["SAVE-4"]["status"] == "unchecked"
    assert code == pytest.ExitCode.TESTS_FAILED  # the broken stores fail the run


@pytest.mark.parametrize(("store", "clause_id"), list(ZOO.items()))
def test_the_sdk_tests_catch_the_defect(
    zoo_run: tuple[int, Verdicts], store: str, clause_id: str
) -> None:
    """The broken store fails its SDK clause, with a message naming it."""
    _, verdicts = zoo_run

    verdict = verdicts[store][clause_id]
    assert verdict["status"] == "fail", verdict
    assert verdict["detail"].split("failed: ", 1)[1].startswith(f"{clause_id}:")


def test_only_a_rejected_refresh_shows_a_pruned_record(
    zoo_run: tuple[int, Verdicts],
) -> None:
    """A store that drops expired records passes the refresh, not its rejection."""
    _, verdicts = zoo_run

    detail = verdicts["tests.broken_sdk_stores:PrunesExpiredOnFind"]["SDK-3"]["detail"]
    assert detail.startswith("2 of 5 checks failed: SDK-3: after Zoho refused")


def test_the_guard_stops_a_store_that_sends_the_sdk_to_zoho(
    pytester: pytest.Pytester, lookups_beyond_loopback: list[str]
) -> None:
    """A store handing back Zoho's domain fails, naming the host, and nothing leaves.

    Also: the SDK's global Initializer is the same after the kit's tests as before.
    """
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    mine, saved = object(), Initializer.initializer
    Initializer.initializer = mine
    try:
        result, clauses = run_report(
            pytester,
            "tests.broken_sdk_stores:DefaultsToZohoDomain",
            "-m",
            "tokenstore_sdk",
        )
        after = Initializer.initializer
    finally:
        Initializer.initializer = saved

    detail = clauses["SDK-3"]["detail"]
    assert clauses["SDK-3"]["status"] == "fail"
    assert "accounts.zoho.com:443 (name lookup)" in detail
    assert "which is not 127.0.0.1" in detail
    assert lookups_beyond_loopback == []
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert after is mine


def test_the_sdk_tests_can_be_left_out(pytester: pytest.Pytester) -> None:
    """Deselected by their marker, the SDK clauses are reported as not checked."""
    result, clauses = run_report(
        pytester, SOUND, "-m", "not tokenstore_sdk", "-k", "test_sdk"
    )

    for clause_id in SDK_CLAUSES:
        assert clauses[clause_id]["status"] == "unchecked"
        assert "no check of it was selected" in clauses[clause_id]["detail"]
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
