"""The change plan's Helm chart rule (components.testing.diff): a chart's rendered objects are
created and deleted with the chart; they are left out only when the chart is on both sides and
one side could not expand it."""

from __future__ import annotations

import json
from collections import Counter

from components.testing.charts import CHART_TYPE, rendered_from_chart
from components.testing.diff import diff, render_diff
from components.testing.plan import main
from tests.conftest import planned

CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


def _children(result, chart_name):
    chart = result.one(CHART_TYPE, chart_name)
    return {r.urn: r for r in result.resources if r.parent == chart.urn}


def test_removing_calico_on_bench_deletes_every_object_of_the_operator_chart(tmp_path, capsys):
    out = tmp_path / "diff.json"
    # From iptables with kube-proxy running: the one state calico false is accepted from.
    argv = ["--stack", "bench", "--before", "dataplane=iptables", "--before", "kubeProxy=enabled"]
    argv += ["-c", "calico=false", "-c", "kubeProxy=enabled"]
    assert main([*argv, "--diff-json", str(out)]) == 0
    stdout = capsys.readouterr().out
    change = json.loads(out.read_text())
    operator = _children(
        planned("bench", "dataplane=iptables", "kubeProxy=enabled"), "calico-operator"
    )
    # tigera-operator v3.31.7 carries the Calico CRDs: removing the chart deletes all 32.
    deleted = Counter(operator[u].type for u in change["delete"] if u in operator)
    assert sum(deleted.values()) == 38
    assert deleted[CRD] == 32
    assert set(operator) <= set(change["delete"])
    assert change["create"] == []
    assert change["release"] == []
    assert change["notCompared"] == []
    assert len(change["delete"]) == 50  # 38 chart objects + 12 Calico resources of the program
    crd = next(
        u
        for u, r in operator.items()
        if r.inputs["metadata"]["name"] == "felixconfigurations.crd.projectcalico.org"
    )
    assert f"- delete  {crd}\n" in stdout
    assert stdout.endswith(
        "0 to create, 2 to update, 50 to delete, 0 to release\nwrote " + str(out) + "\n"
    )


def test_in_tree_load_balancing_deletes_every_lbc_chart_object_and_back_creates_them():
    chart = planned("dev")
    in_tree = planned("dev", "loadBalancerController=in-tree")
    lbc = _children(chart, "lbc-chart")
    assert len(lbc) == 20

    removed = diff(chart, in_tree)
    from_chart = [u for u in removed.delete if u in lbc]
    assert len(from_chart) == 20
    assert Counter(lbc[u].type for u in from_chart)[CRD] == 7
    assert len(removed.delete) == 25  # + the chart, the controller's IAM role, policy, attachment
    assert removed.create == []
    assert removed.release == []
    assert removed.not_compared == []

    added = diff(in_tree, chart)
    assert sorted(added.create) == sorted(removed.delete)
    assert added.delete == []


def test_a_chart_one_side_cannot_expand_has_its_objects_left_out_and_is_named():
    deployed = planned("dev", "calicoVersion=v3.31.5")  # tigera-operator v3.31.5: not vendored
    vendored = planned("dev")
    operator = deployed.one(CHART_TYPE, "calico-operator")
    assert _children(deployed, "calico-operator") == {}
    assert len(_children(vendored, "calico-operator")) == 38
    for before, after in ((deployed, vendored), (vendored, deployed)):
        change = diff(before, after)
        children = {**rendered_from_chart(before), **rendered_from_chart(after)}
        assert [u for u in change.create + change.delete if u in children] == []
        assert change.not_compared == [operator.urn]
        # The other chart on both sides, expanded on both: compared object by object.
        assert not any(u.urn in children for u in change.update)
        text = render_diff(change)
        assert (
            f"? chart   {operator.urn}  (objects not compared: chart version not vendored)"
            in text.splitlines()
        )


def test_a_chart_opaque_on_both_sides_is_named_only_when_its_inputs_differ():
    from dataclasses import replace

    old = planned("dev", "calicoVersion=v3.31.5")
    assert diff(old, old).not_compared == []
    assert render_diff(diff(old, old)) == "no changes"
    # v3.31.7 made opaque too (as with a --charts-dir without its archive): the version differs.
    new = planned("dev")
    operator = new.one(CHART_TYPE, "calico-operator")
    opaque = replace(new, resources=[r for r in new.resources if r.parent != operator.urn])
    change = diff(old, opaque)
    assert change.not_compared == [operator.urn]
    assert [u.urn for u in change.update if u.urn == operator.urn] == [operator.urn]
