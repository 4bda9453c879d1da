"""Every route against every role, read from the app's URL map so new routes are covered.

Each view declares who may use it (webapp/access.py); these tests hold every
rule of the running app to its declaration: allowed roles get through, others
get 403, anonymous callers are sent to sign in, and an undeclared route is shut.
"""
import uuid
import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

from webapp.access import PUBLIC, allowed_roles, public
from webapp.accounts.models import ROLES
from webapp.accounts.services import create_user, register_device
from webapp.extensions import db
from webapp.reconciliation.services import request_run

NO_ROLE = ""  # a signed-in person who holds no role at all
PROBED_METHODS = ("GET", "POST")

# URL arguments whose table is not named after them (<x>_id -> table x otherwise).
ARG_TABLES = {"run_id": "reconciliation_run"}
# URL arguments that are not row ids, and the value each route is exercised with.
ARG_VALUES = {"kind": "locations"}


@pytest.fixture
def world(app, make_catalog):
    """One row of everything a URL can name: locations, products, a run, a device, a person."""
    make_catalog()
    create_user("someone", "pw-123456", ["picker"])
    request_run(None)
    register_device("HH-ACCESS")
    db.session.commit()


def app_rules(app):
    """Every URL rule of the app except static files."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def sample_value(rule, name):
    """A value for one URL argument that names something that exists, or None."""
    if name in ARG_VALUES:
        return ARG_VALUES[name]
    converter = rule._converters.get(name)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    table = db.metadata.tables.get(ARG_TABLES.get(name, name.removesuffix("_id")))
    if name.endswith("_id") and table is not None:
        return db.session.scalar(select(table.c.id).order_by(table.c.id).limit(1))
    return None


def placeholder(rule, name):
    """A well-formed value naming nothing, for arguments with no sample."""
    converter = rule._converters.get(name)
    if isinstance(converter, IntegerConverter):
        return 2**31 - 1  # the largest id either database can hold
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=0)
    return "no-such-thing"


def sample_path(rule):
    """The rule's URL with every argument filled, and whether each names a real thing."""
    values = {name: sample_value(rule, name) for name in rule.arguments}
    real = None not in values.values()
    values = {name: placeholder(rule, name) if value is None else value
              for name, value in values.items()}
    return rule.build(values, append_unknown=False)[1], real


def is_allowed(endpoint, role):
    """True when the view's declaration lets a person holding `role` in."""
    roles = allowed_roles(endpoint)
    return roles == PUBLIC or (roles is not None and role in roles)


def is_login_redirect(response):
    """True for a redirect to the sign-in page."""
    return response.status_code in (301, 302, 303) and \
        urlsplit(response.headers["Location"]).path == "/login"


def passed_the_gate(response, real):
    """Success; or, when the URL names nothing real, an answer from the view itself."""
    if is_login_redirect(response) or response.status_code in (401, 403):
        return False
    return response.status_code < (400 if real else 500)


def check_signed_in(client, rule, role):
    """Problems with one rule for a signed-in role, as readable lines."""
    allowed = is_allowed(rule.endpoint, role)
    (path, real), problems = sample_path(rule), []
    for method in PROBED_METHODS:
        # Allowed POSTs would change data; the role matrix only proves refusals.
        if method not in rule.methods or (method == "POST" and allowed):
            continue
        response = client.open(path, method=method)
        ok = passed_the_gate(response, real) if allowed else response.status_code == 403
        if not ok:
            expected = ("success" if real else "no refusal") if allowed else "403"
            problems.append(f"{method} {path} as {role or 'no role'}: expected {expected}, "
                            f"got {response.status_code}")
    return problems


def check_anonymous(client, rule, htmx):
    """Problems with one rule for a caller who is not signed in."""
    (path, _real), problems = sample_path(rule), []
    headers = {"HX-Request": "true"} if htmx else {}
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
    """A route without a declaration is unusable, so it is a mistake."""
    undeclared = [rule.rule for rule in app_rules(app) if allowed_roles(rule.endpoint) is None]
    assert undeclared == []
    warn_about_placeholders(app)


@pytest.mark.parametrize("role", [*ROLES, NO_ROLE])
def test_each_role_gets_exactly_its_declared_routes(app, login_as, world, role):
    """GET works for declared roles and is 403 for others; others' POSTs are 403 too."""
    client = login_as(*([role] if role else []))
    problems = [line for rule in app_rules(app) for line in check_signed_in(client, rule, role)]
    assert problems == []


def warn_about_placeholders(app):
    """Say which routes could only be checked with ids that name nothing."""
    rules = [rule.rule for rule in app_rules(app) if not sample_path(rule)[1]]
    if rules:
        warnings.warn("Access checked with placeholder ids (allowed roles only proven to pass "
                      f"the gate; add rows to `world` or ARG_VALUES): {', '.join(rules)}")


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_anonymous_callers_are_sent_to_sign_in(app, world, htmx):
    """Redirect to /login?next=..., 401 + HX-Redirect for htmx, 401 JSON for /api/."""
    client = app.test_client()
    problems = [line for rule in app_rules(app) for line in check_anonymous(client, rule, htmx)]
    assert problems == []


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
