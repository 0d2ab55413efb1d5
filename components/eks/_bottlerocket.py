"""Pure helpers for Bottlerocket node groups: architecture, AMI type, user-data TOML."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
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


# --------------------------------------------------------------------------- user settings
#
# User settings are judged by an allow-list: a path is accepted only if it is listed below with
# a check of its value; everything else is refused with a line naming the path. The list keeps
# to node tuning that cannot weaken the node or break its bootstrap. Paths and value types follow
# Bottlerocket's settings reference (bottlerocket.dev, "settings.kubernetes", "settings.kernel",
# "settings.host-containers", "settings.motd") and its settings model (bottlerocket-settings-
# models, KubernetesSettingsV1 and the modeled types).

# Resource names of kube-reserved / system-reserved (KubernetesReservedResourceKey).
RESERVED_RESOURCES = ("cpu", "memory", "ephemeral-storage")
# Eviction signals (KubernetesEvictionKey; kubelet's Linux signals without containerfs.*, which
# needs a feature gate and CRI-O).
EVICTION_SIGNALS = (
    "memory.available",
    "nodefs.available",
    "nodefs.inodesFree",
    "imagefs.available",
    "imagefs.inodesFree",
    "pid.available",
)
# Kubernetes quantity without a sign (a negative reservation or threshold makes no sense): plain,
# scientific, binary (Ki..Ei) or decimal (n, u, m, k, M..E) suffix.
_QUANTITY = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?(e[0-9]{1,2}|[EPTGMK]i?|[numk])?")
# Eviction threshold: a quantity or a percentage below 100.
_PERCENT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,3})?%")
# Kubernetes duration as Bottlerocket accepts it (KubernetesDurationValue): h, m, s, ms parts.
_DURATION = re.compile(
    r"(?=.)([0-9]{1,6}(\.[0-9]{1,6})?h)?([0-9]{1,6}(\.[0-9]{1,6})?m)?"
    r"([0-9]{1,6}(\.[0-9]{1,6})?s)?([0-9]{1,6}(\.[0-9]{1,6})?ms)?"
)
# motd: one line of printable text (SingleLineString refuses every line break, Unicode's
# included), kept short: no C0/C1 control characters, no U+2028/U+2029 separators.
_MOTD = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]{0,255}")
_INT32_MAX = 2**31 - 1

# Sysctls a node group may set: network and file-watch capacity knobs that tune throughput and
# scale without weakening isolation. Value: that many non-negative integers separated by single
# spaces (as the kernel prints them), or one of a few choices. Anything else (kernel.*, BPF JIT,
# forwarding, rp_filter, user namespaces, ...) is the OS's or Calico's to set.
SYSCTLS: Mapping[str, int | tuple[str, ...]] = {
    "net.core.somaxconn": 1,
    "net.core.netdev_max_backlog": 1,
    "net.core.rmem_default": 1,
    "net.core.rmem_max": 1,
    "net.core.wmem_default": 1,
    "net.core.wmem_max": 1,
    "net.core.optmem_max": 1,
    "net.ipv4.tcp_rmem": 3,
    "net.ipv4.tcp_wmem": 3,
    "net.ipv4.tcp_max_syn_backlog": 1,
    "net.ipv4.ip_local_port_range": 2,
    "net.ipv4.tcp_fin_timeout": 1,
    "net.ipv4.tcp_keepalive_time": 1,
    "net.ipv4.tcp_keepalive_intvl": 1,
    "net.ipv4.tcp_keepalive_probes": 1,
    "net.ipv4.tcp_slow_start_after_idle": ("0", "1"),
    "net.ipv4.tcp_mtu_probing": ("0", "1", "2"),
    "fs.inotify.max_user_watches": 1,
    "fs.inotify.max_user_instances": 1,
    "vm.max_map_count": 1,
}

# Settings the project (or EKS, when it merges its bootstrap settings into the user data) owns.
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

# Why some well-known paths are refused, for a message that says more than "not supported".
REFUSED_BECAUSE: Mapping[tuple[str, ...], str] = {
    **dict.fromkeys(RESERVED_SETTINGS, "is set by EKS or the project"),
    ("host-containers",): "may only turn the admin container off and the control container"
    " on or off; other or replaced host containers get access to the host",
    ("bootstrap-containers",): "would run containers with host access before the kubelet starts",
    ("bootstrap-commands",): "would run commands on the host before the kubelet starts",
    ("pki",): "would add trusted certificate authorities to the node",
    ("container-registry",): "would redirect or authenticate image pulls (mirrors, credentials)",
    ("network",): "would change the node's proxy, hostname or DNS",
    ("dns",): "would change the node's DNS resolution",
    ("boot",): "would change the kernel command line",
    ("kernel", "lockdown"): "stays at Bottlerocket's default, integrity",
    ("kernel", "modules"): "would change which kernel modules may load",
    ("oci-hooks",): "would change what runs around every container",
    ("oci-defaults",): "would change every container's capabilities and limits",
    ("kubernetes", "server-tls-bootstrap"): "stays on: the kubelet's serving certificate"
    " comes from the cluster CA",
    ("kubernetes", "server-certificate"): "stays unset: the kubelet's serving certificate"
    " comes from the cluster CA",
    ("kubernetes", "server-key"): "stays unset: the kubelet's serving certificate comes from the"
    " cluster CA",
    ("kubernetes", "allowed-unsafe-sysctls"): "would let pods set unsafe sysctls",
    (
        "kubernetes",
        "credential-providers",
    ): "would change how the kubelet authenticates image pulls",
    ("kubernetes", "pod-infra-container-image"): "would replace the pause image every pod runs",
    ("kubernetes", "static-pods"): "would run pods outside the API server's admission",
    ("kubernetes", "kubelet-extra-config"): "would bypass the kubelet settings checked here",
    ("kubernetes", "cloud-provider"): "is the node's identity, set by Bottlerocket for EKS",
    ("kubernetes", "provider-id"): "is the node's identity, set by Bottlerocket for EKS",
    ("kubernetes", "node-ip"): "is the node's identity, set by Bottlerocket for EKS",
    ("kubernetes", "hostname-override"): "is the node's identity, set by Bottlerocket for EKS",
    ("kubernetes", "hostname-override-source"): "is the node's identity, set by Bottlerocket",
    ("kubernetes", "cluster-domain"): "must match the cluster's DNS domain",
}

# Base settings every node gets. The admin container (root shell with SSH) stays off; the
# control container (SSM agent) stays on for break-glass access without SSH keys, unless the
# nodes have no SSM access (`render_user_data(ssm_access=False)`).
# https://bottlerocket.dev/en/os/latest/api/settings/host-containers/
BASE_SETTINGS: Mapping[str, Any] = {
    "settings": {
        "host-containers": {
            "admin": {"enabled": False},
            "control": {"enabled": True},
        }
    }
}


class SettingError(ValueError):
    """A refused setting: `path` below `settings`, the value, why, and what is accepted."""

    def __init__(self, path: tuple[str, ...], value: Any, problem: str, accepted: str) -> None:
        self.path = path
        self.value = value
        self.problem = problem
        self.accepted = accepted
        self.dotted = "settings" + "".join(_segment(p) for p in path)
        super().__init__(f"{self.dotted} {problem} (got {_json(value)}); accepted: {accepted}")


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,63}")


def _segment(key: str) -> str:
    """`.key`, or `["key"]` (JSON-quoted, cut short) for keys with dots or odd characters."""
    if _PLAIN_SEGMENT.fullmatch(key):
        return f".{key}"
    shown = json.dumps(key)
    return f"[{shown if len(shown) <= 60 else shown[:57] + '...'}]"


# A value check: (test, what is accepted).
Check = tuple[Callable[[Any], bool], str]


def _integer(lo: int, hi: int) -> Check:
    def test(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    return test, f"a whole number from {lo} to {hi}"


def _pattern(pattern: re.Pattern[str], accepted: str) -> Check:
    return (lambda v: isinstance(v, str) and bool(pattern.fullmatch(v))), accepted


def _one_of(*choices: Any) -> Check:
    return (lambda v: any(v is c or (v == c and type(v) is type(c)) for c in choices)), " or ".join(
        json.dumps(c) for c in choices
    )


_QUANTITY_CHECK = _pattern(_QUANTITY, 'a Kubernetes quantity, e.g. "100m", "512Mi", "1Gi"')
_THRESHOLD_CHECK: Check = (
    lambda v: isinstance(v, str) and bool(_QUANTITY.fullmatch(v) or _PERCENT.fullmatch(v)),
    'a Kubernetes quantity or a percentage below 100, e.g. "500Mi", "10%"',
)
_DURATION_CHECK = _pattern(_DURATION, 'a duration in h, m, s, ms, e.g. "30s", "1m30s"')
_BOOL_CHECK = _one_of(True, False)


def _sysctl_check(name: str) -> Check:
    shape = SYSCTLS[name]
    if isinstance(shape, tuple):
        return _one_of(*shape)
    if name == "net.ipv4.ip_local_port_range":
        # Two ports, low below high: the kernel refuses an inverted range.
        def ports(v: Any) -> bool:
            m = re.fullmatch(r"([0-9]{1,5}) ([0-9]{1,5})", v) if isinstance(v, str) else None
            return m is not None and 1 <= int(m.group(1)) < int(m.group(2)) <= 65535

        return ports, 'two ports, low below high, 1 to 65535, e.g. "1024 29999"'

    def test(v: Any) -> bool:
        parts = v.split(" ") if isinstance(v, str) else []
        return len(parts) == shape and all(
            re.fullmatch(r"[0-9]{1,10}", p) and int(p) <= _INT32_MAX for p in parts
        )

    example = " ".join(["4096"] * shape)
    return test, f'{shape} whole number(s) from 0 to {_INT32_MAX} as a string, e.g. "{example}"'


# Supported paths below `settings`: a Check for a leaf; a dict for an object whose keys are
# listed; a (keys, Check) pair for a map of user-chosen keys from an allowed set (Check None:
# each key has its own, as sysctls do).
SUPPORTED: dict[str, Any] = {
    "motd": _pattern(_MOTD, "one line of printable text, up to 255 chars"),
    "host-containers": {
        # The admin container is a root shell with SSH on the host: it stays off.
        "admin": {"enabled": (lambda v: v is False, "false (the admin container stays off)")},
        "control": {"enabled": _BOOL_CHECK},
    },
    "kernel": {"sysctl": (tuple(SYSCTLS), None)},
    "kubernetes": {
        "max-pods": _integer(1, 2**32 - 1),
        "kube-reserved": (RESERVED_RESOURCES, _QUANTITY_CHECK),
        "system-reserved": (RESERVED_RESOURCES, _QUANTITY_CHECK),
        "eviction-hard": (EVICTION_SIGNALS, _THRESHOLD_CHECK),
        "eviction-soft": (EVICTION_SIGNALS, _THRESHOLD_CHECK),
        "eviction-soft-grace-period": (EVICTION_SIGNALS, _DURATION_CHECK),
        "eviction-max-pod-grace-period": _integer(0, _INT32_MAX),
        # -1: no limit (kubelet's podPidsLimit); otherwise at most the kernel's PID_MAX_LIMIT.
        "pod-pids-limit": (
            lambda v: _integer(-1, -1)[0](v) or _integer(1, 2**22)[0](v),
            "-1 (no limit) or a whole number from 1 to 4194304",
        ),
        "image-gc-high-threshold-percent": _integer(0, 100),
        "image-gc-low-threshold-percent": _integer(0, 100),
        "container-log-max-size": _QUANTITY_CHECK,
        # kubelet: containerLogMaxFiles must be at least 2.
        "container-log-max-files": _integer(2, _INT32_MAX),
        "shutdown-grace-period": _DURATION_CHECK,
        "shutdown-grace-period-for-critical-pods": _DURATION_CHECK,
        "cpu-manager-policy": _one_of("none", "static"),
        "topology-manager-policy": _one_of("none", "restricted", "best-effort", "single-numa-node"),
        "topology-manager-scope": _one_of("container", "pod"),
        "seccomp-default": _BOOL_CHECK,
    },
}


def supported_paths(tree: Mapping[str, Any] = SUPPORTED, prefix: str = "settings") -> list[str]:
    """Every supported path, `<key>` standing for a map key from the allowed set."""
    out: list[str] = []
    for key, spec in tree.items():
        path = f"{prefix}.{key}"
        if isinstance(spec, dict):
            out.extend(supported_paths(spec, path))
        elif isinstance(spec[0], tuple):
            out.append(f"{path}.<key>")
        else:
            out.append(path)
    return out


def _supported_summary() -> str:
    """The supported paths on one line, grouped: settings.kubernetes.{max-pods, ...}."""
    parts = []
    for key, spec in SUPPORTED.items():
        if isinstance(spec, dict):
            leaves = [p.removeprefix(f"settings.{key}.") for p in supported_paths(spec, "")]
            inner = ", ".join(leaf.removeprefix(".") for leaf in leaves)
            parts.append(f"settings.{key}.{{{inner}}}")
        else:
            parts.append(f"settings.{key}")
    return "only " + "; ".join(parts)


def _refused(path: tuple[str, ...], value: Any) -> SettingError:
    for depth in range(len(path), 0, -1):
        reason = REFUSED_BECAUSE.get(path[:depth])
        if reason is not None:
            return SettingError(path, value, reason, _supported_summary())
    return SettingError(path, value, "is not a supported setting", _supported_summary())


def _check_tree(tree: Any, spec: dict[str, Any], path: tuple[str, ...]) -> None:
    if not isinstance(tree, Mapping):
        raise SettingError(path, tree, "must be an object", f"keys: {', '.join(spec)}")
    for key, value in tree.items():
        here = (*path, str(key))
        sub = spec.get(key) if isinstance(key, str) else None
        if sub is None:
            raise _refused(here, value)
        if isinstance(sub, dict):
            _check_tree(value, sub, here)
        elif isinstance(sub[0], tuple):
            _check_map(value, sub, here)
        elif not sub[0](value):
            raise SettingError(here, value, "is not an accepted value", sub[1])


def _check_map(
    tree: Any, spec: tuple[tuple[str, ...], Check | None], path: tuple[str, ...]
) -> None:
    keys, check = spec
    if not isinstance(tree, Mapping):
        raise SettingError(path, tree, "must be an object", f"keys: {', '.join(keys)}")
    for key, value in tree.items():
        here = (*path, str(key))
        if key not in keys:
            what = "a vetted sysctl" if path[-1] == "sysctl" else "an accepted key"
            raise SettingError(here, value, f"is not {what}", ", ".join(keys))
        test, accepted = check if check is not None else _sysctl_check(key)
        if not test(value):
            raise SettingError(here, value, "is not an accepted value", accepted)


def _json(value: Any) -> str:
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        shown = f"a {type(value).__name__}"
    return shown if len(shown) <= 60 else shown[:57] + "..."


def check_settings(settings: Mapping[str, Any]) -> None:
    """Raise `SettingError` for the first setting of a user's `bottlerocketSettings` that is not
    on the allow-list or whose value is not accepted. The mapping has one top-level key,
    `settings`, as in Bottlerocket's user-data TOML."""
    if not isinstance(settings, Mapping):
        raise SettingError((), settings, "must be an object", '{"settings": {...}}')
    for key in settings:
        if key != "settings":
            problem = f"has top-level key {_json(key)}; the only one is 'settings'"
            raise SettingError((), settings, problem, '{"settings": {...}}')
    _check_tree(settings.get("settings", {}), SUPPORTED, ())
    kubernetes = settings.get("settings", {}).get("kubernetes", {})
    low = kubernetes.get("image-gc-low-threshold-percent")
    high = kubernetes.get("image-gc-high-threshold-percent")
    if low is not None and high is not None and low >= high:
        raise SettingError(
            ("kubernetes", "image-gc-low-threshold-percent"),
            low,
            f"is not below image-gc-high-threshold-percent ({high})",
            "low < high (kubelet imageGCLowThresholdPercent rule)",
        )


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """Why a user's `bottlerocketSettings` mapping can't be used (empty when it can)."""
    try:
        check_settings(settings)
    except SettingError as exc:
        return [str(exc)]
    return []


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


CONTROL_ENABLED = ("host-containers", "control", "enabled")


def control_container_conflict(settings: Mapping[str, Any], ssm_access: bool) -> bool:
    """Whether `settings` turn the control container on explicitly while the node role has no
    SSM permissions: the container only runs the SSM agent, which then can never register."""
    tree: Any = settings.get("settings", {})
    for key in CONTROL_ENABLED:
        tree = tree.get(key) if isinstance(tree, Mapping) else None
    return tree is True and not ssm_access


def render_user_data(settings: Mapping[str, Any], *, ssm_access: bool = True) -> str:
    """Bottlerocket user-data TOML: base settings with the user's merged on top, keys sorted.

    Without `ssm_access` the control container is off by default too, and turning it on is
    refused. EKS merges this with the bootstrap settings it generates for managed node groups
    whose launch template names no AMI (cluster name, endpoint, CA, DNS IP, labels, taints).
    """
    check_settings(settings)
    if control_container_conflict(settings, ssm_access):
        raise SettingError(
            CONTROL_ENABLED,
            True,
            "turns the SSM agent's container on while the node role may not use SSM",
            "false or unset, or SSM access on (stack config nodeSsmAccess: true)",
        )
    base = BASE_SETTINGS
    if not ssm_access:
        # The control container exists only to run the SSM agent; without the SSM permissions
        # it cannot register and retries forever, a running container with host access for
        # nothing (bottlerocket.dev, api/settings/host-containers).
        base = deep_merge(base, {"settings": {"host-containers": {"control": {"enabled": False}}}})
    return tomli_w.dumps(_sorted(deep_merge(base, settings)))
