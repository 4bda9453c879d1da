// Keyboard-wedge detection (static/js/wedge.js) fed synthetic key events through a
// minimal fake input: no DOM library. Prints one JSON line per check
// ({"name", "ok", "detail"}) and exits 1 when any fails; tests/test_wedge_js.py runs it.
"use strict";
const path = require("path");
const assert = require("assert");

const wedge = require(path.resolve(__dirname, "..", "..", "static", "js", "wedge.js"));

// ------------------------------------------------------------------ the fakes
class FakeInput {
  constructor(dataset) {
    this.value = "";
    this.dataset = dataset || {};
    this.listeners = {};
    this.focusMoves = 0;   // Tab keys whose default (move focus) was not prevented
    this.submits = 0;      // Enter keys whose default (submit the form) was not prevented
  }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] || []).filter((f) => f !== fn);
  }
  dispatchEvent(event) {
    for (const fn of (this.listeners[event.type] || []).slice()) {
      try { fn.call(this, event); } catch (error) { this.errors = (this.errors || []).concat(error); }
    }
    return !event.defaultPrevented;
  }
}

function keyEvent(key, t, extra) {
  return Object.assign({
    type: "keydown", key: key, timeStamp: t, isComposing: false, defaultPrevented: false,
    shiftKey: false, ctrlKey: false, altKey: false, metaKey: false,
    preventDefault() { this.defaultPrevented = true; }
  }, extra || {});
}

// What a browser does with a key: keydown, then (unless prevented) its default action.
function press(input, key, t, extra) {
  const event = keyEvent(key, t, extra);
  const notPrevented = input.dispatchEvent(event);
  if (notPrevented) {
    if (key.length === 1) input.value += key;
    else if (key === "Backspace") input.value = input.value.slice(0, -1);
    else if (key === "Tab") input.focusMoves += 1;
    else if (key === "Enter") input.submits += 1;
  }
  return event;
}

// Type `text` starting at t with the given gap(s) between keys, then the terminator
// `gapToEnd` after the last key. Returns the time of the terminator.
function typeEntry(input, text, t, gap, terminator, gapToEnd) {
  for (let i = 0; i < text.length; i++) {
    press(input, text[i], t);
    if (i + 1 < text.length) t += typeof gap === "function" ? gap(i) : gap;
  }
  t += gapToEnd == null ? (typeof gap === "function" ? gap(text.length) : gap) : gapToEnd;
  if (terminator) press(input, terminator, t);
  return t;
}

function recorder(input, options) {
  const got = [];
  const handle = wedge.attach(input, (code, info) => got.push([code, info.source, input.value]), options);
  return { got, handle };
}

// A small deterministic generator, so a failing fuzz run can be replayed.
function prng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

// ------------------------------------------------------------------ the checks
const checks = [];
function check(name, fn) { checks.push([name, fn]); }

check("classifyTiming: all gaps under the threshold is a wedge", () => {
  assert.strictEqual(wedge.classifyTiming([5, 8, 3, 12, 9], 35), "wedge");
  assert.strictEqual(wedge.classifyTiming([5, 8, 90, 12, 9], 35), "keyboard");
  assert.strictEqual(wedge.classifyTiming([120, 140, 95, 180], 35), "keyboard");
});

check("classifyTiming: the threshold is a strict bound and configurable", () => {
  assert.strictEqual(wedge.classifyTiming([34, 34, 34, 34], 35), "wedge");
  assert.strictEqual(wedge.classifyTiming([35, 10, 10, 10], 35), "keyboard");
  assert.strictEqual(wedge.classifyTiming([45, 45, 45, 45], 35), "keyboard");
  assert.strictEqual(wedge.classifyTiming([45, 45, 45, 45], 60), "wedge");
  assert.strictEqual(wedge.classifyTiming([20, 20, 20, 20]), "wedge");  // default 35 ms
  assert.strictEqual(wedge.classifyTiming([40, 40, 40, 40]), "keyboard");
});

check("classifyTiming: too few keys or none is a person", () => {
  assert.strictEqual(wedge.classifyTiming([], 35), "keyboard");
  assert.strictEqual(wedge.classifyTiming([2, 2, 2], 35), "keyboard");
  assert.strictEqual(wedge.classifyTiming([2, 2, 2], 35, 3), "wedge");
  assert.strictEqual(wedge.classifyTiming(undefined, 35), "keyboard");
});

check("one fast scan ending in Enter is a wedge scan; the field is empty when onScan runs", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "4006381333931", 1000, 6, "Enter");
  assert.deepStrictEqual(got, [["4006381333931", "wedge", ""]]);
  assert.strictEqual(input.value, "");
  assert.strictEqual(input.submits, 0);
});

check("a fast scan ending in Tab is delivered and focus does not move", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "A-01-01-1", 1000, 4, "Tab");
  assert.deepStrictEqual(got, [["A-01-01-1", "wedge", ""]]);
  assert.strictEqual(input.focusMoves, 0);
});

check("a person typing slowly and pressing Enter is delivered as keyboard", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "96385074", 1000, 180, "Enter", 400);
  assert.deepStrictEqual(got, [["96385074", "keyboard", ""]]);
  assert.strictEqual(input.submits, 0);
  assert.strictEqual(input.value, "");
});

check("a person pressing Tab moves focus; nothing is sent and the text stays", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "1234", 1000, 150, "Tab", 300);
  assert.deepStrictEqual(got, []);
  assert.strictEqual(input.focusMoves, 1);
  assert.strictEqual(input.value, "1234");
});

check("a fast run of fewer than 4 keys is a person (rolled-over keys)", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "12", 1000, 200, null);
  typeEntry(input, "345", 1500, 10, "Enter");
  assert.deepStrictEqual(got, [["12345", "keyboard", ""]]);
});

check("Enter in an empty field sends nothing and does not submit the form", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  press(input, "Enter", 1000);
  assert.deepStrictEqual(got, []);
  assert.strictEqual(input.submits, 0);
});

check("a burst of 30 labels 50 ms apart: each code once, in order, all from the wedge", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  const codes = [];
  for (let i = 0; i < 30; i++) codes.push(i % 3 === 0 ? "4006381333931" : "LOC-" + String(i).padStart(4, "0"));
  let t = 1000;
  codes.forEach((code, i) => { t = typeEntry(input, code, t, 5, i % 2 ? "Tab" : "Enter") + 50; });
  assert.deepStrictEqual(got.map((g) => g[0]), codes);  // repeats of one code are kept too
  assert.ok(got.every((g) => g[1] === "wedge" && g[2] === ""));
  assert.strictEqual(input.value, "");
  assert.strictEqual(input.focusMoves + input.submits, 0);
});

check("labels back to back (1 ms after Enter) are still split at each Enter", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  let t = 1000;
  for (const code of ["AAAA1", "BBBB2", "CCCC3"]) t = typeEntry(input, code, t, 3, "Enter") + 1;
  assert.deepStrictEqual(got.map((g) => g[0]), ["AAAA1", "BBBB2", "CCCC3"]);
});

check("a scan after slowly typed keys is sent whole with them: a code is never cut", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "40", 1000, 250, null);
  typeEntry(input, "036000291452", 2000, 7, "Enter");
  assert.deepStrictEqual(got, [["40036000291452", "keyboard", ""]]);  // the server refuses it loudly
  assert.strictEqual(input.value, "");
});

check("a hiccup inside a scan: the code is sent whole and a final Tab keeps focus", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  const code = "6990622758691";
  typeEntry(input, code, 1000, (i) => (i === 8 ? 120 : 5), "Tab");  // a 120 ms stall after 9 keys
  assert.deepStrictEqual(got, [[code, "keyboard", ""]]);
  assert.strictEqual(input.focusMoves, 0);
  typeEntry(input, code, 3000, (i) => (i === 11 ? 90 : 5), "Enter");  // a stall near the end
  assert.deepStrictEqual(got[1], [code, "keyboard", ""]);
});

check("an edited entry (Backspace) is a person's, sent whole", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  typeEntry(input, "ABCX", 1000, 5, null);
  press(input, "Backspace", 1200);
  typeEntry(input, "D", 1400, 0, "Enter", 300);
  assert.deepStrictEqual(got, [["ABCD", "keyboard", ""]]);
});

check("thresholdMs option: a slow Bluetooth scanner (45 ms a key) is a wedge at 60 ms", () => {
  const slow = new FakeInput();
  const a = recorder(slow);
  typeEntry(slow, "12345678", 1000, 45, "Tab");
  assert.deepStrictEqual(a.got, []);  // at the default 35 ms it is a person tabbing away
  const tuned = new FakeInput();
  const b = recorder(tuned, { thresholdMs: 60 });
  typeEntry(tuned, "12345678", 1000, 45, "Tab");
  assert.deepStrictEqual(b.got, [["12345678", "wedge", ""]]);
  const byData = new FakeInput({ wedgeGap: "60" });  // data-wedge-gap="60" on the field
  const c = recorder(byData);
  typeEntry(byData, "12345678", 1000, 45, "Enter");
  assert.deepStrictEqual(c.got, [["12345678", "wedge", ""]]);
});

check("the keys' own timeStamps count, not when the handler runs", () => {
  const input = new FakeInput();
  let clock = 0;  // a busy page: handlers run 500 ms apart
  const { got } = recorder(input, { now: () => (clock += 500) });
  typeEntry(input, "ABCDEF", 1000, 5, "Enter");
  assert.deepStrictEqual(got, [["ABCDEF", "wedge", ""]]);
});

check("without timeStamps the clock option is used", () => {
  const input = new FakeInput();
  let clock = 0;
  const { got } = recorder(input, { now: () => (clock += 5) });
  for (const ch of "ABCDEF") press(input, ch, 0);
  press(input, "Enter", 0);
  assert.deepStrictEqual(got, [["ABCDEF", "wedge", ""]]);
});

check("IME composition: Enter that picks a candidate is not a scan", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  input.value = "拣货";
  press(input, "Enter", 1000, { isComposing: true });
  assert.deepStrictEqual(got, []);
});

check("a code from the camera (warehouse:scan event) takes the same path", () => {
  const input = new FakeInput();
  const { got } = recorder(input);
  input.dispatchEvent({ type: "warehouse:scan", detail: { code: " 4006381333931 " } });
  input.dispatchEvent({ type: "warehouse:scan", detail: { code: "X", source: "test" } });
  input.dispatchEvent({ type: "warehouse:scan", detail: {} });
  assert.deepStrictEqual(got, [["4006381333931", "camera", ""], ["X", "test", ""]]);
});

check("onScan throwing does not lose the next scan", () => {
  const input = new FakeInput();
  const got = [];
  wedge.attach(input, (code) => { got.push(code); if (got.length === 1) throw new Error("boom"); });
  let t = typeEntry(input, "FIRST1", 1000, 5, "Enter") + 50;
  typeEntry(input, "SECOND", t, 5, "Enter");
  assert.deepStrictEqual(got, ["FIRST1", "SECOND"]);
  assert.strictEqual(input.errors.length, 1);
  assert.strictEqual(input.value, "");
});

check("detach() stops listening", () => {
  const input = new FakeInput();
  const { got, handle } = recorder(input);
  handle.detach();
  typeEntry(input, "4006381333931", 1000, 5, "Enter");
  assert.deepStrictEqual(got, []);
  assert.strictEqual(input.submits, 1);
});

check("fuzz: 500 random labels, jittery scanner, 20-80 ms apart: nothing dropped or merged", () => {
  const random = prng(20240531);
  const input = new FakeInput();
  const { got } = recorder(input);
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-./";
  const codes = [];
  let t = 1000;
  for (let i = 0; i < 500; i++) {
    let code = "";
    const length = 4 + Math.floor(random() * 20);
    for (let j = 0; j < length; j++) code += alphabet[Math.floor(random() * alphabet.length)];
    codes.push(code);
    t = typeEntry(input, code, t, () => 1 + random() * 30, random() < 0.5 ? "Enter" : "Tab") + 20 + random() * 60;
  }
  assert.strictEqual(got.length, codes.length);
  assert.deepStrictEqual(got.map((g) => g[0]), codes);
  assert.ok(got.every((g) => g[1] === "wedge"));
  assert.strictEqual(input.focusMoves + input.submits, 0);
});

let failed = 0;
for (const [name, fn] of checks) {
  let line;
  try {
    fn();
    line = { name, ok: true };
  } catch (error) {
    failed += 1;
    line = { name, ok: false, detail: String(error && error.stack || error) };
  }
  process.stdout.write(JSON.stringify(line) + "\n");
}
process.exit(failed ? 1 : 0);
