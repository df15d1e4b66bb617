"""One exception family and the exit codes the CLI maps it to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DATA = 1        # bad, missing or invalid data (registry, sheet) or a failed check
    USAGE = 2       # bad usage: unknown state, bad date, ambiguous name, unknown option
    LOCKED = 3      # another icestatus process holds the registry lock
    NETWORK = 4     # ICE's site (or the network) failed or sent what is not a sheet
    OUTPUT = 74     # the answer could not be written: stdout closed, disk full (EX_IOERR)
    BUG = 70        # an unexpected error: a bug in icestatus (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class IcestatusError(Exception):
    """Base of every error icestatus reports to the user as one line."""

    exit_code: ExitCode = ExitCode.DATA


class UsageError(IcestatusError):
    """The user asked for something that cannot be answered as asked."""

    exit_code = ExitCode.USAGE


class RegistryError(IcestatusError):
    """A registry file is missing, unreadable, malformed or invalid."""


class SheetError(IcestatusError):
    """An ICE spreadsheet (or CSV) cannot be read as one."""


class LockError(IcestatusError):
    """Another process is writing the registry."""

    exit_code = ExitCode.LOCKED


class FetchError(IcestatusError):
    """ICE's page or a sheet could not be fetched whole, or is not what its link promised."""

    exit_code = ExitCode.NETWORK
