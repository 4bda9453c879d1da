"""Two requests that wrote the same rows at once: the errors that mean "changed meanwhile".

On PostgreSQL two transactions can each hold a row the other one wants next (a scan
that wrote its task and then moves the list's orders on; a cancel that locked the
order and then cancels its tasks). The server breaks the deadlock by undoing one of
them; SERIALIZABLE work can be undone the same way. Nothing of the undone one is kept,
so doing the same work again is safe, and a person is told the thing changed
meanwhile (409), never "something went wrong" (500). A pick task written by another
scan since it was read (its version, StaleDataError) is the same kind of event.
"""
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

# PostgreSQL's SQLSTATEs for a transaction undone because another one got there first.
UNDONE = {"40001": "serialization_failure", "40P01": "deadlock_detected"}


def changed_meanwhile(error):
    """True when `error` means another transaction wrote the same rows first, so the
    work (rolled back) may be done again or the person told so."""
    if isinstance(error, StaleDataError):
        return True
    return isinstance(error, DBAPIError) and \
        getattr(error.orig, "sqlstate", None) in UNDONE
