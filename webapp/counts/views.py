"""Counts: the supervisor's plans and variances, the counter's handheld screens."""
from flask import Blueprint

from . import models  # noqa: F401 - the tables, for migrations and the app

bp = Blueprint("counts", __name__, template_folder="templates")
