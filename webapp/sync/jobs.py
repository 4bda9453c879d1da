"""RQ jobs of the reconciliation queue that apply synced scans."""
from .services import apply_stored


def apply_scan_batch(batch_id):
    """Apply one stored batch (one job per batch, never per scan); safe to run twice."""
    return apply_stored(batch_id=batch_id)
