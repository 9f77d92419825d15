"""Who is calling: the principal derived from the verified token's claims.

API Gateway's JWT authorizer has already checked signature, issuer, audience and expiry;
handlers only read the claims it passes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from commerce.errors import Forbidden, Unauthorized

__all__ = ["Principal", "Role", "parse_groups"]


class Role(StrEnum):
    CUSTOMER = "customer"
    SELLER = "seller"
    ADMIN = "admin"


def parse_groups(value: Any) -> frozenset[Role]:
    """Cognito groups as API Gateway passes them: a list, or a string like ``[seller admin]``.

    HTTP API flattens array claims into that bracketed, space-separated string.
    """
    if value is None:
        return frozenset()
    items: Iterable[str]
    if isinstance(value, str):
        items = value.strip().strip("[]").replace(",", " ").split()
    elif isinstance(value, list | tuple):
        items = [str(item) for item in value]
    else:
        return frozenset()
    known = {role.value for role in Role}
    return frozenset(Role(item) for item in items if item in known)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    roles: frozenset[Role]

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Principal:
        if not claims or not claims.get("sub"):
            raise Unauthorized("A valid access token is required.")
        return cls(user_id=str(claims["sub"]), roles=parse_groups(claims.get("cognito:groups")))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require(self, *roles: Role) -> None:
        """Allow the call if the principal has any of ``roles`` (admins always may)."""
        if self.is_admin or any(role in self.roles for role in roles):
            return
        wanted = " or ".join(role.value for role in roles)
        raise Forbidden(f"This needs the {wanted} role.", code="role_required")
