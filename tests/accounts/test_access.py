"""Every route against every role, read from the app's URL map so new routes are covered.

Each view declares who may use it (webapp/access.py); these tests hold every
rule of the running app to its declaration: allowed roles get through, others
get 403, anonymous callers are sent to sign in, and an undeclared route is shut.
"""
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

import access_world
from webapp.access import PUBLIC, allowed_roles, public
from webapp.accounts.models import ROLES
from webapp.extensions import db
from webapp.supervision.tiles import tiles_for

NO_ROLE = ""  # a signed-in person who holds no role at all
PROBED_METHODS = ("GET", "POST")

# Which row of the world each URL argument names (<x>_id -> the row "x" otherwise).
ARG_ROWS = {"order_id": "order_packed", "list_id": "list_walking", "parcel_id": "parcel",
            "record_id": "record", "run_id": "run", "object_id": "order_packed"}
# Routes that answer only for a row in another state.
ENDPOINT_ROWS = {"sync.offline_order": {"order_id": "order_picked"},
                 "packing.verify": {"order_id": "order_picked"},
                 # The 交接单 exists once both sides signed; the grn once the receipt closed.
                 "handoff.document_svg": {"manifest_id": "manifest_signed"},
                 "receiving.grn_svg": {"receipt_id": "receipt_received"},
                 "receiving.grn": {"receipt_id": "receipt_received"}}
# URL arguments that are not row ids, and the value each route is exercised with.
# (job_id: jobs live in Redis, and the only route naming one is a supervisor's POST,
# whose allowed side is never probed: it would act.)
ARG_VALUES = {"kind": "locations", "queue": "picking", "action": "retry",
              "object_type": "order", "job_id": "no-such-job", "carrier": "builtin"}
ENDPOINT_VALUES = {"supervision.tile": {"name": lambda: tiles_for(["supervisor"])[0].name},
                   "supervision.kpi_csv": {"name": lambda: "lines_per_hour"},
                   "supervision.kpi_fragment": {"name": lambda: "lines_per_hour"}}


@pytest.fixture
def world(app):
    """A row in the right state for every id a URL can name; devices of every kind."""
    return access_world.build()


def app_rules(app):
    """Every URL rule of the app except static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def sample_value(rule, name, world):
    """A value for one URL argument that names something that exists, or None."""
    if name in ENDPOINT_VALUES.get(rule.endpoint, {}):
        return ENDPOINT_VALUES[rule.endpoint][name]()
    if name in ARG_VALUES:
        return ARG_VALUES[name]
    converter = rule._converters.get(name)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    row = ENDPOINT_ROWS.get(rule.endpoint, {}).get(name) or ARG_ROWS.get(
        name, name.removesuffix("_id"))
    return world["ids"].get(row)


def sample_path(rule, world):
    """The rule's URL with every argument filled; and whether each names a real row."""
    values = {name: sample_value(rule, name, world) for name in rule.arguments}
    real = None not in values.values()
    values = {name: _placeholder(rule, name) if value is None else value
              for name, value in values.items()}
    return rule.build(values, append_unknown=False)[1], real


def _placeholder(rule, name):
    """A value naming nothing that the argument's converter still takes."""
    return 0 if isinstance(rule._converters.get(name), IntegerConverter) else "no-such-thing"


def is_allowed(endpoint, role):
    """True when the view's declaration lets a person holding `role` in."""
    roles = allowed_roles(endpoint)
    return roles == PUBLIC or (roles is not None and role in roles)


def is_login_redirect(response):
    """True for a redirect to the sign-in page."""
    return response.status_code in (301, 302, 303) and \
        urlsplit(response.headers["Location"]).path == "/login"


def passed_the_gate(response, real):
    """Success (the page answered); never a refusal, a 404 or a crash."""
    if is_login_redirect(response) or response.status_code in (401, 403):
        return False
    return real and response.status_code < 400


def check_signed_in(client, rule, role, world):
    """Problems with one rule for a signed-in role, as readable lines."""
    allowed = is_allowed(rule.endpoint, role)
    (path, real), problems = sample_path(rule, world), []
    for method in PROBED_METHODS:
        # Allowed POSTs would change data; the role matrix only proves refusals.
        if method not in rule.methods or (method == "POST" and allowed):
            continue
        response = client.open(path, method=method)
        ok = passed_the_gate(response, real) if allowed else response.status_code == 403
        if not ok:
            expected = "success" if allowed else "403"
            problems.append(f"{method} {path} as {role or 'no role'}: expected {expected}, "
                            f"got {response.status_code}")
    return problems


def check_anonymous(client, rule, htmx, world, headers=None):
    """Problems with one rule for a caller who is not signed in (`headers` may carry a
    device token, which must change nothing on routes that do not take one)."""
    (path, _real), problems = sample_path(rule, world), []
    headers = {**({"HX-Request": "true"} if htmx else {}), **(headers or {})}
    declared = allowed_roles(rule.endpoint)
    for method in PROBED_METHODS:
        # A public POST (sign in, language) would act; only its GET is probed.
        if method not in rule.methods or (declared == PUBLIC and method == "POST"):
            continue
        response = client.open(path, method=method, headers=headers)
        if declared == PUBLIC:
            ok = response.status_code < 400
        elif path.startswith("/api/"):
            ok = response.status_code == 401 and response.get_json()["status"] == 401
        elif htmx:
            ok = response.status_code == 401 and _points_to_login(
                response.headers.get("HX-Redirect", ""), path)
        else:
            ok = is_login_redirect(response) and _points_to_login(
                response.headers["Location"], path)
        if not ok:
            target = response.headers.get("HX-Redirect") or response.headers.get("Location")
            problems.append(f"{method} {path} anonymous{' (htmx)' if htmx else ''}: "
                            f"got {response.status_code} {target or ''}")
    return problems


def _points_to_login(target, path):
    """True when target is the sign-in page that returns to path afterwards."""
    parts = urlsplit(target)
    return parts.path == "/login" and parse_qs(parts.query).get("next") == [path]


def test_every_route_declares_who_may_use_it(app, world):
    """A route without a declaration is unusable, so it is a mistake; and the world has
    a real row for every id a route names (a new table needs one in access_world)."""
    undeclared = [rule.rule for rule in app_rules(app) if allowed_roles(rule.endpoint) is None]
    assert undeclared == []
    assert [rule.rule for rule in app_rules(app) if not sample_path(rule, world)[1]] == []


@pytest.mark.parametrize("role", [*ROLES, NO_ROLE])
def test_each_role_gets_exactly_its_declared_routes(app, login_as, world, role):
    """GET works for declared roles and is 403 for others; others' POSTs are 403 too."""
    client = login_as(*([role] if role else []))
    access_world.hand_list_to(world, client.username)  # a picker sees only their lists
    problems = [line for rule in app_rules(app)
                for line in check_signed_in(client, rule, role, world)]
    assert problems == []


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_anonymous_callers_are_sent_to_sign_in(app, world, htmx):
    """Redirect to /login?next=..., 401 + HX-Redirect for htmx, 401 JSON for /api/."""
    client = app.test_client()
    problems = [line for rule in app_rules(app)
                for line in check_anonymous(client, rule, htmx, world)]
    assert problems == []


def takes_device_token(app, endpoint):
    """True when the route accepts a device's token (webapp/access.py device_token)."""
    return getattr(app.view_functions[endpoint], "accepts_device_token", False)


def check_device(app, client, rule, kind, world):
    """Problems with one rule for a device serving only the role `kind` (no session)."""
    headers = {"Authorization": f"Bearer {world['devices'][kind]['token']}"}
    if not takes_device_token(app, rule.endpoint):  # the token opens nothing here
        return check_anonymous(client, rule, False, world, headers)
    allowed = is_allowed(rule.endpoint, kind)
    (path, real), problems = sample_path(rule, world), []
    for method in PROBED_METHODS:
        if method not in rule.methods:
            continue
        # An allowed POST gets an empty body: the view's own 400/422 proves the gate
        # opened, and nothing is written.
        response = client.open(path, method=method, headers=headers,
                               json={} if method == "POST" else None)
        status = response.status_code
        if allowed:
            ok = status not in (401, 403) and status < (400 if method == "GET" else 500)
        else:
            ok = status == 403 and response.get_json()["status"] == 403
        if not ok:
            problems.append(f"{method} {path} with a {kind} device: expected "
                            f"{'success' if allowed else '403'}, got {status} "
                            f"{response.get_data(as_text=True)[:200]}")
    return problems


@pytest.mark.parametrize("kind", ROLES)
def test_a_device_token_opens_exactly_its_roles_routes(app, world, kind):
    """A device registered for one role (a picking handheld, a packing station, a
    courier's phone...) gets the device routes of that role and 403 on the others; on
    routes that take no device token its token counts for nothing."""
    client = app.test_client()
    problems = [line for rule in app_rules(app)
                for line in check_device(app, client, rule, kind, world)]
    assert problems == []


def test_a_revoked_or_unknown_token_opens_nothing(app, world):
    """401 on every device route, whatever roles the device served."""
    from webapp.accounts.services import revoke_device
    revoke_device(world["devices"]["supervisor"]["id"])
    db.session.commit()
    client = app.test_client()
    for token in (world["devices"]["supervisor"]["token"], "no-such-token"):
        for rule in app_rules(app):
            if takes_device_token(app, rule.endpoint):
                path = sample_path(rule, world)[0]
                method = "POST" if "POST" in rule.methods else "GET"
                response = client.open(path, method=method, json={} if method == "POST" else None,
                                       headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 401, (path, token)


def test_a_route_without_a_declaration_is_closed_even_to_an_admin(factory, sqlite_url,
                                                                   login_as):
    """Routes fail closed: forgetting @allow gives 403, not an open door."""
    fresh = factory.get(sqlite_url, ACCESS_TEST_UNDECLARED_ROUTE=1)
    if "undeclared_probe" not in fresh.view_functions:  # the app is cached per session
        fresh.add_url_rule("/undeclared-probe", "undeclared_probe", lambda: "open")
        fresh.add_url_rule("/public-probe", "public_probe", public(lambda: "open"))
    admin = login_as("admin", client=fresh.test_client())
    assert admin.get("/public-probe").status_code == 200  # the probe itself works
    assert admin.get("/undeclared-probe").status_code == 403
    assert fresh.test_client().get("/undeclared-probe").status_code == 403
