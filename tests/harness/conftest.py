"""Fixtures for the harness tests: a real third-party plugin package, and the user-error check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trackbench.harness.plugins import DISABLE_ENV

TOY_SOURCE = Path(__file__).parent / "toy_package"
# Entry points of the toy package that tests enable one at a time (all but `robots` are broken on
# purpose). `robots` is named with its package: the bare name would block trackbench's own too.
TOY_OPTIONAL_ENTRY_POINTS = ("toy_broken", "toy_duplicate", "toy_badspec", "toy_typo",
                             "toy_notrobot", "toy_bare", "trackbench-toy:robots")


@pytest.fixture(scope="session")
def toy_site(tmp_path_factory) -> Path:
    """Copy the toy package to a temporary directory and pip-install it there (no network)."""
    build = tmp_path_factory.mktemp("toy_build")
    source = build / "trackbench-toy"
    shutil.copytree(TOY_SOURCE, source)
    site = tmp_path_factory.mktemp("toy_site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(source)],
        check=True, capture_output=True,
    )
    return site


@pytest.fixture
def toy_plugins(toy_site, monkeypatch):
    """Make the installed toy package visible; only its entry point `toy` is enabled.

    Returns a function that enables some of TOY_OPTIONAL_ENTRY_POINTS as well.
    """
    monkeypatch.syspath_prepend(str(toy_site))
    monkeypatch.setenv(DISABLE_ENV, ",".join(TOY_OPTIONAL_ENTRY_POINTS))

    def enable(*entry_points: str) -> None:
        still_disabled = [e for e in TOY_OPTIONAL_ENTRY_POINTS if e not in entry_points]
        monkeypatch.setenv(DISABLE_ENV, ",".join(still_disabled))

    return enable


def assert_user_error(result, *fragments: str) -> None:
    """Exit status 2, each fragment in the message, and no traceback."""
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
