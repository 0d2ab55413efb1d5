import re
import tomllib

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from components.eks._bottlerocket import (
    BASE_SETTINGS,
    SYSCTLS,
    SettingError,
    ami_type,
    architecture,
    check_settings,
    deep_merge,
    group_architecture,
    render_user_data,
    settings_problems,
    supported_paths,
)
from tests.conftest import ROOT


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


GOLDEN_NO_SSM = """\
[settings.host-containers.admin]
enabled = false

[settings.host-containers.control]
enabled = false
"""


def test_user_data_without_ssm_access_turns_the_control_container_off():
    assert render_user_data({}, ssm_access=False) == GOLDEN_NO_SSM
    off = {"settings": {"host-containers": {"control": {"enabled": False}}}}
    assert render_user_data(off, ssm_access=False) == GOLDEN_NO_SSM
    # with SSM access the user may still turn it off, or leave it on explicitly
    assert render_user_data(off) == GOLDEN_NO_SSM
    on = {"settings": {"host-containers": {"control": {"enabled": True}}}}
    assert render_user_data(on) == GOLDEN_DEFAULT


def test_control_container_on_without_ssm_access_is_refused():
    on = {"settings": {"host-containers": {"control": {"enabled": True}}}}
    with pytest.raises(SettingError) as info:
        render_user_data(on, ssm_access=False)
    assert str(info.value) == (
        "settings.host-containers.control.enabled turns the SSM agent's container on while the"
        " node role may not use SSM (got true); accepted: false or unset, or SSM access on"
        " (stack config nodeSsmAccess: true)"
    )


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


ACCEPTED = {
    "settings": {
        "motd": "bench node",
        "host-containers": {"admin": {"enabled": False}, "control": {"enabled": False}},
        "kernel": {
            "sysctl": {
                "net.core.somaxconn": "4096",
                "net.ipv4.tcp_rmem": "4096 87380 33554432",
                "net.ipv4.ip_local_port_range": "1024 29999",
                "net.ipv4.tcp_slow_start_after_idle": "0",
            }
        },
        "kubernetes": {
            "max-pods": 737,
            "kube-reserved": {"cpu": "250m", "memory": "1Gi", "ephemeral-storage": "1Gi"},
            "system-reserved": {"memory": "512Mi"},
            "eviction-hard": {"memory.available": "500Mi", "nodefs.available": "10%"},
            "eviction-soft": {"memory.available": "1Gi"},
            "eviction-soft-grace-period": {"memory.available": "1m30s"},
            "eviction-max-pod-grace-period": 60,
            "pod-pids-limit": -1,
            "image-gc-high-threshold-percent": 85,
            "image-gc-low-threshold-percent": 80,
            "container-log-max-size": "10Mi",
            "container-log-max-files": 5,
            "shutdown-grace-period": "45s",
            "shutdown-grace-period-for-critical-pods": "15s",
            "cpu-manager-policy": "static",
            "topology-manager-policy": "single-numa-node",
            "topology-manager-scope": "pod",
            "seccomp-default": True,
        },
    }
}


def test_every_supported_setting_is_accepted_and_rendered():
    assert settings_problems(ACCEPTED) == []
    rendered = tomllib.loads(render_user_data(ACCEPTED))
    assert rendered["settings"]["kubernetes"] == ACCEPTED["settings"]["kubernetes"]
    assert rendered["settings"]["kernel"] == ACCEPTED["settings"]["kernel"]
    # every supported path is exercised by the example above
    assert _paths_of(ACCEPTED["settings"]) == {
        p.removeprefix("settings.").replace(".<key>", "") for p in supported_paths()
    }


def _paths_of(tree, prefix=""):
    out = set()
    for key, value in tree.items():
        here = f"{prefix}{key}"
        if isinstance(value, dict) and here not in _MAPS:
            out |= _paths_of(value, here + ".")
        else:
            out.add(here)
    return out


_MAPS = {
    "kernel.sysctl",
    "kubernetes.kube-reserved",
    "kubernetes.system-reserved",
    "kubernetes.eviction-hard",
    "kubernetes.eviction-soft",
    "kubernetes.eviction-soft-grace-period",
}


def _k8s(**values):
    return {"settings": {"kubernetes": values}}


def _sysctl(name, value):
    return {"settings": {"kernel": {"sysctl": {name: value}}}}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"kubernetes": {}},
            "settings has top-level key \"kubernetes\"; the only one is 'settings'",
        ),
        ({"settings": []}, "settings must be an object (got [])"),
        # the review's list: nothing that weakens the node or replaces what it runs
        (
            {"settings": {"host-containers": {"admin": {"enabled": True}}}},
            "settings.host-containers.admin.enabled is not an accepted value (got true); accepted: false (the admin container stays off)",
        ),
        (
            {
                "settings": {
                    "host-containers": {
                        "debug": {"enabled": True, "superpowered": True, "source": "x"}
                    }
                }
            },
            "settings.host-containers.debug may only turn the admin container off and the control container on or off",
        ),
        (
            {"settings": {"host-containers": {"control": {"source": "attacker/image"}}}},
            "settings.host-containers.control.source may only turn the admin container off",
        ),
        (
            {"settings": {"host-containers": {"control": {"superpowered": True}}}},
            "settings.host-containers.control.superpowered may only turn",
        ),
        (
            {"settings": {"host-containers": {"control": {"enabled": "true"}}}},
            'settings.host-containers.control.enabled is not an accepted value (got "true"); accepted: true or false',
        ),
        (
            {"settings": {"bootstrap-containers": {"x": {"source": "y", "mode": "always"}}}},
            "settings.bootstrap-containers would run containers with host access",
        ),
        (
            {"settings": {"pki": {"my-ca": {"data": "...", "trusted": True}}}},
            "settings.pki would add trusted certificate authorities",
        ),
        (
            {
                "settings": {
                    "container-registry": {
                        "mirrors": [{"registry": "*", "endpoint": ["https://evil"]}]
                    }
                }
            },
            "settings.container-registry would redirect or authenticate image pulls",
        ),
        (
            {"settings": {"network": {"https-proxy": "http://proxy:3128"}}},
            "settings.network would change the node's proxy",
        ),
        (
            {"settings": {"kernel": {"lockdown": "none"}}},
            "settings.kernel.lockdown stays at Bottlerocket's default, integrity",
        ),
        (
            {"settings": {"kernel": {"modules": {"sctp": {"allowed": True}}}}},
            "settings.kernel.modules would change which kernel modules",
        ),
        (
            {"settings": {"boot": {"kernel-parameters": {"lockdown": ["none"]}}}},
            "settings.boot would change the kernel command line",
        ),
        (
            _k8s(**{"server-tls-bootstrap": False}),
            "settings.kubernetes.server-tls-bootstrap stays on",
        ),
        (
            _k8s(**{"allowed-unsafe-sysctls": ["*"]}),
            "settings.kubernetes.allowed-unsafe-sysctls would let pods set unsafe sysctls",
        ),
        (
            _k8s(**{"pod-infra-container-image": "x"}),
            "settings.kubernetes.pod-infra-container-image would replace the pause image",
        ),
        (
            _k8s(**{"cluster-name": "x"}),
            "settings.kubernetes.cluster-name is set by EKS or the project",
        ),
        (
            _k8s(**{"node-labels": {"a": "b"}}),
            "settings.kubernetes.node-labels is set by EKS or the project",
        ),
        (_k8s(**{"api-server": "https://x"}), "settings.kubernetes.api-server is set by EKS"),
        (
            _k8s(**{"no-such-thing": 1}),
            "settings.kubernetes.no-such-thing is not a supported setting",
        ),
        ({"settings": {"updates": {"seed": 1}}}, "settings.updates is not a supported setting"),
        # sysctls: a vetted list, values in the kernel's own spelling
        (
            _sysctl("kernel.unprivileged_bpf_disabled", "0"),
            'settings.kernel.sysctl["kernel.unprivileged_bpf_disabled"] is not a vetted sysctl',
        ),
        (
            _sysctl("net.ipv4.ip_forward", "0"),
            'settings.kernel.sysctl["net.ipv4.ip_forward"] is not a vetted sysctl',
        ),
        (_sysctl("net.core.bpf_jit_enable", "0"), "is not a vetted sysctl"),
        (
            _sysctl("net.core.somaxconn", 4096),
            'settings.kernel.sysctl["net.core.somaxconn"] is not an accepted value (got 4096)',
        ),
        (
            _sysctl("net.ipv4.tcp_rmem", "4096 87380"),
            'accepted: 3 whole number(s) from 0 to 2147483647 as a string, e.g. "4096 4096 4096"',
        ),
        (_sysctl("net.core.somaxconn", "4096\n"), "is not an accepted value"),
        (_sysctl("net.core.somaxconn", "99999999999"), "is not an accepted value"),
        (_sysctl("net.ipv4.tcp_mtu_probing", "3"), 'accepted: "0" or "1" or "2"'),
        (
            _sysctl("net.ipv4.ip_local_port_range", "40000 30000"),
            "accepted: two ports, low below high",
        ),
        (
            _sysctl("net.ipv4.ip_local_port_range", "1024 70000"),
            "accepted: two ports, low below high",
        ),
        # kubelet values by type and range: no bools as ints, no floats, no nulls, no 65-bit ints
        (
            _k8s(**{"max-pods": True}),
            "settings.kubernetes.max-pods is not an accepted value (got true)",
        ),
        (
            _k8s(**{"max-pods": 737.0}),
            "settings.kubernetes.max-pods is not an accepted value (got 737.0)",
        ),
        (_k8s(**{"max-pods": None}), "(got null)"),
        (_k8s(**{"max-pods": float("nan")}), "(got NaN)"),
        (_k8s(**{"max-pods": 2**63}), "accepted: a whole number from 1 to 4294967295"),
        (_k8s(**{"max-pods": 0}), "accepted: a whole number from 1 to 4294967295"),
        (
            _k8s(**{"pod-pids-limit": -1.0}),
            "accepted: -1 (no limit) or a whole number from 1 to 4194304",
        ),
        (
            _k8s(**{"pod-pids-limit": 0}),
            "settings.kubernetes.pod-pids-limit is not an accepted value",
        ),
        (
            _k8s(**{"kube-reserved": {"gpu": "1"}}),
            'settings.kubernetes.kube-reserved.gpu is not an accepted key (got "1"); accepted: cpu, memory, ephemeral-storage',
        ),
        (
            _k8s(**{"kube-reserved": {"memory": "-1Gi"}}),
            "settings.kubernetes.kube-reserved.memory is not an accepted value",
        ),
        (_k8s(**{"kube-reserved": "cpu=1"}), "settings.kubernetes.kube-reserved must be an object"),
        (
            _k8s(**{"eviction-hard": {"memory.available": "100%"}}),
            'settings.kubernetes.eviction-hard["memory.available"] is not an accepted value',
        ),
        (_k8s(**{"eviction-hard": {"containerfs.available": "10%"}}), "is not an accepted key"),
        (
            _k8s(**{"eviction-soft-grace-period": {"memory.available": "90"}}),
            "accepted: a duration in h, m, s, ms",
        ),
        (
            _k8s(**{"shutdown-grace-period": ""}),
            "settings.kubernetes.shutdown-grace-period is not an accepted value",
        ),
        (_k8s(**{"cpu-manager-policy": "Static"}), 'accepted: "none" or "static"'),
        (_k8s(**{"container-log-max-files": 1}), "accepted: a whole number from 2 to 2147483647"),
        (
            _k8s(**{"image-gc-high-threshold-percent": 80, "image-gc-low-threshold-percent": 80}),
            "settings.kubernetes.image-gc-low-threshold-percent is not below image-gc-high-threshold-percent (80)",
        ),
        ({"settings": {"motd": "two\nlines"}}, "settings.motd is not an accepted value"),
        ({"settings": {"motd": "two\u2028lines"}}, "settings.motd is not an accepted value"),
        ({"settings": {"motd": "two\x85lines"}}, "settings.motd is not an accepted value"),
        (
            {"settings": {"motd": "x" * 256}},
            "accepted: one line of printable text, up to 255 chars",
        ),
    ],
)
def test_refused_settings_name_the_path(settings, message):
    problems = settings_problems(settings)
    assert len(problems) == 1
    assert message in problems[0]
    assert "\n" not in problems[0]
    with pytest.raises(SettingError, match=re.escape(problems[0])):
        render_user_data(settings)


@settings_(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        *SYSCTLS,
                        "settings",
                        "kubernetes",
                        "kernel",
                        "sysctl",
                        "max-pods",
                        "motd",
                        "host-containers",
                        "admin",
                        "control",
                        "enabled",
                        "x",
                    ]
                ),
                children,
                max_size=3,
            )
        ),
        max_leaves=12,
    )
)
def test_any_value_is_accepted_or_refused_with_one_line(value):
    """Whatever the mapping holds, the check either passes (and the TOML renders and parses
    back to the same values) or raises a one-line SettingError; never anything else."""
    tree = {"settings": value}
    problems = settings_problems(tree)
    if problems:
        assert "\n" not in problems[0]
        assert problems[0].startswith("settings")
        with pytest.raises(SettingError):
            check_settings(tree)
    else:
        assert tomllib.loads(render_user_data(tree)) == deep_merge(BASE_SETTINGS, tree)


def test_readme_documents_every_supported_setting_and_sysctl():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Supported Bottlerocket settings", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"`((?:settings\.)?[a-z-]+(?:\.[a-z-]+)*(?:\.<key>)?)`", section))
    for path in supported_paths():
        # rows may share a prefix: `settings.kubernetes.a`, `b` documents settings.kubernetes.b
        leaf = path.rsplit(".", 2 if path.endswith("<key>") else 1)
        short = ".".join(leaf[1:])
        assert path in documented or short in documented, path
    for name in SYSCTLS:
        assert f"`{name}`" in section, name
