"""A scanner's long code in Find stock, through gunicorn: a clear answer, not HTTP 414
(the code went in the URL, past gunicorn's 4,094-byte request line)."""
from playwright.sync_api import expect


def test_a_5000_character_code_in_find_stock_is_answered_too_long(phone, login, screenshot):
    login(phone, "picker")
    phone.goto("/lookup")
    field = phone.locator("#scan")
    field.fill("01" + "9" * 4998)
    field.press("Enter")
    result = phone.locator("#lookup-result")
    expect(result).to_contain_text("This code is too long: 5000 characters (at most 200).")
    assert len(result.inner_text()) < 300  # the code is not echoed back whole
    field.fill("A-01-01-1")
    field.press("Enter")
    expect(result).not_to_contain_text("too long")
    screenshot(phone, "lookup-too-long")
    assert phone.js_errors == []
