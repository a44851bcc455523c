"""Regenerate docs/dashboard.png: start a server, seed a market, photograph the dashboard.

The server starts on loopback, so it makes the two demo accounts: the book is seeded as demo-2,
market orders against it come from a third account made through the admin surface (an account never
trades with itself), and the dashboard signs in by itself as demo-1 and places an order of its own.

Run: python -m scripts.screenshot [--out docs/dashboard.png] [--chromium /usr/bin/chromium]
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def make_taker(url: str, admin_key: str) -> str:
    """An account with some BTC and USDT, made and funded through the admin surface; its API key."""
    admin = {"X-Admin-Key": admin_key}
    made = requests.post(f"{url}/admin/accounts", json={"name": "taker"}, headers=admin, timeout=5)
    made.raise_for_status()
    for asset, amount in (("BTC", "100"), ("USDT", "10000000")):
        requests.post(f"{url}/admin/accounts/taker/deposit", json={"asset": asset, "amount": amount}, headers=admin,
                      timeout=5).raise_for_status()
    return made.json()["api_key"]


def seed_market(url: str, key: str, taker_key: str | None = None, n: int = 80) -> None:
    """Limit orders as `key`; every eighth, a market order as `taker_key` (default: `key`)."""
    rng = random.Random(7)
    headers = {"X-API-Key": key}
    taker = {"X-API-Key": taker_key or key}
    for i in range(n):
        side = rng.choice(["buy", "sell"])
        offset = rng.randint(1, 40) * 0.5
        price = 30000 - offset if side == "buy" else 30000 + offset
        body = {"symbol": "BTC-USDT", "side": side, "order_type": "limit", "quantity": f"{rng.randint(1, 300) / 1000:.3f}",
                "price": f"{price:.2f}"}
        requests.post(f"{url}/order", json=body, headers=headers, timeout=5).raise_for_status()
        if i % 8 == 7:
            requests.post(f"{url}/order", json={"symbol": "BTC-USDT", "side": rng.choice(["buy", "sell"]),
                                                "order_type": "market", "quantity": "0.050"},
                          headers=taker, timeout=5).raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "dashboard.png"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    admin_key = secrets.token_urlsafe(24)
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--log-level", "WARNING",
                             "--fsync", "off"], cwd=ROOT, env={**os.environ, "ME_ADMIN_KEY": admin_key})
    try:
        for _ in range(100):
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(url)
            page.wait_for_selector("#conn.up")
            page.wait_for_selector("#account-box.signed-in")  # as demo-1
            accounts = requests.get(f"{url}/demo/keys", timeout=5).json()["accounts"]
            seed_market(url, accounts[1]["api_key"], make_taker(url, admin_key))  # the rest of the market
            page.fill("#quantity", "0.25")
            page.fill("#price", "29990.00")
            page.fill("#client-order-id", "first-order")
            page.click("#submit")
            page.wait_for_selector("#my-orders tr")
            page.wait_for_timeout(800)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out, full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
