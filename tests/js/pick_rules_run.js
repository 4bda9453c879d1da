// Runs a sequence of scans through static/js/pick-rules.js against an offline pick
// list, for tests/outbound/test_offline_rules.py to compare with the server's scan().
// Input (a JSON file, argv[2]): {"list": {...offline payload...}, "scans": [{"code", "quantity"}],
// "strings": {...the page's translated strings, optional...}}.
// Output: one JSON line {"verdicts": [...], "list": {...the list afterwards...}}.
"use strict";
const fs = require("fs");
const path = require("path");

const rules = require(path.resolve(__dirname, "..", "..", "static", "js", "pick-rules.js"));
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const catalog = rules.catalogSets(input.list.catalog);  // the page keeps it apart
delete input.list.catalog;
const verdicts = input.scans.map((scan) => rules.judge(input.list, scan, input.strings || null, catalog));
process.stdout.write(JSON.stringify({ verdicts: verdicts, list: input.list }) + "\n");
