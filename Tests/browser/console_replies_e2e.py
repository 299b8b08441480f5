#!/usr/bin/env python3
"""Customers' replies in a real browser (issue 27), against a real `carecron run` to which the
test has posted two eSMS short-code replies from C001 (Trần Thị Lan): a question, then "TC QC".

  console_replies_e2e.py BASE_URL SCREENSHOTS_DIR

The replies list shows both (the opt-out marked, with what it cancelled); C001's page shows
them and her opt-out of advertising, at a desktop's size and at a phone's. Prints one line per
check and exits 1 if any failed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_e2e_support import browser, check, failures, log_in, rows, shot, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)

d = browser(BASE, SHOTS)
try:
    log_in(d, BASE, "lan", os.environ["LAN_PASSWORD"])
    d.find_element(By.LINK_TEXT, "Tin khách trả lời").click()
    check(wait_for(lambda: "/console/replies" in d.current_url), "the header leads to Tin khách trả lời")
    found = rows(d)
    check(any("Dạ shop giao giúp em buổi chiều nhé" in r and "C001" in r for r in found), "the question, against C001: %s" % found)
    check(any("TC QC" in r and "Từ chối tin quảng cáo" in r for r in found), "the opt-out, marked: %s" % found)
    shot(d, "replies")

    d.find_element(By.PARTIAL_LINK_TEXT, "C001").click()
    check(wait_for(lambda: "/console/customers/C001" in d.current_url), "a reply leads to the customer's page")
    chosen = Select(d.find_element(By.NAME, "optOut")).first_selected_option.text
    check(chosen == "tin quảng cáo", "her profile says she refuses advertising: %s" % chosen)
    replies = rows(d, "table.replies tr")
    check(len([r for r in replies if r]) == 2 and "TC QC" in replies[1] if len(replies) > 1 else False,
          "her page lists both replies, newest first: %s" % replies)
    shot(d, "customer-replies", scroll_to="#replies")

    # The care team reads it on a phone.
    d.set_window_size(390, 844)
    d.refresh()
    width = d.execute_script("return document.documentElement.scrollWidth")
    check(width <= 390 + 2, "nothing wider than the phone's screen (%spx)" % width)
    shot(d, "customer-replies-phone", scroll_to="#replies")
finally:
    d.quit()
sys.exit(1 if failures else 0)
