"""The objects bench creates: valid Kubernetes, pinned to two nodes, no limits, exact policy."""

import kubernetes_validate
import pytest

from netbench import _manifests as m

K8S = "1.35"
OBJECTS = m.all_objects(
    ns="netbench-x",
    run_id="x",
    client_node="node-a",
    server_node="node-b",
    client_taints=[{"key": "dedicated", "value": "bench", "effect": "NoSchedule"}],
)


@pytest.mark.parametrize(
    "obj", OBJECTS, ids=[f"{o['kind']}-{o['metadata']['name']}" for o in OBJECTS]
)
def test_every_object_is_valid_for_the_cluster_version(obj):
    kubernetes_validate.validate(obj, K8S, strict=True)


def test_apply_order_namespace_then_policies_then_pods():
    assert [(o["kind"], o["metadata"]["name"]) for o in OBJECTS] == [
        ("Namespace", "netbench-x"),
        ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "server-from-client"),
        ("NetworkPolicy", "client-to-server"),
        ("Pod", "server"),
        ("Pod", "client"),
        ("Service", "netbench-server"),
    ]
    assert all(o["metadata"].get("namespace", "netbench-x") == "netbench-x" for o in OBJECTS)


def test_pods_on_their_own_nodes_with_no_limits_and_the_pinned_image():
    server, client = OBJECTS[4], OBJECTS[5]
    assert server["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node-b"}
    assert client["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node-a"}
    assert client["spec"]["tolerations"] == [
        {"key": "dedicated", "effect": "NoSchedule", "operator": "Equal", "value": "bench"}
    ]
    assert server["spec"]["tolerations"] == []
    for pod in (server, client):
        (container,) = pod["spec"]["containers"]
        assert container["resources"] == {}
        assert container["image"] == m.IMAGE
        assert "@sha256:" in m.IMAGE
    assert server["spec"]["containers"][0]["command"] == ["iperf3", "-s", "-p", "5201"]
    assert client["spec"]["containers"][0]["command"] == ["sleep", "infinity"]


def test_service_carries_tcp_and_udp_5201():
    svc = OBJECTS[6]
    assert svc["spec"]["type"] == "ClusterIP"
    assert {(p["protocol"], p["port"]) for p in svc["spec"]["ports"]} == {
        ("TCP", 5201),
        ("UDP", 5201),
    }


def test_policies_admit_exactly_client_to_server_on_5201():
    deny, ingress, egress = OBJECTS[1:4]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ports = [{"protocol": "TCP", "port": 5201}, {"protocol": "UDP", "port": 5201}]
    client = {"podSelector": {"matchLabels": {"netbench/role": "client"}}}
    server = {"podSelector": {"matchLabels": {"netbench/role": "server"}}}
    assert ingress["spec"] == {
        **server,
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [client], "ports": ports}],
    }
    assert egress["spec"] == {
        **client,
        "policyTypes": ["Egress"],
        "egress": [{"to": [server], "ports": ports}],
    }


def test_namespace_enforces_restricted_and_is_labelled_for_cleanup():
    labels = OBJECTS[0]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["app.kubernetes.io/managed-by"] == "netbench"
    assert labels["netbench/run"] == "x"
