"""What the accounts service needs from the outside world."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from commerce.accounts.model import Address, AuthTokens, UserProfile
from commerce.identity import Role

__all__ = ["IdentityProvider", "UserRepository"]


class IdentityProvider(ABC):
    """Credentials and group membership (Cognito in AWS and in the local cloud)."""

    @abstractmethod
    def sign_up(self, email: str, password: str, name: str, enabled: bool = True) -> str:
        """Create a confirmed user and return its subject id. ``enabled=False`` disables it before
        it is confirmed, so it can never sign in until ``set_enabled``.

        Raises ``Conflict(code="email_taken")`` or ``InvalidInput(code="invalid_password")``.
        """

    @abstractmethod
    def create_user(self, email: str, name: str, password: str) -> str:
        """Create a confirmed user with a permanent password on an operator's behalf (no sign-up
        flow, no invitation email); same errors as ``sign_up``."""

    @abstractmethod
    def user_id_of(self, email: str) -> str | None:
        """The subject id of the user with this (normalised) email, if any."""

    @abstractmethod
    def add_to_group(self, user_id: str, role: Role) -> None: ...

    @abstractmethod
    def delete_user(self, user_id: str) -> None: ...

    @abstractmethod
    def set_enabled(self, user_id: str, enabled: bool) -> None:
        """Let the user sign in, or stop them from signing in."""

    @abstractmethod
    def sign_out_everywhere(self, email: str) -> None:
        """Revoke the user's refresh tokens; access tokens already issued live until they expire."""

    @abstractmethod
    def sign_in(self, email: str, password: str) -> AuthTokens:
        """Raises ``Unauthorized(code="invalid_credentials")``, or ``Forbidden(code="account_disabled")``
        for a disabled user."""

    @abstractmethod
    def refresh(self, refresh_token: str) -> AuthTokens: ...

    @abstractmethod
    def set_attributes(self, user_id: str, attributes: dict[str, str]) -> None: ...


class UserRepository(ABC):
    @abstractmethod
    def add(self, profile: UserProfile) -> None:
        """Store a new profile; raises ``Conflict`` when the user id already has one."""

    @abstractmethod
    def get(self, user_id: str) -> UserProfile | None: ...

    @abstractmethod
    def save(self, profile: UserProfile, expected_version: int) -> None:
        """Replace the profile's mutable fields if its version is still ``expected_version``."""

    @abstractmethod
    def list_addresses(self, user_id: str) -> list[Address]: ...

    @abstractmethod
    def add_address(self, user_id: str, address: Address, make_default: bool) -> None:
        """Store the address and count it on the profile in one transaction (bounded by MAX_ADDRESSES)."""

    @abstractmethod
    def update_address(self, user_id: str, address: Address, make_default: bool) -> None: ...

    @abstractmethod
    def delete_address(self, user_id: str, address_id: str) -> None: ...

    @abstractmethod
    def get_address(self, user_id: str, address_id: str) -> Address | None: ...

    def describe(self) -> dict[str, Any]:
        return {}
