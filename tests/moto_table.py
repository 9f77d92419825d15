"""A bare moto DynamoDB table for adapter tests that need no local cloud (payment providers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from localcloud import hooks

__all__ = ["REGION", "dynamodb_table"]

REGION = "us-east-1"

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _no_lambda(function_name: str, event: Any) -> Any:
    raise AssertionError(f"no Lambda runs in these tests ({function_name})")


def _hooks_installed() -> bool:
    """Inside a session that already runs the local cloud, its hooks (and dispatcher) stay as they are."""
    return getattr(vars(DynamoHandler)["call_action"], "__module__", None) == hooks.__name__


@contextmanager
def _fake_credentials() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in [*_FAKE_CREDENTIALS, "AWS_PROFILE"]}
    os.environ.update(_FAKE_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def dynamodb_table(prefix: str = "table") -> Iterator[tuple[Any, str]]:
    """A fresh pk/sk table on moto: ``(client, table_name)``.

    moto's DynamoDB is not thread-safe on its own; the local cloud's hooks serialise it, so
    conditions hold when tests race threads against the table.
    """
    with _fake_credentials(), mock_aws():
        installed_here = not _hooks_installed()
        if installed_here:
            hooks.install(_no_lambda)
        try:
            client = boto3.client("dynamodb", region_name=REGION)
            name = f"{prefix}-{uuid.uuid4().hex[:12]}"
            client.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            yield client, name
            client.delete_table(TableName=name)
        finally:
            if installed_here:
                hooks.uninstall()
