"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a live server."""
from __future__ import annotations

import os
import re
import shutil
from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from decimal import Decimal

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
    # The page's own sentences (the server words its errors differently), and nothing is sent.
    page.page.wait_for_selector("#symbol option", state="attached")
    assert page.order("buy", "limit", "0.5", "2000.001") == "Price must be a multiple of the tick size 0.01."
    assert page.order("buy", "limit", "0.5", "2000") != ""  # a valid one goes out: the check below can see it
    sent = [u for u in page.requests if u.endswith("/order")]
    assert len(sent) == 1
    assert page.order("buy", "limit", "0.123456789", "2000") == "Quantity must be a multiple of the step size 0.00000001."
    assert page.order("buy", "limit", "0.000001", "2000") == "Quantity is below the minimum 0.00001 for BTC-USDT."
    assert page.order("buy", "limit", "0.00001", "2000") == "Order value (price × quantity) is below the minimum 10."
    assert page.order("buy", "limit", "0.5", "") == "A limit order needs a price."
    assert [u for u in page.requests if u.endswith("/order")] == sent


def _levels(server: str, symbol: str) -> dict:
    return requests.get(f"{server}/book/{symbol}?levels=100", timeout=5).json()


def test_book_totals_depth_chart_and_one_depth_from_the_data(page: Page, server: str) -> None:
    p = page.page
    sym = "BNB-USDT"
    for i in range(14):  # more levels than the book shows
        requests.post(f"{server}/order", json={"symbol": sym, "side": "buy", "order_type": "limit",
                                               "quantity": f"0.{i + 1}", "price": f"{299 - i * 0.1:.2f}"}, timeout=5)
    requests.post(f"{server}/order", json={"symbol": sym, "side": "sell", "order_type": "limit", "quantity": "1",
                                           "price": "301.00"}, timeout=5)
    requests.post(f"{server}/order", json={"symbol": sym, "side": "sell", "order_type": "limit", "quantity": "1",
                                           "price": "900.00"}, timeout=5)  # far from the mid
    p.select_option("#symbol", sym)
    p.wait_for_function("document.querySelector('#best-ask').textContent === '301.00'")
    assert p.locator("#bids tr").count() == 10  # the first snapshot: as deep as every update
    book = _levels(server, sym)
    totals, running = [], Decimal(0)
    for price, qty in book["bids"][:10]:
        running += Decimal(qty)
        totals.append([price, qty, f"{running:.8f}"])
    rows = p.eval_on_selector_all("#bids tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert rows == totals
    requests.post(f"{server}/order", json={"symbol": sym, "side": "buy", "order_type": "limit", "quantity": "0.5",
                                           "price": "299.05"}, timeout=5)
    p.wait_for_function("[...document.querySelectorAll('#bids td')].some(c => c.textContent === '299.05')")
    assert p.locator("#bids tr").count() == 10  # and after an update
    # the depth chart: the 1% around the mid, the far bid and deep levels left out, and said so
    shown = requests.get(f"{server}/book/{sym}?levels=10", timeout=5).json()
    mid = (Decimal(shown["bids"][0][0]) + Decimal(shown["asks"][0][0])) / 2
    chart = p.eval_on_selector("#depth-chart", "c => ({...c.dataset})")
    assert chart["lo"] == shown["bids"][-1][0]  # the lowest bid shown is well within 1% of the mid
    assert abs(Decimal(chart["hi"]) - mid * Decimal("1.01")) <= Decimal("0.005"), (chart, mid)  # the ask at 900 is not
    assert re.fullmatch(r"\d+\.\d\d", chart["hi"])
    lo, hi = Decimal(chart["lo"]), mid * Decimal("1.01")
    drawn = [lv for lv in shown["bids"] + shown["asks"] if lo <= Decimal(lv[0]) <= hi]
    assert chart["levels"] == str(len(drawn)) == str(10 + 1)  # every bid shown, the 900.00 ask not
    note = p.text_content("#depth-note") or ""
    assert note.endswith(f"not shown: 1 ask level above {chart['hi']}."), note
    assert Decimal(chart["max"]) == sum(Decimal(q) for price, q in shown["bids"])  # bids outweigh the one ask
    assert page.errors == []


def test_price_chart_labels_keep_the_decimals_and_follow_the_trades(page: Page, server: str) -> None:
    p = page.page
    sym = "SOL-USDT"
    p.select_option("#symbol", sym)
    for price in ("101.10", "101.20"):
        for side in ("sell", "buy"):
            requests.post(f"{server}/order", json={"symbol": sym, "side": side, "order_type": "limit", "quantity": "0.5",
                                                   "price": price}, timeout=5)
    p.wait_for_function("document.querySelector('#price-chart').dataset.last === '101.20'")
    trades = requests.get(f"{server}/trades/{sym}?limit=50", timeout=5).json()["trades"]
    chart = p.eval_on_selector("#price-chart", "c => ({...c.dataset})")
    assert chart["points"] == str(len(trades))
    prices = [Decimal(t["price"]) for t in trades]
    assert chart["hi"] == f"{max(prices):.2f}" and chart["lo"] == f"{min(prices):.2f}"
    assert chart["last"] == "101.20" and chart["hi"].endswith("0")  # "101.20", not "101.2"


def test_switching_symbol_clears_the_price(page: Page) -> None:
    p = page.page
    p.wait_for_selector("#symbol option", state="attached")
    p.select_option("#symbol", "BTC-USDT")
    p.fill("#price", "30000.00")
    p.select_option("#symbol", "SOL-USDT")
    assert p.input_value("#price") == ""
    assert "0.01" in (p.get_attribute("#price", "placeholder") or "")


def test_post_only_refusal_is_a_sentence(page: Page, server: str) -> None:
    requests.post(f"{server}/order", json={"symbol": "ETH-USDT", "side": "sell", "order_type": "limit", "quantity": "1",
                                           "price": "2100.00"}, timeout=5)
    page.page.select_option("#symbol", "ETH-USDT")
    p = page.page
    p.select_option("#order-type", "limit")
    p.check("#post-only")
    msg = page.order("buy", "limit", "0.1", "2100.00")
    assert "rejected: a post-only order would have traded at once, so it was not placed (POST_ONLY_WOULD_TAKE)." in msg


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
    # the confirmation appears by the list whose button was pressed, not in the order form
    assert p.text_content("#mine-message") == f"Order {order_id} cancelled."
    assert p.text_content("#cancel-message") == ""
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
        assert pg.page.get_attribute("#book", "class").split().count("stale") == 1  # dimmed while offline
        assert "Offline" in (pg.page.text_content("#stale-note") or "")
        with running_server("--l2-interval-ms", "50", port=own) as url:
            pg.page.wait_for_selector("#conn.up", timeout=30_000)
            pg.page.wait_for_selector("#book:not(.stale)", timeout=15_000)
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
