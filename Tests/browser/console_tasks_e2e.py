#!/usr/bin/env python3
"""The marketer's second round of tasks in a real browser (issue 26), against a real
`carecron run` whose clock stands a week after the basic scenario's day (2026-12-08 10:00).

  console_tasks_e2e.py BASE_URL SCREENSHOTS_DIR ENGLISH_CATALOGUE_JSON

Finds customers by phone and by a name without accents (the search box of every page, the
plan's filter, the outbox's), retries a message that gave up and drops another after the
question, sees that a number the gateway refused offers no retry, asks why C004's birthday of
2026-12-01 was not sent, pauses the Tết campaign and sees the jobs page and the plan change,
and checks that no page in Vietnamese shows an English sentence of the catalogue. Prints one
line per check and exits 1 if any failed; writes a screenshot of each step.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_e2e_support import browser, check, failures, log_in, rows, shot, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

BASE, SHOTS, CATALOGUE = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
os.makedirs(SHOTS, exist_ok=True)

# The English side of the catalogue, as fixed fragments between its values ("{order}"): a
# fragment of three words or more found on a Vietnamese page is an untranslated sentence.
fragments = set()
for sentence in json.load(open(CATALOGUE)):
    for part in re.split(r"\{[a-z_]+\}", sentence):
        part = part.strip(" :;,.()—-")
        if len(part.split()) >= 3:
            fragments.add(part)


def english_on(d):
    text = d.find_element(By.TAG_NAME, "main").text
    return sorted(f for f in fragments if f in text)


visited = []


def visit(d, path, name=None):
    d.get(BASE + path + ("&" if "?" in path else "?") + "lang=vi")
    visited.append(path)
    found = english_on(d)
    check(not found, "%s shows no English sentence of the catalogue %s" % (path, found))
    if name:
        shot(d, name)


d = browser(BASE, SHOTS)
try:
    log_in(d, BASE, "lan", os.environ["LAN_PASSWORD"])

    # Find a customer by phone in the header's search box: one match opens her page.
    d.find_element(By.ID, "search-box").send_keys("0987 000 111\n")
    check(wait_for(lambda: "/console/customers/C004" in d.current_url), "a phone in any form finds C004 (Phạm Thu Hà): %s" % d.current_url)
    shot(d, "search-phone")
    # By a name without accents, from another page's box.
    visit(d, "/console/outbox")
    d.find_element(By.ID, "search-box").send_keys("pham thu ha\n")
    check(wait_for(lambda: "/console/customers/C004" in d.current_url), "\"pham thu ha\" finds Phạm Thu Hà: %s" % d.current_url)
    # A word many names share lists them all.
    visit(d, "/console/customers?q=anh")
    found = rows(d)
    check(any("Lê Minh Anh" in r for r in found) and any("Ngô Thị Ngọc Ánh" in r for r in found), "\"anh\" lists Anh and Ánh: %s" % found)
    shot(d, "search-name")

    # Why did C004 get no birthday greeting on 2026-12-01? Her page, that day.
    visit(d, "/console/customers/C004?from=2026-12-01&days=1", "customer-past")
    past = rows(d)
    check(any("birthday" in r and "từ chối nhận tin quảng cáo" in r for r in past),
          "C004's page says her birthday greeting of 01/12 was not sent: she opted out of advertising")
    # And C001's birthday that day was sent.
    visit(d, "/console/plan?from=2026-12-01&days=1&customer=tran thi lan", "plan-name")
    check(any("birthday" in r and "đã gửi ✓" in r for r in rows(d)), "the plan of a past day shows C001's birthday as sent ✓")
    visit(d, "/console/plan?from=2026-12-01&days=1&customer=%2B84987000111", "plan-phone")
    check(any("C004" in r for r in rows(d, "section.skips tr.skip")) and not any("C001" in r for r in rows(d, "section.skips tr.skip")),
          "the plan's customer filter takes a phone number")

    # The outbox: every state; a failure said as what it means; retry where it helps.
    visit(d, "/console/outbox", "outbox")
    table = rows(d, "table.outbox tbody tr")
    check(any("Số điện thoại không hợp lệ" in r for r in table), "the refused number is said as what it means and what to do")
    refused = d.find_element(By.XPATH, "//tr[td[1]/a[text()='3']]")
    check(not refused.find_elements(By.CSS_SELECTOR, "form[action*='/retry']"), "no retry for a number the gateway refused")
    check(any("đã gửi" in r for r in table), "sent messages are listed too")
    d.find_element(By.CSS_SELECTOR, "form[action^='/console/outbox/2/retry'] button").click()
    check(wait_for(lambda: "Tin #2 đã được xếp lại" in d.find_element(By.CSS_SELECTOR, "p.flash").text), "a line says the retry happened")
    check(wait_for(lambda: (d.refresh() or True) and any(r.startswith("2 | đã gửi") for r in rows(d, "table.outbox tbody tr")), 20),
          "the retried message goes out at once (the dispatcher was woken)")
    # Drop another: the question first.
    d.find_element(By.CSS_SELECTOR, "a[href^='/console/outbox/4/drop']").click()
    check(wait_for(lambda: "Bỏ tin này?" in d.page_source), "dropping asks first")
    shot(d, "outbox-drop")
    d.find_element(By.ID, "confirm-drop").click()
    check(wait_for(lambda: "Đã bỏ tin #4" in d.page_source), "a line says the message was dropped")
    shot(d, "outbox-after")
    visit(d, "/console/outbox?state=cancelled&customer=hoang yen", "outbox-phone")
    check(any(r.startswith("4 | đã hủy") for r in rows(d, "table.outbox tbody tr")), "filtered by state and by a customer's name")

    # The Tết campaign: pause it, after the question; the jobs page and the plan change at once.
    visit(d, "/console/campaigns", "campaigns")
    tet = d.find_element(By.ID, "campaign-tet-greeting")
    check("2027" in tet.text and "âm lịch" in tet.text, "the next Tết occasion with its year and its lunar day: %s" % tet.text)
    check("đã lên lịch" in tet.text, "the Tết greeting is scheduled")
    tet.find_element(By.CSS_SELECTOR, "a[href*='/pause']").click()
    check(wait_for(lambda: "Tạm dừng chiến dịch tet-greeting?" in d.page_source), "pausing asks first")
    check(d.find_element(By.ID, "audience").text.strip() not in ("", "0"), "the campaign page counts its audience")
    check("₫" in d.find_element(By.ID, "cost").text, "and its cost in đồng from the prices")
    shot(d, "campaign-pause")
    d.find_element(By.ID, "confirm-action").click()
    check(wait_for(lambda: "Đã tạm dừng chiến dịch tet-greeting" in d.page_source), "a line says it is paused")
    check("tạm dừng" in d.find_element(By.ID, "campaign-tet-greeting").text, "the campaigns page says paused")
    visit(d, "/console/jobs", "jobs-paused")
    check("tạm dừng" in d.find_element(By.ID, "job-tet-greeting").text, "the jobs page says paused at once")
    visit(d, "/console/plan?from=2027-02-03&days=1&job=tet-greeting", "campaign-paused-plan")
    check(not rows(d, "section.day tr.message") and any("Chiến dịch đang tạm dừng" in r for r in rows(d, "section.skips tr.skip")),
          "the plan shows none of its messages as going out, and why")
    visit(d, "/console/audit")
    check(any("tạm dừng chiến dịch" in r and "lan" in r for r in rows(d)), "the audit log has the pause")

    # A new campaign from its starting point: Tết, for Gold customers; its count and cost as the
    # form shows them, then switched on.
    visit(d, "/console/campaigns/new")
    d.find_element(By.ID, "start-tet").click()
    d.find_element(By.ID, "new-name").send_keys("tet-vang")
    d.find_element(By.ID, "create").click()
    check(wait_for(lambda: "/console/jobs/tet-vang/form" in d.current_url), "a campaign created from the Tết start opens its form")
    check(d.find_element(By.ID, "f-audience-tiers").get_attribute("value") == "Gold", "its audience: Gold customers")
    check(d.find_element(By.ID, "audience-count").text.strip() == "2", "the live count: the two Gold customers who bought")
    check("₫" in d.find_element(By.ID, "campaign-cost").text, "its cost in đồng: %s" % d.find_element(By.ID, "campaign-cost").text)
    check("2027" in d.find_element(By.ID, "campaign-panel").text, "its next occasions, with their year")
    tiers = d.find_element(By.ID, "f-audience-tiers")
    d.execute_script("arguments[0].value = 'Gold, Standard'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", tiers)
    check(wait_for(lambda: d.find_element(By.ID, "audience-count").text.strip() not in ("2", "")), "the count follows the audience as it is edited")
    d.execute_script("arguments[0].value = 'Gold'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", tiers)
    wait_for(lambda: d.find_element(By.ID, "audience-count").text.strip() == "2")
    shot(d, "campaign-new", "#campaign-panel")

    Select(d.find_element(By.ID, "f-enabled")).select_by_value("true")
    d.find_element(By.ID, "save").click()
    check(wait_for(lambda: "saved=1" in d.current_url), "enabled and saved")
    visit(d, "/console/campaigns")
    check("đã lên lịch" in d.find_element(By.ID, "campaign-tet-vang").text, "the new campaign is scheduled")

    # The second reminder's SMS, in the form: the counter, the diff as one types, a broken rule
    # at its field in Vietnamese, a character that forces UCS-2, the save; then the old version.
    set_text = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
    visit(d, "/console/jobs/payment-reminder/form", "form")
    d.find_element(By.CSS_SELECTOR, "button.tab[data-tab='v1-sms']").click()
    area = d.find_element(By.ID, "f-templates-1-sms-text")
    counter = d.find_element(By.CSS_SELECTOR, ".sms-counter[data-for='f-templates-1-sms-text']")
    check("GSM-7" in counter.text and "phần tin" in counter.text, "the SMS counter: characters, parts, GSM-7: %s" % counter.text)
    original = area.get_attribute("value")
    d.execute_script(set_text, area, original.replace(" shop van giu hang don ", " shop van dang giu hang don "))
    check(wait_for(lambda: any(r.startswith("payment-reminder | sms | đổi lời |") for r in rows(d, "#results table.counts tr"))),
          "the diff says the SMS of the second reminder changed, as one types")
    shot(d, "form-diff", "#results")
    d.execute_script(set_text, area, "Don hang cua {{customer.salutation}}: " + original)
    problems = "#field-f-templates-1-sms-text ul.field-problems"
    check(wait_for(lambda: "tên khách phải nằm trong 7 ký tự đầu" in d.find_element(By.CSS_SELECTOR, problems).text),
          "the broken rule appears at the field, in Vietnamese")
    check(d.find_elements(By.CSS_SELECTOR, "#results section.samples"), "the samples stay in view while there are errors")
    shot(d, "form-error", "#field-f-templates-1-sms-text")
    # Sent with accents (the variant's toggle off), the text is counted as UCS-2.
    Select(d.find_element(By.ID, "f-templates-1-sms-unaccented")).select_by_value("false")
    d.execute_script(set_text, area, original.replace(" shop van giu hang don ", " shop vẫn giữ hàng đơn "))
    check(wait_for(lambda: "UCS-2" in counter.text and "ẫ" in counter.text), "a character that forces UCS-2 is marked: %s" % counter.text)
    shot(d, "form-ucs2", "#field-f-templates-1-sms-text")
    Select(d.find_element(By.ID, "f-templates-1-sms-unaccented")).select_by_value("true")
    d.execute_script(set_text, area, original.replace(" shop van giu hang don ", " shop van dang giu hang don "))
    picker = d.find_element(By.ID, "variable-picker")
    check("{{customer.salutation}}" in picker.text, "the variable picker lists the variables")
    d.find_element(By.ID, "save").click()
    check(wait_for(lambda: "saved=1" in d.current_url), "the form's save is accepted")
    d.find_element(By.CSS_SELECTOR, "section.history a[href*='/history/']").click()
    check(wait_for(lambda: "/history/" in d.current_url), "an old version opens")
    check("shop van dang giu hang don" in d.find_element(By.CSS_SELECTOR, "pre.file-diff .removed").text
          and "shop van giu hang don" in d.find_element(By.CSS_SELECTOR, "pre.file-diff .added").text,
          "the old version against the current file: what restoring takes out and brings back")
    shot(d, "history")

    # The reminder windows as a table, a wrong time said at the field; a variant added on the
    # page (shown at once, written only by Lưu).
    visit(d, "/console/jobs/payment-reminder/form", "form")
    cell = d.find_element(By.ID, "f-rules-windows-2-remindAt")
    check(cell.get_attribute("value") == "19:30", "the evening window's reminder time in its cell: %s" % cell.get_attribute("value"))
    d.execute_script(set_text, cell, "25:00")
    windows = "#field-f-rules-windows ul.field-problems"
    check(wait_for(lambda: "không phải giờ trong ngày" in d.find_element(By.CSS_SELECTOR, windows).text),
          "a wrong time in the windows' table is said at the table, in Vietnamese")
    shot(d, "form-windows", "#field-f-rules-windows")
    d.execute_script(set_text, cell, "19:30")
    d.find_element(By.ID, "add-variant").click()
    check(wait_for(lambda: "Mẫu tin số 3" in d.find_element(By.TAG_NAME, "body").text), "a third variant appears on the page")
    check("bấm “Lưu”" in d.find_element(By.CSS_SELECTOR, "p.flash").text, "the page says the variants are not saved yet")
    shot(d, "form-add-variant", "fieldset.variant:last-of-type")

    # Every page in Vietnamese, without an English sentence of the catalogue.
    for path in ["/console/plan", "/console/jobs", "/console/campaigns/tet-greeting", "/console/outbox/3", "/console/customers/C001",
                 "/console/jobs/payment-reminder/edit", "/console/jobs/tet-greeting/form", "/console/jobs/order-expiry/form", "/console/audit"]:
        visit(d, path)
finally:
    d.quit()

sys.exit(1 if failures else 0)
