"""The offline copy of a receipt: what a handheld needs to receive it with no network
(static/js/receive-rules.js judges scans from it as services.scan does)."""
from ..sync.offline import _codes, catalog_codes


def receipt_payload(receipt, user_id):
    """The receipt, its lines with expected and received units and every code each
    product answers to, and the catalogue's codes (an unexpected item is told from an
    unknown code offline as online)."""
    lines = [{"line_id": line.id, "line_no": line.line_no, "sku": line.sku,
              "product_id": line.product_id,
              "name": line.product.name if line.product else "",
              "expected_qty": line.expected_qty, "received_qty": line.received_qty,
              "passed_qty": line.passed_qty, "failed_qty": line.failed_qty,
              "unexpected": line.unexpected, "problem": line.problem, "lot": line.lot,
              **(_codes(line.product) if line.product else {"barcodes": [], "keys": []})}
             for line in receipt.lines]
    return {"subject_id": receipt.id, "number": receipt.number, "status": receipt.status,
            "supplier": receipt.supplier, "reference": receipt.reference,
            "user_id": user_id, "lines": lines, "catalog": catalog_codes()}
