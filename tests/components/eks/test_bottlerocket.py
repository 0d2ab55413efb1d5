import re

import pytest

from components.eks._bottlerocket import (
    ami_type,
    architecture,
    group_architecture,
    render_user_data,
    settings_problems,
)


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("c5n.metal", "x86_64"),
        ("c5n.xlarge", "x86_64"),
        ("m5.large", "x86_64"),
        ("g5.xlarge", "x86_64"),
        ("c7gn.metal", "arm64"),
        ("m6g.large", "arm64"),
        ("r6gd.xlarge", "arm64"),
        ("t4g.small", "arm64"),
        ("im4gn.large", "arm64"),
        ("a1.metal", "arm64"),
    ],
)
def test_architecture(instance_type, arch):
    assert architecture(instance_type) == arch


def test_ami_type_per_architecture():
    assert ami_type(["c5n.metal", "c5n.18xlarge"]) == "BOTTLEROCKET_x86_64"
    assert ami_type(["c7gn.metal"]) == "BOTTLEROCKET_ARM_64"


def test_mixed_architectures_are_refused():
    with pytest.raises(ValueError, match=r"mix architectures \(arm64: \['c7gn.metal'\], x86_64"):
        group_architecture(["c5n.metal", "c7gn.metal"])


GOLDEN_DEFAULT = """\
[settings.host-containers.admin]
enabled = false

[settings.host-containers.control]
enabled = true
"""


def test_user_data_golden_default():
    assert render_user_data({}) == GOLDEN_DEFAULT


GOLDEN_WITH_SETTINGS = """\
[settings.host-containers.admin]
enabled = false

[settings.host-containers.control]
enabled = false

[settings.kernel.sysctl]
"net.core.somaxconn" = "4096"
"net.ipv4.tcp_rmem" = "4096 87380 33554432"

[settings.kubernetes]
max-pods = 737
"""


def test_user_data_golden_with_user_settings_merged_and_sorted():
    user = {
        "settings": {
            "kubernetes": {"max-pods": 737},
            "kernel": {
                "sysctl": {"net.ipv4.tcp_rmem": "4096 87380 33554432", "net.core.somaxconn": "4096"}
            },
            "host-containers": {"control": {"enabled": False}},
        }
    }
    rendered = render_user_data(user)
    assert rendered == GOLDEN_WITH_SETTINGS
    # the named property behind the golden: admin stays off whatever the user merges
    assert "[settings.host-containers.admin]\nenabled = false" in rendered


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"kubernetes": {}}, "the only top-level key is 'settings'"),
        (
            {"settings": {"host-containers": {"admin": {"enabled": True}}}},
            "admin.enabled must stay false",
        ),
        (
            {"settings": {"kubernetes": {"cluster-name": "x"}}},
            "settings.kubernetes.cluster-name is set by EKS",
        ),
        (
            {"settings": {"kubernetes": {"node-labels": {"a": "b"}}}},
            "settings.kubernetes.node-labels is set by EKS",
        ),
        (
            {"settings": {"kubernetes": {"api-server": "https://x"}}},
            "settings.kubernetes.api-server",
        ),
    ],
)
def test_settings_problems(settings, problem):
    problems = settings_problems(settings)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match=re.escape(problems[0])):
        render_user_data(settings)


def test_allowed_settings_have_no_problems():
    assert settings_problems({"settings": {"kubernetes": {"max-pods": 737}}}) == []
