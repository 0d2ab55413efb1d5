"""bench against a fake cluster: what it creates, in which order, what it measures, cleanup."""

import json
from datetime import UTC, datetime
from itertools import count

import pytest

from netbench import _results, bench
from netbench._matrix import Params
from tests.netbench.fakes import FakeCluster, iperf_doc, node

PARAMS = Params(reps=2, seed=3)
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
NS = "netbench-20261126t120000z"


def _run(fake, tmp_path, params=PARAMS, **kw):
    lines = []
    ticks = count(0, 70)
    doc = bench.run(
        fake,
        bench.Options(params=params, out=tmp_path, label="bpf", **kw),
        progress=lines.append,
        clock=lambda: float(next(ticks)),
        now=lambda: NOW,
    )
    return doc, lines


def test_full_run_measures_every_case_and_writes_results(tmp_path):
    fake = FakeCluster()
    doc, lines = _run(fake, tmp_path)
    assert len(doc["runs"]) == 8
    assert all(r["valid"] for r in doc["runs"])
    # Fake nodes: 4 CPUs, 250/1000 ticks busy in a run, 50/1000 idle → 1.0 and 0.2 vCPU.
    r = doc["runs"][0]
    assert r["cpu"]["client"]["gross_vcpu"] == pytest.approx(1.0)
    assert r["cpu"]["client"]["softirq"] == pytest.approx(1.0)
    assert r["cpu"]["client"]["net_vcpu"] == pytest.approx(0.8)
    assert r["total_gross_vcpu"] == pytest.approx(2.0)
    assert r["total_net_vcpu"] == pytest.approx(1.6)
    assert r["vcpu_per_gbps"] == pytest.approx(0.2)
    assert doc["idle"]["client_vcpu"] == pytest.approx(0.2)
    assert doc["params"]["udp_len"] == 8973
    assert doc["cluster"]["pod_mtu"] == 9001
    assert doc["tool"]["iperf3"] == "iperf 3.17.1 (cJSON 1.7.15)"
    assert doc["nodes"]["client"]["name"] == "ip-10-0-1-1"
    assert doc["nodes"]["server"]["name"] == "ip-10-0-1-2"
    _results.validate(json.loads((tmp_path / "results.json").read_text()))
    assert len((tmp_path / "runs.csv").read_text().splitlines()) == 9
    raw = sorted(p.name for p in (tmp_path / "raw").iterdir())
    assert len(raw) == 10  # 8 runs + idle before and after
    first = tmp_path / doc["runs"][0]["raw"]
    assert json.loads((first / "iperf3.json").read_text())["end"]
    assert (first / "command.txt").read_text().startswith("iperf3 -c ")
    # one line per case with an ETA measured from the clock, then the cleanup line
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 8
    assert progress[0].endswith("ETA 9m06s")  # 70 s per case so far x 7 left + 56 s idle
    assert progress[-1].endswith("ETA 0m56s")
    assert lines[-1] == f"deleted namespace {NS}"


def test_targets_pod_ip_for_pod2pod_and_cluster_ip_for_pod2svc(tmp_path):
    fake = FakeCluster()
    doc, _ = _run(fake, tmp_path, Params(reps=1, seed=1))
    clients = [a[2] for op, a in fake.calls if op == "exec" and a[2][:2] == ("iperf3", "-c")]
    by_case = {r["case"]: argv for r, argv in zip(doc["runs"], clients, strict=True)}
    assert by_case["pod2pod-tcp"][2] == "10.0.1.50"
    assert by_case["pod2svc-tcp"][2] == "172.20.7.7"
    assert by_case["pod2svc-udp"][-6:] == ("-J", "-u", "-l", "8973", "-w", "4M")
    assert "-u" not in by_case["pod2pod-tcp"]


def test_creates_in_order_and_deletes_its_namespace_last(tmp_path):
    fake = FakeCluster()
    _run(fake, tmp_path, Params(reps=1))
    created = [a for op, a in fake.calls if op == "create"]
    assert created[0] == ("Namespace", NS)
    assert fake.calls[-1] == ("delete_namespace", (NS,))
    assert fake.deleted == [NS]


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("exec stream closed")])
def test_failure_or_ctrl_c_mid_run_still_removes_the_namespace(tmp_path, error):
    runs = count()

    def fail(op, args):
        if op == "exec" and args[2][:2] == ("iperf3", "-c") and next(runs) == 2:
            return error
        return None

    fake = FakeCluster(fail_on=fail)
    with pytest.raises(type(error)):
        _run(fake, tmp_path)
    assert fake.deleted == [NS]
    assert not (tmp_path / "results.json").exists()


def test_failure_while_creating_still_removes_the_namespace(tmp_path):
    fake = FakeCluster(
        fail_on=lambda op, args: RuntimeError("quota") if args[:1] == ("Pod",) else None
    )
    with pytest.raises(RuntimeError, match="quota"):
        _run(fake, tmp_path)
    assert fake.deleted == [NS]


def test_slow_or_lossy_runs_are_kept_but_marked_invalid(tmp_path):
    def iperf(argv):
        if "-u" in argv:
            return iperf_doc("UDP", 10e9, lost_pct=2.5)
        return iperf_doc("TCP", 9.0e9)

    doc, lines = _run(FakeCluster(iperf=iperf), tmp_path, Params(reps=1))
    assert not any(r["valid"] for r in doc["runs"])
    udp = next(r for r in doc["runs"] if r["case"] == "pod2pod-udp")
    assert udp["reasons"] == ["UDP loss 2.50% > 1.0%"]
    tcp = next(r for r in doc["runs"] if r["case"] == "pod2pod-tcp")
    assert tcp["reasons"] == ["received 9.000 Gbps < 98% of 10.000 Gbps"]
    assert any("INVALID: UDP loss 2.50% > 1.0%" in line for line in lines)


def test_old_iperf_is_refused_for_parallel_streams(tmp_path):
    fake = FakeCluster(version="iperf 3.12 (cJSON 1.7.15)")
    with pytest.raises(bench.BenchError, match=r"iperf 3.12 .*3.16"):
        _run(fake, tmp_path)
    assert fake.deleted == [NS]
    doc, _ = _run(FakeCluster(version="iperf 3.12"), tmp_path, Params(reps=1), allow_old_iperf=True)
    assert doc["tool"]["iperf3"] == "iperf 3.12"


def test_preflight_records_what_the_cluster_reports(tmp_path):
    installation = {
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "computed": {"calicoNetwork": {"linuxDataplane": "BPF"}},
            "calicoVersion": "v3.31.7",
        }
    }
    felix = {"spec": {"bpfEnabled": True, "bpfExternalServiceMode": "Tunnel"}}
    doc, lines = _run(FakeCluster(installation=installation, felix=felix), tmp_path, Params(reps=1))
    assert doc["cluster"]["dataplane"] == "BPF"
    assert doc["cluster"]["installation_ready"] is True
    assert doc["cluster"]["felix"] == felix["spec"]
    assert doc["cluster"]["calico_version"] == "v3.31.7"
    assert "dataplane BPF" in lines[0]
    plain, _ = _run(FakeCluster(), tmp_path / "plain", Params(reps=1))
    assert (plain["cluster"]["calico"], plain["cluster"]["dataplane"]) == (False, "none")


@pytest.mark.parametrize(
    ("nodes", "kw", "message"),
    [
        ([node("a")], {}, "expected exactly 2 Ready benchmark nodes, found 1: a"),
        ([node("a"), node("b", zone="us-west-2b")], {}, "different zones"),
        ([node("a"), node("b"), node("c")], {}, "found 3"),
        ([node("a"), node("b", ready=False)], {}, "found 1"),
        ([node("a"), node("b")], {"client_node": "a"}, "give both"),
        ([node("a"), node("b")], {"client_node": "a", "server_node": "a"}, "different nodes"),
        ([node("a"), node("b")], {"client_node": "a", "server_node": "z"}, "not a Ready node"),
    ],
)
def test_node_choice_is_refused_before_anything_is_created(tmp_path, nodes, kw, message):
    fake = FakeCluster(nodes=nodes)
    with pytest.raises(bench.BenchError, match=message):
        _run(fake, tmp_path, **kw)
    assert fake.created == []


def test_override_picks_the_named_nodes(tmp_path):
    fake = FakeCluster(nodes=[node("a"), node("b"), node("c")])
    doc, _ = _run(fake, tmp_path, Params(reps=1), client_node="c", server_node="a")
    assert (doc["nodes"]["client"]["name"], doc["nodes"]["server"]["name"]) == ("c", "a")


def test_cleanup_does_not_wait_for_execs_still_running(tmp_path):
    """A failure while the samplers still run: the namespace goes first (which ends them on a
    real cluster), instead of waiting out a whole run for the worker threads."""
    import threading

    released = threading.Event()
    started = threading.Barrier(3, timeout=5)  # the client and both samplers are running
    seen = []

    class Hanging(FakeCluster):
        def exec(self, namespace, pod, command, timeout_s):
            argv = list(command)
            if argv[0] == "sh" and not argv[2].startswith("sleep 0;"):
                started.wait()
                seen.append(released.wait(timeout=5))  # a real sampler sleeps ~60 s
            if argv[:2] == ["iperf3", "-c"]:
                started.wait()
                raise RuntimeError("exec stream closed")
            return super().exec(namespace, pod, command, timeout_s)

        def delete_namespace(self, name):
            super().delete_namespace(name)
            released.set()

    fake = Hanging()
    with pytest.raises(RuntimeError, match="exec stream closed"):
        _run(fake, tmp_path)
    assert fake.deleted == [NS]
    released.wait(timeout=5)
    for _ in range(100):
        if len(seen) == 2:
            break
        threading.Event().wait(0.01)
    assert seen == [True, True]  # both samplers were released by the deletion, not a timeout


def test_schema_rejects_a_malformed_results_file(tmp_path):
    import jsonschema

    doc, _ = _run(FakeCluster(), tmp_path, Params(reps=1))
    doc["runs"][0]["case"] = "node2node-tcp"
    with pytest.raises(jsonschema.ValidationError, match="node2node-tcp"):
        _results.validate(doc)
    del doc["runs"][0]
    doc.pop("idle")
    with pytest.raises(jsonschema.ValidationError, match="'idle' is a required property"):
        _results.validate(doc)
