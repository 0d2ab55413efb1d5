"""scripts/test: what it copies for the tests, and how it gets the loopback tests' Debian
packages: as root, or through a sudo that needs no password; otherwise it stops at once with one
line naming them (run against stub commands on an empty PATH: nothing is installed, no
virtualenv is made)."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest

from tests.conftest import ROOT

# What the real checkout would also find missing: nginx counts as present in /usr/sbin.
MISSING = ["iperf3"] + ([] if os.access("/usr/sbin/nginx", os.X_OK) else ["nginx"])
STOP = 42  # the stub python3's exit code: the script got past the package step


def _stub(bin_dir, name, body):
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{textwrap.dedent(body)}")
    path.chmod(0o755)


@pytest.fixture
def run(tmp_path):
    """Runs a copy of scripts/test with only stubs on PATH; returns (code, stderr, calls)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("dirname", "env"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    _stub(bin_dir, "apt-get", f'echo "apt-get $* [$DEBIAN_FRONTEND]" >> {calls}\n')
    _stub(bin_dir, "python3", f"exit {STOP}\n")

    def run(uid, sudo):
        _stub(bin_dir, "id", f"echo {uid}\n")
        if sudo is None:
            (bin_dir / "sudo").unlink(missing_ok=True)
        else:
            _stub(
                bin_dir,
                "sudo",
                f"""\
                echo "sudo $*" >> {calls}
                [ "$1" = -n ] || exit 99
                shift
                [ "$1" = true ] && exit {sudo}
                exec "$@"
                """,
            )
        calls.write_text("")
        proc = subprocess.run(
            ["/bin/bash", str(tmp_path / "scripts" / "test")],
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return proc.returncode, proc.stderr, calls.read_text().splitlines()

    return run


def test_as_root_it_installs_what_is_missing(run):
    code, _, calls = run(0, sudo=None)
    assert code == STOP
    assert calls == [
        "apt-get update []",
        f"apt-get install -y {' '.join(MISSING)} [noninteractive]",
    ]


def test_not_root_with_a_passwordless_sudo_it_installs_through_sudo(run):
    code, _, calls = run(1000, sudo=0)
    assert code == STOP
    assert calls == [
        "sudo -n true",
        "sudo -n apt-get update",
        "apt-get update []",
        f"sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y {' '.join(MISSING)}",
        f"apt-get install -y {' '.join(MISSING)} [noninteractive]",
    ]


@pytest.mark.parametrize("sudo", [None, 1])  # no sudo; a sudo that would ask for a password
def test_not_root_otherwise_it_stops_with_one_line_naming_the_packages(run, sudo):
    code, stderr, calls = run(1000, sudo=sudo)
    assert code == 1
    names = " ".join(MISSING)
    assert stderr == (
        f"scripts/test: install the Debian packages {names} (as root: apt-get install {names}),"
        " then run it again\n"
    )
    assert [c for c in calls if c.startswith("apt-get")] == []


def test_the_copy_holds_the_tracked_files_as_in_the_work_tree_and_nothing_else(tmp_path):
    """The script's own copy pipeline, run in a scratch repository."""
    lines = (ROOT / "scripts" / "test").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("git ls-files"))
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("xargs")) + 1
    pipeline = "\n".join(lines[start:end])
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    for name in ("kept.py", "sub/edited.py", "deleted.py"):
        (repo / name).write_text("committed\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    (repo / "sub" / "edited.py").write_text("edited, not staged\n")
    (repo / "deleted.py").unlink()
    (repo / "untracked.py").write_text("not tracked\n")
    alone = tmp_path / "alone"
    (alone / "repo").mkdir(parents=True)
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", pipeline],
        cwd=repo,
        env={**os.environ, "alone": str(alone)},
        check=True,
    )
    copied = {
        str(p.relative_to(alone / "repo")): p.read_text() for p in (alone / "repo").rglob("*.py")
    }
    assert copied == {"kept.py": "committed\n", "sub/edited.py": "edited, not staged\n"}
