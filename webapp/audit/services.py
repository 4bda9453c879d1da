"""Reading the audit trail: filtered lists, an object's whole history, CSV rows."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select, text

from ..accounts.models import Device, User
from ..catalog.models import StockMovement
from ..extensions import db
from ..sync.models import ScanRecord
from ..timeutil import utcnow
from .models import AuditEntry

PAGE = 50
SYSTEM = "system"  # the person filter for entries no person made
ACTIONS = ("created", "changed", "deleted")


@dataclass
class Filters:
    """What the audit screen is asked for; every field optional."""

    person: str = ""
    device: str = ""
    object_type: str = ""
    object_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None   # paging: entries older than this one


def parse_filters(args):
    """Filters from a query string; what does not parse is left out, not guessed."""
    return Filters(person=args.get("person", "").strip()[:64],
                   device=args.get("device", "").strip()[:120],
                   object_type=args.get("object_type", "").strip()[:32],
                   object_id=_small_int(args.get("object_id")),
                   action=args.get("action", "") if args.get("action") in ACTIONS else "",
                   since=_day(args.get("since")), until=_day(args.get("until"), end=True),
                   before_id=_small_int(args.get("before_id")))


def entries(filters, limit=PAGE):
    """Entries matching the filters, newest first, with their person and device."""
    query = (select(AuditEntry, User.username, Device.name)
             .outerjoin(User, User.id == AuditEntry.user_id)
             .outerjoin(Device, Device.id == AuditEntry.device_id))
    if filters.person == SYSTEM:  # the work no person asked for (periodic jobs)
        query = query.where(AuditEntry.user_id.is_(None))
    elif filters.person:
        # The person's id first, then the entries by id: the planner then knows how
        # rare the person is (a join on the name walked the whole trail on PostgreSQL
        # for someone with few entries: 537 ms at 1,000,000 entries).
        query = query.where(AuditEntry.user_id == _id_of(User, User.username, filters.person))
    if filters.device:
        query = query.where(AuditEntry.device_id == _id_of(Device, Device.name, filters.device))
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEntry.object_id == filters.object_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.at < filters.until)
    if filters.before_id:
        query = query.where(AuditEntry.id < filters.before_id)
    return db.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).all()


def _id_of(model, name_column, name):
    """The id of the row with that name; -1 (no entry has it) when there is none."""
    found = db.session.scalar(select(model.id).where(name_column == name).limit(1))
    return -1 if found is None else found


def object_types():
    """The kinds of object the trail holds, for the filter's list.

    A plain DISTINCT reads the whole object index (a million rows: most of every
    audit page's time); this walks it kind to kind, one index lookup per kind, on
    SQLite and PostgreSQL alike.
    """
    kinds = text("""
        WITH RECURSIVE kinds(kind) AS (
            SELECT MIN(object_type) FROM audit_entry
            UNION ALL
            SELECT (SELECT MIN(object_type) FROM audit_entry WHERE object_type > kinds.kind)
            FROM kinds WHERE kinds.kind IS NOT NULL)
        SELECT kind FROM kinds WHERE kind IS NOT NULL""")
    return sorted(db.session.scalars(kinds))


def history(object_type, object_id):
    """An object's whole history, oldest first: its audit entries and, for an order, the
    ledger lines and scans that name it (they keep their own tables)."""
    events = [{"at": e.at, "kind": "audit", "entry": e, "user": u, "device": d}
              for e, u, d in reversed(entries(Filters(object_type=object_type,
                                                      object_id=object_id), limit=2000))]
    if object_type == "order":
        events += [{"at": m.created_at, "kind": "ledger", "movement": m}
                   for m in db.session.scalars(select(StockMovement).where(or_(
                       StockMovement.source == f"order:{object_id}",
                       StockMovement.source.like(f"order:{object_id}:%"))))]
        events += [{"at": s.server_time, "kind": "scan", "scan": s}
                   for s in db.session.scalars(select(ScanRecord).where(
                       ScanRecord.order_id == object_id))]
    return sorted(events, key=lambda e: _aware(e["at"]))


def csv_rows(filters, limit=100_000):
    """The filtered entries as rows for the CSV export."""
    for entry, username, device in entries(filters, limit=limit):
        yield (entry.id, entry.at.isoformat(), entry.device_time.isoformat()
               if entry.device_time else "", username or SYSTEM, device or "", entry.object_type,
               entry.object_id, entry.action, _pairs(entry.old_values), _pairs(entry.new_values),
               why_label(entry.why))


def why_label(why):
    """An entry's reason as people read it: a job's marker (audit.trail) in words."""
    from flask_babel import gettext as _

    from .trail import JOB_WHY, SYSTEM_WHY
    if why and why.startswith(JOB_WHY):
        return _("background job %(name)s", name=why[len(JOB_WHY):])
    if why and why.startswith(SYSTEM_WHY):
        return _("system job %(name)s", name=why[len(SYSTEM_WHY):])
    return why or ""


def _pairs(values):
    """{'status': 'new'} as 'status=new' for a CSV cell."""
    return "; ".join(f"{k}={v}" for k, v in (values or {}).items())


def _small_int(text):
    """A whole number that fits the database, or None."""
    if text and text.strip().isascii() and text.strip().isdigit() and len(text.strip()) <= 9:
        return int(text)
    return None


def _day(text, end=False):
    """A date (YYYY-MM-DD) as the start of that day, or of the next one with end=True."""
    try:
        day = datetime.strptime((text or "").strip(), "%Y-%m-%d").date()
        moment = datetime.combine(day, time.min, tzinfo=utcnow().tzinfo)
        return moment + timedelta(days=1) if end else moment
    except (ValueError, OverflowError):  # not a date, or the day after 9999-12-31
        return None


def _aware(moment):
    """Naive times (SQLite) as UTC, so the merged history sorts."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
