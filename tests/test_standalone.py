"""The repo stands alone: nothing in it reads or points at files outside the checkout."""

from tests.conftest import ROOT

SKIP = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".hypothesis"}


def test_no_file_refers_to_a_sibling_checkout():
    # A user's clone has nothing beside it; CI's has. A reference would pass CI and fail users.
    needle = "../" + "shared"
    offenders = []
    for path in ROOT.rglob("*"):
        if path.is_file() and not SKIP & set(path.relative_to(ROOT).parts):
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                continue
            if needle in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
