"""The whole architecture, composed once: VPC → EKS → Bottlerocket node groups → Calico eBPF →
optional AWS Load Balancer Controller → optional NLB demo.

`__main__.py` calls `compose()` with the stack's settings and no parent, so every top-level
component sits at the stack root (the URNs deployed stacks already have). The cross-language
facade calls it with itself as the parent. Nothing here reads config or exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from .calico.calico_ebpf import VPC_CNI_CONFIGURATION, CalicoEbpf, CalicoEbpfArgs
from .config import StackSettings
from .eks.cluster import EksCluster, EksClusterArgs
from .eks.coredns import CoreDns, CoreDnsArgs
from .eks.node_group import BottlerocketNodeGroup, BottlerocketNodeGroupArgs
from .exposure.demo_app import DemoApp, DemoAppArgs
from .exposure.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from .exposure.nlb_service import NlbService, NlbServiceArgs, ServicePort
from .network.vpc import Vpc, VpcArgs
from .options import KubeProxyMode
from .options import LoadBalancerController as ControllerMode


@dataclass(frozen=True)
class Composition:
    """The components `compose()` created; optional ones are None when turned off."""

    vpc: Vpc
    eks: EksCluster
    node_groups: tuple[BottlerocketNodeGroup, ...]
    calico: CalicoEbpf | None
    """None with `calico: false` (plain EKS)."""
    coredns: CoreDns | None
    load_balancer_controller: LoadBalancerController | None
    demo: DemoApp | None
    demo_service: NlbService | None


def compose(
    settings: StackSettings,
    tags: Mapping[str, str],
    parent: pulumi.Resource | None = None,
) -> Composition:
    child = pulumi.ResourceOptions(parent=parent)

    vpc = Vpc(
        "vpc",
        VpcArgs(
            cidr_block=settings.vpc_cidr,
            availability_zones=settings.availability_zones,
            cluster_name=settings.cluster_name,
            nat=settings.nat,
            tags=tags,
        ),
        child,
    )

    eks = EksCluster(
        "eks",
        EksClusterArgs(
            cluster_name=settings.cluster_name,
            region=settings.region,
            kubernetes_version=settings.kubernetes_version,
            vpc_id=vpc.vpc_id,
            public_subnet_ids=vpc.public_subnet_ids,
            private_subnet_ids=vpc.private_subnet_ids,
            service_cidr=settings.service_cidr,
            public_access_cidrs=settings.public_access_cidrs,
            admin_principal_arns=settings.admin_principal_arns,
            kube_proxy=settings.kube_proxy,
            # Calico's VPC CNI requirements only with Calico: plain EKS keeps the add-on as shipped.
            vpc_cni_configuration=VPC_CNI_CONFIGURATION if settings.calico else {},
            log_retention_days=settings.log_retention_days,
            tags=tags,
        ),
        child,
    )

    node_groups = tuple(
        BottlerocketNodeGroup(
            f"nodes-{group}",
            BottlerocketNodeGroupArgs(
                cluster=eks.cluster,
                cluster_name=settings.cluster_name,
                group_name=group,
                kubernetes_version=settings.kubernetes_version,
                spec=spec,
                subnet_ids=[
                    vpc.private_subnet_ids_by_az[az]
                    for az in (spec.availability_zones or settings.availability_zones)
                ],
                partition=eks.partition,
                wait_for=[eks.vpc_cni_addon],
                tags=tags,
            ),
            child,
        )
        for group, spec in settings.node_groups.items()
    )

    calico = None
    # What workloads wait for: Calico ready in its dataplane, or (plain EKS) the node groups.
    ready: list[pulumi.Resource] = list(node_groups)
    if settings.calico:
        calico = CalicoEbpf(
            "calico",
            CalicoEbpfArgs(
                provider=eks.k8s_provider,
                endpoint_host=eks.endpoint_host,
                calico_version=settings.calico_version,
                dataplane=settings.dataplane,
                kube_proxy=settings.kube_proxy,
                wait_for=list(node_groups),
            ),
            child,
        )
        ready = calico.ready

    coredns = None
    if calico is not None and settings.kube_proxy is KubeProxyMode.ABSENT:
        # EKS installed no CoreDNS on this cluster; it can only run once nodes and Calico do.
        coredns = CoreDns(
            "coredns",
            CoreDnsArgs(
                cluster_name=settings.cluster_name,
                wait_for=[*node_groups, calico.installation],
                tags=tags,
            ),
            child,
        )

    lbc = None
    if settings.load_balancer_controller is ControllerMode.AWS:
        lbc = LoadBalancerController(
            "lbc",
            LoadBalancerControllerArgs(
                cluster_name=settings.cluster_name,
                region=settings.region,
                vpc_id=vpc.vpc_id,
                oidc_provider_arn=eks.oidc_provider_arn,
                oidc_issuer=eks.oidc_issuer,
                partition=eks.partition,
                provider=eks.k8s_provider,
                tags=tags,
                wait_for=ready,
            ),
            child,
        )

    demo = service = None
    if settings.demo_app:
        demo = DemoApp(
            "demo",
            DemoAppArgs(
                kubernetes_version=settings.kubernetes_version,
                provider=eks.k8s_provider,
                wait_for=ready,
            ),
            child,
        )
        service = NlbService(
            "demo-nlb",
            NlbServiceArgs(
                namespace=demo.namespace,
                service_name="echo",
                selector=demo.selector,
                ports=[
                    ServicePort(
                        name="http", port=settings.demo_app_port, target_port=demo.target_port
                    )
                ],
                controller=settings.load_balancer_controller,
                scheme=settings.load_balancer_scheme,
                allowed_client_cidrs=settings.allowed_client_cidrs,
                # NLB health checks come from the NLB's own addresses, in the subnets it sits in.
                health_check_cidrs=vpc.load_balancer_subnet_cidrs(settings.load_balancer_scheme),
                # iptables also with `calico: false`: kube-proxy serves the Service either way.
                dataplane=settings.dataplane,
                provider=eks.k8s_provider,
                wait_for=[demo.namespace_resource, *([lbc.chart] if lbc else []), *ready],
            ),
            child,
        )

    return Composition(
        vpc=vpc,
        eks=eks,
        node_groups=node_groups,
        calico=calico,
        coredns=coredns,
        load_balancer_controller=lbc,
        demo=demo,
        demo_service=service,
    )
