"""`EksCalicoCluster`, the cross-language facade, checked offline as the plugin serves it.

The schema is inferred the way `pulumi package add` infers it (Pulumi's analyzer, run here
without the CLI) and must equal the committed `provider/schema.json`; after an intended change,
regenerate it with `UPDATE_SCHEMA=1 pytest tests/test_eks_calico_cluster.py` and review the
diff. Construction goes through the provider's `construct` with inputs shaped as other
languages send them (camelCase, numbers as floats), under the project's mock engine.
"""

import json
import os
import traceback

import pulumi
import pytest
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from components import __version__
from components.config import KEYS, NODE_GROUP_KEYS, ConfigError, parse_settings
from components.eks_calico_cluster import TYPE, EksCalicoCluster, settings_from_args
from components.eks_calico_cluster import stack_config as stack_config_of
from components.errors import NAMESPACE
from components.options import KubeProxyMode
from components.testing.mock_engine import run_program
from components.testing.plan import stack_config
from tests.conftest import ROOT, planned

SCHEMA_FILE = ROOT / "provider" / "schema.json"
PROVIDER = ComponentProvider([EksCalicoCluster], NAMESPACE, None, __version__)
SCHEMA = json.loads(PROVIDER.schema)
RESOURCE = SCHEMA["resources"][TYPE]
STACK_ROOT = "urn:pulumi:dev::eks-calico-ebpf::pulumi:pulumi:Stack::eks-calico-ebpf-dev"
# The mock monitor prefixes a URN's type with its parent's type only (real Pulumi URNs carry
# the whole chain, without the stack's).
FACADE_URN = f"urn:pulumi:dev::eks-calico-ebpf::pulumi:pulumi:Stack${TYPE}::dev"


def test_committed_schema_matches_the_code():
    text = json.dumps(SCHEMA, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SCHEMA"):
        SCHEMA_FILE.write_text(text)
    assert SCHEMA_FILE.read_text() == text


def test_schema_names_the_package_and_version():
    assert SCHEMA["name"] == NAMESPACE
    assert SCHEMA["version"] == __version__
    assert list(SCHEMA["resources"]) == [TYPE]
    assert RESOURCE["isComponent"] is True


def test_every_config_key_is_an_input():
    # Another key in components/config.py KEYS needs a field in EksCalicoClusterArgs, named so
    # that Pulumi's camelCasing of it is the key.
    assert set(RESOURCE["inputProperties"]) == set(KEYS) | {"region", "tags"}
    assert sorted(RESOURCE["requiredInputs"]) == ["availabilityZones", "region"]
    group = SCHEMA["types"][f"{NAMESPACE}:index:NodeGroup"]
    assert set(group["properties"]) == set(NODE_GROUP_KEYS)
    assert group["required"] == ["instanceTypes"]


def test_inputs_are_plain_and_enums_are_the_config_choices():
    for name, prop in RESOURCE["inputProperties"].items():
        assert prop.get("plain") is True, f"{name}: the composition branches on it"
    enum = {
        t.rsplit(":", 1)[1]: [e["value"] for e in spec["enum"]]
        for t, spec in SCHEMA["types"].items()
        if "enum" in spec
    }
    assert enum == {
        "NatStrategy": ["onePerAz", "single"],
        "Dataplane": ["bpf", "iptables"],
        "KubeProxyMode": ["disabled", "absent", "enabled"],
        "LoadBalancerController": ["aws", "in-tree"],
        "LoadBalancerScheme": ["internet-facing", "internal"],
    }


def test_every_input_and_output_is_described():
    props = {**RESOURCE["inputProperties"], **RESOURCE["properties"]}
    for t in SCHEMA["types"].values():
        props.update(t.get("properties", {}))
    assert [name for name, p in props.items() if not p.get("description")] == []
    # Pulumi's metaschema types descriptions as strings (enum members without a docstring
    # would come out as null).
    assert ": null" not in json.dumps(SCHEMA)


def test_outputs_are_the_programs_exports():
    assert set(RESOURCE["properties"]) == set(planned("dev").outputs)
    assert set(RESOURCE["properties"]) - set(RESOURCE["required"]) == {
        "demoNlbHostname",
        "demoUrl",
    }


def _wire(value):
    """As other languages send values: one number type, floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _dev_inputs():
    """The dev stack's config as facade inputs."""
    config = stack_config("dev")
    inputs = {
        k.removeprefix(f"{NAMESPACE}:"): v for k, v in config.items() if k.startswith(NAMESPACE)
    }
    inputs["region"] = config["aws:region"]
    return _wire(inputs)


def _construct(inputs, name="dev"):
    def program():
        result = PROVIDER.construct(name, TYPE, inputs, None)
        for key, value in result.state.items():
            pulumi.export(key, value)

    return run_program("dev", {"aws:region": "us-west-2"}, program=program)


@pytest.fixture(scope="module")
def constructed():
    return _construct(_dev_inputs())


def test_dev_inputs_are_wire_shaped():
    inputs = _dev_inputs()
    assert inputs["nodeGroups"]["dev"]["maxSize"] == 3.0
    assert isinstance(inputs["nodeGroups"]["dev"]["maxSize"], float)


def test_construct_builds_the_programs_tree_under_the_facade(constructed):
    (facade,) = [r for r in constructed.resources if r.type == TYPE]
    assert (facade.urn, facade.parent, facade.inputs) == (FACADE_URN, STACK_ROOT, {})
    # Every other registration is the dev program's, with the facade in place of the stack:
    # same types, names, inputs (tags included) and dependencies.
    rest = json.dumps([r.as_json() for r in constructed.sorted() if r.type != TYPE])
    rest = rest.replace(f"::{TYPE}$", "::pulumi:pulumi:Stack$").replace(FACADE_URN, STACK_ROOT)
    # The program's own registrations: the plan's chart expansion is not part of either.
    program = run_program("dev", stack_config("dev"))
    expected = json.loads(json.dumps(program.as_json()["resources"]))
    assert sorted(json.loads(rest), key=lambda r: r["urn"]) == expected
    assert len(constructed.resources) == len(program.resources) + 1


def test_construct_returns_the_programs_outputs(constructed):
    assert constructed.outputs == planned("dev").outputs
    assert constructed.secret_outputs == {"kubeconfig"}


def _config_error(**changes):
    """The message stack config gets for the same values."""
    raw = {k.removeprefix(f"{NAMESPACE}:"): v for k, v in stack_config("dev").items()}
    raw.pop("aws:region")
    raw.update(changes)
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, region="us-west-2", stack="dev")
    return str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"availabilityZones": ["us-west-2a"]},
        {"nodeGroups": {"dev": {"instanceTypes": ["c5n.xlarge"], "minSize": 3, "maxSize": 2}}},
        {"nodeGroups": {"dev": {"instanceTypes": ["c5n.xlarge"], "diskSizeGiB": 10}}},
        {"demoAppPort": 70000},
        {"vpcCidr": "10.0.0.1/16"},
    ],
)
def test_bad_inputs_fail_with_the_stack_configs_one_line_message(changes):
    expected = _config_error(**changes)
    inputs = {**_dev_inputs(), **_wire(changes)}
    with pytest.raises(ComponentInitError) as caught:
        _construct(inputs)
    assert str(caught.value) == expected
    assert "\n" not in expected
    assert isinstance(caught.value.inner, ConfigError)
    # What other languages see after the message: the plugin server drops the provider's
    # `construct` frame, leaving the facade's own, nothing deeper (pulumi/provider/server.py).
    frames = traceback.extract_tb(caught.value.inner.__traceback__)
    assert [f.name for f in frames] == ["construct", "__init__"]


def test_a_bad_input_registers_nothing():
    def program():
        with pytest.raises(ComponentInitError):
            PROVIDER.construct("dev", TYPE, {**_dev_inputs(), "demoAppPort": 0.0}, None)

    assert run_program("dev", {"aws:region": "us-west-2"}, program=program).resources == []


def test_an_unknown_enum_value_is_refused_by_the_provider():
    with pytest.raises(InputPropertyError, match=r"Invalid value ebpf .* for enum 'Dataplane'"):
        PROVIDER.construct("dev", TYPE, {**_dev_inputs(), "dataplane": "ebpf"}, None)


def test_a_missing_required_input_is_refused_by_the_provider():
    inputs = _dev_inputs()
    del inputs["availabilityZones"]
    with pytest.raises(InputPropertyError, match="availabilityZones"):
        PROVIDER.construct("dev", TYPE, inputs, None)


def test_inputs_map_onto_config_keys_and_keep_the_users_map_keys():
    raw = stack_config_of(
        {
            "region": "us-west-2",
            "tags": {"team": "x"},
            "kube_proxy": KubeProxyMode.ABSENT,
            "cluster_name": None,
            "log_retention_days": 30.0,
            "node_groups": {
                "big_one": {
                    "instance_types": ["m5.large"],
                    "disk_size_gi_b": 30.0,
                    "labels": {"team_name": "a"},
                    "taints": [{"key": "k", "effect": "NoSchedule"}],
                    "bottlerocket_settings": {"settings": {"kubernetes": {"max_pods": 110.0}}},
                    "min_size": None,
                }
            },
        }
    )
    assert raw == {
        "kubeProxy": "absent",
        "logRetentionDays": 30,
        "nodeGroups": {
            "big_one": {
                "instanceTypes": ["m5.large"],
                "diskSizeGiB": 30,
                "labels": {"team_name": "a"},
                "taints": [{"key": "k", "effect": "NoSchedule"}],
                "bottlerocketSettings": {"settings": {"kubernetes": {"max_pods": 110}}},
            }
        },
    }
    assert type(raw["logRetentionDays"]) is int


def test_an_unknown_python_argument_is_refused_like_an_unknown_config_key():
    with pytest.raises(ConfigError, match=r"^eks-calico-ebpf:bogusKey: is not a config key"):
        settings_from_args({"region": "us-west-2", "bogus_key": 1}, "dev")


@pytest.mark.parametrize("deployed", [False, True])
def test_the_facades_reads_of_the_live_cluster_use_its_provider(monkeypatch, deployed):
    import pulumi_aws as aws

    from components.testing import mock_engine
    from components.testing.diff import deployed_clusters, deployed_versions

    before = planned("dev")
    calls = []
    original = mock_engine.AwsLikeMocks.call

    def recording(self, args):
        calls.append((args.token, args.provider))
        return original(self, args)

    monkeypatch.setattr(mock_engine.AwsLikeMocks, "call", recording)

    def program():
        explicit = aws.Provider("explicit", region="us-west-2")
        EksCalicoCluster(
            "dev",
            settings_from_args_inputs(),
            pulumi.ResourceOptions(providers=[explicit]),
        )

    run_program(
        "dev",
        {"aws:region": "us-west-2"},
        program=program,
        deployed=deployed_clusters(before) if deployed else None,
        deployed_versions=deployed_versions(before) if deployed else None,
    )
    reads = [
        "aws:eks/getClusters:getClusters",
        "aws:eks/getCluster:getCluster"
        if deployed
        else "aws:index/getCallerIdentity:getCallerIdentity",
    ]
    seen = [(t, p) for t, p in calls if t in reads]
    assert [t for t, _ in seen[:2]] == reads
    for token, provider in seen:
        assert "$pulumi:providers:aws::explicit::explicit-" in provider, token


def settings_from_args_inputs():
    """The dev stack's config as Python facade arguments."""
    inputs = _dev_inputs()
    return {
        "region": inputs["region"],
        "availability_zones": inputs["availabilityZones"],
        "nat_gateways": inputs["natGateways"],
        "public_access_cidrs": inputs["publicAccessCidrs"],
        "node_groups": {
            "dev": {
                "instance_types": ["c5n.xlarge"],
                "min_size": 2,
                "desired_size": 2,
                "max_size": 3,
            }
        },
        "demo_app": True,
        "allowed_client_cidrs": inputs["allowedClientCidrs"],
    }


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({"project": "mine"}, "would replace a tag the program sets on every resource"),
        ({"stack": "prod"}, "would replace a tag the program sets on every resource"),
        ({"cluster": "x"}, "would replace a tag the program sets on every resource"),
        ({"aws:team": "x"}, "has a key with the prefix aws:, reserved by AWS"),
        ({"AWS:team": "x"}, "has a key with the prefix aws:, reserved by AWS"),
        ({"": "x"}, "has a key that is not 1-128 characters"),
        ({"k" * 129: "x"}, "has a key that is not 1-128 characters"),
        ({"team": "v" * 257}, "has a value that is not a string of 0-256 characters"),
        ({"team": 1.0}, "has a value that is not a string of 0-256 characters"),
        ({f"t{i}": "x" for i in range(44)}, "has more tags than fit AWS's 50 per resource"),
    ],
)
def test_bad_tags_are_refused_in_one_line_before_anything_registers(tags, fragment):
    def program():
        with pytest.raises(ComponentInitError) as caught:
            PROVIDER.construct("dev", TYPE, {**_dev_inputs(), "tags": tags}, None)
        message = str(caught.value)
        assert message.startswith(f"{NAMESPACE}:tags: {fragment}")
        assert "; accepted: at most 43 string tags" in message
        assert "\n" not in message
        assert isinstance(caught.value.inner, ConfigError)

    assert run_program("dev", {"aws:region": "us-west-2"}, program=program).resources == []


def test_tags_within_the_limits_reach_the_resources_beside_the_base_tags():
    from components.config import MAX_USER_TAGS

    assert MAX_USER_TAGS == 43  # the facade's `tags` description says 43
    tags = {f"t{i}": "v" * 256 for i in range(42)} | {"k" * 128: ""}
    result = _construct({**_dev_inputs(), "tags": tags})
    (cluster,) = result.by_type("eks:index:Cluster")
    assert cluster.inputs["tags"] == {
        "project": NAMESPACE,
        "stack": "dev",
        "cluster": "eks-calico-ebpf-dev",
        **tags,
    }
    assert len(cluster.inputs["tags"]) + len(cluster.inputs["clusterTags"]) == 50


def test_the_facade_warns_about_documentation_ranges_like_the_program(constructed):
    from tests.test_config import DOC_WARNINGS

    assert [w for w in constructed.warnings if "RFC 5737" in w] == DOC_WARNINGS
