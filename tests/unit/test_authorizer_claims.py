"""Specification of how the local JWT authorizer passes claims on: as API Gateway's HTTP API
does, every claim becomes a string."""

from __future__ import annotations

from commerce.identity import Principal, Role
from localcloud.authorizer import flatten_claims


def test_lists_become_bracketed_space_separated_strings() -> None:
    assert flatten_claims({"cognito:groups": ["seller", "admin"]}) == {"cognito:groups": "[seller admin]"}
    assert flatten_claims({"cognito:groups": ["customer"]}) == {"cognito:groups": "[customer]"}
    assert flatten_claims({"cognito:groups": []}) == {"cognito:groups": "[]"}


def test_booleans_become_lower_case_words() -> None:
    assert flatten_claims({"email_verified": True, "phone_number_verified": False}) == {
        "email_verified": "true",
        "phone_number_verified": "false",
    }


def test_numbers_and_strings_become_strings() -> None:
    flat = flatten_claims({"exp": 1736942400, "auth_time": 1736942000, "ratio": 1.5, "sub": "abc"})

    assert flat == {"exp": "1736942400", "auth_time": "1736942000", "ratio": "1.5", "sub": "abc"}
    assert all(isinstance(value, str) for value in flat.values())


def test_the_claims_passed_on_are_read_back_as_the_same_principal() -> None:
    # GIVEN a verified token's claims WHEN the authorizer flattens them for the handler
    claims = flatten_claims({"sub": "user-1", "cognito:groups": ["seller", "admin"], "email_verified": True})

    # THEN the handler sees the same user and roles
    principal = Principal.from_claims(claims)
    assert principal.user_id == "user-1"
    assert principal.roles == frozenset({Role.SELLER, Role.ADMIN})
