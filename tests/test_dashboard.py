"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a live server.

The page signs in by itself as the first demo account (demo-1); orders that tests place over REST
to give it something to trade against come from the other demo account (demo-2), so that they never
belong on the page's "My orders". An account never trades with itself (self-trade prevention), so
every trade here is between two accounts. The server has an admin key: balance tests make accounts
with little money and deposit to them.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.servers import (
    ROOT,
    demo_key,
    free_port,
    running_server,
    signed_in,
    wait_healthy,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"
ADMIN_KEY = secrets.token_urlsafe(24)

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
    with running_server("--l2-interval-ms", "50", f"--admin-key={ADMIN_KEY}", port=port) as url:
        yield url


@pytest.fixture(scope="module")
def mine(server: str) -> requests.Session:
    """REST as demo-1, the account the page signs in as."""
    return signed_in(server, 0)


@pytest.fixture(scope="module")
def other(server: str) -> requests.Session:
    """REST as demo-2, the other demo account."""
    return signed_in(server, 1)


class Page:
    """A page plus everything it logged and requested."""

    def __init__(self, browser, url: str, signed_in: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.sent: list[tuple[str, str, dict[str, str]]] = []  # (method, url, headers)
        self.sockets: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: (self.requests.append(r.url), self.sent.append((r.method, r.url, r.headers))))
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("#conn.up", timeout=15_000)
        if signed_in:
            self.page.wait_for_selector("#account-box.signed-in", timeout=15_000)

    def account(self) -> str:
        return self.page.text_content("#account-name") or ""

    def session_storage(self) -> dict[str, str]:
        return self.page.evaluate("() => ({...sessionStorage})")

    def local_storage(self) -> dict[str, str]:
        return self.page.evaluate("() => ({...localStorage})")

    def my_client_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("#my-orders tr td:nth-child(2)", "cells => cells.map(c => c.textContent)")

    def wait_my_order(self, client_order_id: str, timeout: float = 10_000) -> None:
        self.page.wait_for_function(
            "(c) => [...document.querySelectorAll('#my-orders tr td:nth-child(2)')].some(td => td.textContent === c)",
            arg=client_order_id, timeout=timeout)

    def switch_to(self, name: str) -> None:
        value = self.page.eval_on_selector(
            "#account-select", "(s, n) => [...s.options].find(o => o.textContent === n + ' (demo)').value", name)
        self.page.select_option("#account-select", value)
        self.page.wait_for_function("(n) => document.querySelector('#account-name').textContent === n", arg=name)

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


def test_limit_then_crossing_sell_trades_and_updates_book(page: Page, server: str, other: requests.Session) -> None:
    p = page.page
    p.select_option("#symbol", "ETH-USDT")
    assert "pending" in page.order("buy", "limit", "0.5", "2001.00")
    p.wait_for_function("document.querySelector('#best-bid').textContent === '2001.00'")
    assert p.text_content("#bids tr:first-child td:first-child") == "2001.00"
    # demo-2 sells into the page's bid
    taker = other.post(f"{server}/order", json={"symbol": "ETH-USDT", "side": "sell", "order_type": "limit",
                                                "quantity": "0.2", "price": "2001.00"}, timeout=5).json()
    assert taker["status"] == "filled", taker
    p.wait_for_function("document.querySelector('#trade-feed tr td:nth-child(2)')?.textContent === '2001.00'")
    p.wait_for_function("document.querySelector('#bids tr:first-child td:nth-child(2)').textContent === '0.30000000'")
    assert p.text_content("#trade-count") != "0"
    # and an order from the form that crosses demo-2's ask trades at once
    other.post(f"{server}/order", json={"symbol": "ETH-USDT", "side": "sell", "order_type": "limit", "quantity": "0.1",
                                        "price": "2001.50"}, timeout=5).raise_for_status()
    msg = page.order("buy", "limit", "0.1", "2001.50")
    assert "filled" in msg and "1 trade" in msg
    assert page.errors == []


def test_ioc_and_fok_from_the_form(page: Page, server: str, other: requests.Session) -> None:
    for price in ("100.50", "100.60"):
        other.post(f"{server}/order", json={"symbol": "SOL-USDT", "side": "sell", "order_type": "limit",
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


def test_book_totals_depth_chart_and_one_depth_from_the_data(page: Page, server: str, other: requests.Session) -> None:
    p = page.page
    sym = "BNB-USDT"
    for i in range(14):  # more levels than the book shows
        other.post(f"{server}/order", json={"symbol": sym, "side": "buy", "order_type": "limit",
                                            "quantity": f"0.{i + 1}", "price": f"{299 - i * 0.1:.2f}"}, timeout=5)
    other.post(f"{server}/order", json={"symbol": sym, "side": "sell", "order_type": "limit", "quantity": "1",
                                        "price": "301.00"}, timeout=5)
    other.post(f"{server}/order", json={"symbol": sym, "side": "sell", "order_type": "limit", "quantity": "1",
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
    other.post(f"{server}/order", json={"symbol": sym, "side": "buy", "order_type": "limit", "quantity": "0.5",
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


def test_price_chart_labels_keep_the_decimals_and_follow_the_trades(page: Page, server: str, mine: requests.Session,
                                                                   other: requests.Session) -> None:
    p = page.page
    sym = "SOL-USDT"
    p.select_option("#symbol", sym)
    for price in ("101.10", "101.20"):  # demo-2 sells, demo-1 buys: a trade at each price
        for side, session in (("sell", other), ("buy", mine)):
            session.post(f"{server}/order", json={"symbol": sym, "side": side, "order_type": "limit", "quantity": "0.5",
                                                  "price": price}, timeout=5).raise_for_status()
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


def test_post_only_refusal_is_a_sentence(page: Page, server: str, other: requests.Session) -> None:
    other.post(f"{server}/order", json={"symbol": "ETH-USDT", "side": "sell", "order_type": "limit", "quantity": "1",
                                           "price": "2100.00"}, timeout=5)
    page.page.select_option("#symbol", "ETH-USDT")
    p = page.page
    p.select_option("#order-type", "limit")
    p.check("#post-only")
    msg = page.order("buy", "limit", "0.1", "2100.00")
    assert "rejected: a post-only order would have traded at once, so it was not placed (POST_ONLY_WOULD_TAKE)." in msg


def test_cancel_from_my_orders_and_html_is_text(page: Page, server: str, mine: requests.Session) -> None:
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
    status = mine.get(f"{server}/order/{order_id}", timeout=5).json()
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
            # in memory, the restarted server has new demo accounts: the old key is refused at (re)connect,
            # and the page signs in again as demo-1 with the new server's key
            key = demo_key(url, 0)
            pg.page.wait_for_function("(k) => sessionStorage.getItem('matching-engine.api-key') === k", arg=key,
                                      timeout=30_000)
            pg.page.wait_for_selector("#conn.up", timeout=30_000)
            pg.page.wait_for_selector("#book:not(.stale)", timeout=15_000)
            assert pg.account() == "demo-1"
            assert "refused" in (pg.page.text_content("#account-message") or "")
            requests.post(f"{url}/order", json={"symbol": "BTC-USDT", "side": "buy", "order_type": "limit",
                                                "quantity": "0.1", "price": "12345.00", "client_order_id": "after-restart"},
                          headers={"X-API-Key": key}, timeout=5)
            pg.page.wait_for_function("document.querySelector('#best-bid').textContent === '12345.00'", timeout=15_000)
            pg.wait_my_order("after-restart")  # that order is demo-1's: it comes in on the private feed
            assert "pending" in pg.order("sell", "limit", "0.01", "99999.00")  # and the page can trade again
    finally:
        pg.close()


def test_fits_a_phone_width(browser, server: str, mine: requests.Session) -> None:  # type: ignore[no-untyped-def]
    _rest_order(mine, server, _coid("phone") + XSS)  # a wide "My orders" row: the table scrolls, not the page
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server)
        page.wait_for_selector("#conn.up", timeout=15_000)
        page.wait_for_selector("#my-orders tr", timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.is_visible("#order-form") and page.is_visible("#book-h") and page.is_visible("#mine-h")
    finally:
        context.close()


# ---- accounts ----------------------------------------------------------------------------

def _coid(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def _rest_order(session: requests.Session, server: str, coid: str, side: str = "buy", price: str = "10000.00",
                qty: str = "0.01", symbol: str = "BTC-USDT") -> dict:
    r = session.post(f"{server}/order", json={"symbol": symbol, "side": side, "order_type": "limit", "quantity": qty,
                                              "price": price, "client_order_id": coid}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def _assert_key_kept_in_session_storage_only(page: Page, key: str) -> None:
    assert key in page.session_storage().values()
    assert not any(key in v for v in page.local_storage().values())
    assert key not in page.page.url
    assert not [u for u in page.requests + page.sockets if key in u]  # no request or socket URL carries it


def test_signs_in_as_a_demo_account_by_itself(page: Page, server: str) -> None:
    demo = requests.get(f"{server}/demo/keys", timeout=5).json()["accounts"]
    assert page.account() == demo[0]["name"] == "demo-1"
    assert page.page.text_content("#mine-account") == "of demo-1"
    assert page.page.text_content("#signin-note") == ""
    options = page.page.eval_on_selector_all("#account-select option", "os => os.map(o => [o.textContent, o.selected])")
    assert options == [["demo-1 (demo)", True], ["demo-2 (demo)", False]]
    _assert_key_kept_in_session_storage_only(page, demo[0]["api_key"])
    # the key goes to private endpoints in a header, and to nothing public
    private = [(m, u, h) for m, u, h in page.sent if urlsplit(u).path in ("/account", "/orders")]
    assert private and all(h.get("x-api-key") == demo[0]["api_key"] for _, _, h in private)
    public = [h for _, u, h in page.sent if urlsplit(u).path.startswith(("/book/", "/trades/", "/symbols"))]
    assert public and not any("x-api-key" in h for h in public)
    assert page.errors == []


def test_places_and_cancels_orders_as_the_signed_in_account(page: Page, server: str, mine: requests.Session,
                                                            other: requests.Session) -> None:
    p = page.page
    coid = _coid("page")
    msg = page.order("buy", "limit", "0.01", "10000.00", coid=coid)
    assert "pending" in msg
    page.wait_my_order(coid)
    order_id = int(p.locator("#my-orders tr").first.get_attribute("data-order-id") or 0)
    sent = [h for m, u, h in page.sent if m == "POST" and urlsplit(u).path == "/order"]
    assert sent and sent[-1].get("x-api-key") == demo_key(server, 0)
    # the order is demo-1's: its owner sees it, the other account does not
    assert mine.get(f"{server}/order/{order_id}", timeout=5).json()["client_order_id"] == coid
    assert order_id in [o["order_id"] for o in mine.get(f"{server}/orders", timeout=5).json()["orders"]]
    assert other.get(f"{server}/order/{order_id}", timeout=5).status_code == 404
    # cancel by id, from the form
    p.fill("#cancel-id", str(order_id))
    p.click("#cancel-form button[type=submit]")
    p.wait_for_function("document.querySelector('#cancel-message').textContent !== ''")
    assert p.text_content("#cancel-message") == f"Order {order_id} cancelled."
    p.wait_for_function(f"document.querySelector('#my-orders tr[data-order-id=\"{order_id}\"] .status').textContent === 'cancelled'")
    assert mine.get(f"{server}/order/{order_id}", timeout=5).json()["status"] == "cancelled"
    assert page.errors == []


def test_my_orders_are_the_signed_in_accounts_only_and_follow_a_switch(browser, server: str, mine: requests.Session,  # type: ignore[no-untyped-def]
                                                                       other: requests.Session) -> None:
    # before the page loads: what GET /orders gives
    mine_before, theirs_before = _coid("mine-before"), _coid("theirs-before")
    _rest_order(mine, server, mine_before)
    _rest_order(other, server, theirs_before)
    page = Page(browser, server)
    try:
        assert page.account() == "demo-1"
        page.wait_my_order(mine_before)
        assert theirs_before not in page.my_client_ids()
        # while it is open: what the private feed brings. demo-2's order goes first, so that by the time
        # demo-1's later one is listed, demo-2's would have been too if the feed delivered it.
        theirs_live, mine_live = _coid("theirs-live"), _coid("mine-live")
        _rest_order(other, server, theirs_live)
        _rest_order(mine, server, mine_live)
        page.wait_my_order(mine_live)
        # demo-2 trades with demo-1's resting buy: demo-1's order shows the fill, demo-2's order is not listed
        mine_cross, theirs_cross = _coid("mine-cross"), _coid("theirs-cross")
        _rest_order(mine, server, mine_cross, side="buy", price="10001.00", qty="0.5")
        page.wait_my_order(mine_cross)
        taker = _rest_order(other, server, theirs_cross, side="sell", price="10001.00", qty="0.2")
        assert taker["status"] == "filled" and taker["trades"][0]["price"] == "10001.00"
        page.page.wait_for_function(
            "(c) => [...document.querySelectorAll('#my-orders tr')].some(r => r.cells[1].textContent === c &&"
            " r.cells[5].textContent === '0.20000000 / 0.50000000' && r.cells[6].textContent === 'partially_filled')",
            arg=mine_cross)
        mine_last = _coid("mine-last")
        _rest_order(mine, server, mine_last)
        page.wait_my_order(mine_last)
        listed = page.my_client_ids()
        assert {mine_before, mine_live, mine_cross, mine_last} <= set(listed)
        assert not [c for c in listed if c and c.startswith("theirs-")], listed
        # every row is demo-1's, as the server sees it
        ids = [int(i) for i in page.page.eval_on_selector_all("#my-orders tr", "rows => rows.map(r => r.dataset.orderId)")]
        owned = {o["order_id"] for o in mine.get(f"{server}/orders?status=all&limit=500", timeout=5).json()["orders"]}
        assert set(ids) <= owned
        # after a reload: the same, from GET /orders
        page.page.reload()
        page.page.wait_for_selector("#account-box.signed-in", timeout=15_000)
        page.wait_my_order(mine_cross)
        listed = page.my_client_ids()
        assert {mine_before, mine_live, mine_cross, mine_last} <= set(listed)
        assert not [c for c in listed if c and c.startswith("theirs-")], listed
        assert page.account() == "demo-1"

        # switch to demo-2: its orders instead, and a new connection with its key
        sockets_before = len(page.sockets)
        page.switch_to("demo-2")
        page.wait_my_order(theirs_live)
        listed = page.my_client_ids()
        assert {theirs_before, theirs_live} <= set(listed)
        assert not [c for c in listed if c and c.startswith("mine-")], listed
        assert page.page.text_content("#mine-account") == "of demo-2"
        assert len(page.sockets) > sockets_before  # reconnected
        _assert_key_kept_in_session_storage_only(page, demo_key(server, 1))
        assert demo_key(server, 0) not in page.session_storage().values()
        # and now demo-1's new orders are the ones that do not come in
        mine_after, theirs_after = _coid("mine-after"), _coid("theirs-after")
        _rest_order(mine, server, mine_after)
        _rest_order(other, server, theirs_after)
        page.wait_my_order(theirs_after)
        assert mine_after not in page.my_client_ids()
        # an order from the form now is demo-2's
        coid = _coid("theirs-form")
        assert "pending" in page.order("buy", "limit", "0.01", "10000.00", coid=coid)
        page.wait_my_order(coid)
        assert coid in [o["client_order_id"] for o in other.get(f"{server}/orders", timeout=5).json()["orders"]]
        assert page.errors == []
    finally:
        page.close()


def test_another_key_and_signing_out(page: Page, server: str) -> None:
    p = page.page
    p.click("#key-toggle")
    assert p.is_visible("#api-key") and p.get_attribute("#api-key", "type") == "password"
    bogus = "me_000000000000_" + "x" * 43
    p.fill("#api-key", bogus)
    p.click("#key-form button[type=submit]")
    p.wait_for_function("document.querySelector('#account-message').textContent.startsWith('This key was not accepted')")
    msg = p.text_content("#account-message") or ""
    assert "(INVALID_API_KEY)" in msg and msg.endswith("Still signed in as demo-1."), msg
    assert page.account() == "demo-1" and bogus not in page.session_storage().values()
    # a pasted key that works: demo-2's, as a user would copy it from the server's output
    key = demo_key(server, 1)
    p.fill("#api-key", key)
    p.click("#key-form button[type=submit]")
    p.wait_for_function("document.querySelector('#account-name').textContent === 'demo-2'")
    assert p.is_hidden("#key-form") and p.input_value("#api-key") == ""
    _assert_key_kept_in_session_storage_only(page, key)
    # signing out forgets the key; the form says so and sends nothing
    p.click("#sign-out")
    p.wait_for_selector("#account-box:not(.signed-in)")
    assert page.account() == "not signed in"
    assert page.session_storage().get("matching-engine.api-key") is None
    assert not any(key in v for v in page.session_storage().values())
    assert "Not signed in" in (p.text_content("#signin-note") or "")
    assert p.locator("#my-orders tr").count() == 0
    p.wait_for_selector("#conn.up")  # the public feeds stay
    orders_sent = [u for u in page.requests if u.endswith("/order")]
    msg = page.order("buy", "limit", "0.01", "10000.00")
    assert msg.startswith("Not signed in: the order was not sent.")
    assert [u for u in page.requests if u.endswith("/order")] == orders_sent
    # a reload stays signed out (the user chose to); the switcher signs in again
    p.reload()
    p.wait_for_selector("#conn.up", timeout=15_000)
    p.wait_for_selector("#account-select option[value='demo:0']", state="attached")
    p.wait_for_timeout(300)
    assert page.account() == "not signed in"
    page.switch_to("demo-1")
    _assert_key_kept_in_session_storage_only(page, demo_key(server, 0))


# ---- balances ------------------------------------------------------------------------------

TICK = Decimal("0.01")


def _balances(session: requests.Session, server: str) -> dict[str, dict[str, str]]:
    r = session.get(f"{server}/account", timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["balances"]


def _key_session(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-API-Key"] = key
    return session


def _admin_account(server: str, label: str) -> dict:
    """A new account made through the admin surface: it holds nothing until a deposit."""
    r = requests.post(f"{server}/admin/accounts", json={"name": f"{label}-{uuid.uuid4().hex[:6]}"},
                      headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _deposit(server: str, name: str, asset: str, amount: str) -> None:
    r = requests.post(f"{server}/admin/accounts/{name}/deposit", json={"asset": asset, "amount": amount},
                      headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    assert r.status_code == 200, r.text


def _sign_in_with(page: Page, made: dict) -> None:
    p = page.page
    p.click("#key-toggle")
    p.fill("#api-key", made["api_key"])
    p.click("#key-form button[type=submit]")
    p.wait_for_function("(n) => document.querySelector('#account-name').textContent === n", arg=made["name"])


def _rows(balances: dict[str, dict[str, str]]) -> list[list[str]]:
    return [[a, b["available"], b["locked"]] for a, b in sorted(balances.items())]


def _page_rows(page: Page) -> list[list[str]]:
    return page.page.eval_on_selector_all(
        "#balances tr", "rows => rows.map(r => [r.dataset.asset, r.cells[1].textContent, r.cells[2].textContent])")


def _wait_page_balances(page: Page, balances: dict[str, dict[str, str]], timeout: float = 10_000) -> None:
    """The balances panel shows exactly these strings (every asset, in order)."""
    want = _rows(balances)
    try:
        page.page.wait_for_function(
            "(w) => JSON.stringify([...document.querySelectorAll('#balances tr')].map(r => [r.dataset.asset,"
            " r.cells[1].textContent, r.cells[2].textContent])) === JSON.stringify(w)", arg=want, timeout=timeout)
    except sync_api.TimeoutError:
        assert _page_rows(page) == want  # says what differs


def _funds(page: Page) -> list[list[str]]:
    """The two assets at the order form: [asset, available, locked] each."""
    return page.page.eval_on_selector_all(
        "#funds .fund", "fs => fs.map(f => ['.asset', '.available', '.locked'].map(c => f.querySelector(c).textContent))")


def _account_gets(page: Page) -> int:
    return sum(1 for m, u, _ in page.sent if m == "GET" and urlsplit(u).path == "/account")


def _order_posts(page: Page) -> list[str]:
    return [u for m, u, _ in page.sent if m == "POST" and urlsplit(u).path == "/order"]


def _fee(server: str, symbol: str) -> Decimal:
    info = requests.get(f"{server}/symbols", timeout=5).json()["symbol_info"][symbol]
    return max(Decimal(info["maker_fee_rate"]), Decimal(info["taker_fee_rate"]))


def _text(amount: Decimal) -> str:
    """An amount as the server writes it: exact, trailing zeros dropped beyond two decimals."""
    text = format(amount.normalize(), "f")
    whole, _, frac = text.partition(".")
    return whole + "." + frac.ljust(2, "0")


def _price_inside(server: str, symbol: str) -> Decimal:
    """A price one tick above the best bid and below the best ask: an order there is alone at the top."""
    book = requests.get(f"{server}/book/{symbol}?levels=1", timeout=5).json()
    bid = Decimal(book["bids"][0][0]) if book["bids"] else None
    ask = Decimal(book["asks"][0][0]) if book["asks"] else None
    price = bid + TICK if bid is not None else (ask - 100 * TICK if ask is not None else Decimal("1000.00"))
    assert price > 0 and (ask is None or price < ask), (bid, ask)
    return price


def test_balances_of_the_signed_in_account_follow_symbol_and_account(page: Page, server: str, mine: requests.Session,
                                                                     other: requests.Session) -> None:
    p = page.page
    p.wait_for_selector("#symbol option", state="attached")
    p.select_option("#symbol", "BTC-USDT")
    _wait_page_balances(page, _balances(mine, server))
    assert p.text_content("#balances-account") == "of demo-1"
    assert set(_balances(mine, server)) >= {"BTC", "ETH", "USDT"}
    # the symbol's two assets at the form, and marked in the list
    own = _balances(mine, server)
    assert _funds(page) == [["BTC", own["BTC"]["available"], own["BTC"]["locked"]],
                            ["USDT", own["USDT"]["available"], own["USDT"]["locked"]]]
    assert p.eval_on_selector_all("#balances tr.current", "rs => rs.map(r => r.dataset.asset)") == ["BTC", "USDT"]
    p.select_option("#symbol", "ETH-USDT")
    assert [f[0] for f in _funds(page)] == ["ETH", "USDT"]
    assert p.eval_on_selector_all("#balances tr.current", "rs => rs.map(r => r.dataset.asset)") == ["ETH", "USDT"]
    # another account: its balances
    other.post(f"{server}/order", json={"symbol": "SOL-USDT", "side": "sell", "order_type": "limit", "quantity": "0.37",
                                        "price": "99999.00"}, timeout=5).raise_for_status()  # demo-2's differ
    page.switch_to("demo-2")
    _wait_page_balances(page, _balances(other, server))
    assert _page_rows(page) != _rows(_balances(mine, server))
    assert p.text_content("#balances-account") == "of demo-2"
    # signed out: none
    p.click("#sign-out")
    p.wait_for_selector("#account-box:not(.signed-in)")
    assert p.locator("#balances tr").count() == 0
    assert p.is_hidden("#funds")
    assert (p.text_content("#balances-note") or "").startswith("Not signed in")
    assert p.text_content("#order-cost") == ""
    assert page.errors == []


def test_a_resting_buy_locks_its_cost_live_and_a_cancel_releases_it(page: Page, server: str,
                                                                    mine: requests.Session) -> None:
    p = page.page
    symbol = "BTC-USDT"
    p.select_option("#symbol", symbol)
    before = _balances(mine, server)
    _wait_page_balances(page, before)
    price, qty = Decimal("10000.01"), Decimal("0.123")  # not round: every digit of the lock counts
    lock = price * qty * (1 + _fee(server, symbol))
    assert _text(lock) == "1231.23123123"
    # the form says what the order will lock before it is sent
    p.check("input[name=side][value=buy]")
    p.select_option("#order-type", "limit")
    p.fill("#quantity", str(qty))
    p.fill("#price", str(price))
    assert p.text_content("#order-cost") == (f"Locks 1231.23123123 USDT (price × quantity + 0.1% fee) of "
                                              f"{before['USDT']['available']} available.")
    gets = _account_gets(page)
    coid = _coid("lock")
    assert "pending" in page.order("buy", "limit", str(qty), str(price), coid=coid)
    after = _balances(mine, server)
    assert Decimal(after["USDT"]["locked"]) - Decimal(before["USDT"]["locked"]) == lock
    assert Decimal(before["USDT"]["available"]) - Decimal(after["USDT"]["available"]) == lock
    assert after["BTC"] == before["BTC"]
    _wait_page_balances(page, after)  # live: the account event, not a new GET /account
    assert _funds(page)[1] == ["USDT", after["USDT"]["available"], after["USDT"]["locked"]]
    assert _account_gets(page) == gets
    # cancelling gives it back
    page.wait_my_order(coid)
    row = p.locator("#my-orders tr", has_text=coid)
    order_id = int(row.get_attribute("data-order-id") or 0)
    row.get_by_role("button", name=f"Cancel order {order_id}").click()
    p.wait_for_function("document.querySelector('#mine-message').textContent !== ''")
    released = _balances(mine, server)
    assert released == before
    _wait_page_balances(page, released)
    assert _account_gets(page) == gets
    assert page.errors == []


def test_a_trade_with_demo_2_settles_both_accounts_live(browser, page: Page, server: str,  # type: ignore[no-untyped-def]
                                                        mine: requests.Session, other: requests.Session) -> None:
    p = page.page
    symbol = "ETH-USDT"
    p.select_option("#symbol", symbol)
    info = requests.get(f"{server}/symbols", timeout=5).json()["symbol_info"][symbol]
    maker_fee, taker_fee = Decimal(info["maker_fee_rate"]), Decimal(info["taker_fee_rate"])
    lock_rate = 1 + max(maker_fee, taker_fee)
    price = _price_inside(server, symbol)
    qty, sold = Decimal("0.25"), Decimal("0.1")
    mine_before, theirs_before = _balances(mine, server), _balances(other, server)
    _wait_page_balances(page, mine_before)
    gets = _account_gets(page)
    # demo-1 (the page) rests a buy at the top of the book; demo-2 sells part of it
    assert "pending" in page.order("buy", "limit", str(qty), str(price), coid=_coid("settle"))
    taker = other.post(f"{server}/order", json={"symbol": symbol, "side": "sell", "order_type": "limit",
                                                "quantity": str(sold), "price": str(price)}, timeout=5).json()
    assert taker["status"] == "filled" and taker["trades"][0]["price"] == f"{price:.2f}", taker
    mine_after, theirs_after = _balances(mine, server), _balances(other, server)

    def moved(after: dict, before: dict, asset: str, field: str) -> Decimal:
        return Decimal(after[asset][field]) - Decimal(before[asset][field])

    value = price * sold
    # demo-1, the maker: the ETH bought; the USDT paid (value + maker fee) left its lock, the rest still locked
    assert moved(mine_after, mine_before, "ETH", "available") == sold
    assert moved(mine_after, mine_before, "USDT", "locked") == price * (qty - sold) * lock_rate
    assert moved(mine_after, mine_before, "USDT", "available") == -(price * qty * lock_rate) + \
        (price * sold * lock_rate - value * (1 + maker_fee))
    # demo-2, the taker: the ETH sold, the value less its fee
    assert moved(theirs_after, theirs_before, "ETH", "available") == -sold
    assert moved(theirs_after, theirs_before, "USDT", "available") == value * (1 - taker_fee)
    # the page shows demo-1's, to the digit, brought by the account event
    _wait_page_balances(page, mine_after)
    assert _funds(page) == [["ETH", mine_after["ETH"]["available"], mine_after["ETH"]["locked"]],
                            ["USDT", mine_after["USDT"]["available"], mine_after["USDT"]["locked"]]]
    assert _account_gets(page) == gets
    # a page signed in as demo-2 shows demo-2's
    pg2 = Page(browser, server)
    try:
        pg2.switch_to("demo-2")
        _wait_page_balances(pg2, theirs_after)
    finally:
        pg2.close()
    assert page.errors == []


def test_short_funds_are_said_before_sending_and_a_deposit_shows_live(page: Page, server: str) -> None:
    p = page.page
    symbol = "BTC-USDT"
    made = _admin_account(server, "small")
    _deposit(server, made["name"], "USDT", "100")
    _sign_in_with(page, made)
    _wait_page_balances(page, {"USDT": {"available": "100.00", "locked": "0.00"}})
    p.select_option("#symbol", symbol)
    assert _funds(page) == [["BTC", "0.00", "0.00"], ["USDT", "100.00", "0.00"]]  # no BTC yet: none
    posts = _order_posts(page)
    # a buy: 0.1 x 30000.00 x 1.001 = 3003.00 USDT, and the account has 100.00
    msg = page.order("buy", "limit", "0.1", "30000.00")
    assert msg == "Not enough USDT: needs 3003.00 USDT, available 100.00. The order was not sent.", msg
    assert p.text_content("#order-cost") == "Not enough USDT: needs 3003.00 USDT, available 100.00."
    assert "short" in (p.get_attribute("#order-cost", "class") or "")
    # a sell: its quantity of BTC, of which the account has none
    msg = page.order("sell", "limit", "0.1", "30000.00")
    assert msg == "Not enough BTC: needs 0.10 BTC, available 0.00. The order was not sent.", msg
    assert _order_posts(page) == posts  # nothing went out
    # the server's own numbers are the same
    refused = _key_session(made["api_key"]).post(f"{server}/order", json={
        "symbol": symbol, "side": "buy", "order_type": "limit", "quantity": "0.1", "price": "30000.00"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error_code"] == "INSUFFICIENT_BALANCE"
    assert "needs 3003.00 USDT" in refused.json()["error"] and refused.json()["error"].endswith("the account has 100.00")
    # a deposit through the admin surface: the panel follows without a reload or a GET /account
    gets = _account_gets(page)
    _deposit(server, made["name"], "USDT", "2903")
    _wait_page_balances(page, {"USDT": {"available": "3003.00", "locked": "0.00"}})
    assert _account_gets(page) == gets
    assert _funds(page)[1] == ["USDT", "3003.00", "0.00"]
    # exactly enough now: the order goes out, and locks all of it
    p.check("input[name=side][value=buy]")
    p.fill("#quantity", "0.1")
    p.fill("#price", "30000.00")
    assert "short" not in (p.get_attribute("#order-cost", "class") or "")
    assert p.text_content("#order-cost") == "Locks 3003.00 USDT (price × quantity + 0.1% fee) of 3003.00 available."
    assert "pending" in page.order("buy", "limit", "0.1", "30000.00")
    assert len(_order_posts(page)) == len(posts) + 1
    _wait_page_balances(page, {"USDT": {"available": "0.00", "locked": "3003.00"}})
    assert _balances(_key_session(made["api_key"]), server) == {"USDT": {"available": "0.00", "locked": "3003.00"}}
    assert page.errors == []


def test_a_market_buy_walks_the_asks_shown_and_leaves_the_rest_to_the_server(page: Page, server: str,
                                                                            other: requests.Session) -> None:
    p = page.page
    symbol = "SOL-USDT"
    fee = _fee(server, symbol)
    for i in range(14):  # more ask levels than the page shows, above whatever the book holds
        other.post(f"{server}/order", json={"symbol": symbol, "side": "sell", "order_type": "limit", "quantity": "0.1",
                                            "price": f"{5000 + i}.00"}, timeout=5).raise_for_status()
    made = _admin_account(server, "taker")
    account = _key_session(made["api_key"])
    _sign_in_with(page, made)
    p.select_option("#symbol", symbol)

    def shown_asks() -> list[list[str]]:
        asks = requests.get(f"{server}/book/{symbol}?levels=100", timeout=5).json()["asks"]
        p.wait_for_function(
            "(w) => JSON.stringify([...document.querySelectorAll('#asks tr')].reverse().map(r => [r.cells[0].textContent,"
            " r.cells[1].textContent])) === JSON.stringify(w)", arg=asks[:10])
        return asks

    def cost(asks: list[list[str]], qty: Decimal) -> tuple[Decimal, Decimal]:
        total, left = Decimal(0), qty
        for price, size in asks:
            take = min(left, Decimal(size))
            total, left = total + Decimal(price) * take, left - take
        return total * (1 + fee), left

    # within the asks shown: exact, to the last of USDT's 13 decimals
    asks = shown_asks()
    qty = (Decimal(asks[0][1]) + Decimal(asks[1][1]) / 2).quantize(Decimal("0.00000001"))  # into the second level
    need, left = cost(asks[:10], qty)
    assert left == 0
    short = need - Decimal("0.0000000000001")
    _deposit(server, made["name"], "USDT", format(short, "f"))
    _wait_page_balances(page, {"USDT": {"available": _text(short), "locked": "0.00"}})
    posts = _order_posts(page)
    msg = page.order("buy", "market", str(qty))
    assert msg == f"Not enough USDT: needs {_text(need)} USDT, available {_text(short)}. The order was not sent.", msg
    assert _order_posts(page) == posts
    _deposit(server, made["name"], "USDT", "0.0000000000001")
    _wait_page_balances(page, {"USDT": {"available": _text(need), "locked": "0.00"}})
    msg = page.order("buy", "market", str(qty))
    assert "filled" in msg, msg
    assert len(_order_posts(page)) == len(posts) + 1
    # beyond the asks shown: the page knows the least it costs, and lets the server check the rest
    asks = shown_asks()
    assert len(asks) > 10
    in_view = sum(Decimal(size) for _, size in asks[:10])
    qty = in_view + Decimal(asks[10][1])
    least, left = cost(asks[:10], qty)
    full, _ = cost(asks, qty)
    assert left > 0 and full > least
    have = _balances(account, server)["USDT"]["available"]
    _deposit(server, made["name"], "USDT", format(least - Decimal(have), "f"))
    _wait_page_balances(page, _balances(account, server))
    assert _balances(account, server)["USDT"]["available"] == _text(least)
    p.fill("#quantity", str(qty))
    p.dispatch_event("#quantity", "input")
    assert p.text_content("#order-cost") == (f"Locks at least {_text(least)} USDT: the asks shown hold "
                                              f"{_text(in_view)} of the {_text(qty)} SOL, so the exact check is the server's.")
    msg = page.order("buy", "market", str(qty))
    assert len(_order_posts(page)) == len(posts) + 2  # sent
    # the server's sentence, with its numbers
    assert msg == (f"insufficient USDT: this order needs {_text(full)} USDT available (price x quantity plus the largest "
                   f"fee for a buy; the quantity for a sell), the account has {_text(least)} (INSUFFICIENT_BALANCE)"), msg
    # the browser logs the 400 answer itself; nothing else went wrong
    assert [e for e in page.errors if "status of 400" not in e] == [], page.errors


def _non_loopback_address() -> str | None:
    """This machine's address on a non-loopback interface (one the server can bind to), or None."""
    for probe in ("10.255.255.254", "192.0.2.1", "198.51.100.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((probe, 9))  # UDP: no packet is sent, this only picks the outgoing interface
                address = s.getsockname()[0]
            except OSError:
                continue
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    return None


@contextlib.contextmanager
def _server_on(host: str, *args: str) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "api", "--host", host, "--port", str(port), "--log-level", "WARNING",
           "--fsync", "off", "--l2-interval-ms", "50", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://{host}:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def test_on_a_non_loopback_address_no_key_is_handed_out(browser) -> None:  # type: ignore[no-untyped-def]
    host = _non_loopback_address()
    if host is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    admin = secrets.token_urlsafe(24)
    with _server_on(host, f"--admin-key={admin}") as url:
        page = Page(browser, url, signed_in=False)
        try:
            p = page.page
            p.wait_for_function("[...performance.getEntriesByType('resource')].some(e => e.name.endsWith('/demo/keys'))")
            p.wait_for_selector("#account-box:not(.signed-in)")
            answer = p.evaluate("() => fetch('/demo/keys').then(r => r.json().then(b => [r.status, b]))")
            assert answer[0] == 404 and answer[1]["reason"] == "NO_DEMO_KEYS"
            assert page.account() == "not signed in"
            assert p.is_hidden("#account-select")  # nothing to switch to
            assert page.session_storage() == {} and page.local_storage() == {}
            assert "Not signed in" in (p.text_content("#signin-note") or "")
            assert page.order("buy", "limit", "0.01", "10000.00").startswith("Not signed in")
            assert not [u for u in page.requests if u.endswith("/order")]
            # a key the operator made: pasted, it signs the page in
            made = requests.post(f"{url}/admin/accounts", json={"name": "alice"}, headers={"X-Admin-Key": admin},
                                 timeout=5).json()
            assert requests.post(f"{url}/admin/accounts/alice/deposit", json={"asset": "USDT", "amount": "10000"},
                                 headers={"X-Admin-Key": admin}, timeout=5).status_code == 200
            p.click("#key-toggle")
            p.fill("#api-key", made["api_key"])
            p.click("#key-form button[type=submit]")
            p.wait_for_selector("#account-box.signed-in")
            assert page.account() == "alice"
            assert p.text_content("#account-select option:checked") == "alice (your key)"
            coid = _coid("alice")
            assert "pending" in page.order("buy", "limit", "0.01", "10000.00", coid=coid)
            page.wait_my_order(coid)
            _assert_key_kept_in_session_storage_only(page, made["api_key"])
            # the operator revokes the key: the server drops the page's connection, the page finds the key
            # refused, forgets it and says so, and keeps the public feeds
            revoked = requests.post(f"{url}/admin/keys/{made['key_id']}/revoke", headers={"X-Admin-Key": admin},
                                    timeout=5)
            assert revoked.status_code == 200, revoked.text
            p.wait_for_selector("#account-box:not(.signed-in)", timeout=15_000)
            msg = p.text_content("#account-message") or ""
            assert msg.startswith("The server refused the key of alice") and msg.endswith("Sign in again."), msg
            assert page.session_storage().get("matching-engine.api-key") is None
            assert p.locator("#my-orders tr").count() == 0
            p.wait_for_selector("#conn.up", timeout=15_000)
        finally:
            page.close()
