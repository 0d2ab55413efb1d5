"""Charts expanded as the provider expands them, and the whole plan validated as one cluster.

Over every stack and both Calico lines: component objects plus the objects rendered from the
vendored charts share no kind/namespace/name, every built-in object passes kubernetes-validate
(strict) for the cluster's Kubernetes version, every custom resource passes its CRD's schema
(the CRDs come from the same plan), and every chart value a component passes exists in the
chart's values.yaml.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components import defaults
from components.testing.charts import (
    CHART_TYPE,
    ChartRef,
    _load,
    crd_scopes,
    group_of,
    is_namespaced,
    mask_generated_certificates,
)
from components.testing.mock_engine import PlanResult, Registration
from components.testing.plan import is_patch, kubernetes_registrations, whole_numbers
from components.testing.upstream import archive_files, chart_archive, chart_values
from tests.components.calico.schemas import _strict
from tests.conftest import planned

VARIANTS = [
    ("dev",),
    ("bench",),
    ("dev", "calicoVersion=v3.32.1"),
]
IDS = ["dev", "bench", "dev-v3.32.1"]
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


def children_of(result: PlanResult, chart_name: str) -> list[Registration]:
    chart = result.one(CHART_TYPE, chart_name)
    return sorted((r for r in result.resources if r.parent == chart.urn), key=lambda r: r.urn)


def kinds(children: list[Registration]) -> Counter[str]:
    return Counter(r.inputs["kind"] for r in children)


# --------------------------------------------------------------------------- expansion


def test_operator_chart_v3_31_children_exact():
    children = children_of(planned("dev"), "calico-operator")
    assert kinds(children) == {
        "CustomResourceDefinition": 32,
        "Deployment": 1,
        "ServiceAccount": 1,
        "ClusterRole": 2,
        "ClusterRoleBinding": 1,
        "RoleBinding": 1,
    }
    deployment = next(r for r in children if r.inputs["kind"] == "Deployment")
    assert deployment.type == "kubernetes:apps/v1:Deployment"
    assert deployment.name == "calico-operator:tigera-operator/tigera-operator"
    assert deployment.urn == (
        "urn:pulumi:dev::eks-calico-ebpf::eks-calico-ebpf:index:CalicoEbpf"
        "$kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment"
        "::calico-operator:tigera-operator/tigera-operator"
    )
    assert deployment.custom is True
    assert deployment.dependencies == ()
    # The chart's DNS value reached the Deployment.
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["dnsConfig"]["nameservers"] == ["169.254.169.253"]
    crd = next(r for r in children if r.type == CRD)
    assert ":" in crd.name
    assert "/" not in crd.name


def test_v3_32_operator_has_no_crds_and_the_crd_chart_has_them():
    result = planned("dev", "calicoVersion=v3.32.1")
    operator = children_of(result, "calico-operator")
    assert "CustomResourceDefinition" not in kinds(operator)
    assert kinds(operator)["Deployment"] == 1
    crds = children_of(result, "calico-crds")
    assert kinds(crds) == {"CustomResourceDefinition": 32}
    names = {r.inputs["metadata"]["name"] for r in crds}
    assert {"installations.operator.tigera.io", "felixconfigurations.crd.projectcalico.org"} <= (
        names
    )


def test_lbc_chart_children_exact():
    children = children_of(planned("dev"), "lbc-chart")
    assert sorted((r.type, r.name) for r in children if r.type != CRD) == [
        (
            "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
            "lbc-chart:aws-load-balancer-webhook",
        ),
        (
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
            "lbc-chart:aws-load-balancer-webhook",
        ),
        ("kubernetes:apps/v1:Deployment", "lbc-chart:kube-system/aws-load-balancer-controller"),
        ("kubernetes:core/v1:Secret", "lbc-chart:kube-system/aws-load-balancer-tls"),
        ("kubernetes:core/v1:Service", "lbc-chart:kube-system/aws-load-balancer-webhook-service"),
        ("kubernetes:core/v1:ServiceAccount", "lbc-chart:kube-system/aws-load-balancer-controller"),
        # Rendered inside a `kind: List`: expanded into its items, as the provider does. The
        # IngressClassParams CRD (cluster-scoped) comes with the chart, so no namespace.
        ("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams", "lbc-chart:alb"),
        ("kubernetes:networking.k8s.io/v1:IngressClass", "lbc-chart:alb"),
        (
            "kubernetes:policy/v1:PodDisruptionBudget",
            "lbc-chart:kube-system/aws-load-balancer-controller",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "lbc-chart:aws-load-balancer-controller-role",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "lbc-chart:aws-load-balancer-controller-rolebinding",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "lbc-chart:kube-system/aws-load-balancer-controller-leader-election-role",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "lbc-chart:kube-system/aws-load-balancer-controller-leader-election-rolebinding",
        ),
    ]
    # The component's values reached the objects.
    deployment = next(r for r in children if r.inputs["kind"] == "Deployment").inputs
    assert deployment["spec"]["replicas"] == 2
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--cluster-name=eks-calico-ebpf-dev" in args
    # Sizing and hardening reached the pod (checkov_baseline.yaml no longer lists them).
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    [container] = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }
    assert container["resources"] == {
        "limits": {"cpu": "200m", "memory": "500Mi"},
        "requests": {"cpu": "100m", "memory": "200Mi"},
    }
    # crds/crds.yaml and crds/gateway-crds.yaml, installed because skipCrds is not set.
    assert sorted(r.inputs["metadata"]["name"] for r in children if r.type == CRD) == [
        "albtargetcontrolconfigs.elbv2.k8s.aws",
        "globalaccelerators.aga.k8s.aws",
        "ingressclassparams.elbv2.k8s.aws",
        "listenerruleconfigurations.gateway.k8s.aws",
        "loadbalancerconfigurations.gateway.k8s.aws",
        "targetgroupbindings.elbv2.k8s.aws",
        "targetgroupconfigurations.gateway.k8s.aws",
    ]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_no_hook_objects_and_no_uninstall_job(variant):
    result = planned(*variant)
    for r in kubernetes_registrations(result):
        annotations = r.inputs.get("metadata", {}).get("annotations") or {}
        assert "helm.sh/hook" not in annotations, r.urn
    # tigera-operator's pre-delete uninstall Job is a hook: never registered.
    assert not [r for r in result.resources if r.inputs.get("kind") == "Job"]


def test_an_unvendored_chart_version_stays_opaque_with_one_warning():
    result = planned("dev", "calicoVersion=v3.31.5")
    operator = result.one(CHART_TYPE, "calico-operator")
    assert [r for r in result.resources if r.parent == operator.urn] == []
    assert [w for w in result.warnings if "calico-operator" in w] == [
        "chart tigera-operator v3.31.5 (calico-operator) is not vendored in upstream/charts/: "
        "kept opaque, its objects are not in this plan"
    ]
    # The LBC chart is still expanded.
    assert children_of(result, "lbc-chart")


def test_namespace_defaulting_follows_scope():
    crds = crd_scopes(
        [
            {
                "kind": "CustomResourceDefinition",
                "spec": {"group": "example.com", "names": {"kind": "Thing"}, "scope": "Cluster"},
            }
        ]
    )
    assert is_namespaced({"apiVersion": "v1", "kind": "ConfigMap"}, crds) is True
    assert is_namespaced({"apiVersion": "v1", "kind": "Namespace"}, crds) is False
    assert is_namespaced({"apiVersion": "example.com/v1", "kind": "Thing"}, crds) is False
    assert is_namespaced({"apiVersion": "other.io/v1", "kind": "Thing"}, crds) is None


# --------------------------------------------------------------------------- stable renders


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_two_renders_are_identical_apart_from_the_generated_webhook_certificate(variant):
    result = planned(*variant)
    for chart in result.by_type(CHART_TYPE):
        ref = ChartRef.of(chart)
        archive = ref.archive()
        assert archive is not None
        first, second = (
            _load(archive).render(values=ref.values, name=ref.release, namespace=ref.namespace)
            for _ in range(2)
        )
        differing = sorted(path for path in first if first[path] != second[path])
        if ref.chart != "aws-load-balancer-controller":
            assert differing == [], chart.name
            continue
        # The only per-render material: the webhook certificate (charts.py documents it), in
        # the TLS Secret and the webhooks' caBundle; masked, the documents are identical.
        webhook = "aws-load-balancer-controller/templates/webhook.yaml"
        assert differing == [webhook]
        masked = [
            [mask_generated_certificates(d) for d in yaml.safe_load_all(text) if d]
            for text in (first[webhook], second[webhook])
        ]
        assert masked[0] == masked[1]
        assert [d for d in yaml.safe_load_all(first[webhook]) if d] != masked[0]


def test_lbc_keeps_its_webhook_certificate_through_lookup():
    values = planned("dev").one(CHART_TYPE, "lbc-chart").inputs["values"]
    assert values["keepTLSSecret"] is True
    assert "webhookTLS" not in values
    assert "enableCertManager" not in values


# --------------------------------------------------------------------------- whole-plan checks


def identity(r: Registration, scopes: dict[tuple[str, str], str]) -> tuple[str, str, str, str]:
    obj = r.inputs
    namespace = obj.get("metadata", {}).get("namespace") or ""
    if not namespace and is_namespaced(obj, scopes):
        namespace = "default"  # where the provider would put it
    group = group_of(str(obj["apiVersion"]))
    return group, str(obj["kind"]), namespace, str(obj["metadata"]["name"])


def duplicates(result: PlanResult) -> dict[tuple[str, str, str, str], list[str]]:
    whole = [r for r in kubernetes_registrations(result) if not is_patch(r)]
    scopes = crd_scopes(r.inputs for r in whole)
    seen: dict[tuple[str, str, str, str], list[str]] = {}
    for r in whole:
        seen.setdefault(identity(r, scopes), []).append(r.urn)
    return {k: v for k, v in seen.items() if len(v) > 1}


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_no_two_objects_share_kind_namespace_and_name(variant):
    assert duplicates(planned(*variant)) == {}


def test_duplicate_check_can_fail():
    result = planned("dev")
    deployment = next(
        r
        for r in result.resources
        if r.name == "calico-operator:tigera-operator/tigera-operator"
        and r.inputs["kind"] == "Deployment"
    )
    clash = Registration(
        urn=deployment.urn + "-again",
        type=deployment.type,
        name="other",
        parent=None,
        custom=True,
        inputs=deployment.inputs,
        dependencies=(),
    )
    doubled = PlanResult(stack="dev", resources=[*result.resources, clash], outputs={})
    assert list(duplicates(doubled)) == [
        ("apps", "Deployment", "tigera-operator", "tigera-operator")
    ]


def is_builtin(obj: dict[str, Any]) -> bool:
    group = group_of(str(obj["apiVersion"]))
    return "." not in group or group.endswith(".k8s.io")


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_every_builtin_object_passes_kubernetes_validate_strict(variant):
    result = planned(*variant)
    version = defaults.KUBERNETES_VERSION
    checked = 0
    for r in kubernetes_registrations(result):
        obj = whole_numbers(r.inputs)
        if is_patch(r) or not is_builtin(obj):
            continue
        checked += 1
        text = json.dumps(obj, sort_keys=True)
        if (version, text) not in _VALID:  # the same CRDs recur in every variant: check once
            kubernetes_validate.validate(obj, version, strict=True)
            _VALID.add((version, text))
    assert checked > 40


_VALID: set[tuple[str, str]] = set()


def crd_validators(result: PlanResult) -> dict[tuple[str, str, str], jsonschema.Draft7Validator]:
    """(group, version, kind) → strict validator, from the CRDs rendered in this very plan."""
    validators = {}
    for r in result.resources:
        if r.type != CRD:
            continue
        spec = r.inputs["spec"]
        for version in spec["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            key = (spec["group"], version["name"], spec["names"]["kind"])
            validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def without_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [without_required(v) for v in node]
    return node


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_every_custom_resource_passes_the_schema_of_its_crd_in_the_plan(variant):
    result = planned(*variant)
    validators = crd_validators(result)
    checked = []
    for r in kubernetes_registrations(result):
        obj = whole_numbers(r.inputs)
        if is_builtin(obj):
            continue
        group, _, version = str(obj["apiVersion"]).rpartition("/")
        key = (group, version, str(obj["kind"]))
        assert key in validators, f"{r.urn}: no CRD for {key} in the plan"
        validator = validators[key]
        if is_patch(r):
            # A patch carries only the fields it owns: required fields are not its business.
            validator = jsonschema.Draft7Validator(without_required(validator.schema))
        errors = [e.message for e in validator.iter_errors(obj)]
        assert errors == [], r.urn
        checked.append(obj["kind"])
    assert {"Installation", "APIServer", "FelixConfiguration", "IngressClassParams"} <= set(checked)


def unknown_values(
    given: Any, upstream: Any, path: str = "", verbatim: frozenset[str] = frozenset()
) -> list[str]:
    """Paths in `given` that the chart's values.yaml does not have. Below a key whose default
    is empty (`{}`, null: a free-form map such as annotations or tags) anything goes, and so it
    does below a `verbatim` path: one the templates copy whole into a Kubernetes object (such as
    `securityContext`), whose fields kubernetes-validate checks in the rendered object."""
    if not isinstance(given, dict) or not isinstance(upstream, dict) or not upstream:
        return []
    if path in verbatim:
        return []
    found = []
    for key, value in given.items():
        here = f"{path}.{key}" if path else key
        if key not in upstream:
            found.append(here)
        else:
            found.extend(unknown_values(value, upstream[key], here, verbatim))
    return found


def verbatim_values(archive: Path) -> frozenset[str]:
    """Value paths the chart's templates render whole: `toYaml .Values.<path>`."""
    return frozenset(
        m[1]
        for path, text in archive_files(archive).items()
        if path.startswith("templates/")
        for m in re.finditer(r"toYaml\s+\.Values\.([A-Za-z0-9_.]+)", text)
    )


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_every_chart_value_exists_in_the_charts_values_yaml_and_schema(variant):
    result = planned(*variant)
    for chart in result.by_type(CHART_TYPE):
        ref = ChartRef.of(chart)
        archive = ref.archive()
        assert archive is not None
        verbatim = verbatim_values(archive)
        assert unknown_values(ref.values, chart_values(archive), verbatim=verbatim) == [], (
            chart.name
        )
        schema = _load(archive).schema
        if schema is not None:
            merged = _load(archive).merge_values(ref.values)
            jsonschema.validate(merged, schema)


def test_a_misspelled_value_is_caught():
    archive = chart_archive("aws-load-balancer-controller", "3.5.0")
    assert archive is not None
    given = {"clusterName": "c", "keepTlsSecret": True, "serviceAccount": {"annotaions": {}}}
    assert unknown_values(given, chart_values(archive)) == [
        "keepTlsSecret",
        "serviceAccount.annotaions",
    ]
    # Free-form maps accept any key.
    assert unknown_values({"defaultTags": {"any": "x"}}, chart_values(archive)) == []
    # Below a value the templates copy whole, values.yaml is not the reference (capabilities is
    # only a comment there): kubernetes-validate checks the rendered object instead (below).
    verbatim = verbatim_values(archive)
    assert {"securityContext", "podSecurityContext", "resources"} <= verbatim
    assert "serviceAccount" not in verbatim
    given = {"securityContext": {"capabilities": {"drop": ["ALL"]}}, "securityContex": {}}
    assert unknown_values(given, chart_values(archive)) == [
        "securityContext.capabilities",
        "securityContex",
    ]
    assert unknown_values(given, chart_values(archive), verbatim=verbatim) == ["securityContex"]


def test_kubernetes_validate_catches_a_misspelled_field_in_a_verbatim_value():
    result = planned("dev")
    deployment = next(
        r.inputs for r in children_of(result, "lbc-chart") if r.inputs["kind"] == "Deployment"
    )
    kubernetes_validate.validate(deployment, defaults.KUBERNETES_VERSION, strict=True)
    broken = json.loads(json.dumps(deployment))
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["capabilites"] = container["securityContext"].pop("capabilities")
    with pytest.raises(kubernetes_validate.ValidationError, match="capabilites"):
        kubernetes_validate.validate(broken, defaults.KUBERNETES_VERSION, strict=True)


def test_which_vendored_charts_ship_a_values_schema():
    # None today: if an upgrade adds one, the values test above starts validating against it.
    for name, version in [
        ("tigera-operator", "v3.31.7"),
        ("tigera-operator", "v3.32.1"),
        ("crd.projectcalico.org.v1", "v3.32.1"),
        ("aws-load-balancer-controller", "3.5.0"),
    ]:
        archive = chart_archive(name, version)
        assert archive is not None
        assert _load(archive).schema is None, name
