"""Pure helpers for Bottlerocket node groups: architecture, AMI type, user-data TOML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import tomli_w

# Graviton (arm64) families carry a `g` right after the generation digit (m6g, c7gn, r8gd,
# im4gn, is4gen, x2gd, g5g, t4g); a1 is the first-generation Graviton.
# https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html
_ARM_FAMILY = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)$")

ARCH_X86_64 = "x86_64"
ARCH_ARM64 = "arm64"

# aws.eks.NodeGroup amiType values for Bottlerocket (EKS CreateNodegroup API `amiType` enum).
_AMI_TYPES = {ARCH_X86_64: "BOTTLEROCKET_x86_64", ARCH_ARM64: "BOTTLEROCKET_ARM_64"}


def architecture(instance_type: str) -> str:
    family = instance_type.split(".", 1)[0]
    return ARCH_ARM64 if _ARM_FAMILY.match(family) else ARCH_X86_64


def group_architecture(instance_types: Sequence[str]) -> str:
    """The one architecture of a node group; a group mixing them cannot share one AMI."""
    arches = {architecture(t) for t in instance_types}
    if len(arches) != 1:
        by_arch = ", ".join(
            f"{a}: {[t for t in instance_types if architecture(t) == a]}" for a in sorted(arches)
        )
        raise ValueError(f"instance types mix architectures ({by_arch})")
    return arches.pop()


def ami_type(instance_types: Sequence[str]) -> str:
    return _AMI_TYPES[group_architecture(instance_types)]


# Settings the project (or EKS, when it merges its bootstrap settings into the user data)
# owns. A user override would break node bootstrap or weaken the node.
# https://bottlerocket.dev/en/os/latest/api/settings/kubernetes/
RESERVED_SETTINGS = (
    ("kubernetes", "api-server"),
    ("kubernetes", "cluster-certificate"),
    ("kubernetes", "cluster-name"),
    ("kubernetes", "cluster-dns-ip"),
    ("kubernetes", "authentication-mode"),
    ("kubernetes", "bootstrap-token"),
    ("kubernetes", "standalone-mode"),
    ("kubernetes", "node-labels"),
    ("kubernetes", "node-taints"),
)

# Base settings every node gets. The admin container (root shell with SSH) stays off; the
# control container (SSM agent) stays on for break-glass access without SSH keys.
# https://bottlerocket.dev/en/os/latest/api/settings/host-containers/
BASE_SETTINGS: Mapping[str, Any] = {
    "settings": {
        "host-containers": {
            "admin": {"enabled": False},
            "control": {"enabled": True},
        }
    }
}


def _paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[tuple[str, ...]]:
    for key, value in tree.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, Mapping):
            yield from _paths(value, path)


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """Why a user's `bottlerocketSettings` mapping can't be used (empty when it can).

    The mapping has one top-level key, `settings`, as in Bottlerocket's user-data TOML.
    """
    problems: list[str] = []
    if set(settings) - {"settings"}:
        problems.append("the only top-level key is 'settings'")
        return problems
    inner = settings.get("settings", {})
    if not isinstance(inner, Mapping):
        return ["'settings' must be an object"]
    for path in _paths(inner):
        if path in RESERVED_SETTINGS:
            problems.append(f"settings.{'.'.join(path)} is set by EKS or the project")
    admin = inner.get("host-containers", {})
    if isinstance(admin, Mapping):
        enabled = admin.get("admin", {})
        if isinstance(enabled, Mapping) and enabled.get("enabled") not in (None, False):
            problems.append("settings.host-containers.admin.enabled must stay false")
    return problems


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _sorted(tree: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _sorted(v) if isinstance(v, Mapping) else v for k, v in sorted(tree.items())}


def render_user_data(settings: Mapping[str, Any]) -> str:
    """Bottlerocket user-data TOML: base settings with the user's merged on top, keys sorted.

    EKS merges this with the bootstrap settings it generates for managed node groups whose
    launch template names no AMI (cluster name, endpoint, CA, DNS IP, labels, taints).
    """
    problems = settings_problems(settings)
    if problems:
        raise ValueError("; ".join(problems))
    return tomli_w.dumps(_sorted(deep_merge(BASE_SETTINGS, settings)))
