"""`verify`: the live cluster against the project's three promises, one line per check.

1. Calico's Installation is Ready and the operator computed the BPF dataplane.
2. No kube-proxy pod runs (kubeProxy disabled or absent).
3. FelixConfiguration `default` holds the fields the project owns, with the values
   components/calico/_manifests.py renders for this kube-proxy mode and Calico version.
4. The demo behind the NLB sees the client's own address, not one inside the VPC (no SNAT).
"""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.calico._manifests import felix_settled_spec
from components.options import KubeProxyMode

from .bench import FELIX, INSTALLATION
from .cluster import ClusterOps

FETCH_TIMEOUT_S = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def fetch(url: str) -> str:
    """The demo's reply body (agnhost netexec /clientip: "<ip>:<port>")."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as reply:
        body: bytes = reply.read(4096)
    return body.decode(errors="replace").strip()


def check_installation(ops: ClusterOps) -> Check:
    inst = ops.get(INSTALLATION, "default")
    if inst is None:
        return Check("installation", False, "no Installation 'default': Calico is not installed")
    status = inst.get("status", {})
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", [])
    )
    dataplane = status.get("computed", {}).get("calicoNetwork", {}).get("linuxDataplane")
    ok = ready and dataplane == "BPF"
    return Check("installation", ok, f"Ready={ready}, computed linuxDataplane={dataplane}")


def check_kube_proxy(ops: ClusterOps) -> Check:
    pods = ops.list("pods", namespace="kube-system", selector="k8s-app=kube-proxy")
    names = sorted(p["metadata"]["name"] for p in pods)
    return Check(
        "kube-proxy",
        not pods,
        f"{len(pods)} pod(s) running" + (f": {', '.join(names)}" if names else ""),
    )


def check_felix(ops: ClusterOps, kube_proxy: KubeProxyMode, calico_version: str) -> list[Check]:
    felix = ops.get(FELIX, "default")
    spec = (felix or {}).get("spec", {})
    checks = []
    for key, want in felix_settled_spec(kube_proxy, calico_version).items():
        have = spec.get(key)
        checks.append(Check(f"felix {key}", have == want, f"{have!r} (want {want!r})"))
    return checks


def check_client_ip(url: str, vpc_cidr: str, get: Callable[[str], str] = fetch) -> Check:
    try:
        body = get(url)
    except OSError as exc:
        return Check("client ip", False, f"fetching {url} failed: {exc}")
    host = body.rsplit(":", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return Check("client ip", False, f"{url} answered {body[:80]!r}, not an address")
    vpc = ipaddress.ip_network(vpc_cidr)
    inside = address in vpc
    verdict = f"inside the VPC {vpc}: SNATed" if inside else f"outside the VPC {vpc}: kept"
    return Check("client ip", not inside, f"the pod saw {address}, {verdict}")


def run(
    ops: ClusterOps,
    *,
    kube_proxy: KubeProxyMode,
    calico_version: str,
    demo_url: str | None,
    vpc_cidr: str,
    get: Callable[[str], str] = fetch,
    out: Callable[[str], Any] = print,
) -> int:
    checks = [check_installation(ops)]
    if kube_proxy is not KubeProxyMode.ENABLED:
        checks.append(check_kube_proxy(ops))
    checks += check_felix(ops, kube_proxy, calico_version)
    if demo_url:
        checks.append(check_client_ip(demo_url, vpc_cidr, get))
    for c in checks:
        out(c.line())
    if not demo_url:
        out("SKIP client ip: --skip-client-ip given")
    return 0 if all(c.ok for c in checks) else 1
