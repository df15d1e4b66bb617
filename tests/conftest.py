"""Shared fixtures: a CLI runner, the bundled registry, and ICE's real sheets (when present)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def ice_dir() -> Path:
    """../shared/data/ice: ICE's 478 sheets (sheets/<retrieved>/<name>) and manifest.csv."""
    from ice_data import shared_ice_dir

    path = shared_ice_dir()
    if not (path / "manifest.csv").is_file():
        pytest.skip(
            f"ICE's published sheets not found at {path} (they live in ../shared, which is not "
            "part of the repo; set ICESTATUS_SHARED to its location to run these tests)"
        )
    return path


@pytest.fixture(scope="session")
def history_dir() -> Path:
    """../shared/data/history: the captures of ICE's 287(g) page, 2007-2025."""
    from ice_data import shared_history_dir

    path = shared_history_dir()
    if not (path / "ice-page-2021-2025" / "manifest.csv").is_file():
        pytest.skip(
            f"the captures of ICE's 287(g) page were not found at {path} (they live in ../shared, "
            "which is not part of the repo; set ICESTATUS_SHARED to its location to run these tests)"
        )
    return path


@pytest.fixture(scope="session")
def real_rosters(ice_dir: Path) -> dict[str, Any]:
    """Every file of the manifest (use=yes or not) read by its name alone, once a session:
    manifest path -> Roster."""
    from ice_data import manifest
    from icestatus.sources import read_roster

    return {r["path"]: read_roster(ice_dir / "sheets" / r["path"]) for r in manifest(ice_dir, used=False)}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _stable_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read the developer's registry, data folder or terminal settings, and
    never reach ICE's site (an update without --from goes to a closed port on loopback)."""
    for var in ("ICESTATUS_REGISTRY", "ICESTATUS_TODAY", "ICESTATUS_DEBUG", "NO_COLOR", "FORCE_COLOR",
                "ICESTATUS_HTTP_TIMEOUT", "ICESTATUS_MAX_SHEET_BYTES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ICESTATUS_DATA_DIR", str(tmp_path_factory.getbasetemp() / "no-user-data"))
    monkeypatch.setenv("ICESTATUS_ICE_URL", "http://127.0.0.1:9/287g")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
