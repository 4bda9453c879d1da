"""The Devices page at phone size: register a device for its roles, edit them."""
from playwright.sync_api import expect


def test_devices_page_registers_and_edits_roles_in_one_column(phone, login, screenshot):
    login(phone, "supervisor")
    phone.goto("/admin/devices")
    name = "PACK-E2E"
    form = phone.locator("#register-device")
    form.locator("input[name=name]").fill(name)
    form.locator("input[value=picker]").uncheck()
    form.locator("input[value=packer]").check()
    form.get_by_role("button", name="Register device").tap()
    expect(phone.locator(".card.token")).to_be_visible()
    card = phone.locator("li.card", has_text=name)
    expect(card.locator("input[value=packer]")).to_be_checked()
    expect(card.locator("input[value=picker]")).not_to_be_checked()
    card.locator("input[value=courier]").check()
    card.get_by_role("button", name="Save").tap()
    expect(phone.locator(".flash", has_text=f"Device {name} saved.")).to_be_visible()
    card = phone.locator("li.card", has_text=name)
    expect(card.locator("input[value=courier]")).to_be_checked()
    # One column at 360 px: nothing wider than the screen, targets big enough.
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    box = card.get_by_role("button", name="Save").bounding_box()
    assert box["height"] >= 40
    screenshot(phone, "devices-360")
    assert phone.js_errors == []
