"""The NLB path as the real program wires it: controller, Service, policies, demo, outputs."""

import json
import re
from ipaddress import ip_network

import pytest

from components.testing.mock_engine import ACCOUNT_ID
from tests.conftest import planned

SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CHART = "kubernetes:helm.sh/v4:Chart"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def test_dev_plan_shows_controller_with_values_and_irsa_role():
    r = planned("dev")
    chart = r.one(CHART, "lbc-chart").inputs
    assert (chart["chart"], chart["version"], chart["namespace"]) == (
        "aws-load-balancer-controller",
        "3.5.0",
        "kube-system",
    )
    values = chart["values"]
    assert values["clusterName"] == "eks-calico-ebpf-dev"
    assert values["region"] == "us-west-2"
    assert values["vpcId"] == r.outputs["vpcId"]
    assert values["replicaCount"] == 2.0
    role = r.one("aws:iam/role:Role", "lbc-role")
    (annotation,) = values["serviceAccount"]["annotations"].items()
    assert annotation[0] == "eks.amazonaws.com/role-arn"
    assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT_ID}:role/lbc-role-[0-9a-f]{{7}}", annotation[1])
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    issuer = trust["Principal"]["Federated"].split("oidc-provider/")[1]
    assert trust["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    # the controller installs once Calico is ready
    assert (
        r.one("kubernetes:operator.tigera.io/v1:Installation", "calico-installation").urn
        in r.one(CHART, "lbc-chart").dependencies
    )


def test_dev_plan_shows_nlb_service_keeping_client_ip():
    r = planned("dev")
    svc = r.one(SERVICE, "demo-nlb-service")
    a = svc.inputs["metadata"]["annotations"]
    assert a["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
    assert a["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "instance"
    assert a["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internet-facing"
    spec = svc.inputs["spec"]
    assert spec["type"] == "LoadBalancer"
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["loadBalancerSourceRanges"] == ["198.51.100.0/24"]
    assert spec["ports"][0]["port"] == 80.0
    assert spec["ports"][0]["targetPort"] == 8080.0
    # the Service waits for the controller's webhook and for Calico
    assert r.one(CHART, "lbc-chart").urn in svc.dependencies
    assert r.outputs["demoUrl"] == f"http://{r.outputs['demoNlbHostname']}/clientip"


def test_allow_list_policy_admits_clients_and_health_checks_from_nlb_subnets():
    r = planned("dev")
    allow = r.one(POLICY, "demo-nlb-allow-clients").inputs["spec"]
    sources = sorted(peer["ipBlock"]["cidr"] for rule in allow["ingress"] for peer in rule["from"])
    public_subnets = sorted(
        s.inputs["cidrBlock"] for s in r.by_type("aws:ec2/subnet:Subnet") if "public" in s.name
    )
    assert sources == sorted(["198.51.100.0/24", *public_subnets])
    for rule in allow["ingress"]:
        assert rule["ports"] == [{"port": 8080.0, "protocol": "TCP"}]
    deny = r.one(POLICY, "demo-nlb-default-deny").inputs["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]


SUBNETS = "service.beta.kubernetes.io/aws-load-balancer-subnets"
BOTH_AZS = ("us-west-2a", "us-west-2b")


@pytest.mark.parametrize("stack", ["dev", "bench"])
@pytest.mark.parametrize(
    ("scheme", "subnet_kind"), [("internet-facing", "public"), ("internal", "lb")]
)
@pytest.mark.parametrize(
    ("controller", "scheme_annotations"),
    [
        (
            "aws",
            {
                "internet-facing": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
                },
                "internal": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                },
            },
        ),
        (
            "in-tree",
            {
                "internet-facing": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
                "internal": {
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                },
            },
        ),
    ],
)
def test_nlb_sits_in_and_admits_only_the_load_balancer_subnets_of_the_node_azs(
    stack, scheme, subnet_kind, controller, scheme_annotations
):
    # dev: node group in both AZs; bench: one group, in us-west-2a only.
    node_azs = {"dev": BOTH_AZS, "bench": ("us-west-2a",)}[stack]
    r = planned(stack, f"loadBalancerScheme={scheme}", f"loadBalancerController={controller}")
    subnets = {s.name: s for s in r.by_type("aws:ec2/subnet:Subnet")}
    # The VPC has both kinds of subnet in both AZs; the NLB only uses the node AZs'.
    assert {f"vpc-{subnet_kind}-{az}" for az in BOTH_AZS} <= subnets.keys()
    # The subnet IDs, as their route-table associations received them.
    ids = [r.one(ASSOCIATION, f"vpc-{subnet_kind}-{az}").inputs["subnetId"] for az in node_azs]
    assert all(i.startswith("subnet-") for i in ids)
    annotations = r.one(SERVICE, "demo-nlb-service").inputs["metadata"]["annotations"]
    assert annotations == {**scheme_annotations[scheme], SUBNETS: ",".join(ids)}
    allow = r.one(POLICY, "demo-nlb-allow-clients").inputs["spec"]
    clients, health = ([p["ipBlock"]["cidr"] for p in rule["from"]] for rule in allow["ingress"])
    assert clients == ["198.51.100.0/24"]
    # Health checks come from the NLB's addresses: the same subnets, no other AZ's.
    assert health == [subnets[f"vpc-{subnet_kind}-{az}"].inputs["cidrBlock"] for az in node_azs]
    # No node or pod address is admitted as a "health check".
    private = [ip_network(s.inputs["cidrBlock"]) for n, s in subnets.items() if "private" in n]
    assert not any(ip_network(h).overlaps(p) for h in health for p in private)


def _groups(*azs: str) -> str:
    return "nodeGroups=" + json.dumps(
        {
            f"g{i}": {"instanceTypes": ["m5.large"], "availabilityZones": [az]}
            for i, az in enumerate(azs)
        }
    )


@pytest.mark.parametrize(
    ("azs", "nlb_azs"),
    [
        (("us-west-2b",), ("us-west-2b",)),
        (("us-west-2b", "us-west-2b"), ("us-west-2b",)),
        (("us-west-2b", "us-west-2a"), BOTH_AZS),
    ],
)
def test_nlb_follows_the_azs_of_all_node_groups_in_vpc_order(azs, nlb_azs):
    r = planned("dev", _groups(*azs))
    ids = [r.one(ASSOCIATION, f"vpc-public-{az}").inputs["subnetId"] for az in nlb_azs]
    annotations = r.one(SERVICE, "demo-nlb-service").inputs["metadata"]["annotations"]
    assert annotations[SUBNETS] == ",".join(ids)


def test_in_tree_controller_needs_no_controller_chart():
    r = planned("dev", "loadBalancerController=in-tree")
    assert [c.name for c in r.by_type(CHART)] == ["calico-operator"]


def test_iptables_switches_to_local_with_a_warning():
    r = planned("dev", "dataplane=iptables", "kubeProxy=enabled")
    assert r.one(SERVICE, "demo-nlb-service").inputs["spec"]["externalTrafficPolicy"] == "Local"
    assert any("Local" in w for w in r.warnings)
    assert (
        planned("dev").one(SERVICE, "demo-nlb-service").inputs["spec"]["externalTrafficPolicy"]
        == "Cluster"
    )
    assert not any("Local" in w for w in planned("dev").warnings)


def test_no_demo_no_service():
    r = planned("dev", "demoApp=false")
    # Only the controller's own webhook Service (rendered from its chart) is left.
    assert [s.name for s in r.by_type(SERVICE)] == [
        "lbc-chart:kube-system/aws-load-balancer-webhook-service"
    ]
    assert "demoUrl" not in r.outputs
