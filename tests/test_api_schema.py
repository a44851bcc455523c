"""Schemathesis against the app's own OpenAPI document: no 5xx, every response matches its schema.

Every request carries a valid API key (a demo account's) and the admin key, so the private and
the admin operations are exercised past their key checks; Schemathesis' auth check then also sends
each successful request again without a key and with an invalid one, and expects a 401.
"""
from __future__ import annotations

import schemathesis
from schemathesis.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings

from api import create_app
from engine.matcher import create_crypto_engine

ADMIN_KEY = "schema-test-admin-key"
app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "CRITICAL", "RATE_LIMIT_ENABLED": False,
                  "ADMIN_KEY": ADMIN_KEY},
                 engine=create_crypto_engine())
ACCOUNT = app.extensions["me_demo_keys"][0]
HEADERS = {"X-API-Key": ACCOUNT["api_key"], "X-Admin-Key": ADMIN_KEY}
# Some resting orders (and a trade) of the signed-in account, so that reads return data, not just empty lists.
_client = app.test_client()
for side, price in (("buy", "29990"), ("sell", "30010"), ("buy", "29980")):
    assert _client.post("/order", headers=HEADERS, json={"symbol": "BTC-USDT", "side": side, "order_type": "limit",
                                                         "quantity": "0.5", "price": price}).status_code == 200
assert _client.post("/order", headers=HEADERS, json={"symbol": "BTC-USDT", "side": "sell", "order_type": "market",
                                                     "quantity": "0.1"}).status_code == 200

schema = schemathesis.openapi.from_wsgi("/openapi.json", app)


def signed_in() -> dict[str, str]:
    """Headers with a working API key and the admin key.

    The auth check's requests with invalid keys count toward the 20-a-minute lockout of the test
    client's address: the count is cleared before each case.  A generated admin call may have
    disabled the account or its key: then it is enabled again, or given a new key.
    """
    app.extensions["me_limiter"].reset()
    engine = app.extensions["matching_engine"]
    if engine.authenticate(HEADERS["X-API-Key"])[0] is None:
        admin = {"X-Admin-Key": ADMIN_KEY}
        assert _client.post(f"/admin/accounts/{ACCOUNT['account_id']}/enable", headers=admin).status_code == 200
        if engine.authenticate(HEADERS["X-API-Key"])[0] is None:
            made = _client.post(f"/admin/accounts/{ACCOUNT['account_id']}/keys", headers=admin)
            assert made.status_code == 201
            HEADERS["X-API-Key"] = made.json["api_key"]
    return dict(HEADERS)


def test_the_key_in_use_works() -> None:
    headers = signed_in()
    account = _client.get("/account", headers=headers)
    assert account.status_code == 200 and account.json["account_id"] == ACCOUNT["account_id"]
    assert _client.get("/account").status_code == 401


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case) -> None:  # type: ignore[no-untyped-def]
    # Every default check, including "schema-invalid input is rejected", except one: a
    # schema-valid order can still break a trading rule (tick, step, min notional),
    # which the engine refuses with a 400 by design.
    case.call_and_validate(headers=signed_in(), excluded_checks=[positive_data_acceptance])
