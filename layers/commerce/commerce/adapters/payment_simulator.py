"""An offline card processor that answers like Stripe in test mode, keeping the provider's side of the
ledger in its own DynamoDB table.

| pk               | sk                | what                                                          |
|------------------|-------------------|---------------------------------------------------------------|
| PAYMENT#<order>  | PAYMENT           | reference, method, amount, captured, refunded, status, version |
| PAYMENT#<order>  | REFUND#<id>       | one refund (amount, at): also the refund's idempotency record  |
| PAYMENT#<order>  | DECLINE#<ulid>    | one declined attempt (decline_code, amount, at); holds nothing |

Stripe's test PaymentMethods decide the outcome (``pm_card_visa`` succeeds, ``pm_card_chargeDeclined``
is a ``generic_decline``, ``pm_card_authenticationRequired`` waits for 3-D Secure until
``authenticate`` plays the customer's answer), so the order saga can be driven down every branch
without a network.
Authorise is a put-if-absent (the order's idempotency record); capture and void are updates
conditional on status and version; a refund is one transaction of its own put-if-absent record and a
versioned increment, retried when another refund won the race.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from commerce.adapters.dynamodb import (
    condition_failed,
    from_item,
    outage_raises,
    to_item,
    transaction_cancel_reasons,
)
from commerce.clock import Clock, isoformat
from commerce.errors import Conflict, FieldError, InvalidInput, NotFound
from commerce.ids import new_id
from commerce.money import Money
from commerce.payments.model import (
    NextAction,
    Payment,
    PaymentDeclined,
    PaymentMethod,
    PaymentMethodKind,
    PaymentStatus,
    PaymentUnavailable,
)
from commerce.payments.ports import PaymentProvider

__all__ = [
    "APPROVED_TEST_CARDS",
    "AUTHENTICATING_TEST_CARDS",
    "DECLINING_TEST_CARDS",
    "SimulatedCardProcessor",
]

#: Stripe test PaymentMethods that authorise.
APPROVED_TEST_CARDS = frozenset({"pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_visa_debit"})

#: Stripe test PaymentMethods that need 3-D Secure before they authorise.
AUTHENTICATING_TEST_CARDS = frozenset({"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"})

#: Stripe test PaymentMethods that decline: token -> (decline_code, Stripe's message).
DECLINING_TEST_CARDS: dict[str, tuple[str, str]] = {
    "pm_card_chargeDeclined": ("generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": ("insufficient_funds", "Your card has insufficient funds."),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "pm_card_chargeDeclinedFraudulent": ("fraudulent", "Your card was declined."),
}

#: Lost optimistic races before giving up with a retryable error. Each lost round means another
#: writer of the same payment won, so this bounds the contention one call can wait out.
_MAX_ATTEMPTS = 32

#: DynamoDB errors that mean "not now", not "never": the caller retries.


#: Cancellation reasons that mean another writer got there first: read again and decide again.
_LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


#: How Stripe names each state of a manually captured PaymentIntent.
_STRIPE_STATUS = {
    PaymentStatus.REQUIRES_ACTION: "requires_action",
    PaymentStatus.AUTHORIZED: "requires_capture",
    PaymentStatus.CAPTURED: "succeeded",
    PaymentStatus.PARTIALLY_REFUNDED: "succeeded",
    PaymentStatus.REFUNDED: "succeeded",
    PaymentStatus.VOIDED: "canceled",
}


def _pk(order_id: str) -> str:
    return f"PAYMENT#{order_id}"


def _payment_key(order_id: str) -> dict[str, Any]:
    return to_item({"pk": _pk(order_id), "sk": "PAYMENT"})


def _refund_key(order_id: str, refund_id: str) -> dict[str, Any]:
    return to_item({"pk": _pk(order_id), "sk": f"REFUND#{refund_id}"})


def _new_reference() -> str:
    return "pi_" + secrets.token_hex(12)


def _payment_item(payment: Payment, version: int) -> dict[str, Any]:
    return to_item(
        {
            "pk": _pk(payment.order_id),
            "sk": "PAYMENT",
            "order_id": payment.order_id,
            "reference": payment.reference,
            "method_kind": payment.method.kind.value,
            "method_token": payment.method.token,
            "amount": payment.amount.amount,
            "currency": payment.amount.currency,
            "captured": payment.captured.amount,
            "refunded": payment.refunded.amount,
            "status": payment.status.value,
            "client_secret": payment.next_action.client_secret if payment.next_action else None,
            "created_at": isoformat(payment.created_at),
            "updated_at": isoformat(payment.updated_at),
            "version": version,
        }
    )


def _payment(values: dict[str, Any]) -> Payment:
    currency = str(values["currency"])
    status = PaymentStatus(values["status"])
    next_action = (
        NextAction("use_stripe_sdk", client_secret=values.get("client_secret"))
        if status is PaymentStatus.REQUIRES_ACTION
        else None
    )
    return Payment(
        order_id=values["order_id"],
        reference=values["reference"],
        method=PaymentMethod(PaymentMethodKind(values["method_kind"]), values.get("method_token")),
        amount=Money(int(values["amount"]), currency),
        captured=Money(int(values.get("captured", 0)), currency),
        refunded=Money(int(values.get("refunded", 0)), currency),
        status=status,
        created_at=datetime.fromisoformat(values["created_at"]),
        updated_at=datetime.fromisoformat(values["updated_at"]),
        next_action=next_action,
    )


def _decline_for(method: PaymentMethod) -> PaymentDeclined | None:
    """Stripe's answer to a test PaymentMethod: ``None`` when it authorises."""
    if method.kind is not PaymentMethodKind.CARD:
        return PaymentDeclined(
            f"The card simulator does not take {method.kind.value} payments.", "payment_method_not_supported"
        )
    token = method.token
    if not token:
        return PaymentDeclined("A card payment needs a PaymentMethod id.", "payment_method_unknown")
    if token in APPROVED_TEST_CARDS or token in AUTHENTICATING_TEST_CARDS:
        return None
    if token in DECLINING_TEST_CARDS:
        decline_code, message = DECLINING_TEST_CARDS[token]
        return PaymentDeclined(message, decline_code)
    return PaymentDeclined(f"No such PaymentMethod: '{token}'", "payment_method_unknown")


def _replayed(stored: Payment, amount: Money, method: PaymentMethod) -> Payment:
    """An authorise delivered again gets the stored payment; a different one for the same order is a bug."""
    if stored.amount != amount or stored.method != method:
        raise Conflict(
            "This order already has a payment for another amount or payment method.",
            code="payment_mismatch",
            extra={"reference": stored.reference},
        )
    return stored


def _outage_is_unavailable() -> AbstractContextManager[None]:
    return outage_raises(lambda: PaymentUnavailable("The payment provider is unavailable; try again."))


class SimulatedCardProcessor(PaymentProvider):
    name = "simulator"

    def __init__(self, client: Any, table_name: str, clock: Clock) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def _now(self) -> datetime:
        """Stored instants have millisecond precision; so do the payments returned, so a replay is equal."""
        now = self._clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # ------------------------------------------------------------------ reading
    def _read(self, order_id: str) -> tuple[Payment, int] | None:
        response = self._client.get_item(
            TableName=self._table, Key=_payment_key(order_id), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return _payment(values), int(values["version"])

    def _require(self, order_id: str) -> tuple[Payment, int]:
        found = self._read(order_id)
        if found is None:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        return found

    def find(self, order_id: str) -> Payment | None:
        with _outage_is_unavailable():
            found = self._read(order_id)
        return found[0] if found else None

    def payments(self) -> list[Payment]:
        """Every payment the simulator holds a record of, oldest first (for tests and reconciliation)."""
        found: list[Payment] = []
        params: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "sk = :payment",
            "ExpressionAttributeValues": to_item({":payment": "PAYMENT"}),
            "ConsistentRead": True,
        }
        with _outage_is_unavailable():
            while True:
                response = self._client.scan(**params)
                found.extend(_payment(from_item(item)) for item in response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found.sort(key=lambda p: (p.created_at, p.order_id))
        return found

    # ------------------------------------------------------------------ authorise
    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        with _outage_is_unavailable():
            found = self._read(order_id)
            if found is not None:
                return _replayed(found[0], amount, method)
            now = self._now()
            reference = _new_reference()
            if method.token in AUTHENTICATING_TEST_CARDS:
                client_secret = f"{reference}_secret_{secrets.token_hex(8)}"
                payment = Payment.awaiting_action(
                    order_id, reference, method, amount, now, NextAction("use_stripe_sdk", client_secret)
                )
            else:
                payment = Payment.authorized(order_id, reference, method, amount, now)
            declined = _decline_for(method)
            if declined is not None:
                winner = self._record_decline(order_id, amount, declined, now)
                if winner is None:
                    raise declined
                return _replayed(winner, amount, method)
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=_payment_item(payment, 1),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
                # Another delivery of this authorise (or a different one) got there first.
                return _replayed(self._require(order_id)[0], amount, method)
            return payment

    def _record_decline(
        self, order_id: str, amount: Money, declined: PaymentDeclined, now: datetime
    ) -> Payment | None:
        """Keep the failed attempt, unless the order meanwhile has a payment (returned instead)."""
        decline = to_item(
            {
                "pk": _pk(order_id),
                "sk": f"DECLINE#{new_id()}",
                "order_id": order_id,
                "decline_code": declined.decline_code,
                "amount": amount.amount,
                "currency": amount.currency,
                "at": isoformat(now),
            }
        )
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": _payment_key(order_id),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": decline}},
                ]
            )
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if not reasons:
                raise
            if reasons[0] != "ConditionalCheckFailed":
                raise PaymentUnavailable(
                    f"The attempt could not be recorded ({', '.join(reasons)})."
                ) from None
            return self._require(order_id)[0]
        return None

    # ------------------------------------------------------------------ 3-D Secure
    def authenticate(self, order_id: str, *, succeed: bool) -> Payment:
        """The customer's answer to the 3-D Secure challenge (Stripe.js, in real life).

        Success holds the amount; failure keeps nothing held and leaves the failure for
        ``complete`` to report, as Stripe leaves ``last_payment_error`` on the intent.
        """
        if succeed:
            return self._move(order_id, Payment.authorized_at)
        with _outage_is_unavailable():
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_payment_key(order_id),
                    UpdateExpression="SET failure_code = :code, version = version + :one",
                    ConditionExpression="#status = :awaiting",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=to_item(
                        {
                            ":code": "authentication_failed",
                            ":one": 1,
                            ":awaiting": PaymentStatus.REQUIRES_ACTION.value,
                        }
                    ),
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
            return self._require(order_id)[0]

    def complete(self, order_id: str) -> Payment:
        with _outage_is_unavailable():
            response = self._client.get_item(
                TableName=self._table, Key=_payment_key(order_id), ConsistentRead=True
            )
        if "Item" not in response:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        values = from_item(response["Item"])
        payment = _payment(values)
        if payment.status is PaymentStatus.REQUIRES_ACTION and values.get("failure_code"):
            raise PaymentDeclined(
                "We are unable to authenticate your payment method.", str(values["failure_code"])
            )
        return payment

    def stripe_event(self, order_id: str, event_type: str) -> dict[str, Any]:
        """The event Stripe would send now about the order's PaymentIntent (``event_type`` such as
        ``payment_intent.amount_capturable_updated``), its object as the simulator records it."""
        payment, _ = self._require(order_id)
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "type": event_type,
            "created": int(self._clock().timestamp()),
            "livemode": False,
            "data": {
                "object": {
                    "id": payment.reference,
                    "object": "payment_intent",
                    "amount": payment.amount.amount,
                    "amount_capturable": payment.held.amount,
                    "amount_received": payment.captured.amount,
                    "currency": payment.amount.currency.lower(),
                    "capture_method": "manual",
                    "status": _STRIPE_STATUS[payment.status],
                    "metadata": {"order_id": order_id},
                }
            },
        }

    # ------------------------------------------------------------------ capture and void
    def capture(self, order_id: str) -> Payment:
        return self._move(order_id, Payment.captured_at)

    def void(self, order_id: str) -> Payment:
        return self._move(order_id, Payment.voided_at)

    def _move(self, order_id: str, transition: Callable[[Payment, datetime], Payment]) -> Payment:
        """Apply ``transition`` if the payment is still in the state and version it was read in."""
        with _outage_is_unavailable():
            for _ in range(_MAX_ATTEMPTS):
                current, version = self._require(order_id)
                after = transition(current, self._now())
                if after is current:
                    return current
                try:
                    self._client.update_item(
                        TableName=self._table,
                        Key=_payment_key(order_id),
                        UpdateExpression="SET #status = :status, captured = :captured, "
                        "updated_at = :at, version = :next",
                        ConditionExpression="#status = :from AND version = :version",
                        ExpressionAttributeNames={"#status": "status"},
                        ExpressionAttributeValues=to_item(
                            {
                                ":status": after.status.value,
                                ":captured": after.captured.amount,
                                ":at": isoformat(after.updated_at),
                                ":next": version + 1,
                                ":from": current.status.value,
                                ":version": version,
                            }
                        ),
                    )
                except ClientError as error:
                    if not condition_failed(error):
                        raise
                    continue  # someone else moved it: read again and decide again
                return after
        raise PaymentUnavailable("The payment kept changing under this request; try again.")

    # ------------------------------------------------------------------ refund
    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        if not refund_id:
            raise InvalidInput(
                "A refund needs an id to be safe to retry.",
                code="invalid_refund_id",
                errors=[FieldError("refund_id", "must not be empty")],
            )
        with _outage_is_unavailable():
            for _ in range(_MAX_ATTEMPTS):
                if self._already_refunded(order_id, refund_id, amount):
                    return self._require(order_id)[0]
                current, version = self._require(order_id)
                after = current.refunded_by(amount, self._now())
                reasons = self._write_refund(after, version, refund_id, amount)
                if not reasons:
                    return after
                if not _LOST_RACE.intersection(reasons):
                    raise PaymentUnavailable(f"The refund could not be written ({', '.join(reasons)}).")
                # The refund id was written meanwhile (a replay: the next round returns the payment), or
                # another refund moved the version: read again and decide again.
        raise PaymentUnavailable("The payment kept changing under this refund; try again.")

    def _already_refunded(self, order_id: str, refund_id: str, amount: Money) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key=_refund_key(order_id, refund_id), ConsistentRead=True
        )
        if "Item" not in response:
            return False
        stored = from_item(response["Item"])
        if Money(int(stored["amount"]), str(stored["currency"])) != amount:
            raise Conflict(
                "This refund id was already used for another amount.",
                code="refund_mismatch",
                extra={"refund_id": refund_id},
            )
        return True

    def _write_refund(self, after: Payment, version: int, refund_id: str, amount: Money) -> list[str]:
        """One transaction: the refund record if absent, and the payment if still at ``version``.
        Returns the cancellation reasons (``[]`` when written)."""
        refund = to_item(
            {
                "pk": _pk(after.order_id),
                "sk": f"REFUND#{refund_id}",
                "order_id": after.order_id,
                "refund_id": refund_id,
                "amount": amount.amount,
                "currency": amount.currency,
                "at": isoformat(after.updated_at),
            }
        )
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": refund,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _payment_key(after.order_id),
                            "UpdateExpression": "SET refunded = refunded + :amount, #status = :status, "
                            "updated_at = :at, version = version + :one",
                            "ConditionExpression": "version = :version",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": to_item(
                                {
                                    ":amount": amount.amount,
                                    ":status": after.status.value,
                                    ":at": isoformat(after.updated_at),
                                    ":one": 1,
                                    ":version": version,
                                }
                            ),
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = transaction_cancel_reasons(error)
            if len(reasons) < 2:
                raise
            return reasons
        return []
