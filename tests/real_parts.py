"""A real part (PostgreSQL, node, Chromium) that is missing: on a person's machine its
tests are skipped with what is missing; in CI (CI=true) they fail, so a closed port
can never turn a third of the suite into a green run."""
import os

import pytest


def in_ci():
    """True when the CI variable says so (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(reason):
    """Skip with the reason, or fail with it in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing part fails the run)", pytrace=False)
    pytest.skip(reason)
