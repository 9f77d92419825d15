"""Request and response shapes of the carts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints

from commerce.api.schemas.common import RequestModel, Schema
from commerce.carts.model import MAX_QUANTITY, CartView, PricedLine, SkippedLine
from commerce.money import Money

__all__ = [
    "CartLineOut",
    "CartLineUpdate",
    "CartOut",
    "MergeRequest",
    "MergedCartOut",
    "MoneyOut",
    "SkippedLineOut",
]


class CartLineUpdate(RequestModel):
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY, description="Units of the product in the cart.")


class MergeRequest(RequestModel):
    # Not pattern-checked here: an id that cannot exist is a 404 ``cart_not_found``, like an
    # id that no longer exists, so a client has one answer to handle.
    guest_cart_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        examples=["g_3f2a9c1e5b7d4f60a1b2c3d4e5f60718"]
    )


class MoneyOut(Schema):
    """An amount in integer minor units and its ISO 4217 currency (a sum may exceed the
    largest single price)."""

    amount: int = Field(examples=[1999])
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)


WarningCode = Literal["price_changed", "insufficient_stock", "unavailable"]


class CartLineOut(Schema):
    product_id: str
    name: str | None = Field(description="Null only when the product no longer exists.")
    image: str | None = Field(description="Thumbnail URL, or null.")
    unit_price: MoneyOut = Field(description="The product's current price.")
    quantity: int
    subtotal: MoneyOut = Field(description="Zero for an unavailable line.")
    warnings: list[WarningCode] = Field(
        description="`price_changed`: see `previous_unit_price`; `insufficient_stock`: see "
        "`available`; `unavailable`: archived or gone, left out of the total."
    )
    previous_unit_price: MoneyOut | None = Field(
        default=None, description="The price when the line was set, if it has changed since."
    )
    available: int | None = Field(default=None, description="Units in stock, when fewer than `quantity`.")
    added_at: datetime

    @classmethod
    def of(cls, line: PricedLine) -> CartLineOut:
        return cls(
            product_id=line.product_id,
            name=line.name,
            image=line.image,
            unit_price=MoneyOut.of(line.unit_price),
            quantity=line.quantity,
            subtotal=MoneyOut.of(line.subtotal),
            warnings=[warning.value for warning in line.warnings],
            previous_unit_price=MoneyOut.of(line.previous_unit_price) if line.previous_unit_price else None,
            available=line.available,
            added_at=line.added_at,
        )


class CartOut(Schema):
    cart_id: str
    lines: list[CartLineOut]
    total: MoneyOut | None = Field(description="Sum of the available lines; null for an empty cart.")
    item_count: int = Field(description="Units across all lines.")
    expires_at: datetime | None = Field(
        description="24 hours after the last change; null for an empty customer cart."
    )
    currency: str | None = Field(description="The cart's one currency; null while it is empty.")

    @classmethod
    def of(cls, view: CartView) -> CartOut:
        return cls(
            cart_id=view.cart_id,
            lines=[CartLineOut.of(line) for line in view.lines],
            total=MoneyOut.of(view.total) if view.total is not None else None,
            item_count=view.item_count,
            expires_at=view.expires_at,
            currency=view.currency,
        )


class SkippedLineOut(Schema):
    product_id: str
    quantity: int
    reason: Literal["currency_mismatch", "cart_full"]

    @classmethod
    def of(cls, skipped: SkippedLine) -> SkippedLineOut:
        return cls(product_id=skipped.product_id, quantity=skipped.quantity, reason=skipped.reason.value)


class MergedCartOut(CartOut):
    skipped: list[SkippedLineOut] = Field(description="Guest lines that could not be taken over.")

    @classmethod
    def of(cls, view: CartView) -> MergedCartOut:
        return cls(
            **CartOut.of(view).model_dump(), skipped=[SkippedLineOut.of(line) for line in view.skipped]
        )
