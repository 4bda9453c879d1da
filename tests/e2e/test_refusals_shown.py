"""A refused htmx request says why on the screen (Chromium at 360x740).

htmx 2 swaps no 4xx answer: a wave started with a bad limit answered 422 with its
message and the supervisor saw nothing happen. static/js/app.js shows the shared error
fragment in one alert at the top of the page and swaps a form's own 4xx answer.
"""
from playwright.sync_api import expect

from offline_support import sign_in


def test_a_bad_wave_limit_is_shown_and_cleared_by_the_next_request(new_phone):
    page = new_phone()
    sign_in(page, "supervisor")
    page.goto("/waves")
    form = page.locator("form[hx-post$='/waves']")
    form.locator("input[name=max_orders]").fill("0")
    form.locator("button").click()
    alert = page.locator("#request-error .error-box")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("422")
    expect(alert).to_contain_text("must be a whole number from")
    expect(form).to_be_visible()  # the form that asked is still there to correct
    assert page.locator("#waves .error-box").count() == 0  # not swapped into the list

    form.locator("input[name=max_orders]").fill("4")
    form.locator("button").click()
    expect(page.locator("#request-error")).to_have_count(0)
    assert page.js_errors == []


def test_a_refused_action_says_why(new_phone):
    """403 through htmx (a picker's form posted to a supervisor's action) is shown."""
    page = new_phone()
    sign_in(page, "picker")
    page.goto("/")
    page.evaluate("""() => htmx.ajax('POST', '/waves', {target: '#main', swap: 'beforeend',
                                                       values: {max_orders: '4'}})""")
    alert = page.locator("#request-error .error-box")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Your role does not allow this.")
