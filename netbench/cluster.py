"""The cluster, behind a small Protocol: the commands run against kr8s live and a fake in tests.

Client library: kr8s (pinned in requirements-bench.txt). Its `Pod.exec` returns a
subprocess-like result with the exit code and takes a timeout, it handles the EKS kubeconfig's
`exec` credential plugin (`aws eks get-token`), it ships `py.typed`, and its sync API needs no
asyncio in the CLI. lightkube only gained exec in 2026; the official client needs the
websocket ERROR channel for an exit code and has no type information for mypy --strict.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import kr8s
from kr8s import NotFoundError
from kr8s.objects import Namespace, Pod, object_from_spec


@dataclass(frozen=True)
class ExecResult:
    returncode: int
    stdout: str
    stderr: str


class ClusterOps(Protocol):
    def list(
        self, kind: str, *, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]]: ...

    def get(self, kind: str, name: str, *, namespace: str | None = None) -> dict[str, Any] | None:
        """The object as a dict, or None when it does not exist."""
        ...

    def create(self, obj: dict[str, Any]) -> None: ...

    def wait_ready(self, namespace: str, pod: str, timeout_s: int) -> dict[str, Any]:
        """Wait for the pod's Ready condition; return the pod."""
        ...

    def exec(
        self, namespace: str, pod: str, command: Sequence[str], timeout_s: int
    ) -> ExecResult: ...

    def delete_namespace(self, name: str) -> None: ...


class Kr8sCluster:
    """ClusterOps on kr8s. Thin on purpose: all logic lives in the callers, tested offline."""

    def __init__(self, kubeconfig: str | None) -> None:

        self._api = kr8s.api(kubeconfig=kubeconfig)

    def list(
        self, kind: str, *, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]]:
        found = self._api.get(kind, namespace=namespace, label_selector=selector)
        return [obj.raw for obj in found]  # type: ignore[union-attr]

    def get(self, kind: str, name: str, *, namespace: str | None = None) -> dict[str, Any] | None:

        try:
            found = list(self._api.get(kind, name, namespace=namespace))
        except NotFoundError:
            return None
        return dict(found[0].raw) if found else None  # type: ignore[union-attr]

    def create(self, obj: dict[str, Any]) -> None:

        object_from_spec(obj, api=self._api).create()

    def wait_ready(self, namespace: str, pod: str, timeout_s: int) -> dict[str, Any]:

        p = Pod.get(pod, namespace=namespace, api=self._api)
        p.wait("condition=Ready", timeout=timeout_s)
        p.refresh()
        return dict(p.raw)

    def exec(self, namespace: str, pod: str, command: Sequence[str], timeout_s: int) -> ExecResult:

        p = Pod.get(pod, namespace=namespace, api=self._api)
        done = p.exec(list(command), check=False, timeout=timeout_s)
        return ExecResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def delete_namespace(self, name: str) -> None:

        with contextlib.suppress(NotFoundError):
            Namespace.get(name, api=self._api).delete()
