"""Config keys of the security controls (issue 9): defaults, parsing, one-line errors."""

import pytest

from components import defaults
from components.config import parse_settings
from components.errors import ConfigError


def _settings(**raw):
    raw.setdefault("availabilityZones", '["us-west-2a", "us-west-2b"]')
    raw.setdefault("deployInsideVpc", "true")  # the library default publicAccessCidrs is []
    return parse_settings(raw, region="us-west-2", stack="dev")


def test_defaults_are_the_secure_ones():
    s = _settings()
    assert (s.node_ssm_access, s.vpc_flow_logs) == (True, True)
    assert s.vpc_flow_log_retention_days == 365
    assert s.log_retention_days == 365
    assert defaults.LOG_RETENTION_DAYS == defaults.FLOW_LOG_RETENTION_DAYS == 365


def test_values_are_read():
    s = _settings(
        nodeSsmAccess="false",
        vpcFlowLogs=False,
        vpcFlowLogRetentionDays="731",
        logRetentionDays=400,
    )
    assert (s.node_ssm_access, s.vpc_flow_logs) == (False, False)
    assert (s.vpc_flow_log_retention_days, s.log_retention_days) == (731, 400)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"nodeSsmAccess": "yes"},
            'eks-calico-ebpf:nodeSsmAccess: is not a boolean (got "yes"); accepted: true or false',
        ),
        (
            {"vpcFlowLogs": "1"},
            'eks-calico-ebpf:vpcFlowLogs: is not a boolean (got "1"); accepted: true or false',
        ),
        (
            {"vpcFlowLogRetentionDays": "0"},
            "eks-calico-ebpf:vpcFlowLogRetentionDays: is not a whole number in range (got 0);"
            " accepted: 1 to 3653",
        ),
    ],
)
def test_bad_values_are_one_line_naming_the_key(raw, message):
    with pytest.raises(ConfigError) as info:
        _settings(**raw)
    assert str(info.value) == message


def test_retention_must_be_a_cloudwatch_value():
    with pytest.raises(ConfigError) as info:
        _settings(vpcFlowLogRetentionDays=45)
    text = str(info.value)
    assert text.startswith(
        "eks-calico-ebpf:vpcFlowLogRetentionDays: is not a CloudWatch Logs retention period"
    )
    assert "\n" not in text


def test_a_cluster_name_too_long_for_the_lbc_policy_is_one_line():
    assert _settings(clusterName="c" * 60).cluster_name == "c" * 60
    with pytest.raises(ConfigError) as info:
        _settings(clusterName="c" * 100)
    text = str(info.value)
    assert text.startswith(
        "eks-calico-ebpf:clusterName: makes the load balancer controller's IAM policy longer"
    )
    assert text.endswith("with loadBalancerController aws")
    assert "\n" not in text
    # without the controller there is no such policy
    assert _settings(clusterName="c" * 100, loadBalancerController="in-tree")


def test_control_container_on_without_ssm_access_is_one_line_naming_both_keys():
    group = {
        "instanceTypes": ["m5.large"],
        "bottlerocketSettings": {"settings": {"host-containers": {"control": {"enabled": True}}}},
    }
    with pytest.raises(ConfigError) as info:
        _settings(nodeSsmAccess=False, nodeGroups={"g": group})
    assert str(info.value) == (
        "eks-calico-ebpf:nodeGroups.g.bottlerocketSettings.settings.host-containers.control"
        ".enabled: turns on the control container, which only runs the SSM agent, while"
        " nodeSsmAccess is false (the agent could never register) (got true); accepted: false"
        " or unset, or nodeSsmAccess: true"
    )
    # either key alone is fine
    assert _settings(nodeGroups={"g": group}).node_ssm_access is True
    off = {**group, "bottlerocketSettings": {}}
    assert _settings(nodeSsmAccess=False, nodeGroups={"g": off}).node_ssm_access is False
