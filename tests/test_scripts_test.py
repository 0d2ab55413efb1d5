"""scripts/test: what it copies for the tests."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT


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
