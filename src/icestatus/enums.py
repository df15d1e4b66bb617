"""Vocabulary shared by the models and the CLI.

Kept free of pydantic so that the CLI can build its options (and answer ``--help``)
without importing the validation machinery.
"""

from __future__ import annotations

from enum import Enum


class Model(str, Enum):
    """The three 287(g) agreement models."""

    task_force = "task_force"
    jail_enforcement = "jail_enforcement"
    warrant_service = "warrant_service"

    @property
    def label(self) -> str:
        return MODEL_LABELS[self]


MODEL_LABELS: dict[Model, str] = {
    Model.task_force: "Task Force Model",
    Model.jail_enforcement: "Jail Enforcement Model",
    Model.warrant_service: "Warrant Service Officer",
}


class EventKind(str, Enum):
    """What happened to one agreement (one agency, one model).

    Events of the same day apply in the order they were recorded (see ``replay``).
    """

    applied = "applied"          # application filed; the agreement is pending
    withdrawn = "withdrawn"      # a pending application ended without a signing
    signed = "signed"            # the agreement is in force (a later one renews it)
    corrected = "corrected"      # the signing date was corrected (see Event.signed)
    moa_linked = "moa_linked"    # the signed MOA document's address became known or changed
    paused = "paused"            # the agency put an active agreement on hold
    resumed = "resumed"          # a paused agreement is active again
    terminated = "terminated"    # the agreement ended (by the agency or ICE)
    delisted = "delisted"        # ICE stopped listing an agreement it had listed


class Status(str, Enum):
    """Where one agreement stands on a date."""

    active = "active"
    paused = "paused"
    pending = "pending"
    ended = "ended"  # terminated, delisted, or (an application) withdrawn: the event says which


# What people call each model (``--model jail``): the tables print the short names.
MODEL_ALIASES: dict[str, Model] = {
    "task force": Model.task_force, "tfm": Model.task_force, "task force model": Model.task_force,
    "jail": Model.jail_enforcement, "jem": Model.jail_enforcement, "jail enforcement": Model.jail_enforcement,
    "jail enforcement model": Model.jail_enforcement,
    "warrant": Model.warrant_service, "wso": Model.warrant_service, "warrant service": Model.warrant_service,
    "warrant service officer": Model.warrant_service,
}


def parse_model(text: str) -> Model:
    """The model *text* names: ``task_force``, ``task-force``, ``Task Force``, ``tfm``, ``jail``,
    ``wso``, ... in any case. Raises UsageError listing the valid names."""
    from icestatus.errors import UsageError

    key = " ".join(text.replace("_", " ").replace("-", " ").casefold().split())
    for m in Model:
        if key == m.value.replace("_", " "):
            return m
    if key in MODEL_ALIASES:
        return MODEL_ALIASES[key]
    valid = "; ".join(
        f"{m.value} ({', '.join(dict.fromkeys([MODEL_SHORT_NAMES[m], *short]))})"
        for m in Model
        for short in [[k for k, v in MODEL_ALIASES.items() if v is m and " " not in k]]
    )
    raise UsageError(f"unknown model {text!r}: use one of {valid}")


MODEL_SHORT_NAMES: dict[Model, str] = {
    Model.task_force: "task force", Model.jail_enforcement: "jail", Model.warrant_service: "warrant",
}


class TermStatus(str, Enum):
    """Where one agreement term stands on a date (``icestatus agreements``): the three
    statuses of ``Status`` while it is open, or before it began, or after it ended."""

    active = "active"
    paused = "paused"
    pending = "pending"
    ended = "ended"
    not_started = "not_started"
    unlisted = "unlisted"  # between two listings of one agreement: on neither of ICE's lists that day


class SourceKind(str, Enum):
    """What kind of document a source is."""

    ice_sheet = "ice_sheet"          # one of ICE's participating or pending sheets
    ice_page = "ice_page"            # ICE's 287(g) web page as a Wayback Machine capture shows it
    news = "news"                    # a news report
    press_release = "press_release"  # an agency's or a government's own announcement
    records = "records"              # public records (obtained through a records request, say)
    statute = "statute"              # a law (a state statute, say)
    other = "other"


# The sources that are ICE's own lists of agreements: what a later list can contradict
# (an agreement one of them listed and the next no longer lists is ``delisted``).
ICE_LISTINGS: frozenset[SourceKind] = frozenset({SourceKind.ice_sheet, SourceKind.ice_page})


class SheetKind(str, Enum):
    """The two spreadsheets ICE publishes."""

    participating = "participating"
    pending = "pending"


class PolicyKind(str, Enum):
    """A state's stance on 287(g) agreements, as a sourced fact."""

    ban = "ban"                  # state law or directive forbids such agreements
    mandate = "mandate"          # state law requires some agencies to join
    none_in_force = "none_in_force"  # reported: no agency of the state takes part
    other = "other"


class OutputFormat(str, Enum):
    """``--format``: a table for people, or rows for scripts (``output.writers``)."""

    table = "table"
    json = "json"
    csv = "csv"


class DocumentFormat(str, Enum):
    """``--format`` of a command whose answer is one document (``info``, ``update``): a
    table for people or JSON for scripts; it has no rows for CSV."""

    table = "table"
    json = "json"


class StatsBy(str, Enum):
    """How ``icestatus stats`` groups its counts."""

    state = "state"
    model = "model"
    type = "type"


class Every(str, Enum):
    """The step between the points of ``icestatus trend``."""

    day = "day"
    week = "week"
    month = "month"
