"""`CalicoEbpf`: Calico (Tigera operator) with the eBPF dataplane on the Amazon VPC CNI.

Creates, in this order: the `tigera-operator` namespace and the `kubernetes-services-endpoint`
ConfigMap; for Calico v3.32+ the separate CRD chart; the operator chart (DNS through the AWS
resolver); FelixConfiguration fields the project owns; the Installation, awaited until the
operator reports it Ready in the requested dataplane; the APIServer; RBAC that lets aws-node
annotate pods; and the kube-proxy patch, ordered against the Installation by mode:

    kube-proxy parked (disabled): ... → Felix (kube-proxy's fields left alone) → Installation
                                  (Ready, BPF) → park kube-proxy → Felix takes over its
                                  iptables clean-up and health port
    kube-proxy running (enabled): ... → Felix → release kube-proxy → Installation

so one `pulumi up` from bpf/disabled to iptables/enabled brings kube-proxy back before Calico
leaves eBPF, and Services never lose their proxy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_kubernetes as k8s

from .. import defaults
from ..options import Dataplane, KubeProxyMode
from . import _manifests as m
from ._manifests import VPC_CNI_CONFIGURATION

__all__ = ["VPC_CNI_CONFIGURATION", "CalicoEbpf", "CalicoEbpfArgs"]

# The operator rolls calico-node out node by node; on c5n.metal each restart is quick, but
# image pulls on fresh nodes are not. Generous, still bounded.
INSTALLATION_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True, kw_only=True)
class CalicoEbpfArgs:
    provider: pulumi.ProviderResource
    """Kubernetes provider of the cluster."""
    endpoint_host: pulumi.Input[str]
    """EKS API host name without scheme (`<id>.gr7.<region>.eks.amazonaws.com`)."""
    calico_version: str = defaults.CALICO_VERSION
    """Calico release tag; the chart version is the tag itself (with the `v`)."""
    dataplane: Dataplane = defaults.DATAPLANE
    kube_proxy: KubeProxyMode = defaults.KUBE_PROXY
    wait_for: Sequence[pulumi.Resource] = ()
    """What must exist before the operator is installed (the node groups it runs on)."""
    kubeconfig: pulumi.Input[str] | None = None
    """Kubeconfig of the cluster, for the v3.32+ CRD chart's own provider, which adopts Calico
    CRDs that already exist, on every run including the first (see README "Upgrades"). Without it
    the CRD chart uses `provider` and fails with AlreadyExists on a CRD it did not create."""


class CalicoEbpf(pulumi.ComponentResource):
    installation: k8s.apiextensions.CustomResource
    """The Installation; depend on it to run after Calico is Ready in its dataplane."""
    ready: list[pulumi.Resource]
    """Depend on these to run after Calico is ready and kube-proxy is where it should be."""
    operator: k8s.helm.v4.Chart
    """The tigera-operator chart; depend on it to run once the operator is installed, without
    waiting for the Installation to be Ready."""

    def __init__(
        self, name: str, args: CalicoEbpfArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-calico-ebpf:index:CalicoEbpf", name, None, opts)

        def child(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=list(depends_on)
            )

        ns = m.operator_namespace()
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=ns["metadata"], opts=child()
        )
        endpoint = k8s.core.v1.ConfigMap(
            f"{name}-endpoint",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=m.ENDPOINT_CONFIGMAP["name"], namespace=m.ENDPOINT_CONFIGMAP["namespace"]
            ),
            data=cast(
                "pulumi.Output[Mapping[str, str]]",
                pulumi.Output.from_input(args.endpoint_host).apply(m.endpoint_configmap_data),
            ),
            opts=child(namespace),
        )

        chart_deps: list[pulumi.Resource] = [namespace, endpoint, *args.wait_for]
        repository = k8s.helm.v4.RepositoryOptsArgs(repo=m.CHART_REPO)
        if m.needs_crd_chart(args.calico_version):
            crd_provider: pulumi.ProviderResource = args.provider
            if args.kubeconfig is not None:
                # Upsert for the CRDs alone: after a v3.31 install the CRDs exist (created by the
                # operator chart), and pulumi-kubernetes otherwise fails a create with
                # AlreadyExists (provider option upsertExistingObjects, pulumi-kubernetes#4278).
                # The rename hazard that option carries (create new, then delete old) is why the
                # v3.31 -> v3.32 procedure forgets the old CRD resources first.
                # Kept on fresh installs too, deliberately: upsert only changes what a create does
                # when the object exists, and on a cluster this program just made nothing creates
                # Calico CRDs before this chart (the operator chart depends on it), so there it
                # only lets a retry adopt CRDs an interrupted first run created but did not record.
                # Limiting it to the v3.31 -> v3.32 run would take a new opt-in setting: that run
                # looks like any later v3.32 one (the procedure tags the cluster first). The cost:
                # pointed at a cluster where Calico was installed by other means, the component
                # adopts that Calico's CRDs (README "Upgrades"); without `kubeconfig` it fails
                # with AlreadyExists instead.
                crd_provider = k8s.Provider(
                    f"{name}-crds",
                    kubeconfig=args.kubeconfig,
                    enable_server_side_apply=True,
                    upsert_existing_objects=True,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            crds = k8s.helm.v4.Chart(
                f"{name}-crds",
                chart=m.CRD_CHART,
                version=args.calico_version,
                repository_opts=repository,
                namespace=m.NAMESPACE,
                # Applied server-side by the provider: the Installation CRD (~1.46 MB) is too
                # large for client-side apply's last-applied annotation.
                opts=pulumi.ResourceOptions(
                    parent=self, provider=crd_provider, depends_on=[namespace]
                ),
            )
            chart_deps.append(crds)
        self.operator = operator = k8s.helm.v4.Chart(
            f"{name}-operator",
            chart=m.OPERATOR_CHART,
            version=args.calico_version,
            repository_opts=repository,
            namespace=m.NAMESPACE,
            values=m.operator_chart_values(),
            opts=child(*chart_deps),
        )

        parked = args.kube_proxy is KubeProxyMode.DISABLED
        felix_deps: list[pulumi.Resource] = [operator]
        if parked:
            # kube-proxy runs until the Installation is Ready: Felix must not clean its rules
            # meanwhile (lifecycle review F11).
            felix_deps.append(
                self._felix(f"{name}-felix-handover", m.felix_handover_spec(), child(operator))
            )
        felix = self._felix(
            f"{name}-felix", m.felix_spec(args.kube_proxy, args.calico_version), child(*felix_deps)
        )

        kube_proxy_patch = m.kube_proxy_patch(args.kube_proxy)
        release_first = args.kube_proxy.runs
        kube_proxy: k8s.apps.v1.DaemonSetPatch | None = None
        if kube_proxy_patch is not None and release_first:
            kube_proxy = self._kube_proxy(name, kube_proxy_patch, child(felix))

        self.installation = k8s.apiextensions.CustomResource(
            f"{name}-installation",
            api_version="operator.tigera.io/v1",
            kind="Installation",
            metadata={
                "name": "default",
                "annotations": {
                    "pulumi.com/waitFor": m.installation_wait_for(args.dataplane),
                    "pulumi.com/timeoutSeconds": str(INSTALLATION_TIMEOUT_SECONDS),
                },
            },
            spec=m.installation_spec(args.dataplane),
            opts=child(operator, felix, *([kube_proxy] if kube_proxy else [])),
        )
        api_server = k8s.apiextensions.CustomResource(
            f"{name}-apiserver",
            api_version="operator.tigera.io/v1",
            kind="APIServer",
            metadata={"name": "default"},
            spec={},
            opts=child(self.installation),
        )
        takeover: pulumi.Resource | None = None
        if kube_proxy_patch is not None and not release_first:
            kube_proxy = self._kube_proxy(name, kube_proxy_patch, child(self.installation))
            takeover = self._felix(
                f"{name}-felix-takeover", m.felix_takeover_spec(), child(kube_proxy)
            )

        role, binding = m.aws_node_pod_patch_rbac(name)
        k8s.rbac.v1.ClusterRole(
            f"{name}-aws-node", metadata=role["metadata"], rules=role["rules"], opts=child()
        )
        # The policy before the permission: aws-node is never able to patch more than the
        # annotation, not even during the first deployment.
        vap, vap_binding = m.aws_node_annotation_only_policy(name)
        policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            f"{name}-aws-node-pod-ips-only",
            metadata=vap["metadata"],
            spec=vap["spec"],
            opts=child(),
        )
        policy_binding = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            f"{name}-aws-node-pod-ips-only",
            metadata=vap_binding["metadata"],
            spec=vap_binding["spec"],
            opts=child(policy),
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-aws-node",
            metadata=binding["metadata"],
            role_ref=binding["roleRef"],
            subjects=binding["subjects"],
            opts=child(policy_binding),
        )

        self.ready = [
            self.installation,
            api_server,
            *([kube_proxy] if kube_proxy else []),
            *([takeover] if takeover else []),
        ]
        self.register_outputs({"dataplane": args.dataplane.value})

    def _felix(
        self, name: str, spec: dict, opts: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResourcePatch:
        return k8s.apiextensions.CustomResourcePatch(
            name,
            api_version="crd.projectcalico.org/v1",
            kind="FelixConfiguration",
            # A patch owns only its own fields (server-side apply): the operator keeps writing
            # bpfEnabled and the route tables into the same object.
            metadata={"name": "default", "annotations": dict(m.PATCH_FORCE)},
            spec=spec,
            opts=opts,
        )

    def _kube_proxy(
        self, name: str, patch: dict, opts: pulumi.ResourceOptions
    ) -> k8s.apps.v1.DaemonSetPatch:
        return k8s.apps.v1.DaemonSetPatch(
            f"{name}-kube-proxy",
            metadata=patch["metadata"],
            spec=patch.get("spec"),
            opts=opts,
        )
