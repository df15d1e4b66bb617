"""What icestatus shows: the rows of every command (``rows``), the writers that print them
as JSON or CSV (``writers``), the Rich views people read (``views``, ``views_reports``),
and the inert text all of them are made of (``text``).

The core never imports this package; the commands (``icestatus.cli``) do.
"""
