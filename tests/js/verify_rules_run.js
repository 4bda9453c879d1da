// Runs a sequence of scans through static/js/verify-rules.js against an order kept on
// the device, for tests/outbound/test_offline_rules.py to compare with verify_scan().
// Input (a JSON file, argv[2]): {"order": {...offline payload...}, "scans": [{"code"}]}.
// Output: one JSON line {"verdicts": [...], "order": {...the order afterwards...}}.
"use strict";
const fs = require("fs");
const path = require("path");

const rules = require(path.resolve(__dirname, "..", "..", "static", "js", "verify-rules.js"));
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const catalog = rules.catalogSets(input.order.catalog);  // the page keeps it apart
delete input.order.catalog;
const verdicts = input.scans.map((scan) => rules.judge(input.order, scan, null, catalog));
process.stdout.write(JSON.stringify({ verdicts: verdicts, order: input.order }) + "\n");
