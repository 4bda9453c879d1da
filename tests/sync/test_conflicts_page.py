"""The supervisor's conflicts page: how many there are, and every one reachable by page."""
import uuid

from webapp.extensions import db
from webapp.sync.models import ScanRecord
from webapp.timeutil import utcnow


def make_conflicts(number):
    """number open conflicts, codes C0000... in the order they arrived."""
    db.session.add_all([ScanRecord(scan_uuid=str(uuid.uuid4()), seq=n, action="pick",
                                   code=f"C{n:04d}", status="conflict", reason="list reassigned",
                                   device_time=utcnow()) for n in range(number)])
    db.session.commit()


def test_the_page_counts_the_conflicts_and_pages_through_all_of_them(app, login_as):
    make_conflicts(120)
    client = login_as("supervisor")
    first = client.get("/sync/conflicts").get_data(as_text=True)
    assert "120 conflicts to resolve" in first and "page 1 of 3" in first
    assert "C0000" in first and "C0049" in first and "C0050" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/sync/conflicts?page=3").get_data(as_text=True)
    assert "C0100" in last and "C0119" in last and "C0099" not in last
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # A stale or made-up page number lands on a real page, never a 500 or an empty one.
    assert client.get("/sync/conflicts?page=9").headers["Location"].endswith("page=3")
    assert client.get("/sync/conflicts?page=-2").headers["Location"].endswith("page=1")
    assert client.get("/sync/conflicts?page=x").status_code == 200


def test_resolving_on_a_later_page_returns_to_that_page_and_counts_down(app, login_as):
    make_conflicts(60)
    client = login_as("supervisor")
    record = db.session.query(ScanRecord).filter_by(code="C0055").one()
    response = client.post(f"/sync/conflicts/{record.id}/resolve",
                           data={"note": "put back", "page": "2"})
    assert response.headers["Location"].endswith("page=2")
    page = client.get("/sync/conflicts").get_data(as_text=True)
    assert "59 conflicts to resolve" in page


def test_one_page_shows_no_pager(app, login_as):
    make_conflicts(1)
    page = login_as("supervisor").get("/sync/conflicts").get_data(as_text=True)
    assert "1 conflict to resolve" in page and "page 1 of" not in page
    assert 'rel="next"' not in page
