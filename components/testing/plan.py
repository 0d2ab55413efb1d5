"""Offline plan: what `pulumi up` would create for a stack, with no cloud and no Pulumi CLI.

    python -m components.plan --stack dev [-c KEY=VALUE ...] [--json FILE] [--manifests DIR]

Runs the real `__main__.py` with `stacks/Pulumi.<stack>.yaml` (plus `-c` overrides, as
`pulumi up -c` does; a value that parses as JSON is taken as JSON; a key without a namespace
belongs to the project) under Pulumi's mock engine, prints the resource tree, and optionally
writes the registrations as JSON and every Kubernetes object as YAML.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import yaml

from ..errors import NAMESPACE
from .mock_engine import PROJECT_ROOT, PlanResult, Registration, run_program

STACKS_DIR = PROJECT_ROOT / "stacks"


class PlanError(Exception):
    """A problem with the plan's own arguments or the stack file."""


def stack_config(stack: str, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The stack file's config with `-c KEY=VALUE` overrides applied, keys fully qualified."""
    path = STACKS_DIR / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml")
            for p in STACKS_DIR.glob("Pulumi.*.yaml")
        )
        raise PlanError(
            f"no stack file {path.relative_to(PROJECT_ROOT)}; stacks: {', '.join(known)}"
        )
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


def plan(stack: str, overrides: Sequence[str] = ()) -> PlanResult:
    return run_program(stack, stack_config(stack, overrides))


def render_tree(result: PlanResult) -> str:
    children: dict[str | None, list[Registration]] = defaultdict(list)
    urns = {r.urn for r in result.resources}
    for r in result.resources:
        children[r.parent if r.parent in urns else None].append(r)
    lines = [f"stack {result.stack}: {len(result.resources)} resources"]

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(children[parent], key=lambda r: (r.type, r.name)):
            lines.append(f"{'    ' * depth}+ {r.type} {r.name}")
            walk(r.urn, depth + 1)

    walk(None, 1)
    if result.outputs:
        lines.append("outputs:")
        for key, value in sorted(result.outputs.items()):
            shown = "[secret]" if key in result.secret_outputs else json.dumps(value)
            lines.append(f"    {key}: {shown}")
    return "\n".join(lines)


def kubernetes_objects(result: PlanResult) -> list[tuple[str, dict[str, Any]]]:
    """(file stem, object) for every registration that is a Kubernetes object."""
    objects = []
    for r in result.sorted():
        if r.type.startswith("kubernetes:") and "apiVersion" in r.inputs and "kind" in r.inputs:
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{r.inputs['kind']}-{r.name}")
            objects.append((stem, r.inputs))
    return objects


def write_manifests(result: PlanResult, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    objects = kubernetes_objects(result)
    for stem, obj in objects:
        (directory / f"{stem}.yaml").write_text(yaml.safe_dump(obj, sort_keys=True))
    return len(objects)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.plan", description=__doc__.split("\n\n")[0]
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
        "--manifests", type=Path, metavar="DIR", help="write every Kubernetes object as YAML"
    )
    args = parser.parse_args(argv)
    try:
        result = plan(args.stack, args.config)
    except (PlanError, pulumi.RunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(render_tree(result))
    if args.json:
        args.json.write_text(json.dumps(result.as_json(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    if args.manifests:
        count = write_manifests(result, args.manifests)
        print(f"wrote {count} Kubernetes objects to {args.manifests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
