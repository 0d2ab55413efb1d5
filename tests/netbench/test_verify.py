"""verify: one line per check, non-zero exit on any failure; the demo fetched over real HTTP."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from components.calico._manifests import felix_settled_spec
from components.options import KubeProxyMode
from netbench import verify
from netbench.cli import main
from tests.netbench.fakes import PARKED_KUBE_PROXY, FakeCluster

READY_BPF = {
    "status": {
        "calicoVersion": "v3.31.7",
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


def _verify(fake, url, capsys, *extra):
    """verify with what a user passes: the demo URL and the stack's VPC CIDR (the kube-proxy
    mode and Calico version come from the fake cluster)."""
    code = main(
        ["verify", "--demo-url", url, "--vpc-cidr", "10.0.0.0/16", *extra]
        if url
        else ["verify", "--skip-client-ip", *extra],
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


ENABLED_IPTABLES = {
    "spec": {"calicoNetwork": {"linuxDataplane": "Iptables"}},
    "status": {
        **READY_BPF["status"],
        "computed": {"calicoNetwork": {"linuxDataplane": "Iptables"}},
    },
}
FELIX_ENABLED = {"spec": felix_settled_spec(KubeProxyMode.ENABLED, "v3.31.7")}
RUNNING_KUBE_PROXY = {"spec": {"template": {"spec": {}}}, "status": {"numberReady": 2}}


def test_the_mode_and_version_come_from_the_cluster(demo, capsys):
    """No --kube-proxy, no --calico-version: the DaemonSet and the Installation say."""
    cases = [
        (PARKED_KUBE_PROXY, READY_BPF, FELIX, "kube-proxy disabled (kube-proxy DaemonSet parked"),
        (None, READY_BPF, FELIX, "kube-proxy absent (no kube-proxy DaemonSet)"),
        (RUNNING_KUBE_PROXY, ENABLED_IPTABLES, FELIX_ENABLED, "kube-proxy enabled (kube-proxy Da"),
    ]
    for daemonset, installation, felix, source in cases:
        fake = FakeCluster(installation=installation, felix=felix, kube_proxy_daemonset=daemonset)
        argv = ["verify", "--demo-url", demo["url"], "--vpc-cidr", "10.0.0.0/16"]
        code = main(argv, cluster=lambda kubeconfig, fake=fake: fake)
        captured = capsys.readouterr()
        lines = captured.out.splitlines()
        assert code == 0, lines
        assert captured.err.startswith(f"verify expects: {source}")
        assert "PASS felix bpfKubeProxyIptablesCleanupEnabled: " in "\n".join(lines)
    assert lines == [
        "PASS installation: Ready=True, computed linuxDataplane=Iptables (want Iptables)",
        "PASS felix bpfExternalServiceMode: 'Tunnel' (want 'Tunnel')",
        "PASS felix bpfJITHardening: 'Auto' (want 'Auto')",
        "PASS felix bpfKubeProxyHealthzPort: 10258 (want 10258)",
        "PASS felix bpfKubeProxyIptablesCleanupEnabled: False (want False)",
        "PASS client ip: the pod saw 203.0.113.45, outside the VPC 10.0.0.0/16: kept",
    ]
    fake = FakeCluster(installation=READY_BPF, felix=FELIX, kube_proxy_daemonset=None)
    main(["verify", "--skip-client-ip"], cluster=lambda kubeconfig: fake)
    assert capsys.readouterr().err.splitlines() == [
        "verify expects: kube-proxy absent (no kube-proxy DaemonSet);"
        " Calico v3.31.7 (Installation status.calicoVersion); dataplane BPF (kube-proxy absent)"
    ]


def test_kube_proxy_enabled_with_iptables_expects_iptables_not_bpf(capsys):
    fake = FakeCluster(installation=ENABLED_IPTABLES, felix=FELIX_ENABLED, kube_proxy_pods=["kp"])
    code, lines = _verify(fake, None, capsys, "--kube-proxy", "enabled")
    assert code == 0
    assert (
        lines[0]
        == "PASS installation: Ready=True, computed linuxDataplane=Iptables (want Iptables)"
    )
    assert not [line for line in lines if "kube-proxy:" in line]  # kube-proxy may run
    # The same cluster asked for BPF (the stack says bpf) but running iptables fails.
    code, lines = _verify(
        FakeCluster(installation={**ENABLED_IPTABLES, "spec": {}}, felix=FELIX_ENABLED),
        None,
        capsys,
        "--kube-proxy",
        "enabled",
    )
    assert code == 0  # no dataplane in the spec: the operator's default, Iptables
    bpf_asked = {**ENABLED_IPTABLES, "spec": {"calicoNetwork": {"linuxDataplane": "BPF"}}}
    fake = FakeCluster(
        installation=bpf_asked, felix=FELIX_ENABLED, kube_proxy_daemonset=RUNNING_KUBE_PROXY
    )
    code, lines = _verify(fake, None, capsys)
    assert code == 1
    assert lines[0] == "FAIL installation: Ready=True, computed linuxDataplane=Iptables (want BPF)"


def test_the_stack_outputs_give_mode_dataplane_cidr_and_url(demo, tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "kubeProxy": "enabled",
                "calicoDataplane": "bpf",
                "vpcCidr": "10.42.0.0/16",
                "demoUrl": demo["url"],
                "clusterName": "eks-calico-ebpf-bench",
            }
        )
    )
    demo["reply"] = "10.42.3.4:5555"
    installation = {**READY_BPF, "spec": {"calicoNetwork": {"linuxDataplane": "Iptables"}}}
    fake = FakeCluster(installation=installation, felix=FELIX_ENABLED)  # DaemonSet: parked
    code = main(["verify", "--outputs", str(outputs)], cluster=lambda kubeconfig: fake)
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.splitlines() == [
        "verify expects: kube-proxy enabled (stack output kubeProxy);"
        " Calico v3.31.7 (Installation status.calicoVersion);"
        " dataplane BPF (stack output calicoDataplane); VPC 10.42.0.0/16 (stack output vpcCidr)"
    ]
    assert captured.out.splitlines() == [
        "PASS installation: Ready=True, computed linuxDataplane=BPF (want BPF)",
        "PASS felix bpfExternalServiceMode: 'Tunnel' (want 'Tunnel')",
        "PASS felix bpfJITHardening: 'Auto' (want 'Auto')",
        "PASS felix bpfKubeProxyHealthzPort: 10258 (want 10258)",
        "PASS felix bpfKubeProxyIptablesCleanupEnabled: False (want False)",
        "FAIL client ip: the pod saw 10.42.3.4, inside the VPC 10.42.0.0/16: SNATed",
    ]
    # Flags override the outputs.
    main(
        [
            "verify",
            "--outputs",
            str(outputs),
            "--kube-proxy",
            "disabled",
            "--vpc-cidr",
            "10.9.0.0/16",
        ],
        cluster=lambda kubeconfig: fake,
    )
    err = capsys.readouterr().err
    assert "kube-proxy disabled (--kube-proxy)" in err
    assert "VPC 10.9.0.0/16 (--vpc-cidr)" in err


def test_nothing_is_guessed(demo, tmp_path, capsys):
    """No VPC CIDR and no Calico version: the checks that need them fail, saying what to pass."""
    status = {k: v for k, v in READY_BPF["status"].items() if k != "calicoVersion"}
    fake = FakeCluster(installation={"status": status}, felix=FELIX)
    code = main(["verify", "--demo-url", demo["url"]], cluster=lambda kubeconfig: fake)
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        "PASS installation: Ready=True, computed linuxDataplane=BPF",
        "PASS kube-proxy: 0 pod(s) running",
        "FAIL felix: Calico version unknown (no Installation status.calicoVersion): --calico-version",
        "FAIL client ip: the VPC CIDR is unknown: pass --outputs (with vpcCidr) or --vpc-cidr",
    ]
    assert main(["verify"], cluster=lambda kubeconfig: fake) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: give --demo-url, --outputs with demoUrl (a stack with demoApp), or --skip-client-ip"
    ]
    bad = tmp_path / "outputs.json"
    bad.write_text('{"kubeProxy": "off"}')
    assert main(["verify", "--outputs", str(bad)], cluster=lambda kubeconfig: fake) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: --outputs {bad}: kubeProxy 'off' is not a kube-proxy mode"
    ]
