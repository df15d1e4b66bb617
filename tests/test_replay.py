"""Replay rules: the fold of dated events into agreements in force and pending."""

from __future__ import annotations

from builders import d, ev, registry_of
from icestatus.enums import Model, Status
from icestatus.replay import history, replay


def states_on(events, date):  # type: ignore[no-untyped-def]
    return {(a.department.id, a.model.value, a.status.value) for a in replay(registry_of(events), d(date))}


class TestLifecycle:
    def test_signed_agreement_is_active_from_its_date_not_before(self) -> None:
        events = [ev("me-wells", "signed", "2025-04-02")]
        assert states_on(events, "2025-04-01") == set()
        assert states_on(events, "2025-04-02") == {("me-wells", "task_force", "active")}

    def test_pause_resume_terminate(self) -> None:
        events = [
            ev("me-wells", "signed", "2025-04-02"),
            ev("me-wells", "paused", "2025-05-20"),
            ev("me-wells", "resumed", "2025-06-01"),
            ev("me-wells", "terminated", "2025-10-21"),
        ]
        assert states_on(events, "2025-05-19") == {("me-wells", "task_force", "active")}
        assert states_on(events, "2025-05-20") == {("me-wells", "task_force", "paused")}
        assert states_on(events, "2025-06-01") == {("me-wells", "task_force", "active")}
        assert states_on(events, "2025-10-21") == set()

    def test_since_follows_the_status_event(self) -> None:
        reg = registry_of([ev("me-wells", "signed", "2025-04-02"), ev("me-wells", "paused", "2025-05-20")])
        (a,) = replay(reg, d("2025-06-01"))
        assert (a.status, a.since, a.signed, a.event.kind.value) == (Status.paused, d("2025-05-20"), d("2025-04-02"), "paused")

    def test_delisted_ends_an_agreement(self) -> None:
        events = [ev("tx-a", "signed", "2025-01-01"), ev("tx-a", "delisted", "2025-06-01", not_before="2025-05-20")]
        assert states_on(events, "2025-05-31") == {("tx-a", "task_force", "active")}
        assert states_on(events, "2025-06-01") == set()

    def test_applied_is_pending_until_signed_or_withdrawn(self) -> None:
        signed = [ev("me-a", "applied", "2025-03-28"), ev("me-a", "signed", "2025-04-02")]
        assert states_on(signed, "2025-03-30") == {("me-a", "task_force", "pending")}
        assert states_on(signed, "2025-04-02") == {("me-a", "task_force", "active")}
        withdrawn = [ev("me-b", "applied", "2025-04-08"), ev("me-b", "withdrawn", "2025-04-30")]
        assert states_on(withdrawn, "2025-04-29") == {("me-b", "task_force", "pending")}
        assert states_on(withdrawn, "2025-04-30") == set()

    def test_nonsense_transitions_change_nothing(self) -> None:
        events = [
            ev("tx-a", "resumed", "2025-01-01"),          # never paused
            ev("tx-a", "paused", "2025-01-02"),           # nothing in force
            ev("tx-a", "applied", "2025-01-03"),
            ev("tx-a", "paused", "2025-01-04"),           # pending, not active
            ev("tx-a", "withdrawn", "2025-01-05", model="jail_enforcement"),  # other model
        ]
        assert states_on(events, "2025-01-31") == {("tx-a", "task_force", "pending")}


class TestSeveralAgreements:
    def test_models_are_separate_agreements(self) -> None:
        events = [
            ev("tx-jim-wells", "signed", "2025-02-27", model="jail_enforcement"),
            ev("tx-jim-wells", "signed", "2025-03-25", model="task_force"),
            ev("tx-jim-wells", "signed", "2025-03-26", model="warrant_service"),
            ev("tx-jim-wells", "terminated", "2025-04-01", model="task_force"),
        ]
        assert states_on(events, "2025-03-31") == {
            ("tx-jim-wells", m, "active") for m in ("jail_enforcement", "task_force", "warrant_service")
        }
        assert states_on(events, "2025-04-01") == {
            ("tx-jim-wells", m, "active") for m in ("jail_enforcement", "warrant_service")
        }

    def test_renewal_keeps_one_agreement_with_the_new_date(self) -> None:
        reg = registry_of([ev("fl-a", "signed", "2020-01-01"), ev("fl-a", "signed", "2025-01-01")])
        (a,) = replay(reg, d("2025-06-01"))
        assert (a.status, a.since, a.signed) == (Status.active, d("2025-01-01"), d("2025-01-01"))

    def test_pending_application_beside_an_agreement_in_force(self) -> None:
        # ICE lists some agencies as participating and pending for one model at once.
        events = [ev("fl-longboat", "signed", "2025-05-01"), ev("fl-longboat", "applied", "2025-05-19")]
        assert states_on(events, "2025-05-19") == {
            ("fl-longboat", "task_force", "active"), ("fl-longboat", "task_force", "pending"),
        }


class TestOrderAndWindows:
    def test_events_apply_in_date_order_whatever_the_file_order(self) -> None:
        events = [ev("me-a", "terminated", "2025-10-21"), ev("me-a", "signed", "2025-04-02")]
        assert states_on(events, "2025-06-01") == {("me-a", "task_force", "active")}
        assert states_on(events, "2025-12-01") == set()

    def test_same_day_events_apply_in_recorded_order(self) -> None:
        applied_then_signed = [ev("me-a", "applied", "2025-04-02"), ev("me-a", "signed", "2025-04-02")]
        assert states_on(applied_then_signed, "2025-04-02") == {("me-a", "task_force", "active")}
        signed_then_applied = [ev("me-a", "signed", "2025-04-02"), ev("me-a", "applied", "2025-04-02")]
        assert states_on(signed_then_applied, "2025-04-02") == {
            ("me-a", "task_force", "active"), ("me-a", "task_force", "pending"),
        }

    def test_window_counts_from_its_end_and_is_approximate(self) -> None:
        reg = registry_of([ev("me-mw", "applied", "2025-04-08", not_before="2025-04-02")])
        assert replay(reg, d("2025-04-07")) == []
        (a,) = replay(reg, d("2025-04-08"))
        assert (a.since, a.since_not_before, a.approximate) == (d("2025-04-08"), d("2025-04-02"), True)

    def test_late_listed_signing_keeps_ice_signing_date(self) -> None:
        reg = registry_of([ev("va-a", "signed", "2025-05-19", not_before="2025-05-16", signed="2025-05-13")])
        assert replay(reg, d("2025-05-18")) == []
        (a,) = replay(reg, d("2025-05-19"))
        assert (a.since, a.signed, a.approximate) == (d("2025-05-19"), d("2025-05-13"), True)

    def test_as_of_none_means_after_every_event(self) -> None:
        reg = registry_of([ev("me-a", "signed", "2025-04-02"), ev("me-a", "paused", "2031-01-01")])
        assert [a.status for a in replay(reg, None)] == [Status.paused]


class TestCorrectionsAndMoa:
    def test_corrected_signing_date_is_one_agreement(self) -> None:
        events = [
            ev("tx-jw", "signed", "2025-02-27", model="jail_enforcement"),
            ev("tx-jw", "corrected", "2025-07-18", model="jail_enforcement", signed="2025-02-28", not_before="2025-07-17"),
        ]
        before = replay(registry_of(events), d("2025-07-17"))
        after = replay(registry_of(events), d("2025-07-18"))
        assert [(a.signed, a.since) for a in before] == [(d("2025-02-27"), d("2025-02-27"))]
        assert [(a.model, a.signed, a.since, a.status) for a in after] == [
            (Model.jail_enforcement, d("2025-02-28"), d("2025-02-28"), Status.active)
        ]

    def test_moa_address_pending_then_linked_then_changed(self) -> None:
        url1 = "https://www.ice.gov/doclib/287gMOA/A_TFM_MOA_040225.pdf"
        url2 = "https://www.ice.gov/doclib/287gMOA/A_TFM_MOA_070125.pdf"
        events = [
            ev("me-a", "signed", "2025-04-02", moa_pending=True),
            ev("me-a", "moa_linked", "2025-05-16", moa_url=url1),
            ev("me-a", "moa_linked", "2025-07-01", moa_url=url2),
        ]
        reg = registry_of(events)
        got = [(a.moa_url, a.moa_pending) for day in ("2025-04-10", "2025-06-01", "2025-07-02") for a in replay(reg, d(day))]
        assert got == [(None, True), (url1, False), (url2, False)]
        assert [e.moa_url for e in history(reg, "me-a")] == [None, url1, url2]


def test_results_are_sorted_by_state_then_agency_then_model() -> None:
    events = [
        ev("tx-b", "signed", "2025-01-01", model="warrant_service"),
        ev("tx-b", "signed", "2025-01-01", model="task_force"),
        ev("al-z", "signed", "2025-01-01"),
        ev("tx-a", "signed", "2025-01-01"),
    ]
    out = [(a.department.id, a.model.value) for a in replay(registry_of(events), d("2025-02-01"))]
    assert out == [("al-z", "task_force"), ("tx-a", "task_force"), ("tx-b", "task_force"), ("tx-b", "warrant_service")]


def test_history_lists_one_agencys_events_in_replay_order() -> None:
    reg = registry_of([ev("me-a", "paused", "2025-05-20"), ev("tx-b", "signed", "2025-01-01"), ev("me-a", "signed", "2025-04-02")])
    assert [(e.kind.value, str(e.date)) for e in history(reg, "me-a")] == [("signed", "2025-04-02"), ("paused", "2025-05-20")]
