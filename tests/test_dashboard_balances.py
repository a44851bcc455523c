"""The dashboard's balances in a real browser: what the signed-in account holds and has locked, live,
the funds check before sending, settlement of a trade between two accounts, and no key handed out
on an address other than loopback. Accounts with little money are made through the admin API."""
from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.servers import ROOT, free_port, wait_healthy
from tests.dashboard_support import (  # noqa: F401  (fixtures are used by name)
    ADMIN_KEY,
    sync_api,
    browser,
    port,
    server,
    mine,
    other,
    Page,
    page,
    _coid,
    _assert_key_kept_in_session_storage_only,
)


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
