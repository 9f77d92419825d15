"""PayPal (Orders v2 with intent ``AUTHORIZE``, Payments v2) behind the ``PaymentProvider`` port.

One PayPal order per platform order, its PayPal id recorded by the platform as the payment's
``reference`` and handed back through ``references``; otherwise the adapter keeps no state: every
answer is PayPal's order, read and mapped.

| port        | PayPal                                                                              |
|-------------|-------------------------------------------------------------------------------------|
| authorize   | ``POST /v2/checkout/orders`` -> ``requires_action`` (the buyer approves at PayPal)  |
| complete    | ``GET`` the order; once ``APPROVED``: ``POST .../orders/{id}/authorize``            |
| capture     | ``POST /v2/payments/authorizations/{id}/capture`` (the whole amount, final)         |
| void        | ``POST /v2/payments/authorizations/{id}/void``                                      |
| refund      | ``POST /v2/payments/captures/{id}/refund`` (the refund id kept as its custom_id)    |
| find        | ``GET /v2/checkout/orders/{id}``: authorizations, captures and refunds mapped       |

Every write carries ``PayPal-Request-Id: <order id>-<step>`` (``-refund-<refund id>`` for refunds), so
a retried step is applied once by PayPal, and is decided from the order as PayPal shows it first, so a
step that already happened is answered without a write. After a write the order is read again: what a
step returns is what ``find`` returns. Money crosses as PayPal's decimal strings, converted exactly
from integer minor units by the currency's exponent (``"12.34"`` EUR, ``"1500"`` JPY).

Errors: no connection, a timeout, 408, 409, 429 and 5xx are ``PaymentUnavailable`` (the state machine
retries); 401 is ``ConfigurationError`` (wrong or revoked credentials); 404 is
``NotFound(code="payment_not_found")``; a declined authorisation (a 422 such as
``INSTRUMENT_DECLINED``, or an authorisation PayPal ``DENIED``) is ``PaymentDeclined`` with PayPal's
issue lower-cased as its ``decline_code``.

Voiding an order the buyer never approved (or approved but was never authorised) holds nothing at
PayPal and Orders v2 has no call to cancel it: the payment is returned ``voided`` and the PayPal order
is left to expire unpaid (PayPal's approval links lapse after 3 hours); the platform must not
``complete`` an order it voided. ``find`` still shows such a payment as ``requires_action``, with
nothing held or taken.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import requests
from apimatic_core.exceptions.auth_validation_exception import (  # type: ignore[import-untyped]
    AuthValidationException,
)
from paypalserversdk.configuration import Environment  # type: ignore[import-untyped]
from paypalserversdk.exceptions.api_exception import ApiException  # type: ignore[import-untyped]
from paypalserversdk.http.auth.o_auth_2 import (  # type: ignore[import-untyped]
    ClientCredentialsAuthCredentials,
)
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown  # type: ignore[import-untyped]
from paypalserversdk.models.capture_request import CaptureRequest  # type: ignore[import-untyped]
from paypalserversdk.models.checkout_payment_intent import (  # type: ignore[import-untyped]
    CheckoutPaymentIntent,
)
from paypalserversdk.models.money import Money as PayPalMoney  # type: ignore[import-untyped]
from paypalserversdk.models.order_request import OrderRequest  # type: ignore[import-untyped]
from paypalserversdk.models.payment_source import PaymentSource  # type: ignore[import-untyped]
from paypalserversdk.models.paypal_wallet import PaypalWallet  # type: ignore[import-untyped]
from paypalserversdk.models.paypal_wallet_experience_context import (  # type: ignore[import-untyped]
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest  # type: ignore[import-untyped]
from paypalserversdk.models.refund_request import RefundRequest  # type: ignore[import-untyped]
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient  # type: ignore[import-untyped]

from commerce.clock import Clock
from commerce.errors import CommerceError, Conflict, DependencyFailure, FieldError, InvalidInput, NotFound
from commerce.money import CURRENCY_EXPONENTS, Money
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

__all__ = ["PayPalPayments", "PayPalRejected", "paypal_client", "paypal_value"]

PayPalEnvironment = Literal["sandbox", "production"]

#: Seconds before a PayPal call is abandoned as unavailable (a Lambda step has little more).
TIMEOUT_SECONDS = 10

_ENVIRONMENTS = {"sandbox": Environment.SANDBOX, "production": Environment.PRODUCTION}

#: HTTP statuses that mean "not now": the caller retries.
_RETRYABLE_STATUSES = frozenset({408, 409, 429})

#: Every answer in full, so a write's result can be checked (PayPal's default is ``return=minimal``).
_REPRESENTATION = "return=representation"

#: Authorisation statuses under which the amount is held.
_HOLDING = frozenset({"CREATED", "PENDING", "PARTIALLY_CAPTURED"})

#: Captures and refunds that count: money moved, or is moving.
_MOVED_CAPTURES = frozenset({"COMPLETED", "PENDING", "PARTIALLY_REFUNDED", "REFUNDED"})
_MOVED_REFUNDS = frozenset({"COMPLETED", "PENDING"})

#: Order statuses that wait for the buyer at PayPal.
_AWAITING_BUYER = frozenset({"CREATED", "SAVED", "PAYER_ACTION_REQUIRED"})

_PAYPAL = PaymentMethod(PaymentMethodKind.PAYPAL)


class PayPalRejected(DependencyFailure):
    """PayPal refused a request in a way the adapter does not expect (a 400, 403 or an unknown 422):
    not retryable, and not the customer's doing. ``issue`` is PayPal's (``INVALID_PARAMETER_VALUE``)."""

    default_code = "payment_provider_rejected"

    def __init__(self, detail: str, *, status: int, issue: str | None, debug_id: str | None) -> None:
        super().__init__(detail, extra={"status": status, "issue": issue, "debug_id": debug_id})
        self.status = status
        self.issue = issue


# ---------------------------------------------------------------------------------------------- client


def paypal_client(
    client_id: str,
    client_secret: str,
    *,
    environment: PayPalEnvironment = "sandbox",
    http_client: Any = None,
) -> Any:
    """The SDK client, its HTTP client injectable (anything with a ``requests`` ``session``).

    The OAuth token is fetched by the adapter's own provider rather than the SDK's: the SDK's swallows
    every failure to fetch one (a 401 and a 503 alike become "OAuthToken is undefined"), this one lets
    the failure through so it can be told apart. The token is fetched once and reused until it expires.
    SDK retries are off (the order saga retries) and SDK logging is not configured, so the Basic
    credentials and bearer tokens in headers are never logged.
    """
    if environment not in _ENVIRONMENTS:
        raise ConfigurationError(f"Unknown PayPal environment {environment!r}; use sandbox or production.")
    credentials = ClientCredentialsAuthCredentials(
        o_auth_client_id=client_id,
        o_auth_client_secret=client_secret,
        o_auth_token_provider=_fetch_token,
    )
    return PaypalServersdkClient(
        http_client_instance=http_client,
        timeout=TIMEOUT_SECONDS,
        max_retries=0,
        environment=_ENVIRONMENTS[environment],
        client_credentials_auth_credentials=credentials,
    )


def _fetch_token(last_token: Any, auth: Any) -> Any:
    """A fresh token from ``/v1/oauth2/token``; failures propagate (``ApiException``, network errors)."""
    return auth.fetch_token()


# ---------------------------------------------------------------------------------------------- money


def paypal_value(amount: Money) -> str:
    """Integer minor units as PayPal's decimal string: ``Money(1234, "EUR")`` -> ``"12.34"``,
    ``Money(1500, "JPY")`` -> ``"1500"``. Exact: never through a float."""
    exponent = CURRENCY_EXPONENTS[amount.currency]
    return f"{Decimal(amount.amount).scaleb(-exponent):.{exponent}f}"


def _money(value: dict[str, Any]) -> Money:
    """PayPal's ``{currency_code, value}`` back into minor units; a value with more digits than the
    currency has is PayPal breaking its own rule, not something to round."""
    currency = str(value["currency_code"])
    if currency not in CURRENCY_EXPONENTS:
        raise PayPalRejected(f"PayPal answered in {currency}.", status=200, issue=None, debug_id=None)
    try:
        minor = Decimal(str(value["value"])).scaleb(CURRENCY_EXPONENTS[currency])
    except InvalidOperation:
        minor = Decimal("NaN")
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise PayPalRejected(
            f"PayPal answered {value['value']!r} {currency}.", status=200, issue=None, debug_id=None
        )
    return Money(int(minor), currency)


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


# ---------------------------------------------------------------------------------------------- errors


@contextmanager
def _translated_errors() -> Iterator[None]:
    """PayPal's failures as the port's errors; ``PayPalRejected`` for the rest, for callers to refine."""
    try:
        yield
    except ApiException as error:
        raise _from_status(error) from error
    except requests.RequestException as error:
        # No connection, a timeout, a connection dropped mid-answer: PayPal may or may not have acted.
        raise PaymentUnavailable("PayPal could not be reached; try again.") from error
    except AuthValidationException as error:
        # Only with a client built elsewhere, whose SDK token provider hides why no token came.
        raise PaymentUnavailable("No PayPal access token could be obtained; try again.") from error


def _from_status(error: Any) -> CommerceError:
    status = int(error.response_code)
    body = _json(getattr(error.response, "text", None))
    details = body.get("details") if isinstance(body.get("details"), list) else []
    issue = details[0].get("issue") if details and isinstance(details[0], dict) else None
    issue = issue or body.get("name") or body.get("error")
    debug_id = body.get("debug_id")
    if status == 401:
        return ConfigurationError("PayPal refused the client credentials (401); check the PayPal secret.")
    if status == 404:
        return NotFound("PayPal has no such order or payment.", code="payment_not_found")
    if status in _RETRYABLE_STATUSES or status >= 500:
        return PaymentUnavailable(f"PayPal is unavailable ({status}); try again.")
    message = body.get("message") or body.get("error_description") or f"PayPal answered {status}."
    if details and isinstance(details[0], dict) and details[0].get("description"):
        message = str(details[0]["description"])
    return PayPalRejected(str(message), status=status, issue=issue, debug_id=debug_id)


def _json(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        decoded = json.loads(text)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


# ---------------------------------------------------------------------------------------------- the order


def _unit(order: dict[str, Any]) -> dict[str, Any]:
    units = order.get("purchase_units") or [{}]
    unit: dict[str, Any] = units[0]
    return unit


def _payments(order: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (_unit(order).get("payments") or {}).get(kind) or []
    return found


def _authorization(order: dict[str, Any]) -> dict[str, Any] | None:
    """The order's authorisation (the adapter never reauthorises, so there is at most one)."""
    authorizations = _payments(order, "authorizations")
    return authorizations[-1] if authorizations else None


def _approval_link(order: dict[str, Any]) -> str | None:
    links = {link.get("rel"): link.get("href") for link in order.get("links") or []}
    return links.get("payer-action") or links.get("approve")


def _decline_code(authorization: dict[str, Any]) -> str:
    reason = (authorization.get("status_details") or {}).get("reason")
    return str(reason).lower() if reason else "authorization_denied"


class PayPalPayments(PaymentProvider):
    name = "paypal"

    def __init__(
        self,
        client: Any,
        references: Callable[[str], str | None],
        clock: Clock,
        return_url: str,
        cancel_url: str,
    ) -> None:
        self._client = client
        self._references = references
        self._clock = clock
        self._return_url = return_url
        self._cancel_url = cancel_url

    @classmethod
    def from_secret(
        cls,
        secret_name: str,
        references: Callable[[str], str | None],
        clock: Clock,
        return_url: str,
        cancel_url: str,
        environment: PayPalEnvironment = "sandbox",
        http_client: Any = None,
    ) -> PayPalPayments:
        """Credentials from a Secrets Manager secret ``{"client_id": ..., "client_secret": ...}``, read
        through Powertools parameters (cached five minutes across invocations). Never logged."""
        from aws_lambda_powertools.utilities import parameters

        secret = parameters.get_secret(secret_name, max_age=300, transform="json")
        if not isinstance(secret, dict) or not all(
            isinstance(secret.get(key), str) and secret.get(key) for key in ("client_id", "client_secret")
        ):
            raise ConfigurationError(f"The secret {secret_name} needs a client_id and a client_secret.")
        client = paypal_client(
            secret["client_id"], secret["client_secret"], environment=environment, http_client=http_client
        )
        return cls(client, references, clock, return_url, cancel_url)

    # ------------------------------------------------------------------ PayPal calls
    def _get(self, reference: str) -> dict[str, Any]:
        with _translated_errors():
            response = self._client.orders.get_order({"id": reference})
        return _json(response.text)

    def _write(self, call: Callable[[dict[str, Any]], Any], options: dict[str, Any]) -> dict[str, Any]:
        with _translated_errors():
            response = call({**options, "prefer": _REPRESENTATION})
        return _json(response.text)

    def _reference(self, order_id: str) -> str:
        reference = self._references(order_id)
        if reference is None:
            raise NotFound(f"Order {order_id} has no payment.", code="payment_not_found")
        return reference

    def _order(self, order_id: str) -> dict[str, Any]:
        return self._get(self._reference(order_id))

    # ------------------------------------------------------------------ mapping
    def _payment(self, order_id: str, order: dict[str, Any]) -> Payment:
        """PayPal's order as the platform's payment: what is held, captured and refunded."""
        amount = _money(_unit(order)["amount"])
        zero = Money.zero(amount.currency)
        authorization = _authorization(order)
        captures = [c for c in _payments(order, "captures") if c.get("status") in _MOVED_CAPTURES]
        refunds = [r for r in _payments(order, "refunds") if r.get("status") in _MOVED_REFUNDS]
        captured = sum((_money(c["amount"]) for c in captures), zero)
        refunded = sum((_money(r["amount"]) for r in refunds), zero)
        next_action = None
        if captures:
            if refunded.amount == 0:
                status = PaymentStatus.CAPTURED
            elif refunded == captured:
                status = PaymentStatus.REFUNDED
            else:
                status = PaymentStatus.PARTIALLY_REFUNDED
        elif authorization is not None:
            held = authorization.get("status") in _HOLDING
            status = PaymentStatus.AUTHORIZED if held else PaymentStatus.VOIDED
        elif order.get("status") == "VOIDED":
            status = PaymentStatus.VOIDED
        else:
            status = PaymentStatus.REQUIRES_ACTION
            link = _approval_link(order)
            next_action = NextAction("redirect_to_url", url=link) if link else None
        stamps = [
            stamp
            for resource in [order, *_payments(order, "authorizations"), *captures, *refunds]
            for stamp in (_instant(resource.get("create_time")), _instant(resource.get("update_time")))
            if stamp is not None
        ]
        created_at = _instant(order.get("create_time")) or (min(stamps) if stamps else self._clock())
        return Payment(
            order_id=order_id,
            reference=str(order["id"]),
            method=_PAYPAL,
            amount=amount,
            captured=captured,
            refunded=refunded,
            status=status,
            created_at=created_at,
            updated_at=max(stamps) if stamps else created_at,
            next_action=next_action,
        )

    # ------------------------------------------------------------------ authorise
    def authorize(self, order_id: str, amount: Money, method: PaymentMethod) -> Payment:
        reference = self._references(order_id)
        if reference is not None:
            payment = self._payment(order_id, self._get(reference))
            return _replayed(payment, amount, method)
        if method.kind is not PaymentMethodKind.PAYPAL:
            raise PaymentDeclined(
                f"PayPal does not take {method.kind.value} payments.", "payment_method_not_supported"
            )
        if method.token is not None:
            raise PaymentDeclined(
                "PayPal orders are created by the platform; this one is unknown.", "payment_method_unknown"
            )
        if amount.amount < 1:
            raise InvalidInput(
                "A payment is for at least one minor unit.",
                code="invalid_amount",
                errors=[FieldError("amount.amount", f"{amount.amount} is not a positive amount")],
            )
        body = OrderRequest(
            intent=CheckoutPaymentIntent.AUTHORIZE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(currency_code=amount.currency, value=paypal_value(amount)),
                    reference_id=order_id,
                    custom_id=order_id,
                    invoice_id=order_id,
                )
            ],
            payment_source=PaymentSource(
                paypal=PaypalWallet(
                    experience_context=PaypalWalletExperienceContext(
                        return_url=self._return_url,
                        cancel_url=self._cancel_url,
                        shipping_preference="NO_SHIPPING",
                        user_action="PAY_NOW",
                    )
                )
            ),
        )
        try:
            created = self._write(
                self._client.orders.create_order, {"body": body, "paypal_request_id": f"{order_id}-authorize"}
            )
        except PayPalRejected as rejected:
            if rejected.status == 422 and rejected.issue:
                raise PaymentDeclined(rejected.detail, rejected.issue.lower()) from rejected
            raise
        # A replayed PayPal-Request-Id answers the order first created, whatever this call asked for.
        return _replayed(self._payment(order_id, created), amount, method)

    # ------------------------------------------------------------------ complete
    def complete(self, order_id: str) -> Payment:
        reference = self._reference(order_id)
        order = self._get(reference)
        if _authorization(order) is None and order.get("status") == "APPROVED":
            try:
                self._write(
                    self._client.orders.authorize_order,
                    {"id": reference, "paypal_request_id": f"{order_id}-complete"},
                )
            except PayPalRejected as rejected:
                if rejected.issue not in ("ORDER_ALREADY_AUTHORIZED", "ORDER_NOT_APPROVED"):
                    if rejected.status == 422 and rejected.issue:
                        raise PaymentDeclined(rejected.detail, rejected.issue.lower()) from rejected
                    raise
            order = self._get(reference)
        authorization = _authorization(order)
        if authorization is not None and authorization.get("status") == "DENIED":
            raise PaymentDeclined("PayPal denied the authorisation.", _decline_code(authorization))
        if authorization is None and order.get("status") == "VOIDED":
            raise PaymentDeclined(
                "The buyer left PayPal without approving the payment.", "payer_action_abandoned"
            )
        return self._payment(order_id, order)

    # ------------------------------------------------------------------ capture and void
    def capture(self, order_id: str) -> Payment:
        reference = self._reference(order_id)
        order = self._get(reference)
        payment = self._payment(order_id, order)
        if payment.captured_at(self._clock()) is payment:  # raises payment_not_capturable
            return payment
        authorization = _authorization(order)
        assert authorization is not None  # an authorized payment has its authorisation
        try:
            self._write(
                self._client.payments.capture_authorized_payment,
                {
                    "authorization_id": authorization["id"],
                    "paypal_request_id": f"{order_id}-capture",
                    "body": CaptureRequest(
                        amount=PayPalMoney(
                            currency_code=payment.amount.currency, value=paypal_value(payment.amount)
                        ),
                        final_capture=True,
                    ),
                },
            )
        except PayPalRejected as rejected:
            if rejected.issue in ("AUTHORIZATION_VOIDED", "AUTHORIZATION_EXPIRED", "AUTHORIZATION_DENIED"):
                raise Conflict(
                    "PayPal no longer holds this payment.",
                    code="payment_not_capturable",
                    extra={"issue": rejected.issue},
                ) from rejected
            if rejected.issue != "AUTHORIZATION_ALREADY_CAPTURED":
                raise
        return self._payment(order_id, self._get(reference))

    def void(self, order_id: str) -> Payment:
        reference = self._reference(order_id)
        order = self._get(reference)
        payment = self._payment(order_id, order)
        voided = payment.voided_at(self._clock())  # raises payment_not_voidable once captured
        if voided is payment or payment.status is PaymentStatus.REQUIRES_ACTION:
            # Nothing is held for an order the buyer has not approved (or that was not authorised yet).
            return voided
        authorization = _authorization(order)
        assert authorization is not None  # an authorized payment has its authorisation
        try:
            self._write(
                self._client.payments.void_payment,
                {"authorization_id": authorization["id"], "paypal_request_id": f"{order_id}-void"},
            )
        except PayPalRejected as rejected:
            if rejected.issue == "PREVIOUSLY_CAPTURED":
                raise Conflict(
                    "A captured payment cannot be voided; refund it instead.", code="payment_not_voidable"
                ) from rejected
            if rejected.issue not in ("PREVIOUSLY_VOIDED", "AUTHORIZATION_VOIDED"):
                raise
        return self._payment(order_id, self._get(reference))

    # ------------------------------------------------------------------ refund
    def refund(self, order_id: str, amount: Money, refund_id: str) -> Payment:
        if not refund_id:
            raise InvalidInput(
                "A refund needs an id to be safe to retry.",
                code="invalid_refund_id",
                errors=[FieldError("refund_id", "must not be empty")],
            )
        reference = self._reference(order_id)
        order = self._get(reference)
        payment = self._payment(order_id, order)
        given = [r for r in _payments(order, "refunds") if r.get("custom_id") == refund_id]
        if given:
            if _money(given[0]["amount"]) != amount:
                raise Conflict(
                    "This refund id was already used for another amount.",
                    code="refund_mismatch",
                    extra={"refund_id": refund_id},
                )
            return payment
        payment.refunded_by(amount, self._clock())  # the domain's rules, before asking PayPal
        capture = next(c for c in _payments(order, "captures") if c.get("status") in _MOVED_CAPTURES)
        try:
            self._write(
                self._client.payments.refund_captured_payment,
                {
                    "capture_id": capture["id"],
                    "paypal_request_id": f"{order_id}-refund-{refund_id}",
                    "body": RefundRequest(
                        amount=PayPalMoney(currency_code=amount.currency, value=paypal_value(amount)),
                        custom_id=refund_id,
                    ),
                },
            )
        except PayPalRejected as rejected:
            if rejected.issue in ("REFUND_AMOUNT_EXCEEDED", "CAPTURE_FULLY_REFUNDED"):
                raise InvalidInput(
                    f"Only {payment.refundable} of this payment can still be refunded.",
                    code="refund_exceeds_captured",
                    extra={"refundable": {"amount": payment.refundable.amount, "currency": amount.currency}},
                ) from rejected
            raise
        return self._payment(order_id, self._get(reference))

    # ------------------------------------------------------------------ find
    def find(self, order_id: str) -> Payment | None:
        reference = self._references(order_id)
        if reference is None:
            return None
        try:
            order = self._get(reference)
        except NotFound:
            return None
        return self._payment(order_id, order)


def _replayed(payment: Payment, amount: Money, method: PaymentMethod) -> Payment:
    """An authorise delivered again gets the order's payment; another amount or method is a bug."""
    other_method = method.kind is not PaymentMethodKind.PAYPAL or method.token not in (
        None,
        payment.reference,
    )
    if payment.amount != amount or other_method:
        raise Conflict(
            "This order already has a payment for another amount or payment method.",
            code="payment_mismatch",
            extra={"reference": payment.reference},
        )
    return payment
