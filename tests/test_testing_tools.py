"""The opt-in test tooling works on a user's own program and refuses a foreign Pulumi SDK."""

import subprocess
import sys
import textwrap

import pytest

import components.testing
from components.testing import SUPPORTED_PULUMI, UnsupportedPulumiError
from components.testing.mock_engine import run_program
from components.testing.plan import PlanError, main, plan, stack_config
from tests.conftest import ROOT

PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_aws as aws

    from helper import bucket_name   # a module beside the program, as `pulumi up` allows

    bucket = aws.s3.Bucket("logs", bucket=bucket_name(pulumi.Config().require("suffix")))
    pulumi.export("bucket", bucket.bucket)
    """
)


@pytest.fixture
def project(tmp_path):
    """A user's Pulumi project outside this repo: program, helper module, one stack file."""
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "helper.py").write_text("def bucket_name(s):\n    return f'team-{s}'\n")
    stacks = tmp_path / "config"
    stacks.mkdir()
    (stacks / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  eks-calico-ebpf:suffix: prod\n"
    )
    return tmp_path


def test_run_program_runs_a_program_file_given_by_path(project):
    result = run_program("prod", {"eks-calico-ebpf:suffix": "a"}, project / "__main__.py")
    assert [(r.type, r.name) for r in result.resources] == [("aws:s3/bucket:Bucket", "logs")]
    assert result.outputs == {"bucket": "team-a"}


def test_plan_takes_the_stacks_folder_and_program(project):
    result = plan(
        "prod", ["suffix=b"], stacks_dir=project / "config", program=project / "__main__.py"
    )
    assert result.outputs == {"bucket": "team-b"}
    assert stack_config("prod", stacks_dir=project / "config")["aws:region"] == "eu-west-1"
    with pytest.raises(PlanError, match=r"no stack file .*Pulumi\.dev\.yaml; stacks: prod$"):
        stack_config("dev", stacks_dir=project / "config")


def test_plan_cli_runs_a_users_project(project, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "components.plan",
            "--stack",
            "prod",
            "--program",
            str(project / "__main__.py"),
            "--stacks-dir",
            str(project / "config"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "stack prod: 1 resources" in proc.stdout
    assert '    bucket: "team-prod"' in proc.stdout


def test_plan_cli_names_a_missing_program(project, tmp_path, capsys):
    argv = ["--stack", "prod", "--program", str(tmp_path / "nope.py")]
    assert main([*argv, "--stacks-dir", str(project / "config")]) == 1
    assert capsys.readouterr().err == f"error: no Pulumi program at {tmp_path / 'nope.py'}\n"


@pytest.mark.parametrize("installed", ["3.999.0", None])
def test_a_foreign_pulumi_version_is_refused_with_what_to_install(monkeypatch, installed):
    def fake_version(name):
        assert name == "pulumi"
        if installed is None:
            raise components.testing.PackageNotFoundError(name)
        return installed

    monkeypatch.setattr(components.testing, "version", fake_version)
    with pytest.raises(UnsupportedPulumiError) as caught:
        components.testing._check_pulumi()
    shown = installed or "not installed"
    assert str(caught.value) == (
        f"the mock engine and offline plan need pulumi=={SUPPORTED_PULUMI} (installed: {shown}); "
        f"install it with `pip install pulumi=={SUPPORTED_PULUMI}` in the environment that runs "
        "the tests"
    )


def test_the_supported_version_is_the_pinned_one():
    components.testing._check_pulumi()  # the venv's pulumi: no error
    assert f"pulumi=={SUPPORTED_PULUMI}\n" in (ROOT / "requirements.txt").read_text()


# Without helm-python-sdk (as after installing only what the README's offline plan command
# installed before requirements-plan.txt): `None` in sys.modules makes `import helm_python` raise
# ModuleNotFoundError exactly as an absent package does.
WITHOUT_HELM = textwrap.dedent(
    """
    import sys
    sys.modules["helm_python"] = None
    from components.testing.plan import main
    code = main(["--stack", "dev"])
    print("helm_python imported:", sys.modules["helm_python"] is not None)
    sys.exit(code)
    """
)


def test_without_helm_the_plan_runs_with_every_chart_opaque_and_one_warning():
    from components.testing.charts import CHART_TYPE, HELM_MISSING
    from tests.conftest import planned

    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_HELM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # The program's own warnings, then one line for all the charts; no traceback.
    expanded = planned("dev")
    assert not [w for w in expanded.warnings if "chart" in w]  # none from expansion itself
    assert proc.stderr.splitlines() == [
        *(f"warning: {w}" for w in expanded.warnings),
        f"warning: {HELM_MISSING}",
    ]
    assert "requirements-plan.txt" in HELM_MISSING
    assert "eks-calico-ebpf[testing]" in HELM_MISSING
    # Every Chart is in the tree, none with children; everything else as in the expanded plan.
    charts = {r.urn for r in expanded.by_type(CHART_TYPE)}
    unexpanded = [r for r in expanded.resources if r.parent not in charts]
    assert f"stack dev: {len(unexpanded)} resources\n" in proc.stdout
    assert len(unexpanded) < len(expanded.resources)
    for chart in expanded.by_type(CHART_TYPE):
        assert f"+ {CHART_TYPE} {chart.name}\n" in proc.stdout
    assert "(rendered from chart)" not in proc.stdout
    assert proc.stdout.endswith("helm_python imported: False\n")


def test_requirements_plan_installs_what_the_plan_imports():
    """The README's offline plan command installs requirements-plan.txt: it must name every
    package the plan needs beyond the runtime pins, at the testing extra's versions."""
    import tomllib

    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements-plan.txt").read_text().splitlines()
    ]
    assert [line for line in lines if line] == [
        "-r requirements.txt",
        "PyYAML==6.0.3",
        "helm-python-sdk==0.2.2",
    ]
    readme = (ROOT / "README.md").read_text()
    assert (
        ".venv/bin/pip install -r requirements-plan.txt && .venv/bin/python -m components.plan"
        in readme
    )
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "helm-python-sdk==0.2.2" in extra["testing"]


def test_charts_expand_from_the_charts_dir_given(tmp_path, capsys):
    """An installed `eks_calico_ebpf[testing]` has no repo `upstream/charts`: the archives come
    from `--charts-dir` / `charts_dir` (here a folder with only the LBC chart)."""
    import shutil

    from components.testing.charts import CHART_TYPE
    from components.testing.diff import plan_change
    from components.testing.upstream import CHARTS_DIR

    charts = tmp_path / "charts"
    charts.mkdir()
    shutil.copy(CHARTS_DIR / "aws-load-balancer-controller-3.5.0.tgz", charts)

    def children(result, name):
        chart = result.one(CHART_TYPE, name)
        return [r for r in result.resources if r.parent == chart.urn]

    result = plan("dev", charts_dir=charts)
    assert len(children(result, "lbc-chart")) == 20
    assert children(result, "calico-operator") == []
    opaque = (
        f"chart tigera-operator v3.31.7 (calico-operator) is not vendored in {charts}/: "
        "kept opaque, its objects are not in this plan"
    )
    assert [w for w in result.warnings if w.startswith("chart ")] == [opaque]
    assert len(children(plan("dev"), "calico-operator")) == 38  # the default: the repo's

    _, after, _ = plan_change(
        "dev", stack_config("dev"), stack_config("dev"), charts_dir=tmp_path / "none"
    )
    assert [
        r for r in after.resources if r.parent in {c.urn for c in after.by_type(CHART_TYPE)}
    ] == []

    assert main(["--stack", "dev", "--charts-dir", str(charts)]) == 0
    out, err = capsys.readouterr()
    assert f"warning: {opaque}\n" in err
    assert out.count("(rendered from chart)") == 20
    assert main(["--stack", "dev", "--before", "", "--charts-dir", str(charts)]) == 0
    out, err = capsys.readouterr()
    assert out == "no changes\n"
    assert f"warning: {opaque}\n" in err
