"""The offline card processor on a moto table, steered by Stripe's test PaymentMethods."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from commerce.adapters.dynamodb import from_item
from commerce.adapters.payment_simulator import SimulatedCardProcessor
from commerce.money import Money
from commerce.payments.model import PaymentMethod, PaymentMethodKind
from contract.faulty_client import FaultyClient
from contract.harness import ProviderHarness
from unit.fakes import FixedClock

__all__ = ["SimulatorHarness"]


class SimulatorHarness(ProviderHarness):
    name = "simulator"

    def __init__(self, client: Any, table: str) -> None:
        self._raw = client
        self._table = table
        self._faulty = FaultyClient(client)
        self.simulator = SimulatedCardProcessor(self._faulty, table, FixedClock())
        self.provider = self.simulator

    def approving(self, order_id: str, amount: Money) -> PaymentMethod:
        return PaymentMethod(PaymentMethodKind.CARD, "pm_card_visa")

    def declining(self, order_id: str, amount: Money) -> tuple[PaymentMethod, str]:
        return PaymentMethod(PaymentMethodKind.CARD, "pm_card_chargeDeclinedInsufficientFunds"), (
            "insufficient_funds"
        )

    def needing_action(self, order_id: str, amount: Money) -> PaymentMethod | None:
        return PaymentMethod(PaymentMethodKind.CARD, "pm_card_authenticationRequired")

    def act(self, order_id: str, *, succeed: bool) -> None:
        self.simulator.authenticate(order_id, succeed=succeed)

    def outage(self) -> AbstractContextManager[None]:
        return self._faulty.outage()

    def lost_response(self) -> AbstractContextManager[None]:
        return self._faulty.lost_response()

    def _items(self, order_id: str) -> list[dict[str, Any]]:
        response = self._raw.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PAYMENT#{order_id}"}},
            ConsistentRead=True,
        )
        return [from_item(item) for item in response.get("Items", [])]

    def authorisations(self, order_id: str) -> int:
        return sum(1 for item in self._items(order_id) if item["sk"] == "PAYMENT")

    def taken(self, order_id: str) -> Money:
        payments = [item for item in self._items(order_id) if item["sk"] == "PAYMENT"]
        if not payments:
            return Money.zero(self.currency)
        [payment] = payments
        return Money(int(payment["captured"]) - int(payment["refunded"]), str(payment["currency"]))
