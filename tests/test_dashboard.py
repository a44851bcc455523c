"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a live server.

The page signs in by itself as the first demo account (demo-1); orders that tests place over REST
to give it something to trade against come from the other demo account (demo-2), so that they never
belong on the page's "My orders". An account never trades with itself (self-trade prevention), so
every trade here is between two accounts. The balances part is in test_dashboard_balances.py; the
browser, server and page object in dashboard_support.py.
"""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests

from tests.servers import demo_key, free_port, running_server
from tests.dashboard_support import (  # noqa: F401  (fixtures are used by name)
    XSS,
    browser,
    port,
    server,
    mine,
    other,
    Page,
    page,
    _coid,
    _rest_order,
    _assert_key_kept_in_session_storage_only,
)


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


@pytest.mark.parametrize("answer", ["made before the trades", "made after them"])
def test_trades_that_beat_the_history_answer_are_kept_once(page: Page, server: str, mine: requests.Session,
                                                          other: requests.Session, answer: str) -> None:
    """On a symbol switch the trade history is asked for over REST while the live feed is already on:
    trades that reach the page on the feed before the answer stay on the chart, once each, whether
    the answer was made before them or already holds them; the live counter counts each once."""
    p = page.page
    sym = "BNB-USDT"
    held: list = []
    p.route("**/trades/BNB-USDT*", lambda r: held.append(r))
    p.select_option("#symbol", sym)
    for _ in range(100):  # bounded: the page asks at once
        if held:
            break
        p.wait_for_timeout(50)
    assert held, "the page did not ask for the history"
    route = held[0]
    response = route.fetch() if answer == "made before the trades" else None
    counted = int(p.inner_text("#trade-count"))
    for price in ("601.10", "601.20"):  # two trades
        for side, session in (("sell", other), ("buy", mine)):
            session.post(f"{server}/order", json={"symbol": sym, "side": side, "order_type": "limit",
                                                  "quantity": "0.05", "price": price}, timeout=5).raise_for_status()
    p.wait_for_timeout(500)  # the feed delivers them before the answer
    trades = requests.get(f"{server}/trades/{sym}?limit=50", timeout=5).json()["trades"]
    if response is None:
        response = route.fetch()
    known = len(response.json()["trades"])
    assert known == (len(trades) - 2 if answer == "made before the trades" else len(trades))
    route.fulfill(response=response)
    p.wait_for_timeout(500)  # the answer is handled at once
    assert p.eval_on_selector("#price-chart", "c => c.dataset.points") == str(len(trades))
    assert len(p.query_selector_all("#trade-feed tr")) == len(trades)
    assert int(p.inner_text("#trade-count")) == counted + 2
    p.unroute("**/trades/BNB-USDT*")


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
