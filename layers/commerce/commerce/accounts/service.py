"""Account use cases. Registration spans two systems (Cognito and DynamoDB), so it is
written as a tiny saga: every step after the first has a compensation. Operators create
admins and approve or disable sellers (``commerce-admin``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commerce.accounts.model import (
    REGISTRABLE_ROLES,
    Address,
    AuthTokens,
    SellerStatus,
    UserProfile,
    normalise_email,
)
from commerce.accounts.ports import IdentityProvider, UserRepository
from commerce.clock import Clock
from commerce.errors import Forbidden, InvalidInput, NotFound
from commerce.identity import Principal, Role
from commerce.ids import new_id

__all__ = ["AccountService"]


@dataclass
class AccountService:
    identity: IdentityProvider
    users: UserRepository
    clock: Clock
    #: ``SellerApproval=manual``: a new seller cannot sign in until an admin approves them.
    sellers_need_approval: bool = False

    def register(self, email: str, password: str, name: str, account_type: Role) -> UserProfile:
        if account_type not in REGISTRABLE_ROLES:
            raise InvalidInput(
                "Only customer and seller accounts can be registered.", code="invalid_account_type"
            )
        email = normalise_email(email)
        seller_status = None
        if account_type is Role.SELLER:
            seller_status = (
                SellerStatus.PENDING_APPROVAL if self.sellers_need_approval else SellerStatus.APPROVED
            )
        enabled = seller_status is not SellerStatus.PENDING_APPROVAL
        user_id = self.identity.sign_up(email, password, name, enabled=enabled)
        now = self.clock()
        profile = UserProfile(
            user_id=user_id,
            email=email,
            name=name,
            account_type=account_type,
            created_at=now,
            updated_at=now,
            seller_status=seller_status,
        )
        self._complete(profile)
        return profile

    def _complete(self, profile: UserProfile) -> None:
        """The steps after the identity user exists: its group, then its profile."""
        try:
            self.identity.add_to_group(profile.user_id, profile.account_type)
            self.users.add(profile)
        except Exception as failure:
            # Any failure undoes the sign-up, then propagates; a failing undo must not hide it.
            try:
                self.identity.delete_user(profile.user_id)
            except Exception as undo:  # noqa: BLE001 - recorded on the original error, not swallowed
                failure.add_note(f"undoing the sign-up of {profile.user_id} failed too: {undo!r}")
            raise

    def sign_in(self, email: str, password: str) -> AuthTokens:
        email = normalise_email(email)
        try:
            return self.identity.sign_in(email, password)
        except Forbidden as refused:
            if refused.code != "account_disabled":
                raise
            # Registration already tells anyone whether an email has an account, so saying why
            # this one is refused reveals nothing more, and spares a new seller a support call.
            profile = self._profile_by_email(email)
            if profile is not None and profile.seller_status is SellerStatus.PENDING_APPROVAL:
                raise Forbidden(
                    "This seller account is waiting for an administrator's approval.",
                    code="seller_pending_approval",
                ) from None
            raise

    def _profile_by_email(self, email: str) -> UserProfile | None:
        user_id = self.identity.user_id_of(normalise_email(email))
        return self.users.get(user_id) if user_id is not None else None

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

    # ------------------------------------------------------------------ operators
    def account(self, principal: Principal, email_or_id: str) -> UserProfile:
        """An admin looks an account up by email or user id."""
        principal.require(Role.ADMIN)
        who = email_or_id.strip()
        profile = self._profile_by_email(who) if "@" in who else self.users.get(who) if who else None
        if profile is None:
            raise NotFound(f"No account has the email or id {who!r}.", code="user_not_found")
        return profile

    def create_admin(self, principal: Principal, email: str, name: str, password: str) -> UserProfile:
        """A new admin account (admins are never registered through the API)."""
        principal.require(Role.ADMIN)
        email = normalise_email(email)
        user_id = self.identity.create_user(email, name, password)
        now = self.clock()
        profile = UserProfile(
            user_id=user_id, email=email, name=name, account_type=Role.ADMIN, created_at=now, updated_at=now
        )
        self._complete(profile)
        return profile

    def approve_seller(self, principal: Principal, email: str) -> UserProfile:
        """Let a seller sign in. Repeating it is harmless and finishes an approval that stopped
        half-way (the profile is written last, once the identity provider has agreed)."""
        current = self.account(principal, email)
        approved = current.with_seller_status(SellerStatus.APPROVED, self.clock())
        self.identity.set_enabled(current.user_id, True)
        if approved is not current:
            self.users.save(approved, expected_version=current.version)
        return approved

    def disable_seller(self, principal: Principal, email: str) -> UserProfile:
        """Stop a seller from signing in and revoke their refresh tokens; their products stay
        listed (archiving them is a separate decision)."""
        current = self.account(principal, email)
        disabled = current.with_seller_status(SellerStatus.DISABLED, self.clock())
        self.identity.set_enabled(current.user_id, False)
        self.identity.sign_out_everywhere(current.email)
        if disabled is not current:
            self.users.save(disabled, expected_version=current.version)
        return disabled
