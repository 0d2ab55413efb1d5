"""`verify`: the live cluster against the project's three promises, one line per check.

1. Calico's Installation is Ready and the operator computed the dataplane the stack asked for
   (BPF whenever kube-proxy is disabled or absent).
2. No kube-proxy pod runs (kubeProxy disabled or absent).
3. FelixConfiguration `default` holds the fields the project owns, with the values
   components/calico/_manifests.py renders for this kube-proxy mode and Calico version.
4. The demo behind the NLB sees the client's own address, not one inside the VPC (no SNAT).

What the checks expect is read, in this order, from the command line, from the stack's outputs
(`pulumi stack output --json`: kubeProxy, calicoDataplane, vpcCidr, demoUrl), or from the
cluster itself: the kube-proxy mode from the kube-proxy DaemonSet (missing: absent; parked by the
project's nodeSelector: disabled; else enabled), the Calico version from the Installation's
status.calicoVersion, the dataplane from the Installation's spec. The VPC CIDR is not in the
cluster: without `--vpc-cidr` or the outputs the client-ip check refuses to guess.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.calico._manifests import KUBE_PROXY_PARK_SELECTOR, felix_settled_spec
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
    """The demo's reply body (the nginx demo's /clientip: "<ip>:<port>")."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as reply:
        body: bytes = reply.read(4096)
    return body.decode(errors="replace").strip()


# The Installation's linuxDataplane for each value of the stack's `dataplane` (calicoDataplane).
LINUX_DATAPLANE = {"bpf": "BPF", "iptables": "Iptables"}
# The operator's default when the Installation names no dataplane (operator.tigera.io/v1
# LinuxDataplaneOption: "Default: Iptables").
OPERATOR_DEFAULT_DATAPLANE = "Iptables"


@dataclass(frozen=True)
class Expected:
    """What the checks compare the cluster with, and where each value came from."""

    kube_proxy: KubeProxyMode
    calico_version: str | None
    dataplane: str
    vpc_cidr: str | None
    sources: tuple[str, ...]


def kube_proxy_mode(ops: ClusterOps) -> tuple[KubeProxyMode, str]:
    """The mode the cluster is in, from the kube-proxy DaemonSet the project patches."""
    ds = ops.get("daemonsets", "kube-proxy", namespace="kube-system")
    if ds is None:
        return KubeProxyMode.ABSENT, "no kube-proxy DaemonSet"
    selector = ds.get("spec", {}).get("template", {}).get("spec", {}).get("nodeSelector") or {}
    if all(selector.get(k) == v for k, v in KUBE_PROXY_PARK_SELECTOR.items()):
        park = ", ".join(f"{k}={v}" for k, v in KUBE_PROXY_PARK_SELECTOR.items())
        return KubeProxyMode.DISABLED, f"kube-proxy DaemonSet parked by nodeSelector {park}"
    return KubeProxyMode.ENABLED, "kube-proxy DaemonSet not parked"


def expected(
    ops: ClusterOps,
    *,
    kube_proxy: str | None = None,
    calico_version: str | None = None,
    vpc_cidr: str | None = None,
    outputs: Mapping[str, Any] | None = None,
) -> Expected:
    """Command line first, then the stack outputs, then the cluster; never a default."""
    outputs = outputs or {}
    sources = []
    if kube_proxy:
        mode, why = KubeProxyMode(kube_proxy), "--kube-proxy"
    elif outputs.get("kubeProxy"):
        mode, why = KubeProxyMode(outputs["kubeProxy"]), "stack output kubeProxy"
    else:
        mode, why = kube_proxy_mode(ops)
    sources.append(f"kube-proxy {mode.value} ({why})")
    installation = ops.get(INSTALLATION, "default") or {}
    if calico_version:
        version: str | None = calico_version
        sources.append(f"Calico {version} (--calico-version)")
    else:
        version = installation.get("status", {}).get("calicoVersion")
        sources.append(f"Calico {version or 'unknown'} (Installation status.calicoVersion)")
    if mode is not KubeProxyMode.ENABLED:
        # Services without kube-proxy: only the eBPF dataplane serves them.
        dataplane, why = "BPF", f"kube-proxy {mode.value}"
    elif outputs.get("calicoDataplane") in LINUX_DATAPLANE:
        dataplane = LINUX_DATAPLANE[outputs["calicoDataplane"]]
        why = "stack output calicoDataplane"
    else:
        asked = installation.get("spec", {}).get("calicoNetwork", {}).get("linuxDataplane")
        dataplane = asked or OPERATOR_DEFAULT_DATAPLANE
        why = "Installation spec" if asked else "the operator's default"
    sources.append(f"dataplane {dataplane} ({why})")
    if vpc_cidr:
        cidr: str | None = vpc_cidr
        sources.append(f"VPC {cidr} (--vpc-cidr)")
    elif outputs.get("vpcCidr"):
        cidr = str(outputs["vpcCidr"])
        sources.append(f"VPC {cidr} (stack output vpcCidr)")
    else:
        cidr = None
    return Expected(mode, version, dataplane, cidr, tuple(sources))


def check_installation(ops: ClusterOps, want: str = "BPF", *, say_want: bool = False) -> Check:
    inst = ops.get(INSTALLATION, "default")
    if inst is None:
        return Check("installation", False, "no Installation 'default': Calico is not installed")
    status = inst.get("status", {})
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", [])
    )
    dataplane = status.get("computed", {}).get("calicoNetwork", {}).get("linuxDataplane")
    ok = ready and dataplane == want
    detail = f"Ready={ready}, computed linuxDataplane={dataplane}"
    return Check("installation", ok, f"{detail} (want {want})" if say_want else detail)


def check_kube_proxy(ops: ClusterOps) -> Check:
    pods = ops.list("pods", namespace="kube-system", selector="k8s-app=kube-proxy")
    names = sorted(p["metadata"]["name"] for p in pods)
    return Check(
        "kube-proxy",
        not pods,
        f"{len(pods)} pod(s) running" + (f": {', '.join(names)}" if names else ""),
    )


def check_felix(
    ops: ClusterOps, kube_proxy: KubeProxyMode, calico_version: str | None
) -> list[Check]:
    if calico_version is None:
        detail = "Calico version unknown (no Installation status.calicoVersion): --calico-version"
        return [Check("felix", False, detail)]
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
    want: Expected,
    demo_url: str | None,
    get: Callable[[str], str] = fetch,
    out: Callable[[str], Any] = print,
    note: Callable[[str], Any] = print,
) -> int:
    """The checks on `out`, one line each; where the expectations came from on `note`."""
    note("verify expects: " + "; ".join(want.sources))
    # With kube-proxy disabled or absent only BPF can serve Services: the line need not say so.
    enabled = want.kube_proxy is KubeProxyMode.ENABLED
    checks = [check_installation(ops, want.dataplane, say_want=enabled)]
    if want.kube_proxy is not KubeProxyMode.ENABLED:
        checks.append(check_kube_proxy(ops))
    checks += check_felix(ops, want.kube_proxy, want.calico_version)
    if demo_url:
        if want.vpc_cidr is None:
            detail = "the VPC CIDR is unknown: pass --outputs (with vpcCidr) or --vpc-cidr"
            checks.append(Check("client ip", False, detail))
        else:
            checks.append(check_client_ip(demo_url, want.vpc_cidr, get))
    for c in checks:
        out(c.line())
    if not demo_url:
        out("SKIP client ip: --skip-client-ip given")
    return 0 if all(c.ok for c in checks) else 1
