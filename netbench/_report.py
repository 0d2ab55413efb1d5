"""`report`: several results files (labels, A-B-A repeats pooled) → report.md, runs.csv, a chart.

Only valid runs enter the means; invalid ones are listed with their reasons. Percent changes are
against the baseline label with a seeded bootstrap 95% interval. Runs of one label are pooled
only when their preflight says they measured the same thing; each repeat of a label is also shown
on its own, with its drift against the first (the point of an A-B-A order).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from . import _results
from ._matrix import CASES
from ._stats import Change, mean_ci, pct_change, summary

REPORT = "report.md"
CHART = "cpu.png"


@dataclass(frozen=True)
class Cell:
    n: int
    client: float
    server: float
    total: float
    """Means over valid runs, vCPU."""
    sd: float
    lo: float
    hi: float
    """Percentile bootstrap 95% interval of the mean total: the table's and the chart's."""


def _pair(node_facts: Mapping[str, Any], key: str) -> str:
    client, server = node_facts["client"][key], node_facts["server"][key]
    return str(client) if client == server else f"{client} / {server}"


def _kube_proxy_state(kube_proxy: Mapping[str, Any]) -> str:
    if not kube_proxy["daemonset"]:
        return "no DaemonSet"
    if kube_proxy["ready"] > 0:
        return "running"
    return "DaemonSet with no pod ready"


def measured(document: Mapping[str, Any]) -> dict[str, str]:
    """What a run measured, from its preflight: runs pooled under one label must agree on all."""
    c = document["cluster"]
    return {
        "dataplane": str(c["dataplane"]),
        "kube-proxy": _kube_proxy_state(c["kube_proxy"]),
        "instance type": _pair(document["nodes"], "instance_type"),
        "kernel": _pair(document["nodes"], "kernel"),
        "OS image": _pair(document["nodes"], "os_image"),
        "iperf3": str(document["tool"]["iperf3"]),
    }


def check_poolable(documents: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValueError (one line naming the runs) when two runs of one label measured different
    things: pooled, their mean would describe neither."""
    first: dict[str, Mapping[str, Any]] = {}
    for d in documents:
        a = first.setdefault(d["label"], d)
        if a is d:
            continue
        have, want = measured(d), measured(a)
        differ = [f"{k} {want[k]!r} vs {have[k]!r}" for k in want if want[k] != have[k]]
        if differ:
            raise ValueError(
                f"runs {a['run_id']} and {d['run_id']} are both labelled {d['label']!r} but"
                f" measured different things ({'; '.join(differ)}); give them different labels"
            )


def _label_order(documents: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: list[str] = []
    for d in documents:
        if d["label"] not in seen:
            seen.append(d["label"])
    return seen


def totals(
    documents: Sequence[Mapping[str, Any]], label: str, case: str, basis: str
) -> tuple[list[float], list[float]]:
    """(client, server) vCPU of the valid runs; basis 'gross' or 'net'."""
    client: list[float] = []
    server: list[float] = []
    for d in documents:
        if d["label"] != label:
            continue
        for r in d["runs"]:
            if r["case"] == case and r["valid"]:
                client.append(r["cpu"]["client"][f"{basis}_vcpu"])
                server.append(r["cpu"]["server"][f"{basis}_vcpu"])
    return client, server


def cell(
    documents: Sequence[Mapping[str, Any]], label: str, case: str, basis: str, seed: int = 1
) -> Cell | None:
    client, server = totals(documents, label, case, basis)
    if not client:
        return None
    values = [c + s for c, s in zip(client, server, strict=True)]
    total = summary(values)
    lo, hi = mean_ci(values, seed=seed)
    return Cell(total.n, summary(client).mean, summary(server).mean, total.mean, total.sd, lo, hi)


def _fmt_cell(c: Cell | None) -> str:
    if c is None:
        return "no valid run"
    return f"{c.total:.2f} ({c.client:.2f} + {c.server:.2f}, n={c.n}) [{c.lo:.2f}, {c.hi:.2f}]"


def change(
    documents: Sequence[Mapping[str, Any]],
    *,
    base: str,
    other: str,
    case: str,
    basis: str,
    seed: int,
) -> Change | None:
    a = [c + s for c, s in zip(*totals(documents, base, case, basis), strict=True)]
    b = [c + s for c, s in zip(*totals(documents, other, case, basis), strict=True)]
    if not a or not b or min(a) <= 0:
        return None  # no run, or a baseline run at or below 0 vCPU: no percentage (pct_change)
    return pct_change(a, b, seed=seed)


def _fmt_change(ch: Change | None) -> str:
    if ch is None:
        return "n/a"
    note = "" if ch.significant else " (CI spans 0)"
    return f"{ch.pct:+.1f}% [{ch.lo:+.1f}, {ch.hi:+.1f}]{note}"


def _run_total(document: Mapping[str, Any], case: str, basis: str) -> list[float]:
    return [
        r["cpu"]["client"][f"{basis}_vcpu"] + r["cpu"]["server"][f"{basis}_vcpu"]
        for r in document["runs"]
        if r["case"] == case and r["valid"]
    ]


def drift(documents: Sequence[Mapping[str, Any]], seed: int = 1) -> list[str]:
    """Markdown lines: for every label run more than once (A-B-A), each run's own mean total per
    case and its change against the label's first run, with the same bootstrap interval."""
    lines: list[str] = []
    for label in _label_order(documents):
        runs = [d for d in documents if d["label"] == label]
        if len(runs) < 2:
            continue
        for basis in ("gross", "net"):
            head = ["case", *[f"run {d['run_id']}" for d in runs]]
            head += [f"{d['run_id']} vs {runs[0]['run_id']}" for d in runs[1:]]
            lines += ["", f"`{label}`, {basis} vCPU (client + server), each run on its own:", ""]
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + " --- |" * len(head))
            for case in CASES:
                values = [_run_total(d, case, basis) for d in runs]
                row = [case]
                row += [
                    f"{statistics.fmean(v):.2f} (n={len(v)})" if v else "no valid run"
                    for v in values
                ]
                for later in values[1:]:
                    first = values[0]
                    ok = first and later and min(first) > 0
                    row.append(_fmt_change(pct_change(first, later, seed=seed) if ok else None))
                lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown(
    documents: Sequence[Mapping[str, Any]], baseline: str | None = None, seed: int = 1
) -> str:
    check_poolable(documents)
    labels = _label_order(documents)
    base = baseline or labels[0]
    if base not in labels:
        raise ValueError(f"baseline {base!r} is not one of the labels: {', '.join(labels)}")
    others = [lab for lab in labels if lab != base]
    lines = ["# netbench report", ""]
    for d in documents:
        fixture = f" — FIXTURE: {d['fixture']}" if d.get("fixture") else ""
        c = d["cluster"]
        node = d["nodes"]["client"]
        p = d["params"]
        lines.append(
            f"- `{d['label']}` run {d['run_id']}{fixture}: dataplane {c['dataplane']},"
            f" kube-proxy ready {c['kube_proxy']['ready']}/{c['kube_proxy']['desired']},"
            f" {node['instance_type'] or 'unknown instance type'} x 2, {node['vcpus']} vCPU,"
            f" kernel {node['kernel']},"
            f" {node['os_image']}, {d['tool']['iperf3']}, MTU {c['pod_mtu']};"
            f" {p['streams']} streams x {p['rate_bps'] / p['streams'] / 1e9:.3f} Gbps,"
            f" {p['duration_s']} s (CPU window {p['window_s']} s), {p['reps']} reps;"
            f" idle {d['idle']['client_vcpu']:.2f} + {d['idle']['server_vcpu']:.2f} vCPU"
        )
    for basis, title in (
        ("gross", "vCPU, client + server (gross: what the nodes paid)"),
        ("net", "vCPU, client + server, idle subtracted (net)"),
    ):
        lines += ["", f"## {title}", ""]
        head = ["case", *[f"{lab} (n)" for lab in labels], *[f"{o} vs {base}" for o in others]]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + " --- |" * len(head))
        for case in CASES:
            row = [case]
            for lab in labels:
                row.append(_fmt_cell(cell(documents, lab, case, basis, seed)))
            for o in others:
                row.append(
                    _fmt_change(
                        change(documents, base=base, other=o, case=case, basis=basis, seed=seed)
                    )
                )
            lines.append("| " + " | ".join(row) + " |")
    invalid = [
        f"- `{d['label']}` {r['case']} rep {r['rep']}: {'; '.join(r['reasons'])}"
        for d in documents
        for r in d["runs"]
        if not r["valid"]
    ]
    repeats = drift(documents, seed)
    lines += ["", "## A-B-A repeats: drift between runs of one label"]
    lines += repeats or [
        "",
        "none: every label ran once (run the first configuration again at the end to see drift)",
    ]
    lines += ["", "## Invalid runs (not averaged)", "", *(invalid or ["none"])]
    lines += [
        "",
        "Percent change: (mean other - mean baseline) / mean baseline, 95% percentile bootstrap"
        f" (seed {seed}); negative = less CPU than `{base}`. Cells: mean total (client + server),"
        " then [95% percentile bootstrap interval of that mean], the interval the chart's error"
        " bars show. Drift: a later run of a label against its first run, the same way. n/a: no"
        " valid run, or a baseline run at or below 0 vCPU (possible net of idle), where a"
        " percentage means nothing."
        " The totals include iperf3's own CPU, the same in every configuration.",
        "",
        f"![client and server vCPU per case; error bar: 95% bootstrap CI of the mean]({CHART})",
        "",
    ]
    return "\n".join(lines)


def chart(documents: Sequence[Mapping[str, Any]], basis: str = "gross", seed: int = 1) -> Figure:
    """Grouped bars, one group per case, one stacked bar (client below server) per label; the
    error bar on the total is the table's 95% bootstrap interval of the mean."""
    labels = _label_order(documents)
    # The object API, no pyplot: no global figure state, PNG through Agg with no display.
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots()
    width = 0.8 / len(labels)
    for j, lab in enumerate(labels):
        cells = [cell(documents, lab, case, basis, seed) for case in CASES]
        xs = [i + j * width for i in range(len(CASES))]
        client = [c.client if c else 0.0 for c in cells]
        server = [c.server if c else 0.0 for c in cells]
        # Asymmetric: a bootstrap interval need not be centred on the mean.
        below = [c.total - c.lo if c else 0.0 for c in cells]
        above = [c.hi - c.total if c else 0.0 for c in cells]
        color = f"C{j}"  # one colour per configuration; the server part hatched
        ax.bar(xs, client, width, color=color, label=f"{lab} client")
        ax.bar(
            xs,
            server,
            width,
            bottom=client,
            color=color,
            alpha=0.55,
            hatch="//",
            label=f"{lab} server",
            yerr=[below, above],
            capsize=3,
        )
    ax.set_xticks([i + width * (len(labels) - 1) / 2 for i in range(len(CASES))], list(CASES))
    ax.set_ylabel(f"vCPU ({basis}), mean of valid runs")
    ax.set_title(
        "CPU to drive the target rate: client + server node\n"
        f"error bar: 95% bootstrap CI of the mean total (seed {seed}), as in report.md"
    )
    ax.legend(fontsize="small", ncols=2)
    fig.tight_layout()
    return fig


def write(
    directories: Sequence[Path], out: Path, baseline: str | None = None, seed: int = 1
) -> list[Path]:
    documents = [_results.load(d) for d in directories]
    check_poolable(documents)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT).write_text(markdown(documents, baseline, seed))
    _results.write_csv([row for d in documents for row in _results.csv_rows(d)], out / "runs.csv")
    fig = chart(documents, seed=seed)
    fig.savefig(out / CHART, dpi=100, metadata={"Software": None})
    return [out / REPORT, out / "runs.csv", out / CHART]
