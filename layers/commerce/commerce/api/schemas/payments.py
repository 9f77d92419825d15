"""Refunds, the wallet and payment webhooks at the HTTP boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from commerce.api.schemas.carts import MoneyOut
from commerce.api.schemas.common import MoneyModel, RequestModel, Schema
from commerce.api.schemas.orders import PaymentOut, RefundOut
from commerce.wallet.model import WalletEntry
from commerce.wallet.service import WalletView

__all__ = [
    "RefundCreated",
    "RefundIn",
    "WalletCreditIn",
    "WalletCreditOut",
    "WalletEntryOut",
    "WalletOut",
    "WebhookReceived",
]

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RefundIn(RequestModel):
    amount: MoneyModel | None = Field(
        default=None, description="What to give back; omitted: everything still refundable."
    )
    destination: Literal["original", "wallet"] = Field(
        default="original",
        description="original: back to the card, PayPal account or wallet that paid; wallet: store credit.",
    )
    reason: Reason = Field(examples=["Item arrived damaged"])


class RefundCreated(Schema):
    refund: RefundOut
    payment: PaymentOut


class WebhookReceived(Schema):
    event_id: str
    outcome: str = Field(description="processed, duplicate or ignored.")


class WalletEntryOut(Schema):
    sequence: int = Field(description="The wallet's changes numbered from 1, without gaps.")
    movement_id: str
    kind: str = Field(description="credit, hold, release, refund or store_credit.")
    amount: MoneyOut = Field(description="Signed: positive added to the balance, negative took from it.")
    balance_after: MoneyOut
    order_id: str | None
    reason: str | None
    at: datetime

    @classmethod
    def of(cls, entry: WalletEntry) -> WalletEntryOut:
        return cls(
            sequence=entry.sequence,
            movement_id=entry.movement_id,
            kind=entry.kind.value,
            amount=MoneyOut.of(entry.amount),
            balance_after=MoneyOut.of(entry.balance_after),
            order_id=entry.order_id,
            reason=entry.reason,
            at=entry.at,
        )


class WalletOut(Schema):
    customer_id: str
    balance: MoneyOut
    entries: list[WalletEntryOut] = Field(description="The statement, newest first.")
    next_cursor: str | None

    @classmethod
    def of(cls, view: WalletView) -> WalletOut:
        return cls(
            customer_id=view.wallet.customer_id,
            balance=MoneyOut.of(view.wallet.balance),
            entries=[WalletEntryOut.of(entry) for entry in view.entries],
            next_cursor=view.next_cursor,
        )


class WalletCreditIn(RequestModel):
    customer_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    amount: MoneyModel
    reason: Reason = Field(examples=["Goodwill credit for a late delivery"])


class WalletCreditOut(Schema):
    movement_id: str
    created: bool = Field(description="False when the Idempotency-Key was replayed.")
    wallet: WalletOut
