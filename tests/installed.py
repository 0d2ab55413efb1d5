"""Run code that imports `eks_calico_ebpf`, the installed name, against this checkout."""

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT


@contextlib.contextmanager
def as_installed() -> Iterator[None]:
    """`eks_calico_ebpf` importable for the duration: a link to `components/` on sys.path.

    The README's examples use the name users import; `scripts/check-wheel` checks the real
    wheel, this keeps the examples runnable in the plain test suite.
    """
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "eks_calico_ebpf").symlink_to(ROOT / "components")
        sys.path.insert(0, folder)
        try:
            yield
        finally:
            sys.path.remove(folder)
            for name in [m for m in sys.modules if m.partition(".")[0] == "eks_calico_ebpf"]:
                del sys.modules[name]
