"""What a `pulumi up` from one configuration to another would do, offline.

    python -m components.plan --stack dev --before calicoVersion=v3.31.5 [-c ...] [--diff-json F]

"Before" is the stack file plus the `--before` overrides: the deployment as it is. It is planned
as a first deploy; "after" (the stack file plus `-c`) is then planned against the cluster
"before" left behind (its name, tags and Kubernetes version, which the program reads back through
`aws.eks.get_cluster`), so a transition the program refuses fails here exactly as it would in a
real `pulumi up`. The two registration sets are compared by URN, as the engine does: a URN only
after is a create, only before a delete (a release, when the resource was registered with
`retainOnDelete`: Pulumi forgets it and leaves it in place), in both with different inputs an
update, listing the top-level input keys that differ. A Helm chart's rendered objects count like
any other resource: a chart on one side only creates or deletes every object it renders; a chart
on both sides that one side could not expand (a version not vendored) has its objects left out
and is listed as not compared. Whether the provider turns an update into
a replacement is the provider's call and is not modelled; the changed keys say where to look.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .charts import CHART_TYPE, expand_charts, mask_generated_certificates, rendered_from_chart
from .mock_engine import PlanResult, Registration, run_program
from .upstream import CHARTS_DIR

CLUSTER_TYPE = "eks:index:Cluster"


@dataclass(frozen=True)
class Update:
    urn: str
    changed: tuple[str, ...]


@dataclass
class Diff:
    create: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    """Removed resources registered with `retainOnDelete`: dropped from state, not deleted."""
    update: list[Update] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)
    """Charts on both sides whose objects were left out (not vendored on one side or both) and
    may differ."""

    def as_json(self) -> dict[str, Any]:
        return {
            "create": self.create,
            "delete": self.delete,
            "release": self.release,
            "update": [{"urn": u.urn, "changed": list(u.changed)} for u in self.update],
            "notCompared": self.not_compared,
        }

    def is_empty(self) -> bool:
        return not (self.create or self.delete or self.release or self.update)


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)))


def _comparable(result: PlanResult, unknown: set[str]) -> dict[str, Registration]:
    """Registrations by URN, leaving out the objects of the charts in `unknown`."""
    children = rendered_from_chart(result)
    return {
        r.urn: r
        for r in result.resources
        if r.urn not in children or children[r.urn].urn not in unknown
    }


def _expanded_charts(result: PlanResult) -> set[str]:
    return {chart.urn for chart in rendered_from_chart(result).values()}


def unknown_charts(before: PlanResult, after: PlanResult) -> set[str]:
    """Charts whose objects cannot be compared: registered on both sides, but one side could not
    expand it (a version with no vendored archive stays opaque: its objects are unknown, not
    created or deleted). A chart on one side only is wholly created or deleted, every object
    with it, whether or not the other side could have expanded it."""
    in_both = {r.urn for r in before.by_type(CHART_TYPE)} & {
        r.urn for r in after.by_type(CHART_TYPE)
    }
    return in_both - (_expanded_charts(before) & _expanded_charts(after))


def diff(before: PlanResult, after: PlanResult) -> Diff:
    unknown = unknown_charts(before, after)
    old = _comparable(before, unknown)
    new = _comparable(after, unknown)
    # Named when it hides something: objects on one side, or inputs (version, values) that
    # differ; a chart opaque on both sides with the same inputs renders the same objects.
    hiding = {u for u in unknown if u in _expanded_charts(before) | _expanded_charts(after)}
    hiding |= {u for u in unknown if old[u].inputs != new[u].inputs}
    result = Diff(create=sorted(set(new) - set(old)), not_compared=sorted(hiding))
    for urn in sorted(set(old) - set(new)):
        # Each resource's own option, chart objects included: the provider does not pass a
        # Chart's retainOnDelete on to its objects (pulumi/pulumi-kubernetes#3065, won't fix;
        # the propagation PR #3078 was closed), so they show as deleted, the safe reading.
        retained = old[urn].options.get("retainOnDelete", False)
        (result.release if retained else result.delete).append(urn)
    for urn in sorted(set(old) & set(new)):
        # The LBC chart makes a new webhook certificate on every offline render; the live
        # provider keeps the one in the cluster (keepTLSSecret), so it is no change.
        keys = changed_keys(
            mask_generated_certificates(old[urn].inputs),
            mask_generated_certificates(new[urn].inputs),
        )
        if keys:
            result.update.append(Update(urn, keys))
    return result


def deployed_clusters(result: PlanResult) -> dict[str, dict[str, str]]:
    """The EKS clusters a deploy of `result` leaves behind: physical name -> tags, as
    `aws.eks.get_cluster` would return them (`tags` and `clusterTags` merged)."""
    clusters: dict[str, dict[str, str]] = {}
    for r in result.by_type(CLUSTER_TYPE):
        name = str(r.inputs.get("name") or r.name)
        clusters[name] = {**(r.inputs.get("tags") or {}), **(r.inputs.get("clusterTags") or {})}
    return clusters


def deployed_versions(result: PlanResult) -> dict[str, str]:
    """The Kubernetes version of each EKS cluster a deploy of `result` leaves behind, as
    `aws.eks.get_cluster` would return it (the cluster's `version` input)."""
    return {
        str(r.inputs.get("name") or r.name): str(r.inputs["version"])
        for r in result.by_type(CLUSTER_TYPE)
        if r.inputs.get("version")
    }


def plan_change(
    stack: str,
    before_config: Mapping[str, Any],
    after_config: Mapping[str, Any],
    program: str | os.PathLike[str] | None = None,
    charts_dir: Path = CHARTS_DIR,
) -> tuple[PlanResult, PlanResult, Diff]:
    """Plan `before_config` as deployed, then `after_config` against it; raises what the program
    raises (a `pulumi.RunError` for a refused transition). Charts expand from `charts_dir`."""
    # Chart children included: a chart version or values change shows as the objects it changes.
    before = expand_charts(run_program(stack, before_config, program), charts_dir)
    after = expand_charts(
        run_program(
            stack,
            after_config,
            program,
            deployed=deployed_clusters(before),
            deployed_versions=deployed_versions(before),
        ),
        charts_dir,
    )
    return before, after, diff(before, after)


def render_diff(d: Diff) -> str:
    if d.is_empty() and not d.not_compared:
        return "no changes"
    lines = []
    lines += [f"+ create  {urn}" for urn in d.create]
    lines += [f"~ update  {u.urn}  [{', '.join(u.changed)}]" for u in d.update]
    lines += [f"- delete  {urn}" for urn in d.delete]
    lines += [f"= release {urn}  (retainOnDelete: left in place)" for urn in d.release]
    lines += [
        f"? chart   {urn}  (objects not compared: chart version not vendored)"
        for urn in d.not_compared
    ]
    counts = (
        f"{len(d.create)} to create, {len(d.update)} to update, {len(d.delete)} to delete,"
        f" {len(d.release)} to release"
    )
    return "\n".join([*lines, counts])


# --------------------------------------------------------------------------- destroy order


def _edges(resources: Iterable[Registration]) -> dict[str, set[str]]:
    """urn -> what it needs to exist: its explicit and property dependencies and its parent
    (a parent outlives its children)."""
    registered = {r.urn for r in resources}
    needs: dict[str, set[str]] = defaultdict(set)
    for r in resources:
        needs[r.urn] |= {d for d in r.dependencies if d in registered}
        if r.parent in registered:
            needs[r.urn].add(r.parent)
    return needs


def needs_transitively(resources: Sequence[Registration], urn: str) -> set[str]:
    """Every URN `urn` depends on, directly or through others (and through its parents)."""
    needs = _edges(resources)
    seen: set[str] = set()
    stack = [urn]
    while stack:
        for dep in needs.get(stack.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def destroy_order(resources: Sequence[Registration]) -> list[str]:
    """The order `pulumi destroy` deletes in: nothing goes before everything that depends on it
    is gone (reverse dependency order). Resources in the same wave are sorted by URN; the engine
    runs a wave in parallel."""
    needs = _edges(resources)
    dependents: dict[str, int] = defaultdict(int)
    for deps in needs.values():
        for d in deps:
            dependents[d] += 1
    wave = sorted(r.urn for r in resources if dependents[r.urn] == 0)
    order: list[str] = []
    while wave:
        order += wave
        nxt = []
        for urn in wave:
            for d in needs.get(urn, ()):
                dependents[d] -= 1
                if dependents[d] == 0:
                    nxt.append(d)
        wave = sorted(nxt)
    if len(order) != len({r.urn for r in resources}):
        raise ValueError("dependency cycle: no destroy order")
    return order
