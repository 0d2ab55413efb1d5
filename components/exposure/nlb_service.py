"""`NlbService`: a `type: LoadBalancer` Service behind an AWS NLB that only admits chosen clients.

Creates the Service (instance targets: the NLB sends to every node's NodePort and keeps the
client's IP) and, in the Service's namespace, NetworkPolicies: default-deny for all pods
(ingress and egress), an allow for the selected pods on their target ports from the client
CIDRs and from the NLB's own subnets (health checks), and, only when asked for, DNS egress to
CoreDNS: a server that answers from its own configuration needs no egress at all, and an open
DNS path is a way to exfiltrate data.

The client allow-list works twice: `loadBalancerSourceRanges` becomes security-group rules, and
the NetworkPolicy matches the client IP at the pod. The second only holds because the client IP
survives to the pod: Calico eBPF keeps it with `externalTrafficPolicy: Cluster` (forwarding to
another node inside VXLAN, no SNAT); kube-proxy (iptables dataplane) keeps it only with `Local`
(Calico docs, about-ebpf: "Preserves external source IP").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import defaults
from ..options import Dataplane, LoadBalancerController, LoadBalancerScheme
from ._names import (
    check_cidrs,
    check_dns1035_label,
    check_namespace,
    check_port_name,
    check_port_number,
)

TRAFFIC_POLICIES = ("Cluster", "Local")
PROTOCOLS = ("TCP", "UDP")
OPEN_TO_ALL = ["0.0.0.0/0"]

# Annotation keys: kubernetes-sigs/aws-load-balancer-controller docs/guide/service/annotations.md
# (the LBC), kubernetes/cloud-provider-aws (in-tree; `nlb` and `internal` are its spellings).
LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
NLB_TARGET_TYPE = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
LB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LB_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
# Both controllers: comma-separated subnet IDs, one per AZ, instead of discovery by tags.
LB_SUBNETS = "service.beta.kubernetes.io/aws-load-balancer-subnets"

# CoreDNS on EKS: pods labelled k8s-app=kube-dns in kube-system; the namespace is matched by the
# label the API server sets on every namespace (kubernetes.io/metadata.name, GA in 1.22).
DNS_NAMESPACE_SELECTOR = {"kubernetes.io/metadata.name": "kube-system"}
DNS_POD_SELECTOR = {"k8s-app": "kube-dns"}


@dataclass(frozen=True)
class ServicePort:
    name: str
    """IANA service name (`http`); a Service with several ports needs one per port."""
    port: int
    """Port the NLB listens on."""
    target_port: int
    """Container port the pods serve on; the NetworkPolicy admits clients to it."""
    protocol: str = "TCP"
    """TCP or UDP."""


@dataclass(frozen=True, kw_only=True)
class NlbServiceArgs:
    namespace: str
    """Namespace of the Service and its pods (must exist); never `default`."""
    service_name: str
    """Kubernetes name of the Service (DNS-1035 label)."""
    selector: Mapping[str, str]
    """Labels of the pods behind the Service (and the NetworkPolicy's pod selector)."""
    ports: Sequence[ServicePort]
    controller: LoadBalancerController
    """Which controller builds the NLB: `aws` needs the AWS Load Balancer Controller installed."""
    scheme: LoadBalancerScheme = defaults.LOAD_BALANCER_SCHEME
    """internet-facing (public subnets) or internal (private subnets)."""
    external_traffic_policy: str = "Cluster"
    """Cluster or Local. With the iptables dataplane Cluster is turned into Local (and warned
    about): kube-proxy would SNAT forwarded traffic and the client allow-list could not work."""
    allowed_client_cidrs: Sequence[str]
    """IPv4 CIDRs of the clients let through (security group and NetworkPolicy); at least one.
    Exactly ["0.0.0.0/0"] admits everyone, with a warning."""
    health_check_cidrs: Sequence[str]
    """Subnets the NLB's own addresses come from (its public subnets when internet-facing, the
    dedicated load-balancer subnets when internal). NLB health checks come from those addresses;
    with the LBC and `Cluster` they probe the traffic port and so reach the pods, which must
    admit them. Never subnets where pods or nodes live: the rule would admit them all."""
    dataplane: Dataplane
    """Calico's dataplane: whether the client IP survives `externalTrafficPolicy: Cluster`."""
    provider: pulumi.ProviderResource
    """Kubernetes provider of the cluster."""
    wait_for: Sequence[pulumi.Resource] = ()
    """What every child waits on: the namespace, and with controller `aws` the LBC chart (the
    Service is then also deleted while the controller can still remove its NLB)."""
    subnet_ids: pulumi.Input[Sequence[str]] | None = None
    """Subnets the NLB is placed in (annotation `aws-load-balancer-subnets`, read by both
    controllers); None leaves it to subnet discovery by tags. Must be the subnets whose CIDRs
    are `health_check_cidrs`. A change recreates the Service and so the NLB (subnets of an
    existing NLB cannot be swapped)."""
    dns_egress: bool = False
    """Also let every pod of the namespace query CoreDNS (UDP/TCP 53). Off: the pods get no
    egress at all."""


def validate_nlb_args(
    *,
    namespace: str,
    service_name: str,
    selector: Mapping[str, str],
    ports: Sequence[ServicePort],
    external_traffic_policy: str,
    allowed_client_cidrs: Sequence[str],
    health_check_cidrs: Sequence[str],
) -> None:
    """Raise `ValueError` (one line: field, bad value, what is accepted) on the first bad input."""
    check_namespace(namespace)
    check_dns1035_label(service_name, "service_name")
    if not selector:
        raise ValueError(
            "selector: at least one label is required (an empty selector selects every pod)"
        )
    if not ports:
        raise ValueError("ports: at least one port is required")
    names: set[str] = set()
    numbers: set[tuple[int, str]] = set()
    for i, p in enumerate(ports):
        check_port_name(p.name, f"ports[{i}].name")
        check_port_number(p.port, f"ports[{i}].port")
        check_port_number(p.target_port, f"ports[{i}].target_port")
        if p.protocol not in PROTOCOLS:
            raise ValueError(f"ports[{i}].protocol: {p.protocol!r} is not one of TCP, UDP")
        if p.name in names:
            raise ValueError(f"ports: duplicate port name {p.name!r}")
        if (p.port, p.protocol) in numbers:
            raise ValueError(f"ports: duplicate port {p.port}/{p.protocol}")
        names.add(p.name)
        numbers.add((p.port, p.protocol))
    if external_traffic_policy not in TRAFFIC_POLICIES:
        raise ValueError(
            f"external_traffic_policy: {external_traffic_policy!r} is not one of Cluster, Local"
        )
    if not allowed_client_cidrs:
        raise ValueError(
            "allowed_client_cidrs: at least one client CIDR is required "
            '(["0.0.0.0/0"] admits everyone)'
        )
    check_cidrs(allowed_client_cidrs, "allowed_client_cidrs")
    check_cidrs(health_check_cidrs, "health_check_cidrs")


def effective_traffic_policy(dataplane: Dataplane, requested: str) -> tuple[str, str | None]:
    """The externalTrafficPolicy to use, and a warning when it differs from the requested one.

    `iptables` is also what a stack without Calico (`calico: false`) passes: kube-proxy serves
    the Service there too."""
    if dataplane is Dataplane.IPTABLES and requested == "Cluster":
        return (
            "Local",
            "externalTrafficPolicy Cluster loses the client IP with the iptables dataplane "
            "(kube-proxy SNATs traffic it forwards to another node), so the client allow-list "
            "could not match; using Local instead",
        )
    return requested, None


def service_annotations(
    controller: LoadBalancerController,
    scheme: LoadBalancerScheme,
    subnet_ids: Sequence[str] | None = None,
) -> dict[str, str]:
    """Annotations that hand the Service to `controller` as an NLB with instance targets (in
    `subnet_ids` when given)."""
    subnets = {LB_SUBNETS: ",".join(subnet_ids)} if subnet_ids else {}
    if controller is LoadBalancerController.AWS:
        return {
            # `external`: the in-tree controller ignores the Service; with nlb-target-type set the
            # LBC takes it (docs/guide/service/nlb.md).
            LB_TYPE: "external",
            # Instance targets: NodePorts, where Calico's BPF NAT forwards and keeps the client IP.
            NLB_TARGET_TYPE: "instance",
            # Always explicit: the LBC defaults to internal (since v2.2.0).
            LB_SCHEME: scheme.value,
            **subnets,
        }
    annotations = {LB_TYPE: "nlb"}
    if scheme is LoadBalancerScheme.INTERNAL:
        annotations[LB_INTERNAL] = "true"
    return {**annotations, **subnets}


def render_service(
    *,
    namespace: str,
    service_name: str,
    selector: Mapping[str, str],
    ports: Sequence[ServicePort],
    controller: LoadBalancerController,
    scheme: LoadBalancerScheme,
    external_traffic_policy: str,
    allowed_client_cidrs: Sequence[str],
    subnet_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": service_name,
            "namespace": namespace,
            "annotations": service_annotations(controller, scheme, subnet_ids),
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(selector),
            "ports": [
                {
                    "name": p.name,
                    "port": p.port,
                    "targetPort": p.target_port,
                    "protocol": p.protocol,
                }
                for p in ports
            ],
            "externalTrafficPolicy": external_traffic_policy,
            "loadBalancerSourceRanges": list(allowed_client_cidrs),
            # Instance targets are NodePorts: without them the LBC cannot reconcile instance mode
            # (docs/guide/service/annotations.md, nlb-target-type).
            "allocateLoadBalancerNodePorts": True,
        },
    }


def _target_ports(ports: Sequence[ServicePort]) -> list[dict[str, Any]]:
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for p in ports:
        seen.setdefault(
            (p.target_port, p.protocol), {"protocol": p.protocol, "port": p.target_port}
        )
    return list(seen.values())


def render_network_policies(
    *,
    namespace: str,
    service_name: str,
    selector: Mapping[str, str],
    ports: Sequence[ServicePort],
    allowed_client_cidrs: Sequence[str],
    health_check_cidrs: Sequence[str],
    dns_egress: bool = False,
) -> dict[str, dict[str, Any]]:
    """NetworkPolicies by role: `default-deny`, `allow-clients`, and `allow-dns` with
    `dns_egress`."""

    def policy(role: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            # Prefixed with the Service name: two NlbServices may share a namespace.
            "metadata": {"name": f"{service_name}-{role}", "namespace": namespace},
            "spec": spec,
        }

    target_ports = _target_ports(ports)
    clients = [{"ipBlock": {"cidr": c}} for c in allowed_client_cidrs]
    health_checks = [{"ipBlock": {"cidr": c}} for c in health_check_cidrs]
    policies = {
        "default-deny": policy(
            "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        ),
        "allow-clients": policy(
            "allow-clients",
            {
                "podSelector": {"matchLabels": dict(selector)},
                "policyTypes": ["Ingress"],
                # Never a rule with an empty `from`: that would admit every source.
                "ingress": [
                    {"from": sources, "ports": target_ports}
                    for sources in (clients, health_checks)
                    if sources
                ],
            },
        ),
    }
    if dns_egress:
        policies["allow-dns"] = policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": DNS_NAMESPACE_SELECTOR},
                                "podSelector": {"matchLabels": DNS_POD_SELECTOR},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        )
    return policies


def ingress_hostname(status: k8s.core.v1.outputs.ServiceStatus | None) -> str:
    """The NLB's DNS name from the Service status (the provider waits until it is set)."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    if not ingress or not ingress[0].hostname:
        raise ValueError(f"the Service has no load-balancer hostname yet (status {status!r})")
    return ingress[0].hostname


def service_url(hostname: str, ports: Sequence[ServicePort]) -> str:
    """`http://<hostname>/` for port 80, else `http://<hostname>:<first port>/`."""
    port = ports[0].port
    return f"http://{hostname}/" if port == 80 else f"http://{hostname}:{port}/"


class NlbService(pulumi.ComponentResource):
    service: k8s.core.v1.Service
    hostname: pulumi.Output[str]
    """DNS name of the NLB."""
    url: pulumi.Output[str]
    """`http://<hostname>/` (with `:<port>` unless the first port is 80)."""
    external_traffic_policy: str
    """The policy actually used (see `NlbServiceArgs.external_traffic_policy`)."""

    def __init__(
        self, name: str, args: NlbServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_nlb_args(
            namespace=args.namespace,
            service_name=args.service_name,
            selector=args.selector,
            ports=args.ports,
            external_traffic_policy=args.external_traffic_policy,
            allowed_client_cidrs=args.allowed_client_cidrs,
            health_check_cidrs=args.health_check_cidrs,
        )
        super().__init__("eks-calico-ebpf:index:NlbService", name, None, opts)
        where = f"NLB Service {args.namespace}/{args.service_name}"
        policy, warning = effective_traffic_policy(args.dataplane, args.external_traffic_policy)
        if warning:
            pulumi.log.warn(f"{where}: {warning}", resource=self)
        if list(args.allowed_client_cidrs) == OPEN_TO_ALL:
            pulumi.log.warn(
                f"{where} admits the whole internet (allowed_client_cidrs = 0.0.0.0/0)",
                resource=self,
            )
        self.external_traffic_policy = policy

        wait_for = list(args.wait_for)
        policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{role}",
                metadata=obj["metadata"],
                spec=obj["spec"],
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.provider, depends_on=wait_for
                ),
            )
            for role, obj in render_network_policies(
                namespace=args.namespace,
                service_name=args.service_name,
                selector=args.selector,
                ports=args.ports,
                allowed_client_cidrs=args.allowed_client_cidrs,
                health_check_cidrs=args.health_check_cidrs,
                dns_egress=args.dns_egress,
            ).items()
        ]

        def render(subnet_ids: Sequence[str] | None) -> dict[str, Any]:
            return render_service(
                namespace=args.namespace,
                service_name=args.service_name,
                selector=args.selector,
                ports=args.ports,
                controller=args.controller,
                scheme=args.scheme,
                external_traffic_policy=policy,
                allowed_client_cidrs=args.allowed_client_cidrs,
                subnet_ids=subnet_ids,
            )

        svc = render(None)
        metadata: pulumi.Input[Any] = svc["metadata"]
        if args.subnet_ids is not None:
            metadata = pulumi.Output.from_input(args.subnet_ids).apply(
                lambda ids: render(list(ids))["metadata"]
            )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata,
            spec=svc["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                # The policies first: the NLB never sends to pods that are not yet fenced in.
                depends_on=[*wait_for, *policies],
                # Never change the load-balancer annotations in place: the controllers would
                # leak or misconfigure the NLB (LBC docs/guide/service/nlb.md, "Do not add or
                # modify the aws-load-balancer-type annotation on an existing Service").
                # Recreate instead; the name is fixed, so delete first.
                replace_on_changes=["metadata.annotations"],
                delete_before_replace=True,
            ),
        )
        self.hostname = self.service.status.apply(ingress_hostname)
        self.url = self.hostname.apply(lambda h: service_url(h, args.ports))
        self.register_outputs({"hostname": self.hostname, "url": self.url})
