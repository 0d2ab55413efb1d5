"""Docs match code: every config key is documented in Pulumi.yaml and the README, with the
default the code uses."""

import re

import yaml

from components import defaults
from components.config import KEYS, NODE_GROUP_KEYS
from tests.conftest import ROOT
from tests.installed import as_installed

README = (ROOT / "README.md").read_text()


def _readme_table_rows():
    return dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", README, flags=re.MULTILINE))


def test_pulumi_yaml_documents_exactly_the_project_keys():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert set(project["config"]) == set(KEYS)
    assert project["stackConfigDir"] == "stacks"
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": ".venv"}
    for key, spec in project["config"].items():
        assert spec["description"], key
        assert "default" not in spec, f"{key}: defaults live in components/defaults.py"


def test_readme_config_reference_lists_every_key_with_its_default():
    rows = _readme_table_rows()
    assert set(KEYS) | set(NODE_GROUP_KEYS) <= set(rows) | {"minSize", "desiredSize", "maxSize"}
    expected = {
        "vpcCidr": f"`{defaults.VPC_CIDR}`",
        "natGateways": f"`{defaults.NAT_STRATEGY.value}`",
        "kubernetesVersion": f"`{defaults.KUBERNETES_VERSION}`",
        "serviceCidr": f"`{defaults.SERVICE_CIDR}`",
        "logRetentionDays": f"`{defaults.LOG_RETENTION_DAYS}`",
        "calicoVersion": f"`{defaults.CALICO_VERSION}`",
        "dataplane": f"`{defaults.DATAPLANE.value}`",
        "kubeProxy": f"`{defaults.KUBE_PROXY.value}`",
        "loadBalancerController": f"`{defaults.LOAD_BALANCER_CONTROLLER.value}`",
        "loadBalancerScheme": f"`{defaults.LOAD_BALANCER_SCHEME.value}`",
        "demoApp": f"`{str(defaults.DEMO_APP).lower()}`",
        "demoAppPort": f"`{defaults.DEMO_APP_PORT}`",
        "nodeSsmAccess": f"`{str(defaults.NODE_SSM_ACCESS).lower()}`",
        "vpcFlowLogs": f"`{str(defaults.VPC_FLOW_LOGS).lower()}`",
        "vpcFlowLogRetentionDays": f"`{defaults.FLOW_LOG_RETENTION_DAYS}`",
        "diskSizeGiB": f"`{defaults.DISK_SIZE_GIB}`",
    }
    for key, default in expected.items():
        assert rows[key].strip() == default, key
    accepted_versions = ", ".join(f"`{v}`" for v in defaults.SUPPORTED_KUBERNETES_VERSIONS)
    assert accepted_versions in README


def test_readme_library_example_runs():
    """The README's library example is real code: run it under the mock engine."""
    from components.testing.mock_engine import run_program

    (block,) = re.findall(r"<!-- example: components -->\n```python\n(.*?)```", README, re.S)
    with as_installed():
        result = run_program(
            "example", {"aws:region": "eu-west-1"}, program=lambda: exec(block, {})
        )
    types = {r.type for r in result.resources}
    assert {
        "eks-calico-ebpf:index:Vpc",
        "eks-calico-ebpf:index:EksCluster",
        "eks:index:ManagedNodeGroup",
    } <= types
    cluster = result.one("eks:index:Cluster", "eks")
    assert cluster.inputs["publicAccessCidrs"] == ["198.51.100.0/24"]
    # The example shows the teardown wait: cluster and nodes outlive NAT on destroy.
    nat = result.one("aws:ec2/natGateway:NatGateway", "vpc-eu-west-1a").urn
    assert nat in cluster.dependencies
    assert nat in result.one("eks:index:ManagedNodeGroup", "nodes-metal").dependencies
