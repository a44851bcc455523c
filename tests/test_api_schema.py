"""Schemathesis against the app's own OpenAPI document: no 5xx, every response matches its schema."""
from __future__ import annotations

import schemathesis
from schemathesis.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings

from api import create_app
from engine.matcher import create_crypto_engine

app = create_app({"ASYNC_MODE": "threading", "FEED_ENABLED": False, "LOG_LEVEL": "CRITICAL", "RATE_LIMIT_ENABLED": False},
                 engine=create_crypto_engine())
# Some resting orders so that reads return data, not just empty lists.
_client = app.test_client()
for side, price in (("buy", "29990"), ("sell", "30010"), ("buy", "29980")):
    _client.post("/order", json={"symbol": "BTC-USDT", "side": side, "order_type": "limit", "quantity": "0.5", "price": price})
_client.post("/order", json={"symbol": "BTC-USDT", "side": "sell", "order_type": "market", "quantity": "0.1"})

schema = schemathesis.openapi.from_wsgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case) -> None:  # type: ignore[no-untyped-def]
    # Every default check, including "schema-invalid input is rejected", except one: a
    # schema-valid order can still break a trading rule (tick, step, min notional),
    # which the engine refuses with a 400 by design.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
