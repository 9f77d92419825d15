"""Shapes shared by every service: money, pages, problems."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from commerce.money import MAX_AMOUNT, Money, is_supported_currency

__all__ = [
    "FieldProblem",
    "LongText",
    "MoneyModel",
    "Name",
    "PageModel",
    "Problem",
    "RequestModel",
    "ShortText",
]

T = TypeVar("T")


class Schema(BaseModel):
    """Base of every API model. Validators are built on first use, not at import, so a cold
    start pays only for the models its first request touches."""

    model_config = ConfigDict(defer_build=True)


class RequestModel(Schema):
    """Requests reject unknown fields, so a typo is a 422 and not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _supported(code: str) -> str:
    if not is_supported_currency(code):
        raise ValueError("unsupported currency")
    return code


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_supported)]


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class MoneyModel(Schema):
    """An amount in integer minor units (cents) and its ISO 4217 currency."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT, examples=[1999])
    currency: Currency = Field(examples=["USD"])

    def to_domain(self) -> Money:
        return Money(self.amount, self.currency)

    @classmethod
    def of(cls, money: Money) -> MoneyModel:
        return cls(amount=money.amount, currency=money.currency)


class PageModel(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class FieldProblem(Schema):
    field: str
    message: str
    type: str


class Problem(Schema):
    """RFC 9457 problem details; `code` is the stable thing to branch on."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None
