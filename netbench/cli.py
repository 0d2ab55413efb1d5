"""Command line: thin argument handling over bench.run, _report.write and verify.run."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from components.options import KubeProxyMode

from . import _manifests, _procstat, _report, _results, bench, verify
from ._iperf import client_command
from ._matrix import Params, case_seconds, planned_seconds, schedule
from ._stats import steady_window
from .cluster import ClusterOps, Kr8sCluster


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m netbench", description=__doc__)
    cluster = argparse.ArgumentParser(add_help=False)
    cluster.add_argument(
        "--kubeconfig",
        default=os.environ.get("KUBECONFIG"),
        help="kubeconfig of the cluster (default: $KUBECONFIG)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "bench", parents=[cluster], help="run the CPU-per-10-Gbps matrix on the cluster"
    )
    mode = b.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", type=Path, help="directory for results.json, runs.csv and raw/")
    mode.add_argument("--dry-run", action="store_true", help="print the plan; no cluster")
    b.add_argument("--label", default="run", help="name of this configuration, e.g. bpf")
    d = Params()
    b.add_argument("--duration", type=int, default=d.duration_s, help="seconds per run")
    b.add_argument("--omit", type=int, default=d.omit_s, help="iperf3 -O warm-up seconds")
    b.add_argument("--streams", type=int, default=d.streams, help="parallel streams (-P)")
    b.add_argument("--rate", type=int, default=d.rate_bps, help="total target, bits/s")
    b.add_argument("--reps", type=int, default=d.reps, help="repetitions of each case")
    b.add_argument("--seed", type=int, default=d.seed, help="seed of the case order")
    b.add_argument("--selector", default="eks-calico-ebpf/role=bench", help="node labels")
    b.add_argument("--client-node")
    b.add_argument("--server-node")
    b.add_argument("--image", default=_manifests.IMAGE, help="iperf3 image, pinned by digest")
    b.add_argument("--allow-old-iperf", action="store_true")

    r = sub.add_parser("report", help="compare bench result directories")
    r.add_argument("dirs", nargs="+", type=Path)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--baseline", help="label the others are compared to (default: the first)")
    r.add_argument("--seed", type=int, default=1, help="bootstrap seed")

    v = sub.add_parser(
        "verify", parents=[cluster], help="check the live cluster against the project's promises"
    )
    v.add_argument(
        "--outputs",
        type=Path,
        help="`pulumi stack output --json` of the stack: kubeProxy, calicoDataplane, vpcCidr,"
        " demoUrl (each flag below overrides its key)",
    )
    v.add_argument(
        "--kube-proxy",
        choices=[m.value for m in KubeProxyMode],
        help="the stack's kubeProxy (default: --outputs, else the kube-proxy DaemonSet)",
    )
    v.add_argument("--calico-version", help="default: the Installation's status.calicoVersion")
    url = v.add_mutually_exclusive_group()
    url.add_argument("--demo-url", help="pulumi stack output demoUrl (default: --outputs)")
    url.add_argument("--skip-client-ip", action="store_true")
    v.add_argument("--vpc-cidr", help="the stack's vpcCidr (default: --outputs)")
    return p


def _params(a: argparse.Namespace) -> Params:
    return Params(
        duration_s=a.duration,
        omit_s=a.omit,
        streams=a.streams,
        rate_bps=a.rate,
        reps=a.reps,
        seed=a.seed,
    )


def dry_run(params: Params, image: str, out: Callable[[str], object] = print) -> int:
    problems = params.problems()
    if problems:
        out("error: " + "; ".join(problems))
        return 2
    offset, window = steady_window(params.duration_s, params.omit_s, params.margin_s)
    order = schedule(params)
    out(f"cases in run order (seed {params.seed}):")
    for i, (rep, case) in enumerate(order, start=1):
        out(f"  {i:3d}. rep {rep} {case}")
    out(
        f"each run: {params.omit_s} s warm-up + {params.duration_s} s measured, CPU window"
        f" {window} s from second {offset}; about {case_seconds(params)} s with exec overhead"
    )
    total = planned_seconds(params)
    out(f"whole run incl. two idle windows: about {total // 60} min {total % 60} s")
    for proto, udp_len in (("tcp", None), ("udp", "<pod MTU - 28>")):
        argv = client_command(
            target="<server pod IP | ClusterIP>",
            duration_s=params.duration_s,
            omit_s=params.omit_s,
            streams=params.streams,
            rate_bps=params.rate_bps,
            udp_len=udp_len,
        )
        out(f"{proto} client: {shlex.join(argv)}")
    out("cpu sampler (both pods): " + shlex.join(_procstat.sampler_command(offset, window)))
    out("manifests:")
    objects = _manifests.all_objects(
        ns="netbench-<run-id>",
        run_id="<run-id>",
        client_node="<client-node>",
        server_node="<server-node>",
        image=image,
    )
    out(yaml.safe_dump_all(objects, sort_keys=False).rstrip())
    return 0


def _outputs(path: Path | None) -> dict[str, Any]:
    """The stack outputs file, or {} without one."""
    if path is None:
        return {}
    loaded = json.loads(path.read_text())
    if not isinstance(loaded, dict):
        raise ValueError("not a JSON object (expected `pulumi stack output --json`)")
    if loaded.get("kubeProxy") not in (None, *(m.value for m in KubeProxyMode)):
        raise ValueError(f"kubeProxy {loaded['kubeProxy']!r} is not a kube-proxy mode")
    return loaded


def _verify_inputs(a: argparse.Namespace) -> dict[str, Any] | None:
    """The stack outputs (or {}), or None after a one-line error."""
    try:
        outputs = _outputs(a.outputs)
    except (OSError, ValueError) as exc:
        print(f"error: --outputs {a.outputs}: {exc}", file=sys.stderr)
        return None
    if not (a.demo_url or outputs.get("demoUrl") or a.skip_client_ip):
        print(
            "error: give --demo-url, --outputs with demoUrl (a stack with demoApp), or"
            " --skip-client-ip",
            file=sys.stderr,
        )
        return None
    return outputs


def _report_command(a: argparse.Namespace) -> int:
    try:
        written = _report.write(a.dirs, a.out, a.baseline, a.seed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _bench_command(a: argparse.Namespace, ops: ClusterOps) -> int:
    options = bench.Options(
        params=_params(a),
        out=a.out,
        label=a.label,
        selector=a.selector,
        client_node=a.client_node,
        server_node=a.server_node,
        image=a.image,
        allow_old_iperf=a.allow_old_iperf,
    )
    try:
        document = bench.run(ops, options)
    except bench.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"wrote {a.out / _results.RESULTS} ({len(document['runs'])} runs)")
    return 0


def main(
    argv: Sequence[str] | None = None, cluster: Callable[[str | None], ClusterOps] | None = None
) -> int:
    a = _parser().parse_args(argv)
    if a.command == "bench" and a.dry_run:
        return dry_run(_params(a), a.image)
    if a.command == "report":
        return _report_command(a)
    outputs: dict[str, Any] = {}
    if a.command == "verify":
        found = _verify_inputs(a)
        if found is None:
            return 2
        outputs = found
    try:
        ops = (cluster or Kr8sCluster)(a.kubeconfig)
    except Exception as exc:  # kr8s raises transport, auth and config errors of many types
        print(f"error: cannot reach the cluster ({a.kubeconfig}): {exc}", file=sys.stderr)
        return 2
    if a.command == "verify":
        want = verify.expected(
            ops,
            kube_proxy=a.kube_proxy,
            calico_version=a.calico_version,
            vpc_cidr=a.vpc_cidr,
            outputs=outputs,
        )
        demo_url = None if a.skip_client_ip else a.demo_url or outputs.get("demoUrl")
        return verify.run(
            ops, want=want, demo_url=demo_url, note=lambda line: print(line, file=sys.stderr)
        )
    return _bench_command(a, ops)
