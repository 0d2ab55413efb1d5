"""The whole architecture, composed once: VPC → EKS → Bottlerocket node groups → Calico eBPF →
optional AWS Load Balancer Controller → optional NLB demo.

`__main__.py` calls `compose()` with the stack's settings and no parent, so every top-level
component sits at the stack root (the URNs deployed stacks already have). The cross-language
facade calls it with itself as the parent. Nothing here reads config or exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .calico.calico_ebpf import VPC_CNI_CONFIGURATION, CalicoEbpf, CalicoEbpfArgs
from .config import StackSettings, deployed_tags
from .eks.cluster import EksCluster, EksClusterArgs
from .eks.coredns import CoreDns, CoreDnsArgs
from .eks.node_group import BottlerocketNodeGroup, BottlerocketNodeGroupArgs
from .exposure.demo_app import DemoApp, DemoAppArgs
from .exposure.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from .exposure.nlb_service import NlbService, NlbServiceArgs, ServicePort
from .network.flow_logs import VpcFlowLogs, VpcFlowLogsArgs, flow_log_group_name
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
    flow_logs: VpcFlowLogs | None


def node_availability_zones(settings: StackSettings) -> tuple[str, ...]:
    """The AZs where at least one node group has nodes, in the stack's AZ order."""
    used = {
        az
        for spec in settings.node_groups.values()
        for az in (spec.availability_zones or settings.availability_zones)
    }
    return tuple(az for az in settings.availability_zones if az in used)


def compose(
    settings: StackSettings,
    tags: Mapping[str, str],
    parent: pulumi.Resource | None = None,
    cluster_tags: Mapping[str, str] | None = None,
) -> Composition:
    """`cluster_tags` (default: what `settings` deploy, `config.deployed_tags`) go on the EKS
    cluster alone, where the next run reads them back."""
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
            cluster_tags=deployed_tags(settings) if cluster_tags is None else cluster_tags,
            # Teardown order: the cluster, its add-ons and node groups, and every controller on
            # it are deleted while the private subnets still reach AWS APIs through NAT.
            wait_for=vpc.egress,
            flow_log_group_name=(
                flow_log_group_name(settings.cluster_name) if settings.vpc_flow_logs else None
            ),
        ),
        child,
    )

    flow_logs = None
    if settings.vpc_flow_logs:
        # After the cluster: the log group is encrypted with the cluster's key.
        flow_logs = VpcFlowLogs(
            "vpc-flow-logs",
            VpcFlowLogsArgs(
                vpc_id=vpc.vpc_id,
                cluster_name=settings.cluster_name,
                region=settings.region,
                kms_key_arn=eks.key_arn,
                retention_days=settings.vpc_flow_log_retention_days,
                partition=eks.partition,
                account_id=eks.account_id,
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
                wait_for=[eks.vpc_cni_addon, *vpc.egress],
                tags=tags,
                ssm_access=settings.node_ssm_access,
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
                kubeconfig=eks.kubeconfig_json,
            ),
            child,
        )
        ready = calico.ready

    coredns = None
    if calico is not None and settings.kube_proxy is KubeProxyMode.ABSENT:
        # EKS installed no CoreDNS on this cluster. It needs nodes and calico-node, but not the
        # Installation's Ready, which itself waits for DNS (calico-kube-controllers): so after
        # the operator chart, in parallel with the Installation.
        coredns = CoreDns(
            "coredns",
            CoreDnsArgs(
                cluster_name=settings.cluster_name,
                wait_for=[*node_groups, calico.operator],
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
                # The egress path too: on destroy the controller deletes NLBs, target groups and
                # security groups through NAT before its chart goes.
                wait_for=[*ready, *vpc.egress],
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
        lb_azs = node_availability_zones(settings)
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
                health_check_cidrs=vpc.load_balancer_subnet_cidrs(
                    settings.load_balancer_scheme, lb_azs
                ),
                # The NLB only in the AZs that have nodes (the public or internal load-balancer
                # subnets those CIDRs describe). Cross-zone load balancing is off by default on an
                # NLB, so an NLB node in an AZ without targets has nothing healthy to send to and
                # is pulled from DNS, while clients holding its address fail (bench: one AZ).
                # Pinning the subnets keeps traffic in the nodes' AZ, where turning cross-zone on
                # would carry it across AZs; the annotation is read by the LBC and the in-tree
                # controller alike.
                subnet_ids=vpc.load_balancer_subnet_ids(settings.load_balancer_scheme, lb_azs),
                # iptables also with `calico: false`: kube-proxy serves the Service either way.
                dataplane=settings.dataplane,
                provider=eks.k8s_provider,
                wait_for=[
                    demo.namespace_resource,
                    *([lbc.chart] if lbc else []),
                    *ready,
                    *vpc.egress,
                ],
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
        flow_logs=flow_logs,
    )


def exports(settings: StackSettings, built: Composition) -> dict[str, Any]:
    """What a downstream stack needs, by output name: `__main__.py` exports exactly these and
    the cross-language `EksCalicoCluster` carries the same values (a test keeps them equal)."""
    outputs: dict[str, Any] = {}
    if built.demo_service is not None:
        outputs["demoNlbHostname"] = built.demo_service.hostname
        outputs["demoUrl"] = built.demo_service.url.apply(lambda url: url.rstrip("/") + "/clientip")
    outputs.update(
        vpcId=built.vpc.vpc_id,
        vpcCidr=str(settings.vpc_cidr),  # netbench verify: an address inside it was SNATed
        privateSubnetIds=built.vpc.private_subnet_ids,
        publicSubnetIds=built.vpc.public_subnet_ids,
        clusterName=settings.cluster_name,
        clusterEndpoint=built.eks.endpoint,
        clusterSecurityGroupId=built.eks.cluster_security_group_id,
        kubeconfig=built.eks.kubeconfig_json,
        oidcProviderArn=built.eks.oidc_provider_arn,
        oidcIssuerUrl=built.eks.oidc_issuer_url,
        nodeGroupNamePrefixes=[g.node_group_name_prefix for g in built.node_groups],
        # Keyed like `nodeGroups`: compose() builds the groups in the settings' order.
        nodeRoleArns=dict(
            zip(settings.node_groups, (g.role_arn for g in built.node_groups), strict=True)
        ),
        # "none" with `calico: false`: no Calico runs, whatever `dataplane` reads.
        calicoDataplane=settings.dataplane.value if settings.calico else "none",
        kubeProxy=settings.kube_proxy.value,
    )
    return outputs
