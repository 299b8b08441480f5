#!/usr/bin/env python3
"""Answering a customer's reply in a real browser (issue 29), against a real `carecron run` to
which the test has posted an eSMS short-code reply from C001 (Trần Thị Lan).

  console_conversation_e2e.py BASE_URL SCREENSHOTS_DIR

Mai (agent) on a phone finds it under Tin khách trả lời, opens it, answers (the SMS goes through
the gateway) and resolves it. Prints one line per check, exits 1 if any failed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_e2e_support import browser, check, failures, log_in, rows, shot, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def status(d):
    found = d.find_elements(By.CSS_SELECTOR, "p[role=status]")
    return found[0].text if found else ""


d = browser(BASE, SHOTS, width=800, height=900, phone=True)
try:
    log_in(d, BASE, "mai", os.environ["MAI_PASSWORD"])
    d.find_element(By.LINK_TEXT, "Tin khách trả lời").click()
    check(wait_for(lambda: "/console/replies" in d.current_url), "the menu leads to Tin khách trả lời")
    waiting = rows(d, "table.conversations tr.conversation")
    check(len(waiting) == 1 and "Dạ shop giao giúp em buổi chiều nhé" in waiting[0] and "Trần Thị Lan" in waiting[0],
          "her question waits, for Mai: %s" % waiting)
    width = d.execute_script("return document.documentElement.scrollWidth")
    check(width <= 392, "nothing wider than the phone (%spx)" % width)
    shot(d, "conversations-phone", scroll_to="#waiting")

    d.find_element(By.PARTIAL_LINK_TEXT, "Trần Thị Lan").click()
    check(wait_for(lambda: "/console/conversations/" in d.current_url), "it opens")
    route = d.find_element(By.CSS_SELECTOR, "form.answer p.note").text
    check("SMS" in route and "0912 345 678" in route and "đi ngay" in route, "the answer goes by SMS, at once: %s" % route)
    d.find_element(By.NAME, "text").send_keys("Dạ shop giao sau 14h chị nhé")
    d.find_element(By.CSS_SELECTOR, "form.answer button").click()
    check(wait_for(lambda: "hộp thư đi" in status(d)), "the answer is queued: %s" % status(d))
    thread = [li.text for li in d.find_elements(By.CSS_SELECTOR, "ol.thread li")]
    check(len(thread) == 2 and "Dạ shop giao sau 14h chị nhé" in thread[1] and "Nguyễn Thị Mai" in thread[1], "the thread shows her answer: %s" % thread)
    shot(d, "conversation-phone")

    d.find_element(By.NAME, "resolution").send_keys("Đã hẹn giao buổi chiều")
    d.find_element(By.CSS_SELECTOR, "form.resolve button").click()
    check(wait_for(lambda: "Đã đóng" in status(d)), "resolved: %s" % status(d))
    check(not d.find_elements(By.CSS_SELECTOR, "form.answer"), "a resolved conversation takes no answer")
    d.get(BASE + "/console/replies")
    check(not rows(d, "table.conversations tr.conversation"), "nothing waits any more")
finally:
    d.quit()
sys.exit(1 if failures else 0)
