"""icestatus: which agencies take part in ICE's 287(g) program, on any date, and how they got there.

The package is a pure core (``registry`` -> ``replay`` -> ``query``) with a thin Typer CLI
(``cli``) on top. Nothing in the core prints or imports typer/rich.
"""
