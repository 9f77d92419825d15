"""Account aggregates and their rules, free of I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from commerce.errors import Conflict, InvalidInput
from commerce.identity import Role

__all__ = [
    "MAX_ADDRESSES",
    "REGISTRABLE_ROLES",
    "Address",
    "AuthTokens",
    "SellerStatus",
    "UserProfile",
    "normalise_email",
]

#: How many saved addresses one account may keep.
MAX_ADDRESSES = 20
#: Account types anyone may register as; admins are made by operators.
REGISTRABLE_ROLES = frozenset({Role.CUSTOMER, Role.SELLER})


def normalise_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are stored lower-cased and trimmed."""
    return email.strip().lower()


class SellerStatus(StrEnum):
    """Whether a seller may sign in: with manual approval a new seller waits for an admin."""

    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class AuthTokens:
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int


@dataclass(frozen=True, slots=True)
class Address:
    address_id: str
    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None
    phone: str | None = None

    def updated(self, changes: dict[str, Any]) -> Address:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class UserProfile:
    user_id: str
    email: str
    name: str
    account_type: Role
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    sms_opt_in: bool = False
    default_address_id: str | None = None
    address_count: int = 0
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    #: Sellers only; ``None`` for every other account type.
    seller_status: SellerStatus | None = None

    def with_changes(self, changes: dict[str, Any], now: datetime) -> UserProfile:
        """Apply a profile patch, keeping its invariants (no SMS without a phone)."""
        allowed = {"name", "phone", "sms_opt_in"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
        updated = replace(self, **changes, updated_at=now, version=self.version + 1)
        if updated.sms_opt_in and not updated.phone:
            raise InvalidInput(
                "SMS notifications need a phone number.",
                code="phone_required",
            )
        return updated

    def with_seller_status(self, status: SellerStatus, now: datetime) -> UserProfile:
        """Approve or disable a seller; setting the status it already has changes nothing."""
        if self.account_type is not Role.SELLER:
            raise Conflict(
                f"{self.email} is a {self.account_type.value} account, not a seller.", code="not_a_seller"
            )
        if self.seller_status is status:
            return self
        return replace(self, seller_status=status, updated_at=now, version=self.version + 1)

    def can_add_address(self) -> None:
        if self.address_count >= MAX_ADDRESSES:
            raise Conflict(
                f"An account keeps at most {MAX_ADDRESSES} addresses; remove one first.",
                code="too_many_addresses",
            )
