"""DemoApp: restricted namespace, our nginx config, hardened Deployment spread over nodes, PDB."""

import hashlib
import re
from collections import Counter
from functools import cache

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.exposure.demo_app import (
    DemoApp,
    DemoAppArgs,
    config_checksum,
    render_config_map,
    render_deployment,
    render_namespace,
    render_nginx_conf,
    render_pdb,
    validate_demo_args,
)
from components.testing.mock_engine import run_program

CONFIG = {"aws:region": "us-west-2"}
K8S = "1.35"
COMPONENT = "eks-calico-ebpf:index:DemoApp"
NAMESPACE = "kubernetes:core/v1:Namespace"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SELECTOR = {"app.kubernetes.io/name": "echo"}
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
IMAGE = (
    "docker.io/library/nginx:1.30-alpine-slim"
    "@sha256:cc6010a6ce4e6262953eeaf61ee809fa9a59f4832609eb2dc92aec8e46a42653"
)


def _program(namespace="demo", replicas=2):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        before = k8s.core.v1.ConfigMap(
            "before",
            metadata={"name": "before", "namespace": "kube-system"},
            opts=pulumi.ResourceOptions(provider=provider),
        )
        app = DemoApp(
            "demo",
            DemoAppArgs(
                namespace=namespace, replicas=replicas, provider=provider, wait_for=[before]
            ),
        )
        pulumi.export("namespace", app.namespace)
        pulumi.export("selector", app.selector)
        pulumi.export("targetPort", app.target_port)

    return program


@cache
def _plan(**kwargs):
    return run_program("dev", CONFIG, program=_program(**kwargs))


def _container(deployment):
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_resources_exact_parented_and_ordered():
    result = _plan()
    assert Counter((r.type, r.name) for r in result.resources) == {
        ("pulumi:providers:kubernetes", "k8s"): 1,
        ("kubernetes:core/v1:ConfigMap", "before"): 1,
        (COMPONENT, "demo"): 1,
        (NAMESPACE, "demo-namespace"): 1,
        (CONFIG_MAP, "demo-config"): 1,
        (DEPLOYMENT, "demo-deployment"): 1,
        (PDB, "demo-pdb"): 1,
    }
    component = result.one(COMPONENT, "demo")
    assert sorted(r.name for r in result.resources if r.parent == component.urn) == [
        "demo-config",
        "demo-deployment",
        "demo-namespace",
        "demo-pdb",
    ]
    before = result.one("kubernetes:core/v1:ConfigMap", "before").urn
    namespace = result.one(NAMESPACE, "demo-namespace").urn
    assert before in result.one(NAMESPACE, "demo-namespace").dependencies
    for type_, name in (
        (CONFIG_MAP, "demo-config"),
        (DEPLOYMENT, "demo-deployment"),
        (PDB, "demo-pdb"),
    ):
        assert {before, namespace} <= set(result.one(type_, name).dependencies)
    config = result.one(CONFIG_MAP, "demo-config").urn
    assert config in result.one(DEPLOYMENT, "demo-deployment").dependencies


def test_outputs():
    assert _plan().outputs == {"namespace": "demo", "selector": SELECTOR, "targetPort": 8080}


def test_namespace_enforces_restricted_pod_security_pinned():
    ns = _plan().one(NAMESPACE, "demo-namespace").inputs
    assert ns == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "demo",
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "v1.35",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/audit-version": "v1.35",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": "v1.35",
            },
        },
    }


def test_deployment_runs_pinned_nginx_on_our_config_only_spread_over_nodes():
    deployment = _plan().one(DEPLOYMENT, "demo-deployment").inputs
    assert deployment == render_deployment("demo", 2)
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["selector"] == {"matchLabels": SELECTOR}
    assert spec["template"]["metadata"] == {
        "labels": SELECTOR,
        "annotations": {"eks-calico-ebpf/nginx-conf-sha256": config_checksum()},
    }
    container = _container(deployment)
    assert container["image"] == IMAGE
    assert re.fullmatch(r"[^:@]+:[^@]+@sha256:[0-9a-f]{64}", container["image"])
    # The image's entrypoint script is bypassed; nginx reads only the ConfigMap's file.
    assert container["command"] == ["nginx", "-e", "stderr", "-c", "/etc/nginx/echo/nginx.conf"]
    assert "args" not in container
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["volumeMounts"] == [
        {"name": "config", "mountPath": "/etc/nginx/echo", "readOnly": True},
        {"name": "scratch", "mountPath": "/tmp"},
    ]
    assert spec["template"]["spec"]["volumes"] == [
        {"name": "config", "configMap": {"name": "echo-nginx"}},
        {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}},
    ]
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert spread[0] == {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": SELECTOR},
    }
    assert spread[1]["topologyKey"] == "topology.kubernetes.io/zone"


def test_config_map_holds_the_rendered_nginx_conf():
    config = _plan().one(CONFIG_MAP, "demo-config").inputs
    assert config == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "echo-nginx", "namespace": "demo"},
        "data": {"nginx.conf": render_nginx_conf()},
    }
    assert config == render_config_map("demo")


def test_nginx_conf_serves_only_the_client_address_and_a_health_check():
    conf = render_nginx_conf()
    assert re.findall(r"location (.*?) \{", conf) == ["= /clientip", "= /healthz", "/"]
    assert re.findall(r"return (.*?);", conf) == [
        '200 "$remote_addr:$remote_port\\n"',
        '200 "ok\\n"',
        "404",
    ]
    assert "listen 8080 default_server;" in conf
    assert "pid /tmp/nginx.pid;" in conf
    # Nothing that proxies, resolves names, serves files or trusts client-supplied addresses.
    for word in ("proxy_pass", "resolver", "root ", "alias", "real_ip", "include", "user "):
        assert word not in conf
    assert len(re.findall(r"_temp_path /tmp/", conf)) == 5


def test_config_change_changes_the_pod_template():
    assert config_checksum() == hashlib.sha256(render_nginx_conf().encode()).hexdigest()
    assert render_nginx_conf(9090) != render_nginx_conf()


def test_deployment_hardened_for_the_restricted_profile():
    deployment = _plan().one(DEPLOYMENT, "demo-deployment").inputs
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = _container(deployment)
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"] == {
        "requests": {"cpu": "10m", "memory": "16Mi"},
        "limits": {"cpu": "200m", "memory": "64Mi"},
    }
    probe = {"httpGet": {"path": "/healthz", "port": "http"}}
    assert container["readinessProbe"] == {**probe, "periodSeconds": 5}
    assert container["livenessProbe"] == {**probe, "periodSeconds": 10, "failureThreshold": 3}
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 10}}}
    assert pod["terminationGracePeriodSeconds"] == 30


def test_pdb_keeps_one_pod():
    pdb = _plan().one(PDB, "demo-pdb").inputs
    assert pdb == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "echo", "namespace": "demo"},
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": SELECTOR},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def test_every_object_validates_and_matches_the_renders():
    result = _plan(namespace="echo-lab", replicas=3)
    rendered = {
        (NAMESPACE, "demo-namespace"): render_namespace("echo-lab", "1.35"),
        (CONFIG_MAP, "demo-config"): render_config_map("echo-lab"),
        (DEPLOYMENT, "demo-deployment"): render_deployment("echo-lab", 3),
        (PDB, "demo-pdb"): render_pdb("echo-lab"),
    }
    for (type_, name), obj in rendered.items():
        kubernetes_validate.validate(obj, K8S, strict=True)
        registered = result.one(type_, name).inputs
        kubernetes_validate.validate(registered, K8S, strict=True)
        assert registered == obj
    assert rendered[(DEPLOYMENT, "demo-deployment")]["spec"]["replicas"] == 3


def test_kubernetes_validate_would_catch_a_typo():
    bad = render_deployment("demo", 2)
    bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFs"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S, strict=True)


@pytest.mark.parametrize(
    ("namespace", "replicas", "message"),
    [
        ("default", 2, "namespace: 'default' is not allowed; use a dedicated namespace"),
        (
            "demo_app",
            2,
            "namespace: 'demo_app' is not a DNS-1123 label (1-63 chars of a-z, 0-9 and '-', starting and ending with a letter or digit)",
        ),
        ("demo", 1, "replicas: 1 is less than 2 (the PodDisruptionBudget keeps 1 pod available)"),
        (
            "demo",
            True,
            "replicas: True is less than 2 (the PodDisruptionBudget keeps 1 pod available)",
        ),
    ],
)
def test_bad_args_rejected_with_exact_message(namespace, replicas, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        validate_demo_args(namespace=namespace, replicas=replicas)


def test_constructor_rejects_bad_args():
    with pytest.raises(ValueError, match=r"^replicas: 1 is less than 2 "):
        _plan(replicas=1)
