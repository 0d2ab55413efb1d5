"""verify: one line per check, non-zero exit on any failure; the demo fetched over real HTTP."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from components.calico._manifests import felix_settled_spec
from components.options import KubeProxyMode
from netbench import verify
from netbench.cli import main
from tests.netbench.fakes import FakeCluster

READY_BPF = {
    "status": {
        "conditions": [{"type": "Ready", "status": "True"}],
        "computed": {"calicoNetwork": {"linuxDataplane": "BPF"}},
    }
}
FELIX = {"spec": {**felix_settled_spec(KubeProxyMode.DISABLED, "v3.31.7"), "bpfEnabled": True}}


@pytest.fixture
def demo():
    """A stand-in for the demo's /clientip on 127.0.0.1; set `reply` to what the pod saw."""
    state = {"reply": "203.0.113.45:53412"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = state["reply"].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/clientip"
    yield state
    server.shutdown()
    server.server_close()


def _verify(fake, url, capsys):
    code = main(
        ["verify", "--demo-url", url] if url else ["verify", "--skip-client-ip"],
        cluster=lambda kubeconfig: fake,
    )
    return code, capsys.readouterr().out.splitlines()


def test_a_healthy_bpf_cluster_passes_every_check(demo, capsys):
    code, lines = _verify(FakeCluster(installation=READY_BPF, felix=FELIX), demo["url"], capsys)
    assert code == 0
    assert lines == [
        "PASS installation: Ready=True, computed linuxDataplane=BPF",
        "PASS kube-proxy: 0 pod(s) running",
        "PASS felix bpfExternalServiceMode: 'Tunnel' (want 'Tunnel')",
        "PASS felix bpfJITHardening: 'Auto' (want 'Auto')",
        "PASS felix bpfKubeProxyHealthzPort: 10256 (want 10256)",
        "PASS felix bpfKubeProxyIptablesCleanupEnabled: True (want True)",
        "PASS client ip: the pod saw 203.0.113.45, outside the VPC 10.0.0.0/16: kept",
    ]


def test_snat_kube_proxy_and_iptables_each_fail_their_line(demo, capsys):
    demo["reply"] = "10.0.12.7:40000"
    iptables = {
        "status": {
            **READY_BPF["status"],
            "computed": {"calicoNetwork": {"linuxDataplane": "Iptables"}},
        }
    }
    felix = {"spec": {**FELIX["spec"], "bpfKubeProxyHealthzPort": 0}}
    fake = FakeCluster(installation=iptables, felix=felix, kube_proxy_pods=["kube-proxy-abc"])
    code, lines = _verify(fake, demo["url"], capsys)
    assert code == 1
    assert [line for line in lines if line.startswith("FAIL")] == [
        "FAIL installation: Ready=True, computed linuxDataplane=Iptables",
        "FAIL kube-proxy: 1 pod(s) running: kube-proxy-abc",
        "FAIL felix bpfKubeProxyHealthzPort: 0 (want 10256)",
        "FAIL client ip: the pod saw 10.0.12.7, inside the VPC 10.0.0.0/16: SNATed",
    ]


def test_no_calico_and_unreachable_demo_fail(capsys):
    code, lines = _verify(FakeCluster(), "http://127.0.0.1:9/clientip", capsys)
    assert code == 1
    assert lines[0] == "FAIL installation: no Installation 'default': Calico is not installed"
    assert lines[-1].startswith("FAIL client ip: fetching http://127.0.0.1:9/clientip failed")


def test_skipping_the_client_ip_is_said(capsys):
    code, lines = _verify(FakeCluster(installation=READY_BPF, felix=FELIX), None, capsys)
    assert code == 0
    assert lines[-1] == "SKIP client ip: --skip-client-ip given"


def test_a_reply_that_is_no_address_fails():
    check = verify.check_client_ip("http://x", "10.0.0.0/16", get=lambda url: "<html>")
    assert (check.ok, check.detail) == (False, "http://x answered '<html>', not an address")


def test_kubeconfig_reaches_the_client_and_defaults_to_the_environment(monkeypatch, capsys):
    seen = []

    def make(kubeconfig):
        seen.append(kubeconfig)
        return FakeCluster(installation=READY_BPF, felix=FELIX)

    main(["verify", "--skip-client-ip", "--kubeconfig", "/k/one"], cluster=make)
    monkeypatch.setenv("KUBECONFIG", "/k/env")
    main(["verify", "--skip-client-ip"], cluster=make)
    assert seen == ["/k/one", "/k/env"]
    capsys.readouterr()


def test_an_unreachable_cluster_is_one_line(tmp_path, capsys):
    """The real kr8s client against a kubeconfig naming a closed loopback port."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    assert main(["verify", "--skip-client-ip", "--kubeconfig", str(kubeconfig)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: cannot reach the cluster ({kubeconfig}): ")
