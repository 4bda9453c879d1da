"""The KPI page of the console: charts with their tables, per period, zone and person;
CSV export of each table."""
from flask import abort, render_template, request

from ..access import allow
from ..accounts.models import User
from ..csvexport import csv_response
from ..extensions import db
from . import kpis
from .clock import PERIODS
from .picklists import pickers
from .views import SUPERVISORS, bp


def _filters():
    """The period, zone and person asked for; unknown values fall back to 'all'."""
    period = request.args.get("period", "today")
    zone = request.args.get("zone", "")
    person = request.args.get("person", type=int)
    if period not in PERIODS:
        period = "today"
    if zone and zone not in kpis.zones():
        zone = ""
    if person and (not 0 < person <= 2**31 - 1 or db.session.get(User, person) is None):
        person = None
    return {"period": period, "zone": zone or None, "person": person}


@bp.route("/console/kpis", endpoint="kpis")
@allow(*SUPERVISORS)
def kpi_page():
    """The filters and one placeholder per KPI; each loads its chart and table on its own,
    so a slow KPI never holds up the page or the others."""
    filters = _filters()
    return render_template("supervision/kpis.html", filters=filters, titles=kpis.TITLES,
                           query=_query(filters), zones=kpis.zones(), people=pickers())


@bp.route("/console/kpis/chart/<name>")
@allow(*SUPERVISORS)
def kpi_fragment(name):
    """One KPI: its chart, its table, its CSV link."""
    func = kpis.KPIS.get(name)
    if func is None:
        abort(404)
    filters = _filters()
    return render_template("supervision/_kpi.html", kpi=func(**filters), filters=filters,
                           query=_query(filters))


def _query(filters):
    """The filters as URL arguments (blank ones left out)."""
    return {key: value for key, value in filters.items() if value}


@bp.route("/console/kpis/<name>.csv")
@allow(*SUPERVISORS)
def kpi_csv(name):
    """One KPI's table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    func = kpis.KPIS.get(name)
    if func is None:
        abort(404)
    filters = _filters()
    kpi = func(**filters)
    return csv_response(f"{name}-{filters['period']}.csv", kpi.columns, kpi.rows)
