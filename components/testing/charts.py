"""Helm charts expanded offline the way pulumi-kubernetes' `helm.v4.Chart` expands them.

Under mocks a `kubernetes:helm.sh/v4:Chart` is an opaque remote component: only its inputs are
recorded. A real `pulumi up` renders the chart client-side and registers every object as a child
resource. `expand_charts` does the same for every Chart registration whose chart+version is
vendored in `upstream/charts/`, so the plan, its JSON, its manifests and the tests see the
operator and controller Deployments, their RBAC, webhooks and CRDs.

What is copied from the provider (pulumi/pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go,
`Construct`, and provider/pkg/provider/yaml/v2/yaml.go, `Normalize`/`register`):
- release name: the `name` input, else the Chart resource's own name;
- `crds/` rendered first unless `skipCrds`; hooks (`helm.sh/hook`) dropped, test hooks too (the
  provider renders with DisableHooks; `includeHooks` only applies in renderYamlToDirectory mode);
  `NOTES.txt` is not a manifest;
- objects with an `items` list (`kind: List`, `*List`) replaced by their items, recursively;
- namespaced objects without a namespace get the Chart's namespace; a kind's scope comes from the
  built-in table below or from a CustomResourceDefinition among the rendered objects; a kind
  known to neither keeps no namespace (the provider warns and does the same);
- child name `<resourcePrefix>:<namespace>/<name>` (`<resourcePrefix>:<name>` when cluster-scoped),
  the prefix defaulting to the Chart resource's name; type `kubernetes:<group>/<version>:<Kind>`
  with the core group spelled `core`; parent = the Chart; no other dependencies.

Helm's `lookup` returns nothing offline (the provider renders with `--dry-run=server`, so a real
update sees the live cluster): charts that keep state through `lookup` render as on a first install.
Likewise `.Capabilities.KubeVersion` is Helm's default offline, the cluster's version in a real
render; no vendored template renders differently by it with this project's values.

Engine: `helm-python-sdk`, Helm's own Go SDK in-process (no `helm` binary to install, ~60 ms a
chart, ~170 ms for the LBC chart whose webhook CA is generated on each render). Renders are cached
per process by (archive, release name, namespace, values). It is imported only when a chart is
expanded: without it the plan still runs, every chart kept opaque, with one warning line saying
what to install (`HELM_MISSING`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .mock_engine import PROJECT_ROOT, PlanResult, Registration
from .upstream import CHARTS_DIR, chart_archive

if TYPE_CHECKING:
    import helm_python

CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
HOOK_ANNOTATION = "helm.sh/hook"
DEFAULT_NAMESPACE = "default"
"""The provider's default namespace when neither the Chart nor the provider sets one."""

# A line that starts a new YAML document (Helm's releaseutil.SplitManifests splits the same way).
_DOCUMENT_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)

# Built-in kinds that are cluster-scoped (`kubectl api-resources --namespaced=false`, Kubernetes
# 1.33), by (group, kind). Every other built-in kind is namespaced. Custom kinds are decided by
# their CRD's `spec.scope`, as the provider does when it has no cluster to ask.
CLUSTER_SCOPED_BUILTINS = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
    }
)


@dataclass(frozen=True)
class ChartRef:
    """What a Chart registration asks the provider to render."""

    chart: str
    version: str
    release: str
    namespace: str
    values: dict[str, Any]
    skip_crds: bool
    prefix: str

    @classmethod
    def of(cls, r: Registration) -> ChartRef:
        inputs = r.inputs
        prefix = inputs.get("resourcePrefix")
        return cls(
            chart=str(inputs.get("chart", "")),
            version=str(inputs.get("version", "")),
            release=str(inputs.get("name") or r.name),
            namespace=str(inputs.get("namespace") or DEFAULT_NAMESPACE),
            values=dict(inputs.get("values") or {}),
            skip_crds=bool(inputs.get("skipCrds", False)),
            prefix=r.name if prefix is None else str(prefix),
        )

    def archive(self, charts_dir: Path = CHARTS_DIR) -> Path | None:
        return chart_archive(self.chart, self.version, charts_dir)


# --------------------------------------------------------------------------- rendering


HELM_MISSING = (
    "helm-python-sdk is not installed: every chart kept opaque, its objects are not in this "
    "plan; install it with `pip install -r requirements-plan.txt` (in a clone of the repo) or "
    "`pip install 'eks-calico-ebpf[testing]'`"
)


def helm() -> ModuleType | None:
    """Helm's Go SDK (`helm_python`), or None when helm-python-sdk is not installed.

    A lazy import: the README's offline plan must run with what it installs, and the plan of
    everything but the charts does not need Helm.
    """
    try:
        import helm_python  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if exc.name != "helm_python":
            raise  # installed but broken: say so, not "not installed"
        return None
    return helm_python


def _helm() -> ModuleType:
    module = helm()
    if module is None:
        raise ModuleNotFoundError(HELM_MISSING, name="helm_python")
    return module


@functools.cache
def _load(archive: Path) -> helm_python.Chart:
    return _helm().Chart.load_archive(archive.read_bytes())


def render_documents(
    archive: Path,
    *,
    release: str,
    namespace: str,
    values: dict[str, Any],
    include_crds: bool = True,
) -> list[dict[str, Any]]:
    """Every YAML document the chart renders, CRDs (`crds/`) first, before the provider's rules.

    A fresh deep copy each call; the render itself is cached per process.
    """
    key = json.dumps(values, sort_keys=True)
    docs: list[dict[str, Any]] = json.loads(
        _render_cached(archive, release, namespace, key, include_crds)
    )
    return docs


@functools.cache
def _render_cached(
    archive: Path, release: str, namespace: str, values_json: str, include_crds: bool
) -> str:
    """The rendered documents as one JSON text (decoding JSON is the cheapest fresh copy)."""
    chart = _load(archive)
    values_from_yaml = _helm().values_from_yaml
    texts: list[str] = []
    if include_crds:
        texts.extend(crd["data"] for crd in chart.crds)
    rendered = chart.render(
        values=json.loads(values_json), name=release, namespace=namespace, is_install=True
    )
    for path in sorted(rendered):
        if path.endswith("NOTES.txt"):
            continue
        texts.append(rendered[path])
    docs: list[Any] = []
    for text in texts:
        for part in _DOCUMENT_SEPARATOR.split(text):
            if part.strip():
                # Go's YAML decoder (sigs.k8s.io/yaml, as the provider's), ~3x PyYAML's speed
                # on the multi-megabyte CRDs.
                doc = values_from_yaml(part)
                if isinstance(doc, dict) and doc:
                    docs.append(doc)
    return json.dumps(docs)


def is_hook(obj: dict[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return HOOK_ANNOTATION in annotations


def expand_lists(objs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Objects with an `items` list replaced by their items, recursively (yaml.go `expand`)."""
    for obj in objs:
        items = obj.get("items")
        if isinstance(items, list):
            yield from expand_lists(i for i in items if isinstance(i, dict))
        else:
            yield obj


def group_of(api_version: str) -> str:
    group, _, _ = api_version.rpartition("/")
    return "" if group == "core" else group


def type_token(obj: dict[str, Any]) -> str:
    """`kubernetes:<group>/<version>:<Kind>`, the core group as `core`."""
    group = group_of(str(obj["apiVersion"])) or "core"
    version = str(obj["apiVersion"]).rpartition("/")[2]
    return f"kubernetes:{group}/{version}:{obj['kind']}"


def crd_scopes(objs: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(group, kind) → `Namespaced`/`Cluster` for the CustomResourceDefinitions among `objs`."""
    scopes: dict[tuple[str, str], str] = {}
    for obj in objs:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            if kind:
                scopes[(str(spec.get("group", "")), str(kind))] = str(spec.get("scope", ""))
    return scopes


def is_namespaced(obj: dict[str, Any], crds: dict[tuple[str, str], str]) -> bool | None:
    """Whether the object's kind is namespaced; None when nothing here can tell."""
    key = (group_of(str(obj["apiVersion"])), str(obj["kind"]))
    if key in CLUSTER_SCOPED_BUILTINS:
        return False
    if key in crds:
        return crds[key] == "Namespaced"
    if "." not in key[0] or key[0].endswith(".k8s.io"):
        return True  # a built-in group: every kind not listed above is namespaced
    return None


def chart_objects(ref: ChartRef, archive: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects the provider registers for `ref`, normalized, and kinds of unknown scope."""
    docs = render_documents(
        archive,
        release=ref.release,
        namespace=ref.namespace,
        values=ref.values,
        include_crds=not ref.skip_crds,
    )
    objs = [o for o in expand_lists(docs) if not is_hook(o)]
    crds = crd_scopes(objs)
    unknown: list[str] = []
    for obj in objs:
        metadata = obj.setdefault("metadata", {})
        if metadata.get("namespace"):
            continue
        namespaced = is_namespaced(obj, crds)
        if namespaced is None:
            unknown.append(f"{obj['apiVersion']}/{obj['kind']}")
        elif namespaced:
            metadata["namespace"] = ref.namespace
    return objs, sorted(set(unknown))


def child_name(prefix: str, obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    name = str(metadata["name"])
    if metadata.get("namespace"):
        name = f"{metadata['namespace']}/{name}"
    return f"{prefix}:{name}" if prefix else name


def child_urn(parent_urn: str, type_: str, name: str) -> str:
    """URN of a child of `parent_urn`: the parent's qualified type, `$`, the child's type."""
    head, project, qualified, _ = parent_urn.split("::", 3)
    return f"{head}::{project}::{qualified}${type_}::{name}"


def chart_children(chart: Registration, objs: Iterable[dict[str, Any]]) -> list[Registration]:
    prefix = ChartRef.of(chart).prefix
    children = []
    for obj in objs:
        type_ = type_token(obj)
        name = child_name(prefix, obj)
        children.append(
            Registration(
                urn=child_urn(chart.urn, type_, name),
                type=type_,
                name=name,
                parent=chart.urn,
                custom=True,
                inputs=obj,
                dependencies=(),
            )
        )
    return children


def shown_dir(directory: Path) -> str:
    """`directory` as the warnings show it: relative to the project when inside it."""
    if directory.is_absolute() and directory.is_relative_to(PROJECT_ROOT):
        directory = directory.relative_to(PROJECT_ROOT)
    return f"{directory}/"


def expand_charts(result: PlanResult, charts_dir: Path = CHARTS_DIR) -> PlanResult:
    """`result` with every vendored chart's objects added as children of their Chart.

    A chart whose archive is not vendored stays opaque, with one warning line saying so; without
    helm-python-sdk every chart does, with one warning line saying what to install.
    """
    if helm() is None:
        if not result.by_type(CHART_TYPE):
            return result
        return replace(result, warnings=[*result.warnings, HELM_MISSING])
    added: list[Registration] = []
    warnings: list[str] = []
    for chart in result.sorted():
        if chart.type != CHART_TYPE:
            continue
        ref = ChartRef.of(chart)
        archive = ref.archive(charts_dir)
        if archive is None:
            warnings.append(
                f"chart {ref.chart} {ref.version} ({chart.name}) is not vendored in "
                f"{shown_dir(charts_dir)}: kept opaque, its objects are not in this plan"
            )
            continue
        objs, unknown = chart_objects(ref, archive)
        if unknown:
            warnings.append(
                f"chart {chart.name}: scope of {', '.join(unknown)} unknown offline; "
                "rendered without a namespace (as the provider does)"
            )
        added.extend(chart_children(chart, objs))
    return replace(
        result,
        resources=[*result.resources, *added],
        warnings=[*result.warnings, *warnings],
    )


def rendered_from_chart(result: PlanResult) -> dict[str, Registration]:
    """Chart children by URN, each with its Chart registration."""
    charts = {r.urn: r for r in result.resources if r.type == CHART_TYPE}
    return {r.urn: charts[r.parent] for r in result.resources if r.parent in charts}


GENERATED = "<generated on each render>"


def mask_generated_certificates(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with what a chart generates afresh on each offline render masked (copied if so).

    The only such material in the vendored charts: the LBC chart's webhook certificate
    (templates/_helpers.tpl `webhookCerts`, genCA/genSignedCert), rendered into the
    `kubernetes.io/tls` Secret's `data` and every webhook's `clientConfig.caBundle`. With
    `keepTLSSecret` a real update reuses the Secret found by `lookup`; offline nothing is found.
    """
    is_tls = obj.get("kind") == "Secret" and obj.get("type") == "kubernetes.io/tls"
    if not is_tls and not obj.get("webhooks"):
        return obj  # nothing generated: no copy (CRDs are megabytes)
    masked: dict[str, Any] = json.loads(json.dumps(obj))
    if is_tls:
        masked["data"] = GENERATED
    for webhook in masked.get("webhooks") or []:
        if isinstance(webhook, dict) and "caBundle" in (webhook.get("clientConfig") or {}):
            webhook["clientConfig"]["caBundle"] = GENERATED
    return masked
