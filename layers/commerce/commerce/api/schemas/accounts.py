"""Request and response shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StrictBool, StringConstraints, model_validator

from commerce.accounts.model import Address, AuthTokens, UserProfile
from commerce.api.schemas.common import Name, RequestModel, Schema, ShortText

__all__ = [
    "AddressCreate",
    "AddressFields",
    "AddressList",
    "AddressOut",
    "AddressPatch",
    "LoginRequest",
    "ProfileOut",
    "ProfilePatch",
    "RefreshRequest",
    "RegisterRequest",
    "Registered",
    "TokensOut",
]

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$"),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+[1-9][0-9]{6,14}$")]
Country = Annotated[
    str,
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
    StringConstraints(pattern=r"^[A-Z]{2}$"),
]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class RegisterRequest(RequestModel):
    email: Email = Field(examples=["ada@example.com"])
    password: Password = Field(
        description="At least 8 characters with upper and lower case letters, a digit and a symbol."
    )
    name: ShortText = Field(examples=["Ada Lovelace"])
    account_type: Literal["customer", "seller"] = "customer"


class Registered(Schema):
    user_id: str


class LoginRequest(RequestModel):
    email: Email
    password: Password


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class TokensOut(Schema):
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type, not a secret

    @classmethod
    def of(cls, tokens: AuthTokens) -> TokensOut:
        return cls(
            access_token=tokens.access_token,
            id_token=tokens.id_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        )


class ProfileOut(Schema):
    user_id: str
    email: str
    name: str
    account_type: Literal["customer", "seller", "admin"]
    phone: str | None
    sms_opt_in: bool
    default_address_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, profile: UserProfile) -> ProfileOut:
        return cls(
            user_id=profile.user_id,
            email=profile.email,
            name=profile.name,
            account_type=profile.account_type.value,
            phone=profile.phone,
            sms_opt_in=profile.sms_opt_in,
            default_address_id=profile.default_address_id,
            created_at=profile.created_at,
            updated_at=profile.updated_at,
        )


class ProfilePatch(RequestModel):
    name: ShortText | None = None
    phone: Phone | None = Field(default=None, description="E.164, e.g. +14155550100; null removes it.")
    sms_opt_in: StrictBool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ProfilePatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        if "sms_opt_in" in self.model_fields_set and self.sms_opt_in is None:
            raise ValueError("sms_opt_in cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class AddressFields(RequestModel):
    full_name: ShortText
    line1: Name
    line2: Name | None = None
    city: ShortText
    region: ShortText | None = None
    postal_code: PostalCode
    country: Country = Field(description="ISO 3166-1 alpha-2 code.", examples=["US"])
    phone: Phone | None = None


class AddressCreate(AddressFields):
    default: StrictBool = False

    def fields(self) -> dict[str, object]:
        return self.model_dump(exclude={"default"})


class AddressPatch(RequestModel):
    full_name: ShortText | None = None
    line1: Name | None = None
    line2: Name | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: PostalCode | None = None
    country: Country | None = None
    phone: Phone | None = None
    default: StrictBool = False

    @model_validator(mode="after")
    def _required_stay_set(self) -> AddressPatch:
        for name in ("full_name", "line1", "city", "postal_code", "country"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set if name != "default"}


class AddressOut(Schema):
    address_id: str
    full_name: str
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    phone: str | None
    is_default: bool

    @classmethod
    def of(cls, address: Address, default_address_id: str | None) -> AddressOut:
        return cls(
            address_id=address.address_id,
            full_name=address.full_name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
            phone=address.phone,
            is_default=address.address_id == default_address_id,
        )


class AddressList(Schema):
    items: list[AddressOut]
