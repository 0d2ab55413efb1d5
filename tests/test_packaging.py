"""The repo is an installable library: `components/` ships as `eks_calico_ebpf`.

These checks run on the source tree; `scripts/check-wheel` (run by `scripts/test`) builds the
wheel, installs it into a fresh virtualenv and imports the components from there.
"""

import ast
import re
import subprocess
import sys
import textwrap
import tomllib

import pytest
from packaging.requirements import Requirement

import components
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COMPONENTS = ROOT / "components"


def _modules() -> list[str]:
    return sorted(
        ".".join(("components", *p.relative_to(COMPONENTS).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in COMPONENTS.rglob("*.py")
    )


def test_every_subpackage_is_listed_for_the_wheel():
    # setuptools installs only the listed packages under a package-dir mapping: a new folder
    # missing here would silently be left out of the wheel.
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"eks_calico_ebpf": "components"}
    on_disk = sorted(
        ".".join(("eks_calico_ebpf", *p.parent.relative_to(COMPONENTS).parts))
        for p in COMPONENTS.rglob("__init__.py")
    )
    assert sorted(setuptools["packages"]) == on_disk


def test_intra_package_imports_are_relative():
    # The code runs as `components` in the repo and as `eks_calico_ebpf` installed: an absolute
    # import of either name would break the other.
    offenders = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.partition(".")[0] in {"components", "eks_calico_ebpf"}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []


def test_package_data_covers_the_json_files_and_the_typed_marker():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    assert (COMPONENTS / "py.typed").is_file()
    assert "py.typed" in patterns
    assert "*.json" in patterns
    assert list(COMPONENTS.glob("exposure/*.json")), "the LBC IAM policy ships as package data"


def test_version_is_single_sourced_and_semver():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "eks_calico_ebpf.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+", components.__version__)


def test_version_equals_the_git_tag_on_a_tagged_commit():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (scripts/test checks the tag in the checkout)")
    tag = subprocess.run(
        ["git", "describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if tag.returncode != 0:
        pytest.skip("HEAD carries no vX.Y.Z tag")
    assert tag.stdout.strip() == f"v{components.__version__}"


def _pins() -> dict[str, str]:
    pins = {}
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            pins[req.name.lower().replace("_", "-")] = spec.version
    return pins


def test_dependencies_are_ranges_that_accept_the_tested_pins():
    pins = _pins()
    declared = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    assert declared
    for req in declared:
        name = req.name.lower().replace("_", "-")
        assert not any(s.operator == "==" for s in req.specifier), f"{req}: a range, not a pin"
        assert any(s.operator == "<" for s in req.specifier), f"{req}: needs an upper bound"
        assert req.specifier.contains(pins[name]), f"{req} rejects the tested {pins[name]}"
    # The testing extra is the exception: the mock engine is version-locked on purpose.
    (pulumi,) = [
        Requirement(r)
        for r in PYPROJECT["project"]["optional-dependencies"]["testing"]
        if r.startswith("pulumi")
    ]
    assert str(pulumi.specifier) == f"=={pins['pulumi']}"


def test_importing_the_components_loads_no_test_tooling():
    runtime = [
        m for m in _modules() if not m.startswith("components.testing") and m != "components.plan"
    ]
    code = textwrap.dedent(
        f"""
        import importlib, sys
        import pulumi, pulumi_aws, pulumi_eks, pulumi_kubernetes, tomli_w
        before = set(sys.modules)
        for name in {runtime!r}:
            importlib.import_module(name)
        new = sorted(set(sys.modules) - before)
        from pulumi.runtime import settings
        print(
            [m for m in new if m.startswith("components.testing")],
            type(settings.SETTINGS.monitor).__name__,
        )
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # No test module, and no mock monitor installed. (`import pulumi`
    # itself imports pulumi.runtime.mocks, so that module's presence proves nothing.)
    assert out.stdout.split() == ["[]", "NoneType"]
