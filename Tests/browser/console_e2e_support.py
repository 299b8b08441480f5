"""What the console's browser scripts share: Debian's chromium through chromedriver (selenium,
SE_OFFLINE=true: nothing is downloaded), checks that print one line each, screenshots."""
import os
import time

os.environ["SE_OFFLINE"] = "true"
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

failures = []
_shots = {"dir": "."}


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def browser(base, shots, width=1400, height=1000, phone=False):
    """With `phone`, Chromium's device emulation: a 390 px wide touch screen, as an agent's phone."""
    _shots["dir"] = shots
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=%d,%d" % (width, height), "--lang=vi"]:
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "vi,vi-VN"})
    if phone:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1, "touch": True}})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def shot(d, name, scroll_to=None):
    if scroll_to:
        d.execute_script("document.querySelector(arguments[0]).scrollIntoView()", scroll_to)
    d.save_screenshot(os.path.join(_shots["dir"], name + ".png"))


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


def log_in(d, base, user, password):
    d.get(base + "/console/login")
    d.find_element(By.NAME, "user").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: "/console/login" not in d.current_url)


def rows(d, selector="table.events tr"):
    return [" | ".join(" ".join(c.text.split()) for c in r.find_elements(By.TAG_NAME, "td")) for r in d.find_elements(By.CSS_SELECTOR, selector)]
