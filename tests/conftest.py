"""Shared fixtures: a CLI runner, the bundled registry, and ICE's real sheets (when present)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]


def shared_sheets_dir() -> Path:
    """Where ICE's published sheets are: $ICESTATUS_SHARED/data/ice-sheets, else ../shared beside the repo."""
    base = os.environ.get("ICESTATUS_SHARED")
    root = Path(base) if base else REPO.parent / "shared"
    return root / "data" / "ice-sheets"


@pytest.fixture(scope="session")
def ice_sheets_dir() -> Path:
    path = shared_sheets_dir()
    if not (path / "manifest.csv").is_file():
        pytest.skip(
            f"ICE's published sheets not found at {path} (they live in ../shared, which is not "
            "part of the repo; set ICESTATUS_SHARED to its location to run these tests)"
        )
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's registry or terminal settings."""
    for var in ("ICESTATUS_REGISTRY", "ICESTATUS_TODAY", "ICESTATUS_DEBUG", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
