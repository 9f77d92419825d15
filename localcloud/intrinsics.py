"""Resolves the CloudFormation intrinsic functions the translated template uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["Resolver", "references"]

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def references(value: Any) -> set[str]:
    """Logical ids a value refers to (for ordering resource creation)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            found.update(name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(str(text)))
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return {name for name in found if not name.startswith("AWS::")}


class Resolver:
    def __init__(self, ref: Callable[[str], Any], get_att: Callable[[str, str], Any]) -> None:
        self._ref = ref
        self._get_att = get_att

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self._get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self(items))
            if key == "Fn::If":
                raise NotImplementedError("Conditions are not supported by localcloud yet")
            if key == "Fn::Select":
                index, items = argument
                return self(items)[int(index)]
            if key == "Fn::Split":
                separator, text = argument
                return str(self(text)).split(separator)
            if key == "Fn::GetAZs":
                return ["us-east-1a", "us-east-1b"]
        return {key: self(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")
