"""Bad input: one clear line naming key, value and what is accepted; nothing is created."""

import json
import subprocess
import sys
from ipaddress import IPv4Network

import pulumi
import pytest

from components._allowlist import NOT_PUBLIC, SPECIAL_PURPOSE
from components.config import parse_settings
from components.errors import ConfigError
from components.testing.mock_engine import run_program
from components.testing.plan import stack_config
from tests.conftest import ROOT

AZS = '["us-west-2a", "us-west-2b"]'
GROUP = {"instanceTypes": ["c5n.metal"]}


def _public_space():
    """Every public IPv4 address, spelled without 0.0.0.0/0: all of IPv4 minus the
    special-purpose, private and CGNAT ranges (51 CIDRs)."""
    space = [IPv4Network("0.0.0.0/0")]
    for excluded, _ in SPECIAL_PURPOSE + NOT_PUBLIC:
        space = [
            part
            for net in space
            for part in (net.address_exclude(excluded) if net.overlaps(excluded) else [net])
        ]
    return sorted(str(n) for n in space)


PUBLIC_SPACE = _public_space()


def settings(**raw):
    raw.setdefault("availabilityZones", AZS)
    raw.setdefault("deployInsideVpc", "true")
    return parse_settings(raw, region="us-west-2", stack="t")


def groups(**spec):
    return json.dumps({"g": {**GROUP, **spec}})


# (raw config, key in the message, fragment of the message)
BAD = [
    # CIDRs
    ({"vpcCidr": "10.0.0.0/33"}, "vpcCidr", "is not an IPv4 CIDR"),
    ({"vpcCidr": "10.0.0.1/16"}, "vpcCidr", "has host bits set; did you mean 10.0.0.0/16?"),
    ({"vpcCidr": "banana"}, "vpcCidr", "is not an IPv4 CIDR"),
    ({"vpcCidr": "10.0.0.0/24"}, "vpcCidr", "is too small for 2 AZs"),
    ({"vpcCidr": "10.0.0.0/8"}, "vpcCidr", "larger than AWS allows"),
    ({"vpcCidr": "8.8.0.0/16"}, "vpcCidr", "is not a private address range"),
    ({"serviceCidr": "10.0.0.0/16"}, "serviceCidr", "overlaps vpcCidr"),
    # EKS serviceIpv4Cidr rules: RFC 1918 only, /12 to /24
    (
        {"serviceCidr": "8.8.0.0/16"},
        "serviceCidr",
        "is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
    ),
    ({"serviceCidr": "169.254.0.0/16"}, "serviceCidr", "is not inside 10.0.0.0/8"),
    ({"serviceCidr": "100.64.0.0/16"}, "serviceCidr", "is not inside 10.0.0.0/8"),
    ({"serviceCidr": "172.20.0.0/25"}, "serviceCidr", "is not a /12 to /24 network"),
    ({"serviceCidr": "10.0.0.0/8"}, "serviceCidr", "is not a /12 to /24 network"),
    ({"serviceCidr": "172.20.0.0/16\n"}, "serviceCidr", "is not an IPv4 CIDR"),
    # AZs
    ({"availabilityZones": '["us-west-2a"]'}, "availabilityZones", "fewer than 2 AZs"),
    (
        {"availabilityZones": '["us-west-2a", "us-west-2a"]'},
        "availabilityZones",
        "lists an AZ twice",
    ),
    (
        {"availabilityZones": '["us-east-1a", "us-east-1b"]'},
        "availabilityZones",
        "is not an AZ of aws:region us-west-2",
    ),
    ({"availabilityZones": "us-west-2a,us-west-2b"}, "availabilityZones", "is not valid JSON"),
    ({"availabilityZones": None}, "availabilityZones", "is required"),
    # Kubernetes version
    ({"kubernetesVersion": "1.35.1"}, "kubernetesVersion", "is not a MAJOR.MINOR version"),
    ({"kubernetesVersion": "v1.35"}, "kubernetesVersion", "is not a MAJOR.MINOR version"),
    ({"kubernetesVersion": "1.29"}, "kubernetesVersion", "is not a supported version"),
    ({"kubernetesVersion": "1.35\n"}, "kubernetesVersion", "is not a MAJOR.MINOR version"),
    ({"kubernetesVersion": "1.3\u0665"}, "kubernetesVersion", "is not a MAJOR.MINOR version"),
    # API access CIDRs
    ({"publicAccessCidrs": '["203.0.113.0/33"]'}, "publicAccessCidrs[0]", "is not an IPv4 CIDR"),
    ({"publicAccessCidrs": '["203.0.113.5/24"]'}, "publicAccessCidrs[0]", "has host bits set"),
    (
        {"publicAccessCidrs": '["203.0.113.0/24", "203.0.113.0/24"]'},
        "publicAccessCidrs",
        "more than once",
    ),
    (
        {"publicAccessCidrs": '["0.0.0.0/0", "203.0.113.0/24"]'},
        "publicAccessCidrs",
        "admits the whole internet",
    ),
    # ... whatever the spelling: two halves, or every public range without the private ones
    (
        {"publicAccessCidrs": '["0.0.0.0/1", "128.0.0.0/1"]'},
        "publicAccessCidrs",
        'admits the whole internet (together its networks cover every public IPv4 address) (got ["0.0.0.0/1", "128.0.0.0/1"]); accepted: specific networks, or exactly ["0.0.0.0/0"]',
    ),
    (
        {"publicAccessCidrs": json.dumps(PUBLIC_SPACE)},
        "publicAccessCidrs",
        "admits the whole internet",
    ),
    (
        {"publicAccessCidrs": '["10.0.0.0/8"]'},
        "publicAccessCidrs[0]",
        "overlaps 10.0.0.0/8, private (RFC 1918), which never reaches a public endpoint",
    ),
    (
        {"publicAccessCidrs": '["203.0.113.0/24", "100.64.0.0/16"]'},
        "publicAccessCidrs[1]",
        "overlaps 100.64.0.0/10, shared address space",
    ),
    ({"publicAccessCidrs": '["172.0.0.0/8"]'}, "publicAccessCidrs[0]", "overlaps 172.16.0.0/12"),
    (
        {"publicAccessCidrs": '["169.254.169.254/32"]'},
        "publicAccessCidrs[0]",
        "overlaps 169.254.0.0/16, link-local, incl. the instance metadata address",
    ),
    (
        {"publicAccessCidrs": '["127.0.0.1/32"]'},
        "publicAccessCidrs[0]",
        "overlaps 127.0.0.0/8, loopback",
    ),
    ({"publicAccessCidrs": '["0.0.0.0/8"]'}, "publicAccessCidrs[0]", "overlaps 0.0.0.0/8"),
    ({"publicAccessCidrs": '["0.0.0.0/1"]'}, "publicAccessCidrs[0]", "overlaps 0.0.0.0/8"),
    (
        {"publicAccessCidrs": '["255.255.255.255/32"]'},
        "publicAccessCidrs[0]",
        "overlaps 240.0.0.0/4, reserved, incl. broadcast",
    ),
    (
        {"publicAccessCidrs": '["203.0.113.0/24", "224.0.0.0/4"]'},
        "publicAccessCidrs[1]",
        "overlaps 224.0.0.0/4, multicast",
    ),
    (
        {"publicAccessCidrs": '["203.0.113.10/255.255.255.255"]'},
        "publicAccessCidrs[0]",
        "is not an IPv4 CIDR",
    ),
    ({"publicAccessCidrs": '["203.0.113.0/24\\n"]'}, "publicAccessCidrs[0]", "is not an IPv4 CIDR"),
    ({"publicAccessCidrs": '"203.0.113.0/24"'}, "publicAccessCidrs", "must be a list"),
    # admins
    (
        {"adminPrincipalArns": '["arn:aws:sts::111122223333:assumed-role/Admin/me"]'},
        "adminPrincipalArns",
        "is not an IAM role or user ARN",
    ),
    (
        {"adminPrincipalArns": '["arn:aws:iam::111122223333:role/Admin\\n"]'},
        "adminPrincipalArns",
        "is not an IAM role or user ARN",
    ),
    (
        {"adminPrincipalArns": '["arn:aws-cn:iam::111122223333:role/Admin"]'},
        "adminPrincipalArns",
        "is in partition aws-cn, but aws:region us-west-2 is in aws",
    ),
    # node groups: sizes
    (
        {"nodeGroups": groups(minSize=3, maxSize=2, desiredSize=2)},
        "nodeGroups.g.minSize",
        "is larger than maxSize (2)",
    ),
    (
        {"nodeGroups": groups(minSize=1, maxSize=2, desiredSize=5)},
        "nodeGroups.g.desiredSize",
        "is outside minSize..maxSize (1..2)",
    ),
    ({"nodeGroups": groups(minSize=-1)}, "nodeGroups.g.minSize", "0 to 450"),
    ({"nodeGroups": groups(maxSize="two")}, "nodeGroups.g.maxSize", "is not a whole number"),
    ({"nodeGroups": groups(maxSize=True)}, "nodeGroups.g.maxSize", "is not a whole number"),
    # node groups: empty or misspelled
    ({"nodeGroups": "{}"}, "nodeGroups", "defines no node group"),
    ({"nodeGroups": '{"g": {}}'}, "nodeGroups.g", "has no settings"),
    ({"nodeGroups": '{"g": null}'}, "nodeGroups.g", "has no settings"),
    ({"nodeGroups": '{"g": {"minSize": 1}}'}, "nodeGroups.g.instanceTypes", "is required"),
    ({"nodeGroups": groups(instanceTypes=[])}, "nodeGroups.g.instanceTypes", "is empty"),
    ({"nodeGroups": groups(minSzie=1)}, "nodeGroups.g.minSzie", "is not a node group setting"),
    (
        {"nodeGroups": groups(instanceTypes=["c5n metal"])},
        "nodeGroups.g.instanceTypes",
        "is not an EC2 instance type",
    ),
    (
        {"nodeGroups": '{"Bad_Name": {"instanceTypes": ["c5n.metal"]}}'},
        "nodeGroups.Bad_Name",
        "not a valid node group name",
    ),
    # node groups: architecture, AZs, placement, labels, taints, Bottlerocket
    (
        {"nodeGroups": groups(instanceTypes=["c5n.metal", "c7gn.metal"])},
        "nodeGroups.g.instanceTypes",
        "mix architectures",
    ),
    (
        {"nodeGroups": groups(availabilityZones=["us-west-2c"])},
        "nodeGroups.g.availabilityZones",
        "is not one of the cluster's availabilityZones",
    ),
    (
        {"nodeGroups": groups(placementGroup=True)},
        "nodeGroups.g.availabilityZones",
        "exactly one AZ",
    ),
    (
        {"nodeGroups": groups(labels={"bad key!": "x"})},
        'nodeGroups.g.labels["bad key!"]',
        "is not a valid label key",
    ),
    (
        {"nodeGroups": groups(labels={"k": "x" * 64})},
        "nodeGroups.g.labels.k",
        "is not a valid label value",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k", "effect": "NO_SCHEDULE"}])},
        "nodeGroups.g.taints[0].effect",
        "NoSchedule, NoExecute, PreferNoSchedule",
    ),
    ({"nodeGroups": groups(diskSizeGiB=5)}, "nodeGroups.g.diskSizeGiB", "20 to 16384"),
    (
        {"nodeGroups": groups(diskSizeGiB="9" * 5000)},
        "nodeGroups.g.diskSizeGiB",
        "is not a whole number",
    ),
    (
        {"nodeGroups": {"g": {**GROUP, "diskSizeGiB": float("nan")}}},
        "nodeGroups.g.diskSizeGiB",
        "is not a whole number",
    ),
    # taints, as Kubernetes validates them
    (
        {"nodeGroups": groups(taints=[{"key": "bad key"}])},
        "nodeGroups.g.taints[0].key",
        "is not a valid taint key",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k\n"}])},
        "nodeGroups.g.taints[0].key",
        "is not a valid taint key",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "/k"}])},
        "nodeGroups.g.taints[0].key",
        "is not a valid taint key",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "a" * 30 + ".example/" + "b" * 30}])},
        "nodeGroups.g.taints[0].key",
        "up to 63 chars in all",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": 5}])},
        "nodeGroups.g.taints[0].key",
        "is not a valid taint key",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k", "value": "v" * 64}])},
        "nodeGroups.g.taints[0].value",
        "is not a valid taint value",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k", "value": "-v"}])},
        "nodeGroups.g.taints[0].value",
        "is not a valid taint value",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k", "value": None}])},
        "nodeGroups.g.taints[0].value",
        "is not a valid taint value",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k", "effect": ["NoSchedule"]}])},
        "nodeGroups.g.taints[0].effect",
        "is not a taint effect",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": "k"}, {"key": "k", "value": "x"}])},
        "nodeGroups.g.taints[1]",
        "repeats key k with effect NoSchedule",
    ),
    (
        {"nodeGroups": groups(taints=[{"key": f"k{i}"} for i in range(51)])},
        "nodeGroups.g.taints",
        "has more taints than EKS allows",
    ),
    # full-match names and labels: no trailing newline
    (
        {"nodeGroups": groups(instanceTypes=["c5n.metal\n"])},
        "nodeGroups.g.instanceTypes",
        "is not an EC2 instance type",
    ),
    (
        {"nodeGroups": groups(labels={"k\n": "x"})},
        'nodeGroups.g.labels["k\\n"]',
        "is not a valid label key",
    ),
    (
        {"nodeGroups": groups(labels={"k": "x\n"})},
        "nodeGroups.g.labels.k",
        "is not a valid label value",
    ),
    (
        {"nodeGroups": groups(labels={"k": ""})},
        "nodeGroups.g.labels.k",
        "is not a valid label value",
    ),
    (
        {"nodeGroups": groups(labels={"a" * 30 + ".example/" + "b" * 30: "x"})},
        "nodeGroups.g.labels." + "a" * 30 + ".example/" + "b" * 30,
        "up to 63 chars in all (EKS)",
    ),
    (
        {"nodeGroups": groups(labels={"/k": "x"})},
        "nodeGroups.g.labels./k",
        "is not a valid label key",
    ),
    (
        {"nodeGroups": json.dumps({"g\n": GROUP})},
        'nodeGroups["g\\n"]',
        "not a valid node group name",
    ),
    # strict JSON: no NaN, no integers too long to convert, no deep nesting
    (
        {"nodeGroups": '{"g": {"instanceTypes": ["c5n.metal"], "minSize": NaN}}'},
        "nodeGroups",
        "is not valid JSON",
    ),
    (
        {"nodeGroups": '{"g": {"instanceTypes": ["c5n.metal"], "minSize": ' + "9" * 5000 + "}}"},
        "nodeGroups",
        "is not valid JSON",
    ),
    ({"nodeGroups": "[" * 100_000}, "nodeGroups", "is not valid JSON"),
    (
        {"nodeGroups": '{"g": {"labels": ' + "[" * 20 + "]" * 20 + "}}"},
        "nodeGroups",
        "nests lists/objects deeper than 8 levels",
    ),
    (
        {
            "nodeGroups": groups(
                bottlerocketSettings={"settings": {"host-containers": {"admin": {"enabled": True}}}}
            )
        },
        "nodeGroups.g.bottlerocketSettings.settings.host-containers.admin.enabled",
        "is not an accepted value (got true); accepted: false (the admin container stays off)",
    ),
    (
        {"nodeGroups": groups(bottlerocketSettings={"settings": {"kernel": {"lockdown": "none"}}})},
        "nodeGroups.g.bottlerocketSettings.settings.kernel.lockdown",
        "stays at Bottlerocket's default, integrity",
    ),
    (
        {
            "nodeGroups": groups(
                bottlerocketSettings={
                    "settings": {"kernel": {"sysctl": {"kernel.kptr_restrict": "0"}}}
                }
            )
        },
        'nodeGroups.g.bottlerocketSettings.settings.kernel.sysctl["kernel.kptr_restrict"]',
        "is not a vetted sysctl",
    ),
    (
        {
            "nodeGroups": groups(
                bottlerocketSettings={"settings": {"kubernetes": {"max-pods": 2**64}}}
            )
        },
        "nodeGroups.g.bottlerocketSettings.settings.kubernetes.max-pods",
        "accepted: a whole number from 1 to 4294967295",
    ),
    (
        {"nodeGroups": groups(bottlerocketSettings={"settings": {"motd": None}})},
        "nodeGroups.g.bottlerocketSettings.settings.motd",
        "is not an accepted value (got null)",
    ),
    (
        {"nodeGroups": groups(bottlerocketSettings={"kubernetes": {}})},
        "nodeGroups.g.bottlerocketSettings",
        "has top-level key \"kubernetes\"; the only one is 'settings'",
    ),
    # enums and the rest
    ({"natGateways": "perAz"}, "natGateways", "accepted: onePerAz, single"),
    ({"logRetentionDays": "45"}, "logRetentionDays", "is not a CloudWatch Logs retention period"),
    ({"clusterName": "-bad"}, "clusterName", "is not a valid EKS cluster name"),
    ({"clusterName": "good\n"}, "clusterName", "is not a valid EKS cluster name"),
    ({"kubeProxi": "absent"}, "kubeProxi", "is not a config key of this project"),
    # load balancing
    ({"loadBalancerController": "alb"}, "loadBalancerController", "accepted: aws, in-tree"),
    ({"loadBalancerScheme": "public"}, "loadBalancerScheme", "accepted: internet-facing, internal"),
    (
        {"allowedClientCidrs": '["198.51.100.0/33"]'},
        "allowedClientCidrs[0]",
        "is not an IPv4 CIDR",
    ),
    ({"allowedClientCidrs": '["198.51.100.7/24"]'}, "allowedClientCidrs[0]", "has host bits set"),
    (
        {"allowedClientCidrs": '["0.0.0.0/0", "198.51.100.0/24"]'},
        "allowedClientCidrs",
        "admits the whole internet",
    ),
    (
        {"allowedClientCidrs": json.dumps([f"{i}.0.0.0/8" for i in range(256)])},
        "allowedClientCidrs",
        "admits the whole internet",
    ),
    (
        {"allowedClientCidrs": '["169.254.169.254/32"]'},
        "allowedClientCidrs[0]",
        "instance metadata address",
    ),
    (
        {"allowedClientCidrs": '["10.0.0.0/8"]'},
        "allowedClientCidrs[0]",
        "overlaps vpcCidr 10.0.0.0/16: it would admit the cluster's own nodes and pods",
    ),
    (
        {"allowedClientCidrs": '["10.0.5.0/24"]'},
        "allowedClientCidrs[0]",
        "overlaps vpcCidr 10.0.0.0/16",
    ),
    (
        {"allowedClientCidrs": '["198.51.100.0/24", "0.0.0.0/5"]'},
        "allowedClientCidrs[1]",
        "overlaps 0.0.0.0/8",
    ),
    ({"demoApp": "true"}, "allowedClientCidrs", "is empty but demoApp exposes a load balancer"),
    ({"demoApp": "yes"}, "demoApp", "accepted: true or false"),
    ({"demoAppPort": "0"}, "demoAppPort", "1 to 65535"),
    ({"demoAppPort": "65536"}, "demoAppPort", "1 to 65535"),
    ({"demoAppPort": "80\n"}, "demoAppPort", "is not a whole number in range"),
    ({"demoAppPort": " 80"}, "demoAppPort", "is not a whole number in range"),
    # Calico
    ({"dataplane": "ebpf"}, "dataplane", "accepted: bpf, iptables"),
    ({"dataplane": "BPF"}, "dataplane", "accepted: bpf, iptables"),
    ({"calicoVersion": "3.31.7"}, "calicoVersion", "is not a Calico release tag"),
    ({"calicoVersion": "v3.31"}, "calicoVersion", "is not a Calico release tag"),
    ({"calicoVersion": "v3.31.2"}, "calicoVersion", "is too old"),
    ({"calicoVersion": "v3.29.7"}, "calicoVersion", "accepted: v3.31.3 or later"),
    ({"calicoVersion": "v3.31.7\n"}, "calicoVersion", "is not a Calico release tag"),
    ({"calicoVersion": "v3.31." + "9" * 5000}, "calicoVersion", "is not a Calico release tag"),
    (
        {"calico": "false", "kubeProxy": "enabled", "calicoVersion": "v3.31.7"},
        "calicoVersion",
        "is set but calico is false: no Calico is installed",
    ),
    ({"kubeProxy": "off"}, "kubeProxy", "accepted: disabled, absent, enabled"),
    ({"dataplane": "iptables"}, "kubeProxy", "cannot be combined with dataplane iptables"),
    (
        {"dataplane": "iptables", "kubeProxy": "absent"},
        "kubeProxy",
        "cannot be combined with dataplane iptables",
    ),
]


@pytest.mark.parametrize(
    ("raw", "key", "fragment"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_is_one_clear_line(raw, key, fragment):
    with pytest.raises(ConfigError) as info:
        settings(**raw)
    message = str(info.value)
    assert message.startswith(f"eks-calico-ebpf:{key}: ")
    assert fragment in message
    assert "(got " in message
    assert "; accepted: " in message
    assert "\n" not in message


def test_missing_region():
    with pytest.raises(ConfigError, match=r"^aws:region: is required"):
        parse_settings({"availabilityZones": AZS}, region=None, stack="t")


def test_defaults():
    s = settings()
    assert (str(s.vpc_cidr), s.kubernetes_version, s.nat.value, s.cluster_name) == (
        "10.0.0.0/16",
        "1.35",
        "onePerAz",
        "eks-calico-ebpf-t",
    )
    assert list(s.node_groups) == ["metal"]
    assert s.node_groups["metal"].instance_types == ("c5n.metal",)
    assert s.public_access_cidrs == ()


def test_program_stops_before_any_resource(monkeypatch):
    from components.testing import mock_engine

    registered = []
    original = mock_engine.RecordingMonitor.RegisterResource

    def spy(self, request):
        if request.type != "pulumi:pulumi:Stack":  # the engine's own root, not ours
            registered.append(request.type)
        return original(self, request)

    monkeypatch.setattr(mock_engine.RecordingMonitor, "RegisterResource", spy)
    config = stack_config("dev", ["vpcCidr=10.0.0.0/33"])
    with pytest.raises(pulumi.RunError, match=r"^eks-calico-ebpf:vpcCidr: is not an IPv4 CIDR"):
        run_program("dev", config)
    assert registered == []


def test_plan_cli_prints_one_line_and_exits_non_zero():
    proc = subprocess.run(
        [sys.executable, "-m", "components.plan", "--stack", "dev", "-c", "kubernetesVersion=1.99"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        'error: eks-calico-ebpf:kubernetesVersion: is not a supported version (got "1.99"); accepted: 1.33, 1.34, 1.35'
    ]
    assert proc.stdout == ""


def test_values_at_the_edges_are_accepted():
    s = settings(
        serviceCidr="192.168.0.0/24",
        publicAccessCidrs='["0.0.0.0/0"]',
        allowedClientCidrs='["10.1.0.0/16", "198.51.100.0/24"]',
        loadBalancerScheme="internal",  # a private client network needs an internal NLB
        nodeGroups=groups(
            taints=[
                {"key": "example.com/dedicated", "value": "bench", "effect": "NoExecute"},
                {"key": "example.com/dedicated", "effect": "NoSchedule"},
            ],
            labels={"example.com/role": "bench"},
        ),
    )
    assert str(s.service_cidr) == "192.168.0.0/24"
    assert s.public_access_cidrs == ("0.0.0.0/0",)
    assert s.allowed_client_cidrs == ("10.1.0.0/16", "198.51.100.0/24")
    assert [(t.key, t.value, t.effect) for t in s.node_groups["g"].taints] == [
        ("example.com/dedicated", "bench", "NoExecute"),
        ("example.com/dedicated", "", "NoSchedule"),
    ]
    assert str(settings(serviceCidr="172.16.0.0/12").service_cidr) == "172.16.0.0/12"


@pytest.mark.parametrize(
    ("region", "arn"),
    [
        ("us-west-2", "arn:aws:iam::111122223333:role/Admin"),
        ("cn-north-1", "arn:aws-cn:iam::111122223333:role/Admin"),
        ("us-gov-west-1", "arn:aws-us-gov:iam::111122223333:user/alice"),
    ],
)
def test_admin_arn_in_the_regions_partition(region, arn):
    s = parse_settings(
        {
            "availabilityZones": json.dumps([f"{region}a", f"{region}b"]),
            "adminPrincipalArns": json.dumps([arn]),
            "deployInsideVpc": "true",
        },
        region=region,
        stack="t",
    )
    assert s.admin_principal_arns == (arn,)


@pytest.mark.parametrize("region", ["us-west-2\n", "US-WEST-2", "mars"])
def test_region_must_be_a_region_name(region):
    with pytest.raises(ConfigError, match=r"^aws:region: is not an AWS region name"):
        parse_settings({"availabilityZones": AZS}, region=region, stack="t")


def test_a_map_key_with_a_colon_stays_under_the_project_namespace():
    with pytest.raises(ConfigError) as info:
        settings(nodeGroups=groups(labels={"a:b": "x"}))
    assert str(info.value).startswith('eks-calico-ebpf:nodeGroups.g.labels["a:b"]: is not a valid')


@pytest.mark.parametrize(
    "key",
    [
        "node-role.kubernetes.io/master",
        "node-role.kubernetes.io/worker",
        "kubernetes.io/role",
        "app.kubernetes.io/name",
        "k8s.io/team",
        "x.k8s.io/team",
        "node-restriction.kubernetes.io/pool",
    ],
)
def test_labels_the_kubelet_refuses_are_refused(key):
    with pytest.raises(ConfigError) as info:
        settings(nodeGroups=groups(labels={key: "x"}))
    message = str(info.value)
    assert message.startswith(f"eks-calico-ebpf:nodeGroups.g.labels{_label_path(key)}: is in the")
    assert "kubernetes.io/k8s.io namespace, which the kubelet refuses" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "key",
    [
        "kubernetes.io/arch",
        "topology.kubernetes.io/zone",
        "node.kubernetes.io/instance-type",
        "node.kubernetes.io/pool",
        "team.node.kubernetes.io/pool",
        "kubelet.kubernetes.io/x",
        "example.com/role",
        "notkubernetes.io/role",
        "role",
    ],
)
def test_labels_the_kubelet_may_set_are_kept(key):
    s = settings(nodeGroups=groups(labels={key: "x"}))
    assert s.node_groups["g"].labels == {key: "x"}


def _label_path(key):
    from components.config import path

    return path("", key)


@pytest.mark.parametrize(
    "cidr", ["10.1.0.0/16", "172.16.5.0/24", "192.168.1.0/24", "100.64.0.0/10"]
)
def test_private_clients_are_refused_for_an_internet_facing_nlb_and_kept_for_an_internal_one(cidr):
    with pytest.raises(ConfigError) as info:
        settings(allowedClientCidrs=json.dumps(["198.51.100.0/24", cidr]))
    message = str(info.value)
    assert message.startswith("eks-calico-ebpf:allowedClientCidrs[1]: overlaps ")
    assert "which never reaches a public endpoint" in message
    assert message.endswith(
        "accepted: public networks; private client networks need loadBalancerScheme internal"
    )
    assert "\n" not in message
    kept = settings(allowedClientCidrs=json.dumps([cidr]), loadBalancerScheme="internal")
    assert kept.allowed_client_cidrs == (cidr,)


DOC_WARNINGS = [
    "eks-calico-ebpf:publicAccessCidrs[0]: 203.0.113.10/32 is in 203.0.113.0/24, an RFC 5737"
    " documentation range: no real client has this address; set the network you deploy from",
    "eks-calico-ebpf:allowedClientCidrs[0]: 198.51.100.0/24 is in 198.51.100.0/24, an RFC 5737"
    " documentation range: no real client has this address; set the networks your clients"
    " connect from",
]


def test_documentation_ranges_are_accepted_with_a_warning_per_entry():
    from components.config import config_warnings

    s = settings(
        publicAccessCidrs='["198.18.0.0/15", "192.0.2.0/28", "203.0.0.0/16"]',
        allowedClientCidrs='["203.0.113.0/24", "203.0.112.0/23", "198.51.100.7/32"]',
    )
    assert config_warnings(s) == [
        "eks-calico-ebpf:publicAccessCidrs[1]: 192.0.2.0/28 is in 192.0.2.0/24, an RFC 5737"
        " documentation range: no real client has this address; set the network you deploy from",
        "eks-calico-ebpf:allowedClientCidrs[0]: 203.0.113.0/24 is in 203.0.113.0/24, an RFC 5737"
        " documentation range: no real client has this address; set the networks your clients"
        " connect from",
        "eks-calico-ebpf:allowedClientCidrs[2]: 198.51.100.7/32 is in 198.51.100.0/24, an RFC"
        " 5737 documentation range: no real client has this address; set the networks your"
        " clients connect from",
    ]
    assert config_warnings(settings(publicAccessCidrs='["198.18.0.0/15"]')) == []


@pytest.mark.parametrize("stack", ["dev", "bench"])
def test_the_shipped_stacks_plan_but_warn_about_their_placeholder_addresses(stack):
    from tests.conftest import planned

    warnings = planned(stack).warnings
    assert [w for w in warnings if "RFC 5737" in w] == DOC_WARNINGS
    own = ['publicAccessCidrs=["198.18.0.1/32"]', 'allowedClientCidrs=["198.18.0.0/24"]']
    assert not any("RFC 5737" in w for w in planned(stack, *own).warnings)
