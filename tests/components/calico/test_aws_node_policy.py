"""The ValidatingAdmissionPolicy that narrows aws-node's `patch pods` to one annotation: its
shape, its schema, and its CEL run (cel-python) on the updates aws-node makes and must not."""

import copy

import celpy
import kubernetes_validate
import pytest

from components.calico import _manifests as m
from tests.conftest import planned

K8S = "1.35"
ANNOTATION = "vpc.amazonaws.com/pod-ips"

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-0",
        "namespace": "shop",
        "labels": {"app": "web"},
        "annotations": {"team": "payments"},
        "finalizers": ["example.com/keep"],
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web"}],
    },
    "spec": {"containers": [{"name": "web", "image": "nginx"}], "nodeName": "ip-10-0-1-2"},
}


def _policy():
    return m.aws_node_annotation_only_policy("calico")


def _allowed(old, new, user=m.AWS_NODE_USER):
    """What the API server decides: match conditions, then every validation."""
    policy, _ = _policy()
    env = celpy.Environment()
    activation = celpy.json_to_cel(
        {"object": new, "oldObject": old, "request": {"userInfo": {"username": user}}}
    )
    for condition in policy["spec"]["matchConditions"]:
        if not env.program(env.compile(condition["expression"])).evaluate(activation):
            return True
    results = [
        env.program(env.compile(v["expression"])).evaluate(activation)
        for v in policy["spec"]["validations"]
    ]
    # A validation that does not yield a boolean is an error, which failurePolicy Fail denies.
    return all(isinstance(r, celpy.celtypes.BoolType) and bool(r) for r in results)


def _changed(**edits):
    new = copy.deepcopy(POD)
    for path, value in edits.items():
        *parents, leaf = path.split("__")
        node = new
        for p in parents:
            node = node[p]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return new


def test_policy_and_binding_exactly():
    policy, binding = _policy()
    spec = policy["spec"]
    assert policy["metadata"] == {"name": "calico-aws-node-pod-ips-only"}
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"] == {
        "resourceRules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["UPDATE"],
                "resources": ["pods"],
            }
        ]
    }
    assert spec["matchConditions"] == [
        {
            "name": "aws-node",
            "expression": "request.userInfo.username == 'system:serviceaccount:kube-system:aws-node'",
        }
    ]
    assert len(spec["validations"]) == 5
    assert all(v["reason"] == "Forbidden" for v in spec["validations"])
    assert binding == {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "calico-aws-node-pod-ips-only"},
        "spec": {"policyName": "calico-aws-node-pod-ips-only", "validationActions": ["Deny"]},
    }
    for obj in (policy, binding):
        kubernetes_validate.validate(obj, K8S, strict=True)


def test_aws_node_may_set_and_clear_the_pod_ips_annotation():
    with_ip = _changed(metadata__annotations={"team": "payments", ANNOTATION: "10.0.1.7"})
    assert _allowed(POD, with_ip)
    # CNI DEL: aws-node empties the value
    cleared = _changed(metadata__annotations={"team": "payments", ANNOTATION: ""})
    assert _allowed(with_ip, cleared)
    # a pod with no annotations at all
    bare = _changed(metadata__annotations=None)
    assert _allowed(bare, _changed(metadata__annotations={ANNOTATION: "10.0.1.8"}))


@pytest.mark.parametrize(
    "edit",
    [
        {"metadata__labels": {"app": "web", "role": "db"}},  # would change NetworkPolicy matches
        {"metadata__labels": None},
        {"metadata__annotations": {"team": "other", ANNOTATION: "10.0.1.7"}},
        {"metadata__annotations": {ANNOTATION: "10.0.1.7"}},  # drops an annotation
        {"metadata__annotations": {"team": "payments", "x": "y"}},  # adds another one
        {"metadata__finalizers": []},
        {"metadata__ownerReferences": None},
        {"spec__nodeName": "ip-10-0-9-9"},
        {"spec__containers": [{"name": "web", "image": "evil"}]},
    ],
)
def test_aws_node_may_change_nothing_else(edit):
    assert not _allowed(POD, _changed(**edit))


def test_other_users_are_not_matched():
    relabelled = _changed(metadata__labels={"app": "db"})
    assert _allowed(POD, relabelled, user="system:serviceaccount:kube-system:replicaset-controller")


def test_program_creates_the_policy_before_the_permission():
    result = planned("dev")
    vap = result.one(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        "calico-aws-node-pod-ips-only",
    )
    binding = result.one(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
        "calico-aws-node-pod-ips-only",
    )
    policy, expected_binding = _policy()
    assert vap.inputs == policy
    assert binding.inputs == expected_binding
    assert vap.urn in binding.dependencies
    grant = result.one(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "calico-aws-node"
    )
    assert binding.urn in grant.dependencies
