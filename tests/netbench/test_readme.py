"""The README's benchmark commands are ones the CLI accepts."""

import re
import shlex

from netbench.cli import _parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_netbench_command_in_the_readme_parses():
    commands = re.findall(r"python -m netbench ([^`\n#]+)", README)
    assert len(commands) >= 7
    for command in commands:
        argv = shlex.split(command.replace('"$(pulumi stack output demoUrl)"', "http://x/clientip"))
        _parser().parse_args(argv)


def test_the_readme_sequence_runs_all_three_configurations_and_reports():
    (block,) = re.findall(r"## Reproduce the benchmark\n.*?```bash\n(.*?)```", README, re.S)
    labels = re.findall(r"bench --label (\w+)", block)
    assert labels == ["bpf", "iptables", "plain", "bpf"]
    assert "pulumi config set calico false" in block
    assert "python -m netbench report results/plain" in block
