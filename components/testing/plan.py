"""Offline plan: what `pulumi up` would create for a stack, with no cloud and no Pulumi CLI.

    python -m components.plan --stack dev [-c KEY=VALUE ...] [--json FILE] [--manifests DIR]
    python -m components.plan --stack dev --before KEY=VALUE [...] [-c ...] [--diff-json FILE]
                              [--images [FILE]] [--program FILE] [--stacks-dir DIR]
                              [--charts-dir DIR]

Runs the real `__main__.py` with `stacks/Pulumi.<stack>.yaml` (plus `-c` overrides, as
`pulumi up -c` does; a value that parses as JSON is taken as JSON; a key without a namespace
belongs to the project) under Pulumi's mock engine, expands every vendored Helm chart into the
objects the provider would register for it (`charts.py`), prints the resource tree, and optionally
writes the registrations as JSON, every Kubernetes object as YAML, and the container images.
With `--before`, prints what a `pulumi up` from the `--before` configuration to the `-c` one would
change (`components.testing.diff`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import yaml

from ..errors import NAMESPACE
from .charts import CHART_TYPE, expand_charts
from .diff import Diff, plan_change, render_diff
from .mock_engine import PROGRAM, PROJECT_ROOT, PlanResult, Registration, run_program
from .upstream import CHARTS_DIR

STACKS_DIR = PROJECT_ROOT / "stacks"


class PlanError(Exception):
    """A problem with the plan's own arguments or the stack file."""


def stack_config(
    stack: str, overrides: Sequence[str] = (), stacks_dir: Path = STACKS_DIR
) -> dict[str, Any]:
    """The stack file's config with `-c KEY=VALUE` overrides applied, keys fully qualified."""
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml")
            for p in stacks_dir.glob("Pulumi.*.yaml")
        )
        shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        raise PlanError(f"no stack file {shown}; stacks: {', '.join(known) or 'none'}")
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = {}
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            raise PlanError(
                f"{key}: secure values cannot be decrypted offline; override it with -c"
            )
        config[key] = value
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise PlanError(f"-c {item!r}: expected KEY=VALUE")
        if ":" not in key:
            key = f"{NAMESPACE}:{key}"
        try:
            config[key] = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or JSON too deep to parse: a string
            config[key] = text
    return config


def plan(
    stack: str,
    overrides: Sequence[str] = (),
    *,
    stacks_dir: Path = STACKS_DIR,
    program: Path = PROGRAM,
    charts_dir: Path = CHARTS_DIR,
) -> PlanResult:
    """The program's registrations, each Helm chart whose archive is in `charts_dir` expanded
    into its objects."""
    config = stack_config(stack, overrides, stacks_dir)
    return expand_charts(run_program(stack, config, program), charts_dir)


def render_tree(result: PlanResult) -> str:
    children: dict[str | None, list[Registration]] = defaultdict(list)
    by_urn = {r.urn: r for r in result.resources}
    for r in result.resources:
        children[r.parent if r.parent in by_urn else None].append(r)
    lines = [f"stack {result.stack}: {len(result.resources)} resources"]

    def walk(parent: str | None, depth: int) -> None:
        from_chart = parent is not None and by_urn[parent].type == CHART_TYPE
        mark = "  (rendered from chart)" if from_chart else ""
        for r in sorted(children[parent], key=lambda r: (r.type, r.name)):
            lines.append(f"{'    ' * depth}+ {r.type} {r.name}{mark}")
            walk(r.urn, depth + 1)

    walk(None, 1)
    if result.outputs:
        lines.append("outputs:")
        for key, value in sorted(result.outputs.items()):
            shown = "[secret]" if key in result.secret_outputs else json.dumps(value)
            lines.append(f"    {key}: {shown}")
    return "\n".join(lines)


def is_patch(r: Registration) -> bool:
    """A `*Patch` resource (DaemonSetPatch, CustomResourcePatch, ...): server-side applies only
    its own fields onto an object that already exists; it is not a whole object."""
    return r.type.startswith("kubernetes:") and r.type.endswith("Patch")


def whole_numbers(value: Any) -> Any:
    """`value` with every integral float as an int: the SDK sends every number as a float, and
    Kubernetes integer fields (`runAsUser: 65534`) must not read `65534.0`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def kubernetes_registrations(result: PlanResult) -> list[Registration]:
    """Every registration that is a Kubernetes object or patch (chart children included)."""
    return [
        r
        for r in result.sorted()
        if r.type.startswith("kubernetes:") and "apiVersion" in r.inputs and "kind" in r.inputs
    ]


def kubernetes_objects(result: PlanResult) -> list[tuple[str, dict[str, Any]]]:
    """(file stem, object) for every registration that is a whole Kubernetes object."""
    return [
        (_stem(r), whole_numbers(r.inputs))
        for r in kubernetes_registrations(result)
        if not is_patch(r)
    ]


def _stem(r: Registration) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{r.inputs['kind']}-{r.name}")


PATCHES_DIR = "patches"
# libyaml's emitter when PyYAML has it: the chart CRDs are megabytes of YAML.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_manifests(result: PlanResult, directory: Path) -> int:
    """Whole objects as `DIR/<Kind>-<name>.yaml`; patches as `DIR/patches/<Kind>-<name>.patch.yaml`
    with a first comment line saying what they patch, so nobody applies them as whole objects."""
    directory.mkdir(parents=True, exist_ok=True)
    registrations = kubernetes_registrations(result)
    written: set[Path] = set()
    for r in registrations:
        obj = whole_numbers(r.inputs)
        text = yaml.dump(obj, Dumper=_DUMPER, sort_keys=True)
        if is_patch(r):
            metadata = obj.get("metadata") or {}
            target = "/".join(
                str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p
            )
            text = (
                f"# PATCH ({r.type} {r.name}), not a whole object: server-side applies only "
                f"these fields to the existing {obj['kind']} {target}.\n{text}"
            )
            path = directory / PATCHES_DIR / f"{_stem(r)}.patch.yaml"
        else:
            path = directory / f"{_stem(r)}.yaml"
        if path in written:
            raise PlanError(f"two Kubernetes objects would be written to {path}")
        written.add(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return len(registrations)


POD_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def container_images(result: PlanResult) -> list[str]:
    """Every container image of every Kubernetes object and chart child in the plan, sorted."""
    images: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, v in value.items():
                if key in POD_CONTAINER_LISTS and isinstance(v, list):
                    images.update(
                        str(c["image"]) for c in v if isinstance(c, dict) and c.get("image")
                    )
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for r in kubernetes_registrations(result):
        walk(r.inputs)
    return sorted(images)


def main(argv: Sequence[str] | None = None) -> int:
    # `components` in the repo, `eks_calico_ebpf` installed.
    package = (__package__ or "components").partition(".")[0]
    parser = argparse.ArgumentParser(
        prog=f"python -m {package}.plan", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override (repeatable)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the registrations as JSON")
    parser.add_argument(
        "--manifests",
        type=Path,
        metavar="DIR",
        help="write every Kubernetes object as YAML (patches under DIR/patches/)",
    )
    parser.add_argument(
        "--images",
        nargs="?",
        const="-",
        metavar="FILE",
        help="list every container image, one a line (to FILE, or printed)",
    )
    parser.add_argument(
        "--before",
        action="append",
        metavar="KEY=VALUE",
        help="config of the deployment as it is (repeatable); prints the change to the -c config",
    )
    parser.add_argument(
        "--diff-json",
        type=Path,
        metavar="FILE",
        help="with --before: write the change as JSON",
    )
    parser.add_argument(
        "--program",
        type=Path,
        default=PROGRAM,
        metavar="FILE",
        help=f"the Pulumi program to run (default: {PROGRAM})",
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=STACKS_DIR,
        metavar="DIR",
        help=f"folder of the Pulumi.<stack>.yaml files (default: {STACKS_DIR})",
    )
    parser.add_argument(
        "--charts-dir",
        type=Path,
        default=CHARTS_DIR,
        metavar="DIR",
        help=(
            "folder of Helm chart archives (<chart>-<version>.tgz) to expand the charts from; a "
            f"chart not there stays opaque (default: {CHARTS_DIR})"
        ),
    )
    args = parser.parse_args(argv)
    if args.diff_json and args.before is None:
        parser.error("--diff-json needs --before (the configuration deployed now)")
    if args.before is not None:
        return _main_diff(args)
    result = _reported(
        lambda: plan(
            args.stack,
            args.config,
            stacks_dir=args.stacks_dir,
            program=args.program,
            charts_dir=args.charts_dir,
        )
    )
    if result is None:
        return 1
    print(render_tree(result))
    if args.json:
        args.json.write_text(json.dumps(result.as_json(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    if args.manifests:
        count = write_manifests(result, args.manifests)
        print(f"wrote {count} Kubernetes objects to {args.manifests}")
    if args.images:
        images = "".join(f"{image}\n" for image in container_images(result))
        if args.images == "-":
            print("images:")
            print(images, end="")
        else:
            Path(args.images).write_text(images)
            print(f"wrote {args.images}")
    return 0


def _main_diff(args: argparse.Namespace) -> int:
    def compute() -> tuple[PlanResult, Diff]:
        # `--before ''` alone: the deployment is the stack file as it is.
        before = stack_config(args.stack, [item for item in args.before if item], args.stacks_dir)
        after = stack_config(args.stack, args.config, args.stacks_dir)
        _, result, change = plan_change(
            args.stack, before, after, program=args.program, charts_dir=args.charts_dir
        )
        return result, change

    planned = _reported(compute)
    if planned is None:
        return 1
    _, change = planned
    print(render_diff(change))
    if args.diff_json:
        args.diff_json.write_text(json.dumps(change.as_json(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.diff_json}")
    return 0


_T = TypeVar("_T", PlanResult, tuple[PlanResult, Diff])


def _reported(run: Callable[[], _T]) -> _T | None:
    """`run()` with its plan's warnings on stderr, one `warning:` line each; None after one
    `error:` line for what the user can fix (bad arguments or stack file, a config or
    transition the program refuses, a missing program file) instead of a traceback."""
    try:
        planned = run()
    except (PlanError, pulumi.RunError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    result = planned if isinstance(planned, PlanResult) else planned[0]
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return planned


if __name__ == "__main__":
    sys.exit(main())
