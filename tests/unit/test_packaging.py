"""The Lambda layer ships what the code imports at run time: `sam build` installs
layers/commerce/requirements.txt, while local runs and tests install pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layer_requirements() -> set[str]:
    lines = (ROOT / "layers/commerce/requirements.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_layer_ships_every_runtime_dependency_but_boto3() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {dependency for dependency in project["dependencies"] if not dependency.startswith("boto3")}
    assert _layer_requirements() == runtime


def test_the_layer_ships_nothing_only_local_runs_need() -> None:
    assert not any(name.startswith(("moto", "tantivy", "pytest")) for name in _layer_requirements())
