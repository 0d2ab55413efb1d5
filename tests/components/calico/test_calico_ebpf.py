"""CalicoEbpf in the real program: what the plan shows, and the order it shows it in."""

import json

import pulumi_kubernetes as k8s
import pytest

from components import defaults
from components.calico.calico_ebpf import CalicoEbpf, CalicoEbpfArgs
from components.options import KubeProxyMode
from components.testing.diff import deployed_clusters
from components.testing.mock_engine import run_program
from components.testing.plan import stack_config
from tests.components.calico.schemas import errors, integral_floats_as_ints
from tests.conftest import planned

INSTALLATION = "kubernetes:operator.tigera.io/v1:Installation"
FELIX = "kubernetes:crd.projectcalico.org/v1:FelixConfigurationPatch"
KUBE_PROXY = "kubernetes:apps/v1:DaemonSetPatch"
CHART = "kubernetes:helm.sh/v4:Chart"
MNG = "eks:index:ManagedNodeGroup"

IPTABLES = ("dataplane=iptables", "kubeProxy=enabled")
ABSENT = ("kubeProxy=absent",)


def test_dev_plan_shows_calico_pieces():
    result = planned("dev")
    cm = result.one("kubernetes:core/v1:ConfigMap", "calico-endpoint")
    assert cm.inputs["metadata"] == {
        "name": "kubernetes-services-endpoint",
        "namespace": "tigera-operator",
    }
    host = cm.inputs["data"]["KUBERNETES_SERVICE_HOST"]
    assert f"https://{host}" == result.outputs["clusterEndpoint"]
    assert cm.inputs["data"]["KUBERNETES_SERVICE_PORT"] == "443"

    operator = result.one(CHART, "calico-operator").inputs
    assert (operator["chart"], operator["version"], operator["namespace"]) == (
        "tigera-operator",
        "v3.31.7",
        "tigera-operator",
    )
    assert operator["repositoryOpts"] == {"repo": "https://docs.tigera.io/calico/charts"}
    assert operator["values"]["dnsConfig"] == {"nameservers": ["169.254.169.253"]}
    assert operator["values"]["installation"] == {"enabled": False}
    # no CRD chart before v3.32
    assert [c.name for c in result.by_type(CHART) if c.name.startswith("calico")] == [
        "calico-operator"
    ]

    installation = result.one(INSTALLATION, "calico-installation").inputs
    assert installation["spec"]["calicoNetwork"]["linuxDataplane"] == "BPF"
    assert installation["spec"]["cni"] == {"type": "AmazonVPC"}
    assert (
        installation["metadata"]["annotations"]["pulumi.com/waitFor"]
        == '["condition=Ready", "jsonpath={.status.computed.calicoNetwork.linuxDataplane}=BPF"]'
    )

    felix = result.one(FELIX, "calico-felix").inputs
    assert felix["metadata"] == {
        "name": "default",
        "annotations": {"pulumi.com/patchForce": "true"},
    }
    assert felix["spec"] == {"bpfExternalServiceMode": "Tunnel", "bpfJITHardening": "Auto"}
    # kube-proxy keeps its rules and port until it is parked; then Felix takes both over
    assert result.one(FELIX, "calico-felix-handover").inputs["spec"] == {
        "bpfKubeProxyHealthzPort": 10258.0,
        "bpfKubeProxyIptablesCleanupEnabled": False,
    }
    assert result.one(FELIX, "calico-felix-takeover").inputs["spec"] == {
        "bpfKubeProxyHealthzPort": 10256.0,
        "bpfKubeProxyIptablesCleanupEnabled": True,
    }
    parked = result.one(KUBE_PROXY, "calico-kube-proxy").inputs
    assert parked["spec"] == {"template": {"spec": {"nodeSelector": {"non-calico": "true"}}}}


def test_vpc_cni_addon_configured_for_calico():
    result = planned("dev")
    addon = result.one("aws:eks/addon:Addon", "eks-vpc-cni").inputs
    # parked kube-proxy: new nodes never run it, so aws-node is told the real endpoint
    eni_tags = '{"cluster": "eks-calico-ebpf-dev", "project": "eks-calico-ebpf", "stack": "dev"}'
    assert json.loads(addon["configurationValues"]) == {
        "enableNetworkPolicy": "false",
        "env": {
            "ADDITIONAL_ENI_TAGS": eni_tags,
            "ANNOTATE_POD_IP": "true",
            "CLUSTER_ENDPOINT": result.outputs["clusterEndpoint"],
        },
    }
    running = planned("dev", *IPTABLES).one("aws:eks/addon:Addon", "eks-vpc-cni").inputs
    assert "CLUSTER_ENDPOINT" not in json.loads(running["configurationValues"])["env"]


@pytest.mark.parametrize("overrides", [(), IPTABLES, ABSENT, ("calicoVersion=v3.32.1",)])
def test_every_planned_calico_resource_passes_its_crd_schema(overrides):
    result = planned("dev", *overrides)
    version = next(
        (o.split("=")[1] for o in overrides if o.startswith("calicoVersion")),
        defaults.CALICO_VERSION,
    )
    crs = (
        result.by_type(INSTALLATION)
        + result.by_type(FELIX)
        + result.by_type("kubernetes:operator.tigera.io/v1:APIServer")
    )
    disabled = "kubeProxy=enabled" not in overrides and overrides != ABSENT
    assert len(crs) == (5 if disabled else 3)
    for r in crs:
        obj = {k: r.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
        # mock inputs carry numbers as floats; the API server sees integers
        obj = integral_floats_as_ints(obj)
        assert errors(obj, version) == [], r.name


def _urn(result, type_, name):
    return result.one(type_, name).urn


def test_order_cluster_nodes_calico_ready_then_kube_proxy_parked():
    r = planned("dev")
    cluster = _urn(r, "eks:index:Cluster", "eks")
    mng = r.one(MNG, "nodes-dev")
    operator = r.one(CHART, "calico-operator")
    felix = r.one(FELIX, "calico-felix")
    installation = r.one(INSTALLATION, "calico-installation")
    kube_proxy = r.one(KUBE_PROXY, "calico-kube-proxy")
    assert cluster in mng.dependencies
    assert mng.urn in operator.dependencies
    assert _urn(r, "kubernetes:core/v1:ConfigMap", "calico-endpoint") in operator.dependencies
    assert operator.urn in felix.dependencies
    assert {operator.urn, felix.urn} <= set(installation.dependencies)
    assert kube_proxy.dependencies == (installation.urn,)
    handover = r.one(FELIX, "calico-felix-handover")
    takeover = r.one(FELIX, "calico-felix-takeover")
    assert handover.dependencies == (operator.urn,)
    assert handover.urn in felix.dependencies
    assert takeover.dependencies == (kube_proxy.urn,)


def test_only_disabled_hands_felix_over():
    for overrides in (IPTABLES, ABSENT):
        names = [f.name for f in planned("dev", *overrides).by_type(FELIX)]
        assert names == ["calico-felix"]


def test_iptables_keeps_kube_proxy_and_orders_its_release_before_the_installation():
    r = planned("dev", *IPTABLES)
    installation = r.one(INSTALLATION, "calico-installation")
    assert installation.inputs["spec"]["calicoNetwork"]["linuxDataplane"] == "Iptables"
    kube_proxy = r.one(KUBE_PROXY, "calico-kube-proxy")
    # kube-proxy untouched: the patch owns no field at all
    assert "spec" not in kube_proxy.inputs
    assert kube_proxy.inputs["metadata"] == {"name": "kube-proxy", "namespace": "kube-system"}
    # rollback order in one `pulumi up`: Felix stops cleaning kube-proxy's rules, kube-proxy
    # comes back, and only then does Calico leave eBPF
    felix = r.one(FELIX, "calico-felix")
    assert felix.inputs["spec"]["bpfKubeProxyIptablesCleanupEnabled"] is False
    assert felix.urn in kube_proxy.dependencies
    assert kube_proxy.urn in installation.dependencies
    assert r.one("eks:index:Cluster", "eks").inputs["bootstrapSelfManagedAddons"] is True


def test_same_kube_proxy_identity_in_both_directions():
    # One logical resource in both modes, so switching updates it in place (releasing the
    # selector) instead of deleting it at the end of the update.
    assert _urn(planned("dev"), KUBE_PROXY, "calico-kube-proxy") == _urn(
        planned("dev", *IPTABLES), KUBE_PROXY, "calico-kube-proxy"
    )


def test_absent_creates_cluster_without_kube_proxy():
    r = planned("dev", *ABSENT)
    cluster = r.one("eks:index:Cluster", "eks").inputs
    assert cluster["bootstrapSelfManagedAddons"] is False
    assert cluster["kubeProxyAddonOptions"]["enabled"] is False
    assert r.by_type(KUBE_PROXY) == []
    addon = r.one("aws:eks/addon:Addon", "eks-vpc-cni").inputs
    env = json.loads(addon["configurationValues"])["env"]
    assert env["CLUSTER_ENDPOINT"] == r.outputs["clusterEndpoint"]
    coredns = r.one("aws:eks/addon:Addon", "coredns")
    assert coredns.inputs["addonName"] == "coredns"
    # After the nodes and the operator chart, never after the Installation: its Ready needs
    # calico-kube-controllers, which needs this CoreDNS (lifecycle F2).
    assert r.one(MNG, "nodes-dev").urn in coredns.dependencies
    assert _urn(r, "kubernetes:helm.sh/v4:Chart", "calico-operator") in coredns.dependencies
    assert _urn(r, INSTALLATION, "calico-installation") not in coredns.dependencies
    assert coredns.options == {"customTimeouts": {"create": "30m", "update": "30m"}}
    felix = r.one(FELIX, "calico-felix").inputs["spec"]
    assert felix["bpfKubeProxyIptablesCleanupEnabled"] is True


def test_coredns_addon_only_without_bootstrap_addons():
    for overrides in [(), IPTABLES]:
        assert [a.name for a in planned("dev", *overrides).by_type("aws:eks/addon:Addon")] == [
            "eks-vpc-cni"
        ]


def test_calico_v3_32_installs_crd_chart_first():
    r = planned("dev", "calicoVersion=v3.32.1")
    crds = r.one(CHART, "calico-crds").inputs
    assert (crds["chart"], crds["version"]) == ("crd.projectcalico.org.v1", "v3.32.1")
    operator = r.one(CHART, "calico-operator")
    assert operator.inputs["version"] == "v3.32.1"
    assert _urn(r, CHART, "calico-crds") in operator.dependencies
    # the CRD chart's own provider adopts CRDs a v3.31 install left (README "Upgrades")
    provider = r.one("pulumi:providers:kubernetes", "calico-crds")
    assert provider.inputs["upsertExistingObjects"] == "true"
    assert provider.inputs["enableServerSideApply"] == "true"
    assert (
        provider.inputs["kubeconfig"]
        == r.one("pulumi:providers:kubernetes", "eks").inputs["kubeconfig"]
    )
    takeover = r.one(FELIX, "calico-felix-takeover").inputs["spec"]
    assert takeover["bpfKubeProxyHealthzPort"] == 10256.0


def test_modes_exposed_as_outputs():
    assert planned("dev").outputs["kubeProxy"] == KubeProxyMode.DISABLED.value
    assert planned("dev", *IPTABLES).outputs["calicoDataplane"] == "iptables"


K8S_PROVIDER = "pulumi:providers:kubernetes"


def _upserting(result):
    return sorted(
        p.name
        for p in result.by_type(K8S_PROVIDER)
        if p.inputs.get("upsertExistingObjects") == "true"
    )


def test_crd_adoption_is_on_from_the_first_v3_32_install_and_for_the_crd_chart_only():
    # README "Upgrades: CRD adoption (v3.32+)": kept on purpose, fresh installs included.
    fresh = planned("dev", "calicoVersion=v3.32.1")  # a first deploy: no cluster exists yet
    assert _upserting(fresh) == ["calico-crds"]
    crd_chart = fresh.one(CHART, "calico-crds")
    operator = fresh.one(CHART, "calico-operator")
    assert crd_chart.urn in operator.dependencies  # nothing else creates the CRDs before it
    # v3.31: the CRDs come with the operator chart, through the cluster's provider; no adoption.
    assert _upserting(planned("dev")) == []
    # A later run on the deployed cluster keeps the very same provider (no change to plan).
    later = run_program(
        "dev",
        stack_config("dev", ["calicoVersion=v3.32.1"]),
        deployed=deployed_clusters(fresh),
    )
    assert deployed_clusters(fresh)
    assert _upserting(later) == ["calico-crds"]
    assert (
        later.one(K8S_PROVIDER, "calico-crds").inputs
        == fresh.one(K8S_PROVIDER, "calico-crds").inputs
    )


def test_without_kubeconfig_the_crd_chart_adopts_nothing():
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        CalicoEbpf(
            "calico",
            CalicoEbpfArgs(
                provider=provider,
                endpoint_host="ABC.gr7.us-west-2.eks.amazonaws.com",
                calico_version="v3.32.1",
            ),
        )

    result = run_program("dev", {"aws:region": "us-west-2"}, program=program)
    assert result.one(CHART, "calico-crds")
    assert [p.name for p in result.by_type(K8S_PROVIDER)] == ["k8s"]
    assert _upserting(result) == []
