"""Two requests racing on the same rows: the helpers live in tests/racing.py, for
every domain's race tests."""
from racing import wait_for_lock_wait

__all__ = ["wait_for_lock_wait"]  # imported from here by sync's race tests
