"""`DemoApp`: a small HTTP server that answers with the client IP it sees, for the NLB demo.

Creates a namespace under the `restricted` Pod Security Standard, a ConfigMap holding our own
nginx configuration, a Deployment of the official nginx image (pinned by digest) running only
that configuration, spread over nodes so traffic is forwarded between nodes, and a
PodDisruptionBudget.

The server has exactly two endpoints, both fixed `return` directives: `GET /clientip` answers
`<address>:<port>` of the TCP peer (so `curl <nlb>/clientip` shows whether the client IP survived
the NLB and Calico; no proxy header is read, so a client cannot claim another address), and
`/healthz` answers `ok` for the probes. Everything else is 404: no command, upload, dial or file
endpoints, no proxying, no DNS lookups (the pod needs no egress at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import defaults
from ._names import check_namespace

# nginx 1.30 (stable), alpine-slim variant (no njs, perl or other dynamic modules), from the
# Docker official image. The digest is the multi-platform index that docker-library/repo-info
# records for `nginx:1.30-alpine-slim` (repos/nginx/remote/1.30-alpine-slim.md at commit
# 0844135897966e4cd8e30f21462f88c51bea8b87, NGINX_VERSION 1.30.4), so the tag cannot move.
IMAGE = (
    "docker.io/library/nginx:1.30-alpine-slim"
    "@sha256:cc6010a6ce4e6262953eeaf61ee809fa9a59f4832609eb2dc92aec8e46a42653"
)
APP_NAME = "echo"
SELECTOR = {"app.kubernetes.io/name": APP_NAME}
TARGET_PORT = 8080
# nobody. nginx started as non-root runs master and workers as that user and needs no
# capability above port 1024; it reads only the world-readable ConfigMap and binary and writes
# only the emptyDir. Not the image's own uid 101: checkov CKV_K8S_40 wants a UID >= 10000, so
# it cannot collide with a host user.
RUN_AS = 65534
CONFIG_DIR = "/etc/nginx/echo"
CONFIG_FILE = "nginx.conf"
# Where nginx may write (pid file, temp directories): an emptyDir, the root stays read-only.
SCRATCH_DIR = "/tmp"
CLIENT_IP_PATH = "/clientip"
HEALTH_PATH = "/healthz"
# The pod stays in the Service's endpoints this long after deletion starts (preStop sleep), so
# connections the NLB and other nodes still send get answers; then nginx stops gracefully
# (SIGQUIT, the image's STOPSIGNAL).
SHUTDOWN_DELAY_SECONDS = 10
MIN_REPLICAS = 2


def render_nginx_conf(port: int = TARGET_PORT, scratch: str = SCRATCH_DIR) -> str:
    """Our whole nginx configuration: it replaces the image's, nothing else is included.
    `port` and `scratch` exist so tests can run the same text on loopback."""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {scratch}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
# Rendered by eks-calico-ebpf (components/exposure/demo_app.py); do not edit in the cluster.
worker_processes 1;
pid {scratch}/nginx.pid;
error_log stderr warn;
daemon off;

events {{
    worker_connections 512;
}}

http {{
    access_log off;
    server_tokens off;
    # nginx creates these at start-up even when unused: keep them off the read-only root.
{temp_paths}
    # No request bodies are ever needed.
    client_max_body_size 1k;
    default_type text/plain;

    server {{
        listen {port} default_server;
        # The TCP peer as nginx sees it; no realip module, so X-Forwarded-For and PROXY
        # headers are never trusted.
        location = {CLIENT_IP_PATH} {{
            return 200 "$remote_addr:$remote_port\\n";
        }}
        location = {HEALTH_PATH} {{
            return 200 "ok\\n";
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


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


CONFIG_MAP_NAME = f"{APP_NAME}-nginx"


def render_config_map(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIG_MAP_NAME, "namespace": namespace},
        "data": {CONFIG_FILE: render_nginx_conf()},
    }


def config_checksum() -> str:
    return hashlib.sha256(render_nginx_conf().encode()).hexdigest()


def render_deployment(namespace: str, replicas: int) -> dict[str, Any]:
    http_get = {"path": HEALTH_PATH, "port": "http"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": APP_NAME, "namespace": namespace, "labels": dict(SELECTOR)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {
                    "labels": dict(SELECTOR),
                    # A changed configuration changes the template, so pods roll (a mounted
                    # ConfigMap is not re-read by nginx).
                    "annotations": {"eks-calico-ebpf/nginx-conf-sha256": config_checksum()},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    # No Service environment variables: the server needs none, and they would
                    # list every Service of the namespace to the process.
                    "enableServiceLinks": False,
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
                            "name": "nginx",
                            "image": IMAGE,
                            # `command` replaces the image's entrypoint script, whose hooks
                            # rewrite files under /etc/nginx; nginx reads only our file.
                            "command": [
                                "nginx",
                                "-e",
                                "stderr",
                                "-c",
                                f"{CONFIG_DIR}/{CONFIG_FILE}",
                            ],
                            "ports": [
                                {"name": "http", "containerPort": TARGET_PORT, "protocol": "TCP"}
                            ],
                            # A fixed `return 200` in our configuration: no client can change it.
                            "readinessProbe": {"httpGet": http_get, "periodSeconds": 5},
                            "livenessProbe": {
                                "httpGet": http_get,
                                "periodSeconds": 10,
                                "failureThreshold": 3,
                            },
                            # Sleep action (KEP-3960, on by default since 1.30): no shell needed.
                            "lifecycle": {
                                "preStop": {"sleep": {"seconds": SHUTDOWN_DELAY_SECONDS}}
                            },
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "16Mi"},
                                "limits": {"cpu": "200m", "memory": "64Mi"},
                            },
                            "volumeMounts": [
                                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                                {"name": "scratch", "mountPath": SCRATCH_DIR},
                            ],
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
                    "volumes": [
                        {"name": "config", "configMap": {"name": CONFIG_MAP_NAME}},
                        {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}},
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
    """Container port nginx listens on (for `ServicePort.target_port`)."""
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
        config_map = render_config_map(args.namespace)
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=config_map["metadata"],
            data=config_map["data"],
            opts=child(self.namespace_resource),
        )
        deployment = render_deployment(args.namespace, args.replicas)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deployment["metadata"],
            spec=deployment["spec"],
            opts=child(self.namespace_resource, config),
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
