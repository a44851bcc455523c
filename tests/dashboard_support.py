"""What the dashboard tests share: Chromium driven by Playwright, a live server with an admin key, the
two demo accounts' sessions and a page object. Importing this skips the importing module when
Chromium or Playwright is missing (and fails under CI)."""
from __future__ import annotations

import os
import secrets
import shutil
import uuid
from typing import Iterator

import pytest
import requests

from tests.servers import free_port, running_server, signed_in


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
