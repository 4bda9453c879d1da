"""The JSON order API (/api/v1/orders): auth by session or device token, CSRF, batches, OpenAPI."""
import re

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from outbound_support import order_payload, stocked_skus
from webapp.accounts.services import register_device, revoke_device
from webapp.extensions import db
from webapp.orders.models import Order, OrderLine

URL = "/api/v1/orders"


def order_count():
    """Orders stored so far."""
    return db.session.scalar(select(func.count(Order.id)))


@pytest.fixture
def sku(sqlite_warehouse):
    """A SKU with stock."""
    return stocked_skus(1)[0]


@pytest.fixture
def supervisor(sqlite_warehouse, sign_in):
    """A client signed in as the demo supervisor."""
    return sign_in(sqlite_warehouse.test_client(), "supervisor")


@pytest.fixture
def device_token(sqlite_warehouse, user_id):
    """(device, token) of a registered channel integration."""
    device, token = register_device("tmall-connector", user_id("admin"),
                                    roles=["supervisor"])
    db.session.commit()
    return device, token


def bearer(token):
    """The Authorization header for a device token."""
    return {"Authorization": f"Bearer {token}"}


def test_supervisor_session_posts_an_order(supervisor, sku):
    response = supervisor.post(URL, json=order_payload("API1", [(sku, 2)]))
    assert response.status_code == 201
    (result,) = response.get_json()["results"]
    assert result["outcome"] == "created" and result["problems"] == []
    order = db.session.get(Order, result["order_id"])
    assert order.number == "shop-API1" and order.lines[0].quantity == 2


def test_device_token_posts_an_order(sqlite_warehouse, device_token, sku):
    device, token = device_token
    client = sqlite_warehouse.test_client()
    response = client.post(URL, json=order_payload("API2", [(sku, 1)]), headers=bearer(token))
    assert response.status_code == 201
    assert response.get_json()["results"][0]["outcome"] == "created"
    db.session.refresh(device)
    assert device.last_seen_at is not None


def test_revoked_or_unknown_token_is_401_and_stores_nothing(sqlite_warehouse, device_token, sku):
    device, token = device_token
    revoke_device(device.id)
    db.session.commit()
    client = sqlite_warehouse.test_client()
    for header in (bearer(token), bearer("not-a-token")):
        response = client.post(URL, json=order_payload("API3", [(sku, 1)]), headers=header)
        assert response.status_code == 401
        assert response.is_json and "revoked" in response.get_json()["error"]
    assert order_count() == 0


def test_no_auth_is_401_json(sqlite_warehouse, sku):
    response = sqlite_warehouse.test_client().post(URL, json=order_payload("API4", [(sku, 1)]))
    assert response.status_code == 401
    assert response.is_json and response.get_json()["error"]
    assert order_count() == 0


def test_picker_session_is_403(sqlite_warehouse, sign_in, sku):
    picker = sign_in(sqlite_warehouse.test_client(), "picker")
    response = picker.post(URL, json=order_payload("API5", [(sku, 1)]))
    assert response.status_code == 403
    assert response.is_json
    assert order_count() == 0


def test_replay_is_a_duplicate_and_changes_nothing(supervisor, sku):
    payload = order_payload("API6", [(sku, 2)])
    first = supervisor.post(URL, json=payload)
    assert first.status_code == 201
    lines = db.session.scalar(select(func.count(OrderLine.id)))
    replay = supervisor.post(URL, json={**payload, "lines": [{"sku": sku, "quantity": 5}]})
    assert replay.status_code == 200
    (result,) = replay.get_json()["results"]
    assert result["outcome"] == "duplicate"
    assert result["order_id"] == first.get_json()["results"][0]["order_id"]
    assert order_count() == 1 and db.session.scalar(select(func.count(OrderLine.id))) == lines


def test_batch_with_mixed_results(supervisor, sku):
    supervisor.post(URL, json=order_payload("B0", [(sku, 1)]))
    batch = {"orders": [
        order_payload("B1", [(sku, 1)]),
        order_payload("B2", [("NO-SUCH", 1)]),
        order_payload("B0", [(sku, 1)]),
        {"channel": "shop"},
        "not an order",
        order_payload("B3", [(sku, 0)]),
    ]}
    response = supervisor.post(URL, json=batch)
    assert response.status_code == 201
    results = response.get_json()["results"]
    assert [r["outcome"] for r in results] == [
        "created", "held", "duplicate", "rejected", "rejected", "held"]
    assert [r["order_no"] for r in results[:3]] == ["B1", "B2", "B0"]
    assert "NO-SUCH" in results[1]["problems"][0]
    assert order_count() == 4  # B0, B1 and the two held orders


def test_batch_all_rejected_is_422(supervisor):
    response = supervisor.post(URL, json={"orders": [{"order_no": "1"}, {}]})
    assert response.status_code == 422
    assert [r["outcome"] for r in response.get_json()["results"]] == ["rejected", "rejected"]


def test_more_than_1000_orders_is_413_and_stores_nothing(supervisor, sku):
    batch = {"orders": [order_payload(f"BIG{n}", [(sku, 1)]) for n in range(1001)]}
    response = supervisor.post(URL, json=batch)
    assert response.status_code == 413
    assert "1000" in response.get_json()["error"]
    assert order_count() == 0


@pytest.mark.parametrize("body, content_type", [
    ("[1, 2]", "application/json"),
    ('"an order"', "application/json"),
    ("42", "application/json"),
    ("{not json", "application/json"),
    ("", "application/json"),
    ("channel=shop&order_no=1", "application/x-www-form-urlencoded"),
])
def test_body_that_is_not_a_json_object_is_400(supervisor, body, content_type):
    response = supervisor.post(URL, data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.is_json and "JSON object" in response.get_json()["error"]
    assert order_count() == 0


# ---------------------------------------------------------------- CSRF
@pytest.fixture
def csrf_app(sqlite_warehouse, factory, sqlite_url):
    """The same database behind an app that checks CSRF tokens, as in production."""
    db.session.commit()
    strict = factory.get(sqlite_url, WTF_CSRF_ENABLED=True)
    with strict.app_context():
        yield strict
        db.session.remove()


def csrf_token(page):
    """The CSRF token a page carries in its forms."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_session_post_needs_the_csrf_header_but_a_token_does_not(csrf_app, sku):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    signed_in = client.post("/login", data={"username": "supervisor", "password": "demo",
                                            "csrf_token": token})
    assert signed_in.status_code == 302
    refused = client.post(URL, json=order_payload("CSRF1", [(sku, 1)]))
    assert refused.status_code == 400
    assert refused.is_json
    assert order_count() == 0
    page_token = csrf_token(client.get("/orders/import").get_data(as_text=True))
    accepted = client.post(URL, json=order_payload("CSRF1", [(sku, 1)]),
                           headers={"X-CSRFToken": page_token})
    assert accepted.status_code == 201

    _device, device_token = register_device("wms-bridge", roles=["supervisor"])
    db.session.commit()
    fresh = csrf_app.test_client()  # no session, no CSRF token: only the bearer token
    by_token = fresh.post(URL, json=order_payload("CSRF2", [(sku, 1)]),
                          headers=bearer(device_token))
    assert by_token.status_code == 201
    assert order_count() == 2


# ---------------------------------------------------------------- OpenAPI
def openapi_path(rule):
    """A Flask rule as an OpenAPI path: <int:order_id> -> {order_id}."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_openapi_document_is_valid_and_covers_every_api_route(sqlite_warehouse):
    response = sqlite_warehouse.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1.")
    validate(spec)  # raises on any structural error, unresolvable $ref included
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    routes = {(openapi_path(rule.rule), method)
              for rule in sqlite_warehouse.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert ("/api/v1/orders", "POST") in routes
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented paths the app does not have"
    schema = spec["paths"]["/api/v1/orders"]["post"]
    for status in ("200", "201", "400", "401", "403", "413", "422"):
        assert status in schema["responses"]
