"""Signing in and out, throttling, CSRF, cookies, people and devices."""
import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from webapp import config
from webapp.accounts.models import Device, LoginFailure, User
from webapp.accounts.services import (create_user, device_for_token, register_device,
                                      revoke_device)
from webapp.extensions import db
from webapp.timeutil import utcnow

PASSWORD = "pw-123456"


def person(username="alice", roles=("picker",), active=True):
    """A committed person with PASSWORD."""
    user = create_user(username, PASSWORD, roles)
    user.active = active
    db.session.commit()
    return user


def sign_in(client, username="alice", password=PASSWORD, **query):
    """POST the sign-in form."""
    return client.post("/login", query_string=query,
                       data={"username": username, "password": password})


def is_signed_in(client):
    """True when the home page answers instead of sending to /login."""
    return client.get("/").status_code == 200


def count(model):
    """Rows of a table; the read ends its transaction so other apps' requests need not wait."""
    try:
        return db.session.scalar(select(func.count()).select_from(model))
    finally:
        db.session.close()


def page_token(response):
    """The CSRF token a page embeds in its forms."""
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def set_cookie(response, name):
    """The Set-Cookie header for one cookie."""
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


# ---------------------------------------------------------------- signing in
def test_good_login_signs_in_and_goes_home(client):
    """Right password: 302 to the home page, which then answers."""
    person()
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_username_is_not_case_sensitive(client):
    """Handheld keyboards capitalise the first letter; the name still matches."""
    person()
    assert sign_in(client, username=" Alice ").status_code == 302


def test_wrong_password_is_refused_with_a_message(client):
    """401, a flash saying why, no session, and a failure recorded."""
    person()
    response = sign_in(client, password="nope")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert count(LoginFailure) == 1


def test_throttled_after_too_many_failures_even_with_the_right_password(app, client):
    """After LOGIN_MAX_FAILURES failures the name is locked: 429 for any password."""
    person()
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert [sign_in(client, password="nope").status_code for _ in range(limit)] == [401] * limit
    response = sign_in(client)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_throttling_locks_the_name_not_everyone_on_the_scanner(app, client):
    """Another person at the same address can still sign in."""
    person()
    person("bob")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, password="nope")
    assert sign_in(client, username="bob").status_code == 302


def test_the_lock_ends_after_the_lock_period(app, client):
    """Failures older than LOGIN_LOCK_SECONDS no longer count."""
    person()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, password="nope")
    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1)
    db.session.execute(update(LoginFailure).values(created_at=long_ago))
    db.session.commit()
    assert sign_in(client).status_code == 302


def test_inactive_person_is_refused(client):
    """A deactivated account cannot sign in, even with its password."""
    person(active=False)
    assert sign_in(client).status_code == 401
    assert not is_signed_in(client)


def test_deactivating_ends_a_running_session(client, login_as):
    """An admin deactivates someone who is signed in: their next request is refused."""
    picker = login_as("picker")
    admin = login_as("admin")
    user = db.session.scalar(select(User).where(User.username == picker.username))
    response = admin.post(f"/admin/users/{user.id}", data={"roles": ["picker"]})
    assert response.status_code == 302
    assert not is_signed_in(picker)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, target):
    """?next= is followed only to a path on this site."""
    person()
    location = sign_in(client, next=target).headers["Location"]
    parts = urlsplit(location.replace("\\", "/"))  # browsers read \ as /
    assert not parts.scheme and not parts.netloc, location


def test_next_to_a_local_page_is_followed(client):
    """The positive case: back to the page that asked for sign-in."""
    person()
    assert sign_in(client, next="/lookup?code=X").headers["Location"] == "/lookup?code=X"


def test_logout_is_post_only(client):
    """A GET (a link, a prefetch) cannot sign anyone out; a POST does."""
    person()
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not is_signed_in(client)


# ---------------------------------------------------------------- CSRF and cookies
@pytest.fixture
def csrf_client(factory, sqlite_url, app):
    """A client of an app that checks CSRF tokens, as production does."""
    person("admin-1", roles=("admin",))
    return factory.get(sqlite_url, WTF_CSRF_ENABLED=True).test_client()


def test_csrf_sign_in_needs_the_token(csrf_client):
    """Without the form's token: 400 and no session; with it: signed in."""
    assert sign_in(csrf_client, username="admin-1").status_code == 400
    assert not is_signed_in(csrf_client)
    token = page_token(csrf_client.get("/login"))
    response = csrf_client.post("/login", data={"username": "admin-1", "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    assert is_signed_in(csrf_client)


def test_csrf_refused_post_changes_nothing_and_token_or_header_succeeds(csrf_client):
    """A tokenless POST is 400 and writes nothing; the form token or X-CSRFToken works."""
    token = page_token(csrf_client.get("/login"))
    csrf_client.post("/login", data={"username": "admin-1", "password": PASSWORD,
                                     "csrf_token": token})
    response = csrf_client.post("/admin/devices", data={"name": "HH-1"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert count(Device) == 0
    token = page_token(csrf_client.get("/admin/devices"))
    assert csrf_client.post("/admin/devices",
                            data={"name": "HH-1", "roles": "picker",
                                  "csrf_token": token}).status_code == 200
    assert csrf_client.post("/admin/devices", data={"name": "HH-2", "roles": "picker"},
                            headers={"X-CSRFToken": token}).status_code == 200  # as htmx does
    assert count(Device) == 2


def test_session_cookie_is_httponly_and_samesite_lax(client):
    """Scripts cannot read the session, and other sites' POSTs do not carry it."""
    person()
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "remember": "1"})
    for name in ("session", "remember_token"):
        cookie = set_cookie(response, name)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(factory, sqlite_url, app):
    """Behind HTTPS the cookies are Secure (SESSION_COOKIE_SECURE / REMEMBER_COOKIE_SECURE)."""
    person()
    secure = factory.get(sqlite_url, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = secure.test_client().post("/login", data={
        "username": "alice", "password": PASSWORD, "remember": "1"})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        assert "Secure" in set_cookie(response, name)


def test_secure_cookies_environment_switch(monkeypatch, tmp_path):
    """SECURE_COOKIES=1 in the environment turns both settings on."""
    monkeypatch.setenv("SECURE_COOKIES", "1")
    settings = config.from_environment(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


# ---------------------------------------------------------------- people (admin)
def test_admin_adds_a_person_who_can_then_sign_in(login_as):
    """POST /admin/users creates the account with its roles."""
    admin = login_as("admin")
    response = admin.post("/admin/users", data={"username": "Carol", "password": PASSWORD,
                                                "roles": ["packer", "receiver"]})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "carol"))
    assert user.roles == {"packer", "receiver"}
    assert "carol" in admin.get("/admin/users").get_data(as_text=True)
    assert sign_in(admin.application.test_client(), username="carol").status_code == 302


def test_admin_cannot_add_a_taken_name_or_an_unknown_role(login_as):
    """Refused with a message; nothing added."""
    admin = login_as("admin")
    before = count(User)
    taken = admin.post("/admin/users", data={"username": admin.username, "password": "x"})
    unknown = admin.post("/admin/users", data={"username": "dan", "password": "x",
                                               "roles": ["wizard"]})
    assert "is taken" in taken.get_data(as_text=True)
    assert "Unknown roles: wizard" in unknown.get_data(as_text=True)
    assert count(User) == before


def test_admin_cannot_deactivate_themselves(login_as):
    """The update form without `active` leaves the admin's own account active."""
    admin = login_as("admin")
    me = db.session.scalar(select(User).where(User.username == admin.username))
    admin.post(f"/admin/users/{me.id}", data={"roles": ["admin"]})
    assert is_signed_in(admin)


# ---------------------------------------------------------------- devices
def test_device_token_is_stored_hashed_and_identifies_the_device(app):
    """The token itself is nowhere in the table; its SHA-256 is."""
    device, token = register_device("HH-01")
    db.session.commit()
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {device.name, device.token_hash}
    assert device_for_token(token).id == device.id
    assert device_for_token(token + "x") is None
    assert device_for_token("") is None and device_for_token(None) is None


def test_revoked_device_is_refused(app):
    """After revoke, its token no longer names a device."""
    device, token = register_device("HH-01")
    revoke_device(device.id)
    db.session.commit()
    assert device.is_revoked
    assert device_for_token(token) is None


@pytest.mark.parametrize("name", ["", "   ", "HH-01"])
def test_device_needs_a_new_name(app, name):
    """Empty names and names already registered are refused."""
    register_device("HH-01")
    with pytest.raises(ValueError):
        register_device(name)


def test_device_admin_page_shows_the_token_once_and_revokes(login_as):
    """Register on the page, see the token once, revoke; the token then stops working."""
    admin = login_as("admin")
    page = admin.post("/admin/devices", data={"name": "HH-07", "roles": "picker"}
                      ).get_data(as_text=True)
    token = re.search(r'<code class="big">([^<]+)</code>', page)[1]
    device = device_for_token(token)
    assert device.name == "HH-07"
    listing = admin.get("/admin/devices").get_data(as_text=True)
    assert "HH-07" in listing and token not in listing
    response = admin.post(f"/admin/devices/{device.id}/revoke")
    assert response.status_code == 302
    assert device_for_token(token) is None
    assert "Revoked" in admin.get("/admin/devices").get_data(as_text=True)


def test_revoking_an_unknown_device_is_404(login_as):
    """No such device: 404, not a crash."""
    assert login_as("supervisor").post("/admin/devices/999999/revoke").status_code == 404
