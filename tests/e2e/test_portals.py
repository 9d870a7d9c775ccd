"""The admin and customer portals in a real browser: Debian's headless Chromium driven by
Selenium against a real `tollgate serve`. Every page visited is checked with axe
(axe-selenium-python): no serious or critical violation. Two-factor codes come from pyotp.
A failing test saves a screenshot of the browser to tests/e2e/screenshots/."""
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pyotp
import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ADMIN_TOKEN, BINARY, ROOT, Server

PASSWORD = "correct horse battery"
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"


def chromium_paths():
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return browser, driver


@pytest.fixture
def browser(request, tmp_path):
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"]:
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    driver.downloads = downloads
    driver.set_page_load_timeout(30)
    yield driver
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}.png"
        driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
    driver.quit()


@pytest.fixture
def portal(tmp_path):
    """A server whose first start printed the owner's invitation link."""
    running = Server(tmp_path / "data")
    yield running
    running.stop()


def accessible(driver):
    """Runs axe on the page: no serious or critical violation."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{driver.current_url}: " + "; ".join(
        f"{v['id']}: {v['help']} ({', '.join(n['html'][:120] for n in v['nodes'])})" for v in bad)


def visit(driver, server, path):
    driver.get(server.url + path)
    accessible(driver)


def fill(driver, fields):
    """Fills the fields of the page's form (the form in a card, not a list's filters, when both have the field)."""
    for name, value in fields.items():
        scoped = driver.find_elements(By.CSS_SELECTOR, f"main .card [name='{name}']")
        element = scoped[0] if scoped else driver.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)


def submit(driver, label=None):
    """Clicks the main form's button (the one labelled ``label``) and waits for the next page."""
    buttons = driver.find_elements(By.CSS_SELECTOR, "main button[type=submit]")
    button = next(b for b in buttons if label is None or b.text == label)
    click(driver, button)


def click(driver, element):
    """Clicks and waits until the page has been replaced (a link followed, a form answered)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_for_new_page(driver, page)


def wait_for_new_page(driver, page):
    """Until `page` (the old document's root) is gone: Chromium reports that as a stale element,
    or, during the swap, as a node that no longer belongs to the document."""
    def gone(_):
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True
    WebDriverWait(driver, 15).until(gone)


def owner_link(server):
    deadline = time.time() + 10
    while time.time() < deadline:
        found = re.search(r"(http://\S+/admin/join/tgi_\w+)", server.read_stdout())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError("no owner invitation printed: " + server.read_stdout())


def join(driver, link, email=None, password=PASSWORD):
    driver.get(link)
    accessible(driver)
    fields = {"password": password, "confirmation": password}
    if email:
        fields["email"] = email
    fill(driver, fields)
    submit(driver, "Join")


def heading(driver):
    return driver.find_element(By.TAG_NAME, "h1").text


def validation(server, key):
    status, answer = server.json("POST", "/v1/licenses/validate", {"key": key}, token=None)
    return answer["code"]


def test_an_owner_signs_in_with_totp_and_suspends_a_license_made_through_the_forms(portal, browser):
    server, driver = portal, browser
    join(driver, owner_link(server), email="owner@example.com")
    assert heading(driver) == "Dashboard"
    accessible(driver)

    # Two-factor sign-in, with codes computed by pyotp from the key the page shows.
    visit(driver, server, "/admin/two-factor")
    secret = driver.find_element(By.ID, "totp-secret").text
    totp = pyotp.TOTP(secret)
    assert driver.find_element(By.LINK_TEXT, "Add to an authenticator app").get_attribute("href").startswith("otpauth://totp/")
    fill(driver, {"code": totp.now()})
    submit(driver, "Turn on two-factor sign-in")
    assert heading(driver) == "Dashboard"
    submit_signout(driver)
    assert heading(driver) == "Sign in"
    fill(driver, {"email": "owner@example.com", "password": PASSWORD})
    submit(driver, "Sign in")
    assert heading(driver) == "Two-factor sign-in"
    accessible(driver)
    fill(driver, {"code": "000000"})
    submit(driver, "Sign in")
    assert "not right" in driver.find_element(By.CSS_SELECTOR, ".error").text
    # The step's code was taken at set-up; the next step's is within the accepted drift.
    fill(driver, {"code": totp.at(time.time() + 30)})
    submit(driver, "Sign in")
    assert heading(driver) == "Dashboard"

    # A product, a policy from a preset, a customer and a license, through the forms.
    visit(driver, server, "/admin/products")
    fill(driver, {"code": "", "name": "Report Studio"})
    driver.execute_script("document.querySelector('#field-code').removeAttribute('required')")
    submit(driver, "Create product")
    assert driver.find_element(By.ID, "field-code-error").text == "'code' is required."
    accessible(driver)
    fill(driver, {"code": "report-studio", "name": "Report Studio"})
    submit(driver, "Create product")
    assert "Product created." in driver.find_element(By.CSS_SELECTOR, ".notice").text
    assert "report-studio" in driver.find_element(By.TAG_NAME, "table").text

    visit(driver, server, "/admin/policies")
    fill(driver, {"preset": "Professional", "productId": "Report Studio"})
    submit(driver, "Create policy")
    assert "Professional" in driver.find_element(By.TAG_NAME, "table").text

    visit(driver, server, "/admin/customers")
    fill(driver, {"name": "Globex", "email": "it@globex.example"})
    submit(driver, "Create customer")
    assert heading(driver) == "Globex"
    accessible(driver)

    visit(driver, server, "/admin/licenses")
    fill(driver, {"policyId": "Professional", "customerId": "Globex"})
    submit(driver, "Create license")
    assert heading(driver).startswith("License lic_")
    accessible(driver)
    license_id = heading(driver).split()[-1]
    _, license = server.json("GET", f"/v1/licenses/{license_id}")
    assert validation(server, license["key"]) == "VALID"

    click(driver, driver.find_element(By.LINK_TEXT, "Suspend"))
    assert heading(driver) == f"Suspend license {license_id}?"
    accessible(driver)
    submit(driver, "Suspend")
    assert "License suspended." in driver.find_element(By.CSS_SELECTOR, ".notice").text
    assert validation(server, license["key"]) == "SUSPENDED"
    deadline = time.time() + 10
    while time.time() < deadline:
        driver.refresh()
        log = driver.find_element(By.XPATH, "//caption[text()='Latest validations']/..").text
        if "SUSPENDED" in log:
            break
        time.sleep(0.3)
    assert "SUSPENDED" in log and "VALID" in log
    accessible(driver)
    _, audit = server.json("GET", f"/v1/audit-events?objectId={license_id}")
    user_id = server.json("GET", "/v1/users")[1]["data"][0]["id"]
    assert {"license.created", "license.suspended"} <= {e["action"] for e in audit["data"]}
    assert {e["actor"] for e in audit["data"]} == {user_id}, "the audit names the signed-in user"

    # Every other section of the admin portal passes the accessibility check too.
    kid = server.json("GET", "/v1/keys")[1]["data"][0]["kid"]
    token_id = server.json("POST", "/v1/tokens", {"name": "CI", "role": "read-only"})[1]["id"]
    hook = server.json("POST", "/v1/webhook-endpoints", {"url": "https://hooks.example.com/t", "description": "CRM"})[1]["id"]
    server.json("POST", f"/v1/webhook-endpoints/{hook}/actions/ping")
    deadline = time.time() + 10
    while not server.json("GET", f"/v1/webhook-endpoints/{hook}/deliveries")[1]["data"] and time.time() < deadline:
        time.sleep(0.1)
    delivery = server.json("GET", f"/v1/webhook-endpoints/{hook}/deliveries")[1]["data"][0]["id"]
    webhook_pages = ["/admin/webhooks", f"/admin/webhooks/{hook}", f"/admin/webhooks/{hook}/deliveries/{delivery}",
                     f"/admin/webhooks/{hook}/ping", f"/admin/webhooks/{hook}/rotate-secret", f"/admin/webhooks/{hook}/disable",
                     f"/admin/webhooks/{hook}/delete", f"/admin/webhooks/{hook}/deliveries/{delivery}/retry"]
    for path in ["/admin", "/admin/entitlements", f"/admin/entitlements?productId={license['productId']}", "/admin/meters", "/admin/machines",
                 "/admin/keys", "/admin/keys/rotate", "/admin/tokens", "/admin/users", f"/admin/users/{user_id}", f"/admin/users/{user_id}/role",
                 "/admin/audit", "/admin/audit/verify", "/admin/events", f"/admin/licenses/{license_id}/change-policy",
                 f"/admin/licenses/{license_id}/reinstate", f"/admin/licenses/{license_id}/renew", f"/admin/licenses/{license_id}/revoke",
                 f"/admin/users/{user_id}/disable", f"/admin/users/{user_id}/enable", f"/admin/keys/{kid}/retire", f"/admin/tokens/{token_id}/revoke",
                 f"/admin/licenses?q={license['key'][:20]}", "/admin/no-such-page", "/portal/sign-in", *webhook_pages]:
        visit(driver, server, path)
        assert driver.find_element(By.TAG_NAME, "h1").text


def submit_signout(driver):
    click(driver, driver.find_element(By.XPATH, "//header//button[text()='Sign out']"))


def test_a_support_user_cannot_reach_tokens_or_keys_but_deactivates_a_machine(portal, browser):
    from conftest import issue_license
    server, driver = portal, browser
    license = issue_license(server)
    status, machine = server.json("POST", "/v1/machines", {"fingerprint": "desk-7", "name": "desk"}, token=None,
                                  headers={"Authorization": f"License {license['key']}"})
    assert status == 201
    status, user = server.json("POST", "/v1/users", {"email": "help@example.com", "name": "Helper", "role": "support"})
    assert status == 201
    join(driver, user["invitation"]["url"])
    assert heading(driver) == "Dashboard"
    nav = driver.find_element(By.CSS_SELECTOR, "nav").text
    assert "API tokens" not in nav and "Signing keys" not in nav
    for path in ["/admin/tokens", "/admin/keys"]:
        visit(driver, server, path)
        assert heading(driver) == "Not allowed"
        assert "support" in driver.find_element(By.TAG_NAME, "main").text
    visit(driver, server, f"/admin/licenses/{license['id']}")
    click(driver, driver.find_element(By.LINK_TEXT, "Deactivate…"))
    accessible(driver)
    submit(driver, "Deactivate")
    assert "Machine deactivated." in driver.find_element(By.CSS_SELECTOR, ".notice").text
    _, after = server.json("GET", f"/v1/machines/{machine['machine']['id']}")
    assert after["state"] == "deactivated"


def test_a_customer_sees_its_quota_frees_a_seat_and_activates_an_air_gapped_machine(portal, browser, tmp_path):
    server, driver = portal, browser
    assert server.json("POST", "/v1/meters", {"code": "exports", "name": "Report exports", "aggregation": "count"})[0] == 201
    _, product = server.json("POST", "/v1/products", {"code": "studio", "name": "Studio"})
    status, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Starter", "maxMachines": 1,
                                                           "limits": {"exports": 5}, "limitPeriods": {"exports": "month"}})
    assert status == 201, policy
    _, customer = server.json("POST", "/v1/customers", {"name": "Globex"})
    _, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
    key = {"Authorization": f"License {license['key']}"}
    status, _ = server.json("POST", "/v1/usage/events", {"events": [{"id": f"e{n}", "meter": "exports"} for n in range(4)]}, token=None, headers=key)
    assert status == 200
    status, machine = server.json("POST", "/v1/machines", {"fingerprint": "laptop-1", "name": "laptop"}, token=None, headers=key)
    assert status == 201
    _, user = server.json("POST", f"/v1/customers/{customer['id']}/users", {"email": "it@globex.example", "name": "Globex IT"})

    join(driver, user["invitation"]["url"])
    assert heading(driver) == "Your licenses"
    # Signed out, the customer signs in with the password it chose.
    submit_signout(driver)
    assert heading(driver) == "Sign in" and driver.current_url.endswith("/portal/sign-in")
    fill(driver, {"email": "it@globex.example", "password": PASSWORD})
    submit(driver, "Sign in")
    assert heading(driver) == "Your licenses"
    accessible(driver)
    click(driver, driver.find_element(By.LINK_TEXT, license["id"]))
    accessible(driver)
    quota = driver.find_element(By.CSS_SELECTOR, "figure.quota figcaption").text
    assert "exports per month: 4 of 5 (80 %)" in quota, quota
    assert driver.find_element(By.CSS_SELECTOR, "figure.quota svg").get_attribute("aria-label") == "exports: 80 % of the quota used"

    # The one seat is taken: free it (from the machine's own page, which also offers its machine file).
    click(driver, driver.find_element(By.LINK_TEXT, "laptop"))
    accessible(driver)
    click(driver, driver.find_element(By.LINK_TEXT, "Deactivate…"))
    accessible(driver)
    submit(driver, "Deactivate")
    assert "its seat is free" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    assert server.json("GET", f"/v1/machines/{machine['machine']['id']}")[1]["state"] == "deactivated"

    # Air-gapped: the machine writes a request file; the browser uploads it and downloads the machine file.
    request_file = tmp_path / "request.txt"
    environment = dict(os.environ, TOLLGATE_URL=server.url, TOLLGATE_LICENSE_KEY=license["key"])
    made = subprocess.run([str(BINARY), "machines", "offline-request", "--fingerprint", "vault-9", "--name", "vault", "-o", str(request_file)],
                          capture_output=True, text=True, env=environment, timeout=30)
    assert made.returncode == 0, made.stderr
    click(driver, driver.find_element(By.LINK_TEXT, "Activate an air-gapped machine"))
    accessible(driver)
    driver.find_element(By.NAME, "requestFile").send_keys(str(request_file))
    deadline = time.time() + 5
    while "BEGIN TOLLGATE ACTIVATION REQUEST" not in driver.find_element(By.NAME, "request").get_attribute("value") and time.time() < deadline:
        time.sleep(0.1)
    # The answer is a download: the page stays.
    driver.find_element(By.XPATH, "//main//button[text()='Activate and download the machine file']").click()
    deadline = time.time() + 10
    files = []
    while time.time() < deadline:
        files = [f for f in driver.downloads.iterdir() if f.suffix == ".machine"]
        if files:
            break
        time.sleep(0.2)
    assert files, "no machine file was downloaded"
    verified = subprocess.run([str(BINARY), "verify", "--file", str(files[0]), "--jwks", server.url + "/.well-known/jwks.json", "--fingerprint", "vault-9"],
                              capture_output=True, text=True, timeout=30)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    machines = server.json("GET", f"/v1/licenses/{license['id']}/machines")[1]["data"]
    assert [m["fingerprint"] for m in machines if m["state"] == "active"] == ["vault-9"]


def test_escaping_a_forged_csrf_token_and_an_expired_session(portal, browser):
    server, driver = portal, browser
    _, customer = server.json("POST", "/v1/customers", {"name": "<script>alert(1)</script>", "email": "x@acme.example"})
    join(driver, owner_link(server), email="owner@example.com")
    visit(driver, server, "/admin/customers")
    assert "<script>alert(1)</script>" in driver.find_element(By.TAG_NAME, "table").text, "shown as text"
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    visit(driver, server, f"/admin/customers/{customer['id']}")
    assert heading(driver) == "<script>alert(1)</script>"

    # A form whose CSRF token is not the session's is refused, and nothing is created.
    visit(driver, server, "/admin/products")
    fill(driver, {"code": "forged", "name": "Forged"})
    driver.execute_script("document.querySelector('main form input[name=csrf]').value = 'forged-token'")
    submit(driver, "Create product")
    assert heading(driver) == "Not allowed"
    assert "security token" in driver.find_element(By.TAG_NAME, "main").text
    accessible(driver)
    assert server.json("GET", "/v1/products")[1]["data"] == []

    # The session's time runs out (its row says so, as the clock would): back to the sign-in.
    database = sqlite3.connect(server.data_dir / "tollgate.sqlite")
    database.execute("UPDATE web_sessions SET expires_at = 0")
    database.commit()
    database.close()
    driver.get(server.url + "/admin/products")
    assert heading(driver) == "Sign in"
    assert "Your session has ended" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    accessible(driver)


def test_the_sign_in_works_by_keyboard_alone(portal, browser):
    server, driver = portal, browser
    join(driver, owner_link(server), email="owner@example.com")
    submit_signout(driver)
    driver.get(server.url + "/admin/sign-in")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to content", "the skip link comes first"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    for _ in range(4):
        if driver.switch_to.active_element.get_attribute("name") == "email":
            break
        driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("name") == "email"
    driver.switch_to.active_element.send_keys("owner@example.com", Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("name") == "password"
    page = driver.find_element(By.TAG_NAME, "html")
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    wait_for_new_page(driver, page)
    assert heading(driver) == "Dashboard"
    # The navigation is reachable and followed by keyboard too.
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.LINK_TEXT, "Licenses").send_keys(Keys.ENTER)
    wait_for_new_page(driver, page)
    assert heading(driver) == "Licenses"
