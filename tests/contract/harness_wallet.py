"""The customer wallet on a moto table: each approving order gets a fresh customer whose wallet an
admin credited with enough; a declining one gets a customer with too little."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from typing import Any

from commerce.adapters.dynamodb import from_item
from commerce.adapters.dynamodb_wallet import DynamoDBWalletLedger
from commerce.adapters.wallet_payments import WalletPayments
from commerce.money import Money
from commerce.payments.model import PaymentMethod, PaymentMethodKind
from commerce.wallet.service import WalletService
from contract.faulty_client import FaultyClient
from contract.harness import ProviderHarness
from unit.fakes import FixedClock

__all__ = ["WalletHarness"]


class WalletHarness(ProviderHarness):
    name = "wallet"

    def __init__(self, client: Any, table: str) -> None:
        self._raw = client
        self._table = table
        self._faulty = FaultyClient(client)
        clock = FixedClock()
        self.provider = WalletPayments(self._faulty, table, clock)
        #: Funding goes round the faulty client: it is the test's setup, not the call under test.
        self.wallets = WalletService(DynamoDBWalletLedger(client, table), clock)

    def _customer_with(self, amount: Money) -> PaymentMethod:
        customer_id = f"c-{uuid.uuid4().hex[:12]}"
        if amount.amount > 0:
            self.wallets.credit(
                customer_id, amount, f"fund-{customer_id}", "contract test funding", "harness"
            )
        return PaymentMethod(PaymentMethodKind.WALLET, customer_id)

    def approving(self, order_id: str, amount: Money) -> PaymentMethod:
        return self._customer_with(amount * 2)

    def declining(self, order_id: str, amount: Money) -> tuple[PaymentMethod, str]:
        return self._customer_with(Money(amount.amount - 1, amount.currency)), "insufficient_funds"

    def needing_action(self, order_id: str, amount: Money) -> PaymentMethod | None:
        return None

    def outage(self) -> AbstractContextManager[None]:
        return self._faulty.outage()

    def lost_response(self) -> AbstractContextManager[None]:
        return self._faulty.lost_response()

    def _movements(self, order_id: str) -> list[dict[str, Any]]:
        """The order's movements, read behind the adapter's back."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :movement AND order_id = :order",
            "ExpressionAttributeValues": {":movement": {"S": "MOVEMENT"}, ":order": {"S": order_id}},
            "ConsistentRead": True,
        }
        while True:
            response = self._raw.scan(**params)
            found.extend(from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def authorisations(self, order_id: str) -> int:
        return sum(1 for movement in self._movements(order_id) if movement["kind"] == "hold")

    def taken(self, order_id: str) -> Money:
        """What ``platform:revenue`` got from the order: captures minus refunds."""
        taken = 0
        for movement in self._movements(order_id):
            for entry in movement["entries"]:
                if entry["account"] == "platform:revenue":
                    taken += int(entry["amount"])
        return Money(taken, self.currency)
