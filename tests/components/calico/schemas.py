"""Upstream Calico CRD schemas, read from the vendored chart archives, as strict jsonschema validators."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema

from components.calico._manifests import parse_version
from components.testing.upstream import chart_archive, crds_in

CRDS = {
    "Installation": "installations.operator.tigera.io",
    "APIServer": "apiservers.operator.tigera.io",
    "FelixConfiguration": "felixconfigurations.crd.projectcalico.org",
}


def crd_archive(calico_version: str) -> Path:
    """Where a Calico line ships its CRDs: v3.31 in the operator chart's `crds/`, v3.32+ in the
    separate CRD chart. One vendored archive per line stands for all its patch releases."""
    if parse_version(calico_version)[:2] >= (3, 32):
        archive = chart_archive("crd.projectcalico.org.v1", "v3.32.1")
    else:
        archive = chart_archive("tigera-operator", "v3.31.7")
    assert archive is not None
    return archive


def operator_archive(calico_version: str) -> Path:
    line = "v3.32.1" if parse_version(calico_version)[:2] >= (3, 32) else "v3.31.7"
    archive = chart_archive("tigera-operator", line)
    assert archive is not None
    return archive


def _strict(node: Any) -> Any:
    """Go RE2 puts inline flags after the anchor (`^(?i)...`), which Python rejects: move them
    first. Objects with declared properties get additionalProperties: false, as the API
    server's pruning would silently drop an unknown (misspelled) field."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        pattern = out.get("pattern")
        if isinstance(pattern, str):
            out["pattern"] = re.sub(r"^\^\((\?[a-zA-Z]+)\)", r"(\1)^", pattern)
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def validator(kind: str, calico_version: str) -> jsonschema.Draft7Validator:
    crd = crds_in(crd_archive(calico_version))[CRDS[kind]]
    (version,) = crd["spec"]["versions"]
    schema = _strict(version["schema"]["openAPIV3Schema"])
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(obj: dict[str, Any], calico_version: str) -> list[str]:
    return [e.message for e in validator(obj["kind"], calico_version).iter_errors(obj)]


def integral_floats_as_ints(value: Any) -> Any:
    """Undo the SDK's wire format (every number a float) where the number is whole, as the
    JSON the API server receives would be: `10256.0` -> `10256`."""
    if isinstance(value, dict):
        return {k: integral_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_ints(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
