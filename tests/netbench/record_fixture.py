"""Regenerate tests/netbench/fixtures/recorded/: a FIXTURE, not cluster numbers.

    .venv/bin/python -m tests.netbench.record_fixture

It runs netbench's real `bench.run` against `LoopbackCluster`, which executes every command the
tool sends to a pod on this machine instead: a real iperf3 server and client over 127.0.0.1 at a
low rate, and the sampler's `cat /proc/stat` of this machine. Every figure in the files is thus
a real measurement made by the tool's own code paths, but of loopback traffic on whatever
machine recorded it. The three labels are the same machine, so their differences are noise.
Each results.json carries a `fixture` field saying so, and report.md prints it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from netbench import _results, bench
from netbench._iperf import PORT
from netbench._matrix import Params
from netbench.cluster import ExecResult

OUT = Path(__file__).parent / "fixtures" / "recorded"
FIXTURE_NOTE = (
    "recorded on loopback (127.0.0.1) by tests/netbench/record_fixture.py: real iperf3 and"
    " /proc/stat of one development machine at a low rate; client and server are the same"
    " machine, so each CPU figure is counted twice; not cluster measurements"
)
# max_cpu_busy 1.0: "client" and "server" are one small, shared machine, so the saturation rule
# (meant for 72-vCPU nodes) would void every run; the results file records the setting.
# 200 Mbit/s over a 2 s window: enough busy ticks (USER_HZ 100) that no run's total is 0 vCPU on
# a quiet machine, where a percentage against it would mean nothing.
PARAMS = Params(
    duration_s=4, omit_s=1, margin_s=1, streams=2, rate_bps=200_000_000, reps=2, max_cpu_busy=1.0
)


def _os_image() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


class LoopbackCluster:
    """ClusterOps that runs each pod's commands on this machine."""

    def __init__(self) -> None:
        self.server: subprocess.Popen[bytes] | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])

    def list(self, kind, *, namespace=None, selector=None):
        if kind != "nodes":
            return []
        return [self._node(name) for name in ("loopback-a", "loopback-b")]

    def _node(self, name: str) -> dict[str, Any]:
        return {
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "local"},
            },
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "capacity": {"cpu": str(os.cpu_count())},
                "nodeInfo": {"kernelVersion": platform.release(), "osImage": _os_image()},
            },
        }

    def get(self, kind, name, *, namespace=None):
        if kind == "services":
            return {"spec": {"clusterIP": "127.0.0.1"}}
        return None

    def create(self, obj):
        if obj["kind"] == "Pod" and obj["metadata"]["name"] == "server":
            self.server = subprocess.Popen(
                ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def wait_ready(self, namespace, pod, timeout_s):
        image = f"local {shutil.which('iperf3')}"
        return {"status": {"podIP": "127.0.0.1", "containerStatuses": [{"imageID": image}]}}

    def exec(self, namespace, pod, command, timeout_s):
        argv = list(command)
        if argv[:2] == ["cat", "/sys/class/net/eth0/mtu"]:
            argv = ["cat", "/sys/class/net/lo/mtu"]  # the loopback path's real MTU
        if argv[0] == "iperf3" and "-c" in argv:
            argv[argv.index("-p") + 1] = str(self.port)
            assert argv[argv.index("-c") + 1] == "127.0.0.1"
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
        return ExecResult(done.returncode, done.stdout, done.stderr)

    def delete_namespace(self, name):
        if self.server is not None:
            self.server.kill()
            self.server.wait()


def main() -> int:
    assert PORT == 5201
    for label in ("plain", "iptables", "bpf"):
        out = OUT / label
        shutil.rmtree(out, ignore_errors=True)
        document = bench.run(
            LoopbackCluster(),
            # Debian's iperf3 may predate 3.16 (one thread for all streams): harmless at 200 Mbps.
            bench.Options(params=PARAMS, out=out, label=label, allow_old_iperf=True),
        )
        # Other work on the machine lands in every figure: say how much the idle windows saw.
        vcpus = document["nodes"]["client"]["vcpus"]
        document["fixture"] = (
            f"{FIXTURE_NOTE}; idle baseline while recording"
            f" {document['idle']['client_vcpu']:.2f} of {vcpus} vCPU (other work on the machine)"
        )
        _results.write(document, out)
        print(f"{label}: {len(document['runs'])} runs", file=sys.stderr)
    print(json.dumps({"written": str(OUT)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
