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
import time

os.environ["SE_OFFLINE"] = "true"
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--lang=vi"]:
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "vi,vi-VN"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def shot(d, name, scroll_to=None):
    if scroll_to:
        d.execute_script("document.querySelector(arguments[0]).scrollIntoView()", scroll_to)
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait_for(predicate, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def log_in(d, user, password):
    d.get(BASE + "/console/login")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: "/console/plan" in d.current_url)


def rows(d, selector="table.events tr"):
    return [" | ".join(c.text for c in r.find_elements(By.TAG_NAME, "td")) for r in d.find_elements(By.CSS_SELECTOR, selector)]


def post_without_page(d, path, fields):
    """A POST from the page's own origin by script, as a forged or a viewer's form would be."""
    return d.execute_async_script("""
        const [path, fields, done] = arguments;
        fetch(path, {method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin', redirect: 'manual'})
          .then(r => done(r.status)).catch(e => done(String(e)));
    """, path, fields)


d = browser()
try:
    # Log in.
    log_in(d, "lan", os.environ["LAN_PASSWORD"])
    check("/console/plan" in d.current_url, "an editor logs in and lands on the plan")

    # The plan of 2026-12-01: the noon reminder to C001, and a candidate not sent with its reason.
    d.get(BASE + "/console/plan?from=2026-12-01&days=1")
    plan = rows(d)
    check(any(r.startswith("12:00 | payment-reminder #1 | C001 | D01 | sms | Chi Lan oi, don D01") for r in plan),
          "the plan for 2026-12-01 shows the 12:00 reminder to C001")
    skipped = rows(d, "section.skips tr.skip")
    check(any("D11" in r and "reminder #1: order D11 was paid before the slot" in r for r in skipped),
          "the plan lists a skipped candidate with its reason")
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
    broken = original.replace('"sms": { "text": "{{customer.salutation}} oi, don {{#orders}}',
                              '"sms": { "text": "Don hang cua {{customer.salutation}}: {{#orders}}')
    fixed = original.replace('"sms": { "text": "{{customer.salutation}} oi, don {{#orders}}',
                             '"sms": { "text": "{{customer.salutation}} oi, don hang {{#orders}}')
    check(broken != original and fixed != original, "the test finds the SMS template to edit")
    set_text = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"
    d.execute_script(set_text, area, broken)
    check(wait_for(lambda: "line-26" in d.find_element(By.ID, "results").get_attribute("innerHTML")
                   and "7" in d.find_element(By.CSS_SELECTOR, "#results ul.problems").text),
          "the broken rule is shown at its line as you type")
    bad = d.find_elements(By.CSS_SELECTOR, "#results ol.code li.bad")
    check(any(b.get_attribute("id") == "line-26" for b in bad), "line 26 is marked")
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
    check(wait_for(lambda: "sent" in d.find_element(By.ID, "test").text), "the test send is reported sent")
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
