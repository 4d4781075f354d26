"""Shared fixtures: the repository, the command-line binary to compare against."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def flowsim_bin() -> Path:
    """The `flowsim` binary of this checkout (FLOWSIM_BIN, else target/release/flowsim, built
    with cargo if missing)."""
    given = os.environ.get("FLOWSIM_BIN")
    path = Path(given) if given else ROOT / "target" / "release" / "flowsim"
    if not path.exists():
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "--bin", "flowsim"], cwd=ROOT, check=True
        )
    return path


@pytest.fixture
def cli_run(flowsim_bin, tmp_path):
    """Runs the command line into a fresh folder and returns the folder."""

    def go(*args: str) -> Path:
        out = tmp_path / "cli"
        subprocess.run(
            [str(flowsim_bin), *args, "--out", str(out), "--quiet", "--no-charts"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return out

    return go
