"""The stack as CloudFormation describes it: the template's Outputs (and Parameters), resolved to
what localcloud created and registered in moto's CloudFormation, so ``describe_stacks`` answers
locally what it answers for a deployed stack (``commerce-admin`` finds everything through it)."""

from __future__ import annotations

import json
import warnings
from typing import Any

from localcloud.intrinsics import Resolver, references
from localcloud.provision import ACCOUNT_ID, Provisioned
from localcloud.template import Template

__all__ = ["register_stack", "stack_outputs"]

#: Outputs naming something localcloud does not create but serves itself, by the referenced resource's
#: type: what they mean locally, relative to the local server's base URL.
_SERVED_BY_THE_LOCAL_SERVER = {
    "AWS::ApiGatewayV2::Api": "",
    "AWS::CloudFront::Distribution": "/_images",
}


def _resolver(template: Template, resources: Provisioned, region: str, stack: str) -> Resolver:
    parameters = {name: spec.get("Default") for name, spec in template.cfn.get("Parameters", {}).items()}
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack}/local",
    }

    def ref(name: str) -> Any:
        if name in pseudo:
            return pseudo[name]
        if name in parameters:
            return parameters[name]
        return resources.refs[name]

    return Resolver(ref, lambda logical_id, attribute: resources.attributes[(logical_id, attribute)])


def stack_outputs(
    template: Template, resources: Provisioned, region: str, stack: str, public_url: str
) -> dict[str, str]:
    """Every output's value, resolved with the same Resolver provisioning used."""
    resolve = _resolver(template, resources, region, stack)
    types = {logical_id: resource["Type"] for logical_id, resource in template.resources.items()}
    outputs: dict[str, str] = {}
    for key, output in template.cfn.get("Outputs", {}).items():
        served = {
            _SERVED_BY_THE_LOCAL_SERVER[types[name]]
            for name in references(output["Value"])
            if types.get(name) in _SERVED_BY_THE_LOCAL_SERVER
        }
        outputs[key] = public_url + served.pop() if len(served) == 1 else str(resolve(output["Value"]))
    return outputs


def register_stack(
    cloudformation: Any, stack: str, outputs: dict[str, str], parameters: dict[str, str]
) -> None:
    """Create (or replace) the stack in moto's CloudFormation: one resource that creates nothing, and
    the outputs and parameter values as literals."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Registered by localcloud: the resources themselves were created directly.",
        "Parameters": {name: {"Type": "String", "Default": value} for name, value in parameters.items()},
        "Resources": {"LocalCloud": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    existing = {
        summary["StackName"]
        for summary in cloudformation.list_stacks()["StackSummaries"]
        if summary["StackStatus"] != "DELETE_COMPLETE"
    }
    if stack in existing:
        cloudformation.delete_stack(StackName=stack)
    with warnings.catch_warnings():
        # moto says it cannot create a WaitConditionHandle: nothing is to be created.
        warnings.simplefilter("ignore", UserWarning)
        cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(template))
