"""`bench`: one invocation measures one cluster configuration (one label).

Order: preflight (what is being measured) → own namespace with policies, server and client pods
on two different nodes, ClusterIP Service → idle window → every (rep, case) in seeded order,
CPU sampled node-wide on both nodes while iperf3 runs → idle window → results. The namespace
is deleted in `finally`: on success, on any failure and on Ctrl-C.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _iperf, _manifests, _procstat, _results
from ._matrix import Params, case_seconds, invalid_reasons, schedule
from ._stats import steady_window
from .cluster import ClusterOps, ExecResult

BENCH_SELECTOR = "eks-calico-ebpf/role=bench"
ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
READY_TIMEOUT_S = 300
INSTALLATION = "installations.operator.tigera.io"
FELIX = "felixconfigurations.crd.projectcalico.org"


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True, kw_only=True)
class Options:
    params: Params
    out: Path
    label: str
    selector: str = BENCH_SELECTOR
    client_node: str | None = None
    server_node: str | None = None
    image: str = _manifests.IMAGE
    allow_old_iperf: bool = False


# --------------------------------------------------------------------------- discovery


def _ready(node: Mapping[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _name(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def _hostname(node: Mapping[str, Any]) -> str:
    labels = node["metadata"].get("labels", {})
    return str(labels.get(_manifests.HOSTNAME_LABEL, _name(node)))


def pick_nodes(
    nodes: Sequence[Mapping[str, Any]], client: str | None = None, server: str | None = None
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(client, server): two Ready nodes with different host names; without overrides exactly
    two Ready nodes in one zone (the bench group), the first by name as the client."""
    by_name = {_name(n): n for n in nodes if _ready(n)}
    if client or server:
        if not (client and server):
            raise BenchError("give both --client-node and --server-node, or neither")
        missing = [n for n in (client, server) if n not in by_name]
        if missing:
            raise BenchError(f"not a Ready node of the selector: {', '.join(missing)}")
        chosen = [by_name[client], by_name[server]]
    else:
        if len(by_name) != 2:
            raise BenchError(
                f"expected exactly 2 Ready benchmark nodes, found {len(by_name)}:"
                f" {', '.join(sorted(by_name)) or 'none'} (use --client-node/--server-node)"
            )
        chosen = [by_name[n] for n in sorted(by_name)]
        zones = {n["metadata"].get("labels", {}).get(ZONE_LABEL) for n in chosen}
        if len(zones) != 1:
            raise BenchError(f"benchmark nodes are in different zones: {sorted(map(str, zones))}")
    if _hostname(chosen[0]) == _hostname(chosen[1]):
        raise BenchError("client and server must be on different nodes")
    return chosen[0], chosen[1]


def node_facts(node: Mapping[str, Any]) -> dict[str, Any]:
    labels = node["metadata"].get("labels", {})
    info = node.get("status", {}).get("nodeInfo", {})
    return {
        "name": _name(node),
        "hostname": _hostname(node),
        "zone": labels.get(ZONE_LABEL),
        "instance_type": labels.get(INSTANCE_TYPE_LABEL),
        "vcpus": int(node.get("status", {}).get("capacity", {}).get("cpu", 0)),
        "kernel": info.get("kernelVersion"),
        "os_image": info.get("osImage"),
        "kubelet": info.get("kubeletVersion"),
    }


def preflight(ops: ClusterOps) -> dict[str, Any]:
    """What is being measured, read from the cluster (never from the stack config)."""
    installation = ops.get(INSTALLATION, "default")
    if installation is None:
        dataplane = "none"
        ready = None
    else:
        status = installation.get("status", {})
        dataplane = status.get("computed", {}).get("calicoNetwork", {}).get("linuxDataplane")
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions", [])
        )
    felix = ops.get(FELIX, "default")
    kube_proxy = ops.get("daemonsets", "kube-proxy", namespace="kube-system")
    kp_status = (kube_proxy or {}).get("status", {})
    return {
        "calico": installation is not None,
        "installation_ready": ready,
        "dataplane": dataplane or "unknown",
        "calico_version": (installation or {}).get("status", {}).get("calicoVersion"),
        "felix": dict((felix or {}).get("spec", {})),
        "kube_proxy": {
            "daemonset": kube_proxy is not None,
            "desired": kp_status.get("desiredNumberScheduled", 0),
            "ready": kp_status.get("numberReady", 0),
        },
    }


# --------------------------------------------------------------------------- the run


def _check(result: ExecResult, what: str) -> str:
    if result.returncode != 0:
        raise BenchError(f"{what} failed ({result.returncode}): {result.stderr.strip()[:300]}")
    return result.stdout


def _sample_both(
    ops: ClusterOps, ns: str, offset: int, window: int, pool: ThreadPoolExecutor
) -> tuple[Any, Any]:
    cmd = _procstat.sampler_command(offset, window)
    timeout = offset + window + 30
    return (
        pool.submit(ops.exec, ns, _manifests.CLIENT, cmd, timeout),
        pool.submit(ops.exec, ns, _manifests.SERVER, cmd, timeout),
    )


def _cpu(result: ExecResult, who: str) -> tuple[_procstat.CpuUsage, str]:
    text = _check(result, f"CPU sampler on the {who} node")
    return _procstat.usage(*_procstat.split_samples(text)), text


def _usage_dict(u: _procstat.CpuUsage) -> dict[str, Any]:
    return {
        "gross_vcpu": u.busy_vcpu,
        **u.breakdown,
        "max_cpu_busy": u.max_cpu_busy,
        "vcpus": u.vcpus,
        "offline": list(u.offline),
    }


def _eta(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def run(
    ops: ClusterOps,
    options: Options,
    *,
    progress: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Run the matrix; write results.json, runs.csv and raw/ under options.out; return the
    results document."""
    params = options.params
    problems = params.problems()
    if problems:
        raise BenchError("; ".join(problems))
    started = now()
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    ns = f"netbench-{run_id.lower()}"
    raw_dir = options.out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)

    cluster = preflight(ops)
    nodes = ops.list("nodes", selector=options.selector)
    client_node, server_node = pick_nodes(nodes, options.client_node, options.server_node)
    offset, window = steady_window(params.duration_s, params.omit_s, params.margin_s)
    order = schedule(params)
    progress(
        f"netbench {options.label}: {len(order)} runs on {_name(client_node)} → "
        f"{_name(server_node)}, dataplane {cluster['dataplane']}, namespace {ns}"
    )

    # Not a `with` block: its exit would wait for running execs (up to a run's length) before
    # the namespace could go; deleting the namespace first ends them.
    pool = ThreadPoolExecutor(max_workers=3)
    try:
        probe = _start(
            ops,
            ns=ns,
            run_id=run_id,
            options=options,
            client_node=client_node,
            server_node=server_node,
        )
        idle_before = _idle(ops, ns, window, raw_dir / "idle-before", pool)
        runs = []
        t0 = clock()
        for i, (rep, case) in enumerate(order, start=1):
            runs.append(
                _one_case(
                    ops,
                    ns=ns,
                    params=params,
                    case=case,
                    rep=rep,
                    index=i,
                    targets=probe.targets,
                    udp_len=probe.udp_len,
                    offset=offset,
                    window=window,
                    raw_dir=raw_dir,
                    pool=pool,
                )
            )
            elapsed = clock() - t0
            left = elapsed / i * (len(order) - i) + window
            r = runs[-1]
            verdict = "valid" if r["valid"] else "INVALID: " + "; ".join(r["reasons"])
            progress(
                f"[{i}/{len(order)}] {case} rep {rep}: {r['recv_bps'] / 1e9:.3f} Gbps,"
                f" {r['total_gross_vcpu']:.2f} vCPU client+server, {verdict}; ETA {_eta(left)}"
            )
        idle_after = _idle(ops, ns, window, raw_dir / "idle-after", pool)
    except KeyboardInterrupt:
        progress("interrupted: removing the benchmark namespace")
        raise
    finally:
        # Also after a failure half-way through creating: deleting the namespace removes
        # whatever part of the set exists (a namespace that was never made is not an error).
        ops.delete_namespace(ns)
        progress(f"deleted namespace {ns}")
        pool.shutdown(wait=False, cancel_futures=True)

    idle = {
        role: (idle_before[role]["gross_vcpu"] + idle_after[role]["gross_vcpu"]) / 2
        for role in ("client", "server")
    }
    for r in runs:
        for role in ("client", "server"):
            r["cpu"][role]["net_vcpu"] = r["cpu"][role]["gross_vcpu"] - idle[role]
        r["total_net_vcpu"] = r["cpu"]["client"]["net_vcpu"] + r["cpu"]["server"]["net_vcpu"]
    document = {
        "schema": _results.SCHEMA_ID,
        "run_id": run_id,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "label": options.label,
        "cluster": {**cluster, "pod_mtu": probe.mtu},
        "nodes": {"client": node_facts(client_node), "server": node_facts(server_node)},
        "tool": {"image": options.image, "image_ids": probe.image_ids, "iperf3": probe.version},
        "params": {
            **asdict(params),
            "udp_len": probe.udp_len,
            "window_s": window,
            "offset_s": offset,
        },
        "idle": {
            "before": idle_before,
            "after": idle_after,
            "client_vcpu": idle["client"],
            "server_vcpu": idle["server"],
        },
        "runs": runs,
    }
    _results.write(document, options.out)
    return document


@dataclass(frozen=True)
class _Probe:
    targets: Mapping[str, str]
    version: str
    mtu: int
    udp_len: int
    image_ids: Mapping[str, str | None]


def _start(
    ops: ClusterOps,
    *,
    ns: str,
    run_id: str,
    options: Options,
    client_node: Mapping[str, Any],
    server_node: Mapping[str, Any],
) -> _Probe:
    """Create the namespace and everything in it; read targets, iperf3 version and MTU."""
    objects = _manifests.all_objects(
        ns=ns,
        run_id=run_id,
        client_node=_hostname(client_node),
        server_node=_hostname(server_node),
        client_taints=client_node.get("spec", {}).get("taints", []),
        server_taints=server_node.get("spec", {}).get("taints", []),
        image=options.image,
    )
    for obj in objects:
        ops.create(obj)
    server_pod = ops.wait_ready(ns, _manifests.SERVER, READY_TIMEOUT_S)
    client_pod = ops.wait_ready(ns, _manifests.CLIENT, READY_TIMEOUT_S)
    svc = ops.get("services", _manifests.SERVICE, namespace=ns) or {}
    targets = {
        "pod2pod": str(server_pod["status"]["podIP"]),
        "pod2svc": str(svc.get("spec", {}).get("clusterIP", "")),
    }
    if not targets["pod2svc"]:
        raise BenchError(f"Service {_manifests.SERVICE} has no ClusterIP")

    version_out = _check(
        ops.exec(ns, _manifests.CLIENT, ["iperf3", "--version"], 30), "iperf3 --version"
    )
    version = version_out.strip().splitlines()[0] if version_out.strip() else "unknown"
    if (
        options.params.streams > 1
        and _iperf.version_tuple(version) < _iperf.MIN_MULTI_STREAM_VERSION
        and not options.allow_old_iperf
    ):
        raise BenchError(
            f"{version} drives all -P streams from one thread (threads per stream since"
            " 3.16); use an image with iperf3 >= 3.16 or pass --allow-old-iperf"
        )
    mtu = int(
        _check(
            ops.exec(ns, _manifests.SERVER, ["cat", "/sys/class/net/eth0/mtu"], 30),
            "reading the pod MTU",
        ).strip()
    )
    return _Probe(
        targets=targets,
        version=version,
        mtu=mtu,
        udp_len=_iperf.udp_payload(mtu),
        image_ids={
            role: pod["status"].get("containerStatuses", [{}])[0].get("imageID")
            for role, pod in (("client", client_pod), ("server", server_pod))
        },
    )


def _idle(
    ops: ClusterOps, ns: str, window: int, where: Path, pool: ThreadPoolExecutor
) -> dict[str, dict[str, Any]]:
    c, s = _sample_both(ops, ns, 0, window, pool)
    where.mkdir(parents=True, exist_ok=True)
    out = {}
    for role, fut in (("client", c), ("server", s)):
        usage, text = _cpu(fut.result(), role)
        (where / f"{role}-stat.txt").write_text(text)
        out[role] = _usage_dict(usage)
    return out


def _one_case(
    ops: ClusterOps,
    *,
    ns: str,
    params: Params,
    case: str,
    rep: int,
    index: int,
    targets: Mapping[str, str],
    udp_len: int,
    offset: int,
    window: int,
    raw_dir: Path,
    pool: ThreadPoolExecutor,
) -> dict[str, Any]:
    path, proto = case.split("-")
    cmd = _iperf.client_command(
        target=targets[path],
        duration_s=params.duration_s,
        omit_s=params.omit_s,
        streams=params.streams,
        rate_bps=params.rate_bps,
        udp_len=udp_len if proto == "udp" else None,
    )
    client = pool.submit(ops.exec, ns, _manifests.CLIENT, cmd, case_seconds(params) + 30)
    c_cpu, s_cpu = _sample_both(ops, ns, offset, window, pool)
    where = raw_dir / f"{index:03d}-{case}-rep{rep}"
    where.mkdir(parents=True, exist_ok=True)
    (where / "command.txt").write_text(" ".join(cmd) + "\n")
    done = client.result()
    (where / "iperf3.json").write_text(done.stdout)
    client_usage, client_text = _cpu(c_cpu.result(), "client")
    server_usage, server_text = _cpu(s_cpu.result(), "server")
    (where / "client-stat.txt").write_text(client_text)
    (where / "server-stat.txt").write_text(server_text)

    reasons: list[str] = []
    recv = sent = 0.0
    lost: float | None = None
    retransmits: int | None = None
    try:
        parsed = _iperf.parse(json.loads(done.stdout))
        recv, sent, lost, retransmits = (
            parsed.recv_bps,
            parsed.sent_bps,
            parsed.lost_pct,
            parsed.retransmits,
        )
    except (ValueError, _iperf.IperfError) as exc:
        said = (done.stderr.strip().splitlines() or [str(exc)])[0][:200]
        reasons.append(f"iperf3 output unusable (exit {done.returncode}): {said}")
    max_busy = max(client_usage.max_cpu_busy, server_usage.max_cpu_busy)
    reasons += invalid_reasons(
        recv_bps=recv,
        target_bps=params.rate_bps,
        lost_pct=lost,
        max_cpu_busy=max_busy,
        cpu_limit=params.max_cpu_busy,
    )
    total = client_usage.busy_vcpu + server_usage.busy_vcpu
    return {
        "case": case,
        "rep": rep,
        "valid": not reasons,
        "reasons": reasons,
        "recv_bps": recv,
        "sent_bps": sent,
        "lost_pct": lost,
        "retransmits": retransmits,
        "cpu": {"client": _usage_dict(client_usage), "server": _usage_dict(server_usage)},
        "total_gross_vcpu": total,
        "vcpu_per_gbps": total / (recv / 1e9) if recv > 0 else None,
        "raw": str(where.relative_to(raw_dir.parent)),
    }
