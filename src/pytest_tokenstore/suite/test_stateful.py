"""The state machine: generated sequences of saves, lookups and deletes, checked
against the model after every step."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.checks import clause
from pytest_tokenstore.fixtures import StoreFactory
from pytest_tokenstore.spec import StoreSpec
from pytest_tokenstore.stateful import MUST_CLAUSES, SHOULD_CLAUSES

pytestmark = [
    pytest.mark.tokenstore,
    pytest.mark.tokenstore_stateful,
    pytest.mark.tokenstore_long,
]


def _run(
    request: pytest.FixtureRequest,
    factory: StoreFactory,
    spec: StoreSpec,
    check_should: bool,
) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    from pytest_tokenstore.stateful import (
        machine_for,
        machine_settings,
        replay_hint,
    )

    config = request.config
    thorough = bool(
        config.getoption("tokenstore_thorough") or config.getini("tokenstore_thorough")
    )
    database = config.rootpath / ".hypothesis" / "tokenstore"
    shrink = not config.getoption("tokenstore_no_shrink")
    chosen = machine_settings(thorough, database, shrink=shrink)
    run_state_machine_as_test(
        machine_for(factory, spec, check_should, replay_hint(chosen)),
        settings=chosen,
    )


@clause(*MUST_CLAUSES)
def test_generated_sequences_keep_every_must_clause(
    tokenstore: Any,
    tokenstore_factory: StoreFactory,
    tokenstore_spec: StoreSpec,
    request: pytest.FixtureRequest,
) -> None:
    """Random sequences of the SDK's calls leave the store equal to the model."""
    _run(request, tokenstore_factory, tokenstore_spec, check_should=False)


@clause(*SHOULD_CLAUSES)
def test_generated_sequences_keep_the_should_clauses(
    tokenstore: Any,
    tokenstore_factory: StoreFactory,
    tokenstore_spec: StoreSpec,
    request: pytest.FixtureRequest,
) -> None:
    """The same, also checking id reuse, adoption and lookups by id alone."""
    _run(request, tokenstore_factory, tokenstore_spec, check_should=True)
