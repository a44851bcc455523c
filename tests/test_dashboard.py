"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a live server."""
from __future__ import annotations

import os
import shutil
from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.servers import free_port, running_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: .ci/run must install Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(port: int) -> Iterator[str]:
    with running_server("--l2-interval-ms", "50", port=port) as url:
        yield url


class Page:
    """A page plus everything it logged and requested."""

    def __init__(self, browser, url: str) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("#conn.up", timeout=15_000)

    def order(self, side: str, order_type: str, qty: str, price: str | None = None, coid: str | None = None) -> str:
        p = self.page
        p.check(f"input[name=side][value={side}]")
        p.select_option("#order-type", order_type)
        p.fill("#quantity", qty)
        if price is not None:
            p.fill("#price", price)
        if coid is not None:
            p.fill("#client-order-id", coid)
        before = p.text_content("#order-message")
        p.click("#submit")
        p.wait_for_function("(b) => document.querySelector('#order-message').textContent !== b", arg=before)
        return p.text_content("#order-message") or ""

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    pg = Page(browser, server)
    yield pg
    pg.close()


def test_loads_offline_without_errors(page: Page, server: str) -> None:
    page.page.wait_for_selector("#symbol option", state="attached")
    page.page.wait_for_timeout(500)
    assert page.errors == []
    host = urlsplit(server).netloc
    foreign = [u for u in page.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != host]
    assert foreign == [], foreign
    assert page.page.text_content("#conn-text") == "live"
    # every form control has a label
    unlabeled = page.page.evaluate("""() => [...document.querySelectorAll('input, select')]
        .filter(e => e.type !== 'radio' && !e.labels.length).map(e => e.id)""")
    assert unlabeled == []


def test_limit_then_crossing_sell_trades_and_updates_book(page: Page) -> None:
    p = page.page
    p.select_option("#symbol", "ETH-USDT")
    assert "pending" in page.order("buy", "limit", "0.5", "2001.00")
    p.wait_for_function("document.querySelector('#best-bid').textContent === '2001.00'")
    assert p.text_content("#bids tr:first-child td:first-child") == "2001.00"
    msg = page.order("sell", "limit", "0.2", "2001.00")
    assert "filled" in msg and "1 trade" in msg
    p.wait_for_function("document.querySelector('#trade-feed tr td:nth-child(2)')?.textContent === '2001.00'")
    p.wait_for_function("document.querySelector('#bids tr:first-child td:nth-child(2)').textContent === '0.30000000'")
    assert p.text_content("#trade-count") != "0"
    assert page.errors == []


def test_ioc_and_fok_from_the_form(page: Page, server: str) -> None:
    for price in ("100.50", "100.60"):
        requests.post(f"{server}/order", json={"symbol": "SOL-USDT", "side": "sell", "order_type": "limit",
                                               "quantity": "1", "price": price}, timeout=5)
    page.page.select_option("#symbol", "SOL-USDT")
    ioc = page.order("buy", "ioc", "0.5", "100.50")
    assert "filled" in ioc and "error" not in ioc.lower()
    fok = page.order("buy", "fok", "1.2", "100.60")
    assert "filled" in fok
    too_big = page.order("buy", "fok", "5", "100.60")
    assert "rejected" in too_big and "FOK_NOT_FILLABLE" in too_big


def test_validation_mirrors_tick_and_step(page: Page) -> None:
    assert "tick size" in page.order("buy", "limit", "0.5", "2000.001")
    assert "minimum" in page.order("buy", "limit", "0.001", "2000")
    assert "needs a price" in page.order("buy", "limit", "0.5", "")


def test_cancel_from_my_orders_and_html_is_text(page: Page, server: str) -> None:
    p = page.page
    msg = page.order("sell", "limit", "0.01", "99999.00", coid=XSS)
    assert "pending" in msg
    row = p.locator("#my-orders tr").first
    assert row.locator("td").nth(1).text_content() == XSS
    assert p.locator("#my-orders img").count() == 0
    order_id = int(row.get_attribute("data-order-id") or 0)
    row.get_by_role("button", name=f"Cancel order {order_id}").click()
    p.wait_for_function(f"document.querySelector('#my-orders tr[data-order-id=\"{order_id}\"] .status').textContent === 'cancelled'")
    status = requests.get(f"{server}/order/{order_id}", timeout=5).json()
    assert status["status"] == "cancelled" and status["symbol"] == "BTC-USDT" and status["client_order_id"] == XSS
    assert page.dialogs == []


def test_reconnects_after_server_restart(browser, port: int) -> None:  # type: ignore[no-untyped-def]
    # its own server on its own port, so that the other tests' server keeps running
    own = free_port()
    with running_server("--l2-interval-ms", "50", port=own) as url:
        pg = Page(browser, url)
    try:
        pg.page.wait_for_selector("#conn.down", timeout=15_000)
        with running_server("--l2-interval-ms", "50", port=own) as url:
            pg.page.wait_for_selector("#conn.up", timeout=30_000)
            requests.post(f"{url}/order", json={"symbol": "BTC-USDT", "side": "buy", "order_type": "limit",
                                                "quantity": "0.1", "price": "12345.00"}, timeout=5)
            pg.page.wait_for_function("document.querySelector('#best-bid').textContent === '12345.00'", timeout=15_000)
    finally:
        pg.close()


def test_fits_a_phone_width(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server)
        page.wait_for_selector("#conn.up", timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.is_visible("#order-form") and page.is_visible("#book-h") and page.is_visible("#mine-h")
    finally:
        context.close()
