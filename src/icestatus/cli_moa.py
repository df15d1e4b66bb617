"""Commands registered on ``icestatus.cli.app`` (imported at the end of cli.py)."""

from __future__ import annotations
