// Runs every case of tests/cases/barcodes.json through static/js/barcodes.js and prints
// one JSON line per case: {"parse": {...}, "lookupKeys": [...]} (or {"exception": "..."}),
// for tests/catalog/test_barcode_cases.py to compare with Python and the expectation.
"use strict";
const path = require("path");
const fs = require("fs");

const root = path.resolve(__dirname, "..", "..");
const barcodes = require(path.join(root, "static", "js", "barcodes.js"));
const file = process.argv[2] || path.join(root, "tests", "cases", "barcodes.json");
const cases = JSON.parse(fs.readFileSync(file, "utf8"));

for (const item of cases) {
  let line;
  try {
    line = { parse: barcodes.parse(item.input), lookupKeys: barcodes.lookupKeys(barcodes.clean(item.input)) };
  } catch (error) {
    line = { exception: String(error && error.stack || error) };
  }
  process.stdout.write(JSON.stringify(line) + "\n");
}
