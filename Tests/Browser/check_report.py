#!/usr/bin/python3
"""Checks a gbsnap HTML diff report in headless Chromium (Debian's chromium + chromedriver + python3-selenium).

    /usr/bin/python3 Tests/Browser/check_report.py REPORT.html EXPECT.json [--screenshot OUT.png] [--timeout S]
    /usr/bin/python3 Tests/Browser/check_report.py REPORT.html --nojs [--screenshot OUT.png]

EXPECT.json (every key but "graphs" is optional):
    {"graphs": ["heap", ...],                                   # ids whose canvas must be drawn
     "hover": [{"graph": "heap", "name": "main.leak", "values": {"totalB": "5.51MB", ...}}, ...],
     "zoom": {"graph": "heap", "name": "main.handler"},
     "search": {"graph": "heap", "pattern": "json|leak", "regex": true,
                "contains": ["matched: ..."], "matchedB": 123, "matchedA": 45},
     "toggles": "heap",                                         # graph for the toggle check (default: first)
     "format": [[value, unit, signed, text], ...]}              # window.gbsnap.format must agree
Prints one line per check; exits 1 at the first failure, 0 when all pass. Timings are printed as
"first paint: N ms" (window.gbsnap.firstPaintMs) for benchmarks to parse.
"""

import argparse
import json
import os
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By
except ImportError:
    sys.exit("check_report: python3-selenium is missing (apt-get install python3-selenium chromium chromium-driver)")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class CheckFailed(Exception):
    pass


def ok(msg):
    print("ok   " + msg, flush=True)


def fail(msg):
    raise CheckFailed(msg)


def wait_for(fn, timeout, interval=0.05):
    end = time.time() + timeout
    last = None
    while True:
        try:
            last = fn()
        except WebDriverException:
            last = None
        if last:
            return last
        if time.time() > end:
            return last
        time.sleep(interval)


def make_driver(nojs, width=1400, height=1000):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % (width, height), "--hide-scrollbars", "--force-device-scale-factor=1",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-features=Translate,OptimizationHints,MediaRouter", "--metrics-recording-only",
              "--lang=en-US"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    opts.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    if nojs:
        opts.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


class Logs:
    """Collects the browser console and the network requests (get_log drains the buffers)."""

    def __init__(self, driver):
        self.driver = driver
        self.console = []
        self.requests = []

    def pull(self):
        for e in self.driver.get_log("browser"):
            self.console.append(e)
        for e in self.driver.get_log("performance"):
            try:
                m = json.loads(e["message"])["message"]
            except (ValueError, KeyError):
                continue
            if m.get("method") == "Network.requestWillBeSent":
                self.requests.append(m["params"]["request"]["url"])
            elif m.get("method") == "Network.webSocketCreated":
                self.requests.append(m["params"].get("url", "websocket"))


JS_PIXELS = """
const c = arguments[0];
if (!c || !c.width || !c.height) return {w: c ? c.width : 0, h: c ? c.height : 0, n: 0};
const t = document.createElement('canvas');
t.width = c.width; t.height = c.height;
const x = t.getContext('2d', {willReadFrequently: true});
x.drawImage(c, 0, 0);
const d = x.getImageData(0, 0, t.width, t.height).data;
let n = 0;
for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
return {w: c.width, h: c.height, n: n};
"""


def graph_parts(driver, gid):
    div = driver.find_element(By.CSS_SELECTOR, 'div.flame[data-graph="%s"]' % gid)
    canvas = div.find_element(By.CSS_SELECTOR, "canvas.flame-main")
    return div, canvas


def ctl(driver, gid, call, *args):
    return driver.execute_script(
        "const g = window.gbsnap.graphs[arguments[0]]; return g." + call + ";", gid, *args)


def scroll_frame_into_view(driver, canvas, rect):
    """Scrolls so the middle of the frame is in the middle of the viewport; returns viewport coordinates."""
    return driver.execute_script("""
const c = arguments[0], r = arguments[1];
let b = c.getBoundingClientRect();
const cy = b.top + r.y + r.h / 2;
window.scrollBy(0, cy - window.innerHeight / 2);
b = c.getBoundingClientRect();
return {x: b.left + r.x + r.w / 2, y: b.top + r.y + r.h / 2, vw: window.innerWidth, vh: window.innerHeight};
""", canvas, rect)


def move_mouse(driver, x, y):
    ab = ActionBuilder(driver)
    ab.pointer_action.move_to_location(int(round(x)), int(round(y)))
    ab.perform()


def click_mouse(driver, x, y):
    ab = ActionBuilder(driver)
    ab.pointer_action.move_to_location(int(round(x)), int(round(y)))
    ab.pointer_action.click()
    ab.perform()


def canvas_url(driver, canvas):
    return driver.execute_script("return arguments[0].toDataURL();", canvas)


def check_js(driver, logs, args, expect, page_bytes, after_draw=None):
    timeout = args.timeout
    ready = wait_for(lambda: driver.execute_script("return !!(window.gbsnap && window.gbsnap.ready);"), timeout)
    if not ready:
        fail("window.gbsnap.ready did not become true within %g s" % timeout)
    # Paint entries appear once the browser has painted (the graphs draw before that).
    wait_for(lambda: driver.execute_script("return performance.getEntriesByType('paint').length > 0;"), 3)
    t = driver.execute_script("""
return {fp: window.gbsnap.firstPaintMs, timings: window.gbsnap.timings || null,
        paint: performance.getEntriesByType('paint').map(e => [e.name, e.startTime]),
        nav: (performance.getEntriesByType('navigation')[0] || {}).domContentLoadedEventEnd || null,
        graphs: Object.keys(window.gbsnap.graphs)};""")
    ok("window.gbsnap.ready (graphs: %s)" % ", ".join(t["graphs"]))
    print("first paint: %d ms" % round(t["fp"]), flush=True)
    tm = t.get("timings") or {}
    if all(k in tm for k in ("scriptStart", "parsed", "built", "layout", "drawn")):
        print("script: starts at %d ms; data parse %d ms, graphs built %d ms, page layout %d ms, drawing %d ms" % (
            round(tm["scriptStart"]), round(tm["parsed"] - tm["scriptStart"]), round(tm["built"] - tm["parsed"]),
            round(tm["layout"] - tm["built"]), round(tm["drawn"] - tm["layout"])), flush=True)
    for name, start in t["paint"]:
        print("%s: %d ms" % (name, round(start)), flush=True)
    if t["nav"]:
        print("DOMContentLoaded: %d ms" % round(t["nav"]), flush=True)
    print("page size: %d bytes" % page_bytes, flush=True)

    fmt_cases = expect.get("format") or []
    if fmt_cases:
        got = driver.execute_script(
            "return arguments[0].map(c => window.gbsnap.format(c[0], c[1], c[2]));", fmt_cases)
        for case, text in zip(fmt_cases, got):
            if text != case[3]:
                fail("format(%r, %r, signed=%r) is %r, expected %r" % (case[0], case[1], case[2], text, case[3]))
        ok("number formatting agrees on %d cases" % len(fmt_cases))

    graphs = expect.get("graphs") or []
    if isinstance(graphs, dict):
        graphs = list(graphs.keys())
    for gid in graphs:
        if gid not in t["graphs"]:
            fail("graph %r is not in window.gbsnap.graphs (%s)" % (gid, ", ".join(t["graphs"]) or "none"))
        div, canvas = graph_parts(driver, gid)
        opened = driver.execute_script("""
let n = 0;
for (let e = arguments[0]; e; e = e.parentElement) if (e.tagName === 'DETAILS' && !e.open) { e.open = true; n++; }
return n;""", div)
        if opened:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", div)
        px = wait_for(lambda: (lambda r: r if r["n"] >= max(1000, r["w"] * r["h"] // 200) else None)(
            driver.execute_script(JS_PIXELS, canvas)), 5)
        if not px:
            r = driver.execute_script(JS_PIXELS, canvas)
            fail("graph %r: canvas %dx%d has only %d drawn pixels%s" % (
                gid, r["w"], r["h"], r["n"], " (after opening its <details>)" if opened else ""))
        ok("graph %r drawn: %dx%d device px, %d drawn pixels (%.0f%%)%s" % (
            gid, px["w"], px["h"], px["n"], 100.0 * px["n"] / (px["w"] * px["h"]),
            ", after opening its collapsed <details>" if opened else ""))

    if after_draw:
        after_draw()

    for h in expect.get("hover") or []:
        gid, name = h["graph"], h["name"]
        div, canvas = graph_parts(driver, gid)
        rect = ctl(driver, gid, "frameRect(arguments[1])", name)
        if not rect:
            fail("hover: graph %r has no visible frame %r" % (gid, name))
        if rect["w"] < 2:
            fail("hover: frame %r in %r is only %.2f px wide, too narrow to hover" % (name, gid, rect["w"]))
        pos = scroll_frame_into_view(driver, canvas, rect)
        move_mouse(driver, 2, 2)
        move_mouse(driver, pos["x"], pos["y"])
        tip = wait_for(lambda: (lambda e: e if e.is_displayed() else None)(
            driver.find_element(By.CSS_SELECTOR, ".flame-tip")), 3)
        if not tip:
            fail("hover: no visible .flame-tip over %r in %r (frame %r at %s)" % (name, gid, rect, pos))
        shown = tip.find_element(By.CSS_SELECTOR, ".tip-name").text
        if shown != name:
            fail("hover: the tooltip names %r, expected %r" % (shown, name))
        inside = driver.execute_script("""
const b = arguments[0].getBoundingClientRect();
return b.left >= 0 && b.top >= 0 && b.right <= window.innerWidth && b.bottom <= window.innerHeight;""", tip)
        if not inside:
            fail("hover: the tooltip over %r is not inside the viewport" % name)
        texts = driver.execute_script("""
const out = {};
for (const s of arguments[0].querySelectorAll('[data-k]')) out[s.dataset.k] = s.textContent;
return out;""", tip)
        for k, v in h["values"].items():
            if k not in texts:
                fail("hover %r/%r: the tooltip has no [data-k=%s]" % (gid, name, k))
            if texts[k] != v:
                fail("hover %r/%r: %s is %r, expected %r" % (gid, name, k, texts[k], v))
        ok("hover %s/%s: %d values match (total %s -> %s, %s)" % (
            gid, name, len(h["values"]), texts.get("totalA"), texts.get("totalB"), texts.get("totalP")))
    move_mouse(driver, 2, 2)
    hovers = expect.get("hover") or []
    if hovers:
        # Cost of one mousemove (hit test, tooltip, overlay), from 300 synthetic moves across the graph.
        _, canvas = graph_parts(driver, hovers[0]["graph"])
        ms = driver.execute_script("""
const c = arguments[0], b = c.getBoundingClientRect(), n = 300;
const t0 = performance.now();
for (let k = 0; k < n; k++) {
  const x = b.left + (k * 7919 % 1000) / 1000 * b.width, y = b.top + (k * 104729 % 1000) / 1000 * Math.min(b.height, 400);
  c.dispatchEvent(new MouseEvent('mousemove', {clientX: x, clientY: y, bubbles: true}));
}
const per = (performance.now() - t0) / n;
c.dispatchEvent(new MouseEvent('mouseleave', {bubbles: false}));
return per;""", canvas)
        print("hover: %.2f ms per mousemove" % ms, flush=True)

    z = expect.get("zoom")
    if z:
        gid, name = z["graph"], z["name"]
        div, canvas = graph_parts(driver, gid)
        ctl(driver, gid, "reset()")
        rect = ctl(driver, gid, "frameRect(arguments[1])", name)
        if not rect:
            fail("zoom: graph %r has no visible frame %r" % (gid, name))
        pos = scroll_frame_into_view(driver, canvas, rect)
        click_mouse(driver, pos["x"], pos["y"])
        st = wait_for(lambda: (lambda s: s if s["zoomed"] == name else None)(ctl(driver, gid, "state()")), 3)
        if not st:
            fail("zoom: after clicking %r, state().zoomed is %r" % (name, ctl(driver, gid, "state()")["zoomed"]))
        cw = driver.execute_script("return arguments[0].getBoundingClientRect().width;", canvas)
        r2 = ctl(driver, gid, "frameRect(arguments[1])", name)
        if not r2 or abs(r2["w"] - cw) > 1.01 or abs(r2["x"]) > 0.5:
            fail("zoom: the zoomed frame %r is %r, canvas width %s" % (name, r2, cw))
        ok("zoom: clicked %r, it is now %.0f px wide (canvas %.0f px)" % (name, r2["w"], cw))
        move_mouse(driver, 2, 2)
        reset = div.find_element(By.CSS_SELECTOR, "button.flame-reset")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", reset)
        reset.click()
        st = ctl(driver, gid, "state()")
        if st["zoomed"] is not None:
            fail("zoom: after reset, state().zoomed is %r" % st["zoomed"])
        ok("zoom: reset button returns to the whole graph")

    s = expect.get("search")
    if s:
        gid = s["graph"]
        div, canvas = graph_parts(driver, gid)
        box = div.find_element(By.CSS_SELECTOR, "input.flame-search")
        rx = div.find_element(By.CSS_SELECTOR, "input.flame-regex")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        if bool(s.get("regex")) != rx.is_selected():
            rx.click()
        before = canvas_url(driver, canvas)
        box.clear()
        box.send_keys(s["pattern"])
        match_el = div.find_element(By.CSS_SELECTOR, ".flame-match")
        want = s.get("contains") or []
        got = wait_for(lambda: (lambda txt: txt if txt and all(w in txt for w in want) else None)(match_el.text), 3)
        if not got:
            fail("search %r: .flame-match is %r, expected it to contain %r" % (s["pattern"], match_el.text, want))
        st = ctl(driver, gid, "state()")
        if st["search"] != s["pattern"]:
            fail("search: state().search is %r, expected %r" % (st["search"], s["pattern"]))
        for k in ("matchedA", "matchedB"):
            if k in s and st[k] != s[k]:
                fail("search %r: state().%s is %r, expected %r" % (s["pattern"], k, st[k], s[k]))
        if canvas_url(driver, canvas) == before:
            fail("search %r: the canvas did not change" % s["pattern"])
        ok("search %r%s: %s" % (s["pattern"], " (regex)" if s.get("regex") else "", got))
        if not s.get("regex"):
            rx.click()
        box.clear()
        box.send_keys("([")
        bad = wait_for(lambda: (lambda txt: txt if "invalid" in txt.lower() else None)(match_el.text), 3)
        if not bad:
            fail("search: the invalid regex '([' shows no message (.flame-match is %r)" % match_el.text)
        ok("search: an invalid regex shows %r" % bad)
        box.clear()
        driver.execute_script("arguments[0].value=''; arguments[0].dispatchEvent(new Event('input'));", box)
        rx.click()
        if ctl(driver, gid, "state()")["search"] != "":
            fail("search: clearing the box does not clear the search")

    tg = expect.get("toggles") or (graphs[0] if graphs else None)
    if tg:
        div, canvas = graph_parts(driver, tg)
        for cls, key, vals in (("flame-width", "width", ("b", "a")), ("flame-color", "color", ("abs", "share"))):
            btn = div.find_element(By.CSS_SELECTOR, "button." + cls)
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", btn)
            st0 = ctl(driver, tg, "state()")
            if st0[key] != vals[0]:
                fail("toggle: state().%s starts as %r, expected %r" % (key, st0[key], vals[0]))
            before, text0 = canvas_url(driver, canvas), btn.text
            btn.click()
            st1 = ctl(driver, tg, "state()")
            after, text1 = canvas_url(driver, canvas), btn.text
            if st1[key] != vals[1]:
                fail("toggle: after clicking button.%s, state().%s is %r" % (cls, key, st1[key]))
            if before == after:
                fail("toggle: clicking button.%s did not change the canvas" % cls)
            if text0 == text1:
                fail("toggle: button.%s still says %r" % (cls, text1))
            btn.click()
            if ctl(driver, tg, "state()")[key] != vals[0]:
                fail("toggle: clicking button.%s twice does not restore %r" % (cls, vals[0]))
            ok("toggle %s: %r -> %r (%r -> %r), canvas redrawn" % (cls, vals[0], vals[1], text0, text1))

    check_sort(driver)


def check_sort(driver):
    found = driver.execute_script("""
const tables = document.querySelectorAll('table.sortable');
for (let t = 0; t < tables.length; t++) {
  const tb = tables[t];
  if (!tb.tHead || !tb.tBodies[0] || tb.tBodies[0].rows.length < 2) continue;
  const ths = tb.tHead.rows[tb.tHead.rows.length - 1].cells;
  for (let i = 0; i < ths.length; i++) {
    const rows = Array.from(tb.tBodies[0].rows);
    if (rows.every(r => r.cells[i] && r.cells[i].hasAttribute('data-v'))) return [t, i, rows.length];
  }
}
return null;""")
    if not found:
        print("skip sortable tables: no table.sortable with a numeric column", flush=True)
        return
    t, col, nrows = found
    th = driver.execute_script(
        "const tb = document.querySelectorAll('table.sortable')[arguments[0]];"
        "return tb.tHead.rows[tb.tHead.rows.length - 1].cells[arguments[1]];", t, col)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", th)
    seen = []
    for _ in range(2):
        th.click()
        res = driver.execute_script("""
const tb = document.querySelectorAll('table.sortable')[arguments[0]];
const th = tb.tHead.rows[tb.tHead.rows.length - 1].cells[arguments[1]];
return [th.getAttribute('aria-sort'), Array.from(tb.tBodies[0].rows).map(r => Number(r.cells[arguments[1]].dataset.v))];""",
                                    t, col)
        sort, vals = res
        if sort not in ("ascending", "descending"):
            fail("sort: aria-sort is %r after a click" % sort)
        want = sorted(vals, reverse=(sort == "descending"))
        if vals != want:
            fail("sort: column %d is not %s after a click (%r...)" % (col, sort, vals[:8]))
        if len(vals) != nrows:
            fail("sort: the table lost rows (%d of %d)" % (len(vals), nrows))
        seen.append(sort)
        ok("sort: table %d column %d %s over %d rows" % (t, col, sort, nrows))
    if seen[0] == seen[1]:
        fail("sort: a second click did not reverse the order (%s twice)" % seen[0])
    ms = driver.execute_script("""
const tb = document.querySelectorAll('table.sortable')[arguments[0]];
const th = tb.tHead.rows[tb.tHead.rows.length - 1].cells[arguments[1]];
const out = [];
for (let k = 0; k < 2; k++) {
  const t0 = performance.now();
  th.click();
  document.body.offsetHeight;
  out.push(performance.now() - t0);
}
return out;""", t, col)
    print("sort: %d ms for %d rows (sort and layout, mean of 2)" % (round(sum(ms) / 2), nrows), flush=True)


def check_nojs(driver):
    head = driver.find_elements(By.CSS_SELECTOR, "pre.headline")
    if not head or not head[0].is_displayed() or not head[0].text.strip():
        fail("nojs: pre.headline is not visible")
    ok("nojs: pre.headline visible (%d lines)" % len(head[0].text.splitlines()))
    tables = [t for t in driver.find_elements(By.TAG_NAME, "table") if t.is_displayed()]
    if not tables:
        fail("nojs: no table is visible")
    ok("nojs: %d tables visible" % len(tables))
    # Selenium's is_displayed() calls every <noscript> hidden, so look at the laid-out box instead.
    shown = driver.execute_script("""
return Array.from(document.querySelectorAll('div.flame noscript')).filter(n => {
  for (let e = n.parentElement; e; e = e.parentElement) if (e.tagName === 'DETAILS' && !e.open) return false;
  return true;
}).map(n => {
  const b = n.getBoundingClientRect(), s = getComputedStyle(n);
  return [b.width > 0 && b.height > 0 && s.display !== 'none' && s.visibility !== 'hidden', n.innerText || ''];
});""")
    if shown:
        vis = [t for v, t in shown if v and "JavaScript" in t]
        if len(vis) != len(shown):
            fail("nojs: %d of %d flame graphs do not show their <noscript> text" % (len(shown) - len(vis), len(shown)))
        ok("nojs: %d flame graphs show their <noscript> text (those in closed <details> not counted)" % len(vis))
    else:
        print("skip nojs noscript: the page has no div.flame", flush=True)
    if driver.execute_script("return typeof window.gbsnap") != "undefined":
        fail("nojs: the page's script ran although JavaScript is disabled")
    ok("nojs: the page's script did not run")


def check_quiet(logs, page_url):
    logs.pull()
    base = page_url.split("#")[0]
    other = [u for u in logs.requests
             if u.split("#")[0] != base and not u.startswith("data:") and not u.startswith("blob:")]
    if other:
        fail("network: %d requests besides the page, first: %s" % (len(other), other[0]))
    ok("network: no requests besides the page itself (%d requests seen)" % len(logs.requests))
    bad = [e for e in logs.console if e.get("level") in ("SEVERE", "WARNING")]
    if bad:
        fail("console: %d messages of level SEVERE/WARNING, first: %s %s" % (
            len(bad), bad[0].get("level"), bad[0].get("message")))
    ok("console: no errors or warnings (%d messages in all)" % len(logs.console))


def run_page_check(check, report, *args, screenshot_path=None):
    """Runs check(driver, logs, report, *args) in a fresh headless Chromium; prints the verdict, returns the exit status."""
    driver = make_driver(False)
    try:
        logs = Logs(driver)
        check(driver, logs, report, *args)
        if screenshot_path:
            driver.save_screenshot(screenshot_path)
        print("all checks passed", flush=True)
    except CheckFailed as e:
        print("FAIL " + str(e), flush=True)
        return 1
    finally:
        driver.quit()
    return 0


def screenshot(driver, path, nojs):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    if nojs:
        driver.execute_script("window.scrollTo(0, 0);")
    else:
        driver.execute_script("""
window.scrollTo(0, 0);
const f = document.querySelector('div.flame');
if (f) {
  const b = f.getBoundingClientRect();
  if (b.top + Math.min(b.height, 320) > window.innerHeight) {
    const s = f.closest('section') || f;
    s.scrollIntoView({block: 'start'});
  }
}""")
    move_mouse(driver, 1, 1)
    time.sleep(0.3)
    driver.save_screenshot(path)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    ok("screenshot %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    ap.add_argument("expect", nargs="?")
    ap.add_argument("--screenshot", metavar="OUT.png")
    ap.add_argument("--nojs", action="store_true", help="load with JavaScript disabled and check the plain page")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for window.gbsnap.ready")
    args = ap.parse_args()
    if not args.nojs and not args.expect:
        ap.error("EXPECT.json is needed unless --nojs")
    report = os.path.abspath(args.report)
    if not os.path.isfile(report):
        sys.exit("check_report: no such file %s" % report)
    expect = {}
    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            expect = json.load(f)
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(p):
            sys.exit("check_report: %s is missing (apt-get install chromium chromium-driver)" % p)
    url = "file://" + report
    driver = None
    try:
        driver = make_driver(args.nojs)
        driver.set_script_timeout(30)
        logs = Logs(driver)
        t0 = time.time()
        driver.get(url)
        load_ms = (time.time() - t0) * 1000
        ok("loaded %s%s (driver.get %.0f ms)" % (url, " with JavaScript disabled" if args.nojs else "", load_ms))
        shot = (lambda: screenshot(driver, args.screenshot, args.nojs)) if args.screenshot else None
        if args.nojs:
            check_nojs(driver)
            if shot:
                shot()
        else:
            check_js(driver, logs, args, expect, os.path.getsize(report), after_draw=shot)
        check_quiet(logs, url)
    except CheckFailed as e:
        print("FAIL " + str(e), flush=True)
        return 1
    except WebDriverException as e:
        print("FAIL webdriver: %s" % (e.msg or e).__str__().splitlines()[0], flush=True)
        return 1
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
