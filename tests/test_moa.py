"""MOA links (issue 7): the addresses kept in the registry, and `icestatus moa`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from builders import d, dept, ev, registry_of, write
from icestatus.cli import app
from icestatus.output.rows import MOA_COLUMNS, moa_rows
from icestatus.registry import bundled_registry_path, load_registry
from icestatus.replay import replay

WELLS_MOA = "https://www.ice.gov/doclib/287gMOA/WellsPDME_TFM_MOA_040225.pdf"
OLD = "https://www.ice.gov/doclib/287gMOA/ST_CLOUD_PD_FL_TFM_04.14.25.pdf"
NEW = "https://www.ice.gov/doclib/287gMOA/StCloudPoliceDeptFL_TFM_MOA_04142025.pdf"


def run(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def sample(tmp_path: Path) -> Path:
    """Three agreements in force on 2025-07-18: linked, link pending since 02-26, no link since 06-11;
    one agreement signed in July with its link pending; one ended."""
    events = [
        ev("fl-gulf-county-sheriffs-office", "signed", "2025-02-26", moa_pending=True),
        ev("fl-saint-cloud-police-department", "signed", "2025-04-14", moa_url=OLD),
        ev("fl-saint-cloud-police-department", "moa_linked", "2025-06-27", moa_url=NEW),
        ev("va-washington-county-sheriffs-office", "signed", "2025-06-11"),
        ev("tx-kerr-county-sheriffs-office", "signed", "2025-07-07", moa_pending=True),
        ev("tx-ended-police-department", "signed", "2025-01-01"),
        ev("tx-ended-police-department", "terminated", "2025-03-01"),
        ev("fl-pending-police-department", "applied", "2025-06-01"),
    ]
    departments = [dept("fl-gulf-county-sheriffs-office", "Gulf County Sheriff's Office"),
                   dept("fl-saint-cloud-police-department", "St. Cloud Police Department")]
    return write(registry_of(events, departments), tmp_path / "reg.json")


class TestMoaCommand:
    def test_agreements_in_force_with_their_address(self, runner: CliRunner, tmp_path: Path) -> None:
        path = sample(tmp_path)
        rows = json.loads(run(runner, "moa", "--on", "2025-07-18", "-r", str(path), "-f", "json")[0])
        assert tuple(rows[0]) == MOA_COLUMNS
        assert {r["department_id"]: (r["moa_url"], r["moa_pending"]) for r in rows} == {
            "fl-gulf-county-sheriffs-office": (None, True),
            "fl-saint-cloud-police-department": (NEW, False),
            "tx-kerr-county-sheriffs-office": (None, True),
            "va-washington-county-sheriffs-office": (None, False),
        }

    def test_missing_longest_wait_first(self, runner: CliRunner, tmp_path: Path) -> None:
        path = sample(tmp_path)
        rows = json.loads(run(runner, "moa", "--missing", "--on", "2025-07-18", "-r", str(path), "-f", "json")[0])
        assert [(r["department_id"], r["days_without_moa"]) for r in rows] == [
            ("fl-gulf-county-sheriffs-office", 142),
            ("va-washington-county-sheriffs-office", 37),
            ("tx-kerr-county-sheriffs-office", 11),
        ]

    def test_state_filter_and_table(self, runner: CliRunner, tmp_path: Path) -> None:
        path = sample(tmp_path)
        out, _ = run(runner, "moa", "--state", "FL", "--on", "2025-07-18", "-r", str(path))
        assert "287(g) agreements and their MOAs on 2025-07-18 · Florida" in out
        assert "1 of 2 agreements in force have an MOA address · 1 link pending · 0 no link" in out
        assert "link pending" in out and "Texas" not in out
        out, _ = run(runner, "moa", "--state", "FL", "--missing", "--on", "2025-07-18", "-r", str(path))
        assert re.search(r"Gulf County Sheriff's Office\s+\S*\s+FL\s+task force\s+2025-02-26\s+link pending\s+142", out)

    def test_empty_results_in_words(self, runner: CliRunner, tmp_path: Path) -> None:
        path = sample(tmp_path)
        out, _ = run(runner, "moa", "--state", "ME", "--on", "2025-07-18", "-r", str(path))
        assert out == "No 287(g) agreements in force in Maine on 2025-07-18.\n"
        linked = write(registry_of([ev("fl-saint-cloud-police-department", "signed", "2025-04-14", moa_url=OLD)]),
                       tmp_path / "linked.json")
        out, _ = run(runner, "moa", "--missing", "--on", "2025-04-20", "-r", str(linked))
        assert out == "No 287(g) agreements without a published MOA on 2025-04-20.\n"

    def test_bad_date(self, runner: CliRunner, tmp_path: Path) -> None:
        _, err = run(runner, "moa", "--on", "July", "-r", str(sample(tmp_path)), code=2)
        assert err == "icestatus: error: bad --on date 'July': use YYYY-MM-DD (e.g. 2025-05-01), today or yesterday\n"

    def test_days_are_not_counted_before_the_signing(self) -> None:
        reg = registry_of([ev("tn-grundy-county-sheriffs-office", "signed", "2025-07-09", signed="5025-07-07", moa_pending=True)])
        (row,) = moa_rows(replay(reg, d("2025-07-18")), d("2025-07-18"), missing=True)
        assert (row["signed"], row["days_without_moa"]) == ("5025-07-07", None)


class TestBundledRegistry:
    def test_no_safe_links_or_http_address(self) -> None:
        data = bundled_registry_path().read_bytes()
        # (an http:// address only inside a Wayback capture's address: the page as it was)
        assert b"safelinks" not in data.lower() and b"http://" not in re.sub(rb"https://web\.archive\.org/web/\d{14}/http://", b"", data)
        urls = [e.moa_url for e in load_registry(bundled_registry_path()).events if e.moa_url]
        # ICE's own addresses: doclib/287gMOA/, and doclib/about/offices/ero/287g/ (13 MOAs of 2025-07-30)
        assert len(urls) > 1500 and all(u.startswith("https://www.ice.gov/doclib/") for u in urls)

    def test_list_and_history_carry_the_moa(self, runner: CliRunner) -> None:
        rows = json.loads(run(runner, "as-of", "2025-07-18", "--state", "ME", "-f", "json")[0])
        assert [(r["department"], r["moa_url"], r["moa_pending"]) for r in rows] == [
            ("Wells Police Department", WELLS_MOA, False)]
        history = json.loads(run(runner, "history", "wells", "-f", "json")[0])
        assert WELLS_MOA in [e["moa_url"] for e in history["events"]]
        out, _ = run(runner, "moa", "--state", "ME", "--on", "2025-07-18", "-f", "csv")
        assert out.splitlines()[1].startswith("me-wells-police-department,Wells Police Department,ME,")
        assert WELLS_MOA in out
