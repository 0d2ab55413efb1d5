"""Opt-in test tooling: Pulumi's mock engine with recorded registrations, and the offline plan.

No component imports this package. It drives private (underscore) parts of the Pulumi Python
SDK that change between releases, so it refuses to load under any other SDK version than the
one it was written and tested against, with one line saying what to install.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

SUPPORTED_PULUMI = "3.272.0"


class UnsupportedPulumiError(ImportError):
    pass


def _check_pulumi() -> None:
    try:
        installed = version("pulumi")
    except PackageNotFoundError:
        installed = "not installed"
    if installed != SUPPORTED_PULUMI:
        raise UnsupportedPulumiError(
            f"the mock engine and offline plan need pulumi=={SUPPORTED_PULUMI} "
            f"(installed: {installed}); install it with "
            f"`pip install pulumi=={SUPPORTED_PULUMI}` in the environment that runs the tests"
        )


_check_pulumi()
