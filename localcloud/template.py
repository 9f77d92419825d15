"""Reads template.yaml and translates it from SAM to CloudFormation, offline."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FunctionSpec", "RouteSpec", "Template", "load_template"]

PLACEHOLDER_BUCKET = "localcloud-code"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class RouteSpec:
    method: str  # upper case, or "ANY"
    path: str  # "/v1/products/{product_id}" or "$default"
    function_id: str
    authorizer: str | None  # name in the API's security schemes; None = public


@dataclass
class Template:
    path: Path
    sam: dict[str, Any]
    cfn: dict[str, Any]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[RouteSpec] = field(default_factory=list)
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    cors: dict[str, Any] | None = None
    #: The local ASL file each state machine's definition was read from, by logical id.
    definition_files: dict[str, Path] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.cfn["Resources"])


class _NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs; offline there are none to ask."""

    def load(self) -> dict[str, str]:
        return {}


def _swap_local_code(sam: dict[str, Any]) -> dict[str, Path]:
    """Replace local CodeUri/ContentUri folders with s3:// placeholders the translator accepts,
    remembering which folder each resource came from."""
    folders: dict[str, Path] = {}
    for logical_id, resource in sam.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            value = properties.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                folders[logical_id] = Path(value)
                properties[key] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip"
    return folders


def _inline_local_definitions(sam: dict[str, Any], root: Path) -> dict[str, Path]:
    """Read each state machine's local DefinitionUri file into ``Definition``.

    ``sam deploy`` uploads the file and the translator then emits ``DefinitionS3Location``, which
    nothing here could read back; given an inline ``Definition`` it emits the ``DefinitionString``
    (plus ``DefinitionSubstitutions`` and the role) that provisioning can create in moto as is. The
    file is read with the template's folder as the base, as ``sam build`` does.
    """
    files: dict[str, Path] = {}
    for logical_id, resource in sam.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::StateMachine":
            continue
        properties = resource.get("Properties", {})
        uri = properties.get("DefinitionUri")
        if not isinstance(uri, str) or uri.startswith("s3://"):
            continue  # {Bucket, Key} or s3:// definitions are left to provisioning to refuse
        path = (root / uri).resolve()
        if "Definition" in properties:
            raise ValueError(f"{logical_id} has both Definition and DefinitionUri")
        properties["Definition"] = _read_definition(path)
        del properties["DefinitionUri"]
        files[logical_id] = path
    return files


def _read_definition(path: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    text = path.read_text(encoding="utf-8")
    # SAM accepts YAML definitions too; JSON files are read as JSON so nothing YAML-specific applies.
    definition = json.loads(text) if path.suffix == ".json" else yaml_parse(text)
    if not isinstance(definition, dict):
        raise ValueError(f"{path} does not hold a state machine definition (a JSON/YAML object)")
    return definition


def _function_id(integration_uri: Any) -> str:
    """The logical id inside ``Fn::Sub: ...functions/${CatalogFunction.Arn}/invocations``."""
    text = integration_uri["Fn::Sub"] if isinstance(integration_uri, dict) else str(integration_uri)
    if isinstance(text, list):
        text = text[0]
    start = text.index("functions/${") + len("functions/${")
    return text[start : text.index(".Arn}", start)]


def _routes(api_body: dict[str, Any]) -> list[RouteSpec]:
    routes: list[RouteSpec] = []
    for path, operations in api_body.get("paths", {}).items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration")
            if integration is None:
                continue
            security = operation.get("security") or api_body.get("security") or []
            names = [name for requirement in security for name in requirement]
            authorizer = next((name for name in names if name != "NONE"), None)
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            routes.append(RouteSpec(verb, path, _function_id(integration["uri"]), authorizer))
    return routes


def load_template(path: Path, region: str) -> Template:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    root = path.parent
    sam = yaml_parse(path.read_text(encoding="utf-8"))
    original = copy.deepcopy(sam)
    folders = _swap_local_code(sam)
    definition_files = _inline_local_definitions(sam, root)
    previous_region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from boto3
    try:
        cfn = transform(sam, {}, _NoManagedPolicies())
    finally:
        if previous_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
    template = Template(path=path, sam=original, cfn=cfn, definition_files=definition_files)
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function" and logical_id in folders:
            template.functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=(root / folders[logical_id]).resolve(),
                handler=resource["Properties"]["Handler"],
                properties=resource["Properties"],
            )
        elif resource["Type"] == "AWS::ApiGatewayV2::Api" and "Body" in resource["Properties"]:
            body = resource["Properties"]["Body"]
            template.routes.extend(_routes(body))
            schemes = body.get("components", {}).get("securitySchemes", {})
            for name, scheme in schemes.items():
                template.authorizers[name] = scheme.get("x-amazon-apigateway-authorizer", {})
            template.cors = body.get("x-amazon-apigateway-cors")
    return template
