"""The service worker route, the offline shell, the device page and the app's files."""
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from webapp.accounts.services import register_device, revoke_device
from webapp.extensions import db
from webapp.pwa import icons

STATIC = Path(__file__).resolve().parents[2] / "static"


def worker_config(body):
    """The CONFIG object the route wrote into sw.js."""
    line = re.search(r"^const CONFIG = (.*);$", body, re.MULTILINE).group(1)
    return json.loads(line)


def test_service_worker_is_served_at_the_root_with_its_config(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    config = worker_config(response.get_data(as_text=True))
    assert config["version"] == app.config["ASSET_VERSION"] != "dev"
    assert config["shell"] == "/offline/picking" and config["scans"] == "/api/v1/scans"
    for url in ("/static/css/app.css", "/static/vendor/htmx/htmx.min.js", "/static/js/app.js",
                "/static/js/outbox.js", "/static/js/offline-pick.js", "/static/icons/icon-192.png",
                "/static/manifest.webmanifest", "/offline/picking"):
        assert url in config["precache"]
    for url in config["precache"]:  # every file the worker stores exists
        assert client.get(url).status_code == 200, url


def test_every_offline_page_is_a_registered_shell_the_worker_stores(client, app):
    """A flow's /offline/... page left out of the registry would never be stored: the
    handheld would find nothing in a dead zone. Each one answers signed out, is
    precached, and the pages under its prefix open it (the most specific prefix)."""
    config = worker_config(client.get("/sw.js").get_data(as_text=True))
    offline = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/offline/")}
    assert offline and offline == set(config["shellPages"]) - {"/device"}
    for url in offline:
        assert url in config["precache"] and client.get(url).status_code == 200, url
    prefixes = [prefix for prefix, _shell in config["shells"]]
    assert prefixes == sorted(prefixes, key=len, reverse=True)
    shells = dict(config["shells"])
    assert shells["/putaway"] == "/offline/putaway" and shells["/counts"] == "/offline/counts"


def test_a_shell_is_registered_once():
    from webapp.pwa.shells import register_shell
    register_shell("counts.offline_shell", under="counts.my_counts")  # the same again: fine
    with pytest.raises(ValueError):
        register_shell("counts.offline_shell", under="receiving.today")


def test_offline_shell_is_public_and_has_the_scan_field(client):
    response = client.get("/offline/picking?list=3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="scan"' in html and "data-offline-scan" in html and 'id="pick-strings"' in html
    assert 'rel="manifest"' in html


def test_every_page_shows_the_waiting_count_and_links_the_manifest(login_as):
    html = login_as("picker").get("/").get_data(as_text=True)
    assert 'id="sync-status"' in html and 'id="sync-waiting"' in html
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in html


def test_device_page_needs_a_sign_in(client, login_as):
    assert client.get("/device").status_code == 302
    assert login_as("picker").get("/device").status_code == 200


def test_device_state_answers_for_a_token(client):
    device, token = register_device("HH-01")
    db.session.commit()
    answer = client.get("/device/state", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.get_json()["device"]["name"] == "HH-01"
    revoke_device(device.id)
    db.session.commit()
    revoked = client.get("/device/state", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert client.get("/device/state", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_device_state_with_only_a_session_is_no_device(login_as):
    assert login_as("packer").get("/device/state").get_json() == {"device": None}


def test_admin_gets_a_setup_link_with_the_token_in_the_fragment(login_as):
    html = login_as("admin").post("/admin/devices", data={"name": "HH-09", "roles": "picker"}).get_data(as_text=True)
    token = re.search(r'<code class="big">([^<]+)</code>', html).group(1)
    assert f'href="/device#token={token}"' in html


def test_manifest_names_the_app_and_its_icons():
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["theme_color"] == "#0b3d91"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert (STATIC / icon["src"].removeprefix("/static/")).exists()


def test_icon_files_are_what_the_generator_draws(tmp_path):
    for path in icons.write_all(tmp_path):
        assert path.read_bytes() == (STATIC / "icons" / path.name).read_bytes(), path.name


def test_png_writer_makes_a_png_a_decoder_reads_back():
    rows = [bytes([x * 60, y * 80, 0x91, 255 - x]) for y in range(3) for x in range(2)]
    rows = [b"".join(rows[y * 2:(y + 1) * 2]) for y in range(3)]  # 2 x 3 pixels, RGBA
    image = Image.open(io.BytesIO(icons.png(2, 3, rows)))
    image.load()  # decodes every chunk: a bad CRC, length or zlib stream raises
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (2, 3))
    assert [image.getpixel((x, y)) for y in range(3) for x in range(2)] == [
        (x * 60, y * 80, 0x91, 255 - x) for y in range(3) for x in range(2)]


def test_the_icons_decode_to_the_blue_tile_with_white_bars():
    for name, (size, _maskable) in icons.FILES.items():
        image = Image.open(STATIC / "icons" / name)
        image.load()
        assert (image.mode, image.size) == ("RGBA", (size, size)), name
        assert image.getpixel((size // 2, size // 10))[:3] == icons.BLUE, name
        assert icons.WHITE in {image.getpixel((x, size // 2))[:3] for x in range(size)}, name
