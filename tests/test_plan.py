"""The offline plan: every stack file plans, identities are stable, the CLI writes what it says.

Golden URN inventories live in tests/golden/<stack>.urns: every resource the program registers plus
every object rendered from a vendored Helm chart (children of their Chart, named as the provider
names them), so a chart upgrade that renames or drops an object shows up there. After an intended identity change,
regenerate them with `UPDATE_GOLDEN=1 pytest tests/test_plan.py` and review the diff (a changed
URN means Pulumi would replace the resource).
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from components.testing.charts import CHART_TYPE, mask_generated_certificates
from components.testing.plan import STACKS_DIR, PlanError, render_tree, stack_config
from tests.conftest import ROOT, planned

STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS_DIR.glob("Pulumi.*.yaml")
)
GOLDEN = ROOT / "tests" / "golden"


def test_there_are_dev_and_bench_stacks():
    assert {"dev", "bench"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_and_matches_its_golden_urns(stack):
    result = planned(stack)
    urns = "\n".join(result.urns()) + "\n"
    golden = GOLDEN / f"{stack}.urns"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(urns)
    assert urns == golden.read_text()


@pytest.mark.parametrize("stack", STACKS)
def test_every_child_has_a_parent_and_a_name_from_it(stack):
    result = planned(stack)
    stack_root = (
        f"urn:pulumi:{stack}::eks-calico-ebpf::pulumi:pulumi:Stack::eks-calico-ebpf-{stack}"
    )
    by_urn = {r.urn: r for r in result.resources}
    for r in result.resources:
        assert r.parent is not None, r.urn
        if r.parent == stack_root:
            assert r.type.startswith("eks-calico-ebpf:index:"), f"{r.urn} is not inside a component"
        elif by_urn[r.parent].type == CHART_TYPE:
            # The provider names chart children `<chart name>:[<namespace>/]<name>`.
            assert r.name.startswith(by_urn[r.parent].name + ":"), r.urn
        else:
            parent = by_urn[r.parent]
            assert r.name == parent.name or r.name.startswith(parent.name + "-"), r.urn


def test_stack_config_overrides_parse_json_and_default_namespace():
    config = stack_config(
        "dev",
        [
            "dataplane=iptables",
            'availabilityZones=["us-west-2a","us-west-2c"]',
            "demoApp=true",
            "aws:region=us-east-1",
        ],
    )
    assert config["eks-calico-ebpf:dataplane"] == "iptables"
    assert config["eks-calico-ebpf:availabilityZones"] == ["us-west-2a", "us-west-2c"]
    assert config["eks-calico-ebpf:demoApp"] is True
    assert config["aws:region"] == "us-east-1"


@pytest.mark.parametrize(
    ("stack", "overrides", "message"),
    [
        ("nope", [], "no stack file stacks/Pulumi.nope.yaml"),
        ("dev", ["novalue"], "expected KEY=VALUE"),
    ],
)
def test_plan_argument_errors(stack, overrides, message):
    with pytest.raises(PlanError, match=message):
        stack_config(stack, overrides)


def test_cli_writes_json_and_manifests(tmp_path):
    out = tmp_path / "plan.json"
    manifests = tmp_path / "manifests"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "components.plan",
            "--stack",
            "dev",
            "--json",
            str(out),
            "--manifests",
            str(manifests),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "+ eks-calico-ebpf:index:EksCluster eks" in proc.stdout
    assert "+ eks:index:Cluster eks" in proc.stdout
    document = json.loads(out.read_text())
    assert document["stack"] == "dev"
    expected = planned("dev").as_json()["resources"]
    # Each process renders the LBC chart's webhook certificate afresh (documented in charts.py).
    for r in [*document["resources"], *expected]:
        r["inputs"] = mask_generated_certificates(r["inputs"])
    assert document["resources"] == json.loads(json.dumps(expected))
    for r in document["resources"]:
        assert set(r) == {
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "inputs",
            "dependencies",
            "options",
        }
    written = sorted(p.name for p in manifests.glob("*.yaml"))
    for name in written:
        obj = yaml.load((manifests / name).read_text(), Loader=yaml.CSafeLoader)
        assert obj["apiVersion"]
        assert obj["kind"]


def test_secret_outputs_are_known_and_hidden_in_the_tree():
    result = planned("dev")
    assert result.secret_outputs == {"kubeconfig"}
    tree = render_tree(result)
    assert "    kubeconfig: [secret]" in tree
    assert "get-token" not in tree
