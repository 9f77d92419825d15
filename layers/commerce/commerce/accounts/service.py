"""Account use cases. Registration spans two systems (Cognito and DynamoDB), so it is
written as a tiny saga: every step after the first has a compensation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commerce.accounts.model import (
    REGISTRABLE_ROLES,
    Address,
    AuthTokens,
    UserProfile,
    normalise_email,
)
from commerce.accounts.ports import IdentityProvider, UserRepository
from commerce.clock import Clock
from commerce.errors import InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.ids import new_id

__all__ = ["AccountService"]


@dataclass
class AccountService:
    identity: IdentityProvider
    users: UserRepository
    clock: Clock

    def register(self, email: str, password: str, name: str, account_type: Role) -> UserProfile:
        if account_type not in REGISTRABLE_ROLES:
            raise InvalidInput(
                "Only customer and seller accounts can be registered.", code="invalid_account_type"
            )
        email = normalise_email(email)
        user_id = self.identity.sign_up(email, password, name)
        now = self.clock()
        profile = UserProfile(
            user_id=user_id, email=email, name=name, account_type=account_type, created_at=now, updated_at=now
        )
        try:
            self.identity.add_to_group(user_id, account_type)
            self.users.add(profile)
        except Exception as failure:
            # Any failure undoes the sign-up, then propagates; a failing undo must not hide it.
            try:
                self.identity.delete_user(user_id)
            except Exception as undo:  # noqa: BLE001 - recorded on the original error, not swallowed
                failure.add_note(f"undoing the sign-up of {user_id} failed too: {undo!r}")
            raise
        return profile

    def sign_in(self, email: str, password: str) -> AuthTokens:
        return self.identity.sign_in(normalise_email(email), password)

    def refresh(self, refresh_token: str) -> AuthTokens:
        return self.identity.refresh(refresh_token)

    def profile(self, principal: Principal) -> UserProfile:
        profile = self.users.get(principal.user_id)
        if profile is None:
            raise NotFound("This account has no profile.", code="profile_not_found")
        return profile

    def update_profile(self, principal: Principal, changes: dict[str, Any]) -> UserProfile:
        current = self.profile(principal)
        updated = current.with_changes(changes, self.clock())
        self.users.save(updated, expected_version=current.version)
        if "name" in changes:
            self.identity.set_attributes(principal.user_id, {"name": updated.name})
        return updated

    def addresses(self, principal: Principal) -> tuple[list[Address], str | None]:
        profile = self.profile(principal)
        return self.users.list_addresses(principal.user_id), profile.default_address_id

    def add_address(self, principal: Principal, fields: dict[str, Any], make_default: bool) -> Address:
        profile = self.profile(principal)
        profile.can_add_address()
        address = Address(address_id=new_id(), **fields)
        self.users.add_address(
            principal.user_id, address, make_default=make_default or profile.default_address_id is None
        )
        return address

    def update_address(
        self, principal: Principal, address_id: str, changes: dict[str, Any], make_default: bool
    ) -> Address:
        current = self.users.get_address(principal.user_id, address_id)
        if current is None:
            raise NotFound("No such address.", code="address_not_found")
        updated = current.updated(changes)
        self.users.update_address(principal.user_id, updated, make_default=make_default)
        return updated

    def delete_address(self, principal: Principal, address_id: str) -> None:
        self.users.delete_address(principal.user_id, address_id)
