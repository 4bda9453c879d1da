// Runs scans through static/js/putaway-rules.js against a put-away run's offline copy,
// for tests/receiving/test_putaway_rules.py to compare with the server's walk.scan().
// Input (argv[2]): {"run": {...offline payload...}, "codes": ["...", ...]}.
// Output: one JSON line {"verdicts": [...]}.
"use strict";
const fs = require("fs");
const path = require("path");

const rules = require(path.resolve(__dirname, "..", "..", "static", "js", "putaway-rules.js"));
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const verdicts = input.codes.map((code) => rules.judge(input.run, code));
process.stdout.write(JSON.stringify({ verdicts: verdicts }) + "\n");
