"""The identity provider port on Amazon Cognito user pools (and moto's, locally)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from commerce.accounts.model import AuthTokens
from commerce.accounts.ports import IdentityProvider
from commerce.errors import Conflict, DependencyFailure, FieldError, Forbidden, InvalidInput, Unauthorized
from commerce.identity import Role

__all__ = ["CognitoIdentityProvider"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("The email or password is wrong.", code="invalid_credentials")


def _is_disabled_user(error: ClientError) -> bool:
    """Cognito says a user is disabled only in the message of a NotAuthorizedException ("User is
    disabled."); there is no code of its own to branch on."""
    message = str(error.response.get("Error", {}).get("Message", ""))
    return _code(error) == "NotAuthorizedException" and "disabled" in message.lower()


def _sign_up_refused(error: ClientError) -> Exception:
    """SignUp's and AdminCreateUser's refusals as the domain's errors (or the error itself)."""
    code = _code(error)
    if code in {"UsernameExistsException", "AliasExistsException"}:
        return Conflict(
            "An account with this email exists already.",
            code="email_taken",
            errors=[FieldError("body.email", "An account with this email exists already.", "taken")],
        )
    if code == "InvalidPasswordException":
        message = error.response.get("Error", {}).get("Message", "The password is too weak.")
        return InvalidInput(
            "The password does not meet the policy: at least 8 characters with upper and lower "
            "case letters, a digit and a symbol.",
            code="invalid_password",
            errors=[FieldError("body.password", message, "weak_password")],
        )
    if code == "InvalidParameterException":
        return InvalidInput(
            "The identity provider rejected the sign-up.",
            code="invalid_registration",
            errors=[FieldError("body", str(error.response.get("Error", {}).get("Message", "")), "invalid")],
        )
    return error


class CognitoIdentityProvider(IdentityProvider):
    def __init__(self, client: Any, user_pool_id: str, client_id: str) -> None:
        self._client = client
        self._pool = user_pool_id
        self._app_client = client_id

    def sign_up(self, email: str, password: str, name: str, enabled: bool = True) -> str:
        try:
            response = self._client.sign_up(
                ClientId=self._app_client,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}],
            )
        except ClientError as error:
            refused = _sign_up_refused(error)
            if refused is error:
                raise
            raise refused from None
        user_id = str(response["UserSub"])
        # Disabled before it is confirmed: an unconfirmed user cannot sign in either, so a seller
        # waiting for approval never has a moment in which they could.
        self._finish(user_id, lambda: self._confirm(email, enabled))
        return user_id

    def _confirm(self, email: str, enabled: bool) -> None:
        if not enabled:
            self._client.admin_disable_user(UserPoolId=self._pool, Username=email)
        self._client.admin_confirm_sign_up(UserPoolId=self._pool, Username=email)

    def _finish(self, user_id: str, step: Callable[[], None]) -> None:
        """Run the rest of creating a user; on failure, delete the half-made user (the email would
        stay taken otherwise) and let the failure propagate."""
        try:
            step()
        except Exception as failure:
            try:
                self.delete_user(user_id)
            except Exception as undo:  # noqa: BLE001 - recorded on the original error, not swallowed
                failure.add_note(f"deleting the half-made user {user_id} failed too: {undo!r}")
            raise

    def create_user(self, email: str, name: str, password: str) -> str:
        try:
            response = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                ],
                MessageAction="SUPPRESS",
            )
        except ClientError as error:
            refused = _sign_up_refused(error)
            if refused is error:
                raise
            raise refused from None
        attributes = {a["Name"]: a["Value"] for a in response["User"].get("Attributes", [])}
        user_id = str(attributes.get("sub") or response["User"]["Username"])

        def set_password() -> None:
            try:
                self._client.admin_set_user_password(
                    UserPoolId=self._pool, Username=user_id, Password=password, Permanent=True
                )
            except ClientError as error:
                refused = _sign_up_refused(error)
                if refused is error:
                    raise
                raise refused from None

        self._finish(user_id, set_password)
        return user_id

    def user_id_of(self, email: str) -> str | None:
        try:
            response = self._client.admin_get_user(UserPoolId=self._pool, Username=email)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in response.get("UserAttributes", [])}
        return str(attributes.get("sub") or response["Username"])

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        if enabled:
            self._client.admin_enable_user(UserPoolId=self._pool, Username=user_id)
        else:
            self._client.admin_disable_user(UserPoolId=self._pool, Username=user_id)

    def sign_out_everywhere(self, email: str) -> None:
        # By the name the user signs in with: moto revokes only tokens issued to that exact name
        # (Cognito itself takes any alias).
        self._client.admin_user_global_sign_out(UserPoolId=self._pool, Username=email)

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
            if _is_disabled_user(error):
                raise Forbidden(
                    "This account is disabled; contact the platform's support.", code="account_disabled"
                ) from None
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
