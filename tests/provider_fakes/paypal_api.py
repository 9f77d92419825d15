"""PayPal's REST API (OAuth 2, Orders v2, Payments v2) played in-process, at the SDK's HTTP boundary.

``FakePayPalAPI`` has a ``session``: a ``requests.Session`` whose transport adapter answers instead of
the network. The PayPal SDK takes any object with a ``session`` as its ``http_client_instance``
(apimatic's ``RequestsClient`` sends through it), so the real SDK (URL templates, JSON encoding,
headers, OAuth, error classes, model parsing) talks to this fake as it would to api-m.paypal.com.
Responses are built from the recorded examples in ``paypal_recorded/`` and follow PayPal's rules for
what the adapter relies on:

- ``POST /v1/oauth2/token`` with the client id and secret in Basic auth issues a bearer token
  (``401 invalid_client`` otherwise); every other call needs a token it issued
  (``401 AUTHENTICATION_FAILURE``);
- orders created with a ``payment_source.paypal`` wait for the buyer (``PAYER_ACTION_REQUIRED`` and a
  ``payer-action`` link; ``CREATED`` and an ``approve`` link without one), are authorised only once
  approved (``ORDER_NOT_APPROVED``, ``ORDER_ALREADY_AUTHORIZED``), and one invoice id is paid once
  (``DUPLICATE_INVOICE_ID``);
- authorisations are captured up to their amount and not once voided or captured
  (``AUTHORIZATION_VOIDED``, ``AUTHORIZATION_ALREADY_CAPTURED``), voided unless captured
  (``PREVIOUSLY_CAPTURED``, ``PREVIOUSLY_VOIDED``); captures are refunded never beyond what is left
  (``REFUND_AMOUNT_EXCEEDED``, ``CAPTURE_FULLY_REFUNDED``);
- amounts are decimal strings with at most the currency's digits (``DECIMAL_PRECISION``: JPY has none);
- ``PayPal-Request-Id``: the same id replays the stored answer (only successful answers are stored);
- ``Prefer: return=representation`` answers with the whole resource, otherwise PayPal's minimal answer
  (``id``, ``status``, ``links``; a void is ``204 No Content``).

Levers: ``approve`` (the buyer approves, or abandons: the order is voided), ``decline_on_authorize``
(authorising the order fails with a 422 issue such as ``INSTRUMENT_DECLINED``), ``outage`` (nothing
reaches PayPal), ``lose_next_response`` (PayPal acts on the next write, the answer is lost),
``fail_next`` (a 429 or 5xx before anything is applied), and ``requests`` (everything sent, decoded).
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from commerce.money import CURRENCY_EXPONENTS

__all__ = ["FakePayPalAPI", "PayPalRequest"]

RECORDED = Path(__file__).parent / "paypal_recorded"
API_BASE = "https://api-m.sandbox.paypal.com"
CHECKOUT_BASE = "https://www.sandbox.paypal.com/checkoutnow"

#: Authorisations PayPal honours for 29 days.
_AUTHORIZATION_LIFETIME = timedelta(days=29)

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _recorded(name: str) -> dict[str, Any]:
    with (RECORDED / f"{name}.json").open() as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded


def _paypal_id() -> str:
    """PayPal's resource ids: 17 upper-case letters and digits."""
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(17))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _TickingClock:
    """PayPal's clock for the fake: one second further at every reading, so updates are ordered."""

    def __init__(self) -> None:
        self._now = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


@dataclass(frozen=True)
class PayPalRequest:
    """One request as it went over the wire: the JSON body (or the token request's form) decoded."""

    method: str
    path: str
    json: Any
    form: dict[str, str]
    headers: CaseInsensitiveDict[str]

    @property
    def request_id(self) -> str | None:
        return self.headers.get("PayPal-Request-Id")


class _Answer(Exception):
    """An HTTP answer other than success, raised from inside a handler."""

    def __init__(self, status: int, body: dict[str, Any] | None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _error_links(issue: str) -> list[dict[str, str]]:
    return [
        {
            "href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
            "rel": "information_link",
            "method": "GET",
        }
    ]


def _unprocessable(issue: str, description: str) -> _Answer:
    body = _recorded("error_unprocessable_entity")
    body["details"] = [{"issue": issue, "description": description}]
    body["debug_id"] = secrets.token_hex(7)[:13]
    body["links"] = _error_links(issue)
    return _Answer(422, body)


def _invalid_request(field: str, issue: str, description: str) -> _Answer:
    body = _recorded("error_unprocessable_entity")
    body["name"] = "INVALID_REQUEST"
    body["message"] = "Request is not well-formed, syntactically incorrect, or violates schema."
    body["details"] = [{"field": field, "location": "body", "issue": issue, "description": description}]
    body["debug_id"] = secrets.token_hex(7)[:13]
    body["links"] = _error_links(issue)
    return _Answer(400, body)


def _not_found(field: str, value: str) -> _Answer:
    body = _recorded("error_resource_not_found")
    body["details"][0]["field"] = field
    body["details"][0]["value"] = value
    body["debug_id"] = secrets.token_hex(7)[:13]
    return _Answer(404, body)


def _parse_amount(amount: Any, field: str) -> tuple[str, Decimal]:
    """PayPal's ``{currency_code, value}``: a supported currency and a positive decimal string with at
    most the currency's digits."""
    if not isinstance(amount, dict) or "currency_code" not in amount or "value" not in amount:
        raise _invalid_request(field, "MISSING_REQUIRED_PARAMETER", "A required field is missing.")
    currency = amount["currency_code"]
    if currency not in CURRENCY_EXPONENTS:
        raise _unprocessable("CURRENCY_NOT_SUPPORTED", "Currency code is not currently supported.")
    value = amount["value"]
    try:
        parsed = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        parsed = None
    if parsed is None or not parsed.is_finite():
        raise _invalid_request(f"{field}/value", "INVALID_PARAMETER_SYNTAX", "The value is not a decimal.")
    exponent = parsed.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if digits > CURRENCY_EXPONENTS[currency]:
        raise _unprocessable(
            "DECIMAL_PRECISION",
            "If the currency supports decimals, only two decimal place precision is supported.",
        )
    if parsed <= 0:
        raise _unprocessable("AMOUNT_NOT_POSITIVE", "The amount must be greater than zero.")
    return currency, parsed


def _value(currency: str, amount: Decimal) -> str:
    digits = CURRENCY_EXPONENTS[currency]
    return f"{amount:.{digits}f}"


def _link(href: str, rel: str, method: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "method": method}


class _Transport(BaseAdapter):
    """The ``requests`` transport that hands every prepared request to the fake, never to a socket."""

    def __init__(self, api: FakePayPalAPI) -> None:
        super().__init__()
        self._api = api
        self.max_retries = requests.adapters.Retry(0, read=False)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        return self._api._send(request)

    def close(self) -> None:
        return None


class FakePayPalAPI:
    """Hand it to the SDK as ``http_client_instance``; it keeps PayPal's books in memory."""

    #: The SDK reads the timeout of the HTTP client it is given.
    timeout = 10

    def __init__(
        self,
        *,
        client_id: str = "fake-paypal-client-id",
        client_secret: str = "fake-paypal-client-secret",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._clock = clock or _TickingClock()
        self.session = requests.Session()
        transport = _Transport(self)
        self.session.mount("https://", transport)
        self.session.mount("http://", transport)
        self.requests: list[PayPalRequest] = []
        #: PayPal order id -> the order as ``GET /v2/checkout/orders/{id}`` shows it.
        self.orders: dict[str, dict[str, Any]] = {}
        self._authorization_orders: dict[str, str] = {}
        self._capture_orders: dict[str, str] = {}
        self._refund_captures: dict[str, str] = {}
        self._tokens: set[str] = set()
        self._stored: dict[str, tuple[int, dict[str, Any] | None]] = {}
        self._declines: dict[str, str] = {}
        self._down = False
        self._lose_next = False
        self._failures: list[int] = []

    # ------------------------------------------------------------------ levers
    @contextmanager
    def outage(self) -> Iterator[None]:
        """Inside: every request fails to connect; nothing reaches PayPal."""
        self._down = True
        try:
            yield
        finally:
            self._down = False

    def lose_next_response(self) -> None:
        """The next write (a POST to the REST API, not a token request) is applied, then the
        connection drops before its answer arrives."""
        self._lose_next = True

    def keep_responses(self) -> None:
        """Disarm ``lose_next_response`` if no write came."""
        self._lose_next = False

    def fail_next(self, status: int) -> None:
        """The next REST API request (not a token request) is answered ``status`` (429, 500, 503)
        without being applied."""
        self._failures.append(status)

    def approve(self, order: str, *, succeed: bool = True) -> None:
        """The buyer at PayPal's approval page: approves (``APPROVED``) or abandons (the order is
        ``VOIDED``). ``order`` is PayPal's order id or the merchant's ``custom_id``."""
        found = self._order_by_any(order)
        if found["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            return
        now = _timestamp(self._clock())
        if succeed:
            approved = _recorded("order_approved")
            found["status"] = "APPROVED"
            found["payment_source"] = approved["payment_source"]
            found["payer"] = approved["payer"]
            verb = "authorize" if found["intent"] == "AUTHORIZE" else "capture"
            found["links"] = [
                _link(f"{API_BASE}/v2/checkout/orders/{found['id']}", "self", "GET"),
                _link(f"{API_BASE}/v2/checkout/orders/{found['id']}", "update", "PATCH"),
                _link(f"{API_BASE}/v2/checkout/orders/{found['id']}/{verb}", verb, "POST"),
            ]
        else:
            found["status"] = "VOIDED"
            found["links"] = [_link(f"{API_BASE}/v2/checkout/orders/{found['id']}", "self", "GET")]
        found["update_time"] = now

    def decline_on_authorize(self, custom_id: str, issue: str = "INSTRUMENT_DECLINED") -> None:
        """Authorising any order of this merchant order id fails with a 422 ``issue``; the order
        stays approved and nothing is held."""
        self._declines[custom_id] = issue

    # ------------------------------------------------------------------ the books, read behind the SDK
    def orders_for(self, custom_id: str) -> list[dict[str, Any]]:
        """The PayPal orders created for one merchant order id (``purchase_units[0].custom_id``)."""
        return [
            copy.deepcopy(order)
            for order in self.orders.values()
            if order["purchase_units"][0].get("custom_id") == custom_id
        ]

    def token_requests(self) -> list[PayPalRequest]:
        return [r for r in self.requests if r.path == "/v1/oauth2/token"]

    # ------------------------------------------------------------------ the wire
    def _send(self, prepared: requests.PreparedRequest) -> requests.Response:
        request = self._decode(prepared)
        self.requests.append(request)
        if self._down:
            raise requests.exceptions.ConnectionError(
                f"HTTPSConnectionPool(host='api-m.sandbox.paypal.com', port=443): Max retries exceeded "
                f"with url: {request.path} (Caused by NewConnectionError('Failed to establish a new "
                "connection: [Errno 111] Connection refused'))"
            )
        status, body = self._answer(request)
        is_write = request.method == "POST" and request.path != "/v1/oauth2/token"
        if is_write and self._lose_next and status < 500:
            self._lose_next = False
            raise requests.exceptions.ConnectionError(
                "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))"
            )
        return self._response(prepared, status, body)

    @staticmethod
    def _decode(prepared: requests.PreparedRequest) -> PayPalRequest:
        url = urlsplit(prepared.url or "")
        raw = prepared.body
        text = raw.decode() if isinstance(raw, bytes) else (raw or "")
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(dict(prepared.headers))
        content_type = headers.get("Content-Type", "")
        decoded: Any = None
        form: dict[str, str] = {}
        if "x-www-form-urlencoded" in content_type:
            form = dict(parse_qsl(text))
        elif text:
            decoded = json.loads(text)
        return PayPalRequest(prepared.method or "GET", url.path, decoded, form, headers)

    @staticmethod
    def _response(
        prepared: requests.PreparedRequest, status: int, body: dict[str, Any] | None
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.reason = _REASONS.get(status, "Error")
        response.url = prepared.url or ""
        response.request = prepared
        response.encoding = "utf-8"
        response._content = b"" if body is None else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", "Paypal-Debug-Id": secrets.token_hex(7)[:13]}
        )
        return response

    def _answer(self, request: PayPalRequest) -> tuple[int, dict[str, Any] | None]:
        if request.path == "/v1/oauth2/token":
            return self._token(request)
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer ") or authorization[7:] not in self._tokens:
            return 401, _recorded("error_authentication_failure")
        if self._failures:
            failed = self._failures.pop(0)
            name = "error_rate_limit_reached" if failed == 429 else "error_internal_server_error"
            return failed, _recorded(name)
        key = f"{request.path} {request.request_id}" if request.request_id else None
        if request.method == "POST" and key in self._stored:
            return self._stored[key]
        try:
            status, body = self._route(request)
        except _Answer as answer:
            return answer.status, answer.body
        if key is not None and request.method == "POST":
            self._stored[key] = (status, copy.deepcopy(body))
        return status, body

    def _token(self, request: PayPalRequest) -> tuple[int, dict[str, Any] | None]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return 401, _recorded("error_invalid_client")
        if request.form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
        token = _recorded("oauth2_token")
        token["access_token"] = "A21AA" + secrets.token_urlsafe(64)
        self._tokens.add(token["access_token"])
        return 200, token

    def _route(self, request: PayPalRequest) -> tuple[int, dict[str, Any] | None]:
        parts = request.path.strip("/").split("/")
        representation = "return=representation" in request.headers.get("Prefer", "")
        body = request.json if isinstance(request.json, dict) else {}
        match request.method, parts:
            case "POST", ["v2", "checkout", "orders"]:
                order = self._create_order(body)
                return 201, (order if representation else self._minimal(order))
            case "GET", ["v2", "checkout", "orders", order_id]:
                return 200, copy.deepcopy(self._order(order_id))
            case "POST", ["v2", "checkout", "orders", order_id, "authorize"]:
                order = self._authorize_order(order_id)
                return 201, (order if representation else self._minimal(order))
            case "POST", ["v2", "payments", "authorizations", authorization_id, "capture"]:
                capture = self._capture(authorization_id, body)
                return 201, (capture if representation else self._minimal(capture))
            case "POST", ["v2", "payments", "authorizations", authorization_id, "void"]:
                authorization = self._void(authorization_id)
                return (200, authorization) if representation else (204, None)
            case "POST", ["v2", "payments", "captures", capture_id, "refund"]:
                refund = self._refund(capture_id, body)
                return 201, (refund if representation else self._minimal(refund))
        raise _not_found("path", request.path)

    @staticmethod
    def _minimal(resource: dict[str, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(resource[key]) for key in ("id", "status", "links") if key in resource}

    # ------------------------------------------------------------------ orders
    def _order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise _not_found("order_id", order_id)
        return self.orders[order_id]

    def _order_by_any(self, order: str) -> dict[str, Any]:
        if order in self.orders:
            return self.orders[order]
        matching = [o for o in self.orders.values() if o["purchase_units"][0].get("custom_id") == order]
        if not matching:
            raise KeyError(f"no PayPal order for {order!r}")
        return matching[-1]

    def _create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        intent = body.get("intent")
        if intent not in ("CAPTURE", "AUTHORIZE"):
            raise _invalid_request("/intent", "INVALID_PARAMETER_VALUE", "The value of a field is invalid.")
        units = body.get("purchase_units")
        if not isinstance(units, list) or len(units) != 1:
            raise _invalid_request(
                "/purchase_units", "INVALID_ARRAY_MAX_ITEMS", "The fake takes exactly one purchase unit."
            )
        requested = units[0]
        currency, value = _parse_amount(
            requested.get("amount"), "/purchase_units/@reference_id=default/amount"
        )
        template = _recorded("create_order")
        order_id = _paypal_id()
        unit: dict[str, Any] = {
            "reference_id": requested.get("reference_id", "default"),
            "amount": {"currency_code": currency, "value": _value(currency, value)},
            "payee": template["purchase_units"][0]["payee"],
        }
        for optional in ("custom_id", "invoice_id", "description", "soft_descriptor"):
            if optional in requested:
                unit[optional] = requested[optional]
        paypal = (body.get("payment_source") or {}).get("paypal")
        order: dict[str, Any] = {
            "id": order_id,
            "intent": intent,
            "status": "PAYER_ACTION_REQUIRED" if paypal is not None else "CREATED",
            "purchase_units": [unit],
            "create_time": _timestamp(self._clock()),
            "links": [
                _link(f"{API_BASE}/v2/checkout/orders/{order_id}", "self", "GET"),
                _link(
                    f"{CHECKOUT_BASE}?token={order_id}",
                    "payer-action" if paypal is not None else "approve",
                    "GET",
                ),
            ],
        }
        if paypal is not None:
            order["payment_source"] = template["payment_source"]
        else:
            order["links"] += [
                _link(f"{API_BASE}/v2/checkout/orders/{order_id}", "update", "PATCH"),
                _link(f"{API_BASE}/v2/checkout/orders/{order_id}/{intent.lower()}", intent.lower(), "POST"),
            ]
        self.orders[order_id] = order
        return copy.deepcopy(order)

    def _authorize_order(self, order_id: str) -> dict[str, Any]:
        order = self._order(order_id)
        unit = order["purchase_units"][0]
        if order["intent"] != "AUTHORIZE":
            raise _unprocessable(
                "ACTION_DOES_NOT_MATCH_INTENT",
                "Order was created with an intent to 'CAPTURE'. Please use the capture endpoint instead.",
            )
        if unit.get("payments", {}).get("authorizations"):
            raise _unprocessable("ORDER_ALREADY_AUTHORIZED", "Order already has an authorization.")
        if order["status"] == "VOIDED":
            raise _unprocessable(
                "ORDER_COMPLETED_OR_VOIDED", "Order is voided or completed and hence cannot be processed."
            )
        if order["status"] != "APPROVED":
            raise _unprocessable(
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment. Please redirect the payer to the "
                "'rel':'approve' url returned as part of the HATEOAS links within the Create Order call "
                "or provide a valid payment_source in the request.",
            )
        custom_id = unit.get("custom_id")
        if custom_id in self._declines:
            issue = self._declines[custom_id]
            raise _unprocessable(
                issue,
                "The instrument presented  was either declined by the processor or bank, or it can't "
                "be used for this payment.",
            )
        invoice_id = unit.get("invoice_id")
        if invoice_id and any(
            other is not order
            and other["purchase_units"][0].get("invoice_id") == invoice_id
            and other["purchase_units"][0].get("payments")
            for other in self.orders.values()
        ):
            raise _unprocessable(
                "DUPLICATE_INVOICE_ID",
                "Duplicate Invoice ID detected. To avoid a potential duplicate "
                "transaction your account setting requires that Invoice Id be unique for each transaction.",
            )
        now = self._clock()
        template = _recorded("authorize_order")
        authorization = template["purchase_units"][0]["payments"]["authorizations"][0]
        authorization_id = _paypal_id()
        authorization.update(
            {
                "id": authorization_id,
                "amount": copy.deepcopy(unit["amount"]),
                "expiration_time": _timestamp(now + _AUTHORIZATION_LIFETIME),
                "create_time": _timestamp(now),
                "update_time": _timestamp(now),
                "links": self._authorization_links(authorization_id, order_id),
            }
        )
        for field in ("invoice_id", "custom_id"):
            if field in unit:
                authorization[field] = unit[field]
            else:
                authorization.pop(field, None)
        unit["payments"] = {"authorizations": [authorization]}
        order["status"] = "COMPLETED"
        order["update_time"] = _timestamp(now)
        order["links"] = [_link(f"{API_BASE}/v2/checkout/orders/{order_id}", "self", "GET")]
        self._authorization_orders[authorization_id] = order_id
        return copy.deepcopy(order)

    @staticmethod
    def _authorization_links(authorization_id: str, order_id: str) -> list[dict[str, str]]:
        base = f"{API_BASE}/v2/payments/authorizations/{authorization_id}"
        return [
            _link(base, "self", "GET"),
            _link(f"{base}/capture", "capture", "POST"),
            _link(f"{base}/void", "void", "POST"),
            _link(f"{base}/reauthorize", "reauthorize", "POST"),
            _link(f"{API_BASE}/v2/checkout/orders/{order_id}", "up", "GET"),
        ]

    # ------------------------------------------------------------------ payments
    def _authorization(self, authorization_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if authorization_id not in self._authorization_orders:
            raise _not_found("authorization_id", authorization_id)
        order = self.orders[self._authorization_orders[authorization_id]]
        payments = order["purchase_units"][0]["payments"]
        [authorization] = [a for a in payments["authorizations"] if a["id"] == authorization_id]
        return order, authorization

    def _capture(self, authorization_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        order, authorization = self._authorization(authorization_id)
        status = authorization["status"]
        if status == "VOIDED":
            raise _unprocessable(
                "AUTHORIZATION_VOIDED", "A voided authorization cannot be captured or reauthorized."
            )
        if status == "CAPTURED":
            raise _unprocessable(
                "AUTHORIZATION_ALREADY_CAPTURED",
                "Authorization has been previously captured and hence cannot be captured again.",
            )
        if status == "DENIED":
            raise _unprocessable("AUTHORIZATION_DENIED", "A denied authorization cannot be captured.")
        payments = order["purchase_units"][0]["payments"]
        currency = authorization["amount"]["currency_code"]
        authorized = Decimal(authorization["amount"]["value"])
        already = sum(
            (
                Decimal(c["amount"]["value"])
                for c in payments.get("captures", [])
                if c["status"] != "DECLINED"
            ),
            Decimal(0),
        )
        if "amount" in body:
            asked_currency, amount = _parse_amount(body["amount"], "/amount")
            if asked_currency != currency:
                raise _unprocessable(
                    "CURRENCY_MISMATCH", "Currency of capture must be the same as currency of authorization."
                )
        else:
            amount = authorized - already
        if already + amount > authorized:
            raise _unprocessable(
                "MAX_CAPTURE_AMOUNT_EXCEEDED",
                "Capture amount exceeds allowable limit. Please contact customer service or your account "
                "manager to request the change to your overcapture limit.",
            )
        final = bool(body.get("final_capture", False)) or already + amount == authorized
        now = self._clock()
        capture = _recorded("capture_authorization")
        capture_id = _paypal_id()
        fee = (amount * Decimal("0.0349")).quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency]))
        capture.update(
            {
                "id": capture_id,
                "amount": {"currency_code": currency, "value": _value(currency, amount)},
                "final_capture": final,
                "seller_receivable_breakdown": {
                    "gross_amount": {"currency_code": currency, "value": _value(currency, amount)},
                    "paypal_fee": {"currency_code": currency, "value": _value(currency, fee)},
                    "net_amount": {"currency_code": currency, "value": _value(currency, amount - fee)},
                },
                "status": "COMPLETED",
                "create_time": _timestamp(now),
                "update_time": _timestamp(now),
                "links": [
                    _link(f"{API_BASE}/v2/payments/captures/{capture_id}", "self", "GET"),
                    _link(f"{API_BASE}/v2/payments/captures/{capture_id}/refund", "refund", "POST"),
                    _link(f"{API_BASE}/v2/payments/authorizations/{authorization_id}", "up", "GET"),
                ],
            }
        )
        for field in ("invoice_id", "custom_id"):
            if field in authorization:
                capture[field] = authorization[field]
            else:
                capture.pop(field, None)
        payments.setdefault("captures", []).append(capture)
        authorization["status"] = "CAPTURED" if final else "PARTIALLY_CAPTURED"
        authorization["update_time"] = _timestamp(now)
        order["update_time"] = _timestamp(now)
        self._capture_orders[capture_id] = order["id"]
        return copy.deepcopy(capture)

    def _void(self, authorization_id: str) -> dict[str, Any]:
        order, authorization = self._authorization(authorization_id)
        if authorization["status"] in ("CAPTURED", "PARTIALLY_CAPTURED"):
            raise _unprocessable(
                "PREVIOUSLY_CAPTURED",
                "Authorization has been previously captured and hence cannot be voided.",
            )
        if authorization["status"] == "VOIDED":
            raise _unprocessable(
                "PREVIOUSLY_VOIDED",
                "Authorization has been previously voided and hence cannot be voided again.",
            )
        now = _timestamp(self._clock())
        authorization["status"] = "VOIDED"
        authorization["update_time"] = now
        authorization["links"] = [
            _link(f"{API_BASE}/v2/payments/authorizations/{authorization_id}", "self", "GET"),
            _link(f"{API_BASE}/v2/checkout/orders/{order['id']}", "up", "GET"),
        ]
        order["update_time"] = now
        answer = _recorded("void_authorization")
        answer.update({key: copy.deepcopy(value) for key, value in authorization.items()})
        return answer

    def _refund(self, capture_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if capture_id not in self._capture_orders:
            raise _not_found("capture_id", capture_id)
        order = self.orders[self._capture_orders[capture_id]]
        payments = order["purchase_units"][0]["payments"]
        [capture] = [c for c in payments["captures"] if c["id"] == capture_id]
        currency = capture["amount"]["currency_code"]
        captured = Decimal(capture["amount"]["value"])
        refunds = [r for r in payments.get("refunds", []) if self._refund_captures.get(r["id"]) == capture_id]
        refunded = sum(
            (Decimal(r["amount"]["value"]) for r in refunds if r["status"] != "FAILED"), Decimal(0)
        )
        if refunded >= captured:
            raise _unprocessable("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded.")
        if "amount" in body:
            asked_currency, amount = _parse_amount(body["amount"], "/amount")
            if asked_currency != currency:
                raise _unprocessable(
                    "REFUND_CAPTURE_CURRENCY_MISMATCH",
                    "Refund must be in the same currency as the capture.",
                )
        else:
            amount = captured - refunded
        if refunded + amount > captured:
            raise _unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has not yet "
                "been refunded.",
            )
        now = self._clock()
        refund = _recorded("refund_capture")
        refund_id = _paypal_id()
        total = refunded + amount
        refund.update(
            {
                "id": refund_id,
                "amount": {"currency_code": currency, "value": _value(currency, amount)},
                "seller_payable_breakdown": {
                    "gross_amount": {"currency_code": currency, "value": _value(currency, amount)},
                    "paypal_fee": {"currency_code": currency, "value": _value(currency, Decimal(0))},
                    "net_amount": {"currency_code": currency, "value": _value(currency, amount)},
                    "total_refunded_amount": {"currency_code": currency, "value": _value(currency, total)},
                },
                "status": "COMPLETED",
                "create_time": _timestamp(now),
                "update_time": _timestamp(now),
                "links": [
                    _link(f"{API_BASE}/v2/payments/refunds/{refund_id}", "self", "GET"),
                    _link(f"{API_BASE}/v2/payments/captures/{capture_id}", "up", "GET"),
                ],
            }
        )
        for field in ("invoice_id", "custom_id", "note_to_payer"):
            if field in body:
                refund[field] = body[field]
            elif field == "invoice_id" and "invoice_id" in capture:
                refund[field] = capture["invoice_id"]
            else:
                refund.pop(field, None)
        capture["status"] = "REFUNDED" if total == captured else "PARTIALLY_REFUNDED"
        capture["update_time"] = _timestamp(now)
        order["update_time"] = _timestamp(now)
        payments.setdefault("refunds", []).append(refund)
        self._refund_captures[refund_id] = capture_id
        return copy.deepcopy(refund)
