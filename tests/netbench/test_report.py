"""report and bench --dry-run from the command line, offline; the recorded fixture end to end.

fixtures/recorded/ is a FIXTURE made by tests/netbench/record_fixture.py: netbench's own bench
code run against loopback on a development machine. Its numbers are real measurements of that
machine, not of any cluster; every results file says so in its `fixture` field.
"""

import copy
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from netbench import _report, _results
from netbench._matrix import CASES
from netbench._stats import mean_ci
from tests.conftest import ROOT

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
LABELS = ("plain", "iptables", "bpf")
DIRS = [RECORDED / label for label in LABELS]


def _docs():
    return [json.loads((d / "results.json").read_text()) for d in DIRS]


def _mean(doc, case, role):
    return statistics.fmean(
        r["cpu"][role]["gross_vcpu"] for r in doc["runs"] if r["case"] == case and r["valid"]
    )


def test_recorded_fixture_is_schema_valid_and_marked():
    for d in _docs():
        _results.validate(d)
        assert "not cluster measurements" in d["fixture"]
        assert len(d["runs"]) == 8
        for r in d["runs"]:
            raw = RECORDED / d["label"] / r["raw"]
            assert json.loads((raw / "iperf3.json").read_text())["start"]["version"]
            assert (raw / "client-stat.txt").read_text().startswith("cpu ")


def test_report_cli_writes_table_csv_and_png(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "netbench", "report", *map(str, DIRS), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"wrote {tmp_path / 'report.md'}",
        f"wrote {tmp_path / 'runs.csv'}",
        f"wrote {tmp_path / 'cpu.png'}",
    ]
    report = (tmp_path / "report.md").read_text()
    assert report.count("FIXTURE: recorded on loopback") == 3
    docs = _docs()
    for case in CASES:
        plain = _mean(docs[0], case, "client") + _mean(docs[0], case, "server")
        n = sum(1 for r in docs[0]["runs"] if r["case"] == case and r["valid"])
        (row,) = [
            line for line in report.splitlines() if line.startswith(f"| {case} | {plain:.2f} (")
        ]
        assert f"n={n})" in row
        assert row.count("%") == 2  # iptables vs plain, bpf vs plain
    rows = list(csv.DictReader((tmp_path / "runs.csv").read_text().splitlines()))
    assert len(rows) == 24
    assert {r["label"] for r in rows} == set(LABELS)
    png = (tmp_path / "cpu.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_bars_are_the_client_and_server_means():
    docs = _docs()
    fig = _report.chart(docs)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    expected = []
    for doc in docs:
        expected += [_mean(doc, case, "client") for case in CASES]
        expected += [_mean(doc, case, "server") for case in CASES]
    assert heights == pytest.approx(expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CASES)


def test_percent_change_against_the_chosen_baseline():
    docs = _docs()
    md = _report.markdown(docs, baseline="bpf")
    assert "| case | plain (n) | iptables (n) | bpf (n) | plain vs bpf | iptables vs bpf |" in md
    with pytest.raises(ValueError, match="baseline 'nope'"):
        _report.markdown(docs, baseline="nope")


def test_invalid_runs_are_listed_not_averaged():
    doc = _docs()[2]
    doc["runs"][0]["valid"] = False
    doc["runs"][0]["reasons"] = ["UDP loss 2.00% > 1.0%"]
    md = _report.markdown([doc])
    case = doc["runs"][0]["case"]
    assert f"- `bpf` {case} rep {doc['runs'][0]['rep']}: UDP loss 2.00% > 1.0%" in md
    c = _report.cell([doc], "bpf", case, "gross")
    assert c is not None
    assert c.n == sum(1 for r in doc["runs"] if r["case"] == case) - 1


def test_report_of_a_missing_directory_is_one_line(tmp_path, capsys):
    from netbench.cli import main

    assert main(["report", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ")


def test_dry_run_prints_the_plan_without_a_cluster(capsys):
    from netbench.cli import main

    def no_cluster(kubeconfig):
        raise AssertionError("--dry-run must not touch a cluster")

    code = main(["bench", "--dry-run", "--reps", "5", "--seed", "1"], cluster=no_cluster)
    assert code == 0
    out = capsys.readouterr().out
    cases = [line for line in out.splitlines() if line.startswith("  ") and " rep " in line]
    assert len(cases) == 20
    assert "CPU window 56 s from second 7" in out
    assert "about 25 min 30 s" in out
    assert "iperf3 -c '<server pod IP | ClusterIP>' -p 5201 -t 60 -O 5 -P 4 -b 2500000000 -J" in out
    assert "-u -l '<pod MTU - 28>' -w 4M" in out
    assert out.count("kind: NetworkPolicy") == 3
    assert "@sha256:" in out


def test_dry_run_refuses_a_stream_over_the_per_flow_limit(capsys):
    from netbench.cli import main

    assert main(["bench", "--dry-run", "--streams", "1"]) == 2
    assert "per-flow limit" in capsys.readouterr().out


def _repeat(doc, run_id, scale):
    """Another run of the same label: a new run id, every CPU figure scaled by `scale`."""
    again = copy.deepcopy(doc)
    again["run_id"] = run_id
    for r in again["runs"]:
        for role in ("client", "server"):
            for basis in ("gross_vcpu", "net_vcpu"):
                r["cpu"][role][basis] *= scale
    return again


def test_chart_error_bars_are_the_tables_bootstrap_interval_not_the_sd():
    # A second bpf run at 1.5x: the pooled bpf runs spread, so an sd bar would differ visibly.
    docs = [*_docs(), _repeat(_docs()[2], "20991231T000000Z", 1.5)]
    fig = _report.chart(docs, seed=3)
    (ax,) = fig.axes
    assert "95% bootstrap CI of the mean total (seed 3)" in ax.get_title()
    bars = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    assert len(bars) == len(LABELS)  # one error-barred (server, top) bar set per label
    md = _report.markdown(docs, seed=3)
    for label, bar in zip(LABELS, bars, strict=True):
        (segments,) = [lc.get_segments() for lc in bar.errorbar.lines[2]]
        for case, seg in zip(CASES, segments, strict=True):
            values = [
                r["cpu"]["client"]["gross_vcpu"] + r["cpu"]["server"]["gross_vcpu"]
                for doc in docs
                if doc["label"] == label
                for r in doc["runs"]
                if r["case"] == case and r["valid"]
            ]
            if label == "bpf":
                assert seg[1][1] - seg[0][1] != pytest.approx(2 * statistics.stdev(values))
            lo, hi = mean_ci(values, seed=3)
            assert [y for _, y in seg] == pytest.approx([lo, hi])
            # ...and the table prints the same interval in that label's cell.
            assert f"n={len(values)}) [{lo:.2f}, {hi:.2f}]" in md


def test_a_repeated_label_is_pooled_and_each_run_shown_with_its_drift():
    plain, _, bpf = _docs()
    bpf2 = _repeat(bpf, "20991231T000000Z", 1.1)
    md = _report.markdown([plain, bpf, bpf2])
    assert "none: every label ran once" not in md
    head = f"| case | run {bpf['run_id']} | run 20991231T000000Z | 20991231T000000Z vs {bpf['run_id']} |"
    assert md.count(head) == 2  # gross and net
    for case in CASES:
        first = [
            r["cpu"]["client"]["gross_vcpu"] + r["cpu"]["server"]["gross_vcpu"]
            for r in bpf["runs"]
            if r["case"] == case and r["valid"]
        ]
        m1, m2 = statistics.fmean(first), statistics.fmean(first) * 1.1
        row = f"| {case} | {m1:.2f} (n={len(first)}) | {m2:.2f} (n={len(first)}) | +10.0% ["
        assert row in md
        # The main table pools both runs: twice the runs under one `bpf` column.
        assert f"n={2 * len(first)}) [" in md
    alone = _report.markdown([plain, bpf])
    assert (
        "none: every label ran once (run the first configuration again at the end to see drift)"
        in alone
    )


def test_runs_of_one_label_that_measured_different_things_are_refused(tmp_path, capsys):
    from netbench.cli import main

    _, _, bpf = _docs()
    other = _repeat(bpf, "20991231T000000Z", 1.0)
    other["cluster"]["dataplane"] = "Iptables"
    other["cluster"]["kube_proxy"] = {"daemonset": True, "desired": 2, "ready": 2}
    other["tool"]["iperf3"] = "iperf 3.17.1"
    for node in other["nodes"].values():
        node["instance_type"] = "c5n.metal"
    message = (
        f"runs {bpf['run_id']} and 20991231T000000Z are both labelled 'bpf' but measured"
        f" different things (dataplane {bpf['cluster']['dataplane']!r} vs 'Iptables';"
        " kube-proxy 'no DaemonSet' vs 'running'; instance type 'None' vs 'c5n.metal';"
        f" iperf3 {bpf['tool']['iperf3']!r} vs 'iperf 3.17.1'); give them different labels"
    )
    with pytest.raises(ValueError, match="both labelled") as raised:
        _report.markdown([bpf, other])
    assert str(raised.value) == message
    for name, doc in (("a", bpf), ("b", other)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(doc))
    out = tmp_path / "report"
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {message}"]
    assert not out.exists()  # refused before anything is written
    # A kernel or Bottlerocket change on one node is also a different measurement.
    newer = _repeat(bpf, "20991231T000000Z", 1.0)
    newer["nodes"]["server"]["kernel"] = "6.12.1"
    newer["nodes"]["server"]["os_image"] = "Bottlerocket OS 1.40.0 (aws-k8s-1.33)"
    with pytest.raises(ValueError, match=r"kernel .* vs .* / 6\.12\.1'; OS image"):
        _report.markdown([bpf, newer])


def test_a_baseline_run_at_zero_gives_n_a_not_a_crash():
    plain, _, bpf = _docs()
    plain = copy.deepcopy(plain)
    case = plain["runs"][0]["case"]
    for role in ("client", "server"):
        plain["runs"][0]["cpu"][role]["gross_vcpu"] = 0.0
    assert (
        _report.change([plain, bpf], base="plain", other="bpf", case=case, basis="gross", seed=1)
        is None
    )
    row = next(
        line
        for line in _report.markdown([plain, bpf]).splitlines()
        if line.startswith(f"| {case} |")
    )
    assert row.endswith("| n/a |")
