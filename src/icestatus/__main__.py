"""``python -m icestatus`` runs the command-line interface."""

from icestatus.cli import main

main()
