"""ICE's 287(g) page and the sheets it links to, fetched as the hostile input they are.

``find_links`` reads the page (stdlib ``html.parser``) for the ``<a>`` elements whose text
says "participating" or "pending" and whose address is an ``.xlsx`` file or one of the
site's download endpoints (``/file-download/download/public/...``). ``Fetcher`` gets the
page and each sheet with httpx: a timeout on every step and a deadline on the whole,
bodies streamed and abandoned past a size limit, a few retries with backoff on connection
errors, timeouts and 5xx answers, redirects followed, a User-Agent naming icestatus and
its version. Every failure is one ``FetchError`` line saying what was asked, what came
back and what to try. Nothing here writes a file: that is ``update``'s job, once every
download has been checked.

The retry loop is ours (a dozen lines) rather than tenacity's or stamina's: it has to
interleave with streaming and the size limit, tell a 5xx (retried) from a 4xx (not), and
end in our own message; a library would add a dependency for less than it saves.
"""

from __future__ import annotations

import email.message
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from icestatus.enums import SheetKind
from icestatus.errors import FetchError
from icestatus.settings import env_number
from icestatus.sources import ICE_PAGE

if TYPE_CHECKING:
    import httpx

DEFAULT_PAGE = ICE_PAGE
ENV_URL = "ICESTATUS_ICE_URL"
ENV_TIMEOUT = "ICESTATUS_HTTP_TIMEOUT"
DEFAULT_TIMEOUT = 30.0  # seconds, for each step: connecting, and each read
DEADLINE_FACTOR = 10    # a whole transfer may take ten timeouts (a server trickling bytes)
MAX_PAGE_BYTES = 5 * 1024 * 1024  # ICE's page is about 100 kB
ATTEMPTS = 3            # tries of one address (connection errors, timeouts, 5xx)
BACKOFF = 1.0           # seconds before the second try, doubled before each next one
DOWNLOAD_PATH = "/file-download/download/public/"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._() -]")
_XLSX_MAGIC = b"PK\x03\x04"


def page_url(option: str | None) -> str:
    """``--from``, else ``$ICESTATUS_ICE_URL``, else ICE's page (an address that is not
    http(s) is refused by ``Fetcher.get``, with the address in the message)."""
    return option or os.environ.get(ENV_URL) or DEFAULT_PAGE


def timeout_seconds() -> float:
    return env_number(ENV_TIMEOUT, DEFAULT_TIMEOUT, "seconds", FetchError)


def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        mine = version("icestatus")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        mine = "unknown"
    return f"icestatus/{mine} (287(g) registry updater; python-httpx)"


# ---------------------------------------------------------------- the page's links


@dataclass(frozen=True, slots=True)
class Link:
    """A link of ICE's page to one of its sheets: which list its text names, where it points."""

    kind: SheetKind
    url: str
    text: str


class _Anchors(HTMLParser):
    """Every ``<a href>`` with its text (and its title or aria-label)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        self._close()
        values = dict(attrs)
        self._href = values.get("href")
        self._text = [v for k in ("title", "aria-label") if (v := values.get(k))]

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def _close(self) -> None:
        if self._href is not None:
            self.found.append((self._href, " ".join(" ".join(self._text).split())))
        self._href = None
        self._text = []


def link_kind(text: str) -> SheetKind | None:
    """The list a link's text names: participating or pending (None for neither, or both)."""
    folded = text.casefold()
    participating, pending = "participating" in folded, "pending" in folded
    if participating == pending:
        return None
    return SheetKind.participating if participating else SheetKind.pending


def is_sheet_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (
        parts.path.lower().endswith(".xlsx") or DOWNLOAD_PATH in parts.path
    )


def find_links(html: str, base: str) -> dict[SheetKind, Link]:
    """The first link to each list on the page at *base* (relative addresses resolved)."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    parser._close()  # an <a> the page never closed
    links: dict[SheetKind, Link] = {}
    for href, text in parser.found:
        kind = link_kind(text)
        url = urljoin(base, href.strip())
        if kind is not None and kind not in links and is_sheet_address(url):
            links[kind] = Link(kind, url, text)
    return links



def _body_start(head: bytes, width: int = 40) -> str:
    """The first characters of a body's first line, quoted, for an error message."""
    line = head.decode("utf-8", errors="replace").splitlines()[0] if head.strip() else ""
    shown = "".join(c if c.isprintable() else "?" for c in line.strip())
    return repr(shown[:width] + ("…" if len(shown) > width else "")) if shown else "nothing printable"


# ---------------------------------------------------------------- HTTP


@dataclass(frozen=True, slots=True)
class Download:
    """One body that came back whole: what was asked, where it ended (redirects), its bytes."""

    url: str
    final_url: str
    content_type: str
    disposition: str | None
    data: bytes
    retrieved: datetime  # UTC

    @property
    def filename(self) -> str:
        """The file name the server gave (Content-Disposition), else the final address's."""
        name = None
        if self.disposition:
            msg = email.message.Message()
            msg["content-disposition"] = self.disposition
            name = msg.get_filename()
        if not name:
            name = unquote(PurePosixPath(urlsplit(self.final_url).path).name)
        return safe_filename(name)


def safe_filename(name: str) -> str:
    """*name* as a plain file name: no directories, no characters a shell or a file
    system would trip on (each becomes ``_``); ``download`` when nothing is left."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = _SAFE_NAME.sub("_", base)[-200:].lstrip(".")
    return base or "download"


_HINTS = {
    403: "the site refused icestatus (it may block scripts, or this network); try again later, or download "
         "the sheets in a browser and run `icestatus ingest FILE...`",
    404: "nothing is at that address (ICE may have moved its page or the sheet); check it in a browser, or "
         "give another with --from URL",
    429: "the site asks for fewer requests; try again later",
}


class Fetcher:
    """One HTTP client for a run: ``page`` and ``sheet`` each return a ``Download`` or
    raise ``FetchError``. Use as a context manager (it closes its connections)."""

    def __init__(self, timeout: float | None = None) -> None:
        import httpx

        self.timeout = timeout if timeout is not None else timeout_seconds()
        self.client = httpx.Client(
            timeout=httpx.Timeout(self.timeout), follow_redirects=True, max_redirects=10,
            headers={"User-Agent": user_agent()},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def page(self, url: str) -> tuple[Download, str]:
        """ICE's page and its text."""
        got = self.get(url, MAX_PAGE_BYTES, "ICE's 287(g) page")
        charset = _charset(got.content_type) or "utf-8"
        try:
            return got, got.data.decode(charset, errors="replace")
        except LookupError:
            return got, got.data.decode("utf-8", errors="replace")

    def sheet(self, link: Link, limit: int) -> Download:
        """The sheet *link* points to; refused when what came back is not an XLSX file."""
        what = f"the {link.kind.value} sheet"
        got = self.get(link.url, limit, what)
        if not got.data.startswith(_XLSX_MAGIC):
            head = got.data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
            label = got.content_type or "no Content-Type"
            looks = head.startswith(b"<")
            if "html" in label.lower() or looks:
                # The evidence first: what the body looks like, then what it was labelled.
                start = f"its body starts with {_body_start(head)}"
                evidence = ((f"{start} although it was labelled {label}" if "html" not in label.lower()
                             else f"{start} (labelled {label})") if looks
                            else f"it was labelled {label} (and {start})")
                raise FetchError(
                    f"{what}: {link.url} sent a web page, not a spreadsheet: {evidence}. ICE's site may be "
                    "showing an error or a check for robots; try again later, or download it in a browser "
                    "and run `icestatus ingest FILE...`"
                )
            raise FetchError(
                f"{what}: {link.url} sent {len(got.data):,} bytes that are not an XLSX file "
                f"({got.content_type or 'no Content-Type'}); nothing was written"
            )
        return got

    def get(self, url: str, limit: int, what: str) -> Download:
        """GET *url* whole (at most *limit* bytes), retrying connection errors, timeouts
        and 5xx answers ``ATTEMPTS`` times with backoff."""
        import httpx

        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"{what}: {url!r} is not an http(s) address")
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                with self.client.stream("GET", url) as resp:
                    if resp.status_code >= 500:
                        problem = f"answered {resp.status_code} {resp.reason_phrase}".rstrip()
                        continue
                    if not resp.is_success:  # 4xx, or a 3xx that could not be followed
                        raise FetchError(_status_line(what, url, resp))
                    data = self._body(resp, limit, what, url)
                    return Download(
                        url=url, final_url=str(resp.url), content_type=resp.headers.get("content-type", ""),
                        disposition=resp.headers.get("content-disposition"), data=data,
                        retrieved=datetime.now(UTC),
                    )
            except httpx.TooManyRedirects:
                raise FetchError(f"{what}: {url} redirects in a loop (more than 10 redirects)") from None
            except httpx.TimeoutException:
                problem = f"did not answer within {self.timeout:g} s (set {ENV_TIMEOUT} to wait longer)"
            except httpx.TransportError as exc:
                problem = f"failed: {_transport_problem(exc)}"
            except httpx.DecodingError as exc:
                raise FetchError(f"{what}: {url} sent a body that cannot be decoded: {exc}") from None
        raise FetchError(
            f"{what}: {url} {problem} ({ATTEMPTS} attempts); check the connection, or try again later"
        )

    def _body(self, resp: httpx.Response, limit: int, what: str, url: str) -> bytes:
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(_too_big(what, url, limit, f"it announces {int(declared):,} bytes"))
        deadline = time.monotonic() + self.timeout * DEADLINE_FACTOR
        chunks: list[bytes] = []
        size = 0
        for chunk in _chunks(resp):
            size += len(chunk)
            if size > limit:
                raise FetchError(_too_big(what, url, limit, "it sent more"))
            if time.monotonic() > deadline:
                raise FetchError(
                    f"{what}: {url} is sending too slowly ({size:,} bytes in "
                    f"{self.timeout * DEADLINE_FACTOR:g} s); try again later"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _chunks(resp: httpx.Response) -> Iterator[bytes]:
    yield from resp.iter_bytes(chunk_size=64 * 1024)


def _too_big(what: str, url: str, limit: int, why: str) -> str:
    hint = "" if what.startswith("ICE's") else "; set ICESTATUS_MAX_SHEET_BYTES to allow a larger sheet"
    return f"{what}: {url} is larger than the limit of {limit:,} bytes ({why}): refused{hint}"


def _status_line(what: str, url: str, resp: httpx.Response) -> str:
    code = resp.status_code
    hint = _HINTS.get(code, "check the address, or try again later")
    if code == 429 and (after := resp.headers.get("retry-after", "").strip()):
        hint += f" (it says: retry after {after}{' s' if after.isdigit() else ''})"
    final = str(resp.url)
    where = url if final == url else f"{url} (redirected to {final})"
    return f"{what}: {where} answered {code} {resp.reason_phrase}".rstrip() + f": {hint}"


def _transport_problem(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "incomplete" in text.lower() or "peer closed" in text.lower():
        return f"the connection closed before the whole body came ({text})"
    return text


def _charset(content_type: str) -> str | None:
    msg = email.message.Message()
    msg["content-type"] = content_type or "text/html"
    value = msg.get_content_charset()
    return value if isinstance(value, str) else None
