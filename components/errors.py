"""The one error type for bad configuration, rendered as a single line."""

from __future__ import annotations

import json
from typing import Any

NAMESPACE = "eks-calico-ebpf"


def _show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


class ConfigError(ValueError):
    """A config value is invalid: names the key, the bad value and what would be accepted.

    `key` is the path below the project namespace (``vpcCidr``, ``nodeGroups.bench.minSize``);
    the message always fits on one line so `pulumi up` and the offline plan print it as is.
    """

    def __init__(self, key: str, value: Any, problem: str, accepted: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        self.accepted = accepted
        full_key = key if ":" in key else f"{NAMESPACE}:{key}"
        message = f"{full_key}: {problem} (got {_show(value)}); accepted: {accepted}"
        super().__init__(" ".join(message.split()))
