"""The dashboard in a real headless Chromium, driven with Selenium, against a real `colony up`:
start a run from the page and see it complete live (no reload), open its graph, pause, resume
and cancel another run, approve a waiting one, trigger a schedule; nothing the page loads comes from another host. Screenshots go to
.build/test-artifacts/dashboard (COLONY_TEST_ARTIFACTS overrides)."""
import os
import pathlib
import shutil

import pytest

from conftest import ROOT

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (scripts/setup installs it)")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

WORKFLOWS = """
workflows:
  - name: add
    inputs:
      a: {type: number}
      b: {type: number, default: 1}
    steps:
      - id: nap
        capability: echo.sleep
        params: {ms: 1500}
      - id: sum
        capability: math.add
        depends_on: [nap]
        params: {a: "${input.a}", b: "${input.b}"}
  - name: slow
    steps:
      - id: wait
        capability: echo.sleep
        params: {ms: 60000}
  - name: approval
    steps:
      - {id: approve, wait_for: {signal: approve, timeout: 1h}}
      - {id: ship, capability: echo, depends_on: [approve], params: {by: "${steps.approve.output.by}"}}
  - name: hourly
    schedule: {every: 1h}
    steps:
      - id: sum
        capability: math.add
        params: {a: 1, b: 2}
"""


def chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("no chromium and chromedriver (scripts/setup installs Debian's chromium and chromium-driver)")
    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture
def browser():
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def artifacts() -> pathlib.Path:
    directory = pathlib.Path(os.environ.get("COLONY_TEST_ARTIFACTS", ROOT / ".build" / "test-artifacts")) / "dashboard"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_the_dashboard_starts_follows_and_cancels_runs_live(colony_up, browser):
    up = colony_up(workflows=WORKFLOWS, agents="agents:\n  - name: math\n    run: math\n  - name: echo\n    run: echo\n")
    up.wait_for("math.add", "echo.sleep")
    base, token = up.api()
    # Live events re-render parts of the page: an element found a moment ago may be replaced.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))

    def click(by, what):
        wait.until(lambda d: d.find_element(by, what).click() or True)
    shots = artifacts()

    browser.get(f"{base}/?token={token}")
    wait.until(lambda d: d.find_element(By.ID, "live").text == "live")
    assert "token" not in browser.current_url, "the token leaves the address bar"
    browser.execute_script("window.loadedOnce = true")

    # Start a run from the page; it completes while we watch, without a reload.
    wait.until(lambda d: len(Select(d.find_element(By.ID, "start-workflow")).options) == 4)
    Select(browser.find_element(By.ID, "start-workflow")).select_by_value("add")
    browser.find_element(By.ID, "start-input").send_keys('{"a": 41}')
    browser.find_element(By.ID, "start-button").click()
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") in ("pending", "running"))
    browser.save_screenshot(str(shots / "1-run-started.png"))
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "completed")
    assert browser.execute_script("return window.loadedOnce === true"), "the page was not reloaded"
    assert '"result": 42' in browser.find_element(By.ID, "run-output").text

    # Its graph: both steps, succeeded, the dependency drawn.
    steps = {g.get_attribute("data-step"): g.get_attribute("data-status") for g in browser.find_elements(By.CSS_SELECTOR, "svg#dag g.step")}
    assert steps == {"nap": "succeeded", "sum": "succeeded"}, steps
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#dag line")) == 1
    browser.save_screenshot(str(shots / "2-run-completed-graph.png"))

    # Start a slow run and cancel it from the page.
    Select(browser.find_element(By.ID, "start-workflow")).select_by_value("slow")
    browser.find_element(By.ID, "start-input").clear()
    browser.find_element(By.ID, "start-button").click()
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "running")
    run = browser.find_element(By.CSS_SELECTOR, "#runs-body tr.selected").get_attribute("data-run")
    click(By.ID, "pause-button")
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "paused")
    wait.until(lambda d: d.find_element(By.ID, "pause-button").text == "Resume")
    click(By.ID, "pause-button")
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "running")
    click(By.ID, "cancel-button")
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "cancelled")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#runs-body tr[data-run="{run}"]').get_attribute("data-status") == "cancelled")
    browser.save_screenshot(str(shots / "3-run-cancelled.png"))

    # A run that waits for an approval: send the signal from the page; it completes live.
    Select(browser.find_element(By.ID, "start-workflow")).select_by_value("approval")
    browser.find_element(By.ID, "start-button").click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'svg#dag g.step[data-step="approve"]').get_attribute("data-status") == "waiting")

    def approve(d):
        d.find_element(By.ID, "signal-data-approve").send_keys('{"by": "ana"}')
        d.find_element(By.ID, "signal-approve").click()
        return True
    wait.until(approve)
    wait.until(lambda d: d.find_element(By.ID, "run-status").get_attribute("data-status") == "completed")
    assert '"by": "ana"' in browser.find_element(By.ID, "run-output").text

    # The other tabs render what the API says.
    browser.find_element(By.ID, "tab-agents").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#agents-body tr")) >= 2)
    browser.save_screenshot(str(shots / "4-agents.png"))

    # Trigger the schedule from the page: its recent ticks show the started one.
    browser.find_element(By.ID, "tab-schedules").click()
    click(By.XPATH, '//tr[@data-schedule="hourly"]//button[text()="Trigger"]')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#schedule-ticks tr[data-tick="started"]'))
    browser.save_screenshot(str(shots / "5-schedule-ticks.png"))

    # The queue names every resource and its holders (none are configured here).
    browser.find_element(By.ID, "tab-queue").click()
    wait.until(lambda d: "no named resources" in d.find_element(By.ID, "queue-resources").text)

    # Nothing came from another host: every resource the page loaded is the colony's.
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(base + "/") for url in loaded), loaded

    # A phone-sized screen still shows the runs.
    browser.set_window_size(390, 844)
    browser.find_element(By.ID, "tab-runs").click()
    assert browser.find_element(By.ID, "runs-body").is_displayed()
    browser.save_screenshot(str(shots / "6-phone.png"))
