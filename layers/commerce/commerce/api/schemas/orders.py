"""Request and response shapes of checkout and the orders API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from commerce.api.schemas.accounts import AddressFields
from commerce.api.schemas.carts import MoneyOut
from commerce.api.schemas.common import RequestModel, Schema, ShortText
from commerce.errors import FieldError, InvalidInput
from commerce.money import Money
from commerce.orders.checkout import CheckoutRequest
from commerce.orders.model import Fulfilment, Order, OrderLine, OrderRefund, ShippingAddress
from commerce.payments.model import PaymentMethod, PaymentMethodKind

__all__ = [
    "AddressIn",
    "CheckoutAccepted",
    "CheckoutIn",
    "OrderOut",
    "OrderPage",
    "PaymentMethodIn",
    "RefundOut",
    "SavedAddressIn",
    "SellerOrderOut",
    "SellerOrderPage",
    "ShipmentIn",
]

_CARD_TOKEN = re.compile(r"^pm_[A-Za-z0-9_]{1,100}$")
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class PaymentMethodIn(RequestModel):
    """`{"type": "card", "payment_method_id": "pm_card_visa"}`, `{"type": "wallet"}` or
    `{"type": "paypal"}` (the order then shows the PayPal approval link to send the buyer to).
    Never card numbers: a card is a Stripe PaymentMethod id made by Stripe.js on the client."""

    type: Annotated[str, StringConstraints(max_length=40)] = Field(
        json_schema_extra={"enum": [kind.value for kind in PaymentMethodKind]}, examples=["card"]
    )
    payment_method_id: Token | None = Field(default=None, examples=["pm_card_visa"])

    def to_domain(self) -> PaymentMethod:
        try:
            kind = PaymentMethodKind(self.type)
        except ValueError:
            raise InvalidInput(
                f"Unknown payment type {self.type!r}; use card, wallet or paypal.",
                code="unsupported_payment_method",
                errors=[FieldError("body.payment_method.type", "Unknown payment type.", "unsupported")],
            ) from None
        if kind is PaymentMethodKind.CARD:
            if self.payment_method_id is None or not _CARD_TOKEN.fullmatch(self.payment_method_id):
                raise InvalidInput(
                    "A card payment needs the payment_method_id Stripe gave the client (pm_...).",
                    code="invalid_payment_method",
                    errors=[
                        FieldError("body.payment_method.payment_method_id", "Expected pm_...", "invalid")
                    ],
                )
            return PaymentMethod(kind, self.payment_method_id)
        return PaymentMethod(kind)


class AddressIn(AddressFields):
    def to_domain(self) -> ShippingAddress:
        return ShippingAddress(**self.model_dump())


class SavedAddressIn(RequestModel):
    address_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CheckoutIn(RequestModel):
    payment_method: PaymentMethodIn
    shipping_address: AddressIn | SavedAddressIn | None = Field(
        default=None, description='An address, or `{"address_id": ...}` of a saved one.'
    )

    def to_domain(self) -> CheckoutRequest:
        address = self.shipping_address
        return CheckoutRequest(
            payment_method=self.payment_method.to_domain(),
            shipping_address=address.to_domain() if isinstance(address, AddressIn) else None,
            address_id=address.address_id if isinstance(address, SavedAddressIn) else None,
        )


class CheckoutAccepted(Schema):
    order_id: str
    status: str = Field(examples=["pending"])


class ShipmentIn(RequestModel):
    carrier: ShortText = Field(examples=["UPS"])
    tracking_number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{4,40}$")
    ] = Field(examples=["1Z999AA10123456784"])


# ---------------------------------------------------------------------- replies
class OrderLineOut(Schema):
    product_id: str
    seller_id: str
    name: str
    unit_price: MoneyOut
    quantity: int
    subtotal: MoneyOut

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineOut:
        return cls(
            product_id=line.product_id,
            seller_id=line.seller_id,
            name=line.name,
            unit_price=MoneyOut.of(line.unit_price),
            quantity=line.quantity,
            subtotal=MoneyOut.of(line.subtotal),
        )


class TotalsOut(Schema):
    subtotal: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    tax_rate_basis_points: int


class AddressOut(Schema):
    full_name: str
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    phone: str | None


class NextActionOut(Schema):
    type: str = Field(
        description="use_stripe_sdk: pass client_secret to Stripe.js (3-D Secure); "
        "redirect_to_url: send the buyer to url (PayPal approval)."
    )
    client_secret: str | None
    url: str | None


class RefundOut(Schema):
    refund_id: str
    amount: MoneyOut
    destination: str = Field(description="original (the card, PayPal or wallet that paid) or wallet.")
    status: str = Field(description="pending or succeeded.")
    reason: str
    requested_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, refund: OrderRefund) -> RefundOut:
        return cls(
            refund_id=refund.refund_id,
            amount=MoneyOut.of(refund.amount),
            destination=refund.destination.value,
            status=refund.status.value,
            reason=refund.reason,
            requested_at=refund.requested_at,
            completed_at=refund.completed_at,
        )


class PaymentOut(Schema):
    method: str = Field(examples=["card"])
    status: str | None = Field(
        description="requires_action, authorized, captured, voided, partially_refunded, refunded; "
        "null before authorisation."
    )
    next_action: NextActionOut | None = Field(
        description="While status is requires_action: what the customer must do to pay."
    )
    authorized: MoneyOut | None
    captured: MoneyOut | None
    refunded: MoneyOut | None = Field(description="Given back so far, to the original method or the wallet.")
    refunds: list[RefundOut]

    @classmethod
    def of(cls, order: Order) -> PaymentOut:
        payment = order.payment
        action = payment.next_action
        state = order.payment_state
        return cls(
            method=payment.method.kind.value,
            status=state.value if state else None,
            next_action=None
            if action is None
            else NextActionOut(type=action.type, client_secret=action.client_secret, url=action.url),
            authorized=_money(payment.authorized),
            captured=_money(payment.captured),
            refunded=_money(order.refunded) if payment.status else None,
            refunds=[RefundOut.of(refund) for refund in payment.refunds],
        )


class ShipmentOut(Schema):
    carrier: str
    tracking_number: str
    shipped_at: datetime


class FulfilmentOut(Schema):
    seller_id: str
    status: str
    product_ids: list[str]
    shipment: ShipmentOut | None
    delivered_at: datetime | None

    @classmethod
    def of(cls, fulfilment: Fulfilment) -> FulfilmentOut:
        shipment = fulfilment.shipment
        return cls(
            seller_id=fulfilment.seller_id,
            status=fulfilment.status.value,
            product_ids=[line.product_id for line in fulfilment.lines],
            shipment=None
            if shipment is None
            else ShipmentOut(
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                shipped_at=shipment.shipped_at,
            ),
            delivered_at=fulfilment.delivered_at,
        )


def _money(value: Money | None) -> MoneyOut | None:
    return None if value is None else MoneyOut.of(value)


class OrderOut(Schema):
    order_id: str
    status: str = Field(description="pending, confirmed, shipped, delivered or cancelled.")
    cancellation_reason: str | None = Field(
        description="Why a cancelled order was cancelled: payment_declined, insufficient_stock, "
        "customer_request, ..."
    )
    lines: list[OrderLineOut]
    totals: TotalsOut
    shipping_address: AddressOut
    payment: PaymentOut
    fulfilments: list[FulfilmentOut] = Field(description="One per seller, each shipped on its own.")
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        totals = order.totals
        address = order.shipping_address
        return cls(
            order_id=order.order_id,
            status=order.status.value,
            cancellation_reason=order.cancellation_reason.value if order.cancellation_reason else None,
            lines=[OrderLineOut.of(line) for line in order.lines],
            totals=TotalsOut(
                subtotal=MoneyOut.of(totals.subtotal),
                shipping=MoneyOut.of(totals.shipping),
                tax=MoneyOut.of(totals.tax),
                total=MoneyOut.of(totals.total),
                tax_rate_basis_points=totals.tax_rate_basis_points,
            ),
            shipping_address=AddressOut(
                full_name=address.full_name,
                line1=address.line1,
                line2=address.line2,
                city=address.city,
                region=address.region,
                postal_code=address.postal_code,
                country=address.country,
                phone=address.phone,
            ),
            payment=PaymentOut.of(order),
            fulfilments=[FulfilmentOut.of(f) for f in order.fulfilments],
            created_at=order.created_at,
            updated_at=order.updated_at,
            confirmed_at=order.confirmed_at,
            cancelled_at=order.cancelled_at,
        )


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class SellerOrderOut(Schema):
    """A seller's part of an order: their lines, where to ship them, and how far they got."""

    order_id: str
    order_status: str
    status: str = Field(description="This seller's fulfilment: confirmed, shipped, delivered or cancelled.")
    lines: list[OrderLineOut]
    subtotal: MoneyOut
    shipping_address: AddressOut
    shipment: ShipmentOut | None
    delivered_at: datetime | None
    confirmed_at: datetime | None

    @classmethod
    def of(cls, order: Order, fulfilment: Fulfilment) -> SellerOrderOut:
        whole = OrderOut.of(order)
        part = FulfilmentOut.of(fulfilment)
        return cls(
            order_id=order.order_id,
            order_status=order.status.value,
            status=fulfilment.status.value,
            lines=[OrderLineOut.of(line) for line in fulfilment.lines],
            subtotal=MoneyOut.of(fulfilment.subtotal),
            shipping_address=whole.shipping_address,
            shipment=part.shipment,
            delivered_at=fulfilment.delivered_at,
            confirmed_at=order.confirmed_at,
        )


class SellerOrderPage(Schema):
    items: list[SellerOrderOut]
    next_cursor: str | None
