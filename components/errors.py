"""The one error type for bad configuration, rendered as a single line."""

from __future__ import annotations

import json
import re
from typing import Any

NAMESPACE = "eks-calico-ebpf"
_OTHER_NAMESPACE = re.compile(r"(aws|pulumi|kubernetes):")


# Longest rendering of a bad value in a message: enough to recognise it, never a wall of text.
MAX_SHOWN = 200


def _show(value: Any) -> str:
    try:
        shown = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        try:
            shown = repr(value)
        except (ValueError, RecursionError):  # an int too long to print, a self-nested list
            shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 3] + "..."


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
        # Another namespace's key (aws:region) is shown as is; a project key path may itself
        # hold a colon (a user's map key, quoted), so only a leading namespace counts.
        full_key = key if _OTHER_NAMESPACE.match(key) else f"{NAMESPACE}:{key}"
        message = f"{full_key}: {problem} (got {_show(value)}); accepted: {accepted}"
        super().__init__(" ".join(message.split()))
