/// The CSS and JavaScript inlined into every HTML diff report (no external assets).
///
/// The script draws the differential flame graphs (`<div class="flame" data-graph="ID">` fed by the
/// JSON in `<script type="application/json" id="gbsnap-data">`) and makes `table.sortable` sortable;
/// `Tests/Browser/check_report.py` checks a generated page in a headless browser.
enum ReportAssets {
    /// Styles of the whole report.
    static let css = #"""
    :root {
      color-scheme: light dark;
      --bg: #ffffff;
      --fg: #1f2328;
      --muted: #636c76;
      --border: #d0d7de;
      --soft: #f6f8fa;
      --soft2: #eef1f4;
      --accent: #0969da;
      --up: #c4261d;
      --up-bg: #fdecea;
      --down: #1a7f37;
      --down-bg: #e8f5ec;
      --warn: #8a5a00;
      --warn-bg: #fff8d6;
      --warn-border: #e3c567;
      --suspect-bg: #fff0ee;
      --suspect-bar: #d1242f;
      --tip-bg: #ffffff;
      --shadow: 0 4px 16px rgba(0, 0, 0, .18);
      --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
      --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --bg: #16181c;
        --fg: #e3e6ea;
        --muted: #9aa3ad;
        --border: #3a4049;
        --soft: #1f2329;
        --soft2: #262b32;
        --accent: #58a6ff;
        --up: #ff7b72;
        --up-bg: #3a1f1f;
        --down: #56d364;
        --down-bg: #1b3324;
        --warn: #e3b341;
        --warn-bg: #2f2713;
        --warn-border: #6b5518;
        --suspect-bg: #3a2024;
        --suspect-bar: #ff7b72;
        --tip-bg: #22262c;
        --shadow: 0 4px 16px rgba(0, 0, 0, .6);
      }
    }
    *, *::before, *::after { box-sizing: border-box; }
    html { background: var(--bg); color: var(--fg); -webkit-text-size-adjust: 100%; }
    body {
      margin: 0;
      padding: 0 24px 48px;
      font: 14px/1.45 var(--sans);
      background: var(--bg);
      color: var(--fg);
    }
    h1 { font-size: 22px; margin: 18px 0 8px; font-weight: 650; }
    h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--border); font-weight: 650; }
    h3 { font-size: 15px; margin: 20px 0 8px; font-weight: 650; }
    p { margin: 6px 0 10px; }
    a { color: var(--accent); }
    code, kbd, samp { font-family: var(--mono); font-size: .93em; }
    section { scroll-margin-top: 52px; margin-bottom: 12px; }
    [id] { scroll-margin-top: 52px; }

    /* The sticky bar with one link per profile kind. */
    nav.kinds {
      position: sticky;
      top: 0;
      z-index: 20;
      display: flex;
      flex-wrap: wrap;
      gap: 4px 6px;
      align-items: center;
      margin: 0 -24px 12px;
      padding: 8px 24px;
      background: var(--bg);
      border-bottom: 1px solid var(--border);
      box-shadow: 0 1px 4px rgba(0, 0, 0, .06);
    }
    nav.kinds a {
      display: inline-block;
      padding: 2px 10px;
      border: 1px solid var(--border);
      border-radius: 999px;
      background: var(--soft);
      color: var(--fg);
      text-decoration: none;
      font-size: 13px;
      white-space: nowrap;
    }
    nav.kinds a:hover, nav.kinds a:focus-visible { border-color: var(--accent); color: var(--accent); }

    /* Growth and shrink. */
    .up { color: var(--up); }
    .down { color: var(--down); }
    .warn { color: var(--warn); }

    /* The headline: one summary line per profile. */
    pre.headline {
      margin: 10px 0 14px;
      padding: 12px 16px;
      font: 500 14px/1.6 var(--mono);
      background: var(--soft);
      border: 1px solid var(--border);
      border-left: 5px solid var(--accent);
      border-radius: 6px;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      overflow-x: auto;
    }
    pre.headline .up, pre.headline .down { font-weight: 700; }
    pre.headline span.up { color: var(--up); }
    pre.headline span.down { color: var(--down); }

    /* One summary line at the top of each section. */
    p.headline {
      margin: 4px 0 10px;
      font: 500 13.5px/1.5 var(--mono);
      overflow-wrap: anywhere;
    }
    p.headline .up, p.headline .down { font-weight: 650; }

    header h1 .target { font-weight: 500; color: var(--muted); margin-left: 6px; }
    table.snapshots { margin: 4px 0 10px; }
    table.snapshots td:first-child { font-weight: 650; }

    ul.gates { margin: 6px 0 12px; padding-left: 22px; }
    ul.gates li { margin: 2px 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
    ul.gates li.up { color: var(--up); font-weight: 600; }
    ul.gates li.down { color: var(--down); }
    p.warn { padding: 4px 10px; background: var(--warn-bg); border-left: 3px solid var(--warn-border); border-radius: 3px; }

    details.sample-type { margin: 6px 0 12px; }
    details.sample-type > summary {
      cursor: pointer;
      padding: 3px 8px;
      border: 1px solid var(--border);
      border-radius: 5px;
      background: var(--soft);
      font-size: 13px;
      width: fit-content;
    }
    details.sample-type[open] > summary { margin-bottom: 6px; }

    footer {
      margin-top: 36px;
      padding-top: 10px;
      border-top: 1px solid var(--border);
      color: var(--muted);
      font-size: 12.5px;
    }

    ul.warnings {
      margin: 10px 0 16px;
      padding: 8px 14px 8px 32px;
      background: var(--warn-bg);
      border: 1px solid var(--warn-border);
      border-radius: 6px;
      color: var(--warn);
    }
    ul.warnings li { margin: 2px 0; overflow-wrap: anywhere; }

    /* Tables. */
    table {
      border-collapse: collapse;
      margin: 8px 0 6px;
      font-size: 13px;
      max-width: 100%;
    }
    th, td {
      border: 1px solid var(--border);
      padding: 3px 8px;
      vertical-align: top;
      text-align: left;
    }
    thead th, tr:first-child > th {
      background: var(--soft2);
      font-weight: 600;
      white-space: nowrap;
    }
    tbody tr:nth-child(even) { background: var(--soft); }
    tbody tr:hover { background: var(--soft2); }
    td.n {
      text-align: right;
      font-family: var(--mono);
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
    }
    td.n.up { color: var(--up); }
    td.n.down { color: var(--down); }
    td.name {
      font-family: var(--mono);
      font-size: 12.5px;
      min-width: 16ch;
      max-width: 80ch;
      overflow-wrap: anywhere;
    }
    tr.suspect, tbody tr.suspect:nth-child(even) { background: var(--suspect-bg); }
    tr.suspect > :first-child { box-shadow: inset 4px 0 0 var(--suspect-bar); }
    td details > summary {
      cursor: pointer;
      overflow-wrap: anywhere;
    }
    td details > summary:hover { color: var(--accent); }
    td details pre {
      margin: 4px 0 2px;
      padding: 6px 8px;
      font: 12px/1.45 var(--mono);
      background: var(--soft2);
      border-radius: 4px;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    p.more { margin: 2px 0 16px; color: var(--muted); font-size: 12.5px; font-style: italic; }

    /* Sortable tables. */
    table.sortable.sort-ready thead th { cursor: pointer; user-select: none; }
    table.sortable.sort-ready thead th:hover { color: var(--accent); }
    table.sortable.sort-ready thead th:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
    table.sortable.sort-ready thead th::after { content: "\2195"; margin-left: 4px; color: var(--muted); opacity: .45; font-size: 11px; }
    table.sortable.sort-ready thead th[aria-sort="ascending"]::after { content: "\25B2"; opacity: 1; color: var(--accent); }
    table.sortable.sort-ready thead th[aria-sort="descending"]::after { content: "\25BC"; opacity: 1; color: var(--accent); }

    /* Small charts made by the generator. */
    svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0 12px; overflow: visible; color: var(--fg); }
    svg.chart rect { fill: var(--accent); fill-opacity: .8; }
    svg.chart rect:hover { fill-opacity: 1; }
    svg.chart text { fill: var(--muted); font: 11px var(--sans); }
    svg.chart rect.bar-a { fill: var(--muted); fill-opacity: .6; }

    /* Flame graphs. */
    div.flame { margin: 8px 0 18px; }
    div.flame noscript {
      display: block;
      padding: 10px 12px;
      border: 1px dashed var(--border);
      border-radius: 6px;
      color: var(--muted);
      background: var(--soft);
    }
    .flame-bar {
      position: sticky;
      top: var(--nav-h, 0px);
      z-index: 15;
      background: var(--bg);
      padding: 4px 0;
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 8px;
      margin: 0 0 2px;
      font-size: 13px;
    }
    .flame-title { font-weight: 600; margin-right: 6px; }
    .flame-title .flame-tot { font: 12.5px var(--mono); font-weight: 400; color: var(--muted); margin-left: 4px; }
    .flame-bar button {
      font: inherit;
      font-size: 12.5px;
      padding: 2px 10px;
      border: 1px solid var(--border);
      border-radius: 5px;
      background: var(--soft);
      color: var(--fg);
      cursor: pointer;
      white-space: nowrap;
    }
    .flame-bar button:hover { border-color: var(--accent); }
    .flame-bar button:focus-visible, .flame-bar input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
    .flame-bar .flame-reset[aria-disabled="true"] { color: var(--muted); }
    .flame-bar input.flame-search {
      font: 12.5px var(--mono);
      width: 17em;
      padding: 2px 6px;
      border: 1px solid var(--border);
      border-radius: 5px;
      background: var(--bg);
      color: var(--fg);
    }
    .flame-bar label { display: inline-flex; align-items: center; gap: 3px; font-size: 12.5px; color: var(--muted); cursor: pointer; }
    .flame-bar .flame-sep { flex: 1 1 auto; }
    .flame-match { font: 12px var(--mono); color: var(--fg); }
    .flame-match.flame-bad { color: var(--up); }
    .flame-legend {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 8px;
      margin: 0 0 6px;
      font-size: 12px;
      color: var(--muted);
    }
    .flame-legend .flame-ramp {
      display: inline-block;
      width: 150px;
      height: 10px;
      border-radius: 2px;
      border: 1px solid var(--border);
      vertical-align: middle;
    }
    .flame-legend b { font-weight: 600; color: var(--fg); }
    .flame-wrap { position: relative; width: 100%; min-height: 18px; }
    .flame-wrap canvas { display: block; width: 100%; }
    .flame-wrap canvas.flame-main { cursor: pointer; }
    .flame-wrap canvas.flame-over { position: absolute; left: 0; top: 0; pointer-events: none; }
    .flame-note { color: var(--muted); font-style: italic; }

    /* The hover tooltip (one for the page). */
    .flame-tip {
      position: fixed;
      z-index: 1000;
      left: 0;
      top: 0;
      max-width: min(640px, calc(100vw - 16px));
      padding: 8px 10px;
      background: var(--tip-bg);
      color: var(--fg);
      border: 1px solid var(--border);
      border-radius: 6px;
      box-shadow: var(--shadow);
      font-size: 12px;
      line-height: 1.4;
      pointer-events: none;
    }
    .flame-tip[hidden] { display: none; }
    .flame-tip .tip-name { font: 600 12.5px var(--mono); overflow-wrap: anywhere; margin-bottom: 4px; }
    .flame-tip .tip-note { color: var(--muted); margin: 2px 0 4px; }
    .flame-tip .tip-note:empty { display: none; }
    .flame-tip table { margin: 0; font-size: 12px; border-collapse: collapse; }
    .flame-tip th, .flame-tip td { border: 0; padding: 1px 6px; background: none; }
    .flame-tip thead th { color: var(--muted); font-weight: 600; text-align: right; background: none; }
    .flame-tip tbody th { color: var(--muted); font-weight: 500; text-align: left; white-space: nowrap; }
    .flame-tip tbody tr:nth-child(even), .flame-tip tbody tr:hover { background: none; }
    .flame-tip td { text-align: right; font-family: var(--mono); white-space: nowrap; }
    .flame-tip tr.tip-sub th { padding-top: 5px; color: var(--fg); font-weight: 600; text-align: left; }
    .flame-tip .tip-share { margin-top: 4px; color: var(--muted); }
    .flame-tip .tip-share span { font-family: var(--mono); color: var(--fg); }
    .flame-tip .tip-hint { margin-top: 4px; color: var(--muted); font-style: italic; }

    @media print {
      nav.kinds { position: static; box-shadow: none; }
      .flame-bar input, .flame-bar button, .flame-bar label { display: none; }
    }
    """#
    /// The flame graph, tooltips, zoom, search and sortable tables.
    static let script = #"""
    (() => {
      "use strict";
      const scriptStart = performance.now();

      const ROW = 18;             // row height in CSS pixels
      const MIN_W = 0.5;          // frames narrower than this (CSS px) are not drawn
      const PAD = 4;              // label padding inside a frame
      const STEPS = 48;           // colour steps per side of the palette
      const SHARE_CLAMP = 0.10;   // share mode saturates at +-10 percentage points of the total
      const MAX_ROWS = 1200;      // deeper frames are not drawn (canvas size limits)
      const MAX_CANVAS_PX = 32000;
      const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
      const FONT = "11.5px " + MONO;

      // ---- number formatting: the same as the Swift ValueFormatter (pprof's scaled labels) ----

      const BYTES = [["B", 1], ["kB", 1024], ["MB", 1048576], ["GB", 1073741824],
        ["TB", 1099511627776], ["PB", 1125899906842624]];
      const TIMES = [["ns", 1], ["us", 1e3], ["ms", 1e6], ["s", 1e9], ["hrs", 3.6e12]];

      function unitScales(unit) {
        switch (String(unit == null ? "" : unit).toLowerCase()) {
          case "bytes": case "byte": case "b": return [BYTES, 1];
          case "nanoseconds": case "nanosecond": case "ns": return [TIMES, 1];
          case "microseconds": case "us": return [TIMES, 1e3];
          case "milliseconds": case "ms": return [TIMES, 1e6];
          case "seconds": case "s": return [TIMES, 1e9];
          default: return null;
        }
      }

      function fmt(v, unit, signed) {
        if (v === 0 || !Number.isFinite(v)) return "0";
        const us = unitScales(unit);
        if (us === null) return (signed && v > 0 ? "+" : "") + String(v);
        const scales = us[0];
        const m = Math.abs(v) * us[1];
        let chosen = scales[0];
        for (const s of scales) if (m / s[1] >= 1) chosen = s;
        const h = Math.round((m / chosen[1]) * 100);
        const whole = Math.floor(h / 100), frac = h % 100;
        let text = frac === 0 ? String(whole) : String(whole) + "." + (frac < 10 ? "0" : "") + String(frac);
        if (text === "0") return "0";
        text += chosen[0];
        if (v < 0) return "-" + text;
        return signed ? "+" + text : text;
      }

      // Delta percent (B-A)/A*100 with one decimal and a sign; "new" when only B has it.
      function deltaPct(a, b) {
        if (a === 0) return b === 0 ? "0%" : "new";
        const p = (b - a) / a * 100;
        const r = Math.round(Math.abs(p) * 10);
        if (r === 0) return "0.0%";
        return (p > 0 ? "+" : "-") + Math.floor(r / 10) + "." + (r % 10) + "%";
      }

      // Share x/total in percent, one decimal, a trailing ".0" removed.
      function sharePct(x, total) {
        if (!(total > 0)) return "n/a";
        const r = Math.round(x / total * 1000);
        const whole = Math.floor(r / 10), frac = r % 10;
        return (frac === 0 ? String(whole) : whole + "." + frac) + "%";
      }

      // ---- colours ----

      const darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

      function makeTheme() {
        const dark = !!(darkQuery && darkQuery.matches);
        const t = dark ? {
          bg: [22, 24, 28], neutral: [84, 88, 96], red: [232, 72, 62], blue: [72, 134, 238], green: [52, 178, 96],
          outline: "#ffffff", match: "#d68cff", darkText: "#14161a", lightText: "#f4f5f7", dimText: "#7b828c",
        } : {
          bg: [255, 255, 255], neutral: [222, 219, 212], red: [212, 44, 36], blue: [46, 102, 210], green: [26, 150, 68],
          outline: "#101418", match: "#9b1fe8", darkText: "#1b1f24", lightText: "#ffffff", dimText: "#8a9099",
        };
        const side = (c) => {
          const fill = [], dim = [], text = [];
          for (let k = 0; k <= STEPS; k++) {
            const f = k / STEPS;
            const rgb = t.neutral.map((n, j) => Math.round(n + (c[j] - n) * f));
            fill.push(css(rgb));
            dim.push(css(rgb.map((v, j) => Math.round(v + (t.bg[j] - v) * 0.72))));
            const lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
            text.push(lum > 0.55 ? t.darkText : t.lightText);
          }
          return { fill, dim, text };
        };
        t.pal = { red: side(t.red), blue: side(t.blue), green: side(t.green) };
        return t;
      }

      function css(rgb) { return "rgb(" + rgb[0] + "," + rgb[1] + "," + rgb[2] + ")"; }

      let theme = makeTheme();

      function el(tag, cls, text) {
        const e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text != null) e.textContent = text;
        return e;
      }

      // ---- the tooltip (one for the page) ----

      const PATH_KEYS = [["self", "selfA", "selfB", "selfD", "selfP"], ["total", "totalA", "totalB", "totalD", "totalP"]];
      const FUNC_KEYS = [["flat", "flatA", "flatB", "flatD", null], ["cum", "cumA", "cumB", "cumD", null]];

      let tip = null;

      function getTip() {
        if (tip) return tip;
        const root = el("div", "flame-tip");
        root.hidden = true;
        root.setAttribute("role", "tooltip");
        const name = el("div", "tip-name");
        const note = el("div", "tip-note");
        const table = el("table");
        const head = el("thead");
        const hr = el("tr");
        for (const h of ["", "A", "B", "\u0394", "\u0394%"]) hr.appendChild(el("th", null, h));
        head.appendChild(hr);
        table.appendChild(head);
        const spans = {};
        const section = (title, rows, cls) => {
          const body = el("tbody", cls);
          const sub = el("tr", "tip-sub");
          const sh = el("th", null, title);
          sh.colSpan = 5;
          sub.appendChild(sh);
          body.appendChild(sub);
          for (const r of rows) {
            const tr = el("tr");
            tr.appendChild(el("th", null, r[0]));
            for (let j = 1; j < 5; j++) {
              const td = el("td");
              if (r[j]) {
                const s = el("span");
                s.dataset.k = r[j];
                spans[r[j]] = s;
                td.appendChild(s);
              }
              tr.appendChild(td);
            }
            body.appendChild(tr);
          }
          table.appendChild(body);
          return body;
        };
        section("this call path", PATH_KEYS, "tip-path");
        const funcBody = section("the function, all call paths", FUNC_KEYS, "tip-func");
        const share = el("div", "tip-share");
        share.appendChild(document.createTextNode("share of total: "));
        const sa = el("span");
        sa.dataset.k = "shareA";
        const sb = el("span");
        sb.dataset.k = "shareB";
        share.appendChild(sa);
        share.appendChild(document.createTextNode(" in A, "));
        share.appendChild(sb);
        share.appendChild(document.createTextNode(" in B"));
        spans.shareA = sa;
        spans.shareB = sb;
        const hint = el("div", "tip-hint");
        root.append(name, note, table, share, hint);
        document.body.appendChild(root);
        tip = { root, name, note, funcBody, spans, hint, owner: null, node: -1 };
        return tip;
      }

      function setSpan(t, k, text, delta) {
        const s = t.spans[k];
        s.textContent = text;
        if (delta !== undefined) s.className = delta > 0 ? "up" : delta < 0 ? "down" : "";
      }

      function placeTip(t, cx, cy) {
        const r = t.root;
        const w = r.offsetWidth, h = r.offsetHeight;
        const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
        let x = cx + 16, y = cy + 18;
        if (x + w > vw - 6) x = cx - w - 16;
        if (x < 6) x = Math.max(6, Math.min(vw - w - 6, cx + 16));
        if (y + h > vh - 6) y = cy - h - 12;
        if (y < 6) y = 6;
        r.style.left = Math.round(x) + "px";
        r.style.top = Math.round(y) + "px";
      }

      // ---- one flame graph ----

      class Flame {
        constructor(div, g, id) {
          this.div = div;
          this.id = id;
          this.unit = g.unit;
          this.title = g.title == null ? id : String(g.title);
          this.names = Array.isArray(g.names) ? g.names.map((s) => String(s)) : [];
          this.funcs = Array.isArray(g.funcs) ? g.funcs : [];
          this.flatten(g.root);
          this.totalA = this.tA[0];
          this.totalB = this.tB[0];
          this.width = "b";
          this.color = "abs";
          this.zoom = 0;
          this.hover = -1;
          this.query = "";
          this.matchName = null;
          this.matchedA = 0;
          this.matchedB = 0;
          this.searchVersion = 0;
          this.layoutKey = "";
          this.paintKey = "";
          this.cssW = 0;
          this.rows = Math.min(this.maxDepth + 1, MAX_ROWS);
          this.cssH = this.rows * ROW;
          this.colorCache = {};
          this.shortNames = new Array(this.names.length);
          this.buildDom();
          this.updateLegend();
        }

        // Pre-order arrays: a node's subtree is the index range [i, end[i]).
        flatten(root) {
          const nm = [], sA = [], sB = [], tA = [], tB = [], par = [], dep = [], fold = [];
          const sNode = [root], sPar = [-1], sDep = [0];
          let maxDepth = 0;
          while (sNode.length) {
            const node = sNode.pop(), parent = sPar.pop(), depth = sDep.pop();
            if (!Array.isArray(node) || node.length < 5) continue;
            const i = nm.length;
            nm.push(node[0] | 0);
            sA.push(+node[1] || 0);
            sB.push(+node[2] || 0);
            tA.push(+node[3] || 0);
            tB.push(+node[4] || 0);
            par.push(parent);
            dep.push(depth);
            fold.push(node.length > 6 ? (+node[6] || 0) : 0);
            if (depth > maxDepth) maxDepth = depth;
            const kids = node[5];
            if (Array.isArray(kids)) {
              for (let k = kids.length - 1; k >= 0; k--) { sNode.push(kids[k]); sPar.push(i); sDep.push(depth + 1); }
            }
          }
          if (nm.length === 0) throw new Error("the graph has no root node");
          const n = nm.length;
          this.n = n;
          this.nm = Int32Array.from(nm);
          this.sA = Float64Array.from(sA);
          this.sB = Float64Array.from(sB);
          this.tA = Float64Array.from(tA);
          this.tB = Float64Array.from(tB);
          this.par = Int32Array.from(par);
          this.dep = Int32Array.from(dep);
          this.fold = Float64Array.from(fold);
          const size = new Int32Array(n).fill(1);
          for (let i = n - 1; i > 0; i--) size[this.par[i]] += size[i];
          this.end = new Int32Array(n);
          for (let i = 0; i < n; i++) this.end[i] = i + size[i];
          this.maxDepth = maxDepth;
          this.xs = new Float64Array(n);
          this.ws = new Float64Array(n);
          this.cur = new Float64Array(n);
          this.vis = new Int32Array(n);
          this.visN = 0;
          this.rowStart = new Int32Array(maxDepth + 2);
          this.rowItems = new Int32Array(n);
          let maxAbs = 0;
          for (let i = 0; i < n; i++) {
            const d = Math.abs(this.tB[i] - this.tA[i]);
            if (d > maxAbs) maxAbs = d;
          }
          this.maxAbs = maxAbs;
        }

        name(i) {
          const s = this.names[this.nm[i]];
          return s === undefined ? "?" : s;
        }

        isSynthetic(j) {
          return j === this.nm[0] || (j < this.funcs.length && this.funcs[j] === null);
        }

        buildDom() {
          const div = this.div;
          const bar = el("div", "flame-bar");
          const title = el("span", "flame-title", this.title);
          const u = this.unit;
          title.appendChild(el("span", "flame-tot", "A " + fmt(this.totalA, u) + " \u2192 B " + fmt(this.totalB, u)
            + " (" + fmt(this.totalB - this.totalA, u, true) + ")"));
          this.widthBtn = el("button", "flame-width");
          this.widthBtn.type = "button";
          this.colorBtn = el("button", "flame-color");
          this.colorBtn.type = "button";
          this.resetBtn = el("button", "flame-reset", "reset zoom");
          this.resetBtn.type = "button";
          this.resetBtn.title = "show the whole graph again";
          this.search = el("input", "flame-search");
          this.search.type = "search";
          this.search.placeholder = "search functions";
          this.search.spellcheck = false;
          this.search.setAttribute("aria-label", "search functions in " + this.title);
          const lab = el("label");
          this.regex = el("input", "flame-regex");
          this.regex.type = "checkbox";
          lab.append(this.regex, document.createTextNode("regex"));
          this.matchEl = el("span", "flame-match");
          this.matchEl.setAttribute("aria-live", "polite");
          bar.append(title, this.widthBtn, this.colorBtn, this.resetBtn, this.search, lab, this.matchEl);
          this.legend = el("div", "flame-legend");
          this.wrap = el("div", "flame-wrap");
          this.canvas = el("canvas", "flame-main");
          this.canvas.setAttribute("role", "img");
          this.canvas.setAttribute("aria-label", "differential flame graph of " + this.title + "; the tables have the same numbers");
          this.over = el("canvas", "flame-over");
          this.canvas.style.height = this.cssH + "px";
          this.over.style.height = this.cssH + "px";
          this.wrap.append(this.canvas, this.over);
          div.append(bar, this.legend, this.wrap);
          this.ctx = this.canvas.getContext("2d", { alpha: true });
          this.octx = this.over.getContext("2d", { alpha: true });

          this.widthBtn.addEventListener("click", () => {
            this.width = this.width === "b" ? "a" : "b";
            this.updateLegend();
            this.draw();
          });
          this.colorBtn.addEventListener("click", () => {
            this.color = this.color === "abs" ? "share" : "abs";
            this.updateLegend();
            this.draw();
          });
          this.resetBtn.addEventListener("click", () => this.reset());
          const onSearch = () => this.applySearch();
          this.search.addEventListener("input", onSearch);
          this.search.addEventListener("change", onSearch);
          this.regex.addEventListener("change", onSearch);
          this.search.addEventListener("keydown", (e) => {
            if (e.key === "Escape") { this.search.value = ""; onSearch(); }
          });
          this.canvas.addEventListener("mousemove", (e) => this.onMove(e));
          this.canvas.addEventListener("mouseleave", () => this.setHover(-1, 0, 0));
          this.canvas.addEventListener("click", (e) => this.onClick(e));
          if (typeof ResizeObserver === "function") {
            this.ro = new ResizeObserver(() => this.schedule());
            this.ro.observe(this.wrap);
          } else {
            window.addEventListener("resize", () => this.schedule());
          }
        }

        schedule() {
          if (this.raf) return;
          this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
        }

        updateLegend() {
          const widthName = this.width === "b" ? "B (after)" : "A (before)";
          this.widthBtn.textContent = "width: " + this.width.toUpperCase();
          this.widthBtn.title = "frame widths are " + widthName + " values; click to use "
            + (this.width === "b" ? "A (before), so stacks that vanished show" : "B (after)");
          this.colorBtn.textContent = "colour: " + (this.color === "abs" ? "\u0394 abs" : "\u0394 share");
          this.colorBtn.title = "click to colour by " + (this.color === "abs" ? "the change of share of the total" : "the absolute change");
          const lg = this.legend;
          lg.textContent = "";
          const pal = theme.pal;
          const neg = this.color === "abs" ? pal.blue : pal.green;
          const ramp = el("span", "flame-ramp");
          ramp.style.background = "linear-gradient(to right," + neg.fill[STEPS] + "," + neg.fill[0] + " 50%," + pal.red.fill[STEPS] + ")";
          const lo = this.color === "abs" ? "shrank" : "smaller share";
          const hi = this.color === "abs" ? "grew" : "larger share";
          lg.append(el("span", null, lo), ramp, el("span", null, hi));
          const expl = el("span");
          if (this.color === "abs") {
            expl.append("colour: \u0394 total (B\u2212A) of the frame, relative to the largest |\u0394| ",
              el("b", null, fmt(this.maxAbs, this.unit)), ";");
          } else {
            expl.append("colour: change of the frame's share of the total (B share \u2212 A share), full at \u00b1"
              + Math.round(SHARE_CLAMP * 100) + " percentage points;");
          }
          lg.append(expl, el("span", null, "width: " + widthName + ". Click a frame to zoom, hover for numbers."));
        }

        // Colour codes per node: sign * step (0 = neutral), per mode, cached.
        colors() {
          const key = this.color;
          let c = this.colorCache[key];
          if (c) return c;
          const n = this.n, tA = this.tA, tB = this.tB;
          c = new Int16Array(n);
          if (key === "abs") {
            const m = this.maxAbs;
            if (m > 0) {
              for (let i = 0; i < n; i++) {
                const d = tB[i] - tA[i];
                const k = Math.round(Math.abs(d) / m * STEPS);
                c[i] = d > 0 ? k : -k;
              }
            }
          } else {
            const ra = this.totalA, rb = this.totalB;
            for (let i = 0; i < n; i++) {
              const s = (rb > 0 ? tB[i] / rb : 0) - (ra > 0 ? tA[i] / ra : 0);
              const k = Math.round(Math.min(1, Math.abs(s) / SHARE_CLAMP) * STEPS);
              c[i] = s > 0 ? k : -k;
            }
          }
          this.colorCache[key] = c;
          return c;
        }

        // Positions of every node for the current width mode, zoom and canvas width; rows of drawn frames.
        layout(W) {
          const n = this.n, val = this.width === "a" ? this.tA : this.tB;
          const xs = this.xs, ws = this.ws, cur = this.cur, par = this.par, end = this.end;
          ws.fill(0);
          const z = this.zoom;
          for (let a = z; a >= 0; a = par[a]) { xs[a] = 0; ws[a] = W; }
          const vz = val[z];
          if (vz > 0) {
            const k = W / vz;
            cur[z] = 0;
            const e = end[z];
            for (let i = z + 1; i < e; i++) {
              const p = par[i];
              const x = cur[p];
              const w = val[i] * k;
              xs[i] = x;
              ws[i] = w;
              cur[p] = x + w;
              cur[i] = x;
              if (w < MIN_W) i = end[i] - 1;
            }
          }
          const vis = this.vis, dep = this.dep, D = this.maxDepth;
          const rowStart = this.rowStart;
          rowStart.fill(0);
          let vn = 0;
          for (let i = 0; i < n; i++) {
            if (ws[i] >= MIN_W && dep[i] < this.rows) { vis[vn++] = i; rowStart[dep[i] + 1]++; }
            else i = end[i] - 1;
          }
          for (let d = 0; d <= D; d++) rowStart[d + 1] += rowStart[d];
          const fillAt = rowStart.slice(0, D + 1);
          const items = this.rowItems;
          for (let v = 0; v < vn; v++) {
            const i = vis[v];
            items[fillAt[dep[i]]++] = i;
          }
          this.visN = vn;
        }

        draw(force) {
          const W = this.wrap.clientWidth;
          if (!(W > 0)) return false;
          const H = this.cssH;
          const dpr = Math.min(window.devicePixelRatio || 1, MAX_CANVAS_PX / H, MAX_CANVAS_PX / W);
          if (W !== this.cssW || dpr !== this.dpr) {
            this.cssW = W;
            this.dpr = dpr;
            const pw = Math.round(W * dpr), ph = Math.round(H * dpr);
            this.canvas.width = pw;
            this.canvas.height = ph;
            this.over.width = pw;
            this.over.height = ph;
            this.over.style.width = W + "px";
            this.paintKey = "";
            this.layoutKey = "";
          }
          const lk = W + "|" + this.width + "|" + this.zoom;
          if (lk !== this.layoutKey) {
            this.layout(W);
            this.layoutKey = lk;
            this.paintKey = "";
          }
          const pk = lk + "|" + this.color + "|" + this.searchVersion + "|" + dpr;
          if (pk !== this.paintKey || force) {
            this.paint(W, H, dpr);
            this.paintKey = pk;
            this.drawOverlay();
          }
          this.resetBtn.setAttribute("aria-disabled", this.zoom === 0 ? "true" : "false");
          return true;
        }

        charWidth(ctx) {
          if (!this.cw) this.cw = ctx.measureText("MMMMMMMMMM").width / 10 || 7;
          return this.cw;
        }

        shortName(j) {
          let s = this.shortNames[j];
          if (s === undefined) {
            const full = this.names[j] === undefined ? "?" : this.names[j];
            // Drop the package path: "github.com/x/y/pkg.(*T).M" -> "pkg.(*T).M".
            const paren = full.indexOf("(");
            const head = paren >= 0 ? full.slice(0, paren) : full;
            const slash = head.lastIndexOf("/");
            s = slash >= 0 ? full.slice(slash + 1) : full;
            this.shortNames[j] = s;
          }
          return s;
        }

        label(i, w, cw) {
          const max = Math.floor((w - 2 * PAD) / cw);
          if (max < 3) return null;
          const j = this.nm[i];
          const full = this.names[j] === undefined ? "?" : this.names[j];
          if (full.length <= max) return full;
          const s = this.shortName(j);
          if (s.length <= max) return s;
          return s.slice(0, max - 1) + "\u2026";
        }

        paint(W, H, dpr) {
          const ctx = this.ctx;
          ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
          ctx.clearRect(0, 0, W, H);
          ctx.font = FONT;
          ctx.textBaseline = "middle";
          const cw = this.charWidth(ctx);
          const col = this.colors();
          const pal = theme.pal;
          const neg = this.color === "abs" ? pal.blue : pal.green;
          const red = pal.red;
          const match = this.matchName, nm = this.nm;
          const xs = this.xs, ws = this.ws, dep = this.dep, vis = this.vis, vn = this.visN;
          const dimText = theme.dimText;
          const strokes = [];
          for (let v = 0; v < vn; v++) {
            const i = vis[v];
            const x = xs[i], w = ws[i], y = dep[i] * ROW;
            const c = col[i];
            const p = c >= 0 ? red : neg;
            const k = c >= 0 ? c : -c;
            const dim = match !== null && match[nm[i]] === 0;
            ctx.fillStyle = dim ? p.dim[k] : p.fill[k];
            ctx.fillRect(x, y, w >= 3 ? w - 1 : w, ROW - 1);
            if (match !== null && !dim) strokes.push(i);
            if (w >= 3 * cw + 2 * PAD) {
              const text = this.label(i, w, cw);
              if (text !== null) {
                ctx.fillStyle = dim ? dimText : p.text[k];
                ctx.fillText(text, x + PAD, y + ROW / 2);
              }
            }
          }
          if (strokes.length) {
            ctx.strokeStyle = theme.match;
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            for (const i of strokes) {
              const w = ws[i];
              if (w < 2) continue;
              ctx.rect(xs[i] + 0.75, dep[i] * ROW + 0.75, Math.max(0, w - 2.5), ROW - 2.5);
            }
            ctx.stroke();
          }
        }

        drawOverlay() {
          const o = this.octx, dpr = this.dpr || 1;
          o.setTransform(dpr, 0, 0, dpr, 0, 0);
          o.clearRect(0, 0, this.cssW, this.cssH);
          const i = this.hover;
          if (i < 0 || !(this.ws[i] >= MIN_W)) return;
          o.strokeStyle = theme.outline;
          o.lineWidth = 1.5;
          const w = this.ws[i];
          o.strokeRect(this.xs[i] + 0.75, this.dep[i] * ROW + 0.75, Math.max(0.5, (w >= 3 ? w - 1 : w) - 1.5), ROW - 2.5);
        }

        // The drawn frame under a point in CSS pixels of the canvas, or -1.
        hit(mx, my) {
          if (!this.layoutKey) return -1;
          const d = Math.floor(my / ROW);
          if (d < 0 || d >= this.rows || mx < 0) return -1;
          const items = this.rowItems, xs = this.xs;
          let lo = this.rowStart[d], hi = this.rowStart[d + 1] - 1, found = -1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (xs[items[mid]] <= mx) { found = mid; lo = mid + 1; } else hi = mid - 1;
          }
          if (found < 0) return -1;
          const i = items[found];
          return mx < xs[i] + this.ws[i] ? i : -1;
        }

        // After a scroll the frame under the (unmoved) mouse changes.
        rehover() {
          if (!this.last) return;
          const r = this.canvas.getBoundingClientRect();
          const [cx, cy] = this.last;
          const inside = cx >= r.left && cx < r.right && cy >= r.top && cy < r.bottom;
          this.setHover(inside ? this.hit(cx - r.left, cy - r.top) : -1, cx, cy);
        }

        onMove(e) {
          this.last = [e.clientX, e.clientY];
          const r = this.canvas.getBoundingClientRect();
          const i = this.hit(e.clientX - r.left, e.clientY - r.top);
          this.setHover(i, e.clientX, e.clientY);
        }

        onClick(e) {
          const r = this.canvas.getBoundingClientRect();
          const i = this.hit(e.clientX - r.left, e.clientY - r.top);
          if (i < 0) return;
          if (i === 0) this.reset();
          else if (i !== this.zoom) this.zoomNode(i);
          getTip().node = -1;
          this.setHover(this.hit(e.clientX - r.left, e.clientY - r.top), e.clientX, e.clientY);
        }

        setHover(i, cx, cy) {
          const t = getTip();
          if (i !== this.hover) {
            this.hover = i;
            this.drawOverlay();
          }
          if (i < 0) {
            if (t.owner === this) { t.root.hidden = true; t.owner = null; t.node = -1; }
            return;
          }
          if (t.owner !== this || t.node !== i) {
            this.fillTip(t, i);
            t.owner = this;
            t.node = i;
          }
          t.root.hidden = false;
          placeTip(t, cx, cy);
        }

        fillTip(t, i) {
          const u = this.unit;
          t.name.textContent = this.name(i);
          const sA = this.sA[i], sB = this.sB[i], tA = this.tA[i], tB = this.tB[i];
          setSpan(t, "selfA", fmt(sA, u));
          setSpan(t, "selfB", fmt(sB, u));
          setSpan(t, "selfD", fmt(sB - sA, u, true), sB - sA);
          setSpan(t, "selfP", deltaPct(sA, sB), sB - sA);
          setSpan(t, "totalA", fmt(tA, u));
          setSpan(t, "totalB", fmt(tB, u));
          setSpan(t, "totalD", fmt(tB - tA, u, true), tB - tA);
          setSpan(t, "totalP", deltaPct(tA, tB), tB - tA);
          setSpan(t, "shareA", sharePct(tA, this.totalA));
          setSpan(t, "shareB", sharePct(tB, this.totalB));
          const j = this.nm[i];
          const f = j < this.funcs.length ? this.funcs[j] : null;
          if (Array.isArray(f) && f.length >= 4) {
            const v = f.map((x) => +x || 0);
            setSpan(t, "flatA", fmt(v[0], u));
            setSpan(t, "flatB", fmt(v[1], u));
            setSpan(t, "flatD", fmt(v[1] - v[0], u, true), v[1] - v[0]);
            setSpan(t, "cumA", fmt(v[2], u));
            setSpan(t, "cumB", fmt(v[3], u));
            setSpan(t, "cumD", fmt(v[3] - v[2], u, true), v[3] - v[2]);
            t.funcBody.hidden = false;
          } else {
            for (const r of FUNC_KEYS) for (let k = 1; k < 4; k++) setSpan(t, r[k], "");
            t.funcBody.hidden = true;
          }
          t.note.textContent = "";
          const folded = this.fold[i];
          if (folded > 0) {
            t.note.append("stands for ");
            const s = el("span", null, String(folded));
            s.dataset.k = "folded";
            t.note.append(s, folded === 1 ? " pruned subtree (too small to show one by one)"
              : " pruned sibling subtrees (too small to show one by one)");
          } else if (i === 0) {
            t.note.textContent = "the whole profile";
          }
          t.hint.textContent = i === 0 ? (this.zoom === 0 ? "" : "click to show the whole graph")
            : i === this.zoom ? "zoomed in on this frame" : "click to zoom in";
        }

        zoomNode(i) {
          this.zoom = i;
          this.draw();
        }

        reset() {
          this.zoom = 0;
          this.draw();
        }

        applySearch() {
          const q = this.search.value;
          const re = this.regex.checked;
          this.query = q;
          this.matchName = null;
          this.matchedA = 0;
          this.matchedB = 0;
          this.matchEl.classList.remove("flame-bad");
          this.searchVersion++;
          if (q === "") {
            this.matchEl.textContent = "";
            this.draw();
            return;
          }
          let test;
          if (re) {
            let rx;
            try {
              rx = new RegExp(q, "i");
            } catch (err) {
              this.matchEl.textContent = err && err.message ? String(err.message) : "invalid regular expression";
              this.matchEl.classList.add("flame-bad");
              this.draw();
              return;
            }
            test = (s) => rx.test(s);
          } else {
            const ql = q.toLowerCase();
            test = (s) => s.toLowerCase().includes(ql);
          }
          const names = this.names;
          const m = new Uint8Array(Math.max(names.length, 1));
          let any = false;
          for (let j = 0; j < names.length; j++) {
            if (!this.isSynthetic(j) && test(names[j])) { m[j] = 1; any = true; }
          }
          let a = 0, b = 0;
          if (any) {
            const nm = this.nm, end = this.end, n = this.n;
            for (let i = 0; i < n;) {
              if (m[nm[i]]) { a += this.tA[i]; b += this.tB[i]; i = end[i]; } else i++;
            }
          }
          this.matchName = m;
          this.matchedA = a;
          this.matchedB = b;
          const u = this.unit;
          this.matchEl.textContent = !any ? "no match"
            : "matched: " + fmt(a, u) + " of " + fmt(this.totalA, u) + " in A (" + sharePct(a, this.totalA) + "), "
              + fmt(b, u) + " of " + fmt(this.totalB, u) + " in B (" + sharePct(b, this.totalB) + ")";
          this.draw();
        }

        // ---- the test hook ----

        nameSet(name) {
          const s = new Set();
          for (let j = 0; j < this.names.length; j++) if (this.names[j] === name) s.add(j);
          return s;
        }

        widest(name, visibleOnly) {
          const ids = this.nameSet(name);
          if (ids.size === 0) return -1;
          let best = -1, bw = -1;
          if (this.layoutKey) {
            const items = this.rowItems, ws = this.ws;
            for (let v = 0; v < this.visN; v++) {
              const i = items[v];
              if (ids.has(this.nm[i]) && ws[i] > bw) { best = i; bw = ws[i]; }
            }
          }
          if (best >= 0 || visibleOnly) return best;
          const val = this.width === "a" ? this.tA : this.tB;
          for (let i = 0; i < this.n; i++) if (ids.has(this.nm[i]) && val[i] > bw) { best = i; bw = val[i]; }
          return best;
        }

        frameRect(name) {
          this.draw();
          const i = this.widest(String(name), true);
          if (i < 0) return null;
          return { x: this.xs[i], y: this.dep[i] * ROW, w: this.ws[i], h: ROW };
        }

        zoomTo(name) {
          if (name == null) { this.reset(); return true; }
          const i = this.widest(String(name), false);
          if (i < 0) return false;
          if (i === 0) this.reset(); else this.zoomNode(i);
          return true;
        }

        state() {
          return {
            zoomed: this.zoom === 0 ? null : this.name(this.zoom),
            width: this.width,
            color: this.color,
            search: this.query,
            matchedA: this.matchedA,
            matchedB: this.matchedB,
          };
        }

        api() {
          return {
            frameRect: (name) => this.frameRect(name),
            zoomTo: (name) => this.zoomTo(name),
            reset: () => { this.reset(); },
            state: () => this.state(),
            redraw: () => this.draw(true),
          };
        }
      }

      // ---- sortable tables ----

      const collator = typeof Intl === "object" ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;

      function cellText(cell) {
        const sum = cell.querySelector("summary");
        return (sum ? sum.textContent : cell.textContent).trim();
      }

      // The sort key of a cell: its data-v number for numeric columns, else its text (a <details> cell: its
      // summary); null when the row has no proper cell in the column (such rows stay at the end).
      function sortKey(cell, numeric) {
        if (!cell || cell.colSpan > 1) return null;
        if (numeric) {
          const v = parseFloat(cell.getAttribute("data-v"));
          return Number.isFinite(v) ? v : null;
        }
        return cellText(cell);
      }

      function sortTable(table, th) {
        const body = table.tBodies[0];
        if (!body) return;
        const col = th.cellIndex;
        const rows = Array.from(body.rows);
        // Numeric when every proper cell of the column has data-v (blank cells aside).
        let withV = 0, allNum = true;
        for (const r of rows) {
          const c = r.cells[col];
          if (!c || c.colSpan > 1) continue;
          if (c.hasAttribute("data-v") && Number.isFinite(parseFloat(c.getAttribute("data-v")))) withV++;
          else if (c.textContent.trim() !== "") { allNum = false; break; }
        }
        const numeric = allNum && withV > 0;
        const cur = th.getAttribute("aria-sort");
        const dir = cur === "descending" ? "ascending" : cur === "ascending" ? "descending"
          : numeric ? "descending" : "ascending";
        const sign = dir === "ascending" ? 1 : -1;
        const keyed = rows.map((r, idx) => ({ k: sortKey(r.cells[col], numeric), r, idx }));
        keyed.sort((p, q) => {
          if (p.k === null || q.k === null) {
            if (p.k === null && q.k === null) return p.idx - q.idx;
            return p.k === null ? 1 : -1;
          }
          let d;
          if (numeric) d = p.k < q.k ? -1 : p.k > q.k ? 1 : 0;
          else d = collator ? collator.compare(p.k, q.k) : (p.k < q.k ? -1 : p.k > q.k ? 1 : 0);
          return d !== 0 ? d * sign : p.idx - q.idx;
        });
        // Reorder while the body is out of the document: one style and layout pass instead of one per row.
        const parent = body.parentNode, next = body.nextSibling;
        parent.removeChild(body);
        for (const e of keyed) body.appendChild(e.r);
        parent.insertBefore(body, next);
        const headRow = th.parentNode;
        for (const h of headRow.cells) if (h !== th) h.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", dir);
      }

      function initTables() {
        for (const table of document.querySelectorAll("table.sortable")) {
          const head = table.tHead;
          if (!head || head.rows.length === 0) continue;
          table.classList.add("sort-ready");
          const row = head.rows[head.rows.length - 1];
          for (const th of row.cells) {
            if (th.tagName !== "TH") continue;
            th.tabIndex = 0;
            if (!th.title) th.title = "sort by this column";
            th.addEventListener("click", () => sortTable(table, th));
            th.addEventListener("keydown", (e) => {
              if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortTable(table, th); }
            });
          }
        }
      }

      // ---- start ----

      function init() {
        const api = { graphs: {}, ready: false, firstPaintMs: null, timings: { scriptStart }, format: fmt, deltaPct };
        window.gbsnap = api;
        initTables();
        // The flame toolbars stick below the sticky nav bar: tell the CSS its height.
        const nav = document.querySelector("nav.kinds");
        if (nav) {
          const setNav = () => document.documentElement.style.setProperty("--nav-h", nav.offsetHeight + "px");
          if (typeof ResizeObserver === "function") new ResizeObserver(setNav).observe(nav);
          else setNav();
        }
        const divs = Array.from(document.querySelectorAll("div.flame[data-graph]"));
        let graphs = {};
        const dataEl = document.getElementById("gbsnap-data");
        if (divs.length > 0) {
          try {
            const parsed = JSON.parse(dataEl ? dataEl.textContent : "{}");
            graphs = (parsed && parsed.graphs) || {};
          } catch (err) {
            console.error("gbsnap: the flame graph data is not valid JSON: " + err);
          }
        }
        api.timings.parsed = performance.now();
        const made = [];
        for (const div of divs) {
          const id = div.getAttribute("data-graph");
          const g = Object.prototype.hasOwnProperty.call(graphs, id) ? graphs[id] : null;
          if (!g || !Array.isArray(g.root)) {
            div.appendChild(el("p", "flame-note", "No flame graph data for \u201c" + id + "\u201d."));
            continue;
          }
          try {
            const f = new Flame(div, g, id);
            api.graphs[id] = f.api();
            made.push(f);
          } catch (err) {
            div.appendChild(el("p", "flame-note", "The flame graph could not be drawn: " + err));
            console.error("gbsnap: flame graph " + id + ": " + err);
          }
        }
        api.timings.built = performance.now();
        if (made.length) void document.body.offsetHeight; // the page's own layout, timed apart from the drawing
        api.timings.layout = performance.now();
        // Graphs in hidden containers draw once they get a size (ResizeObserver).
        for (const f of made) f.draw();
        api.firstPaintMs = performance.now();
        api.timings.drawn = api.firstPaintMs;
        api.ready = true;
        // Moving the window to a screen of another pixel ratio (or browser zoom) redraws sharply.
        const watchRatio = () => {
          if (!window.matchMedia) return;
          const q = window.matchMedia("(resolution: " + (window.devicePixelRatio || 1) + "dppx)");
          if (!q.addEventListener) return;
          q.addEventListener("change", () => { for (const f of made) f.schedule(); watchRatio(); }, { once: true });
        };
        watchRatio();
        window.addEventListener("scroll", () => {
          if (tip && tip.owner) tip.owner.rehover();
        }, { passive: true });
        if (darkQuery && darkQuery.addEventListener) {
          darkQuery.addEventListener("change", () => {
            theme = makeTheme();
            for (const f of made) { f.updateLegend(); f.draw(true); }
          });
        }
      }

      init();
    })();
    """#
}
