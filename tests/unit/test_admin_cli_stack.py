"""commerce-admin finds the platform through the stack's outputs and gives itself the functions'
environment; these tests keep that mapping in step with the template and the settings."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

from commerce.settings import Settings
from commerce_admin.stack import (
    OUTPUT_ENVIRONMENT,
    PARAMETER_ENVIRONMENT,
    REQUIRED_OUTPUTS,
    Stack,
    StackError,
    Target,
    describe_stack,
    prepare_environment,
)

ROOT = Path(__file__).resolve().parents[2]
#: Outputs for people, not for the CLI's services.
NOT_FOR_THE_ENVIRONMENT = {"ApiUrl", "JobsFunctionName"}


@cache
def template() -> dict[str, object]:
    parsed = yaml_parse((ROOT / "template.yaml").read_text())
    assert isinstance(parsed, dict)
    return parsed


def full_stack() -> Stack:
    outputs = {key: f"value-of-{key}" for key in [*OUTPUT_ENVIRONMENT, *REQUIRED_OUTPUTS]}
    return Stack("commerce", "eu-west-1", outputs, {"CardProvider": "stripe", "SellerApproval": "manual"})


def test_every_variable_the_cli_sets_is_a_setting_the_functions_read() -> None:
    aliases = {field.alias for field in Settings.model_fields.values()}

    assert set(OUTPUT_ENVIRONMENT.values()) | set(PARAMETER_ENVIRONMENT.values()) <= aliases


def test_every_output_and_parameter_the_cli_reads_is_in_the_template() -> None:
    parsed = template()
    outputs, parameters = parsed["Outputs"], parsed["Parameters"]
    assert isinstance(outputs, dict) and isinstance(parameters, dict)

    assert set(OUTPUT_ENVIRONMENT) | REQUIRED_OUTPUTS <= set(outputs)
    assert set(PARAMETER_ENVIRONMENT) <= set(parameters)


def test_every_output_of_the_template_is_used_or_known_to_be_for_people() -> None:
    outputs = template()["Outputs"]
    assert isinstance(outputs, dict)

    unused = (
        set(outputs) - set(OUTPUT_ENVIRONMENT) - NOT_FOR_THE_ENVIRONMENT - {"OrderFulfilmentStateMachineArn"}
    )

    assert unused == set(), "map the new outputs in commerce_admin/stack.py, or list them here"


def test_the_environment_holds_the_outputs_the_payment_parameters_and_the_region() -> None:
    environment = full_stack().environment()

    assert environment["USERS_TABLE"] == "value-of-UsersTable"
    assert environment["ORDER_STATE_MACHINE_ARN"] == "value-of-OrderFulfilmentStateMachineArn"
    assert environment["CARD_PROVIDER"] == "stripe"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    # The CLI registers nobody, so it leaves the functions' other parameters alone.
    assert "SELLER_APPROVAL" not in environment


def test_a_stack_without_the_outputs_the_cli_needs_says_which() -> None:
    stack = Stack("commerce", "eu-west-1", {"UsersTable": "users"})

    with pytest.raises(StackError, match=r"lacks the outputs .*JobsFunctionName"):
        stack.environment()
    with pytest.raises(StackError, match="no output ReportsBucketName"):
        stack.output("ReportsBucketName")


class FakeCloudFormation:
    def __init__(self, stacks: dict[str, dict[str, object]]) -> None:
        self.stacks = stacks

    def describe_stacks(self, StackName: str) -> dict[str, object]:  # noqa: N803 - boto3's name
        from botocore.exceptions import ClientError

        if StackName not in self.stacks:
            error = {
                "Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}
            }
            raise ClientError(error, "DescribeStacks")  # type: ignore[arg-type]
        return {"Stacks": [self.stacks[StackName]]}


def test_a_stack_is_read_from_describe_stacks() -> None:
    cloudformation = FakeCloudFormation(
        {
            "shop": {
                "Outputs": [{"OutputKey": "UsersTable", "OutputValue": "shop-users"}],
                "Parameters": [{"ParameterKey": "CardProvider", "ParameterValue": "simulator"}],
            }
        }
    )

    stack = describe_stack(cloudformation, "shop", "eu-west-1")

    assert stack.outputs == {"UsersTable": "shop-users"}
    assert stack.parameters == {"CardProvider": "simulator"}
    with pytest.raises(StackError, match="no stack named 'nope' in eu-west-1"):
        describe_stack(cloudformation, "nope", "eu-west-1")


def test_profile_region_and_endpoint_reach_every_boto3_client_through_the_environment() -> None:
    environ: dict[str, str] = {"AWS_REGION": "us-east-1"}

    changed = prepare_environment(
        Target(profile="ops", region="eu-west-1", endpoint_url="http://127.0.0.1:4566"), environ
    )
    unchanged = prepare_environment(Target(profile="ops", region="eu-west-1"), environ)

    assert changed and not unchanged
    assert environ["AWS_PROFILE"] == "ops"
    assert environ["AWS_REGION"] == environ["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_the_cli_is_an_operators_tool_installed_for_development_but_never_in_the_layer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    admin_extra = set(project["project"]["optional-dependencies"]["admin"])
    layer = (ROOT / "layers/commerce/requirements.txt").read_text()

    assert project["project"]["scripts"]["commerce-admin"] == "commerce_admin.cli:app"
    assert admin_extra <= set(project["dependency-groups"]["dev"])
    assert not any(requirement.split("==")[0] in layer for requirement in admin_extra)
