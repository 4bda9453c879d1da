"""Catalog admin (locations, products, CSV import), stock lookup and labels."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import allow
from ..accounts.models import ROLES
from ..extensions import db
from ..limits import MAX_CODE_CHARS
from . import blocks, labels, services
from .imports import COLUMNS, import_csv
from .models import LOCATION_TYPES, Location, Product

bp = Blueprint("catalog", __name__, template_folder="templates")

CATALOG_READERS = ("admin", "supervisor", "receiver")


@bp.route("/catalog")
@allow("admin", "supervisor")
def index():
    """Catalog admin home."""
    return render_template("catalog/index.html", counts=services.counts())


@bp.route("/catalog/locations")
@allow(*CATALOG_READERS)
def locations():
    """Locations in walking order, filtered by code."""
    found = services.search_locations(request.args.get("q", "").strip(), limit=200)
    return render_template("catalog/locations.html", locations=found)


@bp.route("/catalog/locations/new", methods=["GET", "POST"])
@bp.route("/catalog/locations/<int:location_id>", methods=["GET", "POST"])
@allow("admin")
def edit_location(location_id=None):
    """Create or edit a location."""
    location = db.get_or_404(Location, location_id) if location_id else None
    if request.method == "POST":
        try:
            location = services.save_location(request.form, location)
        except services.CatalogError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("catalog/location_form.html", location=location,
                                   form=request.form, types=LOCATION_TYPES), 422
        db.session.commit()
        flash(_("Location %(code)s saved.", code=location.code), "ok")
        return redirect(url_for("catalog.locations", q=location.code))
    return render_template("catalog/location_form.html", location=location,
                           form=_location_fields(location), types=LOCATION_TYPES)


def _location_fields(location):
    """Form values for an existing location (empty for a new one)."""
    if location is None:
        return {"type": "storage"}
    return {"code": location.code, "type": location.type, "zone": location.zone,
            "aisle": location.aisle, "bay": location.bay, "level": location.level,
            "warehouse": location.warehouse.code}


@bp.route("/catalog/products")
@allow(*CATALOG_READERS)
def products():
    """Products filtered by SKU, name or barcode."""
    found = services.search_products(request.args.get("q", "").strip(), limit=200)
    return render_template("catalog/products.html", products=found)


@bp.route("/catalog/products/new", methods=["GET", "POST"])
@bp.route("/catalog/products/<int:product_id>", methods=["GET", "POST"])
@allow("admin")
def edit_product(product_id=None):
    """Create or edit a product and its barcodes."""
    product = db.get_or_404(Product, product_id) if product_id else None
    if request.method == "POST":
        try:
            product = services.save_product(request.form, product)
        except services.CatalogError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("catalog/product_form.html", product=product,
                                   form=request.form), 422
        db.session.commit()
        flash(_("Product %(sku)s saved.", sku=product.sku), "ok")
        return redirect(url_for("catalog.products", q=product.sku))
    return render_template("catalog/product_form.html", product=product,
                           form=_product_fields(product))


def _product_fields(product):
    """Form values for an existing product (empty for a new one)."""
    if product is None:
        return {}
    return {"sku": product.sku, "name": product.name, "image_url": product.image_url or "",
            "length_mm": product.length_mm or "", "width_mm": product.width_mm or "",
            "height_mm": product.height_mm or "",
            "barcodes": "\n".join(f"{b.code}:{b.symbology}" for b in product.barcodes)}


@bp.route("/catalog/import", methods=["GET", "POST"])
@allow("admin")
def import_file():
    """Upload a CSV of locations, products or opening stock; all rows or none."""
    report = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        kind = request.form.get("kind", "")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file to import."), "error")
            status = 400
        else:
            report = import_csv(kind, upload.read(), user_id=current_user.id)
            if report.ok:
                db.session.commit()
                flash(_("%(count)d rows imported.", count=report.applied), "ok")
            else:
                db.session.rollback()
                status = 422
    return render_template("catalog/import.html", report=report, columns=COLUMNS), status


@bp.route("/lookup", methods=["GET", "POST"])
@allow(*ROLES)
def lookup():
    """Scan or type a code: where a product is, or what a location holds. The field
    posts it (a long GS1 string does not fit in a URL); ?code= links still work."""
    source = request.form if request.method == "POST" else request.args
    code = source.get("code", "").strip()
    result = _lookup(code) if code else None
    template = "catalog/_lookup_result.html" if request.htmx else "catalog/lookup.html"
    return render_template(template, code=code, result=result)


def _lookup(code):
    """The lookup result for a code, as a dict the template renders."""
    if len(code) > MAX_CODE_CHARS:  # refused whole, and never echoed back whole
        return {"error": _("This code is too long: %(n)d characters (at most %(max)d). "
                           "It starts %(start)s…", n=len(code), max=MAX_CODE_CHARS,
                           start=code[:24])}
    try:
        kind, thing = services.resolve_code(code)
    except services.CatalogError as error:
        return {"error": str(error)}
    if kind == "product":
        return {"product": thing, "stock": services.stock_of_product(thing.id),
                "blocked": {b.location_id: b for b in blocks.blocks_of_product(thing.id)}}
    return {"location": thing, "stock": services.stock_at_location(thing.id),
            "blocked": {b.product_id: b for b in blocks.blocks_at(thing.id)}}


@bp.route("/labels/<kind>")
@allow("admin", "supervisor", "receiver")
def print_labels(kind):
    """Printable Code128 labels for locations or products (?ids=1,2&size=50x30)."""
    model = {"locations": Location, "products": Product}.get(kind)
    if model is None:
        abort(404)
    ids = _ids(request.args.get("ids", ""))
    query = select(model).where(model.id.in_(ids)) if ids else select(model).limit(24)
    things = db.session.scalars(query.order_by(model.id)).all()
    size = request.args.get("size", "50x30")
    page = labels.layout(size)
    items = [_label(kind, thing, page) for thing in things]
    return render_template("catalog/labels.html", items=items, size=size, page=page,
                           sizes=labels.LAYOUTS, kind=kind, ids=request.args.get("ids", ""))


def _ids(text):
    """Parse '1,2,3' into ints, ignoring junk; at most 500 labels a page."""
    return [int(part) for part in text.split(",") if part.strip().isdigit()][:500]


def _label(kind, thing, page):
    """The value, caption and SVG of one label."""
    if kind == "locations":
        value, caption = thing.code, f"{thing.zone} · {thing.type}"
    else:
        value = thing.barcodes[0].code if thing.barcodes else thing.sku
        caption = f"{thing.sku} · {thing.name}"
    svg = labels.code128_svg(value, page["bar_width"], page["bar_height"])
    return {"value": value, "caption": caption, "svg": svg}
