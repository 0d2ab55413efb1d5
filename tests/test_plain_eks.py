"""`calico: false`: the same cluster as plain EKS (VPC CNI + kube-proxy), the benchmark baseline."""

import json

import pytest

from components.config import parse_settings
from components.errors import ConfigError
from components.options import Dataplane
from tests.conftest import ROOT, planned

PLAIN = ("calico=false", "kubeProxy=enabled")
GOLDEN_BENCH = (ROOT / "tests" / "golden" / "bench.urns").read_text().split()
CALICO_COMPONENT = "eks-calico-ebpf:index:CalicoEbpf"
NODE_GROUP = "urn:pulumi:bench::eks-calico-ebpf::eks-calico-ebpf:index:BottlerocketNodeGroup$eks:index:ManagedNodeGroup::nodes-bench"


def test_plain_bench_is_the_bench_stack_less_exactly_calico():
    urns = planned("bench", *PLAIN).urns()
    calico = [u for u in GOLDEN_BENCH if CALICO_COMPONENT in u]
    # the component and everything below it: its own children and the operator chart's objects
    bench = planned("bench")
    (component,) = bench.by_type(CALICO_COMPONENT)
    below = {component.urn}
    for r in sorted(bench.resources, key=lambda r: r.urn.count("$")):
        if r.parent in below:
            below.add(r.urn)
    assert sorted(calico) == sorted(below)
    assert sorted(urns) == sorted(set(GOLDEN_BENCH) - set(calico))


def test_plain_bench_has_no_calico_object_at_all():
    result = planned("bench", *PLAIN)
    types = {r.type for r in result.resources}
    assert not any("tigera" in t or "projectcalico" in t for t in types)
    assert "kubernetes:apps/v1:DaemonSetPatch" not in types
    charts = [r.name for r in result.by_type("kubernetes:helm.sh/v4:Chart")]
    assert charts == ["lbc-chart"]
    roles = [r.name for r in result.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")]
    assert roles == ["lbc-chart:aws-load-balancer-controller-role"]  # the LBC chart's own


def test_plain_bench_vpc_cni_is_the_add_on_as_eks_ships_it():
    addon = planned("bench", *PLAIN).one("aws:eks/addon:Addon", "eks-vpc-cni").inputs
    # Only the stack's tags on the ENIs aws-node creates (found by them after a destroy).
    eni_tags = json.dumps(
        {"cluster": "eks-calico-ebpf-bench", "project": "eks-calico-ebpf", "stack": "bench"},
        sort_keys=True,
    )
    assert json.loads(addon["configurationValues"]) == {"env": {"ADDITIONAL_ENI_TAGS": eni_tags}}
    calico_addon = json.loads(
        planned("bench").one("aws:eks/addon:Addon", "eks-vpc-cni").inputs["configurationValues"]
    )
    assert calico_addon["enableNetworkPolicy"] == "false"
    assert calico_addon["env"]["ANNOTATE_POD_IP"] == "true"
    assert calico_addon["env"]["ADDITIONAL_ENI_TAGS"] == eni_tags


def test_plain_bench_demo_keeps_client_ip_with_local_and_waits_for_the_nodes():
    result = planned("bench", *PLAIN)
    service = result.one("kubernetes:core/v1:Service", "demo-nlb-service")
    assert service.inputs["spec"]["externalTrafficPolicy"] == "Local"
    assert NODE_GROUP in service.dependencies
    assert NODE_GROUP in result.one("kubernetes:apps/v1:Deployment", "demo-deployment").dependencies
    assert NODE_GROUP in result.one("kubernetes:helm.sh/v4:Chart", "lbc-chart").dependencies
    assert result.outputs["calicoDataplane"] == "none"
    assert result.outputs["kubeProxy"] == "enabled"


def test_plain_accepts_iptables_left_in_the_stack_file():
    """The README's sequence goes bpf → iptables → calico false without unsetting dataplane;
    the settings (all that compose() reads) are the same as with dataplane unset."""
    left = _settings(calico="false", kubeProxy="enabled", dataplane="iptables")
    assert left == _settings(calico="false", kubeProxy="enabled")


def _settings(**raw):
    raw.setdefault("availabilityZones", '["us-west-2a", "us-west-2b"]')
    raw.setdefault("deployInsideVpc", "true")  # the library default publicAccessCidrs is []
    return parse_settings(raw, region="us-west-2", stack="t")


def test_calico_defaults_to_true_and_false_means_iptables():
    assert _settings().calico is True
    plain = _settings(calico="false", kubeProxy="enabled")
    assert (plain.calico, plain.dataplane) == (False, Dataplane.IPTABLES)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (
            {"calico": "false"},
            'eks-calico-ebpf:kubeProxy: cannot be combined with calico false: without Calico only kube-proxy serves Services (got "disabled"); accepted: enabled with calico false',
        ),
        (
            {"calico": "false", "kubeProxy": "absent"},
            'eks-calico-ebpf:kubeProxy: cannot be combined with calico false: without Calico only kube-proxy serves Services (got "absent"); accepted: enabled with calico false',
        ),
        (
            {"calico": "false", "kubeProxy": "enabled", "dataplane": "bpf"},
            "eks-calico-ebpf:dataplane: is Calico's eBPF dataplane, which calico false does not install (got \"bpf\"); accepted: iptables (kube-proxy's) or unset with calico false",
        ),
        (
            {"calico": "no"},
            'eks-calico-ebpf:calico: is not a boolean (got "no"); accepted: true or false',
        ),
    ],
)
def test_bad_combinations_are_one_line(raw, line):
    with pytest.raises(ConfigError) as info:
        _settings(**raw)
    assert str(info.value) == line
