"""Pure Calico renderers: exact values, schema validation, core-object validation."""

import kubernetes_validate
import pytest

from components import defaults
from components.calico import _manifests as m
from components.eks._bottlerocket import deep_merge
from components.options import Dataplane, KubeProxyMode
from components.testing.upstream import chart_values
from tests.components.calico.schemas import errors, operator_archive

VERSIONS = ["v3.31.7", "v3.32.1"]
K8S = defaults.KUBERNETES_VERSION


def cr(kind, spec, api_version="operator.tigera.io/v1"):
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "default"}, "spec": spec}


def test_installation_spec_bpf_exact():
    assert m.installation_spec(Dataplane.BPF) == {
        "variant": "Calico",
        "kubernetesProvider": "EKS",
        "cni": {"type": "AmazonVPC"},
        "calicoNetwork": {"bgp": "Disabled", "linuxDataplane": "BPF"},
        "flexVolumePath": "/var/lib/kubelet/plugins",
        "kubeletVolumePluginPath": "None",
    }


def test_installation_never_sets_hostports_ippools_or_network_bootstrap():
    for dataplane in Dataplane:
        network = m.installation_spec(dataplane)["calicoNetwork"]
        assert set(network) == {"bgp", "linuxDataplane"}
    assert m.installation_spec(Dataplane.IPTABLES)["calicoNetwork"]["linuxDataplane"] == "Iptables"


@pytest.mark.parametrize(
    ("kube_proxy", "version", "healthz", "cleanup"),
    [
        (KubeProxyMode.ABSENT, "v3.31.7", 10256, True),
        (KubeProxyMode.ENABLED, "v3.31.7", 10258, False),
        (KubeProxyMode.ENABLED, "v3.32.1", 0, False),
    ],
)
def test_felix_spec(kube_proxy, version, healthz, cleanup):
    assert m.felix_spec(kube_proxy, version) == {
        "bpfExternalServiceMode": "Tunnel",
        "bpfKubeProxyHealthzPort": healthz,
        "bpfKubeProxyIptablesCleanupEnabled": cleanup,
        "bpfJITHardening": "Auto",
    }


@pytest.mark.parametrize(
    ("kube_proxy", "version", "healthz", "cleanup"),
    [
        # disabled: the take-over patch, applied last, wins over the hand-over one (10258, off)
        (KubeProxyMode.DISABLED, "v3.31.7", 10256, True),
        (KubeProxyMode.DISABLED, "v3.32.1", 10256, True),
        # enabled: kube-proxy keeps its port and rules; Felix stays on a spare port, or none
        (KubeProxyMode.ENABLED, "v3.31.7", 10258, False),
        (KubeProxyMode.ENABLED, "v3.32.1", 0, False),
        (KubeProxyMode.ABSENT, "v3.31.7", 10256, True),
        (KubeProxyMode.ABSENT, "v3.32.1", 10256, True),
    ],
)
def test_felix_settled_spec(kube_proxy, version, healthz, cleanup):
    """What `verify` compares the live FelixConfiguration with after `pulumi up`."""
    assert m.felix_settled_spec(kube_proxy, version) == {
        "bpfExternalServiceMode": "Tunnel",
        "bpfJITHardening": "Auto",
        "bpfKubeProxyHealthzPort": healthz,
        "bpfKubeProxyIptablesCleanupEnabled": cleanup,
    }


@pytest.mark.parametrize("version", ["v3.31.7", "v3.32.1"])
def test_disabled_hands_kube_proxy_fields_over_in_two_steps(version):
    assert m.felix_spec(KubeProxyMode.DISABLED, version) == {
        "bpfExternalServiceMode": "Tunnel",
        "bpfJITHardening": "Auto",
    }
    assert m.felix_handover_spec() == {
        "bpfKubeProxyHealthzPort": 10258,
        "bpfKubeProxyIptablesCleanupEnabled": False,
    }
    assert m.felix_takeover_spec() == {
        "bpfKubeProxyHealthzPort": 10256,
        "bpfKubeProxyIptablesCleanupEnabled": True,
    }


def test_felix_spec_leaves_operator_fields_alone():
    for mode in KubeProxyMode:
        spec = m.felix_spec(mode, "v3.31.7")
        assert not {"bpfEnabled", "routeTableRange", "routeTableRanges"} & set(spec)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("dataplane", list(Dataplane))
@pytest.mark.parametrize("kube_proxy", list(KubeProxyMode))
def test_every_rendered_spec_passes_its_crd_schema(version, dataplane, kube_proxy):
    objects = [
        cr("Installation", m.installation_spec(dataplane)),
        cr("APIServer", {}),
        cr("FelixConfiguration", m.felix_spec(kube_proxy, version), "crd.projectcalico.org/v1"),
        cr("FelixConfiguration", m.felix_handover_spec(), "crd.projectcalico.org/v1"),
        cr("FelixConfiguration", m.felix_takeover_spec(), "crd.projectcalico.org/v1"),
    ]
    for obj in objects:
        assert errors(obj, version) == [], obj["kind"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("kind", "path", "bad"),
    [
        ("Installation", ("calicoNetwork", "linuxDataplane"), "EBPF"),
        ("Installation", ("cni", "type"), "AWS"),
        ("Installation", ("kubernetesProvider",), "AWS"),
        ("Installation", ("calicoNetwork", "bgp"), "Off"),
        ("Installation", ("calicoNetwork", "linuxDataplan"), "BPF"),
        ("Installation", ("flexVolumePat",), "/x"),
        ("FelixConfiguration", ("bpfExternalServiceMode",), "Direct"),
        ("FelixConfiguration", ("bpfJITHardening",), "auto-ish"),
        ("FelixConfiguration", ("bpfKubeProxyHealthzPort",), "10256"),
        ("FelixConfiguration", ("bpfKubeProxyIptablesCleanupEnable",), True),
        ("FelixConfiguration", ("bpfEnabled",), "true"),
    ],
)
def test_schema_rejects_wrong_enums_and_field_names(version, kind, path, bad):
    if kind == "Installation":
        obj = cr(kind, m.installation_spec(Dataplane.BPF))
    else:
        spec = {**m.felix_spec(KubeProxyMode.DISABLED, version), **m.felix_takeover_spec()}
        obj = cr(kind, spec, "crd.projectcalico.org/v1")
    target = obj["spec"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    assert errors(obj, version), f"{path}={bad!r} was accepted"


def test_operator_chart_values_exact():
    assert m.operator_chart_values() == {
        "installation": {"enabled": False},
        "apiServer": {"enabled": False},
        "goldmane": {"enabled": False},
        "whisker": {"enabled": False},
        "defaultFelixConfiguration": {"enabled": False},
        "dnsConfig": {"nameservers": ["169.254.169.253"]},
    }


@pytest.mark.parametrize("calico_version", ["v3.32.1", "v3.31.7"])
def test_operator_chart_values_use_upstream_keys(calico_version):
    upstream = chart_values(operator_archive(calico_version))
    for key, value in m.operator_chart_values().items():
        assert key in upstream, key
        if isinstance(value, dict) and isinstance(upstream[key], dict) and upstream[key]:
            assert set(value) <= set(upstream[key]), (key, set(value) - set(upstream[key]))


@pytest.mark.parametrize(
    ("version", "crds"),
    [
        ("v3.31.3", False),
        ("v3.31.7", False),
        ("v3.32.0", True),
        ("v3.32.1", True),
        ("v4.0.0", True),
    ],
)
def test_crd_chart_from_v3_32(version, crds):
    assert m.needs_crd_chart(version) is crds


def test_endpoint_configmap_is_bare_host_and_port_443():
    cm = m.endpoint_configmap("ABC.gr7.us-west-2.eks.amazonaws.com")
    assert cm["metadata"] == {
        "name": "kubernetes-services-endpoint",
        "namespace": "tigera-operator",
    }
    assert cm["data"] == {
        "KUBERNETES_SERVICE_HOST": "ABC.gr7.us-west-2.eks.amazonaws.com",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    for bad in ("https://ABC.gr7.us-west-2.eks.amazonaws.com", "abc:443", ""):
        with pytest.raises(ValueError, match="bare host name"):
            m.endpoint_configmap_data(bad)


# A kube-proxy DaemonSet as EKS bootstraps it (shape from eksctl's recorded EKS dump,
# pkg/addons/default/testdata/sample-1.25.json): no nodeSelector, node affinity instead.
EKS_KUBE_PROXY = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {
        "name": "kube-proxy",
        "namespace": "kube-system",
        "labels": {"k8s-app": "kube-proxy", "eks.amazonaws.com/component": "kube-proxy"},
    },
    "spec": {
        "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
        "template": {
            "metadata": {"labels": {"k8s-app": "kube-proxy"}},
            "spec": {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/os",
                                            "operator": "In",
                                            "values": ["linux"],
                                        },
                                        {
                                            "key": "eks.amazonaws.com/compute-type",
                                            "operator": "NotIn",
                                            "values": ["fargate"],
                                        },
                                    ]
                                }
                            ]
                        }
                    }
                },
                "hostNetwork": True,
                "tolerations": [{"operator": "Exists"}],
                "containers": [
                    {
                        "name": "kube-proxy",
                        "image": "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.35.0-minimal-eksbuild.1",
                        "command": [
                            "kube-proxy",
                            "--v=2",
                            "--config=/var/lib/kube-proxy-config/config",
                        ],
                    }
                ],
            },
        },
    },
}


def test_kube_proxy_patches():
    assert m.kube_proxy_patch(KubeProxyMode.ABSENT) is None
    parked = m.kube_proxy_patch(KubeProxyMode.DISABLED)
    assert parked["metadata"] == {"name": "kube-proxy", "namespace": "kube-system"}
    assert parked["spec"] == {"template": {"spec": {"nodeSelector": {"non-calico": "true"}}}}
    released = m.kube_proxy_patch(KubeProxyMode.ENABLED)
    assert released == {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
    }


def core_objects():
    role, binding = m.aws_node_pod_patch_rbac("calico")
    objects = [
        m.operator_namespace(),
        m.endpoint_configmap("ABC.gr7.us-west-2.eks.amazonaws.com"),
        role,
        binding,
    ]
    for mode in (KubeProxyMode.DISABLED, KubeProxyMode.ENABLED):
        objects.append(deep_merge(EKS_KUBE_PROXY, m.kube_proxy_patch(mode)))
    return objects


@pytest.mark.parametrize(
    "obj", core_objects(), ids=lambda o: f"{o['kind']}-{o['metadata']['name']}"
)
def test_core_objects_pass_kubernetes_validate(obj):
    kubernetes_validate.validate(obj, K8S, strict=True)


def test_kubernetes_validate_catches_a_bad_patch():
    bad = deep_merge(
        EKS_KUBE_PROXY, {"spec": {"template": {"spec": {"nodeSelectors": {"non-calico": "true"}}}}}
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S, strict=True)


def test_aws_node_rbac_exact():
    role, binding = m.aws_node_pod_patch_rbac("calico")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]}]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "aws-node", "namespace": "kube-system"}
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


def test_vpc_cni_configuration():
    assert m.VPC_CNI_CONFIGURATION == {
        "enableNetworkPolicy": "false",
        "env": {"ANNOTATE_POD_IP": "true"},
    }


def test_installation_wait_for():
    assert (
        m.installation_wait_for(Dataplane.BPF)
        == '["condition=Ready", "jsonpath={.status.computed.calicoNetwork.linuxDataplane}=BPF"]'
    )
