"""eks-calico-ebpf: VPC → EKS → Bottlerocket node groups → Calico eBPF → NLB with client IPs.

The only module that reads `pulumi.Config`: it turns the stack's config into validated,
typed settings (a bad value stops here, before any resource exists) and composes components.
"""

from __future__ import annotations

import pulumi

from components.calico.calico_ebpf import VPC_CNI_CONFIGURATION, CalicoEbpf, CalicoEbpfArgs
from components.config import StackSettings, parse_settings
from components.eks.cluster import EksCluster, EksClusterArgs
from components.eks.coredns import CoreDns, CoreDnsArgs
from components.eks.node_group import BottlerocketNodeGroup, BottlerocketNodeGroupArgs
from components.errors import NAMESPACE, ConfigError
from components.exposure.demo_app import DemoApp, DemoAppArgs
from components.exposure.load_balancer_controller import (
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from components.exposure.nlb_service import NlbService, NlbServiceArgs, ServicePort
from components.network.vpc import Vpc, VpcArgs
from components.options import KubeProxyMode
from components.options import LoadBalancerController as ControllerMode


def read_settings() -> StackSettings:
    # pulumi.Config can only get keys it is asked for; listing every key set in the project
    # namespace is what lets a misspelled key fail instead of being silently ignored.
    prefix = f"{NAMESPACE}:"
    present = {
        key.removeprefix(prefix)
        for key in {
            **pulumi.runtime.config.CONFIG.get(),
            **pulumi.runtime.config.get_config_env(),
        }
        if key.startswith(prefix)
    }
    config = pulumi.Config()
    raw = {key: config.get(key) for key in sorted(present)}
    try:
        return parse_settings(
            raw, region=pulumi.Config("aws").get("region"), stack=pulumi.get_stack()
        )
    except ConfigError as exc:
        # RunError: Pulumi prints the message alone, without a traceback, and exits non-zero.
        raise pulumi.RunError(str(exc)) from None


settings = read_settings()
tags = {"project": NAMESPACE, "stack": pulumi.get_stack(), "cluster": settings.cluster_name}

vpc = Vpc(
    "vpc",
    VpcArgs(
        cidr_block=settings.vpc_cidr,
        availability_zones=settings.availability_zones,
        cluster_name=settings.cluster_name,
        nat=settings.nat,
        tags=tags,
    ),
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
        vpc_cni_configuration=VPC_CNI_CONFIGURATION,
        log_retention_days=settings.log_retention_days,
        tags=tags,
    ),
)

node_groups = [
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
    )
    for group, spec in settings.node_groups.items()
]

calico = CalicoEbpf(
    "calico",
    CalicoEbpfArgs(
        provider=eks.k8s_provider,
        endpoint_host=eks.endpoint_host,
        calico_version=settings.calico_version,
        dataplane=settings.dataplane,
        kube_proxy=settings.kube_proxy,
        wait_for=node_groups,
    ),
)

if settings.kube_proxy is KubeProxyMode.ABSENT:
    # EKS installed no CoreDNS on this cluster; it can only run once nodes and Calico do.
    CoreDns(
        "coredns",
        CoreDnsArgs(
            cluster_name=settings.cluster_name,
            wait_for=[*node_groups, calico.installation],
            tags=tags,
        ),
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
            wait_for=calico.ready,
        ),
    )

if settings.demo_app:
    demo = DemoApp(
        "demo",
        DemoAppArgs(
            kubernetes_version=settings.kubernetes_version,
            provider=eks.k8s_provider,
            wait_for=calico.ready,
        ),
    )
    service = NlbService(
        "demo-nlb",
        NlbServiceArgs(
            namespace=demo.namespace,
            service_name="echo",
            selector=demo.selector,
            ports=[
                ServicePort(name="http", port=settings.demo_app_port, target_port=demo.target_port)
            ],
            controller=settings.load_balancer_controller,
            scheme=settings.load_balancer_scheme,
            allowed_client_cidrs=settings.allowed_client_cidrs,
            # NLB health checks come from the NLB's own addresses, in the subnets it sits in.
            health_check_cidrs=vpc.load_balancer_subnet_cidrs(settings.load_balancer_scheme),
            dataplane=settings.dataplane,
            provider=eks.k8s_provider,
            wait_for=[demo.namespace_resource, *([lbc.chart] if lbc else []), *calico.ready],
        ),
    )
    pulumi.export("demoNlbHostname", service.hostname)
    pulumi.export("demoUrl", service.url.apply(lambda url: url.rstrip("/") + "/clientip"))

pulumi.export("vpcId", vpc.vpc_id)
pulumi.export("clusterName", settings.cluster_name)
pulumi.export("clusterEndpoint", eks.endpoint)
pulumi.export("kubeconfig", eks.kubeconfig_json)
pulumi.export("oidcProviderArn", eks.oidc_provider_arn)
pulumi.export("nodeGroupNames", [g.node_group_name for g in node_groups])
pulumi.export("calicoDataplane", settings.dataplane.value)
pulumi.export("kubeProxy", settings.kube_proxy.value)
