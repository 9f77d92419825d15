"""Checkout: turn the customer's cart into a ``pending`` order and start its saga.

The order, the ``Idempotency-Key``'s record and the cart's lock are written in ONE
transaction, so two requests with the same key (a double-click, a client retry racing the
first attempt) make one order between them, and a second key for a cart already being
checked out is refused with ``checkout_in_progress``. Prices come from the catalogue at this
moment, never from the client or the cart's remembered prices.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import timedelta

from commerce.carts.model import Cart
from commerce.carts.ports import CartRepository
from commerce.catalog.ports import ProductRepository
from commerce.clock import Clock
from commerce.errors import Conflict, FieldError, InvalidInput
from commerce.identity import Principal, Role
from commerce.ids import new_id
from commerce.orders.model import Order, OrderStatus, ShippingAddress
from commerce.orders.ports import (
    AddressBook,
    CheckoutClaim,
    CheckoutConflict,
    CheckoutRecord,
    FulfilmentWorkflow,
    OrderRepository,
)
from commerce.orders.pricing import PricedLine, PricingRules, quote
from commerce.payments.model import PaymentMethod, PaymentMethodKind

__all__ = ["CheckoutRequest", "CheckoutService"]
#: Placing attempts when the cart changes under the checkout (another tab editing it).
MAX_ATTEMPTS = 5
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What the client sends: how to pay, and where to ship (an address or a saved one's id)."""

    payment_method: PaymentMethod
    shipping_address: ShippingAddress | None = None
    address_id: str | None = None

    def digest(self) -> str:
        """A fingerprint of the request, to tell a replay from a reuse of the key."""
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _key_problem(detail: str) -> InvalidInput:
    return InvalidInput(
        detail,
        code="idempotency_key_invalid",
        errors=[FieldError("header.Idempotency-Key", detail, "idempotency_key_invalid")],
    )


def ensure_idempotency_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput(
            "Send an Idempotency-Key header (a UUID is a good choice) so a retry cannot order twice.",
            code="idempotency_key_required",
            errors=[FieldError("header.Idempotency-Key", "Required.", "missing")],
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise _key_problem(f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters.")
    return key


@dataclass
class CheckoutService:
    orders: OrderRepository
    carts: CartRepository
    products: ProductRepository
    addresses: AddressBook
    workflow: FulfilmentWorkflow
    rules: PricingRules
    clock: Clock
    #: The payment method kinds a provider is configured for.
    payment_kinds: frozenset[PaymentMethodKind] = frozenset({PaymentMethodKind.CARD})
    lock_for: timedelta = timedelta(minutes=30)

    def checkout(self, principal: Principal, key: str | None, request: CheckoutRequest) -> tuple[Order, bool]:
        """The order for this key, and whether this call placed it (False: a replay)."""
        principal.require(Role.CUSTOMER)
        key = ensure_idempotency_key(key)
        digest = request.digest()
        for _ in range(MAX_ATTEMPTS):
            record = self.orders.checkout_record(principal.user_id, key)
            if record is not None:
                return self._replayed(record, digest), False
            now = self.clock()
            stored = self.carts.get(principal.user_id)
            cart = stored.as_of(now) if stored is not None else Cart(principal.user_id)
            cart.ensure_unlocked(now)
            order = self._priced_order(principal, cart, request)
            claim = CheckoutClaim(
                CheckoutRecord(principal.user_id, key, order.order_id, digest), cart, now, now + self.lock_for
            )
            try:
                self.orders.place(order, claim)
            except CheckoutConflict:
                continue  # the key was taken, or the cart changed or got locked: look again
            self.workflow.start(order)
            return order, True
        raise Conflict("The cart is changing too fast; try again.", code="cart_busy")

    def _replayed(self, record: CheckoutRecord, digest: str) -> Order:
        if record.request_digest != digest:
            raise InvalidInput(
                "This Idempotency-Key was already used for a different checkout request.",
                code="idempotency_key_reused",
                extra={"order_id": record.order_id},
            )
        order = self.orders.get(record.order_id)
        if order is None:  # pragma: no cover - written in the same transaction as the record
            raise Conflict("The order for this key is not readable yet; retry.", code="checkout_in_progress")
        # The first attempt may have stopped between placing and starting: starting is harmless.
        if order.status is OrderStatus.PENDING:
            self.workflow.start(order)
        return order

    def _address(self, principal: Principal, request: CheckoutRequest) -> ShippingAddress:
        if request.shipping_address is not None:
            return request.shipping_address
        if request.address_id is None:
            raise InvalidInput(
                "Say where to ship: a shipping_address, or the address_id of a saved address.",
                code="shipping_address_required",
                errors=[FieldError("body.shipping_address", "Required.", "missing")],
            )
        saved = self.addresses.get_address(principal.user_id, request.address_id)
        if saved is None:
            raise InvalidInput(
                "No saved address has this id.",
                code="address_not_found",
                errors=[FieldError("body.shipping_address.address_id", "No such address.", "not_found")],
            )
        return ShippingAddress(
            full_name=saved.full_name,
            line1=saved.line1,
            line2=saved.line2,
            city=saved.city,
            region=saved.region,
            postal_code=saved.postal_code,
            country=saved.country,
            phone=saved.phone,
        )

    def _priced_order(self, principal: Principal, cart: Cart, request: CheckoutRequest) -> Order:
        if not cart.lines:
            raise InvalidInput("The cart is empty.", code="cart_empty")
        method = request.payment_method
        if method.kind not in self.payment_kinds:
            raise InvalidInput(
                f"Paying by {method.kind.value} is not available.",
                code="payment_method_not_supported",
                errors=[FieldError("body.payment_method.type", "Not available.", "not_supported")],
            )
        if method.kind is PaymentMethodKind.WALLET:
            method = replace(method, token=principal.user_id)  # a customer pays from their own wallet
        address = self._address(principal, request)
        products = self.products.get_many(cart.product_ids)
        gone = [
            line.product_id
            for line in cart.lines
            if line.product_id not in products or not products[line.product_id].is_active
        ]
        if gone:
            raise Conflict(
                "Some products in the cart are no longer on sale; remove them and check out again.",
                code="product_unavailable",
                extra={"product_ids": gone},
            )
        priced = [
            PricedLine(
                product_id=line.product_id,
                seller_id=products[line.product_id].seller_id,
                unit_price=products[line.product_id].price,
                quantity=line.quantity,
            )
            for line in cart.lines
        ]
        names = {line.product_id: products[line.product_id].name for line in cart.lines}
        return Order.place(
            order_id=new_id(),
            customer_id=principal.user_id,
            priced=priced,
            names=names,
            quote=quote(priced, address.country, self.rules),
            address=address,
            method=method,
            now=self.clock(),
        )
