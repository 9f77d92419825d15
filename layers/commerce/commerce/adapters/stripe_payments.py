"""Stripe behind the ``PaymentProvider`` port: one PaymentIntent per order, authorised with
``capture_method=manual`` and captured, cancelled or refunded later.

The adapter keeps no state of its own. The platform records the PaymentIntent id on the order and
hands it back through ``references(order_id)``; Stripe's books are the truth, read fresh on every
call. Every write carries an idempotency key derived from the order (``<order>-authorize``,
``<order>-capture``, ``<order>-void``, ``<order>-refund-<refund_id>``), so a step delivered twice, or
retried after a lost answer, is applied once by Stripe itself.

Stripe reports a few things the domain needs in its own terms:

| Stripe                                        | domain                                          |
|-----------------------------------------------|-------------------------------------------------|
| ``requires_capture``                          | ``authorized``                                  |
| ``requires_action``                           | ``requires_action`` (``use_stripe_sdk``)         |
| ``succeeded`` (+ charge ``amount_refunded``)  | ``captured`` / ``partially_refunded`` / ``refunded`` |
| ``canceled``                                  | ``voided``                                      |
| ``requires_payment_method`` + error           | ``PaymentDeclined`` (nothing is held)           |
| 402 ``card_error``                            | ``PaymentDeclined`` with Stripe's decline code  |
| 429, connection errors, 409/5xx               | ``PaymentUnavailable`` (the saga retries)       |
| ``idempotency_error``                         | ``Conflict(payment_mismatch)``                  |
| 401/403                                       | ``ConfigurationError`` (a wrong or limited key) |

Stripe's test PaymentMethods (``pm_card_visa``...) are aliases: each use creates a new ``pm_...``,
so the token the order was placed with is kept in the intent's metadata and compared from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import stripe

from commerce.clock import Clock
from commerce.errors import Conflict, InvalidInput, NotFound
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
from commerce.settings import ConfigurationError

if TYPE_CHECKING:
    from stripe import PaymentIntent, RequestOptions

__all__ = ["StripePayments"]

#: Expanding the latest charge gives ``amount_refunded`` in the same read as the intent.
_EXPAND = ["latest_charge"]

#: Network retries inside the SDK in production; safe because every write has an idempotency key.
_NETWORK_RETRIES = 2

_UNAVAILABLE = "The payment provider is unavailable; try again."


def _api_key(secret: str | dict[str, Any]) -> str:
    """The secret is a bare ``sk_...`` key or a JSON document ``{"api_key": "sk_..."}``."""
    if isinstance(secret, dict):
        value = secret.get("api_key")
    else:
        text = secret.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text).get("api_key")
            except (ValueError, AttributeError):
                value = None
        else:
            value = text
    if not isinstance(value, str) or not value:
        raise ConfigurationError('The Stripe secret holds no API key (a bare key or {"api_key": ...}).')
    return value


def _timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _expanded(field: Any) -> Any | None:
    """An expandable field that was expanded (an object), or ``None`` when Stripe sent only an id."""
    return None if field is None or isinstance(field, str) else field


def _metadata(holder: Any) -> dict[str, str]:
    """A Stripe object's metadata as a plain dict (a ``StripeObject`` is no longer a ``dict`` in stripe 16)."""
    metadata = getattr(holder, "metadata", None)
    if metadata is None:
        return {}
    return {str(key): str(value) for key, value in metadata.to_dict().items()}


def _token(intent: PaymentIntent) -> str | None:
    """The PaymentMethod the order was placed with: the alias kept in metadata, else Stripe's id."""
    metadata = _metadata(intent)
    if "payment_method" in metadata:
        return str(metadata["payment_method"])
    method = intent.payment_method
    if method is None or isinstance(method, str):
        return method
    return str(method.id)


def _declined(intent: PaymentIntent, default_code: str) -> PaymentDeclined:
    error = intent.last_payment_error
    if error is None:
        return PaymentDeclined("The payment needs another payment method.", default_code)
    return PaymentDeclined(
        error.message or "The payment was declined.", error.decline_code or error.code or default_code
    )


def _payment(order_id: str, intent: PaymentIntent, *, default_decline: str = "generic_decline") -> Payment:
    """The domain's view of an intent. A declined intent (``requires_payment_method``) holds
    nothing: it is ``PaymentDeclined``, raised."""
    currency = intent.currency.upper()
    amount = Money(intent.amount, currency)
    method = PaymentMethod(PaymentMethodKind.CARD, _token(intent))
    created = _timestamp(intent.created)
    charge = _expanded(intent.latest_charge)
    moments = [intent.created, intent.canceled_at or 0, charge.created if charge is not None else 0]
    updated = _timestamp(max(moments))
    zero = Money.zero(currency)
    match intent.status:
        case "requires_capture":
            status, captured, next_action = PaymentStatus.AUTHORIZED, zero, None
        case "requires_action":
            next_action = NextAction("use_stripe_sdk", client_secret=intent.client_secret)
            status, captured = PaymentStatus.REQUIRES_ACTION, zero
        case "canceled":
            status, captured, next_action = PaymentStatus.VOIDED, zero, None
        case "succeeded":
            status, captured, next_action = (
                PaymentStatus.CAPTURED,
                Money(intent.amount_received, currency),
                None,
            )
        case "requires_payment_method":
            raise _declined(intent, default_decline)
        case _:  # processing, requires_confirmation: Stripe has not decided yet
            raise PaymentUnavailable(f"The payment is still {intent.status} at Stripe; try again.")
    refunded = Money(charge.amount_refunded, currency) if charge is not None else zero
    if status is PaymentStatus.CAPTURED and refunded.amount > 0:
        status = PaymentStatus.REFUNDED if refunded == captured else PaymentStatus.PARTIALLY_REFUNDED
    return Payment(
        order_id, intent.id, method, amount, captured, refunded, status, created, updated, next_action
    )


def _mismatch(intent: PaymentIntent, amount: Money, method: PaymentMethod) -> bool:
    return (
        intent.amount != amount.amount
        or intent.currency.upper() != amount.currency
        or _token(intent) != method.token
    )


@contextmanager
def _stripe_errors(*, authorizing: bool = False) -> Iterator[None]:
    """Stripe's exceptions in the domain's terms; see the table in the module docstring."""
    try:
        yield
    except stripe.CardError as error:
        details = error.error
        decline_code = (details.decline_code if details else None) or error.code or "card_declined"
        raise PaymentDeclined(error.user_message or "The card was declined.", decline_code) from None
    except (stripe.RateLimitError, stripe.APIConnectionError) as error:
        raise PaymentUnavailable(_UNAVAILABLE) from error
    except stripe.IdempotencyError:
        raise Conflict(
            "This order already has a payment request with other details.", code="payment_mismatch"
        ) from None
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise ConfigurationError(
            f"Stripe refused the API key ({type(error).__name__}); check the configured secret."
        ) from None
    except stripe.InvalidRequestError as error:
        if error.code == "resource_missing" and authorizing and error.param == "payment_method":
            raise PaymentDeclined(
                error.user_message or "No such PaymentMethod.", "payment_method_unknown"
            ) from None
        if error.code == "resource_missing":
            raise NotFound("Stripe has no such payment.", code="payment_not_found") from None
        if error.code in {"amount_too_small", "amount_too_large"}:
            raise InvalidInput(
                error.user_message or "Stripe refused the amount.", code="invalid_amount"
            ) from None
        raise
    except stripe.APIError as error:
        if error.http_status is None or error.http_status >= 500 or error.http_status == 409:
            raise PaymentUnavailable(_UNAVAILABLE) from error
        raise


class StripePayments(PaymentProvider):
    name = "stripe"

    def __init__(
        self, client: stripe.StripeClient, references: Callable[[str], str | None], clock: Clock
    ) -> None:
        self._client = client
        self._references = references
        self._clock = clock

    @classmethod
    def from_secret(
        cls,
        secret_name: str,
        references: Callable[[str], str | None],
        clock: Clock,
        http_client: stripe.HTTPClient | None = None,
        *,
        max_network_retries: int = _NETWORK_RETRIES,
    ) -> StripePayments:
        """The adapter with its API key read from Secrets Manager (cached five minutes by Powertools)."""
        from aws_lambda_powertools.utilities import parameters

        key = _api_key(parameters.get_secret(secret_name, max_age=300))
        client = stripe.StripeClient(key, http_client=http_client, max_network_retries=max_network_retries)
        return cls(client, references, clock)

    # ------------------------------------------------------------------ reading
    def _retrieve(self, reference: str) -> PaymentIntent:
        return self._client.v1.payment_intents.retrieve(reference, {"expand": _EXPAND})

    def _intent(self, order_id: str) -> PaymentIntent:
        reference = self._references(order_id)
        if reference is None:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        return self._retrieve(reference)

    def find(self, order_id: str) -> Payment | None:
        """``None`` also when the only attempt was declined (failed 3-D Secure): nothing is held."""
        reference = self._references(order_id)
        if reference is None:
            return None
        with _stripe_errors():
            intent = self._retrieve(reference)
            if intent.status == "requires_payment_method":
                return None
            return _payment(order_id, intent)

    # ------------------------------------------------------------------ authorise
    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        if method.kind is not PaymentMethodKind.CARD:
            raise PaymentDeclined(
                f"Stripe does not take {method.kind.value} payments here.", "payment_method_not_supported"
            )
        if not method.token:
            raise PaymentDeclined("A card payment needs a PaymentMethod id.", "payment_method_unknown")
        with _stripe_errors(authorizing=True):
            reference = self._references(order_id)
            if reference is not None:
                intent = self._retrieve(reference)
                if _mismatch(intent, amount, method):
                    raise Conflict(
                        "This order already has a payment for another amount or payment method.",
                        code="payment_mismatch",
                        extra={"reference": intent.id},
                    )
                return _payment(order_id, intent)
            Payment.authorized(order_id, "-", method, amount, self._clock())  # the domain's amount rules
            intent = self._client.v1.payment_intents.create(
                {
                    "amount": amount.amount,
                    "currency": amount.currency.lower(),
                    "payment_method": method.token,
                    "allowed_payment_method_types": ["card"],
                    "capture_method": "manual",
                    "confirm": True,
                    "metadata": {"order_id": order_id, "payment_method": method.token},
                    "expand": _EXPAND,
                },
                self._options(f"{order_id}-authorize"),
            )
            return _payment(order_id, intent)

    def complete(self, order_id: str) -> Payment:
        with _stripe_errors():
            return _payment(order_id, self._intent(order_id), default_decline="authentication_failed")

    # ------------------------------------------------------------------ capture and void
    def capture(self, order_id: str) -> Payment:
        with _stripe_errors():
            intent = self._intent(order_id)
            if intent.status == "requires_payment_method":
                raise Conflict(
                    "A declined payment cannot be captured.",
                    code="payment_not_capturable",
                    extra={"status": "declined"},
                )
            current = _payment(order_id, intent)
            if current.captured_at(self._clock()) is current:
                return current
            captured = self._client.v1.payment_intents.capture(
                intent.id, {"expand": _EXPAND}, self._options(f"{order_id}-capture")
            )
            return _payment(order_id, captured)

    def void(self, order_id: str) -> Payment:
        with _stripe_errors():
            intent = self._intent(order_id)
            if intent.status != "requires_payment_method":  # a declined attempt is simply abandoned
                current = _payment(order_id, intent)
                if current.voided_at(self._clock()) is current:
                    return current
            canceled = self._client.v1.payment_intents.cancel(
                intent.id, {"expand": _EXPAND}, self._options(f"{order_id}-void")
            )
            return _payment(order_id, canceled)

    # ------------------------------------------------------------------ refund
    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        if not refund_id:
            raise InvalidInput("A refund needs an id to be safe to retry.", code="invalid_refund_id")
        with _stripe_errors():
            intent = self._intent(order_id)
            if self._already_refunded(intent.id, refund_id, amount):
                return _payment(order_id, self._retrieve(intent.id))
            if intent.status == "requires_payment_method":
                raise Conflict("A declined payment cannot be refunded.", code="payment_not_refundable")
            _payment(order_id, intent).refunded_by(amount, self._clock())  # the domain's refund rules
            try:
                self._client.v1.refunds.create(
                    {
                        "payment_intent": intent.id,
                        "amount": amount.amount,
                        "metadata": {"order_id": order_id, "refund_id": refund_id},
                    },
                    self._options(f"{order_id}-refund-{refund_id}"),
                )
            except stripe.InvalidRequestError as error:
                if error.code != "charge_exceeds_refundable":
                    raise
                # Another refund got there between our read and our write.
                latest = _payment(order_id, self._retrieve(intent.id))
                raise InvalidInput(
                    f"Only {latest.refundable} of this payment can still be refunded.",
                    code="refund_exceeds_captured",
                    extra={"refundable": {"amount": latest.refundable.amount, "currency": amount.currency}},
                ) from None
            return _payment(order_id, self._retrieve(intent.id))

    def _already_refunded(self, reference: str, refund_id: str, amount: Money) -> bool:
        """Whether Stripe already holds this refund (by the ``refund_id`` in its metadata); the
        idempotency key alone would forget it after 24 hours."""
        refunds = self._client.v1.refunds.list({"payment_intent": reference, "limit": 100})
        for refund in refunds.auto_paging_iter():
            if _metadata(refund).get("refund_id") != refund_id or refund.status in {
                "failed",
                "canceled",
            }:
                continue
            if refund.amount != amount.amount or refund.currency.upper() != amount.currency:
                raise Conflict(
                    "This refund id was already used for another amount.",
                    code="refund_mismatch",
                    extra={"refund_id": refund_id},
                )
            return True
        return False

    @staticmethod
    def _options(idempotency_key: str) -> RequestOptions:
        return {"idempotency_key": idempotency_key}
