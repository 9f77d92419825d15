"""One contract, every payment provider: each test runs once per provider's harness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from contract.harness import ProviderHarness
from moto_table import dynamodb_table


@contextmanager
def _simulator() -> Iterator[ProviderHarness]:
    from contract.harness_simulator import SimulatorHarness

    with dynamodb_table("simulator") as (client, table):
        yield SimulatorHarness(client, table)


@contextmanager
def _wallet() -> Iterator[ProviderHarness]:
    from contract.harness_wallet import WalletHarness

    with dynamodb_table("wallet") as (client, table):
        yield WalletHarness(client, table)


@contextmanager
def _stripe() -> Iterator[ProviderHarness]:
    from contract.harness_stripe import StripeHarness

    yield StripeHarness()


@contextmanager
def _paypal() -> Iterator[ProviderHarness]:
    from contract.harness_paypal import PayPalHarness

    yield PayPalHarness()


HARNESSES: dict[str, Callable[[], AbstractContextManager[ProviderHarness]]] = {
    "simulator": _simulator,
    "stripe": _stripe,
    "paypal": _paypal,
    "wallet": _wallet,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[ProviderHarness]:
    with HARNESSES[request.param]() as started:
        yield started
