"""`--manifests`, `--json` and `--images` as a user gets them: whole objects valid on their own,
patches unmistakable, whole numbers as integers, every image listed (and in the README)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components import defaults
from components.testing.charts import CHART_TYPE, group_of
from components.testing.mock_engine import PlanResult, Registration
from components.testing.plan import container_images, main
from tests.conftest import ROOT, planned

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def floats(value: Any, path: str = "") -> list[str]:
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in floats(v, f"{path}[{i}]")]
    return []


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, list[str]]:
    """The done-when run: `--stack dev -c calicoVersion=v3.32.1 --json F --manifests D`."""
    out = tmp_path_factory.mktemp("plan")
    argv = ["--stack", "dev", "-c", "calicoVersion=v3.32.1"]
    argv += ["--json", str(out / "plan.json"), "--manifests", str(out / "m")]
    argv += ["--images", str(out / "images.txt")]
    assert main(argv) == 0
    document = json.loads((out / "plan.json").read_text())
    return document, out / "m", (out / "images.txt").read_text().splitlines()


def test_json_has_the_chart_children_the_issue_asks_for(written):
    document, _, _ = written
    by_urn = {r["urn"]: r for r in document["resources"]}
    children: dict[str, Counter[str]] = {}
    for r in document["resources"]:
        parent = by_urn.get(r["parent"] or "")
        if parent and parent["type"] == CHART_TYPE:
            assert r["custom"] is True
            assert r["type"] == (
                f"kubernetes:{group_of(r['inputs']['apiVersion']) or 'core'}/"
                f"{r['inputs']['apiVersion'].rpartition('/')[2]}:{r['inputs']['kind']}"
            )
            children.setdefault(parent["name"], Counter())[r["inputs"]["kind"]] += 1
    assert set(children) == {"calico-crds", "calico-operator", "lbc-chart"}
    for chart in ("calico-operator", "lbc-chart"):
        assert children[chart]["Deployment"] == 1
        assert children[chart]["ClusterRole"] >= 1
        assert children[chart]["ClusterRoleBinding"] == 1
    assert children["calico-crds"]["CustomResourceDefinition"] == 32
    assert children["lbc-chart"]["CustomResourceDefinition"] == 7


def test_whole_objects_are_valid_unique_hookless_and_integral(written):
    _, directory, _ = written
    identities = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text()
        obj = yaml.load(text, Loader=LOADER)
        assert not text.startswith("#"), path.name
        assert floats(obj) == [], path.name
        assert "helm.sh/hook" not in (obj["metadata"].get("annotations") or {}), path.name
        group = group_of(obj["apiVersion"])
        meta = obj["metadata"]
        identities.append((group, obj["kind"], meta.get("namespace", ""), meta["name"]))
        if "." not in group or group.endswith(".k8s.io"):
            kubernetes_validate.validate(obj, defaults.KUBERNETES_VERSION, strict=True)
    duplicated = [i for i, n in Counter(identities).items() if n > 1]
    assert duplicated == []
    assert len(identities) > 60


def test_patches_are_apart_and_say_so(written):
    _, directory, _ = written
    patches = sorted(p.name for p in (directory / "patches").iterdir())
    assert patches == [
        "DaemonSet-calico-kube-proxy.patch.yaml",
        "FelixConfiguration-calico-felix-handover.patch.yaml",
        "FelixConfiguration-calico-felix-takeover.patch.yaml",
        "FelixConfiguration-calico-felix.patch.yaml",
    ]
    felix = directory / "patches" / "FelixConfiguration-calico-felix-takeover.patch.yaml"
    felix = felix.read_text()
    first, _, body = felix.partition("\n")
    assert first.startswith("# PATCH (kubernetes:crd.projectcalico.org/v1:FelixConfigurationPatch")
    assert "not a whole object" in first
    spec = yaml.safe_load(body)["spec"]
    assert spec["bpfKubeProxyHealthzPort"] == 10256
    assert type(spec["bpfKubeProxyHealthzPort"]) is int
    assert not list(directory.glob("*Patch*"))


def test_images_file_lists_every_image_of_the_plan(written):
    _, _, images = written
    assert images == container_images(planned("dev", "calicoVersion=v3.32.1"))
    assert any(i.startswith("quay.io/tigera/operator:") for i in images)
    assert any(i.startswith("public.ecr.aws/eks/aws-load-balancer-controller:") for i in images)


def test_images_come_from_every_container_list_and_nothing_else():
    pod = {
        "initContainers": [{"name": "i", "image": "init:1"}],
        "containers": [{"name": "c", "image": "main:1"}, {"name": "d", "image": "main:1"}],
        "ephemeralContainers": [{"name": "e", "image": "debug:1"}],
    }
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    deployment["spec"] = {"template": {"spec": pod}}
    # A CRD schema describes `containers` as an object: not an image list.
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}
    crd["spec"] = {"properties": {"containers": {"type": "array", "image": "no:1"}}}
    result = PlanResult(
        stack="t",
        resources=[
            Registration(f"urn:{i}", f"kubernetes:x/v1:{o['kind']}", "n", None, True, o, ())
            for i, o in enumerate([deployment, crd])
        ],
        outputs={},
    )
    assert container_images(result) == ["debug:1", "init:1", "main:1"]


def readme_images() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- images -->\n```\n(.*?)```\n<!-- /images -->", readme, re.S)
    assert block, "README has no images block"
    return block.group(1).splitlines()


def test_readme_lists_every_image_of_every_stack():
    stacks = sorted(p.stem.removeprefix("Pulumi.") for p in (ROOT / "stacks").glob("*.yaml"))
    images = sorted({i for s in stacks for i in container_images(planned(s))})
    assert readme_images() == images
