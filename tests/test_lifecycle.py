"""Day 2: destroy order, transitions refused before anything changes, what an update changes.

Everything here is read from the offline plan: dependencies and resource options as the program
registers them, and the diff between two plans (`components.testing.diff`).
"""

import json

import pulumi
import pytest
from pulumi.runtime.proto import alias_pb2, resource_pb2

from components.config import DEPLOYED_TAGS, caller_principal, parse_settings
from components.errors import ConfigError
from components.testing.charts import expand_charts, rendered_from_chart
from components.testing.diff import (
    deployed_clusters,
    deployed_versions,
    destroy_order,
    diff,
    needs_transitively,
    plan_change,
)
from components.testing.mock_engine import registered_options, run_program
from components.testing.plan import main as plan_main
from components.testing.plan import stack_config
from tests.conftest import planned

NAT = "aws:ec2/natGateway:NatGateway"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
RT = "aws:ec2/routeTable:RouteTable"
IGW = "aws:ec2/internetGateway:InternetGateway"
MNG = "eks:index:ManagedNodeGroup"
CHART = "kubernetes:helm.sh/v4:Chart"
ADDON = "aws:eks/addon:Addon"
SERVICE = "kubernetes:core/v1:Service"
KUBE_PROXY = "kubernetes:apps/v1:DaemonSetPatch"

ABSENT = ("kubeProxy=absent",)
IN_TREE = ("loadBalancerController=in-tree",)
IPTABLES = ("dataplane=iptables", "kubeProxy=enabled")
PLAIN = ("calico=false", "kubeProxy=enabled")
CALICO_COMPONENT = "eks-calico-ebpf:index:CalicoEbpf"


def _egress(result):
    """NAT gateways, the route tables and associations that route out, the internet gateway.
    The internal load-balancer subnets' route table (local route only) leads nowhere."""
    return [
        r.urn
        for t in (NAT, RTA, RT, IGW)
        for r in result.by_type(t)
        if not r.name.startswith("vpc-lb")
    ]


def _needs_egress_at_delete(result):
    """What calls AWS from the nodes, or is deleted by something that does, while it goes."""
    urns = [r.urn for r in result.by_type(MNG)]
    urns += [result.one("eks:index:Cluster", "eks").urn]
    urns += [r.urn for r in result.by_type(ADDON)]
    urns += [
        r.urn for r in result.by_type(SERVICE) if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    urns += [r.urn for r in result.by_type(CHART) if r.name == "lbc-chart"]
    return urns


# --------------------------------------------------------------------------- 1. teardown order


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [("dev", ()), ("dev", IN_TREE), ("dev", ABSENT), ("dev", IPTABLES), ("bench", ())],
)
def test_destroy_removes_everything_that_needs_egress_before_the_egress(stack, overrides):
    result = planned(stack, *overrides)
    order = destroy_order(result.resources)
    egress = _egress(result)
    waiting = _needs_egress_at_delete(result)
    assert len(egress) >= 7  # IGW, public RT, 2 public + 2 private associations, private RTs, NAT
    with_lbc = "loadBalancerController=in-tree" not in overrides
    assert any("lbc-chart" in u for u in waiting) is with_lbc
    assert sum(SERVICE in u for u in waiting) == 1
    assert sum("coredns" in u for u in waiting) == (1 if overrides == ABSENT else 0)
    for urn in waiting:
        assert set(egress) <= needs_transitively(result.resources, urn), urn
        assert all(order.index(urn) < order.index(e) for e in egress), urn


def test_destroy_order_lbc_service_before_chart_before_nodes_before_cluster():
    result = planned("dev")
    order = destroy_order(result.resources)
    service = next(r.urn for r in result.by_type(SERVICE) if r.name == "demo-nlb-service")
    chart = result.one(CHART, "lbc-chart").urn
    nodes = result.one(MNG, "nodes-dev").urn
    cluster = result.one("eks:index:Cluster", "eks").urn
    nat = result.one(NAT, "vpc-us-west-2a").urn
    positions = [order.index(u) for u in (service, chart, nodes, cluster, nat)]
    assert positions == sorted(positions)


def test_vpc_cni_addon_outlives_nothing_it_needs():
    """F12: the add-on waits for its policy attachment, so destroy removes the add-on (and
    aws-node's ENI clean-up) while aws-node still has EC2 permissions."""
    result = planned("dev")
    addon = result.one(ADDON, "eks-vpc-cni")
    attachment = result.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eks-vpc-cni")
    assert attachment.urn in addon.dependencies
    order = destroy_order(result.resources)
    assert order.index(addon.urn) < order.index(attachment.urn)


def test_destroy_order_is_reverse_dependency_order():
    result = planned("dev")
    order = destroy_order(result.resources)
    assert sorted(order) == result.urns()
    position = {urn: i for i, urn in enumerate(order)}
    for r in result.resources:
        for dep in r.dependencies:
            assert position[r.urn] < position[dep], (r.urn, dep)
        assert position[r.urn] < position.get(r.parent, len(order)), r.urn


def test_controllers_tag_what_they_create_with_the_stack_tags():
    """After an interrupted destroy, leftovers are found by these tags (README "Tear down")."""
    result = planned("dev")
    values = result.one(CHART, "lbc-chart").inputs["values"]
    assert values["defaultTags"] == {
        "project": "eks-calico-ebpf",
        "stack": "dev",
        "cluster": "eks-calico-ebpf-dev",
    }


# --------------------------------------------------------------------------- 2. absent completes


def test_absent_coredns_runs_in_parallel_with_the_installation():
    result = planned("dev", *ABSENT)
    coredns = result.one(ADDON, "coredns")
    installation = result.one(
        "kubernetes:operator.tigera.io/v1:Installation", "calico-installation"
    )
    assert installation.urn not in needs_transitively(result.resources, coredns.urn)
    assert coredns.urn not in needs_transitively(result.resources, installation.urn)
    assert coredns.options["customTimeouts"]["create"] == "30m"


# --------------------------------------------------------------------------- 5. replacements


def test_node_groups_are_named_by_prefix_so_replacements_create_first():
    for stack, group in (("dev", "dev"), ("bench", "bench")):
        inputs = planned(stack).one(MNG, f"nodes-{group}").inputs
        assert inputs["nodeGroupNamePrefix"] == f"{group}-"
        assert "nodeGroupName" not in inputs
    assert planned("dev").outputs["nodeGroupNamePrefixes"] == ["dev-"]


def test_release_version_pins_the_node_os():
    groups = json.dumps(
        {"dev": {"instanceTypes": ["c5n.xlarge"], "releaseVersion": "1.47.0-6154605b"}}
    )
    pinned = planned("dev", f"nodeGroups={groups}")
    assert pinned.one(MNG, "nodes-dev").inputs["releaseVersion"] == "1.47.0-6154605b"
    assert not any("releaseVersion" in w for w in pinned.warnings)
    assert [w for w in planned("dev").warnings if "releaseVersion" in w] == [
        "node group dev: releaseVersion is not set, so EKS takes the newest Bottlerocket release"
        " when the group is created and on every update of it; pin a tested one"
        " (README: Upgrades)"
    ]


# --------------------------------------------------------------------------- 7. preflight


def test_creator_listed_as_admin_is_refused_before_anything_is_created():
    config = stack_config(
        "dev", ['adminPrincipalArns=["arn:aws:iam::123456789012:role/ops/deployer"]']
    )
    with pytest.raises(pulumi.RunError) as info:
        run_program("dev", config)
    assert str(info.value).startswith(
        "eks-calico-ebpf:adminPrincipalArns: is the identity that creates the cluster"
    )


def test_other_admins_are_kept():
    arn = "arn:aws:iam::123456789012:role/PlatformAdmin"
    result = planned("dev", f'adminPrincipalArns=["{arn}"]')
    entries = result.one("eks:index:Cluster", "eks").inputs["accessEntries"]
    assert [e["principalArn"] for e in entries.values()] == [arn]


@pytest.mark.parametrize(
    ("caller", "principal"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/deployer/pulumi",
            "arn:aws:iam::123456789012:role/deployer",
        ),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
    ],
)
def test_caller_principal(caller, principal):
    assert caller_principal(caller) == principal


def test_cluster_records_what_it_deployed_in_its_tags():
    tags = planned("dev").one("eks:index:Cluster", "eks").inputs["clusterTags"]
    assert tags == {
        DEPLOYED_TAGS["calicoVersion"]: "v3.31.7",
        DEPLOYED_TAGS["kubeProxy"]: "disabled",
        DEPLOYED_TAGS["creator"]: "arn:aws:iam::123456789012:role/deployer",
        DEPLOYED_TAGS["dataplane"]: "bpf",
    }


def test_cluster_without_calico_records_no_calico_version():
    tags = planned("dev", *PLAIN).one("eks:index:Cluster", "eks").inputs["clusterTags"]
    assert tags == {
        DEPLOYED_TAGS["kubeProxy"]: "enabled",
        DEPLOYED_TAGS["creator"]: "arn:aws:iam::123456789012:role/deployer",
        DEPLOYED_TAGS["dataplane"]: "none",
    }


# --------------------------------------------------------------------------- 8. change plans


def _change(before=(), after=(), stack="dev"):
    """(before, after, diff) as `plan_change` computes them, with the cached "before" plan."""
    old = planned(stack, *before)
    new = expand_charts(
        run_program(
            stack,
            stack_config(stack, after),
            deployed=deployed_clusters(old),
            deployed_versions=deployed_versions(old),
        )
    )
    return old, new, diff(old, new)


def test_plan_change_is_what_the_tests_compute():
    config = stack_config("dev", ["calicoVersion=v3.31.5"])
    _, _, change = plan_change("dev", config, stack_config("dev"))
    assert change == _change(before=("calicoVersion=v3.31.5",))[2]


def _updates(change):
    return {u.urn.rsplit("::", 1)[1]: u.changed for u in change.update}


def test_rollback_to_iptables_updates_the_kube_proxy_patch_in_place():
    _, _, change = _change(after=IPTABLES)
    assert change.create == []
    # the two hand-over patches go at the end; the kube-proxy fields they held were taken over
    # by calico-felix, before kube-proxy came back
    assert [u.rsplit("::", 1)[1] for u in change.delete] == [
        "calico-felix-handover",
        "calico-felix-takeover",
    ]
    assert change.release == []
    updates = _updates(change)
    assert updates["calico-kube-proxy"] == ("spec",)  # the park selector is released, not deleted
    assert updates["calico-felix"] == ("spec",)
    assert updates["calico-installation"] == ("metadata", "spec")
    assert updates["eks"] == ("clusterTags",)
    assert updates["eks-vpc-cni"] == ("configurationValues",)  # CLUSTER_ENDPOINT no longer needed


def test_bench_pinning_the_node_os_updates_only_the_node_group():
    groups = {
        "bench": {
            "instanceTypes": ["c5n.metal"],
            "availabilityZones": ["us-west-2a"],
            "placementGroup": True,
            "labels": {"eks-calico-ebpf/role": "bench"},
            "releaseVersion": "1.47.0-6154605b",
        }
    }
    _, _, change = _change(after=(f"nodeGroups={json.dumps(groups)}",), stack="bench")
    assert change.create == []
    assert change.delete == []
    assert _updates(change) == {"nodes-bench": ("releaseVersion",)}


def test_calico_patch_upgrade_changes_the_chart_version_only():
    _, _, change = _change(before=("calicoVersion=v3.31.5",))
    assert change.create == []
    assert change.delete == []
    assert _updates(change) == {"calico-operator": ("version",), "eks": ("clusterTags",)}


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            ("calicoVersion=v3.31.7",),
            ("calicoVersion=v3.32.1",),
            "eks-calico-ebpf:calicoVersion: crosses the v3.32 CRD move from the deployed v3.31.7",
        ),
        (
            ("calicoVersion=v3.31.7",),
            ("calicoVersion=v3.31.5",),
            "eks-calico-ebpf:calicoVersion: is older than the deployed v3.31.7",
        ),
        (
            ("calicoVersion=v3.32.1",),
            ("calicoVersion=v3.31.7",),
            "eks-calico-ebpf:calicoVersion: is older than the deployed v3.32.1",
        ),
        (
            ("kubeProxy=disabled",),
            ABSENT,
            "eks-calico-ebpf:kubeProxy: cannot switch from the deployed disabled",
        ),
        (
            ABSENT,
            ("kubeProxy=disabled",),
            "eks-calico-ebpf:kubeProxy: cannot switch from the deployed absent",
        ),
        (ABSENT, IPTABLES, "eks-calico-ebpf:kubeProxy: cannot switch from the deployed absent"),
    ],
)
def test_refused_transitions_stop_before_any_resource(before, after, message):
    with pytest.raises(pulumi.RunError) as info:
        _change(before, after)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_allowed_transitions_patch_upgrade_and_kube_proxy_enabled_disabled_both_ways():
    """Each step check_transition lets through plans without a refusal, and changes exactly
    this. (No minor step is allowed within the vendored versions: v3.31 to v3.32 is refused.)"""
    # Same version, same mode: nothing to do.
    _, _, change = _change(before=("calicoVersion=v3.32.1",), after=("calicoVersion=v3.32.1",))
    assert change.is_empty()
    # A patch upgrade on a cluster without kube-proxy: the operator chart's version and the tag.
    _, _, change = _change(before=(*ABSENT, "calicoVersion=v3.31.5"), after=ABSENT)
    assert (change.create, change.delete, change.release) == ([], [], [])
    assert _updates(change) == {"calico-operator": ("version",), "eks": ("clusterTags",)}
    # kubeProxy enabled (iptables) -> disabled (eBPF): the hand-over patches are created.
    handover = {
        "calico-kube-proxy": ("spec",),
        "calico-felix": ("spec",),
        "calico-installation": ("metadata", "spec"),
        "eks-vpc-cni": ("configurationValues",),
        "eks": ("clusterTags",),
        "demo-nlb-service": ("spec",),
    }
    _, _, change = _change(before=IPTABLES, after=())
    assert "calico-kube-proxy" in _updates(change)
    assert [u.rsplit("::", 1)[1] for u in change.create] == [
        "calico-felix-handover",
        "calico-felix-takeover",
    ]
    assert (change.delete, change.release) == ([], [])
    assert _updates(change) == handover
    # ... and back: the same objects, deleted; the same inputs, changed back.
    _, _, change = _change(before=(), after=IPTABLES)
    assert change.create == []
    assert [u.rsplit("::", 1)[1] for u in change.delete] == [
        "calico-felix-handover",
        "calico-felix-takeover",
    ]
    assert _updates(change) == handover


def test_calico_off_straight_from_ebpf_is_refused():
    with pytest.raises(pulumi.RunError) as info:
        _change(before=(), after=PLAIN)
    assert str(info.value) == (
        "eks-calico-ebpf:calico: cannot remove Calico straight from the deployed dataplane bpf"
        " with kubeProxy disabled: Calico would be torn down before kube-proxy serves Services"
        " again (got false); accepted: first one `pulumi up` with dataplane iptables and"
        " kubeProxy enabled, then calico false"
    )


def test_calico_off_from_iptables_with_kube_proxy_deletes_every_calico_object():
    before, _, change = _change(before=IPTABLES, after=PLAIN)
    (component,) = before.by_type(CALICO_COMPONENT)
    calico = {component.urn}
    for r in sorted(before.resources, key=lambda r: r.urn.count("$")):
        if r.parent in calico:
            calico.add(r.urn)
    assert len(calico) > 10  # the component, its own children and the operator chart's objects
    # A chart that goes takes every object it rendered with it: all are listed as deletes.
    rendered = rendered_from_chart(before)
    assert {rendered[u].name for u in calico if u in rendered} == {"calico-operator"}
    assert sorted(change.delete) == sorted(calico)
    assert change.create == []
    assert change.release == []
    # and back: a cluster without Calico takes calico false again, and calico true
    _change(before=PLAIN, after=PLAIN)
    _, _, back = _change(before=PLAIN, after=())
    assert set(back.create) >= {component.urn}


def test_calico_off_after_calico_off_has_no_version_to_judge():
    # Nothing recorded a version: a later Calico of any supported release is a first install.
    _, after, _ = _change(before=PLAIN, after=("calicoVersion=v3.31.3",))
    assert (
        after.one("eks:index:Cluster", "eks").inputs["clusterTags"][DEPLOYED_TAGS["calicoVersion"]]
        == "v3.31.3"
    )


def test_instance_type_change_updates_the_node_group_under_its_name_prefix():
    groups = {
        "dev": {"instanceTypes": ["c5n.2xlarge"], "minSize": 2, "desiredSize": 2, "maxSize": 3}
    }
    _, after, change = _change(after=(f"nodeGroups={json.dumps(groups)}",))
    assert change.create == []
    assert change.delete == []
    assert _updates(change) == {"nodes-dev": ("instanceTypes",)}
    # instanceTypes forces a new EKS node group; with only a name prefix it is created first.
    assert after.one(MNG, "nodes-dev").inputs["nodeGroupNamePrefix"] == "dev-"


def test_removed_resources_are_deleted_or_released():
    before = planned("dev")
    after = planned("dev", "demoApp=false")
    change = diff(before, after)
    assert change.create == []
    assert change.release == []
    assert any(u.endswith("::demo-nlb-service") for u in change.delete)


def test_release_of_retained_resources():
    from dataclasses import replace

    before = planned("dev")
    service = next(r for r in before.resources if r.name == "demo-nlb-service")
    retained = replace(service, options={"retainOnDelete": True})
    before_retained = replace(
        before, resources=[retained if r is service else r for r in before.resources]
    )
    change = diff(before_retained, planned("dev", "demoApp=false"))
    assert change.release == [service.urn]
    assert service.urn not in change.delete


def test_deployed_clusters_carry_the_cluster_tags():
    clusters = deployed_clusters(planned("dev"))
    assert list(clusters) == ["eks-calico-ebpf-dev"]
    assert clusters["eks-calico-ebpf-dev"][DEPLOYED_TAGS["kubeProxy"]] == "disabled"
    assert clusters["eks-calico-ebpf-dev"]["stack"] == "dev"


def _cli(capsys, *args):
    """The plan's command line, in-process (the subprocess form is covered in test_plan.py)."""
    code = plan_main(["--stack", "dev", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_diff_json(tmp_path, capsys):
    out = tmp_path / "diff.json"
    code, stdout, stderr = _cli(
        capsys, "--before", "calicoVersion=v3.31.5", "--diff-json", str(out)
    )
    assert code == 0, stderr
    operator = "urn:pulumi:dev::eks-calico-ebpf::eks-calico-ebpf:index:CalicoEbpf$kubernetes:helm.sh/v4:Chart::calico-operator"
    assert f"~ update  {operator}  [version]" in stdout
    document = json.loads(out.read_text())
    assert document["create"] == []
    assert document["delete"] == []
    assert document["release"] == []
    assert {"urn": operator, "changed": ["version"]} in document["update"]


def test_cli_before_the_stack_file_as_it_is(capsys):
    code, stdout, _ = _cli(capsys, "--before", "", "-c", "calicoVersion=v3.31.7")
    assert code == 0
    assert stdout == "no changes\n"


def test_cli_refused_transition_is_one_line_and_non_zero(capsys):
    code, stdout, stderr = _cli(capsys, "--before", "kubeProxy=disabled", "-c", "kubeProxy=absent")
    assert code == 1
    (line,) = stderr.strip().splitlines()
    assert line.startswith(
        "error: eks-calico-ebpf:kubeProxy: cannot switch from the deployed disabled"
    )
    assert stdout == ""


# --------------------------------------------------------------------------- 9. options


def test_registered_options_reads_every_lifecycle_option():
    request = resource_pb2.RegisterResourceRequest(
        type="t:index:T",
        name="n",
        protect=True,
        retainOnDelete=True,
        deleteBeforeReplace=True,
        ignoreChanges=["spec", "metadata"],
        replaceOnChanges=["data"],
        customTimeouts=resource_pb2.RegisterResourceRequest.CustomTimeouts(
            create="5m", delete="1m"
        ),
        aliases=[
            alias_pb2.Alias(urn="urn:pulumi:s::p::t:index:T::old"),
            alias_pb2.Alias(spec=alias_pb2.Alias.Spec(name="older", noParent=True)),
        ],
    )
    assert registered_options(request) == {
        "protect": True,
        "retainOnDelete": True,
        "deleteBeforeReplace": True,
        "ignoreChanges": ["metadata", "spec"],
        "replaceOnChanges": ["data"],
        "customTimeouts": {"create": "5m", "delete": "1m"},
        "aliases": ["urn:pulumi:s::p::t:index:T::old", {"name": "older", "noParent": True}],
    }
    assert registered_options(resource_pb2.RegisterResourceRequest(type="t", name="n")) == {}


def test_plan_json_carries_options():
    resources = {(r["type"], r["name"]): r for r in planned("dev", *ABSENT).as_json()["resources"]}
    assert resources[ADDON, "coredns"]["options"] == {
        "customTimeouts": {"create": "30m", "update": "30m"}
    }
    assert resources["aws:ec2/vpc:Vpc", "vpc"]["options"] == {}


def test_private_only_endpoint_needs_the_inside_vpc_statement():
    raw = {"availabilityZones": '["us-west-2a", "us-west-2b"]'}
    with pytest.raises(ConfigError) as info:
        parse_settings(raw, region="us-west-2", stack="t")
    assert str(info.value) == (
        "eks-calico-ebpf:publicAccessCidrs: is empty (public API endpoint off), so a run from"
        " outside the VPC cannot reach the API to install its Kubernetes objects (Calico, the LBC,"
        " the demo) (got []); accepted: the networks"
        ' pulumi runs from, e.g. ["203.0.113.10/32"], or set deployInsideVpc: true when it runs'
        " inside the VPC"
    )
    settings = parse_settings({**raw, "deployInsideVpc": "true"}, region="us-west-2", stack="t")
    assert settings.public_access_cidrs == ()


@pytest.mark.parametrize("release", ["1.47.0", "v1.47.0-6154605b", "1.47.0-61546", "latest"])
def test_release_version_format_is_checked(release):
    groups = json.dumps({"g": {"instanceTypes": ["c5n.metal"], "releaseVersion": release}})
    raw = {"availabilityZones": '["us-west-2a", "us-west-2b"]', "deployInsideVpc": True}
    with pytest.raises(ConfigError, match=r"^eks-calico-ebpf:nodeGroups\.g\.releaseVersion: "):
        parse_settings({**raw, "nodeGroups": groups}, region="us-west-2", stack="t")


# --------------------------------------------------------------------------- 9. the live cluster


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            (),
            ("kubernetesVersion=1.34",),
            "eks-calico-ebpf:kubernetesVersion: is older than the deployed 1.35; EKS cannot"
            ' downgrade a cluster (got "1.34"); accepted: 1.35, or 1.36 (one minor version per'
            " update)",
        ),
        (
            ("kubernetesVersion=1.33",),
            (),
            "eks-calico-ebpf:kubernetesVersion: skips minor versions from the deployed 1.33; EKS"
            ' upgrades one minor version at a time (got "1.35"); accepted: 1.33, or 1.34 (one'
            " minor version per update)",
        ),
    ],
)
def test_kubernetes_downgrades_and_skipped_minors_are_refused(before, after, message):
    with pytest.raises(pulumi.RunError) as info:
        _change(before, after)
    assert str(info.value) == message


def test_kubernetes_one_minor_upgrade_updates_the_control_plane_and_nodes():
    _, _, change = _change(before=("kubernetesVersion=1.34",))
    assert change.create == change.delete == []
    assert _updates(change)["eks"] == ("version",)
    assert _updates(change)["nodes-dev"] == ("version",)


def test_deployed_versions_are_the_clusters_version_inputs():
    assert deployed_versions(planned("dev", "kubernetesVersion=1.33")) == {
        "eks-calico-ebpf-dev": "1.33"
    }


@pytest.mark.parametrize(
    "tags",
    [
        {"project": "eks-calico-ebpf", "stack": "prod"},
        {"project": "someone-else", "stack": "dev"},
        {},
    ],
)
def test_a_cluster_of_another_stack_is_refused_before_anything_else(tags):
    # The creator tag would make the admin check refuse; the owner check comes first.
    record = {**tags, DEPLOYED_TAGS["creator"]: "arn:aws:iam::123456789012:role/PlatformAdmin"}
    config = stack_config(
        "dev", ['adminPrincipalArns=["arn:aws:iam::123456789012:role/PlatformAdmin"]']
    )
    with pytest.raises(pulumi.RunError) as info:
        run_program("dev", config, deployed={"eks-calico-ebpf-dev": record})
    message = str(info.value)
    assert message.startswith(
        "eks-calico-ebpf:clusterName: a cluster named eks-calico-ebpf-dev exists and belongs to"
        " another stack"
    )
    assert "\n" not in message
