"""EksCluster judges its public-endpoint CIDRs as the stack config does, before creating
anything: a program importing the component gets the same protection."""

import pytest

from components.eks.cluster import EksCluster, EksClusterArgs, check_public_access_cidrs
from components.testing.mock_engine import run_program


@pytest.mark.parametrize("cidrs", [(), ("0.0.0.0/0",), ("198.51.100.0/24", "203.0.113.10/32")])
def test_accepted(cidrs):
    check_public_access_cidrs(cidrs)


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (
            ["0.0.0.0/1", "128.0.0.0/1"],
            "public_access_cidrs: ['0.0.0.0/1', '128.0.0.0/1'] admits the whole internet",
        ),
        (["10.0.0.0/8"], "public_access_cidrs[0]: '10.0.0.0/8' overlaps 10.0.0.0/8, private"),
        (
            ["198.51.100.0/24", "169.254.169.254/32"],
            "public_access_cidrs[1]: '169.254.169.254/32' overlaps 169.254.0.0/16, link-local",
        ),
        (["198.51.100.1/24"], "public_access_cidrs[0]: '198.51.100.1/24' has host bits set"),
    ],
)
def test_refused_with_one_line(cidrs, message):
    with pytest.raises(ValueError, match=r"^public_access_cidrs") as info:
        check_public_access_cidrs(cidrs)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_the_component_refuses_before_registering_anything(monkeypatch):
    from components.testing import mock_engine

    registered = []
    original = mock_engine.RecordingMonitor.RegisterResource

    def spy(self, request):
        if request.type != "pulumi:pulumi:Stack":  # the engine's own root, not ours
            registered.append(request.type)
        return original(self, request)

    monkeypatch.setattr(mock_engine.RecordingMonitor, "RegisterResource", spy)

    def program():
        EksCluster(
            "eks",
            EksClusterArgs(
                cluster_name="perf",
                region="eu-west-1",
                vpc_id="vpc-1",
                public_subnet_ids=["subnet-1"],
                private_subnet_ids=["subnet-2"],
                public_access_cidrs=["0.0.0.0/1", "128.0.0.0/1"],
            ),
        )

    with pytest.raises(ValueError, match=r"^public_access_cidrs: .* admits the whole internet"):
        run_program("t", {"aws:region": "eu-west-1"}, program=program)
    assert registered == []
