#!/usr/bin/env python3
"""Builds synthetic gbsnap HTML diff reports for developing and checking the report's CSS and JavaScript.

The CSS and script are taken from Sources/Diff/ReportAssets.swift (the two raw string literals), so the
pages test exactly what the Swift generator inlines. The pages follow the generator's DOM contract
(nav.kinds, pre.headline, ul.warnings, table.sortable, div.flame + one JSON data block). Next to every
page an EXPECT file for check_report.py is written, with tooltip texts computed here by an independent
Python port of the Swift ValueFormatter.

    python3 Tests/Browser/make_test_page.py [--out DIR] [--nodes 50000] [--seed 7]

writes DIR/small.html (+ small.expect.json: several graphs, units bytes/nanoseconds/count, one graph
in a closed <details>), DIR/large.html (+ large.expect.json: one graph of about --nodes nodes and a
3,000-row table), DIR/large-graph.html (the same graph, a 100-row table: the flame graph's own cost),
DIR/edge.html (a new profile, a lone root, all zeros, microseconds, hostile names, no funcs table, a
300-deep recursion) and two pages that check_report.py must reject: DIR/bad-network.html (loads an
image from the network) and DIR/bad-console.html (logs a console error).
"""

import argparse
import html
import json
import math
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SWIFT = os.path.normpath(os.path.join(HERE, "..", "..", "Sources", "Diff", "ReportAssets.swift"))


# ---------------------------------------------------------------- assets

def swift_literal(source, name):
    """The value of `static let NAME = #\"\"\" ... \"\"\"#` with Swift's indentation stripping."""
    m = re.search(r'static let ' + re.escape(name) + r' = #"""\n(.*?)\n([ \t]*)"""#', source, re.S)
    if not m:
        sys.exit("no raw string literal %r in ReportAssets.swift" % name)
    body, indent = m.group(1), m.group(2)
    lines = []
    for n, line in enumerate(body.split("\n")):
        if line.strip() == "":
            lines.append("")
        elif line.startswith(indent):
            lines.append(line[len(indent):])
        else:
            sys.exit("%s line %d is indented less than the closing delimiter" % (name, n + 1))
    text = "\n".join(lines)
    if "\\#" in text:
        sys.exit("%s contains \\# (a raw-string escape in Swift)" % name)
    return text


def load_assets(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    css = swift_literal(src, "css")
    js = swift_literal(src, "script")
    if "</style" in css.lower():
        sys.exit("css contains </style")
    if "</script" in js.lower() or "<!--" in js:
        sys.exit("script contains </script or <!--")
    return css, js


# ---------------------------------------------------------------- formatting (port of ValueFormatter)

BYTES = [("B", 1), ("kB", 1024), ("MB", 1024 ** 2), ("GB", 1024 ** 3), ("TB", 1024 ** 4), ("PB", 1024 ** 5)]
TIMES = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3.6e12)]


def unit_scales(unit):
    u = (unit or "").lower()
    if u in ("bytes", "byte", "b"):
        return BYTES, 1.0
    if u in ("nanoseconds", "nanosecond", "ns"):
        return TIMES, 1.0
    if u in ("microseconds", "us"):
        return TIMES, 1e3
    if u in ("milliseconds", "ms"):
        return TIMES, 1e6
    if u in ("seconds", "s"):
        return TIMES, 1e9
    return None


def round_half_away(y):
    f = math.floor(y)
    return f + 1 if y - f >= 0.5 else f


def fmt(v, unit, signed=False):
    v = int(v)
    sc = unit_scales(unit)
    if sc is None:
        if v == 0:
            return "0"
        return ("+" if signed and v > 0 else "") + str(v)
    if v == 0:
        return "0"
    scales, base = sc
    m = float(abs(v)) * base
    chosen = scales[0]
    for s in scales:
        if m / s[1] >= 1:
            chosen = s
    h = int(round_half_away((m / chosen[1]) * 100))
    whole, frac = h // 100, h % 100
    text = str(whole) if frac == 0 else "%d.%02d" % (whole, frac)
    if text == "0":
        return "0"
    text += chosen[0]
    if v < 0:
        return "-" + text
    return "+" + text if signed else text


def delta_pct(a, b):
    if a == 0:
        return "0%" if b == 0 else "new"
    p = (b - a) / a * 100
    r = int(round_half_away(abs(p) * 10))
    if r == 0:
        return "0.0%"
    return ("+" if p > 0 else "-") + "%d.%d%%" % (r // 10, r % 10)


def share_pct(x, total):
    if not total > 0:
        return "n/a"
    r = int(round_half_away(x / total * 1000))
    return ("%d" % (r // 10) if r % 10 == 0 else "%d.%d" % (r // 10, r % 10)) + "%"


FORMAT_CASES = [
    (1536, "bytes", False), (-5780000, "bytes", True), (10 ** 9, "nanoseconds", False), (12, "count", True),
    (0, "bytes", True), (0, "count", False), (1, "bytes", False), (1023, "bytes", False), (1024, "bytes", True),
    (3, "milliseconds", False), (1500, "microseconds", True), (59, "seconds", False), (7200, "seconds", False),
    (-12, "objects", True), (2 ** 40 + 5, "bytes", False), (999, "nanoseconds", False), (1005, "bytes", False),
    (4, "nanoseconds", False), (2 ** 52, "bytes", False), (-(2 ** 35), "bytes", True), (123456789, "count", False),
    (-7, "count", False), (1, "milliseconds", True), (86400, "seconds", False),
]


# ---------------------------------------------------------------- trees

class Node:
    __slots__ = ("name", "selfA", "selfB", "totA", "totB", "kids", "folded")

    def __init__(self, name, selfA=0, selfB=0, kids=None, folded=0):
        self.name, self.selfA, self.selfB = name, selfA, selfB
        self.kids = kids or []
        self.folded = folded
        self.totA = self.totB = 0


def totals(node):
    """Sets totA/totB bottom-up (iteratively: trees may be deep)."""
    order, stack = [], [node]
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(n.kids)
    for n in reversed(order):
        n.totA = n.selfA + sum(k.totA for k in n.kids)
        n.totB = n.selfB + sum(k.totB for k in n.kids)


def walk(root):
    """(node, depth, ancestor names) in pre-order, children left to right."""
    stack = [(root, 0, ())]
    while stack:
        n, d, anc = stack.pop()
        yield n, d, anc
        for k in reversed(n.kids):
            stack.append((k, d + 1, anc + (n.name,)))


def graph_json(title, unit, root, synthetic=("all", "(other)")):
    totals(root)
    names, index = [], {}

    def idx(s):
        if s not in index:
            index[s] = len(names)
            names.append(s)
        return index[s]

    flat, cum = {}, {}
    for n, d, anc in walk(root):
        idx(n.name)
        f = flat.setdefault(n.name, [0, 0])
        f[0] += n.selfA
        f[1] += n.selfB
        if n.name not in anc:  # recursion counts once
            c = cum.setdefault(n.name, [0, 0])
            c[0] += n.totA
            c[1] += n.totB

    def enc(n):
        out = [idx(n.name), n.selfA, n.selfB, n.totA, n.totB, [enc(k) for k in n.kids]]
        if n.folded:
            out.append(n.folded)
        return out

    sys.setrecursionlimit(100000)
    root_enc = enc(root)
    funcs = [None if s in synthetic else [flat[s][0], flat[s][1], cum[s][0], cum[s][1]] for s in names]
    return {"title": title, "unit": unit, "totalA": root.totA, "totalB": root.totB,
            "names": names, "funcs": funcs, "root": root_enc}


def hover_values(g, root, node, unit):
    values = {
        "selfA": fmt(node.selfA, unit), "selfB": fmt(node.selfB, unit),
        "selfD": fmt(node.selfB - node.selfA, unit, True), "selfP": delta_pct(node.selfA, node.selfB),
        "totalA": fmt(node.totA, unit), "totalB": fmt(node.totB, unit),
        "totalD": fmt(node.totB - node.totA, unit, True), "totalP": delta_pct(node.totA, node.totB),
        "shareA": share_pct(node.totA, root.totA), "shareB": share_pct(node.totB, root.totB),
    }
    f = g["funcs"][g["names"].index(node.name)]
    if f is not None:
        values.update({"flatA": fmt(f[0], unit), "flatB": fmt(f[1], unit), "flatD": fmt(f[1] - f[0], unit, True),
                       "cumA": fmt(f[2], unit), "cumB": fmt(f[3], unit), "cumD": fmt(f[3] - f[2], unit, True)})
    if node.folded:
        values["folded"] = str(node.folded)
    return values


def widest_node(root, name):
    """The node the page picks for frameRect(name) at B widths without zoom (ties: first by depth, then x)."""
    best, bd = None, None
    for n, d, _ in walk(root):
        if n.name == name and (best is None or n.totB > best.totB or (n.totB == best.totB and d < bd)):
            best, bd = n, d
    return best


def matched(root, pattern, regex, synthetic=("all", "(other)")):
    rx = re.compile(pattern, re.I) if regex else None
    a = b = 0
    stack = [root]
    while stack:
        n = stack.pop()
        hit = n.name not in synthetic and (rx.search(n.name) if rx else pattern.lower() in n.name.lower())
        if hit:
            a += n.totA
            b += n.totB
        else:
            stack.extend(n.kids)
    return a, b


# ---------------------------------------------------------------- small case

MB = 1024 * 1024


def small_heap():
    N = Node
    leak = N("main.leak", 0, 5_780_000)
    handler = N("main.handler", 1536, 3072, [
        N("encoding/json.Marshal", 2 * MB, 2 * MB + 300_000, [N("encoding/json.(*encodeState).marshal", 900_000, 1_100_000)]),
        leak,
        N("bytes.(*Buffer).grow", 512_000, 700_000),
    ])
    serve = N("net/http.(*conn).serve", 0, 0, [handler, N("net/http.(*conn).readRequest", 300_000, 280_000)])
    cache = N("main.(*cache).Put", 4 * MB, 1 * MB, [N("runtime.makemap", 600_000, 150_000)])
    main = N("main.main", 0, 0, [
        N("main.serve", 0, 0, [serve]), cache,
        N("main.init", 120_000, 120_000),
        N("github.com/acme/very/long/import/path/internal/storage.(*Engine).compactLevelWithRetries", 800_000, 850_000),
    ])
    root = N("all", 0, 0, [
        N("runtime.main", 0, 0, [main]),
        N("runtime.gcBgMarkWorker", 0, 0, [N("runtime.gcDrain", 200_000, 260_000)]),
        N("(other)", 90_000, 130_000, folded=12),
    ])
    return root


def small_cpu():
    N = Node
    ms = 1_000_000
    work = N("main.compute", 300 * ms, 900 * ms, [
        N("math.Sqrt", 100 * ms, 100 * ms),
        N("main.compute", 50 * ms, 400 * ms, [N("runtime.mallocgc", 20 * ms, 180 * ms)]),  # recursion
    ])
    root = N("all", 0, 0, [
        N("runtime.main", 0, 0, [N("main.main", 10 * ms, 10 * ms, [work, N("main.idle", 700 * ms, 100 * ms)])]),
        N("runtime.mcall", 0, 0, [N("runtime.park_m", 0, 0, [N("runtime.schedule", 200 * ms, 260 * ms)])]),
        N("runtime.bgsweep", 5 * ms, 0),
    ])
    return root


def small_goroutines():
    N = Node
    root = N("all", 0, 0, [
        N("runtime.goexit", 0, 0, [
            N("main.worker", 0, 0, [N("runtime.chanrecv", 4, 4)]),
            N("main.(*pool).leaky", 0, 0, [N("runtime.selectgo", 0, 1200)]),
            N("net/http.(*persistConn).readLoop", 10, 3),
        ]),
    ])
    return root


def small_alloc():
    N = Node
    return N("all", 0, 0, [N("main.parse", 5 * MB, 7 * MB, [N("strings.Split", 3 * MB, 2 * MB)]),
                           N("main.render", 1 * MB, 9 * MB)])


# ---------------------------------------------------------------- large case

def large_tree(target, seed):
    rnd = random.Random(seed)
    pkgs = ["runtime", "net/http", "encoding/json", "bytes", "strings", "sync", "io", "bufio", "fmt",
            "github.com/acme/api/handlers", "github.com/acme/api/store", "github.com/acme/api/cache",
            "google.golang.org/grpc", "google.golang.org/protobuf/proto", "github.com/acme/api/internal/sched"]
    pool = []
    for i in range(4000):
        p = rnd.choice(pkgs)
        kind = rnd.random()
        if kind < 0.4:
            pool.append("%s.func%d" % (p, i))
        elif kind < 0.8:
            pool.append("%s.(*T%d).Method%d" % (p, i % 97, i))
        else:
            pool.append("%s.Handle%d.func%d" % (p, i, i % 7 + 1))
    count = [0]

    def gen(depth, budget):
        count[0] += 1
        budget -= 1
        n = Node(None)
        n.selfB = int(rnd.lognormvariate(9, 2.2)) if (budget == 0 or rnd.random() < 0.3) else 0
        r = rnd.random()
        if r < 0.05:
            n.selfA = 0                      # new in B
        elif r < 0.08:
            n.selfA, n.selfB = n.selfB, 0    # vanished in B
        else:
            n.selfA = int(n.selfB * rnd.uniform(0.3, 1.6))
        if budget > 0 and depth < 70:
            k = min(budget, rnd.choice([1, 1, 1, 2, 2, 3, 4, 6, 9, 16]))
            weights = [rnd.paretovariate(1.2) for _ in range(k)]
            tot = sum(weights)
            parts = [int(budget * w / tot) for w in weights]
            parts[0] += budget - sum(parts)
            used = set()
            for part in parts:
                if part <= 0:
                    continue
                child = gen(depth + 1, part)
                nm = rnd.choice(pool)
                while nm in used:
                    nm = rnd.choice(pool)
                used.add(nm)
                child.name = nm
                n.kids.append(child)
        return n

    sys.setrecursionlimit(100000)
    top = gen(1, target - 2)
    top.name = "runtime.main"
    other = Node("(other)", 5_000_000, 7_000_000, folded=347)
    root = Node("all", 0, 0, [top, other])
    totals(root)
    return root, count[0] + 2


# ---------------------------------------------------------------- pages

def td_n(v, unit, delta=False):
    cls = "n" + ((" up" if v > 0 else " down" if v < 0 else "") if delta else "")
    return '<td class="%s" data-v="%d">%s</td>' % (cls, v, html.escape(fmt(v, unit, delta)))


def top_table(g, limit=None):
    unit = g["unit"]
    rows = []
    for j, name in enumerate(g["names"]):
        f = g["funcs"][j]
        if f is None:
            continue
        rows.append((f[1] - f[0], name, f))
    rows.sort(key=lambda r: (-abs(r[0]), r[1]))
    shown = rows if limit is None else rows[:limit]
    out = ['<table class="sortable top"><thead><tr><th>flat A</th><th>flat B</th><th>flat \u0394</th>'
           '<th>cum A</th><th>cum B</th><th>cum \u0394</th><th>name</th></tr></thead><tbody>']
    for _, name, f in shown:
        out.append("<tr>" + td_n(f[0], unit) + td_n(f[1], unit) + td_n(f[1] - f[0], unit, True)
                   + td_n(f[2], unit) + td_n(f[3], unit) + td_n(f[3] - f[2], unit, True)
                   + '<td class="name">%s</td></tr>' % html.escape(name))
    out.append("</tbody></table>")
    if len(shown) < len(rows):
        out.append('<p class="more">%d more rows not shown (use --limit 0 for all)</p>' % (len(rows) - len(shown)))
    return "\n".join(out)


def headline_line(kind, g):
    unit = g["unit"]
    d = g["totalB"] - g["totalA"]
    text = "%s: %s -> %s (%s)" % (kind, fmt(g["totalA"], unit), fmt(g["totalB"], unit), fmt(d, unit, True))
    cls = "up" if d > 0 else "down" if d < 0 else None
    return '<span class="%s">%s</span>' % (cls, html.escape(text)) if cls else html.escape(text)


def chart_svg(values, label):
    w, h = 320, 60
    mx = max(values) or 1
    pts = " ".join("%.1f,%.1f" % (10 + i * (w - 20) / (len(values) - 1), h - 10 - v / mx * (h - 20))
                   for i, v in enumerate(values))
    return ('<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">'
            '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="%s"/></svg>'
            % (w, h, w, h, html.escape(label), pts))


def page(title, css, js, sections, graphs, headline, warnings, gates=(), extra_head="", extra_body=""):
    """The page in the shape of Sources/Diff/HTMLReport.swift: header with the snapshot table, nav.kinds, a
    summary section (pre.headline, gates, ul.warnings), one section per kind, a footer, the data, the script."""
    nav = '<a href="#summary">summary</a>' + "".join(
        '<a href="#sec-%s">%s</a>' % (sid, html.escape(label)) for sid, label, _ in sections)
    body = "\n".join('<section id="sec-%s"><h2>%s</h2>\n%s\n</section>' % (sid, html.escape(label), content)
                     for sid, label, content in sections)
    data = json.dumps({"graphs": graphs}, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    summary = '<section id="summary"><h2>What changed</h2>\n<pre class="headline">%s</pre>\n' % headline
    if gates:
        summary += '<h3>Gates</h3>\n<ul class="gates">\n' + "".join(
            '<li class="%s">%s: %s</li>\n' % ("up" if tripped else "down", "tripped" if tripped else "passed",
                                             html.escape(msg)) for tripped, msg in gates) + "</ul>\n"
    if warnings:
        summary += '<ul class="warnings">\n' + "".join(
            '<li class="warn">%s</li>\n' % html.escape(w) for w in warnings) + "</ul>\n"
    summary += "</section>\n"
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>%s</style>%s
</head><body>
<header><h1>gbsnap diff <span class="target">api</span></h1>
<table class="snapshots"><thead><tr><th></th><th>snapshot</th><th>target</th><th>taken at</th></tr></thead><tbody>
<tr><td>A</td><td class="name">20240501-120000-api</td><td>api</td><td>2024-05-01 12:00:00Z</td></tr>
<tr><td>B</td><td class="name">20240501-130000-api</td><td>api</td><td>2024-05-01 13:00:00Z (1h apart)</td></tr>
</tbody></table></header>
<nav class="kinds">%s</nav>
%s%s
<footer>gbsnap test page; every delta is B \u2212 A; per-function numbers equal <code>go tool pprof -top -diff_base=A B</code>.</footer>
<script type="application/json" id="gbsnap-data">%s</script>
<script>%s</script>%s
</body></html>
""" % (html.escape(title), css, extra_head, nav, summary, body, data, js, extra_body)


def pause_chart(pauses):
    w, h, left, bottom = 720.0, 140.0, 64.0, 18.0
    top = max(pauses)
    bar = (w - left) / len(pauses)
    out = ['<h3>GC pauses between A and B</h3>\n<p>%d GC cycles; p50 120us, p99 1.20ms, max 1.50ms.</p>' % len(pauses),
           '<svg class="chart pauses" viewBox="0 0 720 140" width="720" height="140" role="img" aria-label="GC pause durations">',
           '<text x="58" y="12" text-anchor="end">%s</text><text x="58" y="122" text-anchor="end">0</text>' % fmt(top, "nanoseconds"),
           '<line x1="64" y1="122" x2="720" y2="122" stroke="currentColor" stroke-opacity="0.4"/>']
    for i, ns in enumerate(pauses):
        hg = max(1, (h - bottom - 8) * ns / top)
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>GC %d of %d: %s</title></rect>'
                   % (left + i * bar, h - bottom - hg, max(1, bar * 0.8), hg, i + 1, len(pauses), fmt(ns, "nanoseconds")))
    out.append('<text x="64" y="137">oldest</text><text x="720" y="137" text-anchor="end">newest</text></svg>')
    return "\n".join(out)


def runtime_table():
    rows = [("heap in use", 9_800_000, 12_800_000, "bytes"), ("heap objects", 120_000, 181_000, "count"),
            ("GC cycles", 40, 52, "count"), ("GC pause total", 3_400_000, 5_100_000, "nanoseconds")]
    out = ['<table class="sortable runtime"><thead><tr><th>stat</th><th>A</th><th>B</th><th>\u0394</th></tr></thead><tbody>']
    for name, a, b, unit in rows:
        out.append("<tr><td>%s</td>%s%s%s</tr>" % (name, td_n(a, unit), td_n(b, unit), td_n(b - a, unit, True)))
    out.append('<tr><td>allocation rate</td><td colspan="3">1.20MB/s</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def flame_div(gid):
    return ('<div class="flame" data-graph="%s"><noscript>The flame graph needs JavaScript; '
            'the tables below have the same numbers.</noscript></div>' % gid)


def small_page(css, js):
    trees = {"heap": ("heap inuse_space", "bytes", small_heap()),
             "cpu": ("cpu cpu", "nanoseconds", small_cpu()),
             "goroutine": ("goroutine goroutines", "count", small_goroutines()),
             "allocs": ("allocs alloc_space", "bytes", small_alloc())}
    graphs = {gid: graph_json(t, u, r) for gid, (t, u, r) in trees.items()}
    headline = "\n".join(headline_line(t, graphs[gid]) for gid, (t, _, _) in trees.items())
    gor = ['<table class="sortable goroutines"><thead><tr><th>count A</th><th>count B</th><th>\u0394</th>'
           '<th>state</th><th>stack (leaf first)</th></tr></thead><tbody>']
    groups = [(4, 4, "chan receive", ["runtime.chanrecv", "main.worker", "runtime.goexit"], False),
              (0, 1200, "select", ["runtime.selectgo", "main.(*pool).leaky", "runtime.goexit"], True),
              (10, 3, "IO wait", ["internal/poll.runtime_pollWait", "net/http.(*persistConn).readLoop"], False)]
    for a, b, state, stack, sus in groups:
        gor.append('<tr%s>%s%s%s<td>%s</td><td class="name"><details><summary>%s</summary><pre>%s</pre></details></td></tr>'
                   % (' class="suspect"' if sus else "", td_n(a, "count"), td_n(b, "count"), td_n(b - a, "count", True),
                      state, html.escape(stack[0]), html.escape("\n".join(stack))))
    gor.append("</tbody></table>")

    def line(gid):
        return '<p class="headline">%s</p>\n' % headline_line(trees[gid][0], graphs[gid])
    sections = [
        ("heap", "heap inuse_space", line("heap") + flame_div("heap") + "\n" + top_table(graphs["heap"], limit=8)),
        ("cpu", "cpu", line("cpu") + flame_div("cpu") + "\n" + top_table(graphs["cpu"])),
        ("goroutine", "goroutines", line("goroutine") + flame_div("goroutine") + "\n" + "\n".join(gor)),
        ("allocs", "allocs", line("allocs") + '<details class="sample-type"><summary>allocs alloc_space flame graph</summary>\n'
         + flame_div("allocs") + "</details>\n" + top_table(graphs["allocs"])),
        ("runtime", "runtime stats, 1h apart", runtime_table() + "\n"
         + pause_chart([120_000 + (i * 7919) % 900_000 for i in range(40)] + [1_500_000])),
    ]
    gates = [(True, "heap.inuse_space grew 30.6% > 20%"), (False, "goroutines grew 1193 <= 2000")]
    warnings = ["snapshot B's heap profile was taken 3 s after its goroutine dump",
                "A and B come from different binaries (build ids differ)"]
    doc = page("gbsnap diff (small test page)", css, js, sections, graphs, headline, warnings, gates)
    heap = trees["heap"][2]
    hov = []
    for gid, name in (("heap", "main.leak"), ("heap", "main.handler"), ("heap", "(other)"), ("cpu", "main.compute"),
                      ("goroutine", "main.(*pool).leaky"), ("heap", "all")):
        _, unit, root = trees[gid]
        node = widest_node(root, name)
        hov.append({"graph": gid, "name": name, "values": hover_values(graphs[gid], root, node, unit)})
    ma, mb = matched(heap, "json|leak", True)
    expect = {
        "graphs": list(trees.keys()),
        "hover": hov,
        "zoom": {"graph": "heap", "name": "main.handler"},
        "search": {"graph": "heap", "pattern": "json|leak", "regex": True, "matchedA": ma, "matchedB": mb,
                   "contains": ["matched: %s of %s in A" % (fmt(ma, "bytes"), fmt(heap.totA, "bytes")),
                                "%s of %s in B (%s)" % (fmt(mb, "bytes"), fmt(heap.totB, "bytes"), share_pct(mb, heap.totB))]},
        "format": [[v, u, s, fmt(v, u, s)] for v, u, s in FORMAT_CASES],
    }
    return doc, expect


def large_page(css, js, nodes, seed, rows=3000):
    root, n = large_tree(nodes, seed)
    g = graph_json("heap inuse_space (large)", "bytes", root)
    graphs = {"big": g}
    headline = headline_line("heap inuse_space", g)
    sections = [("big", "heap inuse_space, %d nodes" % n, flame_div("big") + "\n" + top_table(g, limit=rows))]
    doc = page("gbsnap diff (large test page)", css, js, sections, graphs, headline, [])
    # Hover targets: the widest frames at a few depths whose name is unique at that width.
    hov = []
    seen = set()
    by_depth = {}
    for node, d, _ in walk(root):
        if d in (1, 2, 4, 7) and node.name not in ("all", "(other)"):
            by_depth.setdefault(d, []).append(node)
    for d in sorted(by_depth):
        for node in sorted(by_depth[d], key=lambda x: -x.totB):
            if node.name in seen:
                continue
            if widest_node(root, node.name) is node and node.totB > root.totB * 0.02:
                seen.add(node.name)
                hov.append({"graph": "big", "name": node.name, "values": hover_values(g, root, node, "bytes")})
                break
    other = widest_node(root, "(other)")
    hov.append({"graph": "big", "name": "(other)", "values": hover_values(g, root, other, "bytes")})
    zoom_name = hov[1]["name"] if len(hov) > 2 else hov[0]["name"]
    ma, mb = matched(root, "Method1", False)
    expect = {
        "graphs": ["big"], "hover": hov,
        "zoom": {"graph": "big", "name": zoom_name},
        "search": {"graph": "big", "pattern": "Method1", "regex": False, "matchedA": ma, "matchedB": mb,
                   "contains": ["matched: %s of %s in A (%s)" % (fmt(ma, "bytes"), fmt(root.totA, "bytes"),
                                                                share_pct(ma, root.totA))]},
        "nodes": n,
    }
    return doc, expect


def edge_page(css, js):
    """Unusual graphs: a new profile (A empty), a lone root, all zero, microseconds, hostile names and no
    funcs table, a 300-deep recursion, a unit without scaling."""
    N = Node
    trees = {
        "newprof": ("goroutine new", "count", N("all", 0, 0, [N("main.fresh", 0, 40, [N("runtime.gopark", 0, 2)])])),
        "single": ("lone root", "bytes", N("all", 5, 7)),
        "zero": ("all zero", "nanoseconds", N("all", 0, 0, [N("main.nothing", 0, 0)])),
        "micro": ("block delay", "microseconds", N("all", 0, 0, [
            N("sync.(*Mutex).Lock", 1500, 2_500_000), N("runtime.chanrecv1", 999, 900_000)])),
        "weird": ("hostile names", "bytes", N("all", 0, 0, [
            N("</script><b>bold</b>", 4096, 8192, [N("main.(*\u00dcber).fn\u00e9", 100, 50)]),
            N("a\"quote'&amp;", 1, 1)])),
        "deep": ("deep recursion", "objects", None),
    }
    deep = N("main.leaf", 1, 3)
    for _ in range(300):
        deep = N("main.rec", 0, 1, [deep])
    trees["deep"] = ("deep recursion", "objects", N("all", 0, 0, [deep]))
    graphs = {gid: graph_json(t, u, r) for gid, (t, u, r) in trees.items()}
    del graphs["weird"]["funcs"]
    del graphs["single"]["root"][5]
    sections = [(gid, t, flame_div(gid)) for gid, (t, _, _) in trees.items()]
    headline = "\n".join(headline_line(t, graphs[gid]) for gid, (t, _, _) in trees.items())
    doc = page("gbsnap diff (edge cases)", css, js, sections, graphs, headline, [])
    hov = []
    for gid, name in (("newprof", "main.fresh"), ("single", "all"),
                      ("micro", "sync.(*Mutex).Lock"), ("micro", "runtime.chanrecv1"),
                      ("weird", "</script><b>bold</b>"), ("deep", "main.rec"), ("deep", "main.leaf")):
        _, unit, root = trees[gid]
        node = widest_node(root, name)
        values = hover_values(graphs[gid] if gid != "weird" else dict(graphs[gid], funcs=[None] * len(graphs[gid]["names"])),
                              root, node, unit)
        hov.append({"graph": gid, "name": name, "values": values})
    expect = {"graphs": list(trees.keys()), "hover": hov, "zoom": {"graph": "deep", "name": "main.leaf"},
              "search": {"graph": "weird", "pattern": "<b>", "regex": False, "matchedA": 4196, "matchedB": 8242,
                         "contains": ["matched: 4.10kB of 4.10kB in A (100%), 8.05kB of 8.05kB in B (100%)"]},
              "toggles": "micro"}
    return doc, expect


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/gbsnap-browser")
    ap.add_argument("--swift", default=DEFAULT_SWIFT, help="ReportAssets.swift to take the CSS and script from")
    ap.add_argument("--nodes", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    css, js = load_assets(args.swift)
    os.makedirs(args.out, exist_ok=True)

    def write(name, doc, expect=None):
        p = os.path.join(args.out, name + ".html")
        with open(p, "w", encoding="utf-8") as f:
            f.write(doc)
        if expect is not None:
            with open(os.path.join(args.out, name + ".expect.json"), "w", encoding="utf-8") as f:
                json.dump(expect, f, indent=1, ensure_ascii=False)
        print("%s (%d bytes)" % (p, os.path.getsize(p)))

    doc, exp = small_page(css, js)
    write("small", doc, exp)
    doc, exp = large_page(css, js, args.nodes, args.seed)
    write("large", doc, exp)
    print("large tree: %d nodes" % exp["nodes"])
    doc, exp = large_page(css, js, args.nodes, args.seed, rows=100)
    write("large-graph", doc, exp)
    doc, exp = edge_page(css, js)
    write("edge", doc, exp)
    # Pages the check must reject.
    doc, exp = small_page(css, js)
    write("bad-network", doc.replace("<header>", '<header><img src="http://192.0.2.1/x.png" alt="">'), exp)
    write("bad-console", doc.replace("</body>", "<script>console.warn('gbsnap test warning')</script></body>"), exp)


if __name__ == "__main__":
    main()
