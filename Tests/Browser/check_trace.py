#!/usr/bin/python3
"""Checks the execution-trace section of a gbsnap HTML diff report in headless Chromium (the driver setup of
check_report.py).

    /usr/bin/python3 Tests/Browser/check_trace.py REPORT.html EXPECT.json

EXPECT.json: {"rows": {"GC cycles": ["4", "4"], ...},   # figure -> [A, B] cells the trace table must show
              "bars": N}                                 # figures drawn as paired bars
Checks: the nav links to the section; the headline line is shown; the table holds the expected cells; every bar
is laid out with a width and a hover title naming its side and value, and the two bars of a figure are scaled to
the larger; no console errors; no request but the file itself. Prints one line per check; exits 1 at the first
failure.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_report import check_quiet, fail, ok, run_page_check  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402


def check(driver, logs, path, expect):
    driver.get("file://" + os.path.abspath(path))
    if not driver.find_elements(By.CSS_SELECTOR, "a[href='#sec-trace']"):
        fail("no link to the trace section")
    section = driver.find_element(By.ID, "sec-trace")
    headline = section.find_element(By.CSS_SELECTOR, "p.headline").text
    if not headline.startswith("trace: sched latency p99 "):
        fail("trace headline is %r" % headline)
    ok("nav link and headline: %s" % headline)

    cells = {}
    for tr in section.find_elements(By.CSS_SELECTOR, "table.trace tbody tr"):
        tds = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        cells[tds[0]] = tds[1:3]
    for name, want in expect["rows"].items():
        if cells.get(name) != want:
            fail("trace table row %r is %r, expected %r" % (name, cells.get(name), want))
    ok("trace table: %d rows, the expected cells present" % len(cells))

    rects = section.find_elements(By.CSS_SELECTOR, "svg.trace-bars rect")
    if len(rects) != 2 * expect["bars"]:
        fail("%d bars, expected %d pairs" % (len(rects), expect["bars"]))
    widths = []
    for r in rects:
        box = driver.execute_script("const b = arguments[0].getBoundingClientRect(); return [b.width, b.height];", r)
        title = r.find_element(By.TAG_NAME, "title").get_attribute("textContent")
        if box[0] <= 0 or box[1] <= 0 or not (title.startswith("A: ") or title.startswith("B: ")):
            fail("bar laid out at %r with title %r" % (box, title))
        widths.append(box[0])
    for i in range(0, len(widths), 2):
        if abs(max(widths[i], widths[i + 1]) - 420) > 1.5:
            fail("the larger bar of pair %d is %r wide, not the full 420" % (i // 2, widths[i:i + 2]))
    ok("%d bar pairs laid out, each scaled to its larger value" % (len(rects) // 2))

    check_quiet(logs, "file://" + os.path.abspath(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("expect")
    args = ap.parse_args()
    with open(args.expect) as f:
        expect = json.load(f)
    return run_page_check(check, args.report, expect, screenshot_path=None)


if __name__ == "__main__":
    sys.exit(main())
