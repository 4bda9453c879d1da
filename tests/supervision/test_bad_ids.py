"""The console answers ids too big for the database without a 500."""
BIG = "99999999999999999999"


def test_console_huge_ids_are_refused_plainly(app, login_as):
    """A person filter is dropped; a list id past the column is not found; a picker id
    past the column is 'choose an active picker'."""
    client = login_as("supervisor")
    assert client.get(f"/console/kpis?person={BIG}").status_code == 200
    assert client.get(f"/console/kpis/chart/lines_per_hour?person={BIG}").status_code in (200, 404)
    assert client.post(f"/console/picklists/{BIG}", data={"action": "release"}).status_code == 404
    assert client.post("/console/picklists/1", data={"action": "assign",
                                                     "picker_id": BIG}).status_code < 500
