"""Ingest: ICE's sheets diffed into events (the rules in the README's "Keeping the registry
up to date"), and the commands that write a registry: init, ingest, record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from builders import d, dept, ev, registry_of
from icestatus.cli import app
from icestatus.curate import SourceFacts, record_event
from icestatus.enums import EventKind, Model, SheetKind, SourceKind, Status
from icestatus.ingest import (
    PUBLISHER,
    OutOfOrderError,
    ingest_sheets,
    publication_key,
    similar_names,
)
from icestatus.models import Registry
from icestatus.names import normalize_name
from icestatus.registry import empty_registry, load_registry
from icestatus.replay import replay
from icestatus.sources import Roster, RosterRow

# ---------------------------------------------------------------- building sheets


def row(agency: str, model: str = "task_force", state: str = "TX", signed: str | None = None,
        moa: str | None = None, moa_url: str | None = None, type_: str | None = "County",
        county: str | None = None) -> RosterRow:
    return RosterRow(row=0, state=state, agency=agency, type=type_, county=county, model=Model(model),
                    signed=d(signed) if signed else None, moa=moa, moa_url=moa_url)


def part(date: str, *rows: RosterRow, half: str | None = "am", tag: str = "") -> Roster:
    return _sheet(SheetKind.participating, date, rows, half, tag)


def pend(date: str, *rows: RosterRow, half: str | None = "am", tag: str = "") -> Roster:
    return _sheet(SheetKind.pending, date, rows, half, tag)


def _sheet(kind: SheetKind, date: str, rows: Iterable[RosterRow], half: str | None, tag: str) -> Roster:
    rows = tuple(RosterRow(**{**{f: getattr(r, f) for f in r.__dataclass_fields__}, "row": i + 2}) for i, r in enumerate(rows))
    sha1 = hashlib.sha1(repr((kind, date, half, rows, tag)).encode()).hexdigest()
    day = d(date)
    name = f"{kind.value}Agencies{day:%m%d%Y}{half or ''}.xlsx"
    return Roster(path=Path(name), kind=kind, published=day, half=half, sha1=sha1, rows=rows)


def ingest(*sheets: Roster, registry: Registry | None = None) -> Registry:
    return ingest_sheets(registry or empty_registry(), sheets).registry


def story(reg: Registry, dept_id: str, model: str = "task_force") -> list[tuple[Any, ...]]:
    """(kind, not_before, date, signed) of one agreement's events, as ISO strings."""
    def iso(x: dt.date | None) -> str | None:
        return x.isoformat() if x else None
    return [(e.kind.value, iso(e.not_before), iso(e.date), iso(e.signed))
            for e in reg.events if e.department_id == dept_id and e.model.value == model]


def status_on(reg: Registry, date: str) -> set[tuple[str, str, str]]:
    return {(a.department.id, a.model.value, a.status.value) for a in replay(reg, d(date))}


JIM = "Jim Wells County Sheriff's Office"
JIM_ID = "tx-jim-wells-county-sheriffs-office"


# ---------------------------------------------------------------- identity


class TestIdentity:
    def test_new_agency_is_recorded_as_printed(self) -> None:
        reg = ingest(part("2025-05-16", row(JIM, "jail_enforcement", signed="2025-02-27", county="Jim Wells County")))
        (agency,) = reg.departments
        assert (agency.id, agency.name, agency.state, agency.type, agency.county, agency.aliases) == (
            JIM_ID, JIM, "TX", "County", "Jim Wells County", ())

    def test_new_spelling_of_a_known_agency_becomes_an_alias(self) -> None:
        curly = "Jim Wells County Sheriff\u2019s Office"
        result = ingest_sheets(empty_registry(), [
            part("2025-05-16", row(JIM, signed="2025-03-25")),
            part("2025-05-19", row(curly, signed="2025-03-25")),
        ])
        (agency,) = result.registry.departments
        assert agency.aliases == (curly,)
        assert result.files[1].new_aliases == ((JIM_ID, curly),)
        assert result.files[1].events == ()  # same agreement: nothing happened

    def test_same_name_in_another_state_is_another_agency(self) -> None:
        reg = ingest(part("2025-05-16", row("Washington County Sheriff's Office", state="FL", signed="2025-02-26"),
                          row("Washington County Sheriff's Office", state="PA", signed="2025-03-01")))
        assert sorted(x.id for x in reg.departments) == [
            "fl-washington-county-sheriffs-office", "pa-washington-county-sheriffs-office"]

    def test_truncated_office_found_in_the_sheets_is_an_abbreviation(self) -> None:
        assert normalize_name("Berrian County Sheriff's Offic") == normalize_name("Berrian County Sheriff's Office")
        reg = ingest(part("2025-05-16", row("Berrian County Sheriff's Offic", "warrant_service", state="MI", signed="2025-05-06")),
                     part("2025-05-20", row("Berrian County Sheriff's Office", "warrant_service", state="MI", signed="2025-05-06")))
        assert len(reg.departments) == 1 and [e.kind.value for e in reg.events] == ["signed"]

    def test_agency_known_from_news_gains_type_and_county(self) -> None:
        base = registry_of([], departments=[dept("me-wells-police-department", "Wells Police Department")])
        reg = ingest(part("2025-05-16", row("Wells Police Department", state="ME", type_="Municipality",
                                            county="York County", signed="2025-04-02")), registry=base)
        (wells,) = reg.departments
        assert (wells.type, wells.county) == ("Municipality", "York County")

    def test_repeated_row_counts_once(self) -> None:
        result = ingest_sheets(empty_registry(), [part("2025-07-03", row("St. Cloud Police Department", state="FL", signed="2025-04-14"),
                                                       row("St Cloud Police Dept", state="FL", signed="2025-04-14"))])
        assert [e.kind.value for e in result.events] == ["signed"]
        assert result.files[0].repeated_rows == 1

    def test_repeated_rows_that_disagree_keep_the_known_agreement(self) -> None:
        """St. Cloud PD, FL, July 2025: listed twice, 2025-04-15 'link pending' and 2025-04-14 with a link."""
        url = "https://www.ice.gov/doclib/287gMOA/StCloudPoliceDeptFL_TFM_MOA_04142025.pdf"
        name = "St. Cloud Police Department"
        reg = ingest(
            part("2025-07-01", row(name, state="FL", signed="2025-04-14", moa="link pending")),
            part("2025-07-03", row(name, state="FL", signed="2025-04-15", moa="link pending"),
                 row(name, state="FL", signed="2025-04-14", moa="link", moa_url=url)),
        )
        assert story(reg, "fl-saint-cloud-police-department") == [
            ("signed", None, "2025-04-14", None), ("moa_linked", None, "2025-07-03", None)]


class TestRenamedRows:
    """ICE renames rows ("City of Melbourne Police Department" -> "Melbourne Police Department")."""

    def test_a_renamed_row_continues_the_agreement_as_an_alias(self) -> None:
        url = "https://www.ice.gov/doclib/287gMOA/bocaRatonPoliceDeptFL_TFM_MOA_03.20.25.pdf"
        result = ingest_sheets(empty_registry(), [
            part("2025-07-14", row("Boca Raton Police Department", state="FL", type_="Municipality", signed="2025-03-25", moa_url=url)),
            part("2025-07-16", row("Boca Raton Police Services Department", state="FL", type_="Municipality", signed="2025-03-25", moa_url=url)),
        ])
        (agency,) = result.registry.departments
        assert agency.aliases == ("Boca Raton Police Services Department",)
        assert result.files[1].events == () and result.files[1].new_departments == ()

    def test_same_signing_date_and_similar_name_without_a_link(self) -> None:
        reg = ingest(part("2025-05-19", row("City of Melbourne Police Department", state="FL", type_="Municipality", signed="2025-04-14")),
                     part("2025-05-20", row("Melbourne Police Department", state="FL", type_="Municipality", signed="2025-04-14")))
        assert [e.kind.value for e in reg.events] == ["signed"]

    @pytest.mark.parametrize(("old", "new", "why"), [
        (row("Bay County Sheriff's Office", state="FL", signed="2025-02-26"),
         row("Clay County Sheriff's Office", state="FL", signed="2025-02-26"), "dissimilar names"),
        (row("Lake County Sheriff's Office", state="FL", signed="2025-02-26"),
         row("Lake Wales Police Department", state="FL", type_="Municipality", signed="2025-02-26"), "another type"),
        (row("City of Melbourne Police Department", state="FL", signed="2025-04-14"),
         row("Melbourne Police Department", state="FL", signed="2025-04-24"), "another signing date"),
        (row("Elm County Sheriff's Office", "warrant_service", state="TX", signed="2025-07-07"),
         row("Elm County Sheriff's Office", "warrant_service", state="KS", signed="2025-07-07"), "another state"),
    ])
    def test_not_a_rename(self, old: RosterRow, new: RosterRow, why: str) -> None:
        reg = ingest(part("2025-05-19", old), part("2025-05-20", new))
        assert sorted(e.kind.value for e in reg.events) == ["delisted", "signed", "signed"], why

    def test_two_candidates_are_no_rename(self) -> None:
        reg = ingest(part("2025-05-19", row("Palm Beach Police Department", state="FL", signed="2025-03-07"),
                          row("Palm Beach Police Dept of Police", state="FL", signed="2025-03-07")),
                     part("2025-05-20", row("Town of Palm Beach Police Department", state="FL", signed="2025-03-07")))
        assert sorted(e.kind.value for e in reg.events).count("delisted") == 2

    def test_an_applicant_listed_as_participating_under_another_spelling(self) -> None:
        """Coolspring Township, PA, 2025-07-18: pending as "Constables", participating as "Constbales"."""
        reg = ingest(pend("2025-07-18", row("Coolspring Township Constables Office", state="PA", type_="Municipality")),
                     part("2025-07-18", row("Coolspring Township Constbales Office", state="PA", type_="Municipality",
                                            signed="2025-07-18"), half="pm"),
                     pend("2025-07-18", half="pm"))
        (agency,) = reg.departments
        assert agency.aliases == ("Coolspring Township Constbales Office",)
        assert [e.kind.value for e in reg.events] == ["applied", "signed"]

    def test_an_applicant_is_not_a_neighbouring_town(self) -> None:
        reg = ingest(pend("2025-05-15", row("West Melbourne Police Department", state="FL", type_="Municipality")),
                     part("2025-05-16", row("City of Melbourne Police Department", state="FL", type_="Municipality",
                                            signed="2025-04-14")))
        assert len(reg.departments) == 2

    def test_similar_names(self) -> None:
        assert similar_names("Indialantic Police Department", "Indiatlantic Police Department")
        assert similar_names("City of Melbourne Police Department", "Melbourne Police Department")
        assert similar_names("Unity Township Constable, PA", "Constable Unity Township")
        assert similar_names("Tennessee Department of Safety and Homeland Security / THP",
                             "Tennessee Department of Safety and Homeland Security")
        assert not similar_names("Melbourne Police Department", "West Melbourne Police Department")
        assert not similar_names("Cocoa Police Department", "Cocoa Beach Police Department")
        assert similar_names("Boca Raton Police Department", "Boca Raton Police Services Department", loose=True)
        assert not similar_names("Boca Raton Police Department", "Boca Raton Police Services Department")
        assert not similar_names("Florida Fish and Wildlife Conservation Commission",
                                 "Florida Department of Environmental Protection Division of Law Enforcement", loose=True)
        assert not similar_names("Police Department", "County Sheriff's Office")  # nothing distinctive


# ---------------------------------------------------------------- participating sheets


class TestSignings:
    def test_first_sheet_dates_signings_by_signed(self) -> None:
        reg = ingest(part("2025-05-16", row(JIM, "jail_enforcement", signed="2025-02-27")))
        assert story(reg, JIM_ID, "jail_enforcement") == [("signed", None, "2025-02-27", None)]
        (src,) = reg.events[0].sources
        assert src == "ice-participating-2025-05-16-am"

    def test_signed_after_the_previous_sheet_is_dated_by_signed(self) -> None:
        reg = ingest(part("2025-05-16"), part("2025-05-20", row(JIM, signed="2025-05-18")))
        assert story(reg, JIM_ID) == [("signed", None, "2025-05-18", None)]

    def test_listed_late_is_known_to_the_window_and_keeps_ices_date(self) -> None:
        """SIGNED on or before the previous sheet, which did not list it: ICE listed it late."""
        reg = ingest(part("2025-05-16"), part("2025-05-20", row(JIM, signed="2025-03-01")))
        assert story(reg, JIM_ID) == [("signed", "2025-05-16", "2025-05-20", "2025-03-01")]
        assert status_on(reg, "2025-05-16") == set()  # each sheet is reproduced...
        (a,) = replay(reg, d("2025-05-20"))
        assert (a.status, a.signed, a.approximate) == (Status.active, d("2025-03-01"), True)  # ...with ICE's date

    def test_signed_after_the_sheet_date_is_no_signing_date(self) -> None:
        """Grundy County Sheriff's Office, TN, 2025-07-09 to 07-18: SIGNED 5025-07-07."""
        grundy = "Grundy County Sheriff's Office"
        reg = ingest(part("2025-07-07"),
                     part("2025-07-09", row(grundy, "warrant_service", state="TN", signed="5025-07-07")),
                     part("2025-07-11", row(grundy, "warrant_service", state="TN", signed="5025-07-07")))
        assert story(reg, "tn-grundy-county-sheriffs-office", "warrant_service") == [
            ("signed", "2025-07-07", "2025-07-09", None)]  # and no correction to 5025 later
        assert reg.events[0].note == "ICE's SIGNED reads 5025-07-07, after this sheet's date: the signing date is not known."

    def test_same_day_previous_sheet_leaves_no_window(self) -> None:
        reg = ingest(part("2025-07-09", half="am"), part("2025-07-09", row(JIM, signed="2025-04-10"), half="pm"))
        assert story(reg, JIM_ID) == [("signed", None, "2025-07-09", "2025-04-10")]

    def test_signing_carries_the_moa(self) -> None:
        url = "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"
        reg = ingest(part("2025-05-16", row("Wells Police Department", state="ME", signed="2025-04-02", moa="link", moa_url=url),
                          row(JIM, signed="2025-03-25", moa="link pending")))
        assert {(e.department_id, e.moa_url, e.moa_pending) for e in reg.events} == {
            ("me-wells-police-department", url, False), (JIM_ID, None, True)}

    def test_signing_closes_the_application(self) -> None:
        reg = ingest(pend("2025-05-15", row(JIM)), part("2025-05-16", row(JIM, signed="2025-05-16")),
                     pend("2025-05-19", half="am"))
        assert [k for k, *_ in story(reg, JIM_ID)] == ["applied", "signed"]  # not withdrawn

    def test_signing_is_not_dated_before_a_pending_sheet_that_listed_it(self) -> None:
        """Pending 05-28 lists it; the participating sheet of 05-29 says SIGNED 05-27."""
        reg = ingest(part("2025-05-23", half="pm"), pend("2025-05-23", row(JIM), half="pm"),
                     pend("2025-05-28", row(JIM)), part("2025-05-29", row(JIM, signed="2025-05-27")))
        assert story(reg, JIM_ID)[-1] == ("signed", "2025-05-28", "2025-05-29", "2025-05-27")
        assert status_on(reg, "2025-05-28") == {(JIM_ID, "task_force", "pending")}


class TestCorrectedAndDelisted:
    def test_changed_signing_date_is_one_correction(self) -> None:
        """Jim Wells County Sheriff's Office, jail enforcement: 2025-02-27, then 2025-02-28."""
        reg = ingest(part("2025-06-26", row(JIM, "jail_enforcement", signed="2025-02-27")),
                     part("2025-06-27", row(JIM, "jail_enforcement", signed="2025-02-28")))
        assert story(reg, JIM_ID, "jail_enforcement") == [
            ("signed", None, "2025-02-27", None), ("corrected", "2025-06-26", "2025-06-27", "2025-02-28")]
        (a,) = replay(reg, d("2025-06-27"))
        assert (a.status, a.signed) == (Status.active, d("2025-02-28"))

    def test_agreement_no_longer_listed_is_delisted_in_the_window(self) -> None:
        reg = ingest(part("2025-07-14", row(JIM, signed="2025-03-25")), part("2025-07-16"))
        assert story(reg, JIM_ID)[-1] == ("delisted", "2025-07-14", "2025-07-16", None)
        assert status_on(reg, "2025-07-16") == set()

    def test_agreement_known_only_from_news_is_not_delisted(self) -> None:
        base = registry_of([ev("me-wells-police-department", "signed", "2025-04-02")])
        reg = ingest(part("2025-05-16", row(JIM, signed="2025-03-25")), part("2025-05-19"), registry=base)
        assert story(reg, "me-wells-police-department") == [("signed", None, "2025-04-02", None)]

    def test_paused_agreement_still_listed_stays_paused(self) -> None:
        base = registry_of([ev("me-wells-police-department", "paused", "2025-05-20")],
                           departments=[dept("me-wells-police-department", "Wells Police Department")])
        wells = row("Wells Police Department", state="ME", signed="2025-04-02")
        reg = ingest(part("2025-05-16", wells), registry=base)
        reg = ingest(part("2025-05-23", wells), registry=reg)
        assert status_on(reg, "2025-05-23") == {("me-wells-police-department", "task_force", "paused")}


class TestMoaLinks:
    OLD = "https://www.ice.gov/doclib/287gMOA/ST_CLOUD_PD_FL_TFM_04.14.25.pdf"
    NEW = "https://www.ice.gov/doclib/287gMOA/StCloudPoliceDeptFL_TFM_MOA_04142025.pdf"

    def test_link_that_appears_later_is_dated_by_its_sheet(self) -> None:
        reg = ingest(part("2025-06-26", row(JIM, signed="2025-04-23", moa="link pending")),
                     part("2025-06-27", row(JIM, signed="2025-04-23", moa="link", moa_url=self.OLD)))
        assert [(e.kind.value, e.date.isoformat(), e.moa_url) for e in reg.events][-1] == ("moa_linked", "2025-06-27", self.OLD)
        (a,) = replay(reg, d("2025-06-27"))
        assert (a.moa_url, a.moa_pending) == (self.OLD, False)
        (before,) = replay(reg, d("2025-06-26"))
        assert (before.moa_url, before.moa_pending) == (None, True)

    def test_changed_link_keeps_the_old_one_in_history(self) -> None:
        reg = ingest(part("2025-06-26", row(JIM, signed="2025-04-14", moa_url=self.OLD)),
                     part("2025-06-27", row(JIM, signed="2025-04-14", moa_url=self.NEW)),
                     part("2025-07-01", row(JIM, signed="2025-04-14", moa_url=self.NEW)))
        assert [e.moa_url for e in reg.events] == [self.OLD, self.NEW]

    def test_link_dropped_by_ice_is_kept(self) -> None:
        reg = ingest(part("2025-07-18", row(JIM, signed="2025-04-29", moa_url=self.OLD)),
                     part("2025-07-18", row(JIM, signed="2025-04-29", moa="link pending"), half="pm"))
        (a,) = replay(reg, d("2025-07-18"))
        assert a.moa_url == self.OLD and len(reg.events) == 1


# ---------------------------------------------------------------- pending sheets


class TestApplications:
    def test_first_pending_sheet_says_on_or_before(self) -> None:
        reg = ingest(pend("2025-05-15", row(JIM)))
        (e,) = reg.events
        assert (e.kind, e.date, e.not_before) == (EventKind.applied, d("2025-05-15"), None)
        assert e.note is not None and "on or before" in e.note

    def test_new_application_is_known_to_the_window(self) -> None:
        reg = ingest(pend("2025-05-15"), pend("2025-05-19", row(JIM)))
        assert story(reg, JIM_ID) == [("applied", "2025-05-15", "2025-05-19", None)]

    def test_application_no_longer_listed_is_withdrawn_in_the_window(self) -> None:
        reg = ingest(pend("2025-05-15", row(JIM)), pend("2025-05-19", half="am"), pend("2025-05-19", half="pm"))
        assert story(reg, JIM_ID)[-1] == ("withdrawn", "2025-05-15", "2025-05-19", None)

    def test_withdrawal_that_was_a_signing_seen_late_is_dropped(self) -> None:
        """Pending 06-03 lists it, pending 06-06 does not; participating 06-17 says SIGNED 06-05."""
        result = ingest_sheets(empty_registry(), [
            pend("2025-06-03", row(JIM)), part("2025-06-04"), pend("2025-06-06"),
            part("2025-06-17", row(JIM, signed="2025-06-05"), half="pm")])
        reg = result.registry
        assert story(reg, JIM_ID) == [("applied", None, "2025-06-03", None), ("signed", None, "2025-06-05", None)]
        assert [e.kind.value for e in result.files[3].removed] == ["withdrawn"]
        assert result.files[3].counts()["withdrawn_signed"] == 1
        assert status_on(reg, "2025-06-04") == {(JIM_ID, "task_force", "pending")}
        assert status_on(reg, "2025-06-06") == {(JIM_ID, "task_force", "active")}

    def test_withdrawal_on_the_signing_day_is_dropped(self) -> None:
        """Listed on the am pending sheet, gone from the pm one; signed that day."""
        reg = ingest(pend("2025-06-03", row(JIM)), pend("2025-06-03", half="pm"), part("2025-06-04", row(JIM, signed="2025-06-03")))
        assert [k for k, *_ in story(reg, JIM_ID)] == ["applied", "signed"]

    def test_withdrawal_before_a_day_on_neither_list_stays(self) -> None:
        """Gone from pending 05-19 pm while participating 05-19 am does not list it either."""
        reg = ingest(pend("2025-05-15", row(JIM)), part("2025-05-19"), pend("2025-05-19", half="pm"),
                     part("2025-05-20", row(JIM, signed="2025-05-13"), half="pm"))
        assert story(reg, JIM_ID) == [("applied", None, "2025-05-15", None), ("withdrawn", "2025-05-15", "2025-05-19", None),
                                      ("signed", "2025-05-19", "2025-05-20", "2025-05-13")]
        assert status_on(reg, "2025-05-19") == set()

    def test_application_known_only_from_news_is_not_withdrawn(self) -> None:
        base = registry_of([ev("me-monmouth-winthrop-police-department", "applied", "2025-04-08")])
        reg = ingest(pend("2025-05-15", row(JIM)), registry=base)
        assert status_on(reg, "2025-05-15") == {
            ("me-monmouth-winthrop-police-department", "task_force", "pending"), (JIM_ID, "task_force", "pending")}

    def test_pending_and_participating_at_once(self) -> None:
        """Longboat Key PD, FL: on both lists for the same model for weeks."""
        lbk = "Longboat Key Police Department"
        reg = ingest(pend("2025-05-15", row(lbk, state="FL")), part("2025-05-16", row(lbk, state="FL", signed="2025-04-23")),
                     pend("2025-05-19", row(lbk, state="FL")))
        assert status_on(reg, "2025-05-19") == {
            ("fl-longboat-key-police-department", "task_force", "active"),
            ("fl-longboat-key-police-department", "task_force", "pending")}


# ---------------------------------------------------------------- order, sources, no-ops


class TestOrderAndSources:
    def test_publication_order(self) -> None:
        sheets = [pend("2025-05-19", half=None), part("2025-05-19", half="pm"), pend("2025-05-19", half="am"),
                  part("2025-05-19", half="am"), pend("2025-05-16", half="pm")]
        got = [(s.published.day, s.half, s.kind.value) for s in sorted(sheets, key=publication_key)]
        assert got == [(16, "pm", "pending"), (19, "am", "participating"), (19, "am", "pending"),
                       (19, None, "pending"), (19, "pm", "participating")]

    def test_same_day_order_of_ice_suffixes(self) -> None:
        """am, then amB, then mid or none, then pm, then pm2/pmB/pm_b (the manifest's order)."""
        halves = ["pmB", "pm", None, "am", "pm_b", "mid", "amB", "pm2"]
        got = [s.half for s in sorted((part("2025-10-29", half=h) for h in halves), key=publication_key)]
        assert got == ["am", "amB", None, "mid", "pm", "pmB", "pm_b", "pm2"]

    def test_each_sheet_is_a_source_and_coverage_follows(self) -> None:
        sheet = part("2025-07-18", row(JIM, signed="2025-03-25"), half="pm")
        reg = ingest(part("2025-07-18", half="am"), sheet)
        src = reg.sources[-1]
        assert src.model_dump(exclude_defaults=True) == {
            "id": "ice-participating-2025-07-18-pm", "kind": SourceKind.ice_sheet, "publisher": PUBLISHER,
            "title": "ICE 287(g) participating agencies sheet participatingAgencies07182025pm.xlsx",
            "published": d("2025-07-18"), "sheet": SheetKind.participating, "half": "pm", "sha1": sheet.sha1, "rows": 1,
        }
        cov = reg.coverage[SheetKind.participating]
        assert (cov.first_source, cov.last_source) == ("ice-participating-2025-07-18-am", "ice-participating-2025-07-18-pm")
        assert SheetKind.pending not in reg.coverage

    def test_republished_edition_gets_its_own_source(self) -> None:
        """participatingAgencies07032025pm.xlsx was published twice with different rows."""
        reg = ingest(part("2025-07-03", half="pm"), part("2025-07-03", row(JIM, signed="2025-03-25"), half="pm", tag="b"))
        assert [s.id for s in reg.sources] == ["ice-participating-2025-07-03-pm", "ice-participating-2025-07-03-pm-2"]

    def test_older_sheet_is_refused_naming_both(self) -> None:
        reg = ingest(part("2025-07-18", half="pm"))
        with pytest.raises(OutOfOrderError) as err:
            ingest_sheets(reg, [part("2025-07-18", half="am")])
        assert "participatingAgencies07182025am.xlsx" in str(err.value)
        assert "ice-participating-2025-07-18-pm (2025-07-18 pm)" in str(err.value)

    def test_older_sheet_of_the_other_kind_is_fine(self) -> None:
        reg = ingest(part("2025-07-18"))
        assert len(ingest(pend("2025-07-01"), registry=reg).sources) == 2

    def test_identical_file_is_a_no_op_even_when_older(self) -> None:
        first = part("2025-05-16", row(JIM, signed="2025-03-25"))
        reg = ingest(first, part("2025-05-19"))
        result = ingest_sheets(reg, [first])
        assert result.registry is reg and not result.changed
        assert result.files[0].skipped == "identical to ice-participating-2025-05-16-am, already ingested"

    def test_same_file_twice_in_one_run_counts_once(self) -> None:
        sheet = part("2025-05-16", row(JIM, signed="2025-03-25"))
        result = ingest_sheets(empty_registry(), [sheet, sheet])
        assert len(result.registry.events) == 1 and result.files[1].skipped is not None

    def test_new_events_go_after_same_day_events(self) -> None:
        base = registry_of([ev("me-a", "terminated", "2025-05-18"), ev("me-a", "signed", "2025-05-18", model="jail_enforcement")])
        reg = ingest(part("2025-05-16"), part("2025-05-20", row(JIM, signed="2025-05-18")), registry=base)
        assert [(e.department_id, e.date.day) for e in reg.events] == [("me-a", 18), ("me-a", 18), (JIM_ID, 18)]


# ---------------------------------------------------------------- record (curated facts)


class TestRecord:
    FACTS = SourceFacts(url="https://www.mainepublic.org/politics/2025-05-21/wells-pauses",
                        title="Wells pauses agreement with ICE", published=d("2025-05-21"))
    WELLS = "me-wells-police-department"

    def base(self) -> Registry:
        return registry_of([ev(self.WELLS, "signed", "2025-04-02")], departments=[dept(self.WELLS, "Wells Police Department")])

    def test_records_the_event_with_a_new_source(self) -> None:
        out = record_event(self.base(), self.WELLS, kind=EventKind.paused, model=Model.task_force,
                           date=d("2025-05-20"), source=self.FACTS, note="Chief: pausing.")
        assert out.source_id == "mainepublic-org-2025-05-21-wells-pauses-agreement-with-ice" and out.new_source
        src = next(s for s in out.registry.sources if s.id == out.source_id)
        assert (src.publisher, src.url, src.kind) == ("mainepublic.org", self.FACTS.url, SourceKind.news)
        assert status_on(out.registry, "2025-05-20") == {(self.WELLS, "task_force", "paused")}
        assert out.no_effect is None

    def test_reuses_the_source_with_that_url_and_unites_identical_facts(self) -> None:
        first = record_event(self.base(), self.WELLS, kind=EventKind.paused, model=Model.task_force,
                             date=d("2025-05-20"), source=self.FACTS)
        again = record_event(first.registry, self.WELLS, kind=EventKind.paused, model=Model.task_force,
                             date=d("2025-05-20"), source=SourceFacts(url=self.FACTS.url, title="other title"))
        assert again.unchanged and again.registry is first.registry
        other = record_event(first.registry, self.WELLS, kind=EventKind.paused, model=Model.task_force,
                             date=d("2025-05-20"), source=SourceFacts(url="https://example.org/b", title="B"))
        paused = [e for e in other.registry.events if e.kind is EventKind.paused]
        assert other.merged and len(paused) == 1 and len(paused[0].sources) == 2

    def test_says_when_the_event_changes_nothing(self) -> None:
        out = record_event(self.base(), self.WELLS, kind=EventKind.resumed, model=Model.task_force,
                           date=d("2025-05-20"), source=self.FACTS)
        assert out.no_effect == "resumed, but not paused"


# ---------------------------------------------------------------- the commands

CSV_HEADER = "STATE,LAW ENFORCEMENT AGENCY,TYPE,COUNTY,SUPPORT TYPE,SIGNED,MOA\n"


def csv_sheet(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text(CSV_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


@pytest.fixture
def reg_path(tmp_path: Path, runner: CliRunner) -> Path:
    path = tmp_path / "reg.json"
    run(runner, "init", str(path))
    return path


@pytest.fixture
def sheets(tmp_path: Path) -> list[Path]:
    return [
        csv_sheet(tmp_path, "participatingAgencies05162025am.csv",
                  "TEXAS,Jim Wells County Sheriff's Office,County,Jim Wells County,Jail Enforcement Model,2/27/2025,link pending",
                  "MAINE,Wells Police Department,Municipality,#N/A,Task Force Model,4/2/2025,"
                  "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"),
        csv_sheet(tmp_path, "participatingAgencies06272025am.csv",
                  "TEXAS,Jim Wells County Sheriff\u2019s Office,County,Jim Wells County,Jail Enforcement Model,2/28/2025,link pending"),
    ]


class TestInit:
    def test_creates_an_empty_registry(self, runner: CliRunner, tmp_path: Path) -> None:
        path = tmp_path / "new.json"
        _, err = run(runner, "init", str(path))
        reg = load_registry(path)
        assert (reg.events, reg.sources, reg.departments) == ((), (), ())
        assert "icestatus ingest" in err

    def test_refuses_to_overwrite_without_force(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        run(runner, "ingest", *map(str, sheets), "-r", str(reg_path))
        _, err = run(runner, "init", str(reg_path), code=2)
        assert err == f"icestatus: error: {reg_path}: already exists; pass --force to replace it (the old file is kept as reg.json.bak)\n"
        run(runner, "init", str(reg_path), "--force")
        assert load_registry(reg_path).events == () and load_registry(reg_path.with_name("reg.json.bak")).events


class TestIngestCommand:
    def test_ingests_and_summarizes(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        out, err = run(runner, "ingest", *map(str, reversed(sheets)), "-r", str(reg_path))
        assert out == ""
        assert err.splitlines() == [
            "participatingAgencies05162025am.csv: 2 new signings, 2 new agencies (ice-participating-2025-05-16-am)",
            "participatingAgencies06272025am.csv: 1 ended, 1 corrected, 1 new aliases (ice-participating-2025-06-27-am)",
            "total: 2 new signings, 1 ended, 1 corrected, 2 new agencies, 1 new aliases",
            f"wrote {reg_path} (previous version: reg.json.bak)",
        ]
        reg = load_registry(reg_path)
        assert [e.kind.value for e in reg.events] == ["signed", "signed", "corrected", "delisted"]

    def test_second_run_adds_nothing(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        run(runner, "ingest", *map(str, sheets), "-r", str(reg_path))
        before = reg_path.read_bytes()
        _, err = run(runner, "ingest", *map(str, sheets), "-r", str(reg_path))
        assert reg_path.read_bytes() == before
        assert "participatingAgencies05162025am.csv: identical to ice-participating-2025-05-16-am, already ingested" in err

    def test_dry_run_prints_the_events_and_writes_nothing(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        before = reg_path.read_bytes()
        out, err = run(runner, "ingest", str(sheets[0]), "-r", str(reg_path), "--dry-run", "--format", "json")
        assert reg_path.read_bytes() == before and not reg_path.with_name("reg.json.bak").exists()
        rows = json.loads(out)
        assert [(r["kind"], r["department"], r["date"], r["moa_url"]) for r in rows] == [
            ("signed", "Jim Wells County Sheriff's Office", "2025-02-27", None),
            ("signed", "Wells Police Department", "2025-04-02", "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"),
        ]
        assert err.endswith(f"dry run: nothing written to {reg_path}\n")
        table, _ = run(runner, "ingest", str(sheets[0]), "-r", str(reg_path), "--dry-run")
        assert "(dry run)" in table and "Wells Police Department" in table

    def test_missing_registry_names_init(self, runner: CliRunner, tmp_path: Path, sheets: list[Path]) -> None:
        missing = tmp_path / "nope.json"
        _, err = run(runner, "ingest", str(sheets[0]), "-r", str(missing), code=1)
        assert err == f"icestatus: error: {missing}: no such registry (create one with `icestatus init {missing}`)\n"

    def test_malformed_sheet_writes_nothing(self, runner: CliRunner, reg_path: Path, sheets: list[Path], tmp_path: Path) -> None:
        bad = csv_sheet(tmp_path, "participatingAgencies07012025pm.csv",
                        "TEXAS,Kerr County Sheriff's Office,County,Kerr County,Jail Enforcement Model,sometime,link")
        before = reg_path.read_bytes()
        _, err = run(runner, "ingest", *map(str, sheets), str(bad), "-r", str(reg_path), code=1)
        assert err == f"icestatus: error: {bad}: row 2, column SIGNED: cannot read 'sometime' as a date\n"
        assert reg_path.read_bytes() == before

    def test_older_file_is_refused(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        run(runner, "ingest", str(sheets[1]), "-r", str(reg_path))
        _, err = run(runner, "ingest", str(sheets[0]), "-r", str(reg_path), code=1)
        assert "is older than the newest participating sheet already ingested, ice-participating-2025-06-27-am" in err

    def test_published_and_kind_for_a_file_named_otherwise(self, runner: CliRunner, reg_path: Path, tmp_path: Path) -> None:
        path = csv_sheet(tmp_path, "download.csv", "TEXAS,Kerr County Sheriff's Office,County,,Jail Enforcement Model,5/2/2025,")
        _, err = run(runner, "ingest", str(path), "-r", str(reg_path), code=1)
        assert "pass --kind and --published" in err
        run(runner, "ingest", str(path), "-r", str(reg_path), "--kind", "participating", "--published", "2025-07-18")
        assert load_registry(reg_path).sources[0].id == "ice-participating-2025-07-18"

    def test_refuses_to_write_the_bundled_registry(self, runner: CliRunner, sheets: list[Path]) -> None:
        _, err = run(runner, "ingest", str(sheets[0]), code=2)
        assert "is the registry bundled with icestatus" in err and "icestatus init" in err


class TestRecordCommand:
    ARGS = ("--kind", "paused", "--model", "task_force", "--date", "2025-05-20",
            "--source-url", "https://www.mainepublic.org/politics/2025-05-21/wells-pauses",
            "--source-title", "Wells pauses agreement with ICE", "--source-publisher", "Maine Public",
            "--source-published", "2025-05-21")

    def test_records_a_fact(self, runner: CliRunner, reg_path: Path, sheets: list[Path]) -> None:
        run(runner, "ingest", str(sheets[0]), "-r", str(reg_path))
        _, err = run(runner, "record", "wells", "--state", "ME", *self.ARGS, "--note", "Chief: pausing.", "-r", str(reg_path))
        assert "recorded paused task_force 2025-05-20 for Wells Police Department (ME)" in err
        doc = json.loads(run(runner, "history", "wells", "--state", "ME", "-r", str(reg_path), "-f", "json")[0])
        paused = doc["events"][-1]
        assert (paused["kind"], paused["note"], paused["source"]) == (
            "paused", "Chief: pausing.", "maine-public-2025-05-21-wells-pauses-agreement-with-ice")
        _, err = run(runner, "record", "wells", "--state", "ME", *self.ARGS, "-r", str(reg_path))
        assert "already recorded" in err

    def test_refuses_an_ambiguous_agency(self, runner: CliRunner, reg_path: Path, tmp_path: Path) -> None:
        path = csv_sheet(tmp_path, "participatingAgencies05162025am.csv",
                         "FLORIDA,Washington County Sheriff's Office,County,,Task Force Model,2/26/2025,",
                         "PENNSYLVANIA,Washington County Sheriff's Office,County,,Task Force Model,3/1/2025,")
        run(runner, "ingest", str(path), "-r", str(reg_path))
        before = reg_path.read_bytes()
        _, err = run(runner, "record", "washington county", *self.ARGS, "-r", str(reg_path), code=2)
        assert "matches 2 agencies equally well" in err and reg_path.read_bytes() == before

    @pytest.mark.parametrize(("args", "message"), [
        (("--source-url", "ftp://example.org/x"), "bad source: url: String should match pattern"),
        (("--kind", "corrected"), "--kind corrected needs --signed DATE"),
        (("--not-before", "2025-06-01"), "--not-before 2025-06-01 is after --date 2025-05-20"),
    ])
    def test_bad_usage(self, runner: CliRunner, reg_path: Path, sheets: list[Path], args: tuple[str, ...], message: str) -> None:
        run(runner, "ingest", str(sheets[0]), "-r", str(reg_path))
        _, err = run(runner, "record", "wells", *self.ARGS, *args, "-r", str(reg_path), code=2)
        assert message in err


# ---------------------------------------------------------------- a crash mid-write

KILLER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    real_fsync = os.fsync
    registry, marker, files = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    target = Path(registry).name

    def fsync(fd):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if name.startswith(f".{target}.") and not name.startswith(f".{target}.bak"):
            marker.write_text("writing")   # the new registry's temporary file is written, not renamed
            time.sleep(60)
        real_fsync(fd)

    os.fsync = fsync
    from icestatus.cli import main
    sys.argv = ["icestatus", "ingest", *files, "--registry", registry]
    main()
""")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which file is being written")
def test_killed_mid_write_leaves_a_valid_registry(runner: CliRunner, reg_path: Path, sheets: list[Path], tmp_path: Path) -> None:
    run(runner, "ingest", str(sheets[0]), "-r", str(reg_path))
    before = reg_path.read_bytes()
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", KILLER, str(reg_path), str(marker), str(sheets[1])],
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the ingest never reached the write"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert reg_path.read_bytes() == before and load_registry(reg_path).events  # the old registry, intact
    # The lock died with the process: the next ingest runs and finishes the job.
    run(runner, "ingest", str(sheets[1]), "-r", str(reg_path))
    assert [e.kind.value for e in load_registry(reg_path).events][-1] == "delisted"


# ---------------------------------------------------------------- the bundled registry (issue 2's checks)


class TestBundledRegistry:
    def test_history_wells(self, runner: CliRunner) -> None:
        doc = json.loads(run(runner, "history", "wells", "-f", "json")[0])
        kinds = [(e["kind"], e["date"]) for e in doc["events"]]
        assert kinds == [("applied", "2025-03-28"), ("signed", "2025-04-02"), ("moa_linked", "2025-04-28"),
                         ("paused", "2025-05-20"), ("terminated", "2025-10-21")]
        signed, linked, ended = doc["events"][1], doc["events"][2], doc["events"][4]
        # the news and ICE's sheet of 2025-04-03 back one signing; the sheet of 2025-10-23 the end
        assert [s["kind"] for s in signed["sources"]] == ["news", "press_release", "ice_sheet"]
        assert [s["id"] for s in ended["sources"]][-1] == "ice-participating-2025-10-23-mid"
        assert linked["moa_url"] == "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"
        assert all(e["sources"] for e in doc["events"])
        assert [x["id"] for x in doc["also_matched"]] == ["tx-jim-wells-county-sheriffs-office"]
        table, _ = run(runner, "history", "wells")
        assert "WellsPDME_TFM_MOA_040225.pdf" in table.replace("\n", "").replace(" ", "").replace("│", "")
        assert "Also matched: Jim Wells County Sheriff's Office (TX)" in table

    def test_maine_on_the_acceptance_dates(self, runner: CliRunner) -> None:
        april = json.loads(run(runner, "as-of", "2025-04-10", "--state", "ME", "-f", "json")[0])
        assert {(r["department"], r["status"], r["since"]) for r in april} == {
            ("Wells Police Department", "active", "2025-04-02"),
            ("Monmouth Winthrop Police Department", "pending", "2025-04-04")}
        may = json.loads(run(runner, "as-of", "2025-05-01", "--state", "ME", "-f", "json")[0])
        assert [(r["department"], r["status"]) for r in may] == [("Wells Police Department", "active")]
        assert json.loads(run(runner, "list", "--state", "ME", "-f", "json")[0]) == []

    def test_covers_ices_sheets(self) -> None:
        from icestatus.registry import bundled_registry_path

        reg = load_registry(bundled_registry_path())
        cov = reg.coverage[SheetKind.participating]
        # from the first capture of ICE's page (dated by its caption) to ICE's last sheet
        assert (cov.first, cov.last) == (d("2010-10-29"), d("2026-05-18"))
        sheets = [s for s in reg.sources if s.kind is SourceKind.ice_sheet]
        assert len(sheets) > 450
        assert min(s.published for s in sheets if s.sheet is SheetKind.participating and s.published) == d("2025-02-21")
        # every capture of 2011-2017, those of 2021-2025 kept as files, and enough of the others
        # that no two are further apart than the gaps of captures.csv
        assert sum(1 for s in reg.sources if s.kind is SourceKind.ice_page) == 27 + 142
        assert len(reg.departments) > 1600

