#!/usr/bin/env python3
"""The marketers' console in a real browser: Debian's chromium, driven by chromedriver through
selenium (SE_OFFLINE=true: nothing is downloaded), against a real `carecron console`.

  console_e2e.py BASE_URL SCREENSHOTS_DIR

Logs in, reads the plan of 2026-12-01, a customer's page and a message, breaks the
name-in-the-first-7-characters rule in the payment reminder's SMS and sees the error at its
line, fixes it and sees the diff count the reworded messages, saves, sends a test, and checks
that a viewer's save and a form without its token are refused. Prints one line per failed
check and exits 1 if any; writes a screenshot of each main page.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_e2e_support import browser, check, failures, log_in as sign_in, rows, shot, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def log_in(d, user, password):
    sign_in(d, BASE, user, password)


def post_without_page(d, path, fields):
    """A POST from the page's own origin by script, as a forged or a viewer's form would be."""
    return d.execute_async_script("""
        const [path, fields, done] = arguments;
        fetch(path, {method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin', redirect: 'manual'})
          .then(r => done(r.status)).catch(e => done(String(e)));
    """, path, fields)


d = browser(BASE, SHOTS)
try:
    # Log in.
    log_in(d, "lan", os.environ["LAN_PASSWORD"])
    check("/console/plan" in d.current_url, "an editor logs in and lands on the plan")

    # The plan of 2026-12-01: the noon reminder to C001, and a candidate not sent with its reason.
    d.get(BASE + "/console/plan?from=2026-12-01&days=1")
    plan = rows(d)
    check(any(r.startswith("12:00 | payment-reminder #1 | C001 Trần Thị Lan | D01 | sms | Chi Lan oi, don D01") for r in plan),
          "the plan for 2026-12-01 shows the 12:00 reminder to C001, with her name")
    skipped = rows(d, "section.skips tr.skip")
    check(any("D11" in r and "Nhắc lần 1: đơn D11 đã thanh toán trước giờ gửi" in r for r in skipped),
          "the plan lists a skipped candidate with its reason, in Vietnamese")
    shot(d, "plan")

    # A customer's page, and one message as each channel carries it.
    d.get(BASE + "/console/customers/C001")
    check("Trần Thị Lan" in d.find_element(By.TAG_NAME, "h1").text, "the customer's page shows C001")
    check(any("payment-reminder #1" in r for r in rows(d)), "the customer's page lists the planned reminder")
    shot(d, "customer")
    d.find_element(By.CSS_SELECTOR, "a.quiet[href*='payment-reminder:D01:1']").click()
    wait_for(lambda: "plan/message" in d.current_url)
    check("GSM-7" in d.page_source and "lan@example.vn" in d.page_source, "a message shows its SMS facts and its email form")
    shot(d, "message")

    # The editor: break the rule, see the error at its line (the live check, by script).
    d.get(BASE + "/console/jobs/payment-reminder/edit")
    area = d.find_element(By.NAME, "text")
    original = area.get_attribute("value")
    broken = original.replace('"text": "{{customer.salutation}} oi, don {{#orders}}',
                              '"text": "Don hang cua {{customer.salutation}}: {{#orders}}')
    fixed = original.replace('"text": "{{customer.salutation}} oi, don {{#orders}}',
                             '"text": "{{customer.salutation}} oi, don hang {{#orders}}')
    check(broken != original and fixed != original, "the test finds the SMS template to edit")
    set_text = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"
    d.execute_script(set_text, area, broken)
    check(wait_for(lambda: "line-26" in d.find_element(By.ID, "results").get_attribute("innerHTML")
                   and "7" in d.find_element(By.CSS_SELECTOR, "#results ul.problems").text),
          "the broken rule is shown at its line as you type")
    check(wait_for(lambda: any(b.get_attribute("id") == "line-26" for b in d.find_elements(By.CSS_SELECTOR, ".gutter span.bad"))),
          "line 26 of the editable box is marked in its gutter")
    shot(d, "editor-error", "#results")

    # Fix it: the diff counts the reworded messages.
    d.execute_script(set_text, area, fixed)
    check(wait_for(lambda: any(r.startswith("payment-reminder | sms | đổi lời |") for r in rows(d, "#results table.counts tr"))),
          "the fix's diff counts the reworded messages")
    shot(d, "editor-diff", "#results section.diff")

    # Save: the file changes, the old version is in the history.
    d.find_element(By.ID, "save").click()
    check(wait_for(lambda: "saved=1" in d.current_url), "the save is accepted")
    check(len(d.find_elements(By.CSS_SELECTOR, "section.history tr")) >= 1 and "lan" in d.find_element(By.CSS_SELECTOR, "section.history").text,
          "the old version is in the history, with who saved")
    check('{{customer.salutation}} oi, don hang {{#orders}}' in d.find_element(By.NAME, "text").get_attribute("value"),
          "the editor shows the saved file")

    # A test send to the allowed recipient.
    d.find_element(By.NAME, "customer").send_keys("C001")
    Select(d.find_element(By.CSS_SELECTOR, "#test select[name=channel]")).select_by_visible_text("sms")
    d.find_element(By.CSS_SELECTOR, "#test button[type=submit]").click()
    check(wait_for(lambda: "Đã gửi" in d.find_element(By.ID, "test").text), "the test send is reported sent, in Vietnamese")
    check("Soạn đúng như kế hoạch" in d.find_element(By.ID, "test").text and "D01" in d.find_element(By.ID, "test").text,
          "the test is composed as the plan composes it (the same orders)")
    shot(d, "test-send", "#test")

    # A form posted without its token is refused.
    status = post_without_page(d, "/console/jobs/payment-reminder/save", {"text": original, "base": "x"})
    check(status == 403, "a form posted without its CSRF token is refused (got %s)" % status)

    d.get(BASE + "/console/jobs")
    shot(d, "jobs")
    d.get(BASE + "/console/audit")
    shot(d, "audit")

    # A viewer may look, not save.
    d.delete_all_cookies()
    log_in(d, "minh", os.environ["MINH_PASSWORD"])
    d.get(BASE + "/console/jobs/payment-reminder/edit")
    check(len(d.find_elements(By.ID, "save")) == 0, "a viewer has no Save button")
    csrf = d.find_element(By.NAME, "csrf").get_attribute("value")
    base = d.find_element(By.NAME, "base").get_attribute("value")
    status = post_without_page(d, "/console/jobs/payment-reminder/save", {"csrf": csrf, "base": base, "text": original})
    check(status == 403, "a viewer's save is refused with 403 (got %s)" % status)
finally:
    d.quit()

sys.exit(1 if failures else 0)
