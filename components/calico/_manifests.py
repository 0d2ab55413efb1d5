"""Pure renderers for everything Calico needs: chart values, custom-resource specs, core objects.

Sources (tigera/docs, "install.mdx" = calico/operations/ebpf/install.mdx, "eks.mdx" =
calico/getting-started/kubernetes/managed-public-cloud/eks.mdx) and the CRD schemas inside the
vendored chart archives (`upstream/charts/`) that the tests validate every rendered spec against.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..options import Dataplane, KubeProxyMode

NAMESPACE = "tigera-operator"
CHART_REPO = "https://docs.tigera.io/calico/charts"
OPERATOR_CHART = "tigera-operator"
# From v3.32 the operator chart no longer bundles CRDs (charts/tigera-operator/README.md); this
# chart carries them. Its alternative, projectcalico.org.v3, is a tech preview and never both.
CRD_CHART = "crd.projectcalico.org.v1"

# The Amazon-provided DNS resolver: install.mdx, "For clusters in AWS, such as kOps and EKS, you
# must also patch the tigera-operator deployment with DNS config so the operator can resolve
# the apiserver DNS."
AWS_DNS_RESOLVER = "169.254.169.253"

# kube-proxy's own health port; the in-tree NLB controller probes it for eTP Cluster
# (kubernetes/cloud-provider-aws PR #622), so Felix must answer there once kube-proxy is gone.
KUBE_PROXY_HEALTHZ_PORT = 10256
# Calico v3.31 has no "0 disables" for bpfKubeProxyHealthzPort; its docs suggest an unused port
# when kube-proxy keeps 10256 (enabling-ebpf.mdx, "Avoiding conflicts with kube-proxy").
SPARE_HEALTHZ_PORT_V3_31 = 10258

# The documented EKS way to stop kube-proxy: a node selector that matches no node
# (install.mdx and enabling-ebpf.mdx, EKS tab). Reversible by removing it.
KUBE_PROXY_PARK_SELECTOR = {"non-calico": "true"}

# What Calico needs of the VPC CNI add-on (eks.mdx): its own network-policy agent off ("it
# conflicts with Calico") and pod IPs annotated so Calico learns them quickly.
VPC_CNI_CONFIGURATION: dict[str, Any] = {
    "enableNetworkPolicy": "false",
    "env": {"ANNOTATE_POD_IP": "true"},
}


def parse_version(version: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", version)
    if not m:
        raise ValueError(f"not a Calico release tag: {version!r}")
    major, minor, patch = (int(g) for g in m.groups())
    return major, minor, patch


def needs_crd_chart(version: str) -> bool:
    return parse_version(version)[:2] >= (3, 32)


def operator_chart_values() -> dict[str, Any]:
    """tigera-operator chart values (keys: charts/tigera-operator/values.yaml, v3.31.7/v3.32.1).

    The chart renders no custom resources: the component owns Installation and APIServer so it
    can wait on the Installation's own status and order kube-proxy against it.
    """
    return {
        "installation": {"enabled": False},
        "apiServer": {"enabled": False},
        # Flow aggregation and its UI are optional and not part of the dataplane.
        "goldmane": {"enabled": False},
        "whisker": {"enabled": False},
        # The component patches FelixConfiguration itself (own fields only).
        "defaultFelixConfiguration": {"enabled": False},
        "dnsConfig": {"nameservers": [AWS_DNS_RESOLVER]},
    }


def installation_spec(dataplane: Dataplane) -> dict[str, Any]:
    """Installation `default`: Calico for policy and the eBPF dataplane on the VPC CNI."""
    return {
        "variant": "Calico",
        "kubernetesProvider": "EKS",
        # VPC CNI stays the CNI and IPAM: no ipPools, ipam type defaults to AmazonVPC.
        "cni": {"type": "AmazonVPC"},
        "calicoNetwork": {
            "bgp": "Disabled",
            "linuxDataplane": dataplane.installation_value,
            # No hostPorts: "supported only for Calico CNI". No bpfNetworkBootstrap: on EKS the
            # API endpoint is a host name, given through the kubernetes-services-endpoint
            # ConfigMap, and "it is invalid to use both".
        },
        # Bottlerocket's /usr/libexec is read-only (bottlerocket#1354); install.mdx's
        # Bottlerocket note moves FlexVolume here.
        "flexVolumePath": "/var/lib/kubelet/plugins",
        # Calico's CSI driver is not needed (chart default since v3.31).
        "kubeletVolumePluginPath": "None",
    }


def felix_spec(kube_proxy: KubeProxyMode, calico_version: str) -> dict[str, Any]:
    """The FelixConfiguration fields the project owns (the operator owns bpfEnabled and the
    route tables; the component never sets those).

    With kube-proxy `disabled`, the two kube-proxy fields are not here: they move in two steps,
    `felix_handover_spec` before the Installation and `felix_takeover_spec` once kube-proxy is
    parked, so Felix never cleans kube-proxy's iptables rules while kube-proxy still runs.
    """
    spec: dict[str, Any] = {
        # DSR "is not compatible with external traffic through a load balancer": the NLB
        # expects replies from the node it sent to (troubleshoot-ebpf.mdx).
        "bpfExternalServiceMode": "Tunnel",
        # Bottlerocket sets net.core.bpf_jit_harden=2, which makes policy programs load 10-20x
        # slower and can break large ones; Auto lowers it to 1 (projectcalico/calico#11015).
        "bpfJITHardening": "Auto",
    }
    if kube_proxy is KubeProxyMode.ENABLED:
        spare = 0 if parse_version(calico_version)[:2] >= (3, 32) else SPARE_HEALTHZ_PORT_V3_31
        spec.update(_kube_proxy_fields(healthz=spare, cleanup=False))
    elif kube_proxy is KubeProxyMode.ABSENT:
        spec.update(_kube_proxy_fields(healthz=KUBE_PROXY_HEALTHZ_PORT, cleanup=True))
    return spec


def felix_settled_spec(kube_proxy: KubeProxyMode, calico_version: str) -> dict[str, Any]:
    """What the project's fields of FelixConfiguration `default` hold once `pulumi up` has
    finished: `felix_spec`, and with kube-proxy `disabled` the take-over fields (the take-over
    patch wins over the hand-over one, applied last with patchForce)."""
    spec = felix_spec(kube_proxy, calico_version)
    if kube_proxy is KubeProxyMode.DISABLED:
        spec.update(felix_takeover_spec())
    return spec


def felix_handover_spec() -> dict[str, Any]:
    """kube-proxy `disabled`, until kube-proxy is parked: leave its rules and port alone.
    10258 is a valid spare port in v3.31 and v3.32 alike, so this patch never changes."""
    return _kube_proxy_fields(healthz=SPARE_HEALTHZ_PORT_V3_31, cleanup=False)


def felix_takeover_spec() -> dict[str, Any]:
    """kube-proxy `disabled`, once it is parked: Felix removes its leftover iptables rules and
    answers load-balancer health checks on its port."""
    return _kube_proxy_fields(healthz=KUBE_PROXY_HEALTHZ_PORT, cleanup=True)


def _kube_proxy_fields(*, healthz: int, cleanup: bool) -> dict[str, Any]:
    return {
        # Felix answers the load balancers' kube-proxy health checks. Set explicitly: pinned
        # rather than left to operator defaults, which differ between operator releases.
        "bpfKubeProxyHealthzPort": healthz,
        # "Should only be enabled if kube-proxy is not running" (CRD description); with both
        # running they fight over iptables (projectcalico/calico#10538, enabling-ebpf.mdx).
        "bpfKubeProxyIptablesCleanupEnabled": cleanup,
    }


# Each FelixConfiguration patch is its own server-side-apply field manager; a later patch
# setting the same field takes it over instead of failing on the conflict (pulumi-kubernetes
# Patch resources, annotation `pulumi.com/patchForce`).
PATCH_FORCE = {"pulumi.com/patchForce": "true"}


ENDPOINT_CONFIGMAP = {"name": "kubernetes-services-endpoint", "namespace": NAMESPACE}


def endpoint_configmap_data(host: str) -> dict[str, str]:
    """Tells the operator (and through it calico-node) the real API endpoint, so nothing in
    Calico needs kube-proxy to reach the API server (install.mdx). Host without scheme; port
    443 as a string (the chart's own default, 6443, is wrong for EKS)."""
    if "://" in host or ":" in host or not host:
        raise ValueError(f"API host must be a bare host name, got {host!r}")
    return {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": "443"}


def endpoint_configmap(host: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": dict(ENDPOINT_CONFIGMAP),
        "data": endpoint_configmap_data(host),
    }


def operator_namespace() -> dict[str, Any]:
    # The operator runs host-networked with privileged init containers under it
    # (projectcalico/calico manifests/tigera-operator.yaml labels its namespace the same way).
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {"name": NAMESPACE, "pod-security.kubernetes.io/enforce": "privileged"},
        },
    }


def kube_proxy_patch(kube_proxy: KubeProxyMode) -> dict[str, Any] | None:
    """The kube-proxy DaemonSet patch, or None when there is no kube-proxy.

    disabled: park kube-proxy on no node. enabled: the same patch resource owning no field, so
    a switch back from disabled releases the selector in place (server-side apply) and the
    Installation can be ordered after it; see CalicoEbpf.
    """
    if kube_proxy is KubeProxyMode.ABSENT:
        return None
    patch: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
    }
    if kube_proxy is KubeProxyMode.DISABLED:
        patch["spec"] = {"template": {"spec": {"nodeSelector": dict(KUBE_PROXY_PARK_SELECTOR)}}}
    return patch


def aws_node_pod_patch_rbac(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """ClusterRole + binding giving aws-node `patch` on pods, which ANNOTATE_POD_IP needs
    (eks.mdx). Separate objects, so the add-on's own ClusterRole stays untouched."""
    name = f"{prefix}-aws-node-annotate-pods"
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": "aws-node", "namespace": "kube-system"}],
    }
    return role, binding


# What aws-node writes with ANNOTATE_POD_IP (amazon-vpc-cni-k8s ipamd, vpccniPodIPKey). Calico
# reads it (libcalico-go AnnotationAWSPodIPs) to know a pod's IP before the kubelet reports it in
# status, and an empty value after CNI DEL to forget it, so policy is right from the pod's first
# packet to its last (projectcalico/calico#3530; tigera docs eks.mdx recommends the setting).
AWS_POD_IPS_ANNOTATION = "vpc.amazonaws.com/pod-ips"
AWS_NODE_USER = "system:serviceaccount:kube-system:aws-node"


def _unchanged(field: str) -> str:
    """CEL: `metadata.<field>` is the same before and after (absent counts as a value)."""
    new, old = f"object.metadata.{field}", f"oldObject.metadata.{field}"
    return f"(!has({new}) && !has({old})) || (has({new}) && has({old}) && {new} == {old})"


def _annotations_unchanged_except(key: str) -> str:
    """CEL: every annotation but `key` is the same before and after, none added or removed."""
    new, old = "object.metadata.annotations", "oldObject.metadata.annotations"
    return (
        f"(!has({new}) || {new}.all(k, k == '{key}' || "
        f"(has({old}) && k in {old} && {old}[k] == {new}[k]))) && "
        f"(!has({old}) || {old}.all(k, k == '{key}' || (has({new}) && k in {new})))"
    )


def aws_node_annotation_only_policy(prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """ValidatingAdmissionPolicy + binding (admissionregistration.k8s.io/v1, GA in 1.30): the
    `patch pods` that aws-node holds cluster-wide may change that one annotation and nothing
    else (not labels, which NetworkPolicies select on; not the spec; not owners or finalizers).
    """
    name = f"{prefix}-aws-node-pod-ips-only"
    checks = [
        ("object.spec == oldObject.spec", "the pod spec"),
        (_unchanged("labels"), "pod labels"),
        (
            _annotations_unchanged_except(AWS_POD_IPS_ANNOTATION),
            f"annotations other than {AWS_POD_IPS_ANNOTATION}",
        ),
        (_unchanged("finalizers"), "finalizers"),
        (_unchanged("ownerReferences"), "owner references"),
    ]
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            # Fail closed: if the policy cannot be evaluated, aws-node's update is refused (it
            # retries; pods keep running, Calico falls back to status.podIP).
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["UPDATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "matchConditions": [
                {
                    "name": "aws-node",
                    "expression": f"request.userInfo.username == '{AWS_NODE_USER}'",
                }
            ],
            "validations": [
                {
                    "expression": expression,
                    "message": f"aws-node may only set {AWS_POD_IPS_ANNOTATION}, not {what}",
                    "reason": "Forbidden",
                }
                for expression, what in checks
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return policy, binding


def installation_wait_for(dataplane: Dataplane) -> str:
    """`pulumi.com/waitFor` (pulumi-kubernetes >= 4.18): Ready, and the operator's computed
    spec showing the requested dataplane, so nothing downstream runs on a half-switched node."""
    return json.dumps(
        [
            "condition=Ready",
            "jsonpath={.status.computed.calicoNetwork.linuxDataplane}="
            + dataplane.installation_value,
        ]
    )
