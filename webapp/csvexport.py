"""CSV downloads that spreadsheet programs open as people expect."""
import csv
import io

from flask import Response


def csv_response(filename, header, rows):
    """A CSV attachment: UTF-8 with a BOM (so Chinese reads right), formulas defused."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([str(column) for column in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def cell(value):
    """A table cell as CSV text; a formula-looking text is defused for spreadsheets."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) \
        else text


def _is_number(text):
    """True for text that is a plain number (a negative number is not a formula)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
