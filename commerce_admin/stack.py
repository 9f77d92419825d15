"""Finding the platform: the CloudFormation stack's outputs name every table, pool, bus and function,
and become the same environment variables the functions are given, so ``commerce.bootstrap`` builds
the same services here as in Lambda. The same code reaches AWS and the local stack (whose moto
registers the same outputs)."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

__all__ = [
    "OUTPUT_ENVIRONMENT",
    "PARAMETER_ENVIRONMENT",
    "REQUIRED_OUTPUTS",
    "Stack",
    "StackError",
    "Target",
    "apply_stack",
    "describe_stack",
    "prepare_environment",
]

#: Stack output -> the environment variable the functions read it from (``commerce.settings``).
OUTPUT_ENVIRONMENT: dict[str, str] = {
    "UsersTable": "USERS_TABLE",
    "CategoriesTable": "CATEGORIES_TABLE",
    "ProductsTable": "PRODUCTS_TABLE",
    "InventoryTable": "INVENTORY_TABLE",
    "OrdersTable": "ORDERS_TABLE",
    "CartsTable": "CARTS_TABLE",
    "WalletTable": "WALLET_TABLE",
    "PaymentSimulatorTable": "PAYMENT_SIMULATOR_TABLE",
    "RecommendationsTable": "RECOMMENDATIONS_TABLE",
    "NotificationsTable": "NOTIFICATIONS_TABLE",
    "UserPoolId": "USER_POOL_ID",
    "UserPoolClientId": "USER_POOL_CLIENT_ID",
    "EventBusName": "EVENT_BUS_NAME",
    "OrderFulfilmentStateMachineArn": "ORDER_STATE_MACHINE_ARN",
    "ReportsBucketName": "REPORTS_BUCKET",
    "NotificationSender": "NOTIFICATION_SENDER",
    "ImagesUrl": "IMAGES_BASE_URL",
}

#: Stack parameter -> environment variable: how payments are configured (refunds and cancellations
#: go to the provider that took the money).
PARAMETER_ENVIRONMENT: dict[str, str] = {
    "CardProvider": "CARD_PROVIDER",
    "StripeSecretName": "STRIPE_SECRET_NAME",
    "PayPalSecretName": "PAYPAL_SECRET_NAME",
    "PayPalEnvironment": "PAYPAL_ENVIRONMENT",
}

#: Without these the CLI cannot do its work; the others are passed on when present.
REQUIRED_OUTPUTS = frozenset(
    {
        "UsersTable",
        "CategoriesTable",
        "ProductsTable",
        "InventoryTable",
        "OrdersTable",
        "UserPoolId",
        "UserPoolClientId",
        "OrderFulfilmentStateMachineArn",
        "JobsFunctionName",
    }
)

#: Credentials for an endpoint when none are configured (the local stack's moto accepts any).
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "commerce-admin", "AWS_SECRET_ACCESS_KEY": "commerce-admin"}


class StackError(Exception):
    """The stack cannot be found or used: the operator's setup, not a bug."""


@dataclass(frozen=True)
class Target:
    """Where to work: an AWS profile and region, or a local endpoint, and the stack's name."""

    stack: str = "commerce"
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    outputs: dict[str, str]
    parameters: dict[str, str] = field(default_factory=dict)

    def output(self, key: str) -> str:
        value = self.outputs.get(key)
        if not value:
            raise StackError(
                f"The stack {self.name!r} has no output {key}: deploy the current template.yaml first."
            )
        return value

    def environment(self) -> dict[str, str]:
        """The variables the functions get, as far as the CLI's services need them."""
        missing = sorted(REQUIRED_OUTPUTS - {key for key, value in self.outputs.items() if value})
        if missing:
            raise StackError(
                f"The stack {self.name!r} lacks the outputs {', '.join(missing)}: "
                "deploy the current template.yaml first."
            )
        variables = {
            OUTPUT_ENVIRONMENT[key]: value for key, value in self.outputs.items() if key in OUTPUT_ENVIRONMENT
        }
        variables.update(
            {
                PARAMETER_ENVIRONMENT[key]: value
                for key, value in self.parameters.items()
                if key in PARAMETER_ENVIRONMENT
            }
        )
        variables["AWS_REGION"] = variables["AWS_DEFAULT_REGION"] = self.region
        return variables


def describe_stack(cloudformation: Any, name: str, region: str) -> Stack:
    try:
        described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            raise StackError(
                f"There is no stack named {name!r} in {region}. Pass --stack, --region or --profile; "
                "for the local stack (make run), --endpoint-url http://127.0.0.1:4566."
            ) from None
        raise
    return Stack(
        name=name,
        region=region,
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs", [])},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])},
    )


def _set(environ: MutableMapping[str, str], variables: Mapping[str, str]) -> bool:
    changed = False
    for key, value in variables.items():
        if environ.get(key) != value:
            environ[key] = value
            changed = True
    return changed


def prepare_environment(target: Target, environ: MutableMapping[str, str] | None = None) -> bool:
    """Point every boto3 client of this process (ours and ``commerce.bootstrap``'s) at the target's
    account: profile, region and endpoint. True when anything changed."""
    environ = os.environ if environ is None else environ
    variables: dict[str, str] = {}
    if target.profile:
        variables["AWS_PROFILE"] = target.profile
    if target.region:
        variables["AWS_REGION"] = variables["AWS_DEFAULT_REGION"] = target.region
    if target.endpoint_url:
        variables["AWS_ENDPOINT_URL"] = target.endpoint_url
    changed = _set(environ, variables)
    if target.endpoint_url and not target.profile and _no_credentials():
        # The local stack takes any; an endpoint in front of real AWS would still need real ones.
        changed = _set(environ, _LOCAL_CREDENTIALS) or changed
    return changed


def _no_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is None


def apply_stack(stack: Stack, environ: MutableMapping[str, str] | None = None) -> bool:
    """The stack's environment, for ``commerce.bootstrap``; True when anything changed."""
    return _set(os.environ if environ is None else environ, stack.environment())
