"""`DemoApp`: a small HTTP server that answers with the client IP it sees, for the NLB demo.

Creates a namespace under the `restricted` Pod Security Standard, a Deployment of the
Kubernetes e2e image agnhost running `netexec` (`GET /clientip` returns the remote address of
the connection, so `curl <nlb>/clientip` shows whether the client IP survived the NLB and
Calico), spread over nodes so traffic is forwarded between nodes, and a PodDisruptionBudget.

netexec is a test server: it also serves `/shell`, `/exit` and `/upload`. Only clients admitted
by `NlbService` reach it, and the pod is locked down (non-root, read-only root filesystem, no
capabilities, no service-account token, egress only to DNS), but expose it to your own
addresses only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import defaults
from ._names import check_namespace

# agnhost 2.66.1: current test/images/agnhost/VERSION of kubernetes/kubernetes, promoted to
# registry.k8s.io by kubernetes/k8s.io PR #9787; the digest is that PR's manifest list, so the
# tag cannot move under us.
IMAGE = (
    "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
    "@sha256:6e2eef87d0dc77e070a7549bc5fdfa290c0fefe3359eb33c2ad1eda692fe66a4"
)
APP_NAME = "echo"
SELECTOR = {"app.kubernetes.io/name": APP_NAME}
TARGET_PORT = 8080
# The image runs as root by default (no USER in test/images/agnhost/Dockerfile); netexec needs
# no privileges for a port above 1024. 65534 = nobody.
RUN_AS = 65534
# netexec waits this long after SIGTERM before exiting (--delay-shutdown, agnhost >= 2.36), so
# connections already forwarded to a terminating pod still get answers.
SHUTDOWN_DELAY_SECONDS = 10
MIN_REPLICAS = 2


@dataclass(frozen=True, kw_only=True)
class DemoAppArgs:
    namespace: str = "demo"
    """Namespace created for the app (DNS-1123 label, never `default`)."""
    replicas: int = 2
    """At least 2: the PodDisruptionBudget keeps one running through node drains."""
    kubernetes_version: str = defaults.KUBERNETES_VERSION
    """Pins the Pod Security Standards version the namespace enforces (`v<version>`), so a
    cluster upgrade does not change the policy under running pods."""
    provider: pulumi.ProviderResource
    """Kubernetes provider of the cluster."""
    wait_for: Sequence[pulumi.Resource] = ()
    """What every child waits on (Calico being ready, so pods get the eBPF dataplane)."""


def validate_demo_args(*, namespace: str, replicas: int) -> None:
    check_namespace(namespace)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < MIN_REPLICAS:
        raise ValueError(
            f"replicas: {replicas!r} is less than {MIN_REPLICAS} "
            "(the PodDisruptionBudget keeps 1 pod available)"
        )


def render_namespace(namespace: str, kubernetes_version: str) -> dict[str, Any]:
    version = f"v{kubernetes_version}"
    labels: dict[str, str] = {}
    # https://kubernetes.io/docs/concepts/security/pod-security-admission/: enforce rejects,
    # audit logs, warn tells the client; all three at `restricted`, version pinned.
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": labels},
    }


def render_deployment(namespace: str, replicas: int) -> dict[str, Any]:
    http_get = {"path": "/hostname", "port": "http"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": APP_NAME, "namespace": namespace, "labels": dict(SELECTOR)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {"labels": dict(SELECTOR)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": SHUTDOWN_DELAY_SECONDS + 20,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": RUN_AS,
                        "runAsGroup": RUN_AS,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    # One pod per node (hard), spread over zones (soft): the NLB then sends to
                    # nodes without a local pod, the cross-node path whose client IP Calico eBPF
                    # keeps.
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": dict(SELECTOR)},
                        },
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": dict(SELECTOR)},
                        },
                    ],
                    "containers": [
                        {
                            "name": "netexec",
                            "image": IMAGE,
                            # ENTRYPOINT is /agnhost; no UDP server (8081) nobody uses.
                            "args": [
                                "netexec",
                                f"--http-port={TARGET_PORT}",
                                "--udp-port=-1",
                                f"--delay-shutdown={SHUTDOWN_DELAY_SECONDS}",
                            ],
                            "ports": [
                                {"name": "http", "containerPort": TARGET_PORT, "protocol": "TCP"}
                            ],
                            # /hostname answers 200 whenever the HTTP server runs (netexec.go);
                            # /healthz also depends on the UDP server, which is off.
                            "readinessProbe": {"httpGet": http_get, "periodSeconds": 5},
                            "livenessProbe": {
                                "httpGet": http_get,
                                "periodSeconds": 10,
                                "failureThreshold": 3,
                            },
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "32Mi"},
                                "limits": {"cpu": "200m", "memory": "64Mi"},
                            },
                            # netexec writes nothing at start-up (only /upload writes, under
                            # /uploads, and fails here on purpose): no writable volume needed.
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "runAsUser": RUN_AS,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                        }
                    ],
                },
            },
        },
    }


def render_pdb(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": APP_NAME, "namespace": namespace},
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": dict(SELECTOR)},
            # A pod that is not Ready serves nothing; never let it block a node drain.
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


class DemoApp(pulumi.ComponentResource):
    namespace: str
    """Name of the app's namespace."""
    selector: dict[str, str]
    """Labels of the app's pods (for `NlbServiceArgs.selector`)."""
    target_port: int
    """Container port netexec listens on (for `ServicePort.target_port`)."""
    namespace_resource: k8s.core.v1.Namespace
    """The Namespace; an NlbService in it waits on this."""
    deployment: k8s.apps.v1.Deployment

    def __init__(
        self, name: str, args: DemoAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_demo_args(namespace=args.namespace, replicas=args.replicas)
        super().__init__("eks-calico-ebpf:index:DemoApp", name, None, opts)
        self.namespace = args.namespace
        self.selector = dict(SELECTOR)
        self.target_port = TARGET_PORT

        def child(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[*args.wait_for, *depends_on]
            )

        ns = render_namespace(args.namespace, args.kubernetes_version)
        self.namespace_resource = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=ns["metadata"], opts=child()
        )
        deployment = render_deployment(args.namespace, args.replicas)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deployment["metadata"],
            spec=deployment["spec"],
            opts=child(self.namespace_resource),
        )
        pdb = render_pdb(args.namespace)
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=pdb["metadata"],
            spec=pdb["spec"],
            opts=child(self.namespace_resource),
        )
        self.register_outputs(
            {"namespace": self.namespace, "selector": self.selector, "target_port": TARGET_PORT}
        )
