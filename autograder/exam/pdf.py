"""HTML to PDF with one headless Chromium for many documents (the DevTools protocol).

Starting Chromium costs about a second here; printing a small page through an
already running browser costs tens of milliseconds. :class:`PdfPrinter` starts
``chromium --headless --remote-debugging-port=0`` once, opens ``tabs`` pages,
and prints each HTML file with ``Page.printToPDF``, whose header template puts
the student's name and SID on every page, however the content flows.

    with PdfPrinter() as printer:
        printer.print_many([(html_path, pdf_path, "Ada Student · SID 905123456"), ...])
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class PdfUnavailable(RuntimeError):
    """No usable Chromium (or it failed to start); the message says what to install."""


def find_chromium() -> str:
    """Path of a Chromium/Chrome binary (``$AUTOGRADER_CHROMIUM`` first)."""
    for candidate in (os.environ.get("AUTOGRADER_CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found:
        return found
    raise PdfUnavailable("no Chromium found for the printable exams; install Debian's `chromium` "
                         "(apt-get install chromium) or set AUTOGRADER_CHROMIUM, or build with --no-pdf")


class _Tab:
    """One page target on the shared browser connection (flattened session)."""

    def __init__(self, conn: "_Connection", session: str):
        self.conn, self.session = conn, session

    def call(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        return self.conn.call(method, params, session=self.session, timeout=timeout)


class _Connection:
    """A JSON-RPC client over the browser's DevTools websocket (thread-safe calls)."""

    def __init__(self, url: str):
        import websocket  # websocket-client

        # skip_utf8_validation: websocket-client checks UTF-8 in pure Python, seconds for a PDF of a few MB
        self.ws = websocket.create_connection(url, timeout=300, suppress_origin=True, skip_utf8_validation=True)
        self.next_id = 0
        self.lock = threading.Lock()
        self.pending: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.closed = False
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = json.loads(self.ws.recv())
            except Exception:
                with self.cond:
                    self.closed = True
                    self.cond.notify_all()
                return
            with self.cond:
                if "id" in message:
                    self.pending[message["id"]] = message
                else:
                    self.events.append(message)
                self.cond.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            payload: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
            if session:
                payload["sessionId"] = session
            self.ws.send(json.dumps(payload))
        deadline = time.monotonic() + timeout
        with self.cond:
            while ident not in self.pending:
                if self.closed:
                    raise PdfUnavailable(f"Chromium closed the DevTools connection during {method}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PdfUnavailable(f"Chromium did not answer {method} within {timeout:g} s")
                self.cond.wait(left)
            reply = self.pending.pop(ident)
        if "error" in reply:
            raise PdfUnavailable(f"Chromium refused {method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, timeout: float = 120.0) -> dict[str, Any]:
        """Wait for (and consume) the first ``method`` event of ``session``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, event in enumerate(self.events):
                    if event.get("method") == method and event.get("sessionId") == session:
                        return self.events.pop(i)
                if self.closed:
                    raise PdfUnavailable(f"Chromium closed the DevTools connection while waiting for {method}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PdfUnavailable(f"Chromium sent no {method} within {timeout:g} s")
                self.cond.wait(left)

    def drop_events(self, session: str) -> None:
        with self.cond:
            self.events = [e for e in self.events if e.get("sessionId") != session]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


HEADER = ('<div style="font-size:9px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
          'font-family:sans-serif"><span>{left}</span><span>page <span class="pageNumber"></span> of '
          '<span class="totalPages"></span></span></div>')


class PdfPrinter:
    """One headless Chromium printing many HTML files to PDF (A4/Letter, header on every page)."""

    def __init__(self, *, tabs: int = 2, paper: str = "letter", header: bool = True):
        self.header = header
        """False: the pages carry their own header (CSS page sections); print margins from the CSS."""
        self.tabs_wanted = max(1, tabs)
        self.paper = paper
        self.process: subprocess.Popen[bytes] | None = None
        self.profile = ""
        self.conn: _Connection | None = None
        self.tabs: list[_Tab] = []
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self.cpu_used = 0.0
        """CPU seconds Chromium used (its processes' times, measured when it is closed)."""

    def start_soon(self, warm_up: str = "") -> "PdfPrinter":
        """Start Chromium in a background thread (about a second of its start-up) while the caller does other
        work; :meth:`ready` waits for it. ``warm_up``: an HTML document like those to come, printed once by
        every tab and thrown away (a renderer's first print, which loads the fonts, costs about a second
        more than the next). Returns self."""

        def start() -> None:
            try:
                self.start()
                if warm_up:
                    with tempfile.TemporaryDirectory(prefix="autograder-warm-up-") as folder:
                        page = Path(folder) / "warm-up.html"
                        page.write_text(warm_up, encoding="utf-8")

                        def warm(tab: _Tab, i: int) -> None:
                            try:
                                self.print_one(tab, page, Path(folder) / f"{i}.pdf", "")
                            except Exception:  # noqa: BLE001 - the real print reports what is wrong
                                pass

                        threads = [threading.Thread(target=warm, args=(tab, i)) for i, tab in enumerate(self.tabs)]
                        for thread in threads:
                            thread.start()
                        for thread in threads:
                            thread.join()
            except BaseException as exc:  # noqa: BLE001 - raised by ready()
                self._start_error = exc

        self._starting = threading.Thread(target=start, daemon=True)
        self._starting.start()
        return self

    def ready(self) -> "PdfPrinter":
        """The started browser (waits for :meth:`start_soon`; starts it now if nothing started it)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error
        if self.conn is None:
            self.start()
        return self

    def __enter__(self) -> "PdfPrinter":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> None:
        binary = find_chromium()
        self.profile = tempfile.mkdtemp(prefix="autograder-chromium-")
        args = [binary, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
                "--disable-dev-shm-usage", f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
                "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its own sandbox
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        url = ""
        deadline = time.monotonic() + 30
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline().decode("utf-8", "replace")
            if not line and self.process.poll() is not None:
                break
            if "DevTools listening on" in line:
                url = line.split("DevTools listening on", 1)[1].strip()
                break
        if not url:
            self.close()
            raise PdfUnavailable(f"{binary} did not start its DevTools endpoint within 30 s")
        threading.Thread(target=self._drain, daemon=True).start()
        self.conn = _Connection(url)
        # the page Chromium opened (about:blank) is the first tab: every renderer costs about half a second
        # of CPU to start, so none is started for nothing
        opened = [t["targetId"] for t in self.conn.call("Target.getTargets").get("targetInfos", [])
                  if t.get("type") == "page"][:1]
        for n in range(self.tabs_wanted):
            if n < len(opened):
                target = opened[n]
            else:  # a browser context of its own gives each tab its own renderer process: tabs print in parallel
                context = self.conn.call("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
                target = self.conn.call("Target.createTarget", {"url": "about:blank",
                                                                "browserContextId": context})["targetId"]
            session = self.conn.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            tab = _Tab(self.conn, session)
            tab.call("Page.enable")
            self.tabs.append(tab)

    def _drain(self) -> None:
        stream = self.process.stderr if self.process else None
        while stream is not None and stream.read(65536):
            pass

    def print_one(self, tab: _Tab, html_path: Path, pdf_path: Path, header: str) -> None:
        self.conn.drop_events(tab.session)  # type: ignore[union-attr]
        tab.call("Page.navigate", url=Path(html_path).resolve().as_uri())
        self.conn.wait_event("Page.loadEventFired", tab.session)  # type: ignore[union-attr]
        width, height = (8.5, 11.0) if self.paper == "letter" else (8.27, 11.69)
        if self.header:
            options = dict(paperWidth=width, paperHeight=height, marginTop=0.6, marginBottom=0.5, marginLeft=0.5,
                           marginRight=0.5, displayHeaderFooter=True,
                           headerTemplate=HEADER.format(left=html.escape(header)), footerTemplate="<span></span>")
        else:
            options = dict(preferCSSPageSize=True)
        # untagged: a tagged PDF (the accessibility structure tree) doubles Chromium's time and triples the file
        # for paper that is printed, not read on screen; the pages look the same
        result = tab.call("Page.printToPDF", printBackground=True, timeout=300, generateTaggedPDF=False,
                          generateDocumentOutline=False, **options)
        pdf_path = Path(pdf_path)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        pdf_path.write_bytes(base64.b64decode(result["data"]))

    def print_many(self, jobs: Iterable[tuple[Path, Path, str]],
                   on_done: Callable[[tuple[Path, Path, str]], None] | None = None) -> int:
        """Print every (html, pdf, header) job over the open tabs; returns how many were printed.
        ``jobs`` is read lazily, one job at a time by whichever tab is free (a generator may write each
        job's HTML just before it is printed, while the other tab prints). ``on_done(job)`` runs in the
        tab's thread after each job (e.g. to split its PDF while the browser prints the next one)."""
        queue = iter(jobs)
        lock = threading.Lock()
        errors: list[BaseException] = []
        count = 0

        def worker(tab: _Tab) -> None:
            nonlocal count
            while True:
                with lock:
                    if errors:
                        return
                    try:
                        job = next(queue)
                    except StopIteration:
                        return
                    except BaseException as exc:  # noqa: BLE001 - the generator failed: re-raised in the caller
                        errors.append(exc)
                        return
                try:
                    self.print_one(tab, *job)
                    if on_done is not None:
                        on_done(job)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                    with lock:
                        errors.append(exc)
                    return
                with lock:
                    count += 1

        threads = [threading.Thread(target=worker, args=(tab,)) for tab in self.tabs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return count

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by Chromium's live processes (browser, renderers, utilities)."""
        import psutil

        if self.process is None:
            return 0.0
        try:
            root = psutil.Process(self.process.pid)
            tree = [root] + root.children(recursive=True)
        except psutil.Error:
            return 0.0
        total = 0.0
        for proc in tree:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self.process is not None:
            self.cpu_used = self.cpu_seconds()
        if self.conn is not None:
            try:
                self.conn.call("Browser.close", timeout=5)
            except Exception:
                pass
            self.conn.close()
            self.conn = None
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = ""


# ------------------------------------------------------------------ splitting a printed PDF per student
class UnsupportedPdf(ValueError):
    """A PDF whose structure :func:`split_pages` does not handle (the caller uses pypdf instead)."""


_REF = re.compile(rb"(\d+) 0 R\b")
_OBJ = re.compile(rb"\s*(\d+) 0 obj\s*")
_PARENT = re.compile(rb"/Parent \d+ 0 R")
_STREAM = re.compile(rb"stream\r?\n")
_INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")


class _Objects:
    """The objects of a classic PDF (one xref table, no object streams, no encryption), as Chromium's
    Skia writes it: ``dict_part(n)`` is an object's text before any stream data, ``body(n)`` all of it."""

    def __init__(self, data: bytes):
        self.data = data
        found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data[-64:])
        if not found:
            raise UnsupportedPdf("no startxref at the end")
        xref = int(found.group(1))
        end = data.find(b"trailer", xref)
        if not data.startswith(b"xref", xref) or end < 0:
            raise UnsupportedPdf("not a classic xref table (an xref stream?)")
        self.trailer = data[end:data.find(b"startxref", end)]
        if b"/Prev" in self.trailer or b"/Encrypt" in self.trailer:
            raise UnsupportedPdf("an updated or encrypted PDF")
        self.offsets: dict[int, int] = {}
        self._bodies: dict[int, bytes] = {}
        self._dicts: dict[int, bytes] = {}
        number, lines = 0, data[xref + 4:end].split(b"\n")
        for line in lines:
            fields = line.split()
            if len(fields) == 2:
                number = int(fields[0])
            elif len(fields) == 3:
                if fields[2] == b"n":
                    self.offsets[number] = int(fields[0])
                number += 1
        starts = sorted(self.offsets.values())
        following = dict(zip(starts, starts[1:] + [xref]))
        self.spans = {n: (off, following[off]) for n, off in self.offsets.items()}

    def body(self, n: int) -> bytes:
        """Object ``n``'s content between ``n 0 obj`` and ``endobj``."""
        if n not in self._bodies:
            self._bodies[n] = self._body(n)
        return self._bodies[n]

    def _body(self, n: int) -> bytes:
        start, stop = self.spans[n]
        chunk = self.data[start:stop]
        head = _OBJ.match(chunk)
        close = chunk.rfind(b"endobj")
        if not head or int(head.group(1)) != n or close < 0:
            raise UnsupportedPdf(f"object {n} is not where the xref table says")
        return chunk[head.end():close].rstrip(b"\r\n")

    def dict_part(self, n: int) -> bytes:
        if n not in self._dicts:
            self._dicts[n] = self._dict_part(n)
        return self._dicts[n]

    def _dict_part(self, n: int) -> bytes:
        body = self.body(n)
        found = _STREAM.search(body)
        if b"ObjStm" in body[:found.start() if found else None]:
            raise UnsupportedPdf("object streams")
        return body[:found.start()] if found else body

    def refs(self, n: int) -> list[int]:
        return [int(m.group(1)) for m in _REF.finditer(self.dict_part(n))]

    def pages(self) -> list[int]:
        """Page objects in order (the page tree flattened); refuses attributes inherited from the tree."""
        root = re.search(rb"/Root (\d+) 0 R", self.trailer)
        catalog = self.dict_part(int(root.group(1))) if root else b""
        top = re.search(rb"/Pages (\d+) 0 R", catalog)
        if not top:
            raise UnsupportedPdf("no page tree")
        out: list[int] = []

        def walk(n: int, depth: int) -> None:
            node = self.dict_part(n)
            if re.search(rb"/Type\s*/Pages\b", node):
                if depth > 32 or any(key in node for key in _INHERITED):
                    raise UnsupportedPdf("a page tree that pages inherit from")
                kids = re.search(rb"/Kids\s*\[([^\]]*)\]", node)
                for kid in _REF.finditer(kids.group(1) if kids else b""):
                    walk(int(kid.group(1)), depth + 1)
            else:
                out.append(n)

        walk(int(top.group(1)), 0)
        return out


def _pdf_text(text: str) -> bytes:
    """A PDF text string (UTF-16BE with its byte-order mark, in hex): any title, no escaping to get wrong."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def split_pages(pdf: bytes, targets: list[tuple[Path, str]], pages_each: int) -> None:
    """Write ``pdf``'s pages ``pages_each`` at a time to ``targets`` (``(path, title)``), each a complete PDF
    holding the objects its pages use (fonts, images), copied byte for byte. Raises :class:`UnsupportedPdf`
    for a structure other than Chromium's (the caller then splits with pypdf)."""
    objects = _Objects(pdf)
    pages = objects.pages()
    if len(pages) != pages_each * len(targets):
        raise UnsupportedPdf(f"{len(pages)} pages for {len(targets)} documents of {pages_each}")
    all_pages = set(pages)
    for i, (path, title) in enumerate(targets):
        mine = pages[i * pages_each:(i + 1) * pages_each]
        order: list[int] = []
        seen: set[int] = set()
        todo = list(mine)
        while todo:  # the objects the pages use, without their parent (the old page tree)
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            order.append(n)
            dict_part = objects.dict_part(n)
            if n in all_pages:
                dict_part = _PARENT.sub(b"", dict_part)
            for ref in _REF.finditer(dict_part):
                target = int(ref.group(1))
                if target in all_pages and target not in mine:
                    raise UnsupportedPdf("a page refers to another student's page")
                if target not in objects.offsets:
                    raise UnsupportedPdf(f"a reference to a missing object {target}")
                todo.append(target)
        order.sort()
        number = {old: new for new, old in enumerate(order, start=1)}
        kids_id, catalog_id, info_id = len(order) + 1, len(order) + 2, len(order) + 3
        out = [b"%PDF-1.4\n%\xd3\xeb\xe9\xe1\n"]
        offsets = []
        size = len(out[0])

        def emit(n: int, body: bytes) -> None:
            nonlocal size
            chunk = b"%d 0 obj\n" % n + body + b"\nendobj\n"
            offsets.append(size)
            out.append(chunk)
            size += len(chunk)

        for old in order:
            body = objects.body(old)
            found = _STREAM.search(body)
            head, tail = (body[:found.start()], body[found.start():]) if found else (body, b"")
            if old in all_pages:
                head = _PARENT.sub(b"", head)
            head = _REF.sub(lambda m: b"%d 0 R" % number[int(m.group(1))], head)
            if old in all_pages:  # the page's parent: the new page tree
                close = head.rfind(b">>")
                head = head[:close] + b"\n/Parent %d 0 R" % kids_id + head[close:]
            emit(number[old], head + tail)
        emit(kids_id, b"<</Type /Pages\n/Count %d\n/Kids [%s]>>" % (
            len(mine), b" ".join(b"%d 0 R" % number[p] for p in mine)))
        emit(catalog_id, b"<</Type /Catalog\n/Pages %d 0 R>>" % kids_id)
        emit(info_id, b"<</Title " + _pdf_text(title) + b"\n/Producer (autograder exam build)>>")
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (info_id + 1)] + [b"%010d 00000 n \n" % o for o in offsets]
        out += xref + [b"trailer\n<</Size %d\n/Root %d 0 R\n/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
            info_id + 1, catalog_id, info_id, size)]
        Path(path).write_bytes(b"".join(out))
