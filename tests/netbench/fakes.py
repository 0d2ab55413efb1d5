"""A fake ClusterOps: records every call, answers from canned data, fails on request."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from components.calico._manifests import KUBE_PROXY_PARK_SELECTOR
from netbench.cluster import ExecResult

FIXTURES = Path(__file__).parent / "fixtures"
# The kube-proxy DaemonSet as the project leaves it with kubeProxy disabled: parked on no node.
PARKED_KUBE_PROXY = {
    "spec": {"template": {"spec": {"nodeSelector": dict(KUBE_PROXY_PARK_SELECTOR)}}},
    "status": {"desiredNumberScheduled": 0, "numberReady": 0},
}


def node(name: str, zone: str = "us-west-2a", ready: bool = True, taints=()) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "topology.kubernetes.io/zone": zone,
                "node.kubernetes.io/instance-type": "c5n.metal",
                "eks-calico-ebpf/role": "bench",
            },
        },
        "spec": {"taints": list(taints)},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "capacity": {"cpu": "4"},
            "nodeInfo": {
                "kernelVersion": "6.12.0-test",
                "osImage": "Bottlerocket OS 1.test",
                "kubeletVersion": "v1.35.0",
            },
        },
    }


def proc_stat(busy_per_cpu: int, *, cpus: int = 4, base: int = 0, idle: int = 1000) -> str:
    """/proc/stat text whose counters all start at `base`: each CPU has `busy_per_cpu` ticks of
    softirq and `idle - busy_per_cpu` idle ticks above the base."""
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    for i in range(cpus):
        lines.append(
            f"cpu{i} {base} {base} {base} {base + idle - busy_per_cpu} {base} {base} "
            f"{base + busy_per_cpu} {base} 0 0"
        )
    return "\n".join(lines) + "\nintr 0\n"


def sampler_output(busy_per_cpu: int) -> str:
    from netbench._procstat import SEPARATOR

    return proc_stat(0, base=100, idle=0) + SEPARATOR + "\n" + proc_stat(busy_per_cpu, base=100)


def iperf_doc(protocol: str, recv_bps: float, lost_pct: float = 0.0) -> dict[str, Any]:
    """An iperf3 -J client document of the shape iperf3 3.11+ writes (checked against the real
    loopback output in test_iperf.py)."""
    received = {"seconds": 60.0, "bits_per_second": recv_bps}
    sent = {"seconds": 60.0, "bits_per_second": recv_bps}
    if protocol == "UDP":
        received["lost_percent"] = lost_pct
    else:
        sent["retransmits"] = 3
    return {
        "start": {
            "version": "iperf 3.17.1",
            "test_start": {"protocol": protocol, "num_streams": 4},
        },
        "end": {"sum_sent": sent, "sum_received": received},
    }


class FakeCluster:
    def __init__(
        self,
        *,
        nodes: Sequence[dict[str, Any]] = (node("ip-10-0-1-1"), node("ip-10-0-1-2")),
        installation: dict[str, Any] | None = None,
        felix: dict[str, Any] | None = None,
        kube_proxy_pods: Sequence[str] = (),
        kube_proxy_daemonset: dict[str, Any] | None = PARKED_KUBE_PROXY,
        iperf: Callable[[list[str]], dict[str, Any]] | None = None,
        busy: int = 250,
        idle_busy: int = 50,
        version: str = "iperf 3.17.1 (cJSON 1.7.15)",
        fail_on: Callable[[str, tuple[Any, ...]], BaseException | None] | None = None,
    ) -> None:
        self.nodes = list(nodes)
        self.installation = installation
        self.felix = felix
        self.kube_proxy_pods = list(kube_proxy_pods)
        self.kube_proxy_daemonset = kube_proxy_daemonset
        self.iperf = iperf or (lambda argv: iperf_doc("UDP" if "-u" in argv else "TCP", 10e9))
        self.busy, self.idle_busy, self.version = busy, idle_busy, version
        self.fail_on = fail_on or (lambda op, args: None)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.created: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    def _record(self, op: str, *args: Any) -> None:
        self.calls.append((op, args))
        exc = self.fail_on(op, args)
        if exc is not None:
            raise exc

    def list(self, kind, *, namespace=None, selector=None):
        self._record("list", kind, namespace, selector)
        if kind == "nodes":
            return self.nodes
        if kind == "pods":
            return [{"metadata": {"name": n}} for n in self.kube_proxy_pods]
        return []

    def get(self, kind, name, *, namespace=None):
        self._record("get", kind, name, namespace)
        if kind.startswith("installations"):
            return self.installation
        if kind.startswith("felixconfigurations"):
            return self.felix
        if kind == "services":
            return {"spec": {"clusterIP": "172.20.7.7"}}
        if kind == "daemonsets":
            return self.kube_proxy_daemonset
        return None

    def create(self, obj):
        self._record("create", obj["kind"], obj["metadata"]["name"])
        self.created.append(obj)

    def wait_ready(self, namespace, pod, timeout_s):
        self._record("wait_ready", namespace, pod)
        ip = {"server": "10.0.1.50", "client": "10.0.1.60"}[pod]
        return {
            "status": {
                "podIP": ip,
                "containerStatuses": [{"imageID": "docker.io/nicolaka/netshoot@sha256:abc"}],
            }
        }

    def exec(self, namespace, pod, command, timeout_s):
        argv = list(command)
        self._record("exec", namespace, pod, tuple(argv))
        if argv[:2] == ["iperf3", "--version"]:
            return ExecResult(0, self.version + "\n", "")
        if argv[0] == "cat":
            return ExecResult(0, "9001\n", "")
        if argv[0] == "sh":
            idle = argv[2].startswith("sleep 0;")
            return ExecResult(0, sampler_output(self.idle_busy if idle else self.busy), "")
        if argv[0] == "iperf3":
            return ExecResult(0, json.dumps(self.iperf(argv)), "")
        raise AssertionError(f"unexpected exec {argv}")

    def delete_namespace(self, name):
        self._record("delete_namespace", name)
        self.deleted.append(name)
