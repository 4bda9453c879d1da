"""The people a request's scans name are read ahead with its uuids (one statement);
past PEOPLE_AHEAD of them, the rest are read as their scans come: the same answers."""
from sqlalchemy import select

from webapp.accounts.models import User
from webapp.extensions import db
from webapp.picking import services as picking
from webapp.sync import services as sync
from webapp.sync.checks import PEOPLE_AHEAD


def test_a_batch_naming_more_people_than_are_read_ahead(walk, device, scans):
    task = picking.current_task(walk["list"])
    located = scans.make(task, task.location.code)
    packer = db.session.scalar(select(User.id).where(User.username == "packer"))
    nobody = 10_000_000
    strangers = [dict(scans.make(task, task.location.code), user_id=nobody + n)
                 for n in range(PEOPLE_AHEAD + 3)]
    # The picker's scan first, strangers filling the read-ahead, then the picker again
    # (read ahead) and the packer (read later: not this device's picker role).
    last = [scans.make(task, task.location.code),
            dict(scans.make(task, task.location.code), user_id=packer)]
    results, _batch = sync.receive({"scans": [located, *strangers, *last]},
                                   device["device"])
    db.session.commit()
    statuses = [(r["status"], r["reason"]) for r in results]
    assert statuses[0][0] == "applied"
    assert statuses[1:-2] == [("rejected", "unknown or inactive user "
                               f"(user_id {nobody + n} names nobody)")
                              for n in range(PEOPLE_AHEAD + 3)]
    assert statuses[-2][0] == "applied"  # the location again: nothing changes
    assert statuses[-1] == ("rejected", "this person may not pick")
