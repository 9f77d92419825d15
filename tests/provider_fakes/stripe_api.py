"""Stripe's API played in-process, at the SDK's HTTP boundary.

``FakeStripeAPI`` is a ``stripe.HTTPClient``: hand it to ``stripe.StripeClient(key, http_client=fake)``
and the real SDK (encoding, headers, error classes, object construction) talks to it as it would to
api.stripe.com. Responses are built from the recorded objects in ``stripe_recorded/`` and follow
Stripe's rules for what the adapter relies on:

- PaymentIntents created with ``confirm=true`` and Stripe's test PaymentMethods (``pm_card_visa``
  authorises, ``pm_card_chargeDeclined...`` declines with 402, ``pm_card_authenticationRequired``
  asks for 3-D Secure), captured, cancelled, retrieved with ``expand[]=latest_charge``;
- refunds against the captured charge, never beyond what is left (``charge_exceeds_refundable``);
- the ``Idempotency-Key`` header: the same key with the same parameters replays the stored answer,
  with other parameters it is a 400 ``idempotency_error``; answers to requests that failed
  validation are not stored, like Stripe's.

Levers: ``authenticate`` (the customer's 3-D Secure), ``outage`` (nothing reaches Stripe),
``lose_next_response`` (Stripe applies the next write, its answer is lost), ``fail_next`` (a 429 or 5xx), and
``requests`` (everything sent, decoded) for assertions.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

__all__ = ["APPROVING", "DECLINING", "NEEDS_AUTHENTICATION", "FakeStripeAPI", "StripeRequest"]

RECORDED = Path(__file__).parent / "stripe_recorded"

#: Test PaymentMethods that authorise: alias -> (brand, last4, funding).
APPROVING: dict[str, tuple[str, str, str]] = {
    "pm_card_visa": ("visa", "4242", "credit"),
    "pm_card_mastercard": ("mastercard", "4444", "credit"),
    "pm_card_amex": ("amex", "8431", "credit"),
    "pm_card_visa_debit": ("visa", "5556", "debit"),
}

#: Test PaymentMethods that decline: alias -> (code, decline_code, param, message, last4).
DECLINING: dict[str, tuple[str, str, str | None, str, str]] = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", None, "Your card was declined.", "0002"),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        None,
        "Your card has insufficient funds.",
        "9995",
    ),
    "pm_card_chargeDeclinedExpiredCard": (
        "expired_card",
        "expired_card",
        "exp_month",
        "Your card has expired.",
        "0069",
    ),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "incorrect_cvc",
        "incorrect_cvc",
        "cvc",
        "Your card's security code is incorrect.",
        "0127",
    ),
    "pm_card_chargeDeclinedFraudulent": (
        "card_declined",
        "fraudulent",
        None,
        "Your card was declined.",
        "0019",
    ),
}

#: The test PaymentMethod whose payments wait for 3-D Secure.
NEEDS_AUTHENTICATION = "pm_card_authenticationRequired"

#: Stripe's smallest charge (50 cents or the equivalent; one figure is enough for tests).
MINIMUM_AMOUNT = 50

_CANCELABLE = {
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
}


def _recorded(name: str) -> dict[str, Any]:
    with (RECORDED / f"{name}.json").open() as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded


def _id(prefix: str) -> str:
    return f"{prefix}_3Fake{secrets.token_hex(10)}"


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``metadata[order_id]=x``, ``expand[0]=y``) back into dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        last = parts[-1]
        if last == "":
            last = str(len(node))
        node[last] = value

    def listify(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        items = {k: listify(v) for k, v in value.items()}
        if items and all(k.isdigit() for k in items):
            return [items[k] for k in sorted(items, key=int)]
        return items

    decoded: dict[str, Any] = listify(root)
    return decoded


class _Headers(dict[str, str]):
    """Response headers looked up case-insensitively, as ``requests`` gives them to the SDK."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in values.items()})

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class StripeRequest:
    """One request as it went over the wire: form or query parameters decoded."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "idempotency-key"), None)


class _Answer(Exception):
    """An HTTP answer other than 200, raised from inside a handler."""

    def __init__(self, status: int, body: dict[str, Any], *, store: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.store = store  # Stripe keeps the answer for the idempotency key once the endpoint ran


def _invalid(message: str, code: str, *, param: str | None = None, status: int = 400) -> _Answer:
    body = _recorded("error_invalid_request")
    error = body["error"]
    error.update(
        message=message,
        code=code,
        param=param,
        doc_url=f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    )
    if param is None:
        del error["param"]
    return _Answer(status, body)


@dataclass
class _Stored:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: str


class FakeStripeAPI(stripe.HTTPClient):
    """Stripe in a box: its books are ``intents``, ``charges`` and ``refunds`` (plain JSON dicts)."""

    name = "fake-stripe"

    def __init__(self, *, now: Callable[[], int] | None = None, api_key_prefix: str = "sk_test_") -> None:
        super().__init__()
        self.now = now or (lambda: int(time.time()))
        self.api_key_prefix = api_key_prefix
        self.requests: list[StripeRequest] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._stored: dict[str, _Stored] = {}
        self._down = False
        self._lose_next = False
        self._failures: list[tuple[int, dict[str, Any]]] = []

    # ------------------------------------------------------------------ levers
    @contextmanager
    def outage(self) -> Iterator[None]:
        """Inside: every request fails to connect; nothing is applied."""
        self._down = True
        try:
            yield
        finally:
            self._down = False

    def lose_next_response(self) -> None:
        """The next write (POST) is applied, then its answer is lost (a timeout after Stripe acted).
        Reads pass untouched: losing one would prove nothing."""
        self._lose_next = True

    @contextmanager
    def losing_next_response(self) -> Iterator[None]:
        """``lose_next_response`` for the block only: a write that never came leaves nothing armed."""
        self._lose_next = True
        try:
            yield
        finally:
            self._lose_next = False

    def fail_next(self, status: int, *, code: str | None = None, message: str | None = None) -> None:
        """The next request is answered with an error and not applied: 429 rate limit, 5xx, 401..."""
        if status == 429:
            error = {
                "type": "invalid_request_error",
                "code": code or "rate_limit",
                "message": message or "Too many requests hit the API too quickly.",
            }
        elif status == 401:
            error = {
                "type": "invalid_request_error",
                "message": message or "Invalid API Key provided: sk_test_****",
            }
        else:
            error = {"type": "api_error", "message": message or "An unknown error occurred."}
        self._failures.append((status, {"error": error}))

    def authenticate(self, intent_id: str, succeed: bool) -> None:
        """The customer completes (``succeed``) or fails 3-D Secure for a ``requires_action`` intent."""
        intent = self.intents[intent_id]
        if intent["status"] != "requires_action":
            raise AssertionError(f"{intent_id} is {intent['status']}, not waiting for authentication")
        intent["next_action"] = None
        if succeed:
            self._authorise(intent)
            return
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "doc_url": "https://stripe.com/docs/error-codes/authentication-required",
            "message": "The card was declined as the transaction requires authentication.",
            "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
        }

    # ------------------------------------------------------------------ books
    def intents_for(self, order_id: str) -> list[dict[str, Any]]:
        return [i for i in self.intents.values() if i["metadata"].get("order_id") == order_id]

    def charges_for(self, order_id: str) -> list[dict[str, Any]]:
        """Successful charges (holds or captures) of the order's intents."""
        ids = {i["id"] for i in self.intents_for(order_id)}
        return [c for c in self.charges.values() if c["payment_intent"] in ids and c["status"] == "succeeded"]

    # ------------------------------------------------------------------ HTTP
    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        split = urlsplit(url)
        query = parse_qsl(split.query, keep_blank_values=True)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        form = parse_qsl(body, keep_blank_values=True)
        sent = dict(headers or {})
        request = StripeRequest(method.upper(), split.path, decode_form(query + form), sent)
        self.requests.append(request)
        if self._down:
            raise stripe.APIConnectionError(
                "Unexpected error communicating with Stripe. (Network error: ConnectionError)",
                should_retry=True,
            )
        status, text, extra = self._answer(request)
        if self._lose_next and request.method == "POST":
            self._lose_next = False
            raise stripe.APIConnectionError(
                "Unexpected error communicating with Stripe. (Network error: ReadTimeout)", should_retry=True
            )
        response_headers = {
            "Content-Type": "application/json",
            "Request-Id": _id("req"),
            "Stripe-Version": sent.get("Stripe-Version", ""),
            **extra,
        }
        if request.idempotency_key:
            response_headers["Idempotency-Key"] = request.idempotency_key
        return text, status, _Headers(response_headers)

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the fake does not stream")

    def close(self) -> None:
        return None

    def _answer(self, request: StripeRequest) -> tuple[int, str, dict[str, str]]:
        if self._failures:
            status, body = self._failures.pop(0)
            return status, json.dumps(body), {}
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith(f"Bearer {self.api_key_prefix}"):
            body = {
                "error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_****"}
            }
            return 401, json.dumps(body), {}
        key = request.idempotency_key if request.method == "POST" else None
        if key is not None and key in self._stored:
            stored = self._stored[key]
            if (stored.method, stored.path, stored.params) != (request.method, request.path, request.params):
                error = {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same parameters they "
                    f"were first used with. Try using a key other than '{key}' if you meant to execute a "
                    "different request.",
                }
                return 400, json.dumps({"error": error}), {}
            return stored.status, stored.body, {"Idempotent-Replayed": "true"}
        try:
            status, text, store = 200, json.dumps(self._route(request)), True
        except _Answer as answer:
            status, text, store = answer.status, json.dumps(answer.body), answer.store
        if key is not None and store:
            self._stored[key] = _Stored(request.method, request.path, request.params, status, text)
        return status, text, {}

    def _route(self, request: StripeRequest) -> dict[str, Any]:
        parts = request.path.strip("/").split("/")
        params = request.params
        match request.method, parts:
            case "POST", ["v1", "payment_intents"]:
                return self._expand(self._create_intent(params), params)
            case "GET", ["v1", "payment_intents", intent_id]:
                return self._expand(self._intent(intent_id), params)
            case "POST", ["v1", "payment_intents", intent_id, "capture"]:
                return self._expand(self._capture(self._intent(intent_id)), params)
            case "POST", ["v1", "payment_intents", intent_id, "cancel"]:
                return self._expand(self._cancel(self._intent(intent_id), params), params)
            case "POST", ["v1", "refunds"]:
                return copy.deepcopy(self._refund(params))
            case "GET", ["v1", "refunds"]:
                return self._list_refunds(params)
        raise _invalid(
            f"Unrecognized request URL ({request.method}: {request.path}).", "url_invalid", status=404
        )

    # ------------------------------------------------------------------ payment intents
    def _intent(self, intent_id: str) -> dict[str, Any]:
        if intent_id not in self.intents:
            raise _invalid(
                f"No such payment_intent: '{intent_id}'", "resource_missing", param="intent", status=404
            )
        return self.intents[intent_id]

    def _expand(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(intent)
        expand = params.get("expand", [])
        if "latest_charge" in expand and shown["latest_charge"]:
            shown["latest_charge"] = copy.deepcopy(self.charges[shown["latest_charge"]])
        return shown

    def _create_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        if "payment_method_types" in params:
            raise _invalid(
                "payment_method_types is no longer supported on this API version; "
                "use allowed_payment_method_types instead.",
                "payment_method_types_no_longer_supported",
                param="payment_method_types",
            )
        for required in ("amount", "currency"):
            if required not in params:
                raise _invalid(f"Missing required param: {required}.", "parameter_missing", param=required)
        if not params["amount"].isdigit():
            raise _invalid(
                "Invalid integer: " + params["amount"], "parameter_invalid_integer", param="amount"
            )
        amount = int(params["amount"])
        if amount < MINIMUM_AMOUNT:
            raise _invalid("Amount must be at least €0.50 eur", "amount_too_small", param="amount")
        alias = params.get("payment_method", "")
        if alias not in APPROVING and alias not in DECLINING and alias != NEEDS_AUTHENTICATION:
            raise _invalid(f"No such PaymentMethod: '{alias}'", "resource_missing", param="payment_method")
        intent = _recorded("payment_intent")
        intent_id = _id("pi")
        manual = params.get("capture_method") == "manual"
        intent.update(
            id=intent_id,
            amount=amount,
            amount_capturable=0,
            amount_received=0,
            allowed_payment_method_types=params.get("allowed_payment_method_types", ["card"]),
            capture_method="manual" if manual else "automatic_async",
            client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
            created=self.now(),
            currency=params["currency"].lower(),
            latest_charge=None,
            metadata=params.get("metadata", {}),
            payment_method=_id("pm"),  # a test alias creates a new PaymentMethod on every use
            status="requires_confirmation",
        )
        intent["_alias"] = alias
        self.intents[intent_id] = intent
        if params.get("confirm") != "true":
            intent["status"] = "requires_payment_method" if not alias else "requires_confirmation"
            return self._public(intent)
        if alias == NEEDS_AUTHENTICATION:
            intent["status"] = "requires_action"
            intent["next_action"] = _recorded("next_action_use_stripe_sdk")
            return self._public(intent)
        if alias in DECLINING:
            raise self._decline(intent, alias)
        self._authorise(intent)
        return self._public(intent)

    def _public(self, intent: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in intent.items() if not k.startswith("_")}

    def _new_charge(self, intent: dict[str, Any], status: str) -> dict[str, Any]:
        charge = _recorded("charge")
        brand, last4, funding = APPROVING.get(intent["_alias"], ("visa", "0002", "credit"))
        charge.update(
            id=_id("ch"),
            amount=intent["amount"],
            created=self.now(),
            currency=intent["currency"],
            metadata=dict(intent["metadata"]),
            payment_intent=intent["id"],
            payment_method=intent["payment_method"],
            status=status,
            paid=status == "succeeded",
        )
        card = charge["payment_method_details"]["card"]
        card.update(brand=brand, last4=last4, funding=funding, network=brand)
        self.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        return charge

    def _authorise(self, intent: dict[str, Any]) -> None:
        charge = self._new_charge(intent, "succeeded")
        intent["last_payment_error"] = None
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
        else:
            charge.update(captured=True, amount_captured=intent["amount"])
            intent.update(status="succeeded", amount_received=intent["amount"])

    def _decline(self, intent: dict[str, Any], alias: str) -> _Answer:
        code, decline_code, param, message, last4 = DECLINING[alias]
        charge = self._new_charge(intent, "failed")
        charge.update(failure_code=code, failure_message=message, paid=False)
        charge["outcome"].update(
            network_status="declined_by_network", reason=decline_code, type="issuer_declined"
        )
        charge["payment_method_details"]["card"]["last4"] = last4
        body = _recorded("error_card_declined")
        error = body["error"]
        error.update(
            charge=charge["id"],
            code=code,
            decline_code=decline_code,
            message=message,
            doc_url=f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        )
        error["payment_method"].update(id=intent["payment_method"], created=intent["created"])
        error["payment_method"]["card"]["last4"] = last4
        if param:
            error["param"] = param
        last_error = {k: v for k, v in error.items() if k not in {"payment_intent", "request_log_url"}}
        intent.update(status="requires_payment_method", last_payment_error=last_error)
        error["payment_intent"] = self._public(copy.deepcopy(intent))
        return _Answer(402, body, store=True)

    def _unexpected_state(self, intent: dict[str, Any], message: str) -> _Answer:
        answer = _invalid(message, "payment_intent_unexpected_state")
        answer.body["error"]["payment_intent"] = self._public(copy.deepcopy(intent))
        return answer

    def _capture(self, intent: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] != "requires_capture":
            raise self._unexpected_state(
                intent,
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
            )
        charge = self.charges[intent["latest_charge"]]
        charge.update(captured=True, amount_captured=intent["amount"], balance_transaction=_id("txn"))
        intent.update(status="succeeded", amount_received=intent["amount"], amount_capturable=0)
        return self._public(intent)

    def _cancel(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] not in _CANCELABLE:
            raise self._unexpected_state(
                intent,
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
                "PaymentIntent with one of the following statuses may be canceled: "
                + ", ".join(sorted(_CANCELABLE))
                + ".",
            )
        intent.update(
            status="canceled",
            canceled_at=self.now(),
            cancellation_reason=params.get("cancellation_reason"),
            amount_capturable=0,
            next_action=None,
        )
        return self._public(intent)

    # ------------------------------------------------------------------ refunds
    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = params.get("payment_intent")
        if intent_id is None:
            raise _invalid(
                "One of the following params should be provided for this request: payment_intent or charge.",
                "parameter_missing",
                param="payment_intent",
            )
        intent = self.intents.get(intent_id)
        if intent is None:
            raise _invalid(
                f"No such payment_intent: '{intent_id}'", "resource_missing", param="payment_intent"
            )
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            raise _invalid(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                "charge_not_refundable"
                if intent["status"] == "requires_capture"
                else "payment_intent_unexpected_state",
                param="payment_intent",
            )
        left = charge["amount_captured"] - charge["amount_refunded"]
        amount = int(params.get("amount", left))
        if amount < 1:
            raise _invalid("Invalid positive integer", "parameter_invalid_integer", param="amount")
        if amount > left:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                "charge_exceeds_refundable",
                param="amount",
            )
        refund = _recorded("refund")
        refund.update(
            id=_id("re"),
            amount=amount,
            balance_transaction=_id("txn"),
            charge=charge["id"],
            created=self.now(),
            currency=intent["currency"],
            metadata=params.get("metadata", {}),
            payment_intent=intent_id,
            reason=params.get("reason"),
        )
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        return refund

    def _list_refunds(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [
            r
            for r in self.refunds.values()
            if r["payment_intent"] == params.get("payment_intent", r["payment_intent"])
        ]
        found.reverse()  # newest first, like every Stripe list
        after = params.get("starting_after")
        if after is not None:
            ids = [r["id"] for r in found]
            found = found[ids.index(after) + 1 :] if after in ids else []
        limit = int(params.get("limit", 10))
        listing = _recorded("list")
        listing.update(data=copy.deepcopy(found[:limit]), has_more=len(found) > limit, url="/v1/refunds")
        return listing
