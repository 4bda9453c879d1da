"""English by default, Simplified Chinese by browser or by the language switch."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import gettext

from webapp.accounts.models import User
from webapp.extensions import db

CATALOG = Path(__file__).resolve().parent.parent / "webapp/translations/zh/LC_MESSAGES"
PO, MO = CATALOG / "messages.po", CATALOG / "messages.mo"
ZH_CN = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

needs_zh_catalog = pytest.mark.xfail(
    not (PO.exists() and MO.exists()),
    reason=f"the zh catalog is not there yet: {PO} is written by the translation work and "
           "compiled to messages.mo by `make install`", strict=True)


def zh(msgid):
    """The Chinese translation of msgid in the .po file ('' when untranslated)."""
    with PO.open("rb") as handle:
        message = read_po(handle).get(msgid)
    return message.string if message and not message.fuzzy else ""


def page_lang(response):
    """The lang attribute of the page's <html> element."""
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_login_page_is_english_by_default(client):
    """No language preference: English."""
    response = client.get("/login")
    assert page_lang(response) == "en"
    assert "Sign in" in response.get_data(as_text=True)


def test_browser_preference_for_zh_cn_selects_chinese(client):
    """Accept-Language: zh-CN picks the zh translation (html lang="zh-CN")."""
    response = client.get("/login", headers=ZH_CN)
    assert page_lang(response) == "zh-CN"
    assert "Accept-Language" in response.headers["Vary"]


@needs_zh_catalog
def test_login_page_text_is_chinese(client):
    """The sign-in page shows the catalog's Chinese words, not the English ones."""
    sign_in = zh("Sign in")
    assert sign_in and any("\u4e00" <= char <= "\u9fff" for char in sign_in)
    html = client.get("/login", headers=ZH_CN).get_data(as_text=True)
    assert sign_in in html and zh("Username") in html
    assert ">Sign in<" not in html


def test_language_switch_sets_the_session_language(client):
    """POST /language overrides the browser and comes back to the page it was sent from."""
    response = client.post("/language", data={"lang": "zh", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert page_lang(client.get("/login")) == "zh-CN"
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert page_lang(client.get("/login", headers=ZH_CN)) == "en"


@pytest.mark.parametrize("form", [{"lang": "fr"}, {"lang": ""}, {}])
def test_language_switch_ignores_unknown_languages(app, login_as, form):
    """Only the UI's languages are taken: the one chosen before stays, in the session
    and on the account."""
    client = login_as("picker")
    client.post("/language", data={"lang": "zh", "next": "/"})
    client.post("/language", data=form)
    assert page_lang(client.get("/")) == "zh-CN"
    user = db.session.scalar(db.select(User).where(User.username == client.username))
    db.session.refresh(user)
    assert user.locale == "zh"


def test_language_switch_never_redirects_off_site(client):
    """next=//evil.example is not followed."""
    response = client.post("/language", data={"lang": "zh", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_a_signed_in_persons_choice_is_remembered_for_next_time(app, login_as):
    """The language is kept on the account and used at the next sign-in elsewhere."""
    client = login_as("picker")
    client.post("/language", data={"lang": "zh", "next": "/"})
    user = db.session.scalar(db.select(User).where(User.username == client.username))
    assert user.locale == "zh"
    other = app.test_client()
    other.post("/login", data={"username": client.username, "password": "pw-123456"})
    assert page_lang(other.get("/login")) == "zh-CN"


def test_translation_outside_a_request_uses_english(app):
    """Jobs and CLI commands have no request: messages come out in the default language."""
    assert gettext("Sign in") == "Sign in"


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path):
    """Extract every translatable string (as `make translations-extract` does) and find
    each in the zh catalogue: one missed ("Action" on the audit screen) showed English."""
    import subprocess
    import sys
    root = PO.parents[3].parent
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
                   cwd=root, check=True, capture_output=True)
    with pot.open("rb") as handle:
        wanted = [m for m in read_po(handle) if m.id]
    with PO.open("rb") as handle:
        catalog = read_po(handle)

    def translated(message):
        found = catalog.get(message.id)
        if found is None or found.fuzzy:
            return False
        return all(found.string) if isinstance(found.string, tuple) else bool(found.string)
    missing = [f"{m.id!r} ({m.locations[0][0]})" for m in wanted if not translated(m)]
    assert missing == []
