#!/usr/bin/python3
"""Checks a gbsnap HTML trend report in headless Chromium (the driver setup of check_report.py).

    /usr/bin/python3 Tests/Browser/check_trend.py REPORT.html EXPECT.json [--screenshot OUT.png]

EXPECT.json: {"growers": ["main.makeRecords", ...],   # names that must head a grower card, in this order
              "charts": N,                            # SVG charts on the page
              "points": N,                            # points per chart (hover circles) in the first grower chart
              "restarts": N}                          # dashed restart marks in the first grower chart
Checks: every chart is laid out with a non-zero size and draws its line; every hover point's title
holds a value and a time; the growers appear in the expected order; no console errors; no request
but the file itself. Prints one line per check; exits 1 at the first failure.
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
    charts = driver.find_elements(By.CSS_SELECTOR, "svg")
    if len(charts) != expect["charts"]:
        fail("%d charts on the page, expected %d" % (len(charts), expect["charts"]))
    ok("%d charts" % len(charts))
    for i, svg in enumerate(charts):
        box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", svg)
        if box[0] < 100 or box[1] < 20:
            fail("chart %d is laid out at %r" % (i, box))
        lines = svg.find_elements(By.CSS_SELECTOR, "polyline")
        length = driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('polyline')).reduce((s, p) => s + p.getTotalLength(), 0);", svg)
        if not lines or length <= 0:
            fail("chart %d (%s) draws no line" % (i, svg.get_attribute("aria-label")))
    ok("every chart is laid out and draws its line")

    names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "article.grower h3 .name")]
    want = expect.get("growers", [])
    if names[:len(want)] != want:
        fail("growers on the page %r, expected to start with %r" % (names, want))
    ok("growers in order: %s" % ", ".join(want))

    first = driver.find_elements(By.CSS_SELECTOR, "article.grower svg")
    if "points" in expect or "restarts" in expect:
        if not first:
            fail("no grower chart")
        circles = first[0].find_elements(By.CSS_SELECTOR, "circle")
        if "points" in expect and len(circles) != expect["points"]:
            fail("first grower chart has %d points, expected %d" % (len(circles), expect["points"]))
        titles = [c.find_element(By.TAG_NAME, "title").get_attribute("textContent") for c in circles]
        if any(" at 20" not in t for t in titles):
            fail("a hover title lacks value and time: %r" % titles[:3])
        marks = first[0].find_elements(By.CSS_SELECTOR, "line.restart-mark")
        if "restarts" in expect and len(marks) != expect["restarts"]:
            fail("first grower chart has %d restart marks, expected %d" % (len(marks), expect["restarts"]))
        ok("first grower chart: %d points with hover titles (e.g. %r), %d restart marks" % (len(circles), titles[0] if titles else "", len(marks)))

    check_quiet(logs, "file://" + os.path.abspath(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("expect")
    ap.add_argument("--screenshot", metavar="OUT.png")
    args = ap.parse_args()
    with open(args.expect) as f:
        expect = json.load(f)
    return run_page_check(check, args.report, expect, screenshot_path=args.screenshot)


if __name__ == "__main__":
    sys.exit(main())
