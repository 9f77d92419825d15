"""Creates the translated template's resources in moto, in dependency order, through the
same boto3 APIs CloudFormation would call, and remembers what each logical id became."""

from __future__ import annotations

import io
import json
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from localcloud.intrinsics import Resolver, references
from localcloud.template import Template

__all__ = ["ACCOUNT_ID", "Provisioned", "apply_definition_substitutions", "provision"]

ACCOUNT_ID = "123456789012"
# A DefinitionSubstitutions placeholder: ${Name}. ASL itself never uses this syntax.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")
_NO_VALUE = object()
# Resource types that exist only for API Gateway or packaging; the local gateway serves them.
_SERVED_LOCALLY = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::Lambda::Permission",
    "AWS::Lambda::LayerVersion",
}


@dataclass
class Provisioned:
    """Physical ids and attributes by logical id, plus the calls that recreate tables."""

    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    table_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    function_environments: dict[str, dict[str, str]] = field(default_factory=dict)
    function_names: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_source_mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Bucket names and queue URLs by logical id, so a reset can empty them.
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    #: The CreateStateMachine arguments, so a reset can recreate a machine without its executions.
    state_machine_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)


def _strip_no_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_no_value(v) for k, v in value.items() if v is not _NO_VALUE}
    if isinstance(value, list):
        return [_strip_no_value(v) for v in value if v is not _NO_VALUE]
    return value


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# localcloud runs the real handler from the source tree\n")
    return buffer.getvalue()


class _Provisioner:
    def __init__(self, template: Template, clients: Callable[[str], Any], region: str, stack: str) -> None:
        self.template = template
        self.client = clients
        self.region = region
        self.stack = stack
        self.out = Provisioned()
        self.parameters = {
            name: spec.get("Default") for name, spec in template.cfn.get("Parameters", {}).items()
        }
        self.resolve = Resolver(self._ref, self._get_att)

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack}/local",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.out.refs:
            raise KeyError(f"Ref to {name}, which was not created (unsupported type or a cycle)")
        return self.out.refs[name]

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.out.attributes[(logical_id, attribute)]
        except KeyError:
            raise KeyError(f"GetAtt {logical_id}.{attribute} is not known to localcloud") from None

    def _name(self, logical_id: str) -> str:
        return f"{self.stack}-{logical_id}"

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    # ------------------------------------------------------------------ resource types
    def dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName", self._name(logical_id))
        definition: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if definition["BillingMode"] == "PROVISIONED":
            definition["ProvisionedThroughput"] = props.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in props:
                definition[key] = props[key]
        if "StreamSpecification" in props:
            definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        ttl = props.get("TimeToLiveSpecification")
        self.out.table_definitions[logical_id] = {"create": definition, "ttl": ttl}
        description = create_table(self.client("dynamodb"), definition, ttl)
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = description["TableArn"]
        if "LatestStreamArn" in description:
            self.out.attributes[(logical_id, "StreamArn")] = description["LatestStreamArn"]

    def cognito_user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        params = {k: v for k, v in props.items() if k not in {"UserPoolName", "UserPoolTags"}}
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=props.get("UserPoolName", self._name(logical_id)), **params
        )["UserPool"]
        self.out.refs[logical_id] = pool["Id"]
        self.out.attributes[(logical_id, "Arn")] = pool["Arn"]
        self.out.attributes[(logical_id, "ProviderURL")] = (
            f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        )

    def cognito_user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        client = self.client("cognito-idp").create_user_pool_client(**props)["UserPoolClient"]
        self.out.refs[logical_id] = client["ClientId"]

    def cognito_user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("cognito-idp").create_group(**props)
        self.out.refs[logical_id] = props["GroupName"]

    def iam_role(self, logical_id: str, props: dict[str, Any]) -> None:
        iam = self.client("iam")
        name = props.get("RoleName", self._name(logical_id))[:64]
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
            Path=props.get("Path", "/"),
        )["Role"]
        for policy in props.get("Policies", []):
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = role["Arn"]

    def lambda_function(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("FunctionName", self._name(logical_id))
        environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        function = self.client("lambda").create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.11"),
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": _placeholder_zip()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": environment},
        )
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = function["FunctionArn"]
        self.out.function_environments[logical_id] = environment
        self.out.function_names[name] = logical_id

    def sqs_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        name = props.get("QueueName", self._name(logical_id))
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in props.items()
            if key not in {"QueueName", "Tags"}
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.out.queues[logical_id] = url
        self.out.refs[logical_id] = url
        self.out.attributes[(logical_id, "Arn")] = self._arn("sqs", name)
        self.out.attributes[(logical_id, "QueueName")] = name
        self.out.attributes[(logical_id, "QueueUrl")] = url

    def sqs_queue_policy(self, logical_id: str, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        for url in props.get("Queues", []):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        self.out.refs[logical_id] = f"local-{logical_id}"

    def s3_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        """A bucket, its CORS rules and its notifications (moto sends them on each write)."""
        s3 = self.client("s3")
        name = props.get("BucketName", self._name(logical_id).lower())[:63]
        s3.create_bucket(Bucket=name)
        if "CorsConfiguration" in props:
            rules = [
                {("MaxAgeSeconds" if key == "MaxAge" else key): value for key, value in rule.items()}
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        notifications = props.get("NotificationConfiguration", {})
        if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
        lambdas = notifications.get("LambdaConfigurations", [])
        if lambdas:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={
                    "LambdaFunctionConfigurations": [
                        {
                            "LambdaFunctionArn": config["Function"],
                            "Events": [config["Event"]],
                            **(
                                {"Filter": {"Key": {"FilterRules": config["Filter"]["S3Key"]["Rules"]}}}
                                if "Filter" in config
                                else {}
                            ),
                        }
                        for config in lambdas
                    ]
                },
            )
        self.out.buckets[logical_id] = name
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        self.out.attributes[(logical_id, "DomainName")] = f"{name}.s3.amazonaws.com"
        self.out.attributes[(logical_id, "RegionalDomainName")] = f"{name}.s3.{self.region}.amazonaws.com"

    def s3_bucket_policy(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("s3").put_bucket_policy(
            Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"])
        )
        self.out.refs[logical_id] = props["Bucket"]

    def cloudfront(self, logical_id: str, props: dict[str, Any]) -> None:
        """CloudFront is not emulated: the local server serves the origin itself (see
        ``LocalCloud.public_url``), so only the ids and a domain are made up here."""
        self.out.refs[logical_id] = f"LOCAL{logical_id.upper()}"
        self.out.attributes[(logical_id, "Id")] = f"LOCAL{logical_id.upper()}"
        self.out.attributes[(logical_id, "DomainName")] = f"{logical_id.lower()}.cloudfront.local"

    def secret(self, logical_id: str, props: dict[str, Any]) -> None:
        """A Secrets Manager secret: its SecretString, or one generated as GenerateSecretString asks."""
        value = props.get("SecretString")
        if value is None:
            generate = props.get("GenerateSecretString", {})
            length = int(generate.get("PasswordLength", 32))
            value = secrets.token_urlsafe(length)[:length].replace("-", "x").replace("_", "y")
            if "SecretStringTemplate" in generate:
                value = json.dumps(
                    {**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: value}
                )
        name = props.get("Name", self._name(logical_id))
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        self.out.refs[logical_id] = arn
        self.out.attributes[(logical_id, "Id")] = arn

    def events_bus(self, logical_id: str, props: dict[str, Any]) -> None:
        bus = self.client("events").create_event_bus(Name=props["Name"])
        self.out.refs[logical_id] = props["Name"]
        self.out.attributes[(logical_id, "Arn")] = bus["EventBusArn"]
        self.out.attributes[(logical_id, "Name")] = props["Name"]

    def events_rule(self, logical_id: str, props: dict[str, Any]) -> None:
        events = self.client("events")
        name = props.get("Name", self._name(logical_id))[:64]
        params: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        for key in ("ScheduleExpression", "EventBusName", "Description"):
            if key in props:
                params[key] = props[key]
        if "EventPattern" in props:
            params["EventPattern"] = json.dumps(props["EventPattern"])
        arn = events.put_rule(**params)["RuleArn"]
        targets = [
            {k: (json.dumps(v) if k == "Input" and not isinstance(v, str) else v) for k, v in target.items()}
            for target in props.get("Targets", [])
        ]
        if targets:
            events.put_targets(Rule=name, EventBusName=props.get("EventBusName", "default"), Targets=targets)
        if "ScheduleExpression" in props:
            self.out.schedules[logical_id] = {
                "name": name,
                "expression": props["ScheduleExpression"],
                "targets": targets,
            }
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = arn

    def state_machine(self, logical_id: str, props: dict[str, Any]) -> None:
        if "DefinitionS3Location" in props:
            raise NotImplementedError(
                f"{logical_id}: an s3:// DefinitionUri cannot be read offline; point it at a local file"
            )
        definition = props.get("DefinitionString") or json.dumps(props.get("Definition"))
        definition = apply_definition_substitutions(
            logical_id, definition, props.get("DefinitionSubstitutions", {})
        )
        name = props.get("StateMachineName", self._name(logical_id))
        create: dict[str, Any] = {
            "name": name,
            "definition": definition,
            "roleArn": props["RoleArn"],
            "type": props.get("StateMachineType", "STANDARD"),
        }
        if "TracingConfiguration" in props:
            create["tracingConfiguration"] = {"enabled": bool(props["TracingConfiguration"].get("Enabled"))}
        # moto's parser backend validates the ASL here: a broken definition fails provisioning, not the
        # first execution.
        arn = self.client("stepfunctions").create_state_machine(**create)["stateMachineArn"]
        self.out.refs[logical_id] = arn
        self.out.attributes[(logical_id, "Arn")] = arn
        self.out.attributes[(logical_id, "Name")] = name
        self.out.state_machine_definitions[logical_id] = create

    def event_source_mapping(self, logical_id: str, props: dict[str, Any]) -> None:
        params = {
            k: v
            for k, v in props.items()
            if k
            in {
                "EventSourceArn",
                "FunctionName",
                "BatchSize",
                "StartingPosition",
                "Enabled",
                "FunctionResponseTypes",
            }
        }
        mapping = self.client("lambda").create_event_source_mapping(**params)
        self.out.refs[logical_id] = mapping["UUID"]
        self.out.event_source_mappings[logical_id] = params

    def served_locally(self, logical_id: str, props: dict[str, Any]) -> None:
        self.out.refs[logical_id] = f"local-{logical_id}"
        self.out.attributes[(logical_id, "Arn")] = self._arn("lambda", f"layer:{logical_id}:1")
        self.out.attributes[(logical_id, "ApiEndpoint")] = "http://127.0.0.1"

    # ------------------------------------------------------------------ driver
    def run(self) -> Provisioned:
        handlers: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::DynamoDB::Table": self.dynamodb_table,
            "AWS::Cognito::UserPool": self.cognito_user_pool,
            "AWS::Cognito::UserPoolClient": self.cognito_user_pool_client,
            "AWS::Cognito::UserPoolGroup": self.cognito_user_pool_group,
            "AWS::IAM::Role": self.iam_role,
            "AWS::Lambda::Function": self.lambda_function,
            "AWS::SQS::Queue": self.sqs_queue,
            "AWS::SQS::QueuePolicy": self.sqs_queue_policy,
            "AWS::S3::Bucket": self.s3_bucket,
            "AWS::S3::BucketPolicy": self.s3_bucket_policy,
            "AWS::CloudFront::Distribution": self.cloudfront,
            "AWS::CloudFront::OriginAccessControl": self.cloudfront,
            "AWS::Events::EventBus": self.events_bus,
            "AWS::SecretsManager::Secret": self.secret,
            "AWS::Events::Rule": self.events_rule,
            "AWS::StepFunctions::StateMachine": self.state_machine,
            "AWS::Lambda::EventSourceMapping": self.event_source_mapping,
            **{kind: self.served_locally for kind in _SERVED_LOCALLY},
        }
        resources = self.template.resources
        unsupported = sorted({r["Type"] for r in resources.values()} - set(handlers))
        if unsupported:
            raise NotImplementedError(f"localcloud cannot create these resource types yet: {unsupported}")
        graph = {
            logical_id: references(resource.get("Properties", {})) & set(resources)
            | set(
                resource.get("DependsOn", [])
                if isinstance(resource.get("DependsOn"), list)
                else [resource["DependsOn"]]
                if "DependsOn" in resource
                else []
            )
            for logical_id, resource in resources.items()
        }
        for logical_id in TopologicalSorter(graph).static_order():
            resource = resources[logical_id]
            if resource["Type"] in _SERVED_LOCALLY:
                handlers[resource["Type"]](logical_id, {})
                continue
            properties = _strip_no_value(self.resolve(resource.get("Properties", {})))
            handlers[resource["Type"]](logical_id, properties)
        return self.out


def apply_definition_substitutions(logical_id: str, definition: str, substitutions: dict[str, Any]) -> str:
    """What CloudFormation does with DefinitionSubstitutions: replace each ``${Name}`` with its value.

    The values arrive here already resolved (Ref/GetAtt/Sub). A placeholder left without a value would
    reach Step Functions as a literal ``${Name}`` (an ARN that fails only when that state runs), so it is
    refused now, naming the placeholders.
    """
    for key, value in substitutions.items():
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        definition = definition.replace("${" + key + "}", text)
    missing = sorted(set(_PLACEHOLDER.findall(definition)))
    if missing:
        raise ValueError(f"{logical_id}: DefinitionSubstitutions has no value for {missing}")
    return definition


def create_table(dynamodb: Any, definition: dict[str, Any], ttl: dict[str, Any] | None) -> dict[str, Any]:
    description = dynamodb.create_table(**definition)["TableDescription"]
    if ttl and ttl.get("Enabled"):
        # moto's CloudFormation ignores TimeToLiveSpecification; the API call does not.
        dynamodb.update_time_to_live(
            TableName=definition["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return dict(description)


def provision(template: Template, clients: Callable[[str], Any], region: str, stack: str) -> Provisioned:
    return _Provisioner(template, clients, region, stack).run()
