"""The identity provider port on Amazon Cognito user pools (and moto's, locally)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from commerce.accounts.model import AuthTokens
from commerce.accounts.ports import IdentityProvider
from commerce.errors import Conflict, DependencyFailure, FieldError, InvalidInput, Unauthorized
from commerce.identity import Role

__all__ = ["CognitoIdentityProvider"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("The email or password is wrong.", code="invalid_credentials")


class CognitoIdentityProvider(IdentityProvider):
    def __init__(self, client: Any, user_pool_id: str, client_id: str) -> None:
        self._client = client
        self._pool = user_pool_id
        self._app_client = client_id

    def sign_up(self, email: str, password: str, name: str) -> str:
        try:
            response = self._client.sign_up(
                ClientId=self._app_client,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}],
            )
        except ClientError as error:
            code = _code(error)
            if code in {"UsernameExistsException", "AliasExistsException"}:
                raise Conflict(
                    "An account with this email exists already.",
                    code="email_taken",
                    errors=[FieldError("body.email", "An account with this email exists already.", "taken")],
                ) from None
            if code == "InvalidPasswordException":
                message = error.response.get("Error", {}).get("Message", "The password is too weak.")
                raise InvalidInput(
                    "The password does not meet the policy: at least 8 characters with upper and lower "
                    "case letters, a digit and a symbol.",
                    code="invalid_password",
                    errors=[FieldError("body.password", message, "weak_password")],
                ) from None
            if code == "InvalidParameterException":
                raise InvalidInput(
                    "The identity provider rejected the sign-up.",
                    code="invalid_registration",
                    errors=[
                        FieldError("body", str(error.response.get("Error", {}).get("Message", "")), "invalid")
                    ],
                ) from None
            raise
        user_id = str(response["UserSub"])
        self._client.admin_confirm_sign_up(UserPoolId=self._pool, Username=email)
        return user_id

    def add_to_group(self, user_id: str, role: Role) -> None:
        self._client.admin_add_user_to_group(UserPoolId=self._pool, Username=user_id, GroupName=role.value)

    def delete_user(self, user_id: str) -> None:
        try:
            self._client.admin_delete_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as error:
            if _code(error) != "UserNotFoundException":
                raise

    def set_attributes(self, user_id: str, attributes: dict[str, str]) -> None:
        self._client.admin_update_user_attributes(
            UserPoolId=self._pool,
            Username=user_id,
            UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        )

    @staticmethod
    def _tokens(result: dict[str, Any], refresh_token: str | None = None) -> AuthTokens:
        return AuthTokens(
            access_token=result["AccessToken"],
            id_token=result["IdToken"],
            refresh_token=result.get("RefreshToken", refresh_token),
            expires_in=int(result.get("ExpiresIn", 3600)),
        )

    def sign_in(self, email: str, password: str) -> AuthTokens:
        try:
            response = self._client.initiate_auth(
                ClientId=self._app_client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except ClientError as error:
            if _code(error) in {
                "NotAuthorizedException",
                "UserNotFoundException",
                "UserNotConfirmedException",
            }:
                raise _invalid_credentials() from None
            if _code(error) == "TooManyRequestsException":
                raise DependencyFailure(
                    "Too many sign-in attempts; wait a moment.", code="rate_limited"
                ) from None
            raise
        if "AuthenticationResult" not in response:
            raise Unauthorized(
                f"Sign-in needs a further step ({response.get('ChallengeName')}).", code="challenge_required"
            )
        return self._tokens(response["AuthenticationResult"])

    def refresh(self, refresh_token: str) -> AuthTokens:
        try:
            response = self._client.initiate_auth(
                ClientId=self._app_client,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except ClientError as error:
            if _code(error) in {"NotAuthorizedException", "UserNotFoundException"}:
                raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token") from None
            raise
        return self._tokens(response["AuthenticationResult"], refresh_token)
