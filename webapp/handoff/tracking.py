"""Tracking (售后跟踪): carrier events stored once, in event order; failed or stuck
deliveries open an after-sales case for customer service."""
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..packing import carriers
from ..packing.carriers import EVENT_CODES, FAILURE_CODES
from ..packing.models import Parcel, Shipment
from ..timeutil import aware, utcnow
from .models import TERMINAL_EVENTS, AfterSalesCase, ParcelTracking, TrackingEvent

POLL_BATCH = 500
MAX_EVENTS = 1000   # one webhook delivery


class EventError(ValueError):
    """A malformed event; the message says which field."""


def parse_event(raw):
    """Check one event from a carrier: tracking number, code, time, id, location."""
    if not isinstance(raw, dict):
        raise EventError("each event must be an object")
    number = str(raw.get("tracking_number") or "").strip().upper()
    code = str(raw.get("code") or "").strip()
    key = str(raw.get("event_id") or "").strip()
    if not number or len(number) > 40:
        raise EventError("tracking_number is required (at most 40 characters)")
    if code not in EVENT_CODES:
        raise EventError(f"code must be one of {', '.join(EVENT_CODES)}")
    if not key or len(key) > 80:
        raise EventError("event_id is required (at most 80 characters)")
    at = raw.get("at")
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError as error:
            raise EventError("at must be an ISO 8601 time") from error
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise EventError("at must be an ISO 8601 time with its offset")
    return {"tracking_number": number, "code": code, "event_key": key,
            "event_at": at.astimezone(timezone.utc),
            "location": str(raw.get("location") or "")[:120]}


def ingest(carrier, events, source):
    """Store new events (replays skipped by the carrier's event id); return how many were new.

    Events may come in any order; a parcel's state follows its latest event by
    event time, never by arrival.
    """
    parcels = _parcels_by_number(carrier, {e["tracking_number"] for e in events})
    rows = [{"parcel_id": parcels[e["tracking_number"]], "carrier": carrier,
             "event_key": e["event_key"], "code": e["code"], "event_at": e["event_at"],
             "location": e["location"], "source": source, "received_at": utcnow()}
            for e in events if e["tracking_number"] in parcels]
    if not rows:
        return 0, len(events)
    inserted = _insert_new(rows)
    refresh_states(sorted({r["parcel_id"] for r in rows}))
    return inserted, len(events) - len(rows)


def _parcels_by_number(carrier, numbers):
    """tracking number -> parcel id, for handed-over parcels of this carrier."""
    found = {}
    numbers = sorted(numbers)
    for start in range(0, len(numbers), POLL_BATCH):
        found.update(db.session.execute(select(ParcelTracking.tracking_number,
                                               ParcelTracking.parcel_id).where(
            ParcelTracking.carrier == carrier,
            ParcelTracking.tracking_number.in_(numbers[start:start + POLL_BATCH]))).all())
    return found


def _insert_new(rows):
    """INSERT ... ON CONFLICT DO NOTHING on (carrier, event id); return rows inserted."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TrackingEvent.__table__).on_conflict_do_nothing(
        index_elements=["carrier", "event_key"]).returning(TrackingEvent.__table__.c.id)
    return len(db.session.execute(statement, rows).all())


def refresh_states(parcel_ids):
    """Set each parcel's state from its latest event by event time; open a case when
    its delivery failed. A few statements per delivery, not a few per parcel."""
    for start in range(0, len(parcel_ids), POLL_BATCH):
        chunk = parcel_ids[start:start + POLL_BATCH]
        ranked = select(TrackingEvent.parcel_id, TrackingEvent.code, TrackingEvent.event_at,
                        func.row_number().over(
                            partition_by=TrackingEvent.parcel_id,
                            order_by=(TrackingEvent.event_at.desc(), TrackingEvent.id.desc()))
                        .label("rank")).where(TrackingEvent.parcel_id.in_(chunk)).subquery()
        latest = db.session.execute(select(ranked.c.parcel_id, ranked.c.code, ranked.c.event_at)
                                    .where(ranked.c.rank == 1)).all()
        trackings = {t.parcel_id: t for t in db.session.scalars(
            select(ParcelTracking).where(ParcelTracking.parcel_id.in_(chunk)))}
        for parcel_id, code, event_at in latest:
            trackings[parcel_id].status, trackings[parcel_id].last_event_at = code, event_at
            if code in FAILURE_CODES or code == "returned":
                open_case(parcel_id, code)


def open_case(parcel_id, reason):
    """Open an after-sales case for a parcel unless one is open already."""
    existing = db.session.scalar(select(AfterSalesCase).where(
        AfterSalesCase.parcel_id == parcel_id, AfterSalesCase.status == "open"))
    if existing is not None:
        return existing
    order_id = db.session.scalar(select(Shipment.order_id).join(Parcel)
                                 .where(Parcel.id == parcel_id))
    case = AfterSalesCase(order_id=order_id, parcel_id=parcel_id, reason=reason)
    db.session.add(case)
    db.session.flush()
    return case


def in_transit(carrier, after_id=0, limit=POLL_BATCH):
    """Handed-over parcels of a carrier not yet delivered or returned, by parcel id."""
    return db.session.scalars(select(ParcelTracking).where(
        ParcelTracking.carrier == carrier, ParcelTracking.status.not_in(TERMINAL_EVENTS),
        ParcelTracking.parcel_id > after_id).order_by(ParcelTracking.parcel_id)
        .limit(limit)).all()


def poll_batch(carrier, after_id, now=None):
    """Ask the carrier about one batch of parcels in transit; return the last id seen."""
    now = now or utcnow()
    batch = in_transit(carrier, after_id)
    if not batch:
        return None
    adapter = carriers.get(carrier)
    raw = adapter.track([{"tracking_number": t.tracking_number,
                          "handed_over_at": aware(t.handed_over_at)} for t in batch], now)
    ingest(carrier, [parse_event(e) for e in raw], "poll")
    return batch[-1].parcel_id


def flag_stuck(now=None):
    """Parcels with no event for TRACKING_STUCK_DAYS get a case ('stuck'); return how many."""
    now = now or utcnow()
    limit = now - timedelta(days=current_app.config.get("TRACKING_STUCK_DAYS", 3))
    opened = 0
    for tracking in db.session.scalars(select(ParcelTracking).where(
            ParcelTracking.status.not_in(TERMINAL_EVENTS))):
        last = aware(tracking.last_event_at or tracking.handed_over_at)
        if last < limit and tracking.status not in FAILURE_CODES:
            before = db.session.scalar(select(AfterSalesCase.id).where(
                AfterSalesCase.parcel_id == tracking.parcel_id, AfterSalesCase.status == "open"))
            if before is None:
                open_case(tracking.parcel_id, "stuck")
                opened += 1
    return opened


def timeline(parcel_id):
    """A parcel's events in event-time order."""
    return db.session.scalars(select(TrackingEvent).where(TrackingEvent.parcel_id == parcel_id)
                              .order_by(TrackingEvent.event_at, TrackingEvent.id)).all()
