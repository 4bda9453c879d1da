"""The demo warehouse `make run` seeds: big enough to be believable, and consistent."""
from sqlalchemy import func, select

from webapp import demo
from webapp.accounts.models import ROLES, User
from webapp.catalog.models import Barcode, Location, Product
from webapp.catalog.plain_codes import classify
from webapp.catalog.stock import ledger_mismatches
from webapp.extensions import db


def ean13_is_valid(code):
    """Thirteen ASCII digits whose GS1 check digit (computed here) is right."""
    if not (len(code) == 13 and code.isascii() and code.isdigit()):
        return False
    weighted = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - weighted % 10) % 10 == int(code[12])


def locations_by_type():
    """{type: count} of locations."""
    return dict(db.session.execute(select(Location.type, func.count()).group_by(Location.type))
                .all())


def test_demo_seed(any_app):
    """Locations, products with valid EAN-13s, one person per role, ledger consistent."""
    demo.seed(products=60)
    db.session.commit()
    by_type = locations_by_type()
    assert by_type.pop("storage") >= 1000
    assert by_type == {kind: count for _prefix, kind, count in demo.SPECIAL}
    assert db.session.scalar(select(func.count(Product.id))) == 60
    codes = db.session.scalars(select(Barcode.code)).all()
    assert len(codes) == 60 and all(ean13_is_valid(code) for code in codes)
    assert all(classify(code) == (code, "ean13") for code in codes)
    users = {user.username: user for user in db.session.scalars(select(User))}
    for role in ROLES:
        assert users[role].roles == {role} and users[role].check_password(demo.DEMO_PASSWORD)
    assert ledger_mismatches() == []
    assert demo.already_seeded()

