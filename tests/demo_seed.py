"""The demo warehouse seeded per test, quickly: each password is hashed once per run."""
import pytest
from werkzeug.security import generate_password_hash

from webapp import demo
from webapp.accounts import models as account_models

_HASHES = {}


def hash_once(password, *args, **kwargs):
    """generate_password_hash, computed once per password: seeding runs per test."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password, *args, **kwargs)
    return _HASHES[password]


def seed_demo(products, without=()):
    """demo.seed with `products` products, leaving out the demo's parts named in
    `without` (its "_orders", "_receipts": the tests bring their own)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_models, "generate_password_hash", hash_once)
        for name in without:
            if hasattr(demo, name):
                patch.setattr(demo, name, lambda *args, **kwargs: 0)
        demo.seed(products=products)

