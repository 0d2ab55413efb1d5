"""The README's "Use it from your own program": the Python example runs, the other languages'
examples use only names the schema has, and the documented outputs are the real ones."""

import json
import re

import yaml

from components.eks_calico_cluster import TYPE
from components.testing.mock_engine import run_program
from tests.conftest import ROOT, planned
from tests.installed import as_installed

README = (ROOT / "README.md").read_text()
SECTION = README.split("## Use it from your own program\n", 1)[1].split("\n## ", 1)[0]
SCHEMA = json.loads((ROOT / "provider" / "schema.json").read_text())
RESOURCE = SCHEMA["resources"][TYPE]


def _block(lang, marker=""):
    (block,) = re.findall(rf"{marker}```{lang}\n(.*?)```", SECTION, re.S)
    return block


def test_python_facade_example_runs():
    with as_installed():
        result = run_program(
            "example",
            {"aws:region": "us-west-2"},
            program=lambda: exec(_block("python", "<!-- example: facade -->\n"), {}),
        )
    (facade,) = result.by_type(TYPE)
    assert facade.name == "platform"
    assert result.one("eks:index:Cluster", "eks").inputs["bootstrapSelfManagedAddons"] is False
    group = result.one("eks:index:ManagedNodeGroup", "nodes-metal").inputs
    assert group["scalingConfig"]["maxSize"] == 4
    # The tags input goes over the project's own tags.
    assert result.one("aws:ec2/vpc:Vpc", "vpc").inputs["tags"] == {
        "project": "eks-calico-ebpf",
        "stack": "example",
        "cluster": "eks-calico-ebpf-example",
        "team": "platform",
        "Name": "vpc",
    }
    assert len(result.outputs["privateSubnetIds"]) == 2


def test_yaml_example_uses_the_schemas_names():
    program = yaml.safe_load(_block("yaml"))
    (cluster,) = program["resources"].values()
    assert cluster["type"] == TYPE
    assert set(cluster["properties"]) <= set(RESOURCE["inputProperties"])
    assert set(RESOURCE["requiredInputs"]) <= set(cluster["properties"])
    for value in program["outputs"].values():
        assert re.fullmatch(r"\$\{cluster\.(\w+)\}", value)[1] in RESOURCE["properties"]


def test_typescript_example_uses_the_schemas_names():
    block = _block("typescript")
    inputs = re.search(r"EksCalicoCluster\(\"platform\", \{\n(.*?)\n\}\);", block, re.S)[1]
    top_level = re.findall(r"^    (\w+):", inputs, re.M)
    assert set(top_level) <= set(RESOURCE["inputProperties"])
    (output,) = re.findall(r"cluster\.(\w+)", block)
    assert output in RESOURCE["properties"]


def test_documented_outputs_are_the_real_ones():
    documented = set(re.findall(r"`(\w+)`", SECTION.split("Outputs:", 1)[1].split("One\n", 1)[0]))
    assert documented == set(RESOURCE["properties"]) | {"demoApp"}
    assert set(RESOURCE["properties"]) == set(planned("dev").outputs)
