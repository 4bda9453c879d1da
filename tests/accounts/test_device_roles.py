"""Devices serve roles: registered with them, shown and edited on the Devices page;
devices from before roles existed get picker and packer."""
import re
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

import webapp
from webapp import create_app
from webapp.accounts.models import Device
from webapp.accounts.services import (create_user, device_for_token, record_sign_in,
                                      register_device)
from webapp.extensions import db


def test_a_device_is_registered_for_the_roles_ticked(login_as):
    """The form's roles are kept; none ticked is refused with a message (422)."""
    admin = login_as("admin")
    page = admin.post("/admin/devices", data={"name": "PACK-1", "roles": ["packer"]})
    token = re.search(r'<code class="big">([^<]+)</code>', page.get_data(as_text=True))[1]
    assert device_for_token(token).roles == {"packer"}
    refused = admin.post("/admin/devices", data={"name": "PACK-2"})
    assert refused.status_code == 422
    assert "Choose at least one role" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Device).where(Device.name == "PACK-2")) is None


def test_the_devices_page_shows_and_edits_roles_and_who_signed_in(login_as):
    """A supervisor changes what a device serves; its sign-ins are listed."""
    device, _token = register_device("HH-05", roles=["picker"])
    person = create_user("li", "pw-123456", ["picker"], display_name="Li Lei")
    record_sign_in(device.id, person.id)
    db.session.commit()
    supervisor = login_as("supervisor")
    html = supervisor.get("/admin/devices").get_data(as_text=True)
    card = html[html.index('id="device-%d"' % device.id):]
    assert "Li Lei" in card[:card.index("</li>")]
    assert re.search(r'value="picker"\s+checked', card)
    assert not re.search(r'value="courier"\s+checked', card[:card.index("</li>")])
    answer = supervisor.post(f"/admin/devices/{device.id}/roles",
                             data={"roles": ["courier", "picker"]})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Device, device.id).roles == {"courier", "picker"}


def test_editing_roles_refuses_none_unknown_and_missing_devices(login_as):
    """Nothing ticked or a made-up role changes nothing; an unknown device is 404."""
    device, _token = register_device("HH-06", roles=["picker"])
    db.session.commit()
    supervisor = login_as("supervisor")
    for roles in ([], ["wizard"]):
        supervisor.post(f"/admin/devices/{device.id}/roles", data={"roles": roles})
        db.session.expire_all()
        assert db.session.get(Device, device.id).roles == {"picker"}
    assert supervisor.post("/admin/devices/999999/roles",
                           data={"roles": ["picker"]}).status_code == 404
    assert supervisor.post(f"/admin/devices/{2**63}/roles",
                           data={"roles": ["picker"]}).status_code == 404


def _revision_before_roles():
    """The migration the device roles come after (it moves as other work lands)."""
    versions = Path(webapp.__file__).parent / "migrations" / "versions"
    path = next(versions.glob("*_device_roles_and_sign_ins.py"))
    return re.search(r"^down_revision = '(\w+)'", path.read_text(), re.M)[1]


def test_devices_from_before_roles_serve_picker_and_packer(tmp_path):
    """The migration gives every device registered earlier the two roles that had
    device screens then."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "SECRET_KEY": "x", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(revision=_revision_before_roles())
        db.session.execute(sa.text(
            "INSERT INTO device (name, token_hash, registered_at, pending_scans) "
            "VALUES ('HH-OLD', 'abc', '2026-01-01 00:00:00', 0)"))
        db.session.commit()
        upgrade()
        old = db.session.scalar(sa.select(Device).where(Device.name == "HH-OLD"))
        assert old.roles == {"picker", "packer"}
        db.session.remove()
