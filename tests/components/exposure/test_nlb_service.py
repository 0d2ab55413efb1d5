"""NlbService: Service annotations and fields, NetworkPolicies, the iptables rule, bad inputs."""

import re
from collections import Counter
from functools import cache

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.exposure.nlb_service import (
    NlbService,
    NlbServiceArgs,
    ServicePort,
    effective_traffic_policy,
    render_network_policies,
    render_service,
    service_annotations,
    service_url,
    validate_nlb_args,
)
from components.options import Dataplane, LoadBalancerController, LoadBalancerScheme
from components.testing.mock_engine import run_program

CONFIG = {"aws:region": "us-west-2"}
K8S = "1.35"
COMPONENT = "eks-calico-ebpf:index:NlbService"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SELECTOR = {"app.kubernetes.io/name": "echo"}
CLIENTS = ("198.51.100.0/24", "203.0.113.10/32")
HEALTH = ("10.0.192.0/19", "10.0.224.0/19")
HTTP = (ServicePort(name="http", port=80, target_port=8080),)

AWS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
}


def _program(
    *,
    controller=LoadBalancerController.AWS,
    scheme=LoadBalancerScheme.INTERNET_FACING,
    dataplane=Dataplane.BPF,
    clients=CLIENTS,
    ports=HTTP,
    dns_egress=False,
):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        namespace = k8s.core.v1.Namespace(
            "demo-ns", metadata={"name": "demo"}, opts=pulumi.ResourceOptions(provider=provider)
        )
        nlb = NlbService(
            "nlb",
            NlbServiceArgs(
                namespace="demo",
                service_name="echo",
                selector=SELECTOR,
                ports=ports,
                controller=controller,
                scheme=scheme,
                allowed_client_cidrs=clients,
                health_check_cidrs=HEALTH,
                dataplane=dataplane,
                provider=provider,
                wait_for=[namespace],
                dns_egress=dns_egress,
            ),
        )
        pulumi.export("hostname", nlb.hostname)
        pulumi.export("url", nlb.url)

    return program


@cache
def _plan(**kwargs):
    return run_program("dev", CONFIG, program=_program(**kwargs))


def _expected_service(annotations, etp="Cluster", clients=CLIENTS):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "echo", "namespace": "demo", "annotations": annotations},
        "spec": {
            "type": "LoadBalancer",
            "selector": SELECTOR,
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "externalTrafficPolicy": etp,
            "loadBalancerSourceRanges": list(clients),
            "allocateLoadBalancerNodePorts": True,
        },
    }


def test_resources_exact_and_parented():
    result = _plan()
    assert Counter((r.type, r.name) for r in result.resources) == {
        ("pulumi:providers:kubernetes", "k8s"): 1,
        ("kubernetes:core/v1:Namespace", "demo-ns"): 1,
        (COMPONENT, "nlb"): 1,
        (SERVICE, "nlb-service"): 1,
        (POLICY, "nlb-default-deny"): 1,
        (POLICY, "nlb-allow-clients"): 1,
    }
    component = result.one(COMPONENT, "nlb")
    assert sorted(r.name for r in result.resources if r.parent == component.urn) == [
        "nlb-allow-clients",
        "nlb-default-deny",
        "nlb-service",
    ]


def test_service_for_the_aws_controller_exactly():
    service = _plan().one(SERVICE, "nlb-service").inputs
    assert service == _expected_service(AWS)
    kubernetes_validate.validate(service, K8S, strict=True)


def test_no_egress_at_all_unless_dns_is_asked_for():
    policies = [r.inputs["spec"] for r in _plan().by_type(POLICY)]
    assert [p["policyTypes"] for p in policies if "Egress" in p["policyTypes"]] == [
        ["Ingress", "Egress"]
    ]
    assert not any("egress" in p for p in policies)
    with_dns = [r.name for r in _plan(dns_egress=True).by_type(POLICY)]
    assert sorted(with_dns) == ["nlb-allow-clients", "nlb-allow-dns", "nlb-default-deny"]


def test_service_waits_for_wait_for_and_the_policies():
    result = _plan(dns_egress=True)
    depends = result.one(SERVICE, "nlb-service").dependencies
    assert result.one("kubernetes:core/v1:Namespace", "demo-ns").urn in depends
    for role in ("default-deny", "allow-clients", "allow-dns"):
        assert result.one(POLICY, f"nlb-{role}").urn in depends
        assert (
            result.one("kubernetes:core/v1:Namespace", "demo-ns").urn
            in result.one(POLICY, f"nlb-{role}").dependencies
        )


def test_network_policies_exactly():
    result = _plan(dns_egress=True)
    policies = {r.name: r.inputs for r in result.by_type(POLICY)}
    target = [{"protocol": "TCP", "port": 8080}]
    assert policies == {
        "nlb-default-deny": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "echo-default-deny", "namespace": "demo"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        "nlb-allow-clients": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "echo-allow-clients", "namespace": "demo"},
            "spec": {
                "podSelector": {"matchLabels": SELECTOR},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"ipBlock": {"cidr": "198.51.100.0/24"}},
                            {"ipBlock": {"cidr": "203.0.113.10/32"}},
                        ],
                        "ports": target,
                    },
                    {
                        "from": [
                            {"ipBlock": {"cidr": "10.0.192.0/19"}},
                            {"ipBlock": {"cidr": "10.0.224.0/19"}},
                        ],
                        "ports": target,
                    },
                ],
            },
        },
        "nlb-allow-dns": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "echo-allow-dns", "namespace": "demo"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        },
    }
    for policy in policies.values():
        kubernetes_validate.validate(policy, K8S, strict=True)


def test_outputs_hostname_and_url():
    outputs = _plan().outputs
    assert outputs["hostname"].startswith("k8s-nlb-service-")
    assert outputs["hostname"].endswith(".elb.us-west-2.amazonaws.com")
    assert outputs["url"] == f"http://{outputs['hostname']}/"


def test_url_names_a_port_other_than_80():
    ports = (ServicePort(name="http", port=8080, target_port=8080),)
    outputs = _plan(ports=ports).outputs
    assert outputs["url"] == f"http://{outputs['hostname']}:8080/"
    assert service_url("h.example", ports) == "http://h.example:8080/"
    assert service_url("h.example", HTTP) == "http://h.example/"


@pytest.mark.parametrize(
    ("controller", "scheme", "annotations"),
    [
        (LoadBalancerController.AWS, LoadBalancerScheme.INTERNET_FACING, AWS),
        (
            LoadBalancerController.AWS,
            LoadBalancerScheme.INTERNAL,
            {**AWS, "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        ),
        (
            LoadBalancerController.IN_TREE,
            LoadBalancerScheme.INTERNET_FACING,
            {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
        ),
        (
            LoadBalancerController.IN_TREE,
            LoadBalancerScheme.INTERNAL,
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
            },
        ),
    ],
)
def test_annotations_per_controller_and_scheme(controller, scheme, annotations):
    assert service_annotations(controller, scheme) == annotations
    service = _plan(controller=controller, scheme=scheme).one(SERVICE, "nlb-service").inputs
    assert service == _expected_service(annotations)
    kubernetes_validate.validate(service, K8S, strict=True)


def test_iptables_dataplane_switches_to_local_and_warns():
    result = _plan(dataplane=Dataplane.IPTABLES)
    service = result.one(SERVICE, "nlb-service").inputs
    assert service == _expected_service(AWS, etp="Local")
    assert result.warnings == [
        "NLB Service demo/echo: externalTrafficPolicy Cluster loses the client IP with the "
        "iptables dataplane (kube-proxy SNATs traffic it forwards to another node), so the "
        "client allow-list could not match; using Local instead"
    ]
    assert _plan().warnings == []


@pytest.mark.parametrize(
    ("dataplane", "requested", "expected"),
    [
        (Dataplane.BPF, "Cluster", ("Cluster", None)),
        (Dataplane.BPF, "Local", ("Local", None)),
        (Dataplane.IPTABLES, "Local", ("Local", None)),
    ],
)
def test_effective_traffic_policy_keeps_what_works(dataplane, requested, expected):
    assert effective_traffic_policy(dataplane, requested) == expected


def test_effective_traffic_policy_iptables_cluster():
    policy, warning = effective_traffic_policy(Dataplane.IPTABLES, "Cluster")
    assert policy == "Local"
    assert warning is not None
    assert "SNAT" in warning


def test_open_to_everyone_is_allowed_but_warned():
    result = _plan(clients=("0.0.0.0/0",))
    service = result.one(SERVICE, "nlb-service").inputs
    assert service["spec"]["loadBalancerSourceRanges"] == ["0.0.0.0/0"]
    assert result.warnings == [
        "NLB Service demo/echo admits the whole internet (allowed_client_cidrs = 0.0.0.0/0)"
    ]


def test_rendered_objects_validate_and_match_what_is_registered():
    kwargs = {
        "namespace": "demo",
        "service_name": "echo",
        "selector": SELECTOR,
        "ports": HTTP,
    }
    service = render_service(
        **kwargs,
        controller=LoadBalancerController.AWS,
        scheme=LoadBalancerScheme.INTERNET_FACING,
        external_traffic_policy="Cluster",
        allowed_client_cidrs=CLIENTS,
    )
    policies = render_network_policies(
        **kwargs, allowed_client_cidrs=CLIENTS, health_check_cidrs=HEALTH
    )
    for obj in (service, *policies.values()):
        kubernetes_validate.validate(obj, K8S, strict=True)
    result = _plan()
    assert result.one(SERVICE, "nlb-service").inputs == service
    assert {r.name: r.inputs for r in result.by_type(POLICY)} == {
        f"nlb-{role}": obj for role, obj in policies.items()
    }


def test_multiple_ports_share_target_ports_once_and_without_health_checks():
    ports = (
        ServicePort(name="http", port=80, target_port=8080),
        ServicePort(name="alt", port=8080, target_port=8080),
        ServicePort(name="dns", port=53, target_port=5353, protocol="UDP"),
    )
    policies = render_network_policies(
        namespace="demo",
        service_name="echo",
        selector=SELECTOR,
        ports=ports,
        allowed_client_cidrs=CLIENTS[:1],
        health_check_cidrs=(),
    )
    # No rule with an empty `from` (that would admit everyone).
    assert policies["allow-clients"]["spec"]["ingress"] == [
        {
            "from": [{"ipBlock": {"cidr": "198.51.100.0/24"}}],
            "ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "UDP", "port": 5353}],
        }
    ]
    kubernetes_validate.validate(policies["allow-clients"], K8S, strict=True)


GOOD = {
    "namespace": "demo",
    "service_name": "echo",
    "selector": SELECTOR,
    "ports": HTTP,
    "external_traffic_policy": "Cluster",
    "allowed_client_cidrs": CLIENTS,
    "health_check_cidrs": HEALTH,
}


def test_good_args_pass():
    validate_nlb_args(**GOOD)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"namespace": "default"},
            "namespace: 'default' is not allowed; use a dedicated namespace",
        ),
        (
            {"namespace": "Demo"},
            "namespace: 'Demo' is not a DNS-1123 label (1-63 chars of a-z, 0-9 and '-', starting and ending with a letter or digit)",
        ),
        (
            {"namespace": "a" * 64},
            f"namespace: '{'a' * 64}' is not a DNS-1123 label (1-63 chars of a-z, 0-9 and '-', starting and ending with a letter or digit)",
        ),
        (
            {"service_name": "1echo"},
            "service_name: '1echo' is not a DNS-1035 label (1-63 chars of a-z, 0-9 and '-', starting with a letter, ending with a letter or digit)",
        ),
        (
            {"selector": {}},
            "selector: at least one label is required (an empty selector selects every pod)",
        ),
        ({"ports": ()}, "ports: at least one port is required"),
        (
            {"ports": (ServicePort(name="http", port=0, target_port=8080),)},
            "ports[0].port: 0 is outside 1..65535",
        ),
        (
            {"ports": (ServicePort(name="http", port=65536, target_port=8080),)},
            "ports[0].port: 65536 is outside 1..65535",
        ),
        (
            {"ports": (ServicePort(name="http", port=80, target_port=70000),)},
            "ports[0].target_port: 70000 is outside 1..65535",
        ),
        (
            {"ports": (ServicePort(name="http", port=80, target_port=8080, protocol="SCTP"),)},
            "ports[0].protocol: 'SCTP' is not one of TCP, UDP",
        ),
        (
            {"ports": (ServicePort(name="HTTP", port=80, target_port=8080),)},
            "ports[0].name: 'HTTP' is not an IANA service name (1-15 chars of a-z, 0-9 and '-', at least one letter, no leading, trailing or double '-')",
        ),
        (
            {
                "ports": (
                    ServicePort(name="http", port=80, target_port=8080),
                    ServicePort(name="http", port=81, target_port=8080),
                )
            },
            "ports: duplicate port name 'http'",
        ),
        (
            {
                "ports": (
                    ServicePort(name="http", port=80, target_port=8080),
                    ServicePort(name="web", port=80, target_port=8081),
                )
            },
            "ports: duplicate port 80/TCP",
        ),
        (
            {"external_traffic_policy": "local"},
            "external_traffic_policy: 'local' is not one of Cluster, Local",
        ),
        (
            {"allowed_client_cidrs": ()},
            'allowed_client_cidrs: at least one client CIDR is required (["0.0.0.0/0"] admits everyone)',
        ),
        (
            {"allowed_client_cidrs": ("198.51.100.0/24", "203.0.113.10")},
            "allowed_client_cidrs[1]: '203.0.113.10' is not an IPv4 CIDR (a.b.c.d/n)",
        ),
        (
            {"allowed_client_cidrs": ("198.51.100.0/33",)},
            "allowed_client_cidrs[0]: '198.51.100.0/33' is not an IPv4 CIDR (a.b.c.d/n)",
        ),
        (
            {"allowed_client_cidrs": ("2001:db8::/32",)},
            "allowed_client_cidrs[0]: '2001:db8::/32' is not an IPv4 CIDR (a.b.c.d/n)",
        ),
        (
            {"allowed_client_cidrs": ("198.51.100.7/24",)},
            "allowed_client_cidrs[0]: '198.51.100.7/24' has host bits set; did you mean 198.51.100.0/24?",
        ),
        (
            {"health_check_cidrs": ("10.0.192.1/19",)},
            "health_check_cidrs[0]: '10.0.192.1/19' has host bits set; did you mean 10.0.192.0/19?",
        ),
    ],
)
def test_bad_args_rejected_with_exact_message(override, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        validate_nlb_args(**{**GOOD, **override})


def test_constructor_validates_before_registering_anything():
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        try:
            NlbService(
                "nlb",
                NlbServiceArgs(
                    namespace="default",
                    service_name="echo",
                    selector=SELECTOR,
                    ports=HTTP,
                    controller=LoadBalancerController.AWS,
                    allowed_client_cidrs=CLIENTS,
                    health_check_cidrs=HEALTH,
                    dataplane=Dataplane.BPF,
                    provider=provider,
                ),
            )
        except ValueError as exc:
            pulumi.export("error", str(exc))

    result = run_program("dev", CONFIG, program=program)
    assert result.outputs == {
        "error": "namespace: 'default' is not allowed; use a dedicated namespace"
    }
    assert [r.type for r in result.resources] == ["pulumi:providers:kubernetes"]


@pytest.mark.parametrize(
    ("controller", "expected"),
    [
        (
            LoadBalancerController.AWS,
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                "service.beta.kubernetes.io/aws-load-balancer-subnets": "subnet-a,subnet-b",
            },
        ),
        (
            LoadBalancerController.IN_TREE,
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                "service.beta.kubernetes.io/aws-load-balancer-subnets": "subnet-a",
            },
        ),
    ],
)
def test_subnet_ids_pin_the_nlb_for_both_controllers(controller, expected):
    subnets = ["subnet-a", "subnet-b"] if controller is LoadBalancerController.AWS else ["subnet-a"]
    assert service_annotations(controller, LoadBalancerScheme.INTERNAL, subnets) == expected
    assert "service.beta.kubernetes.io/aws-load-balancer-subnets" not in service_annotations(
        controller, LoadBalancerScheme.INTERNAL
    )
