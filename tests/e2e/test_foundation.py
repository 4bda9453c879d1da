"""The foundation in a real browser at phone size: sign in, language, scanning, a queued job."""
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from babel.support import Translations
from playwright.sync_api import expect

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webapp" / "translations"
CJK = re.compile(r"[\u4e00-\u9fff]")
UNKNOWN_EAN = "4006381333931"  # valid check digit, German prefix: never in the demo data


def zh(message):
    """The zh catalog's translation of message (what the page should show)."""
    if not (TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo").exists():
        pytest.skip("no compiled zh catalog (webapp/translations/zh/LC_MESSAGES/messages.po)")
    return Translations.load(str(TRANSLATIONS), ["zh"]).gettext(message)


def role_cards(live_server, role):
    """[(title, url), ...] the home screen should show someone holding only `role`."""
    from webapp.core.home import cards_for
    with live_server.app.test_request_context():
        return [(str(card["title"]), card["url"]) for card in cards_for({role})]


def sign_out_button(page):
    """The footer's sign-out button."""
    return page.locator("form[action$='/logout'] button")


# ---------------------------------------------------------------- (a) sign in
def test_picker_signs_in_by_typing_and_sees_their_cards(phone, live_server, screenshot):
    phone.goto("/")  # not signed in: sent to the sign-in page
    expect(phone).to_have_url(re.compile(r"/login"))
    expect(phone.locator("input[name=username]")).to_be_focused()
    screenshot(phone, "login-en")
    phone.keyboard.type("picker")
    phone.locator("input[name=password]").tap()
    phone.keyboard.type("demo")
    phone.get_by_role("button", name="Sign in").tap()

    expect(phone).to_have_url(f"{live_server.url}/")
    expect(phone.locator("h1")).to_have_text("Hello, Demo picker")
    expect(phone.locator(".roles .tag")).to_have_text(["Picker"])
    cards = phone.locator(".cards a.card")
    expected = role_cards(live_server, "picker")
    assert ("Find stock", "/lookup") in expected
    expect(cards.locator("strong")).to_have_text([title for title, _url in expected])
    assert [card.get_attribute("href") for card in cards.all()] == [url for _t, url in expected]
    screenshot(phone, "home-picker-en")
    assert phone.js_errors == []


def test_wrong_password_is_refused(phone):
    phone.goto("/login")
    phone.locator("input[name=username]").fill("picker")
    phone.locator("input[name=password]").fill("not-the-password")
    phone.get_by_role("button", name="Sign in").tap()
    expect(phone.locator(".flash.error", has_text="Wrong username or password.")).to_be_visible()
    expect(sign_out_button(phone)).to_have_count(0)


def test_csrf_is_enforced_on_the_live_server(phone, login):
    login(phone, "courier")
    answer = phone.request.post("/language", form={"lang": "zh", "next": "/"},
                                max_redirects=0)
    assert answer.status == 400  # no token: refused, unlike the browser's own forms
    assert "form expired" in answer.text()


# ---------------------------------------------------------------- (b) language
def test_language_switch_turns_the_page_chinese_and_back(phone, login):
    sign_out_zh = zh("Sign out")
    assert sign_out_zh != "Sign out" and CJK.search(sign_out_zh), \
        "the zh catalog does not translate 'Sign out'"
    login(phone, "packer")  # not the picker: the switch is remembered on the account
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(sign_out_button(phone)).to_have_text("Sign out")

    phone.locator("button[name=lang][value=zh]").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(sign_out_button(phone)).to_have_text(sign_out_zh)
    expect(phone).to_have_url(re.compile(r"/$"))  # stayed on the same page

    phone.locator("button[name=lang][value=en]").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(sign_out_button(phone)).to_have_text("Sign out")
    assert phone.js_errors == []


def test_a_chinese_phone_gets_chinese_by_default(new_phone, login, screenshot):
    page = new_phone(locale="zh-CN")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text(zh("Sign in"))
    login(page, "picker")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(sign_out_button(page)).to_have_text(zh("Sign out"))
    expect(page.locator(".cards a.card strong")).to_contain_text([zh("Find stock")])
    screenshot(page, "home-picker-zh")


# ---------------------------------------------------------------- (c) scanning
def scan(page, code):
    """What a keyboard-wedge scanner does: type the code fast, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_wedge_scan_shows_the_product_and_readies_the_next_scan(phone, login, demo_products,
                                                               screenshot):
    ean, name, sku = demo_products[0]
    login(phone, "picker")
    phone.goto("/lookup")
    field = phone.locator("#scan")
    expect(field).to_be_focused()

    scan(phone, ean)
    result = phone.locator("#lookup-result")
    expect(result.locator("[data-feedback=ok] h2")).to_have_text(name)
    expect(result).to_contain_text(sku)
    expect(result.locator("table.rows tbody tr").first).to_be_visible()
    expect(field).to_have_value("")
    expect(field).to_be_focused()
    expect(phone).to_have_url(re.compile(r"/lookup$"))  # a fragment swap, not a page load
    screenshot(phone, "lookup-en")
    assert phone.js_errors == []


def is_lookup_post(request):
    """A scan sent by Find stock: a POST of the code to /lookup (a long GS1 string does
    not fit in a URL, so the code is in the body, not in ?code=)."""
    return request.method == "POST" and urlparse(request.url).path == "/lookup"


def posted_code(request):
    """The code a Find stock POST carries in its form body."""
    return parse_qs(request.post_data or "").get("code", [""])[0]


def hold_first_answer(page):
    """Hold the first lookup's answer until release() is called (Wi-Fi at the aisle's end)."""
    held, seen = [], []

    def handle(route):
        if not is_lookup_post(route.request):
            route.continue_()
            return
        seen.append(route.request.url)
        if len(seen) == 1:
            held.append(route)
        else:
            route.continue_()

    def release():
        held.pop().continue_()
    page.route("**/lookup", handle)
    return release


@pytest.mark.parametrize("slow", [False, True], ids=["answers-fast", "first-answer-slow"])
def test_a_burst_of_scans_sends_each_code_once_and_shows_the_last(phone, login,
                                                                  demo_products, slow):
    burst = demo_products[1:4]
    login(phone, "picker")
    phone.goto("/lookup")
    expect(phone.locator("#scan")).to_be_focused()
    release = hold_first_answer(phone) if slow else None
    sent, answers = [], []
    phone.on("request", lambda request: is_lookup_post(request) and sent.append(
        posted_code(request)))
    phone.on("response", lambda response: is_lookup_post(response.request)
             and answers.append(response))

    for ean, _name, _sku in burst:
        scan(phone, ean)
        phone.wait_for_timeout(50)  # the scanner's pause between two labels
    if release:
        assert len(sent) == 1  # scans 2 and 3 wait in the scan field's queue behind it
        release()

    result = phone.locator("#lookup-result")
    expect(result.locator("[data-feedback=ok] h2")).to_have_text(burst[-1][1])
    expect(result.locator("[data-feedback=bad]")).to_have_count(0)
    expect(phone.locator("#scan")).to_have_value("")
    expect(phone.locator("#scan")).to_be_focused()
    assert sent == [ean for ean, _name, _sku in burst]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert not any('data-feedback="bad"' in answer.text() for answer in answers)
    assert phone.js_errors == []


def test_an_unknown_code_is_refused_in_red(phone, login):
    login(phone, "picker")
    phone.goto("/lookup")
    scan(phone, UNKNOWN_EAN)
    error = phone.locator("#lookup-result [data-feedback=bad]")
    expect(error).to_contain_text(UNKNOWN_EAN)
    expect(error).to_have_css("color", "rgb(179, 0, 27)")  # --bad
    expect(phone.locator("#scan")).to_have_value("")
    expect(phone.locator("#scan")).to_be_focused()


# ---------------------------------------------------------------- (d) a queued job
def test_ledger_check_runs_on_a_real_worker_and_the_page_updates(phone, login, live_server,
                                                               run_worker):
    login(phone, "supervisor")
    phone.goto("/reconciliation")
    phone.evaluate("window.stillTheSamePage = true")
    phone.get_by_role("button", name="Run the check now").tap()

    run = phone.locator("#runs .run").first
    status = run.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "queued")
    expect(status).to_have_text("Queued")

    run_worker(live_server.db_url, "reconciliation")

    expect(status).to_have_attribute("data-status", "finished", timeout=20_000)
    expect(status).to_have_text("Finished")
    expect(run.locator("p.ok:not([data-chain])")).to_contain_text("stock levels match the ledger")
    expect(run.locator("p[data-chain=holds]")).to_contain_text("hash chain holds")
    assert run.get_attribute("hx-get") is None  # finished: it stops polling
    assert phone.evaluate("window.stillTheSamePage") is True  # updated without a reload
    assert phone.js_errors == []
