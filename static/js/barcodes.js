// Barcode rules for the browser: the same as webapp/catalog/barcodes.py, message for
// message (tests/catalog/test_barcode_cases.py runs both over tests/cases/barcodes.json).
// EAN-13/UPC-A/EAN-8/GTIN-14 check digits, Code128 text, GS1 element strings (raw with
// GS separators, or the "(01)...(17)..." form) and AIM symbology identifiers (]C1, ]E0...).
// A plain script (no modules): window.WarehouseBarcodes in a page, module.exports in node.
(function () {
  "use strict";

  var GS = "\x1d";  // ASCII 29, what a scanner sends for FNC1 between variable-length fields
  // Python's str.strip() set, so that both sides clean a scan alike (JS trim() keeps \x1c-\x1f).
  var WS = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var STRIP = new RegExp("^[" + WS + "]+|[" + WS + "]+$", "g");
  var SYMBOLOGY_ID = /^\][A-Za-z][0-9A-Za-z]/;
  var CODE128_OK = /^[\x20-\x7e]{1,64}$/;
  var NUMERIC = /^[0-9]+$/;
  var CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;
  var HRI = /\(([0-9]{2,4})\)([^()]*)/g;
  var FOUR_DIGIT = ["31", "32", "33", "34", "35", "36"];  // prefixes of four-digit AIs (measures)
  var RETAIL = { 8: "ean8", 12: "upca", 13: "ean13", 14: "gtin" };
  var GS1_SYMBOLOGIES = ["]C1", "]d2", "]Q3", "]e0"];
  var EAN_SYMBOLOGIES = ["]E0", "]E4"];

  function ai(name, opts) {
    return { name: name, length: opts.length || 0, maxLength: opts.max || 0,
             numeric: opts.numeric !== false, check: !!opts.check, date: !!opts.date };
  }
  var GS1_AIS = {
    "00": ai("SSCC", { length: 18, check: true }),
    "01": ai("GTIN", { length: 14, check: true }),
    "02": ai("content GTIN", { length: 14, check: true }),
    "10": ai("batch/lot", { max: 20, numeric: false }),
    "11": ai("production date", { length: 6, date: true }),
    "12": ai("due date", { length: 6, date: true }),
    "13": ai("packaging date", { length: 6, date: true }),
    "15": ai("best before date", { length: 6, date: true }),
    "16": ai("sell by date", { length: 6, date: true }),
    "17": ai("expiry date", { length: 6, date: true }),
    "21": ai("serial number", { max: 20, numeric: false }),
    "37": ai("count", { max: 8 })
  };
  // What readScan() names each element (dates as ISO dates).
  var FIELDS = { "00": "sscc", "10": "lot", "21": "serial", "37": "count", "11": "production_date",
                 "12": "due_date", "13": "packaging_date", "15": "best_before", "16": "sell_by",
                 "17": "expiry" };
  function has(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }

  // The AI's rules: the table's, or a measure (31nn-36nn, six digits).
  function spec(id) {
    if (has(GS1_AIS, id)) return GS1_AIS[id];
    if (id.length === 4 && FOUR_DIGIT.indexOf(id.slice(0, 2)) >= 0 && isNumeric(id)) return ai("measure", { length: 6 });
    return null;
  }

  // What is wrong with a code: a template of scan_result.py MESSAGES and its values (the
  // page translates it: pick-rules.js refusal), and its English text.
  function problem(template, values) { return { template: template, values: values || {} }; }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return has(values, name) ? String(values[name]) : all;
    });
  }

  function render(p) { return fmt(p.template, p.values); }

  function BarcodeError(what) {
    var error = new Error(typeof what === "string" ? what : render(what));
    error.name = "BarcodeError";
    error.problem = typeof what === "string" ? problem(what) : what;
    return error;
  }

  function strip(text) { return text.replace(STRIP, ""); }
  function isNumeric(code) { return NUMERIC.test(code); }

  function gs1CheckDigit(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var weight = i % 2 === 0 ? 3 : 1;  // from the right: 3, 1, 3, ...
      total += Number(digits.charAt(digits.length - 1 - i)) * weight;
    }
    return String((10 - total % 10) % 10);
  }

  function hasValidCheckDigit(code) {
    return isNumeric(code) && code.length >= 2 && gs1CheckDigit(code.slice(0, -1)) === code.slice(-1);
  }

  function normalize(raw) { return strip(String(raw == null ? "" : raw).normalize("NFKC")); }

  function clean(raw) {
    return strip(normalize(raw).replace(SYMBOLOGY_ID, ""));
  }

  // [code, kind] for a raw scan or typed code; throws a BarcodeError.
  function classify(raw, symbology) { return classifyClean(clean(raw), symbology); }

  function classifyClean(code, symbology) {
    if (!code) throw BarcodeError(problem("The barcode is empty."));
    var kind = symbology || (isNumeric(code) ? RETAIL[code.length] : "code128") || "code128";
    if (kind === "code128") {
      if (!CODE128_OK.test(code)) throw BarcodeError(problem("A Code128 barcode holds 1 to 64 printable ASCII characters."));
      return [code, kind];
    }
    var expected = { ean8: 8, upca: 12, ean13: 13, gtin: 14 }[kind];
    if (!expected) throw BarcodeError(problem("Unknown barcode type: %(kind)s", { kind: kind }));
    if (!isNumeric(code) || code.length !== expected) {
      throw BarcodeError(problem("A %(kind)s barcode has exactly %(n)d digits.", { kind: kind.toUpperCase(), n: expected }));
    }
    if (!hasValidCheckDigit(code)) {
      throw BarcodeError(problem("The check digit of %(code)s is wrong (expected %(digit)s).",
                                 { code: code, digit: gs1CheckDigit(code.slice(0, -1)) }));
    }
    return [code, kind];
  }

  function numericForms(code) {
    if (!isNumeric(code)) return [];
    var stripped = code.replace(/^0+/, "");
    return [8, 12, 13, 14].filter(function (w) { return stripped.length <= w; })
      .map(function (w) { return stripped.padStart(w, "0"); });
  }

  function unique(list) {
    return list.filter(function (item, index) { return list.indexOf(item) === index; });
  }

  // The stored forms a scanned code may match (see lookup_keys in barcodes.py).
  function lookupKeys(code) {
    var keys = [code].concat(numericForms(code));
    if (!isNumeric(code) || !has(RETAIL, code.length)) {
      var parsed = parse(code);
      if (parsed.kind === "gs1") {
        if (has(parsed.ais, "00")) keys.push(parsed.ais["00"]);
        if (parsed.gtin) keys = keys.concat(numericForms(parsed.gtin));
      }
    }
    return unique(keys);
  }

  var NAMED = ["sscc", "lot", "serial", "count", "expiry", "best_before", "sell_by", "due_date",
               "production_date", "packaging_date"];

  function result(symbology, kind, code, gtin, ais, problems, found) {
    problems = problems || [];
    var out = { symbology_id: symbology, kind: kind, code: code, gtin: gtin || null,
                ais: ais || {}, errors: problems.map(render), problems: problems, text: "", keys: [] };
    NAMED.forEach(function (name) { out[name] = found && has(found, name) ? found[name] : null; });
    return out;
  }

  // The stored forms a parsed scan may match: the text, then its GTIN/SSCC forms.
  function scanKeys(out) {
    if (!out.text) return [];
    if (out.errors.length) return [out.text];
    var keys = [out.text, out.code].concat(numericForms(out.text));
    if (out.sscc) keys.push(out.sscc);
    if (out.gtin) keys = keys.concat(numericForms(out.gtin));
    return unique(keys);
  }

  // The one parse at the edge of a scan field (read_scan in barcodes.py): match `text`
  // against locations and SKUs, `keys` against product barcodes; a refused scan that
  // matches nothing stored verbatim is answered with its reason (errors joined).
  function readScan(raw, today) { return parse(raw, false, today); }

  function reasonOf(parsed) { return parsed.errors.length ? parsed.errors.join(" ") : null; }

  // {symbology_id, kind, code, gtin, ais, errors, text, keys, sscc, lot, serial, count,
  //  expiry, best_before, ... (dates "YYYY-MM-DD")}; with strict, throws when errors.
  // `today` (a Date) places two-digit years in their century; now by default.
  function parse(raw, strict, today) {
    today = today || new Date();
    var text = normalize(raw);
    var match = SYMBOLOGY_ID.exec(text);
    var symbology = match ? match[0] : null;
    var code = strip(text.slice(symbology ? symbology.length : 0));
    var out;
    if (!code) {
      out = result(symbology, null, "", null, {}, [problem("The barcode is empty.")]);
    } else if (GS1_SYMBOLOGIES.indexOf(symbology) >= 0 || code.charAt(0) === "(" || code.indexOf(GS) >= 0) {
      out = parseGs1(symbology, code, today);
    } else if (EAN_SYMBOLOGIES.indexOf(symbology) >= 0 &&
               !(isNumeric(code) && [8, 12, 13].indexOf(code.length) >= 0)) {
      out = result(symbology, null, code, null, {},
                   [problem("An EAN/UPC barcode (%(symbology)s) holds 8, 12 or 13 digits.", { symbology: symbology })]);
    } else {
      out = parsePlain(symbology, code, today);
    }
    out.text = code;
    out.keys = scanKeys(out);
    if (strict && out.errors.length) throw BarcodeError(out.errors.join(" "));
    return out;
  }

  function parsePlain(symbology, code, today) {
    if (!(isNumeric(code) && has(RETAIL, code.length)) && ["00", "01", "02"].indexOf(code.slice(0, 2)) >= 0) {
      var guess = parseGs1(symbology, code, today);
      if (!guess.errors.length) return guess;
    }
    var kind;
    try {
      var found = classifyClean(code);
      code = found[0]; kind = found[1];
    } catch (error) {
      kind = isNumeric(code) ? (RETAIL[code.length] || "code128") : "code128";
      return result(symbology, kind, code, null, {}, [error.problem]);
    }
    return result(symbology, kind, code, kind !== "code128" ? code.padStart(14, "0") : null);
  }

  function parseGs1(symbology, text, today) {
    var ais = {}, order = [], errors = [], found = {};
    var read = text.charAt(0) === "(" ? hriElements(text) : rawElements(text);
    read.elements.forEach(function (element) {
      var id = element[0], value = element[1];
      var wrong = spec(id) ? checkElement(id, value, today)
        : problem("Unknown GS1 application identifier: %(ai)s.", { ai: id });
      if (has(ais, id)) wrong = problem("GS1 AI %(ai)s appears more than once.", { ai: id });
      if (wrong) { errors.push(wrong); return; }
      ais[id] = value;
      order.push(id);
      if (has(FIELDS, id)) found[FIELDS[id]] = spec(id).date ? dateOf(value, today) : value;
    });
    errors = errors.concat(read.trouble);
    var gtin = ais["01"] || ais["02"] || null;
    var hri = order.map(function (id) { return "(" + id + ")" + ais[id]; }).join("");
    var primary = ais["00"] || gtin || (errors.length ? text : hri);
    return result(symbology, "gs1", primary, gtin, ais, errors, found);
  }

  // Without the parentheses a field ends at its AI's fixed length or at a GS:
  // past an unknown AI nothing can be read.
  function rawElements(text) {
    var elements = [], pos = 0;
    while (pos < text.length) {
      if (text.charAt(pos) === GS) { pos += 1; continue; }  // a GS after a fixed field: harmless
      var id = text.slice(pos, pos + (FOUR_DIGIT.indexOf(text.slice(pos, pos + 2)) >= 0 ? 4 : 2));
      var rules = spec(id), value;
      if (!rules) return { elements: elements, trouble: [problem("Unknown GS1 application identifier: %(ai)s.", { ai: id })] };
      pos += id.length;
      if (rules.length) {
        value = text.slice(pos, pos + rules.length);
        pos += value.length;
        if (value.length < rules.length || !isNumeric(value)) {
          return { elements: elements, trouble: [lengthMessage(id, rules)] };
        }
      } else {
        var end = text.indexOf(GS, pos);
        if (end < 0) end = text.length;
        value = text.slice(pos, end);
        pos = end;
      }
      elements.push([id, value]);
    }
    return { elements: elements, trouble: [] };
  }

  function hriElements(text) {
    var matches = [], m;
    HRI.lastIndex = 0;
    while ((m = HRI.exec(text)) !== null) matches.push(m);
    if (matches.map(function (x) { return x[0]; }).join("") !== text) {
      return { elements: [], trouble: [problem("GS1 text in the (AI)data form is malformed.")] };
    }
    return { elements: matches.map(function (x) { return [x[1], strip(x[2])]; }), trouble: [] };
  }

  function checkElement(id, value, today) {
    var rules = spec(id);
    if (rules.length && (value.length !== rules.length || !isNumeric(value))) return lengthMessage(id, rules);
    if (!rules.length) {
      var fits = rules.numeric ? isNumeric(value) : CSET82.test(value);
      if (value.length < 1 || value.length > rules.maxLength || !fits) return lengthMessage(id, rules);
    }
    if (rules.check && !hasValidCheckDigit(value)) {
      return problem("GS1 AI %(ai)s (%(name)s): the check digit of %(value)s is wrong (expected %(digit)s).",
                     { ai: id, name: rules.name, value: value, digit: gs1CheckDigit(value.slice(0, -1)) });
    }
    if (rules.date && dateOf(value, today) === null) {
      return problem("GS1 AI %(ai)s (%(name)s): %(value)s is not a valid YYMMDD date.",
                     { ai: id, name: rules.name, value: value });
    }
    return null;
  }

  function lengthMessage(id, spec) {
    var values = { ai: id, name: spec.name, n: spec.length || spec.maxLength };
    if (spec.length) return problem("GS1 AI %(ai)s (%(name)s) needs exactly %(n)d digits.", values);
    if (spec.numeric) return problem("GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d digits.", values);
    return problem("GS1 AI %(ai)s (%(name)s) holds 1 to %(n)d characters of the GS1 character set.", values);
  }

  // The full year of a two-digit GS1 year (General Specifications 7.12): within 49
  // years behind and 50 ahead of today's (UTC) year.
  function gs1Year(yy, today) {
    var year = today.getUTCFullYear(), difference = yy - year % 100, century = year - year % 100;
    if (difference >= 51 && difference <= 99) century -= 100;
    else if (difference >= -99 && difference <= -50) century += 100;
    return century + yy;
  }

  function pad(n, width) { return String(n).padStart(width, "0"); }

  // "YYYY-MM-DD" of a YYMMDD value, or null when there is no such day; day 00 means
  // the last day of the month (GS1 General Specifications, 3.4).
  function dateOf(value, today) {
    var year = gs1Year(Number(value.slice(0, 2)), today);
    var month = Number(value.slice(2, 4)), day = Number(value.slice(4));
    if (month < 1 || month > 12) return null;
    var last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (day > last) return null;
    return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day || last, 2);
  }

  var api = { GS: GS, clean: clean, classify: classify, parse: parse, readScan: readScan, reasonOf: reasonOf,
              fmt: fmt,
              lookupKeys: lookupKeys, gs1Year: gs1Year,
              gs1CheckDigit: gs1CheckDigit, hasValidCheckDigit: hasValidCheckDigit };
  if (typeof window !== "undefined") window.WarehouseBarcodes = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})();
