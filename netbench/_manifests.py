"""The Kubernetes objects `bench` creates, all in its own namespace (deleting it removes all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._iperf import PORT

# nicolaka/netshoot v0.16: Alpine-based toolbox whose Dockerfile installs iperf3 (Alpine's
# current package, >= 3.16). The digest is the multi-arch image index of the v0.16 tag as listed
# in Docker Hub's tag metadata (hub.docker.com/v2/repositories/nicolaka/netshoot/tags/v0.16);
# not pullable from here: README "Needs live confirmation". `bench` records the imageID the
# kubelet resolved and the iperf3 version, and refuses iperf3 older than 3.16 with -P > 1.
IMAGE = (
    "nicolaka/netshoot:v0.16"
    "@sha256:b09d9b21381f47a79b3cbcb30da25266dc17186ea00ae65e99fdc51396f48e70"
)
MANAGED_BY = {"app.kubernetes.io/managed-by": "netbench"}
SERVER = "server"
CLIENT = "client"
SERVICE = "netbench-server"
HOSTNAME_LABEL = "kubernetes.io/hostname"
# A user with no home and no privileges; iperf3 listens on 5201 (> 1024), /proc/stat is readable.
NOBODY = 65534


def namespace(name: str, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **MANAGED_BY,
                "netbench/run": run_id,
                "pod-security.kubernetes.io/enforce": "restricted",
            },
        },
    }


def _tolerations(taints: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tolerate exactly the node's taints, so the pod lands on the benchmark node."""
    out = []
    for t in taints:
        tol: dict[str, Any] = {"key": t["key"], "effect": t["effect"]}
        if t.get("value"):
            tol.update(operator="Equal", value=t["value"])
        else:
            tol["operator"] = "Exists"
        out.append(tol)
    return out


def pod(
    ns: str, role: str, node: str, taints: Sequence[Mapping[str, Any]], image: str = IMAGE
) -> dict[str, Any]:
    command = ["iperf3", "-s", "-p", str(PORT)] if role == SERVER else ["sleep", "infinity"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": role,
            "namespace": ns,
            "labels": {**MANAGED_BY, "netbench/role": role},
        },
        "spec": {
            "nodeSelector": {HOSTNAME_LABEL: node},
            "tolerations": _tolerations(taints),
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": 1,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": NOBODY,
                "runAsGroup": NOBODY,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumes": [{"name": "tmp", "emptyDir": {}}],
            "containers": [
                {
                    "name": "iperf3",
                    "image": image,
                    "command": command,
                    # No limits: CFS throttling would cap the very thing being measured.
                    "resources": {},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                    # iperf3 backs each stream's buffer with a temporary file (mkstemp in
                    # $TMPDIR or /tmp, iperf_api.c): writable scratch under a read-only root.
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    "ports": [
                        {"name": "iperf-tcp", "containerPort": PORT, "protocol": "TCP"},
                        {"name": "iperf-udp", "containerPort": PORT, "protocol": "UDP"},
                    ]
                    if role == SERVER
                    else [],
                }
            ],
        },
    }


def service(ns: str) -> dict[str, Any]:
    """ClusterIP in front of the server; iperf3 UDP still needs its TCP control connection."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": ns, "labels": dict(MANAGED_BY)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"netbench/role": SERVER},
            "ports": [
                {"name": "iperf-tcp", "port": PORT, "targetPort": PORT, "protocol": "TCP"},
                {"name": "iperf-udp", "port": PORT, "targetPort": PORT, "protocol": "UDP"},
            ],
        },
    }


def _iperf_ports() -> list[dict[str, Any]]:
    return [{"protocol": p, "port": PORT} for p in ("TCP", "UDP")]


def network_policies(ns: str) -> list[dict[str, Any]]:
    """Default deny, then exactly client → server on 5201 TCP+UDP. Policy matches the backend
    pod after Service NAT (kube-proxy and Calico alike), so one rule covers pod2pod and pod2svc.
    `kubectl exec` does not cross the pod network and needs no rule."""

    def policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns, "labels": dict(MANAGED_BY)},
            "spec": spec,
        }

    client = {"podSelector": {"matchLabels": {"netbench/role": CLIENT}}}
    server = {"podSelector": {"matchLabels": {"netbench/role": SERVER}}}
    return [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "server-from-client",
            {
                **server,
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [client], "ports": _iperf_ports()}],
            },
        ),
        policy(
            "client-to-server",
            {
                **client,
                "policyTypes": ["Egress"],
                "egress": [{"to": [server], "ports": _iperf_ports()}],
            },
        ),
    ]


def all_objects(
    *,
    ns: str,
    run_id: str,
    client_node: str,
    server_node: str,
    client_taints: Sequence[Mapping[str, Any]] = (),
    server_taints: Sequence[Mapping[str, Any]] = (),
    image: str = IMAGE,
) -> list[dict[str, Any]]:
    """In apply order: namespace, policies (before any pod can talk), pods, Service."""
    return [
        namespace(ns, run_id),
        *network_policies(ns),
        pod(ns, SERVER, server_node, server_taints, image),
        pod(ns, CLIENT, client_node, client_taints, image),
        service(ns),
    ]
