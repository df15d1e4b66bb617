"""`icestatus update` against a web server on 127.0.0.1 (pytest-httpserver) serving the
shape of ICE's 287(g) page and its sheets: small synthetic workbooks (openpyxl), and for
the tests marked `shared` ICE's real newest sheet. A new sheet is found, downloaded,
checked, ingested, archived and reported; a second run finds nothing new; every fault
gives one clear line and leaves the registry and the archive byte-identical. No test
reaches beyond loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import openpyxl
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug.wrappers import Request, Response

from icestatus import fetch
from icestatus.cli import app
from icestatus.enums import SheetKind
from icestatus.fetch import find_links, safe_filename

HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"]
PENDING_HEADER = HEADER[:5]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Names dated well before the workbooks' own save time (now), as ICE's are: the name's
# date stands (a name a few weeks before the save would be judged by its neighbours).
DAY1 = dt.date.today() - dt.timedelta(days=400)
DAY2 = DAY1 + dt.timedelta(days=7)

WELLS = ["MAINE", "Wells Police Department", "Municipality", "York", "Task Force Model", "04/02/2025", ""]
KERR = ["TEXAS", "Kerr County Sheriff's Office", "County", "Kerr", "Jail Enforcement Model", "02/27/2025", ""]
HARRIS = ["TEXAS", "Harris County Constable Precinct 4", "County", "Harris", "Warrant Service Officer",
          "03/10/2025", ""]
OKALOOSA = ["FLORIDA", "Okaloosa County Sheriff's Office", "County", "Okaloosa", "Task Force Model", "05/01/2025", ""]
APPLICANT = ["GEORGIA", "Hall County Sheriff's Office", "County", "Hall", "Task Force Model"]


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)  # loopback only


def name(kind: str, day: dt.date, half: str = "am") -> str:
    return f"{kind}Agencies{day:%m%d%Y}{half}.xlsx"


def workbook(rows: Sequence[Sequence[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    from io import BytesIO

    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def page(*links: tuple[str, str]) -> str:
    """ICE's page, in shape: a heading, some prose, a list of links (text, address)."""
    items = "".join(f'<li><a href="{href}" class="usa-link">{text}</a></li>' for text, href in links)
    return (f"<!DOCTYPE html><html><head><title>Delegation of Immigration Authority Section 287(g)</title></head>"
            f"<body><main><h1>287(g)</h1><p>See the <a href='/about'>program</a>.</p><ul>{items}</ul>"
            f"<p>Participating agencies &amp; pending requests are updated regularly.</p></main></body></html>")


class Site:
    """The test server as ICE's site: a page at /287g linking the sheets it serves."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url_for("/287g")

    def serve(self, sheets: dict[str, bytes], *, texts: dict[str, str] | None = None) -> None:
        """Serve *sheets* ({file name: bytes}) at /doclib/<name>, linked from the page."""
        self.server.clear()
        links = []
        for file, data in sheets.items():
            kind = "Participating" if file.startswith("participating") else "Pending"
            text = (texts or {}).get(file, f"{kind} Agencies (XLSX)")
            links.append((text, f"/doclib/about/offices/ero/287g/{file}"))
            self.server.expect_request(f"/doclib/about/offices/ero/287g/{file}").respond_with_data(
                data, content_type=XLSX_TYPE)
        self.server.expect_request("/287g").respond_with_data(page(*links), content_type="text/html; charset=utf-8")


@pytest.fixture
def site(httpserver: HTTPServer) -> Iterator[Site]:
    yield Site(httpserver)
    httpserver.clear()


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's data folder, in tmp_path (through platformdirs: $XDG_DATA_HOME), and
    fast retries."""
    monkeypatch.delenv("ICESTATUS_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ICESTATUS_HTTP_TIMEOUT", "5")
    monkeypatch.setattr(fetch, "BACKOFF", 0.01)
    return tmp_path / "xdg" / "icestatus"


@pytest.fixture
def registry(tmp_path: Path, runner: CliRunner, user_data: Path) -> Path:
    path = tmp_path / "registry.json"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    return path


def update(runner: CliRunner, site: Site, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["update", "--from", site.url, *args])
    return result.exit_code, result.stdout, result.stderr


def snapshot(*roots: Path) -> dict[str, bytes]:
    """Every file under *roots* (lock files aside: a lock is no content) and its bytes."""
    files = {}
    for root in roots:
        if root.is_file():
            files[str(root)] = root.read_bytes()
        elif root.is_dir():
            files.update({str(p): p.read_bytes() for p in sorted(root.rglob("*"))
                          if p.is_file() and not p.name.endswith(".lock")})
    return files


def as_of_keys(runner: CliRunner, registry: Path, day: dt.date) -> set[tuple[str, str, str]]:
    result = runner.invoke(app, ["as-of", day.isoformat(), "-r", str(registry), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return {(r["state"], r["department"], r["model"]) for r in json.loads(result.stdout)}


# ---------------------------------------------------------------- links


def test_find_links_reads_the_page_as_ice_shapes_it() -> None:
    html = page(
        ("Participating Agencies (XLSX, 120 KB)", "/doclib/about/offices/ero/287g/participatingAgencies05182026am.xlsx"),
        ("Pending agencies", "https://www.ice.gov/file-download/download/public/159436"),
        ("Participating agencies (the old one)", "/doclib/old.xlsx"),  # a second link of a kind: the first wins
        ("Pending MOA template", "/doclib/template.pdf"),                # not a sheet address
    ) + '<a href="/x.xlsx">Program overview</a><a href="/y.xlsx" title="Participating list">'
    links = find_links(html, "https://www.ice.gov/identify-and-arrest/287g")
    assert {k: v.url for k, v in links.items()} == {
        SheetKind.participating: "https://www.ice.gov/doclib/about/offices/ero/287g/participatingAgencies05182026am.xlsx",
        SheetKind.pending: "https://www.ice.gov/file-download/download/public/159436",
    }
    assert find_links("<p>We have redesigned this page.</p>", "https://www.ice.gov/") == {}


@pytest.mark.parametrize(("given", "safe"), [
    ("participatingAgencies05182026am.xlsx", "participatingAgencies05182026am.xlsx"),
    ("../../.bashrc", "bashrc"),
    ("C:\\Users\\x\\pendingAgencies02272026am.xlsx", "pendingAgencies02272026am.xlsx"),
    ("a;rm -rf $HOME|.xlsx", "a_rm -rf _HOME_.xlsx"),
    ("", "download"),
])
def test_a_file_name_from_the_server_is_only_a_name(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


# ---------------------------------------------------------------- a new sheet, then none


def test_a_new_sheet_is_found_downloaded_ingested_archived_and_reported(
    runner: CliRunner, site: Site, registry: Path, user_data: Path,
) -> None:
    first = {name("participating", DAY1): workbook([HEADER, WELLS, KERR, HARRIS]),
             name("pending", DAY1): workbook([PENDING_HEADER, APPLICANT])}
    site.serve(first)
    code, out, err = update(runner, site, "-r", str(registry))
    assert code == 0, err
    assert f"  participating: {name('participating', DAY1)} ({DAY1} am, 3 rows)\n    3 new signings," in out
    assert f"  pending: {name('pending', DAY1)} ({DAY1} am, 1 rows)\n    1 applied" in out
    assert "agreements started: 3 (TX 2, ME 1)" in out and "applications: 1 new, 0 withdrawn" in out
    assert as_of_keys(runner, registry, DAY1) >= {("ME", "Wells Police Department", "task_force"),
                                                  ("TX", "Kerr County Sheriff's Office", "jail_enforcement")}
    # The archive: the bytes as served, under sheets/<date>/<name>, and a manifest of ../shared's columns.
    for file, data in first.items():
        assert (user_data / "sheets" / DAY1.isoformat() / file).read_bytes() == data
    manifest = (user_data / "manifest.csv").read_text().splitlines()
    assert manifest[0] == "path,kind,published,half,retrieved_utc,rows,sha1,name_date,use,origin,note"
    assert len(manifest) == 3 and f"{DAY1}/{name('participating', DAY1)},participating,{DAY1},am," in manifest[1]
    # The source cites where the sheet came from.
    doc = json.loads(registry.read_text())
    assert {s["url"] for s in doc["sources"]} == {site.server.url_for(f"/doclib/about/offices/ero/287g/{f}")
                                                   for f in first}

    # Again: nothing new, nothing written.
    before = snapshot(registry, user_data)
    code, out, err = update(runner, site, "-r", str(registry))
    assert code == 0, err
    assert f"No new sheet since {DAY1}." in out and "already ingested" in out
    assert snapshot(registry, user_data) == before

    # A week later: one ended, one started, the application signed.
    signed = [*APPLICANT, "05/20/2025", ""]
    site.serve({name("participating", DAY2): workbook([HEADER, WELLS, HARRIS, OKALOOSA, signed])})
    code, out, err = update(runner, site, "-r", str(registry), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] is True and report["previous"]["participating"] == DAY1.isoformat()
    assert report["latest"]["participating"] == DAY2.isoformat()
    assert report["changes"]["started"] == {"total": 2, "by_state": {"FL": 1, "GA": 1}}
    assert report["changes"]["ended"] == {"total": 1, "by_state": {"TX": 1}}
    assert report["sheets"][0]["archived"] == f"{DAY2}/{name('participating', DAY2)}"
    assert report["sheets"][0]["archived_now"] is True
    assert as_of_keys(runner, registry, DAY2) == {
        ("ME", "Wells Police Department", "task_force"),
        ("TX", "Harris County Constable Precinct 4", "warrant_service"),
        ("FL", "Okaloosa County Sheriff's Office", "task_force"),
        ("GA", "Hall County Sheriff's Office", "task_force"),
    }


def test_dry_run_reports_and_writes_nothing(runner: CliRunner, site: Site, registry: Path, user_data: Path) -> None:
    site.serve({name("participating", DAY1): workbook([HEADER, WELLS])})
    before = snapshot(registry, user_data)
    code, out, err = update(runner, site, "-r", str(registry), "--dry-run")
    assert code == 0, err
    assert "agreements started: 1 (ME 1)" in out and f"dry run: nothing written to {registry}" in err
    assert snapshot(registry, user_data) == before


def test_redirects_download_endpoints_and_content_disposition(
    runner: CliRunner, httpserver: HTTPServer, registry: Path, user_data: Path,
) -> None:
    """ICE's download endpoint names the file in Content-Disposition; a moved page and a
    moved sheet are followed."""
    participating, pending = name("participating", DAY1), name("pending", DAY1)
    httpserver.expect_request("/old-287g").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/287g")}))
    httpserver.expect_request("/287g").respond_with_data(page(
        ("Participating agencies", "/file-download/download/public/1001"),
        ("Pending agencies", "/latest/pending.xlsx"),
    ), content_type="text/html")
    httpserver.expect_request("/file-download/download/public/1001").respond_with_data(
        workbook([HEADER, WELLS]), content_type=XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{participating}"})
    httpserver.expect_request("/latest/pending.xlsx").respond_with_response(
        Response(status=302, headers={"Location": f"/doclib/{pending}"}))
    httpserver.expect_request(f"/doclib/{pending}").respond_with_data(
        workbook([PENDING_HEADER, APPLICANT]), content_type=XLSX_TYPE)
    result = runner.invoke(app, ["update", "--from", httpserver.url_for("/old-287g"), "-r", str(registry)])
    assert result.exit_code == 0, result.stderr
    assert f"ICE's page: {httpserver.url_for('/287g')}" in result.stdout
    assert sorted(p.name for p in (user_data / "sheets" / DAY1.isoformat()).iterdir()) == [participating, pending]
    ua = {r.headers.get("User-Agent") for r, _ in httpserver.log}
    assert len(ua) == 1 and ua.pop().startswith("icestatus/0.")


# ---------------------------------------------------------------- faults: one line, nothing written


def _bomb() -> bytes:
    from io import BytesIO

    buf = BytesIO(workbook([HEADER, WELLS]))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.png", bytes(60 * 1024 * 1024))
    return buf.getvalue()


def _truncated(request: Request) -> Response:
    data = workbook([HEADER, WELLS])
    resp = Response(data[: len(data) // 2], content_type=XLSX_TYPE)
    resp.headers["Content-Length"] = str(len(data))  # says more than it sends, then closes
    return resp


def _streamed(request: Request) -> Response:
    """3 MB in chunks, no Content-Length: the limit must stop the stream itself."""
    return Response((bytes(64 * 1024) for _ in range(48)), content_type=XLSX_TYPE)


def _gzip_bomb(request: Request) -> Response:
    """20 MB of zeros as a 20 kB gzip body (Content-Encoding): counted as it unpacks."""
    import gzip

    body = gzip.compress(bytes(20 * 1024 * 1024))
    return Response(body, content_type=XLSX_TYPE, headers={"Content-Encoding": "gzip"})


Fault = Callable[[HTTPServer, str], None]
SHEET = f"/doclib/{name('participating', DAY2)}"


def _at_sheet(respond: Callable[[object], None]) -> Fault:
    def fault(server: HTTPServer, _url: str) -> None:
        server.expect_request("/287g").respond_with_data(page(("Participating Agencies", SHEET)),
                                                         content_type="text/html")
        respond(server.expect_request(SHEET))
    return fault


FAULTS: dict[str, tuple[Fault, str]] = {
    "404": (_at_sheet(lambda h: h.respond_with_data("Not Found", status=404)),
            "answered 404 NOT FOUND: nothing is at that address"),
    "403": (_at_sheet(lambda h: h.respond_with_data("Access Denied", status=403)),
            "answered 403 FORBIDDEN: the site refused icestatus"),
    "429": (_at_sheet(lambda h: h.respond_with_response(Response("slow down", status=429,
                                                                 headers={"Retry-After": "120"}))),
            "answered 429 TOO MANY REQUESTS: the site asks for fewer requests; try again later (it says: retry "
            "after 120 s)"),
    "500 every time": (_at_sheet(lambda h: h.respond_with_data("oops", status=500)),
                       "answered 500 INTERNAL SERVER ERROR (3 attempts)"),
    "truncated body": (_at_sheet(lambda h: h.respond_with_handler(_truncated)),
                       "the connection closed before the whole body came"),
    "truncated file": (_at_sheet(lambda h: h.respond_with_data(workbook([HEADER, WELLS])[:3000],
                                                               content_type=XLSX_TYPE)),
                       "not an XLSX workbook (not a zip archive)"),
    "html as the sheet": (_at_sheet(lambda h: h.respond_with_data(
        "<!DOCTYPE html><html><body>Pardon our interruption</body></html>", content_type="text/html")),
        "sent a web page, not a spreadsheet: its body starts with '<!DOCTYPE html><html><body>Pardon our in…' "
        "(labelled text/html)."),
    # Review F5: the evidence is the body, not the label it came with.
    "html labelled as a sheet": (_at_sheet(lambda h: h.respond_with_data(
        "\n  <!DOCTYPE html>\n<html><body>Access denied</body></html>", content_type=XLSX_TYPE)),
        f"sent a web page, not a spreadsheet: its body starts with '<!DOCTYPE html>' although it was labelled "
        f"{XLSX_TYPE}."),
    "zip bomb": (_at_sheet(lambda h: h.respond_with_data(_bomb(), content_type=XLSX_TYPE)),
                 "this looks like a zip bomb"),
    "larger than the limit": (_at_sheet(lambda h: h.respond_with_data(bytes(3_000_000), content_type=XLSX_TYPE)),
                              "is larger than the limit of 2,000,000 bytes"),
    "larger than the limit, streamed": (_at_sheet(lambda h: h.respond_with_handler(_streamed)),
                                        "is larger than the limit of 2,000,000 bytes (it sent more): refused"),
    "gzip bomb": (_at_sheet(lambda h: h.respond_with_handler(_gzip_bomb)),
                  "is larger than the limit of 2,000,000 bytes (it sent more): refused"),
    "no links": (lambda s, _u: s.expect_request("/287g").respond_with_data(
        "<html><body><h1>287(g)</h1><p>Our page has a new look.</p></body></html>", content_type="text/html"),
        "links no participating or pending sheet"),
    "redirect loop": (lambda s, _u: s.expect_request("/287g").respond_with_response(
        Response(status=302, headers={"Location": "/287g"})), "redirects in a loop (more than 10 redirects)"),
    "page 404": (lambda s, _u: s.expect_request("/287g").respond_with_data("gone", status=404),
                 "ICE's 287(g) page: "),
    "pending link, participating list": (
        lambda s, _u: (s.expect_request("/287g").respond_with_data(
            page(("Pending Agencies", f"/doclib/{name('pending', DAY2)}")), content_type="text/html"),
            s.expect_request(f"/doclib/{name('pending', DAY2)}").respond_with_data(
                workbook([HEADER, WELLS, KERR]), content_type=XLSX_TYPE)),
        "ICE's page links it as the pending sheet, but pendingAgencies"),
    "older than the registry's newest": (lambda s, _u: (s.expect_request("/287g").respond_with_data(
        page(("Participating Agencies", f"/doclib/{name('participating', DAY1 - dt.timedelta(days=7))}")),
        content_type="text/html"), s.expect_request(f"/doclib/{name('participating', DAY1 - dt.timedelta(days=7))}")
        .respond_with_data(workbook([HEADER, WELLS]), content_type=XLSX_TYPE)),
        f"{name('participating', DAY1 - dt.timedelta(days=7))}: refused: this participating sheet of "),
    "not one of ICE's names": (_at_sheet(lambda h: h.respond_with_data(
        workbook([HEADER, WELLS]), content_type=XLSX_TYPE, headers={"Content-Disposition": 'attachment; filename="x.xlsx"'})),
        "came as 'x.xlsx', which is not one of ICE's sheet names"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_every_fault_is_one_clear_line_and_changes_nothing(
    fault: str, runner: CliRunner, site: Site, registry: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site.serve({name("participating", DAY1): workbook([HEADER, WELLS, KERR])})
    assert update(runner, site, "-r", str(registry))[0] == 0
    before = snapshot(registry, user_data)
    assert len(before) == 3  # the registry, a sheet, the manifest

    monkeypatch.setenv("ICESTATUS_MAX_SHEET_BYTES", "2000000")
    make, expected = FAULTS[fault]
    site.server.clear()
    make(site.server, site.url)
    code, out, err = update(runner, site, "-r", str(registry))
    assert code != 0 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("icestatus: error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err and "/tmp/icestatus-update-" not in err
    assert snapshot(registry, user_data) == before


def test_500_then_200_is_retried(runner: CliRunner, site: Site, registry: Path, user_data: Path) -> None:
    file = name("participating", DAY1)
    answers = [Response("busy", status=503), Response("oops", status=500),
               Response(workbook([HEADER, WELLS]), content_type=XLSX_TYPE)]
    site.server.expect_request("/287g").respond_with_data(page(("Participating Agencies", f"/doclib/{file}")),
                                                          content_type="text/html")
    site.server.expect_request(f"/doclib/{file}").respond_with_handler(lambda _request: answers.pop(0))
    code, out, err = update(runner, site, "-r", str(registry))
    assert code == 0, err
    assert "1 new signings" in out
    assert answers == [] and [r.path for r, _ in site.server.log].count(f"/doclib/{file}") == 3


def test_a_hang_past_the_timeout(
    runner: CliRunner, site: Site, registry: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(1.0)
        return Response("late", content_type="text/html")

    monkeypatch.setenv("ICESTATUS_HTTP_TIMEOUT", "0.2")
    site.server.expect_request("/287g").respond_with_handler(hang)
    before = snapshot(registry, user_data)
    try:
        code, _, err = update(runner, site, "-r", str(registry))
    finally:
        release.set()
    assert code == 4, err
    assert "ICE's 287(g) page: " in err and "did not answer within 0.2 s (set ICESTATUS_HTTP_TIMEOUT" in err
    assert snapshot(registry, user_data) == before


def test_two_concurrent_updates_are_serialized(site: Site, registry: Path, user_data: Path, tmp_path: Path) -> None:
    """Two processes at once: one ingests, the other waits for the lock, then finds the
    sheet already ingested. One source, one archived copy."""
    import os

    site.serve({name("participating", DAY1): workbook([HEADER, WELLS, KERR]),
                name("pending", DAY1): workbook([PENDING_HEADER, APPLICANT])})
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    cmd = [sys.executable, "-m", "icestatus", "update", "--from", site.url, "-r", str(registry), "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    news = sorted(json.loads(o)["new"] for o, _ in outs)
    assert news == [False, True]
    doc = json.loads(registry.read_text())
    assert len([s for s in doc["sources"] if s["kind"] == "ice_sheet"]) == 2
    assert len((user_data / "manifest.csv").read_text().splitlines()) == 3


# ---------------------------------------------------------------- the user's registry


BUNDLED_LAST = dt.date(2026, 5, 18)  # the bundled registry's last sheet
LATER = dt.date.today() - dt.timedelta(days=90)


def test_without_registry_it_writes_the_users_own_copy_of_the_bundled_one(
    runner: CliRunner, site: Site, user_data: Path,
) -> None:
    """First use: the user's registry starts as a copy of the bundled one (curated facts
    and history kept), gets the new sheet; the bundled registry is never written."""
    from icestatus.registry import bundled_registry_path, covered_through, user_data_dir

    if LATER <= BUNDLED_LAST:
        pytest.skip("needs a date 90 days ago after the bundled registry's last sheet")
    assert user_data_dir() == user_data  # platformdirs, honouring $XDG_DATA_HOME
    bundled = bundled_registry_path().read_bytes()
    site.serve({name("pending", LATER): workbook([PENDING_HEADER, APPLICANT])})
    code, out, err = update(runner, site)
    assert code == 0, err
    assert "No new sheet" not in out and "applications: 1 new" in out
    user = user_data / "agreements.json"
    assert f"wrote {user}\n" in err and f"a copy of the bundled one ({bundled_registry_path()})" in err
    mine, theirs = json.loads(user.read_text()), json.loads(bundled)
    assert {s["id"] for s in theirs["sources"]} < {s["id"] for s in mine["sources"]}
    assert len(mine["policies"]) == len(theirs["policies"]) > 0  # curated facts kept
    assert covered_through(user) == LATER
    assert bundled_registry_path().read_bytes() == bundled

    code, out, err = update(runner, site)
    assert code == 0 and f"No new sheet since {LATER}." in out


@pytest.mark.shared
def test_the_newest_real_sheet_into_a_copy_of_the_bundled_registry(
    runner: CliRunner, site: Site, user_data: Path, ice_dir: Path, tmp_path: Path,
) -> None:
    """ICE's last shared sheet (2026-05-18) served again is a no-op; a later edition of it
    (two agreements gone, one new) is ingested into the user's copy of the bundled
    registry, and `as-of` its date lists exactly its rows."""
    from ice_data import by_name
    from icestatus.registry import bundled_registry_path

    last = by_name(ice_dir, "participatingAgencies05182026am.xlsx")
    site.serve({last.name: last.read_bytes()})
    code, out, err = update(runner, site)
    assert code == 0, err
    assert "No new sheet since 2026-05-18." in out
    assert not (user_data / "agreements.json").exists()  # nothing new: no copy made
    assert (user_data / "sheets" / "2026-05-18" / last.name).read_bytes() == last.read_bytes()

    later = dt.date.today() - dt.timedelta(days=90)
    if later <= BUNDLED_LAST:
        pytest.skip("needs a date 90 days ago after 2026-05-18")
    wb = openpyxl.load_workbook(last)
    ws = wb.active
    assert ws is not None
    gone = [(ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value) for r in (2, 3)]
    ws.delete_rows(2, 2)
    ws.append(["MAINE", "Icestatus Test Police Department", "Municipality", "York", "Task Force Model",
               later - dt.timedelta(days=3), None])
    path = tmp_path / name("participating", later)
    wb.save(path)
    site.serve({path.name: path.read_bytes()})
    code, out, err = update(runner, site, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["started_from"] == str(bundled_registry_path()) and report["new"] is True
    assert report["changes"]["started"]["by_state"] == {"ME": 1}
    assert report["changes"]["ended"]["total"] == 2, gone
    user = user_data / "agreements.json"
    rows = openpyxl.load_workbook(path).active
    assert rows is not None
    listed = {(r[0], r[1], r[4]) for r in rows.iter_rows(min_row=2, values_only=True) if r[0]}
    got = runner.invoke(app, ["as-of", later.isoformat(), "-r", str(user), "--format", "json"])
    in_force = [r for r in json.loads(got.stdout) if r["status"] != "pending"]
    assert len(in_force) == len(listed) == 1843 - 2 + 1
    assert ("ME", "Icestatus Test Police Department", "task_force") in {
        (r["state"], r["department"], r["model"]) for r in in_force}


def test_read_commands_use_the_users_registry_while_it_is_the_newer(
    runner: CliRunner, site: Site, user_data: Path,
) -> None:
    """After `update`, `as-of` and `--version` read the user's registry without flags; an
    older user copy (an upgrade brought a newer bundled registry) gives way to the bundled
    one, and the reason says so."""
    from icestatus.registry import RegistryOrigin, bundled_registry_path, registry_in_use

    if LATER <= BUNDLED_LAST:
        pytest.skip("needs a date 90 days ago after the bundled registry's last sheet")
    hall = ("GA", "Hall County Sheriff's Office", "task_force")

    def pending_on(day: dt.date) -> set[tuple[str, str, str]]:
        result = runner.invoke(app, ["as-of", day.isoformat(), "--format", "json"])
        assert result.exit_code == 0, result.stderr
        return {(r["state"], r["department"], r["model"]) for r in json.loads(result.stdout) if r["status"] == "pending"}

    assert hall not in pending_on(LATER)  # the bundled registry
    site.serve({name("pending", LATER): workbook([PENDING_HEADER, APPLICANT])})
    assert update(runner, site)[0] == 0
    user = user_data / "agreements.json"
    chosen = registry_in_use(None)
    assert (chosen.path, chosen.origin) == (user, RegistryOrigin.user)
    assert f"covers ICE's sheets to {LATER}, the bundled one to {BUNDLED_LAST}" in chosen.reason
    assert pending_on(LATER) == {hall}
    assert f"registry: {user} (user)" in runner.invoke(app, ["--version"]).stdout
    shown = json.loads(runner.invoke(app, ["info", "--format", "json"]).stdout)["registry"]
    assert (shown["path"], shown["origin"]) == (str(user), "user") and shown["reason"] == chosen.reason
    assert "your own registry, kept current by `icestatus update`" in runner.invoke(app, ["info"]).stdout
    assert hall not in {(r["state"], r["department"], r["model"]) for r in json.loads(runner.invoke(
        app, ["as-of", LATER.isoformat(), "--format", "json", "-r", str(bundled_registry_path())]).stdout)}

    # An older copy of the user's (as after an upgrade of icestatus): the bundled one is used, and said.
    runner.invoke(app, ["init", str(user), "--force"])
    site.serve({name("participating", DAY1): workbook([HEADER, WELLS])})
    assert update(runner, site)[0] == 1  # the bundled registry is newer: this old sheet is refused ...
    site.serve({name("participating", DAY1): workbook([HEADER, WELLS])})
    assert update(runner, site, "-r", str(user))[0] == 0  # ... but an explicit --registry takes it
    chosen = registry_in_use(None)
    assert (chosen.path, chosen.origin) == (bundled_registry_path(), RegistryOrigin.bundled)
    assert f"later than your own registry {user} ({DAY1})" in chosen.reason
    assert "`icestatus update` replaces yours by it (keeping yours as .bak)" in chosen.reason
    assert "(bundled)" in runner.invoke(app, ["--version"]).stdout
    shown = json.loads(runner.invoke(app, ["info", "--format", "json"]).stdout)["registry"]
    assert (shown["path"], shown["origin"]) == (str(bundled_registry_path()), "bundled")
    assert "later than your own registry" in shown["reason"]
    # The next update starts again from the bundled registry, keeping the old copy as .bak.
    site.serve({name("pending", LATER): workbook([PENDING_HEADER, APPLICANT])})
    code, _, err = update(runner, site)
    assert code == 0 and f"later than your registry did ({DAY1}): started again from it" in err
    assert registry_in_use(None).origin is RegistryOrigin.user
    assert (user_data / "agreements.json.bak").is_file()


@pytest.mark.parametrize(("args", "env", "code", "expected"), [
    (["-r", "missing.json"], {}, 1, "missing.json: no such registry; create it with `icestatus init missing.json`"),
    ([], {"ICESTATUS_HTTP_TIMEOUT": "soon"}, 4, "ICESTATUS_HTTP_TIMEOUT='soon' is not a positive number of seconds"),
    ([], {"ICESTATUS_HTTP_TIMEOUT": "0"}, 4, "ICESTATUS_HTTP_TIMEOUT='0' is not a positive number of seconds"),
])
def test_bad_usage_is_one_line_before_any_request(
    args: list[str], env: dict[str, str], code: int, expected: str,
    runner: CliRunner, site: Site, user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    got, out, err = update(runner, site, *args)
    assert (got, out) == (code, "")
    assert err.startswith(f"icestatus: error: {expected}") and err.count("\n") == 1
    assert site.server.log == [] and not user_data.exists()


def test_csv_is_not_a_choice_and_makes_no_request(
    runner: CliRunner, site: Site, user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer is one document: --help offers table|json only, and csv is a usage error."""
    monkeypatch.chdir(tmp_path)
    got, out, err = update(runner, site, "--format", "csv")
    assert (got, out) == (2, "") and "'csv' is not one of 'table', 'json'" in err
    assert site.server.log == [] and not user_data.exists()
    assert "table|json " in runner.invoke(app, ["update", "--help"], env={"COLUMNS": "100"}).stdout


def test_icestatus_registry_names_the_registry_to_update(
    runner: CliRunner, site: Site, registry: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from icestatus.registry import bundled_registry_path

    site.serve({name("participating", DAY1): workbook([HEADER, WELLS])})
    monkeypatch.setenv("ICESTATUS_REGISTRY", str(bundled_registry_path()))
    code, _, err = update(runner, site)
    assert code == 2 and "is the registry bundled with icestatus, which this command does not change" in err
    monkeypatch.setenv("ICESTATUS_REGISTRY", str(registry))
    code, out, err = update(runner, site)
    assert code == 0 and "1 new signings" in out and f"wrote {registry}" in err
    assert not (user_data / "agreements.json").exists()


@pytest.mark.shared
def test_the_real_sheet_of_2026_05_18_after_that_of_05_14_reports_what_diff_reports(
    runner: CliRunner, site: Site, registry: Path, ice_dir: Path,
) -> None:
    """The report of an update from ICE's sheet of 2026-05-14 to that of 2026-05-18 names
    the agreements that the bundled registry's `diff` between those dates names, by state."""
    from collections import Counter

    from ice_data import by_name

    before, last = (by_name(ice_dir, f"participatingAgencies{d}am.xlsx") for d in ("05142026", "05182026"))
    assert runner.invoke(app, ["ingest", str(before), "-r", str(registry)]).exit_code == 0
    site.serve({last.name: last.read_bytes()})
    code, out, err = update(runner, site, "-r", str(registry), "--format", "json")
    assert code == 0, err
    changes = json.loads(out)["changes"]
    diff = json.loads(runner.invoke(app, ["diff", "2026-05-14", "2026-05-18", "--format", "json"]).stdout)
    for kind in ("started", "ended"):
        expected = Counter(r["state"] for r in diff if r["change"] == kind)
        assert changes[kind]["by_state"] == dict(sorted(expected.items())) and expected, kind
    # `as-of` its date is the sheet: as many agreements in force as the bundled registry has then.
    def in_force(*args: str) -> int:
        rows = json.loads(runner.invoke(app, ["as-of", "2026-05-18", "--format", "json", *args]).stdout)
        return sum(r["status"] != "pending" for r in rows)

    assert in_force("-r", str(registry)) == in_force() == 1843


def test_an_older_copy_gives_way_to_the_bundled_registry_even_when_no_sheet_is_new(
    runner: CliRunner, site: Site, user_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review F3: `info` says update brings an older copy past the bundled registry; it does, even
    when ICE has nothing newer than the bundled one (the copy is replaced, kept as .bak). On a tie,
    a bundled registry holding all of the copy's sources and more (a release adding curated facts)
    replaces it; a copy holding facts of its own is kept, and the report says what it lacks."""
    from icestatus import registry as registry_module
    from icestatus.registry import RegistryOrigin, registry_in_use

    bundled, user = tmp_path / "bundled.json", user_data / "agreements.json"
    user_data.mkdir(parents=True)
    old, new = workbook([HEADER, WELLS]), workbook([HEADER, WELLS, KERR])
    for path, sheets in ((user, {name("participating", DAY1): old}), (bundled, {name("participating", DAY2): new})):
        assert runner.invoke(app, ["init", str(path)]).exit_code == 0
        site.serve(sheets)
        assert update(runner, site, "-r", str(path))[0] == 0
    monkeypatch.setattr(registry_module, "bundled_registry_path", lambda: bundled)

    def record(path: Path, url: str) -> None:
        with monkeypatch.context() as m:  # as the release's build does: the bundled file is written
            m.setattr(registry_module, "bundled_registry_path", lambda: tmp_path / "elsewhere.json")
            result = runner.invoke(app, ["record", "wells", "--state", "ME", "--kind", "paused", "--model",
                                         "task_force", "--date", DAY2.isoformat(), "--source-url", url,
                                         "--source-title", f"A report at {url}", "-r", str(path)])
        assert result.exit_code == 0, result.stderr
    chosen = registry_in_use(None)
    assert chosen.origin is RegistryOrigin.bundled and "`icestatus update` replaces yours by it" in chosen.reason
    before = user.read_bytes()
    site.serve({name("participating", DAY2): new})  # ICE has nothing newer than the bundled registry
    code, out, err = update(runner, site)
    assert code == 0, err
    assert f"No new sheet since {DAY2}." in out
    assert f"later than your registry did ({DAY1}): started again from it" in err and f"wrote {user}" in err
    assert user.read_bytes() == bundled.read_bytes() and (user_data / "agreements.json.bak").read_bytes() == before
    assert registry_in_use(None).origin is RegistryOrigin.user  # a tie: yours
    assert "as the bundled one does (yours on a tie)" in registry_in_use(None).reason

    # A newer release adds a curated fact only: same last sheet, more sources. It replaces the copy.
    record(bundled, "https://example.org/curated")
    code, out, err = update(runner, site, "--format", "json")
    assert code == 0 and json.loads(out)["replaced"] is True, err
    assert "holds all its sources and 1 more: started again from it" in err
    assert user.read_bytes() == bundled.read_bytes()
    # A copy holding a fact of the user's own is kept, and the report says what the bundled one adds.
    record(user, "https://example.org/mine")
    record(bundled, "https://example.org/curated-2")
    before = user.read_bytes()
    code, out, err = update(runner, site)
    assert code == 0 and user.read_bytes() == before, err
    assert "holds 1 source yours lacks, but yours holds 1 of its own: kept yours" in err


@pytest.mark.parametrize("damage", ["truncated", "empty object"])
def test_a_damaged_registry_of_the_users_is_one_line_saying_what_to_do(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str,
) -> None:
    """Review F9: a truncated copy of the user's registry (its coverage line intact) and a `{}` file are
    not read as "not valid JSON" with no hint, nor passed over quietly: every read command, --version
    and update (before any request) say the file, what is wrong and what to do; nothing is written."""
    from icestatus.registry import bundled_registry_path

    monkeypatch.setenv("ICESTATUS_DATA_DIR", str(tmp_path))
    user = tmp_path / "agreements.json"
    bundled = bundled_registry_path().read_bytes()
    user.write_bytes(bundled[: len(bundled) // 2] if damage == "truncated" else b"{}\n")
    if damage == "empty object":
        (tmp_path / "agreements.json.bak").write_bytes(bundled)
    before = snapshot(tmp_path)
    for args in (["list"], ["info"], ["stats", "--format", "json"], ["history", "wells"],
                 ["update", "--from", "http://127.0.0.1:9/287g"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.stdout)
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"icestatus: error: {user}: "), line
        assert "this is your own registry, kept by `icestatus update`" in line and "pass --registry FILE" in line
        assert ("not valid JSON" if damage == "truncated" else "schema_version") in line
        assert ("restore the previous version" in line) is (damage == "empty object")
        assert "ICE's 287(g) page" not in line  # update asked nothing of the network
    version = runner.invoke(app, ["--version"]).stdout
    assert f"registry: cannot be read: {user}: " in version
    assert snapshot(tmp_path) == before
    ok = runner.invoke(app, ["list", "--state", "ME", "-r", str(bundled_registry_path())])
    assert ok.exit_code == 0  # --registry FILE still works


def test_the_report_says_a_list_is_not_linked_and_formats_its_counts(
    runner: CliRunner, site: Site, registry: Path, user_data: Path,
) -> None:
    """Review F4: a page without a pending link says so (it did not say anything), and counts of a
    thousand or more carry separators as the row counts do ("1,200 new signings", not "1200")."""
    rows = [["TEXAS", f"Town {n} Police Department", "Municipality", "Travis", "Task Force Model", "03/10/2025", ""]
            for n in range(1200)]
    site.serve({name("participating", DAY1): workbook([HEADER, *rows])})
    code, out, err = update(runner, site, "-r", str(registry), "--dry-run")
    assert code == 0, err
    assert f"({DAY1} am, 1,200 rows)\n    1,200 new signings, 1,200 new agencies\n" in out
    assert "  pending: not linked on ICE's page\n" in out
    assert "agreements started: 1,200 (TX 1,200)" in out and "new agencies: 1,200" in out
    code, out, err = update(runner, site, "-r", str(registry), "--dry-run", "--format", "json")
    assert code == 0 and json.loads(out)["not_linked"] == ["pending"], err


def test_help_names_the_users_registry_as_the_default(runner: CliRunner) -> None:
    """Review F6: `update -r`'s help named $ICESTATUS_REGISTRY as the only default, and the top-level
    help only the bundled registry; both name the user's own registry, which is what is used."""
    def flat(*args: str) -> str:
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0
        return " ".join(result.stdout.split())

    assert ("Registry file to update, made with `icestatus init PATH` or copied (default: $ICESTATUS_REGISTRY, "
            "else your own in the user data folder, made from the bundled one on first use") in flat("update")
    assert "(default: $ICESTATUS_REGISTRY; create one with" not in flat("update")
    assert ("(your own registry, kept current by `icestatus update`, or the bundled one, whichever is newer; "
            "or --registry FILE)") in flat()
    assert "the bundled registry is never written" in flat("ingest")
