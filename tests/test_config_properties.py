"""Hostile config, generated: every key either parses or fails with one line naming it.

Hypothesis feeds arbitrary JSON (as Python values and as JSON text, NaN and huge integers
included) and arbitrary strings into each config key through `parse_settings` (pure and fast);
a smaller hand-picked sample goes through the real program under the mock engine and the CLI.
"""

import base64
import json
import subprocess
import sys
import tomllib
from ipaddress import IPv4Address, IPv4Network

import pulumi
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from components._allowlist import NOT_PUBLIC, SPECIAL_PURPOSE, admits_whole_internet
from components.config import KEYS, NODE_GROUP_KEYS, StackSettings, parse_settings
from components.errors import ConfigError
from components.testing.mock_engine import run_program
from components.testing.plan import stack_config
from tests.conftest import ROOT

AZS = ["us-west-2a", "us-west-2b"]
PREFIX = "eks-calico-ebpf:"

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
)
# Object keys: the field names the parser looks for, so generated objects reach past "unknown
# key" into the checks of each field, and random text.
field_names = st.sampled_from(
    ["key", "value", "effect", "settings", "g", *NODE_GROUP_KEYS]
) | st.text(max_size=10)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(field_names, children, max_size=4)
    ),
    max_leaves=16,
)
cidr_text = st.builds(
    lambda a, p: f"{IPv4Address(a)}/{p}", st.integers(0, 2**32 - 1), st.integers(0, 32)
) | st.builds(
    lambda a, p: str(IPv4Network((a, p), strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
# Near-misses of real values: the checks that matter sit behind the first type checks.
near_values = {
    "vpcCidr": cidr_text,
    "serviceCidr": cidr_text,
    "publicAccessCidrs": st.lists(cidr_text, max_size=5),
    "allowedClientCidrs": st.lists(cidr_text, max_size=5),
    "availabilityZones": st.lists(
        st.sampled_from(["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2a\n", ""]), max_size=4
    ),
    "kubernetesVersion": st.from_regex(r"[0-9]\.[0-9]{1,2}\n?", fullmatch=True),
    "calicoVersion": st.from_regex(r"v?3\.[0-9]{1,2}\.[0-9]{1,3}\n?", fullmatch=True),
    "adminPrincipalArns": st.lists(
        st.from_regex(
            r"arn:aws(-cn|-us-gov)?:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[A-Za-z]{1,8}\n?",
            fullmatch=True,
        ),
        max_size=3,
    ),
    "demoAppPort": st.integers(-2, 70000),
    "logRetentionDays": st.integers(-1, 4000),
}
bottlerocket_trees = st.recursive(
    scalars,
    lambda children: st.dictionaries(
        st.sampled_from(
            [
                "kubernetes",
                "kernel",
                "sysctl",
                "host-containers",
                "admin",
                "control",
                "enabled",
                "max-pods",
                "motd",
                "net.core.somaxconn",
                "eviction-hard",
                "memory.available",
                "x",
            ]
        ),
        children,
        max_size=3,
    ),
    max_leaves=10,
).map(lambda tree: {"settings": tree})
taints = st.lists(
    st.fixed_dictionaries(
        {"key": st.sampled_from(["k", "example.com/k"]) | scalars},
        optional={
            "value": st.sampled_from(["", "v"]) | scalars,
            "effect": st.sampled_from(["NoSchedule", "NoExecute"])
            | st.lists(scalars, max_size=1)
            | json_values,
        },
    ),
    max_size=3,
)
labels = st.dictionaries(
    st.sampled_from(["role", "example.com/role"]) | st.text(max_size=10),
    st.sampled_from(["bench", ""]) | scalars,
    max_size=2,
)
# Per field: a plausible value or anything at all, so later checks are reached as often as the
# first ones (sizes are checked first; garbage there would hide everything after).
node_group_fields = {
    "minSize": st.just(2) | json_values,
    "desiredSize": st.just(2) | json_values,
    "maxSize": st.just(3) | json_values,
    "labels": labels | json_values,
    "taints": taints | json_values,
    "diskSizeGiB": st.integers(0, 20_000) | json_values,
    "availabilityZones": st.just(["us-west-2a"]) | json_values,
    "placementGroup": st.booleans() | json_values,
    "bottlerocketSettings": bottlerocket_trees | json_values,
    "releaseVersion": st.just("1.47.0-6154605b") | st.text(max_size=20) | json_values,
}
assert set(node_group_fields) | {"instanceTypes"} == set(NODE_GROUP_KEYS)
node_group_values = st.fixed_dictionaries(
    {"instanceTypes": st.just(["c5n.metal"]) | json_values},
    optional={k: st.one_of(v) for k, v in node_group_fields.items()},
)


def values_for(key):
    base = json_values | json_values.map(json.dumps) | st.text(max_size=40)
    if key in near_values:
        near = near_values[key]
        base = base | near | near.map(json.dumps)
    if key == "nodeGroups":
        names = st.sampled_from(["g", "bench"]) | st.text(max_size=8)
        groups = st.dictionaries(names, node_group_values, min_size=1, max_size=2)
        with_br = bottlerocket_trees.map(
            lambda br: {"g": {"instanceTypes": ["c5n.metal"], "bottlerocketSettings": br}}
        )
        base = base | groups | groups.map(json.dumps) | with_br
    return base


def parse(key, value):
    # deployInsideVpc: the library default publicAccessCidrs [] is refused without it.
    raw = {"availabilityZones": json.dumps(AZS), "deployInsideVpc": "true", key: value}
    return parse_settings(raw, region="us-west-2", stack="t")


def check_outcome(key, value):
    try:
        result = parse(key, value)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message
        assert len(message) < 2000, message
        assert message.startswith(PREFIX)
        # The key itself (or a path below it), or a rule between keys that says which one.
        assert message.startswith(PREFIX + key) or key in message, message
        return
    assert isinstance(result, StackSettings)
    assert_admits_no_more_than_written(result)


def assert_admits_no_more_than_written(s: StackSettings):
    """A list that parses never opens up more than its author wrote."""
    for cidrs, public in ((s.public_access_cidrs, True), (s.allowed_client_cidrs, False)):
        nets = [IPv4Network(c) for c in cidrs]
        if nets == [IPv4Network("0.0.0.0/0")]:
            continue
        assert not admits_whole_internet(nets)
        ranges = SPECIAL_PURPOSE + (NOT_PUBLIC if public else ())
        assert not any(n.overlaps(r) for n in nets for r, _ in ranges)
        if not public:
            assert not any(n.overlaps(s.vpc_cidr) for n in nets)


@pytest.mark.parametrize("key", sorted(KEYS))
@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_of_any_key_parses_or_names_the_key_in_one_line(key, data):
    check_outcome(key, data.draw(values_for(key), label=key))


@pytest.mark.parametrize("field", sorted(NODE_GROUP_KEYS))
@hsettings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_value_of_any_node_group_field_parses_or_names_it_in_one_line(field, data):
    """Each node-group field on its own, in an otherwise valid group, so every check is reached."""
    fields = {**node_group_fields, "instanceTypes": st.just(["c5n.metal"]) | json_values}
    group = {"instanceTypes": ["c5n.metal"], field: data.draw(fields[field], label=field)}
    as_text = data.draw(st.booleans(), label="as JSON text")
    check_outcome("nodeGroups", json.dumps({"g": group}) if as_text else {"g": group})


# ---------------------------------------------------------------------- through the program

HOSTILE = [
    (
        "nodeGroups",
        '{"g": {"instanceTypes": ["c5n.metal"], "minSize": NaN}}',
        "nodeGroups: is not valid JSON",
    ),
    ("nodeGroups", "[" * 5000, "nodeGroups: is not valid JSON"),
    (
        "nodeGroups",
        json.dumps(
            {
                "g": {
                    "instanceTypes": ["c5n.metal"],
                    "bottlerocketSettings": {"settings": {"kernel": {"lockdown": "none"}}},
                }
            }
        ),
        "nodeGroups.g.bottlerocketSettings.settings.kernel.lockdown: stays at",
    ),
    (
        "nodeGroups",
        json.dumps({"g": {"instanceTypes": ["c5n.metal"], "taints": [{"key": "k\n"}]}}),
        "nodeGroups.g.taints[0].key: is not a valid taint key",
    ),
    ("clusterName", "eks\n", "clusterName: is not a valid EKS cluster name"),
    (
        "publicAccessCidrs",
        '["0.0.0.0/1", "128.0.0.0/1"]',
        "publicAccessCidrs: admits the whole internet",
    ),
    (
        "allowedClientCidrs",
        '["169.254.169.254/32"]',
        "allowedClientCidrs[0]: overlaps 169.254.0.0/16",
    ),
    ("serviceCidr", "8.8.8.0/24", "serviceCidr: is not inside 10.0.0.0/8"),
    (
        "adminPrincipalArns",
        '["arn:aws-cn:iam::111122223333:role/Admin"]',
        "adminPrincipalArns: is in partition aws-cn",
    ),
]


@pytest.mark.parametrize(
    ("key", "text", "start"), HOSTILE, ids=[f"{h[0]}-{i}" for i, h in enumerate(HOSTILE)]
)
def test_the_program_stops_with_one_line(key, text, start):
    config = {**stack_config("dev"), f"{PREFIX}{key}": text}
    with pytest.raises(pulumi.RunError) as info:
        run_program("dev", config)
    message = str(info.value)
    assert message.startswith(PREFIX + start), message
    assert "\n" not in message


def test_cli_hostile_value_is_one_stderr_line_without_traceback():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "components.plan",
            "--stack",
            "dev",
            "-c",
            "nodeGroups=" + "[" * 5000,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("error: eks-calico-ebpf:nodeGroups: is not valid JSON")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_accepted_edge_values_make_a_plan_with_them():
    """Values at the edge of what is accepted (every supported Bottlerocket setting, Kubernetes
    taints with prefixes, a peered client network) produce a plan that carries them."""
    from tests.components.eks.test_bottlerocket import ACCEPTED

    group = {
        "instanceTypes": ["c5n.xlarge"],
        "taints": [{"key": "example.com/dedicated", "value": "bench", "effect": "NoExecute"}],
        "bottlerocketSettings": ACCEPTED,
    }
    result = run_program(
        "dev",
        {
            **stack_config("dev"),
            f"{PREFIX}nodeGroups": json.dumps({"dev": group}),
            f"{PREFIX}allowedClientCidrs": '["10.1.0.0/16", "198.51.100.0/24"]',
            f"{PREFIX}loadBalancerScheme": "internal",  # a private client network needs it
        },
    )
    lt = result.one("aws:ec2/launchTemplate:LaunchTemplate", "nodes-dev-lt").inputs
    user_data = tomllib.loads(base64.b64decode(lt["userData"]).decode())
    assert user_data["settings"]["kubernetes"] == ACCEPTED["settings"]["kubernetes"]
    assert user_data["settings"]["kernel"] == ACCEPTED["settings"]["kernel"]
    assert user_data["settings"]["host-containers"]["admin"] == {"enabled": False}
    node_group = result.one("eks:index:ManagedNodeGroup", "nodes-dev").inputs
    assert node_group["taints"] == [
        {"key": "example.com/dedicated", "value": "bench", "effect": "NO_EXECUTE"}
    ]
