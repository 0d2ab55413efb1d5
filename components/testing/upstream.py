"""Upstream artifacts vendored in the repo's `upstream/` folder: chart archives, their files.

Only test tooling reads these; the paths default to the repo checkout and can be passed in.
"""

from __future__ import annotations

import functools
import tarfile
from pathlib import Path
from typing import Any

import yaml

from .mock_engine import PROJECT_ROOT

UPSTREAM_DIR = PROJECT_ROOT / "upstream"
CHARTS_DIR = UPSTREAM_DIR / "charts"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def chart_archive(chart: str, version: str, charts_dir: Path = CHARTS_DIR) -> Path | None:
    """The vendored archive of `chart` at `version` (`helm package` naming), if there is one."""
    path = charts_dir / f"{chart}-{version}.tgz"
    return path if path.is_file() else None


@functools.cache
def archive_files(archive: Path) -> dict[str, str]:
    """Every regular file in a chart archive, by its path below the chart folder."""
    files: dict[str, str] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                _, _, inner = member.name.partition("/")
                files[inner] = handle.read().decode()
    return files


def chart_values(archive: Path) -> dict[str, Any]:
    """The chart's own `values.yaml`."""
    return yaml.load(archive_files(archive)["values.yaml"], Loader=_LOADER) or {}


def crds_in(archive: Path) -> dict[str, dict[str, Any]]:
    """CustomResourceDefinitions shipped as plain YAML in the archive (`crds/` or templates
    without template actions), by `<plural>.<group>`."""
    found: dict[str, dict[str, Any]] = {}
    for path, text in sorted(archive_files(archive).items()):
        if not path.endswith((".yaml", ".yml")) or "{{" in text:
            continue
        for doc in yaml.load_all(text, Loader=_LOADER):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                found[doc["metadata"]["name"]] = doc
    return found
