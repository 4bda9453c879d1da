"""The home's one mechanism for live work (core.home.register_hint): a card's text, and
lists of waiting work above the cards for the roles whose work they are."""
import pytest
from jinja2 import ChoiceLoader, DictLoader

from webapp.core import home
from webapp.extensions import db
from webapp.handoff.models import Manifest


def test_hint_signature_of_today_still_sets_the_cards_text(app, login_as):
    """register_hint(endpoint, hint), as receiving calls it: the receiver's card says
    what waits today instead of its fixed text."""
    page = login_as("receiver").get("/").get_data(as_text=True)
    assert "expected today" in page and "being received" in page
    assert "收货, 检验, 上架" not in page  # the fixed hint gave way to the live one


def test_work_lists_go_to_the_roles_they_name(app, login_as):
    from datetime import date
    db.session.add(Manifest(carrier="sf", pickup_date=date.today()))
    db.session.commit()
    courier = login_as("courier").get("/").get_data(as_text=True)
    assert 'id="home-handoff"' in courier and "MF" in courier
    assert 'id="home-cases"' not in courier
    service = login_as("customer_service").get("/").get_data(as_text=True)
    assert 'id="home-cases"' in service and 'id="home-handoff"' not in service
    # the supervisor has the handoff card too, and the console's tile instead of the list
    supervisor = login_as("supervisor").get("/").get_data(as_text=True)
    assert 'id="home-handoff"' not in supervisor and 'id="tile-handoff"' in supervisor
    assert 'id="home-handoff"' not in login_as("picker").get("/").get_data(as_text=True)


@pytest.fixture
def probe_template(app):
    """A template for a registered work list, removed afterwards with the registration."""
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([
        DictLoader({"probe_work.html": '<p id="probe-work">{{ data.n }} waiting</p>'}),
        original])
    yield "probe_work.html"
    app.jinja_env.loader = original
    home._LIVE.pop(("catalog.lookup", "probe_work.html"), None)


def test_a_domain_adds_a_work_list_through_register_hint(app, login_as, probe_template):
    asked = []

    def waiting():
        asked.append(1)
        return {"n": 7}
    home.register_hint("catalog.lookup", waiting, template=probe_template, roles=("picker",))
    assert '<p id="probe-work">7 waiting</p>' in login_as("picker").get("/").get_data(
        as_text=True)
    # a packer has the same card but the list is not theirs; an admin lacks the card:
    # neither page asks for it
    asked.clear()
    assert "probe-work" not in login_as("packer").get("/").get_data(as_text=True)
    assert "probe-work" not in login_as("admin").get("/").get_data(as_text=True)
    assert asked == []
    assert [t for t, _c in home.work_for({"picker"})] == [probe_template]
    # the card's own text is untouched by a work list on the same endpoint
    with app.test_request_context():
        hints = {str(c["title"]): str(c["hint"]) for c in home.cards_for({"picker"})}
    assert hints["Find stock"] == "Scan a product or a location"
