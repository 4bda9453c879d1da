"""Two counters claiming the same open count at the same instant (PostgreSQL): one
counts it, the other is told someone else is counting that location.

Both handhelds scanned the bin's location while the count was open. Both requests
read the task open before either committed; the later claim wrote its counter over
the first's, and the first counter, told "Counting ...", walked the shelf for a
count that was no longer his (every later scan refused, or, synced, a conflict). A
count's scan now takes the task's row lock before judging it.
"""
from racing import race
from test_counting import a_stocked_bin
from webapp.counts import services as counts
from webapp.counts.models import CountTask
from webapp.extensions import db


def test_two_counters_claiming_one_count(pg_warehouse, user_id):
    _product, bin_ = a_stocked_bin()
    task_id = counts.raise_count(bin_.id, None, "test").id
    db.session.commit()
    first_counter, second_counter, code = user_id("receiver"), user_id("supervisor"), bin_.code

    def claim(counter):
        return lambda: counts.scan(task_id, counter, code)

    first, second, waited = race(pg_warehouse, claim(first_counter), claim(second_counter))
    assert first.ok, first
    assert isinstance(second, counts.TaskGone), second  # before: took the count over
    assert "Someone else" in str(second)
    task = db.session.get(CountTask, task_id)
    assert (task.status, task.counter_id) == ("counting", first_counter)
    assert waited
