"""The wallet's double-entry ledger in one DynamoDB table (``WALLET_TABLE``; string keys pk/sk).

| pk                  | sk                | what                                                              |
|---------------------|-------------------|-------------------------------------------------------------------|
| WALLET#<customer>   | BALANCE           | balance, currency, version (the number of entries)                |
| WALLET#<customer>   | ENTRY#<sequence>  | the customer's side of one movement and the balance after it      |
| MOVEMENT#<id>       | MOVEMENT          | the movement with both its entries: its idempotency record        |
| PAYMENT#<order>     | PAYMENT           | a wallet payment: amount, captured, refunded, status, version     |
| PAYMENT#<order>     | REFUND#<id>       | one refund of it (amount, at, movement id)                        |

``sequence`` is the wallet's version after the entry, zero-padded: the statement is one Query in
the order the balance moved (whatever the clocks of the Lambdas said), and the balance always
equals the sum of the customer's ENTRY items.

Every movement is ONE ``TransactWriteItems``: the movement record put-if-absent, the balance
conditional on its version and currency (and, for a debit, on ``balance >= :amount``), the entry,
and the payment (put-if-absent, or conditional on its version) and refund records where relevant.
So either all of a movement is on the books or none of it is.

Hold and platform accounts (``hold:<order>``, ``platform:credits``, ``platform:revenue``,
``platform:refunds``) have NO balance item: every wallet movement would write the same few
platform items, making them hot keys that serialise all wallets. Their entries live only inside
the MOVEMENT records; their balances are derived (a scan, or the table's stream into analytics).
A hold's balance is also its payment's ``held`` amount.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    decode_cursor,
    encode_cursor,
    from_item,
    invalid_cursor,
    outage_raises,
    to_item,
    transaction_cancel_reasons,
)
from commerce.clock import isoformat
from commerce.money import Money
from commerce.payments.model import Payment, PaymentMethod, PaymentMethodKind, PaymentStatus
from commerce.wallet.model import Movement, MovementKind, Wallet, WalletEntry
from commerce.wallet.ports import (
    LostRace,
    MovementExists,
    PaymentChange,
    Posting,
    Statement,
    StoredPayment,
    WalletChange,
    WalletLedger,
    WalletUnavailable,
)

__all__ = ["DynamoDBWalletLedger"]

#: DynamoDB errors that mean "not now", not "never": the caller retries.

#: Cancellation reasons that mean another writer got there first: read again and decide again.
_LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})

_SEQUENCE_DIGITS = 12


def _wallet_pk(customer_id: str) -> str:
    return f"WALLET#{customer_id}"


def _entry_sk(sequence: int) -> str:
    return f"ENTRY#{sequence:0{_SEQUENCE_DIGITS}d}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return to_item({"pk": pk, "sk": sk})


def _movement_key(movement_id: str) -> dict[str, Any]:
    return _key(f"MOVEMENT#{movement_id}", "MOVEMENT")


def _payment_key(order_id: str) -> dict[str, Any]:
    return _key(f"PAYMENT#{order_id}", "PAYMENT")


def _outage_is_unavailable() -> AbstractContextManager[None]:
    return outage_raises(lambda: WalletUnavailable("The wallet is unavailable; try again."))


# ---------------------------------------------------------------------------------------------- items


def _movement_item(movement: Movement) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"MOVEMENT#{movement.movement_id}",
            "sk": "MOVEMENT",
            "movement_id": movement.movement_id,
            "kind": movement.kind.value,
            "amount": movement.amount.amount,
            "currency": movement.amount.currency,
            "from_account": movement.from_account,
            "to_account": movement.to_account,
            "at": isoformat(movement.at),
            "order_id": movement.order_id,
            "reason": movement.reason,
            "actor": movement.actor,
            "entries": [{"account": e.account, "amount": e.amount.amount} for e in movement.entries()],
        }
    )


def _movement(values: dict[str, Any]) -> Movement:
    return Movement(
        movement_id=values["movement_id"],
        kind=MovementKind(values["kind"]),
        amount=Money(int(values["amount"]), str(values["currency"])),
        from_account=values["from_account"],
        to_account=values["to_account"],
        at=datetime.fromisoformat(values["at"]),
        order_id=values.get("order_id"),
        reason=values.get("reason"),
        actor=values.get("actor"),
    )


def _entry_item(entry: WalletEntry) -> dict[str, Any]:
    return to_item(
        {
            "pk": _wallet_pk(entry.customer_id),
            "sk": _entry_sk(entry.sequence),
            "customer_id": entry.customer_id,
            "sequence": entry.sequence,
            "movement_id": entry.movement_id,
            "kind": entry.kind.value,
            "amount": entry.amount.amount,
            "currency": entry.amount.currency,
            "balance_after": entry.balance_after.amount,
            "at": isoformat(entry.at),
            "order_id": entry.order_id,
            "reason": entry.reason,
        }
    )


def _entry(values: dict[str, Any]) -> WalletEntry:
    currency = str(values["currency"])
    return WalletEntry(
        customer_id=values["customer_id"],
        sequence=int(values["sequence"]),
        movement_id=values["movement_id"],
        kind=MovementKind(values["kind"]),
        amount=Money(int(values["amount"]), currency),
        balance_after=Money(int(values["balance_after"]), currency),
        at=datetime.fromisoformat(values["at"]),
        order_id=values.get("order_id"),
        reason=values.get("reason"),
    )


def _payment_item(payment: Payment, version: int) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"PAYMENT#{payment.order_id}",
            "sk": "PAYMENT",
            "order_id": payment.order_id,
            "reference": payment.reference,
            "customer_id": payment.method.token,
            "amount": payment.amount.amount,
            "currency": payment.amount.currency,
            "captured": payment.captured.amount,
            "refunded": payment.refunded.amount,
            "status": payment.status.value,
            "created_at": isoformat(payment.created_at),
            "updated_at": isoformat(payment.updated_at),
            "version": version,
        }
    )


def _payment(values: dict[str, Any]) -> Payment:
    currency = str(values["currency"])
    return Payment(
        order_id=values["order_id"],
        reference=values["reference"],
        method=PaymentMethod(PaymentMethodKind.WALLET, values["customer_id"]),
        amount=Money(int(values["amount"]), currency),
        captured=Money(int(values.get("captured", 0)), currency),
        refunded=Money(int(values.get("refunded", 0)), currency),
        status=PaymentStatus(values["status"]),
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
    )


class DynamoDBWalletLedger(WalletLedger):
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ------------------------------------------------------------------ reading
    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        with _outage_is_unavailable():
            response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def wallet(self, customer_id: str) -> Wallet | None:
        values = self._get(_key(_wallet_pk(customer_id), "BALANCE"))
        if values is None:
            return None
        return Wallet(
            customer_id, Money(int(values["balance"]), str(values["currency"])), int(values["version"])
        )

    def movement(self, movement_id: str) -> Movement | None:
        values = self._get(_movement_key(movement_id))
        return _movement(values) if values else None

    def payment(self, order_id: str) -> StoredPayment | None:
        values = self._get(_payment_key(order_id))
        return StoredPayment(_payment(values), int(values["version"])) if values else None

    def statement(self, customer_id: str, cursor: str | None, limit: int) -> Statement:
        pk = _wallet_pk(customer_id)
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :entry)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":entry": "ENTRY#"}),
            "ScanIndexForward": False,
            "ConsistentRead": True,
            # One more than asked, so the last page says it is the last.
            "Limit": limit + 1,
        }
        if cursor is not None:
            state = decode_cursor(cursor, {"after"})
            after = state.get("after")
            if type(after) is not int or after < 1:
                raise invalid_cursor()
            params["ExclusiveStartKey"] = _key(pk, _entry_sk(after))
        with _outage_is_unavailable():
            response = self._client.query(**params)
        entries = [_entry(from_item(item)) for item in response.get("Items", [])]
        if len(entries) <= limit:
            return Statement(entries, None)
        page = entries[:limit]
        return Statement(page, encode_cursor({"after": page[-1].sequence}))

    # ------------------------------------------------------------------ writing
    def post(self, posting: Posting) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _movement_item(posting.movement),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if posting.wallet is not None:
            items.extend(self._wallet_writes(posting.wallet, posting.movement))
        if posting.payment is not None:
            items.extend(self._payment_writes(posting.payment, posting.movement))
        try:
            with _outage_is_unavailable():
                self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if not reasons:
                raise
            if reasons[0] == "ConditionalCheckFailed":
                raise MovementExists(posting.movement.movement_id) from None
            if _LOST_RACE.intersection(reasons):
                raise LostRace(posting.movement.movement_id) from None
            raise WalletUnavailable(
                f"The movement could not be written ({', '.join(reasons)}); try again."
            ) from None

    def _wallet_writes(self, change: WalletChange, movement: Movement) -> list[dict[str, Any]]:
        before, after = change.before, change.after
        pk = _wallet_pk(after.customer_id)
        balance: dict[str, Any]
        if not before.opened:
            balance = {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": pk,
                            "sk": "BALANCE",
                            "customer_id": after.customer_id,
                            "balance": after.balance.amount,
                            "currency": after.currency,
                            "version": after.version,
                            "updated_at": isoformat(movement.at),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        else:
            delta = change.entry.amount.amount
            condition = "version = :version AND currency = :currency"
            values: dict[str, Any] = {
                ":delta": delta,
                ":next": after.version,
                ":at": isoformat(movement.at),
                ":version": before.version,
                ":currency": after.currency,
            }
            if delta < 0:
                # The database, not only the read, refuses to take the balance below zero.
                condition += " AND balance >= :debit"
                values[":debit"] = -delta
            balance = {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(pk, "BALANCE"),
                    "UpdateExpression": "SET balance = balance + :delta, version = :next, updated_at = :at",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_item(values),
                }
            }
        entry = {
            "Put": {
                "TableName": self._table,
                "Item": _entry_item(change.entry),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return [balance, entry]

    def _payment_writes(self, change: PaymentChange, movement: Movement) -> list[dict[str, Any]]:
        payment = change.after
        if change.expected_version is None:
            writes: list[dict[str, Any]] = [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _payment_item(payment, 1),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        else:
            writes = [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _payment_item(payment, change.expected_version + 1),
                        "ConditionExpression": "version = :version",
                        "ExpressionAttributeValues": to_item({":version": change.expected_version}),
                    }
                }
            ]
        if change.refund_id is not None:
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": f"PAYMENT#{payment.order_id}",
                                "sk": f"REFUND#{change.refund_id}",
                                "order_id": payment.order_id,
                                "refund_id": change.refund_id,
                                "movement_id": movement.movement_id,
                                "amount": movement.amount.amount,
                                "currency": movement.amount.currency,
                                "at": isoformat(movement.at),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        return writes
