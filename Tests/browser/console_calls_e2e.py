#!/usr/bin/env python3
"""The care team's calls in a real browser (issue 29), against a real `carecron run` whose
dispatcher has handed the morning's COD calls to the agents: Mai's order D30 (2.450.000₫, the
order names her) and D31 (1.850.000₫) to whoever has fewer calls.

  console_calls_e2e.py BASE_URL SCREENSHOTS_DIR

Mai works her list on a phone (390 px): D30 first (the bigger order), a tel: link, the script;
no answer once, then reached with a note and a rating. Lan (editor) at a desktop sees Hùng's
list and marks him away: his open call moves to Mai. Prints one line per check, exits 1 if any failed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_e2e_support import browser, check, failures, log_in, shot, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def cards(d):
    return d.find_elements(By.CSS_SELECTOR, "li.call")


def status(d):
    found = d.find_elements(By.CSS_SELECTOR, "p[role=status]")
    return found[0].text if found else ""


phone = browser(BASE, SHOTS, width=800, height=900, phone=True)
try:
    log_in(phone, BASE, "mai", os.environ["MAI_PASSWORD"])
    check(wait_for(lambda: "/console/calls" in phone.current_url), "an agent lands on Cuộc gọi hôm nay: %s" % phone.current_url)
    check(phone.find_element(By.TAG_NAME, "h1").text == "Cuộc gọi hôm nay · Nguyễn Thị Mai", "her name in the title")
    nav = [a.text for a in phone.find_elements(By.CSS_SELECTOR, "nav a")]
    check(nav == ["Cuộc gọi hôm nay", "Tin khách trả lời"], "her menu is the care team's: %s" % nav)
    first = cards(phone)[0]
    check("Trần Thị Lan" in first.text and "2.450.000₫" in first.text, "D30's call first: %s" % first.text[:120])
    tel = first.find_element(By.CSS_SELECTOR, "a.tel")
    check(tel.get_attribute("href") == "tel:+84912345678" and "0912 345 678" in tel.text, "a tel: link: %s %s" % (tel.get_attribute("href"), tel.text))
    check("xác nhận đơn D30" in first.find_element(By.CSS_SELECTOR, ".script-text").text, "her script, rendered")
    width = phone.execute_script("return document.documentElement.scrollWidth")
    check(width <= 392, "nothing wider than the phone (%spx)" % width)
    shot(phone, "calls-phone")

    first.find_element(By.CSS_SELECTOR, "button[value=no_answer]").click()
    check(wait_for(lambda: "không nghe máy" in status(phone)), "no answer is recorded: %s" % status(phone))
    again = [c for c in cards(phone) if "D30" in c.text]
    check(bool(again) and "đã gọi 1 lần" in again[0].text, "the call stays, tried once: %s" % (again[0].text[:160] if again else "-"))

    card = [c for c in cards(phone) if "D30" in c.text][0]
    card.find_element(By.NAME, "note").send_keys("Chị Lan xác nhận, giao sau 17h")
    Select(card.find_element(By.NAME, "rating")).select_by_visible_text("5")
    card.find_element(By.CSS_SELECTOR, "button[value=reached]").click()
    check(wait_for(lambda: "đã nói chuyện với Trần Thị Lan" in status(phone)), "reached is recorded: %s" % status(phone))
    done = [c for c in cards(phone) if "D30" in c.text]
    check(bool(done) and "finished" in done[0].get_attribute("class") and "giao sau 17h" in done[0].text, "D30 is done, with her note")
    shot(phone, "calls-phone-done")
finally:
    phone.quit()

desk = browser(BASE, SHOTS)
try:
    log_in(desk, BASE, "lan", os.environ["LAN_PASSWORD"])
    desk.get(BASE + "/console/calls?agent=hung")
    hung = [c.text for c in cards(desk)]
    check(len(hung) == 1 and "D31" in hung[0], "Hùng has D31: %s" % hung)
    shot(desk, "calls-desktop")
    desk.find_element(By.CSS_SELECTOR, "form.away button").click()
    check(wait_for(lambda: "Trần Văn Hùng vắng" in status(desk)), "Hùng marked away: %s" % status(desk))
    check(not cards(desk), "his list is empty")
    desk.get(BASE + "/console/calls?agent=mai")
    mai = [c.text for c in cards(desk)]
    check(any("D31" in c for c in mai), "D31 moved to Mai: %s" % [c[:60] for c in mai])
finally:
    desk.quit()
sys.exit(1 if failures else 0)
