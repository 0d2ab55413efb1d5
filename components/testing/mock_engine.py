"""Pulumi's mock engine, set up once for both the offline plan and the tests.

`run_program()` runs the real `__main__.py` for a stack under `pulumi.runtime.set_mocks`, with
no cloud and no Pulumi CLI, and returns every registration: URN, type, name, parent, inputs (as
the SDK sends them: camelCase keys, numbers as floats) and the URNs it waits on. The mocked
outputs look like real AWS values so downstream code (endpoint parsing, IRSA policies, ARNs)
runs for real.

Two fixes over the stock `MockMonitor`:
- resource references in inputs are flattened to their URN before the SDK deserializes them;
  rehydrating them on the monitor's executor thread is what makes the stock monitor flake with
  "Future attached to a different loop" (pulumi/pulumi#6561);
- registrations are recorded with their parent and dependencies, which the stock monitor drops.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..errors import NAMESPACE

PROJECT = NAMESPACE
ACCOUNT_ID = "123456789012"
_CHECKOUT = Path(__file__).resolve().parents[2]
# Defaults for the program and the stacks folder: the repo's when this runs from a checkout;
# installed from the wheel (no Pulumi project around the package), the current folder's, where
# `pulumi up` would look. Both can be passed in.
PROJECT_ROOT = _CHECKOUT if (_CHECKOUT / "Pulumi.yaml").is_file() else Path.cwd()
PROGRAM = PROJECT_ROOT / "__main__.py"


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Registration:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    """Lifecycle options as registered (`protect`, `retainOnDelete`, `deleteBeforeReplace`,
    `aliases`, `ignoreChanges`, `replaceOnChanges`, `customTimeouts`); unset ones left out."""

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
            "options": self.options,
        }


def registered_options(request: Any) -> dict[str, Any]:
    """The lifecycle options of a RegisterResourceRequest, empty or unset ones left out."""
    options: dict[str, Any] = {}
    for flag in ("protect", "retainOnDelete", "deleteBeforeReplace"):
        if getattr(request, flag):
            options[flag] = True
    aliases: list[Any] = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            aliases.append(alias.urn)
        else:
            spec = {
                k: getattr(alias.spec, k)
                for k in ("name", "type", "stack", "project", "parentUrn", "noParent")
                if getattr(alias.spec, k)
            }
            aliases.append(spec)
    aliases.extend(u for u in request.aliasURNs if u not in aliases)
    if aliases:
        options["aliases"] = aliases
    for key in ("ignoreChanges", "replaceOnChanges"):
        if getattr(request, key):
            options[key] = sorted(getattr(request, key))
    timeouts = {
        k: getattr(request.customTimeouts, k)
        for k in ("create", "update", "delete")
        if getattr(request.customTimeouts, k)
    }
    if timeouts:
        options["customTimeouts"] = timeouts
    return options


# --------------------------------------------------------------------------- mocked outputs


class AwsLikeMocks(pulumi_mocks.Mocks):
    """Outputs shaped like real AWS values, deterministic per (type, name)."""

    def __init__(
        self,
        region: str,
        deployed: Mapping[str, Mapping[str, str]] | None = None,
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.region = region
        self.deployed = dict(deployed or {})
        """EKS clusters that already exist in the region: name -> tags (`aws.eks.get_cluster`)."""
        self.versions = dict(versions or {})
        """Kubernetes version of each existing cluster, and of each cluster this run creates."""
        self.created: set[str] = set()
        """EKS clusters this run created (they answer `get_cluster` too)."""

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        t, name, inputs = args.typ, args.name, dict(args.inputs)
        h = _digest(t, name)
        outputs = dict(inputs)
        rid = f"{name}-{h[:8]}"
        if t == "eks:index:Cluster":
            self.created.add(str(inputs.get("name") or name))
            if inputs.get("version"):
                self.versions[str(inputs.get("name") or name)] = str(inputs["version"])
            outputs.update(self._cluster(inputs.get("name") or name))
        elif t.startswith("aws:ec2/"):
            prefix = {
                "aws:ec2/vpc:Vpc": "vpc",
                "aws:ec2/subnet:Subnet": "subnet",
                "aws:ec2/internetGateway:InternetGateway": "igw",
                "aws:ec2/natGateway:NatGateway": "nat",
                "aws:ec2/eip:Eip": "eipalloc",
                "aws:ec2/routeTable:RouteTable": "rtb",
                "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
                "aws:ec2/launchTemplate:LaunchTemplate": "lt",
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
                "aws:ec2/securityGroup:SecurityGroup": "sg",
                "aws:ec2/placementGroup:PlacementGroup": "pg",
            }.get(t, "ec2")
            rid = f"{prefix}-{h}"
            if t == "aws:ec2/launchTemplate:LaunchTemplate":
                outputs["latestVersion"] = 1
            if t == "aws:ec2/placementGroup:PlacementGroup":
                outputs["name"] = inputs.get("name") or f"{name}-{h[:7]}"
                rid = outputs["name"]
            if t == "aws:ec2/vpc:Vpc":
                outputs["arn"] = self._arn("ec2", f"vpc/{rid}")
        elif t == "aws:iam/role:Role":
            role_name = inputs.get("name") or f"{name}-{h[:7]}"
            outputs.update(name=role_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}")
            rid = role_name
        elif t == "aws:iam/policy:Policy":
            policy_name = inputs.get("name") or f"{name}-{h[:7]}"
            outputs.update(name=policy_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/{policy_name}")
            rid = outputs["arn"]
        elif t == "aws:kms/key:Key":
            key_id = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{h[15:17]}{h[:1]}-{_digest(h, length=12)}"
            outputs.update(keyId=key_id, arn=self._arn("kms", f"key/{key_id}"))
            rid = key_id
        elif t == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = self._arn("logs", f"log-group:{inputs.get('name', name)}")
            rid = str(inputs.get("name", name))
        elif t == "aws:eks/addon:Addon":
            addon = f"{inputs.get('clusterName')}/{inputs.get('addonName')}"
            outputs["arn"] = self._arn("eks", f"addon/{addon}/{h[:8]}")
            rid = addon.replace("/", ":")
        elif t == "kubernetes:core/v1:Service" and inputs.get("spec", {}).get("type") == (
            "LoadBalancer"
        ):
            host = f"k8s-{name[:20]}-{h[:10]}.elb.{self.region}.amazonaws.com"
            outputs["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}
        return rid, outputs

    def _cluster(self, cluster_name: str) -> dict[str, Any]:
        oidc_id = _digest("oidc", cluster_name, length=32).upper()
        endpoint = (
            f"https://{_digest('endpoint', cluster_name, length=32).upper()}"
            f".gr7.{self.region}.eks.amazonaws.com"
        )
        ca = base64.b64encode(b"mock certificate authority data").decode()
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "kubernetes",
                    "cluster": {"server": endpoint, "certificate-authority-data": ca},
                }
            ],
            "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
            "current-context": "aws",
            "preferences": {},
            "users": [
                {
                    "name": "aws",
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "--region",
                                self.region,
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--output",
                                "json",
                            ],
                        }
                    },
                }
            ],
        }
        issuer = f"oidc.eks.{self.region}.amazonaws.com/id/{oidc_id}"
        return {
            "kubeconfig": kubeconfig,
            "kubeconfigJson": json.dumps(kubeconfig),
            "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
            "oidcProviderUrl": f"https://{issuer}",
            "oidcIssuer": issuer,
            "clusterSecurityGroupId": f"sg-{_digest('cluster-sg', cluster_name)}",
            "nodeSecurityGroupId": f"sg-{_digest('node-sg', cluster_name)}",
        }

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                # What STS returns for a role session (the usual way a pipeline deploys).
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deployer/pulumi",
                "userId": "AROAEXAMPLEDEPLOYER",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            }
        if args.token == "aws:eks/getClusters:getClusters":
            return {"names": sorted(self.deployed), "id": self.region}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if args.token == "aws:eks/getCluster:getCluster":
            # As AWS answers: only for a cluster that exists, from an earlier deploy or this run.
            name = str(args.args.get("name"))
            if name not in self.deployed and name not in self.created:
                raise LookupError(f"no EKS cluster named {name} (mocked)")
            return {
                "id": name,
                "name": name,
                "tags": dict(self.deployed.get(name, {})),
                "version": self.versions.get(name),
                "arn": self._arn("eks", f"cluster/{name}"),
                "vpcConfig": {
                    "clusterSecurityGroupId": f"sg-{_digest('eks-cluster-sg', name)}",
                    "controlPlaneEgressMode": "",
                    "endpointPrivateAccess": True,
                    "endpointPublicAccess": False,
                    "publicAccessCidrs": [],
                    "securityGroupIds": [],
                    "subnetIds": [],
                    "vpcId": "",
                },
            }
        # An invoke nobody mocked would silently return nothing: fail loudly instead.
        raise NotImplementedError(f"no mock for invoke {args.token}")


# --------------------------------------------------------------------------- monitor


def _flatten_references(value: struct_pb2.Value) -> None:
    """Replace every serialized resource reference inside `value` with its URN string."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        sig = fields.get(rpc._special_sig_key)
        if sig is not None and sig.string_value == rpc._special_resource_sig:
            value.string_value = fields["urn"].string_value
            return
        for v in fields.values():
            _flatten_references(v)
    elif kind == "list_value":
        for v in value.list_value.values:
            _flatten_references(v)


def _unwrap_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        copy = type(request)()
        copy.CopyFrom(request)
        for v in copy.object.fields.values():
            _flatten_references(v)
        response = super().RegisterResource(copy)
        if request.type != "pulumi:pulumi:Stack":
            deps = set(request.dependencies)
            for prop_deps in request.propertyDependencies.values():
                deps.update(prop_deps.urns)
            inputs = _unwrap_secrets(rpc.deserialize_properties(copy.object))
            with self._lock:
                self.registrations.append(
                    Registration(
                        urn=response.urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent or None,
                        custom=bool(request.custom),
                        inputs=inputs,
                        dependencies=tuple(sorted(deps)),
                        options=registered_options(request),
                    )
                )
        return response


# --------------------------------------------------------------------------- running a program


@dataclass
class PlanResult:
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str] = frozenset()
    """Names of the stack outputs Pulumi would store and show as secrets."""
    warnings: list[str] = field(default_factory=list)

    def by_type(self, type_: str) -> list[Registration]:
        return sorted((r for r in self.resources if r.type == type_), key=lambda r: r.name)

    def one(self, type_: str, name: str) -> Registration:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} resources of type {type_} named {name}")
        return found[0]

    def urns(self) -> list[str]:
        return sorted(r.urn for r in self.resources)

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "resources": [r.as_json() for r in self.sorted()]}

    def sorted(self) -> list[Registration]:
        return sorted(self.resources, key=lambda r: r.urn)


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def config_value(value: Any) -> str:
    """A config value as Pulumi hands it to a program: strings as is, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


_RUN_LOCK = threading.Lock()


def run_program(
    stack: str,
    config: Mapping[str, Any],
    program: Callable[[], None] | str | os.PathLike[str] | None = None,
    deployed: Mapping[str, Mapping[str, str]] | None = None,
    deployed_versions: Mapping[str, str] | None = None,
) -> PlanResult:
    """Run `program` for `stack` with `config` (full keys, `ns:key`).

    `program` is a function, or the path of a Pulumi program file (default: `PROGRAM`, the
    repo's `__main__.py`), run as `__main__` with its folder importable, as `pulumi up` runs it.
    `deployed` lists the EKS clusters that already exist (name -> tags), as a later `pulumi up`
    would find them; empty means a first deploy. `deployed_versions`: their Kubernetes versions
    (name -> version), as `aws.eks.get_cluster` reports them.
    Raises whatever the program raises (a `pulumi.RunError` for bad config) after every
    outstanding registration has finished.
    """
    region = str(config.get("aws:region", "us-west-2"))
    mocks = AwsLikeMocks(region, deployed, deployed_versions)
    monitor = RecordingMonitor(mocks)
    collector = _WarningCollector()
    logger = logging.getLogger(f"{PROJECT}.mock-engine")
    logger.propagate = False
    logger.handlers = [collector]

    program_file = Path(PROGRAM if program is None or callable(program) else program)

    def file_program() -> None:
        if not program_file.is_file():
            raise FileNotFoundError(f"no Pulumi program at {program_file}")
        folder = str(program_file.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        runpy.run_path(str(program_file), run_name="__main__")

    with _RUN_LOCK:
        # One program per process at a time: the runtime's settings are process-wide.
        settings.set_root_resource(None)  # type: ignore[arg-type]
        pulumi.runtime.set_all_config({k: config_value(v) for k, v in config.items()})
        pulumi.runtime.set_mocks(
            mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor, logger=logger
        )
        root = settings.get_root_resource()
        _sync_await(run_pulumi_func(program if callable(program) else file_program))
        outputs, secrets = _resolve_outputs(getattr(root, "outputs", {}))
    return PlanResult(
        stack=stack,
        resources=list(monitor.registrations),
        outputs=outputs,
        secret_outputs=secrets,
        warnings=list(collector.messages),
    )


def _resolve_outputs(outputs: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    resolved: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in outputs.items():
        out = pulumi.Output.from_input(value)
        resolved[key] = _unwrap_secrets(_sync_await(out.future()))
        if _sync_await(out.is_secret()):
            secrets.add(key)
    return resolved, frozenset(secrets)
