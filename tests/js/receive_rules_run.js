// Runs scans through static/js/receive-rules.js against a receipt's offline copy, for
// tests/receiving/test_receive_rules.py to compare with the server's receiving scan().
// Input (argv[2]): {"receipt": {...offline payload...}, "scans": [{code, quantity, options}]}.
// Output: one JSON line {"verdicts": [...], "receipt": {...the copy afterwards...}}.
"use strict";
const fs = require("fs");
const path = require("path");

const rules = require(path.resolve(__dirname, "..", "..", "static", "js", "receive-rules.js"));
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const verdicts = input.scans.map((scan) => {
  const verdict = rules.judge(input.receipt, scan.code, scan.quantity, scan.options || {});
  if (verdict.ok) rules.apply(input.receipt, verdict, scan.quantity, (scan.options || {}).outcome);
  return verdict;
});
delete input.receipt._sets;
process.stdout.write(JSON.stringify({ verdicts: verdicts, receipt: input.receipt }) + "\n");
