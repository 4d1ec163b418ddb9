"""The operator console in a real browser (headless Chromium through chromedriver) against a real
gateway and a real redis-server, both started by scripts/browser-test.

Environment (set by scripts/browser-test):
  GATEWAY_URL   http://127.0.0.1:PORT of the gateway, started with --admin-token
  ADMIN_TOKEN   that token
  REDIS_PID     the redis-server this test SIGKILLs; it restarts it on REDIS_PORT with REDIS_DIR and
                stops the one it started before it exits
  RESULTS_DIR   where screenshots, the browser log and the CSV download go

Checks, in order: the page loads with no console errors and no CSP violations; posted events move
the stored-per-second chart and the latest sample; the error banner appears while the browser is
offline and clears by itself; the metrics table has the Prometheus names; the token dialog opens
from the keyboard and Escape cancels it; Stop with a wrong token shows the 403; Stop with the right token shows
Stopped and POST /telemetry then gets 503; Start restores Running; with Redis killed the page says
Redis Down within 3 s and Up again after a restart; the CSV download holds the charted history.
Screenshots: desktop and 360 px wide, light and dark, and desktop while Redis is down. Everything stays on 127.0.0.1.
"""
import http.client
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

TEST_DEADLINE_SECONDS = 150
REDIS_DOWN_DEADLINE_SECONDS = 3
RECOVERY_DEADLINE_SECONDS = 15
DESKTOP_SIZE = (1280, 900)
PHONE_WIDTH = 360
DEVICE = "browser-test-sensor"

GATEWAY = os.environ["GATEWAY_URL"].rstrip("/")
TOKEN = os.environ["ADMIN_TOKEN"]
RESULTS = os.environ.get("RESULTS_DIR", "results/browser")
_url = urllib.parse.urlsplit(GATEWAY)
HOST, PORT = _url.hostname, _url.port


def step(message):
    print(f"[browser-test {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fail(message):
    raise AssertionError(message)


def wait_for(description, predicate, timeout):
    """Polls predicate every 100 ms; returns the seconds it took, fails after timeout."""
    started = time.monotonic()
    last_error = None
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception as error:  # a stale element or a page mid-update: try again
            last_error = error
        time.sleep(0.1)
    fail(f"timed out after {timeout} s waiting for {description}" + (f" (last error: {last_error})" if last_error else ""))


def post_event(value, device=DEVICE):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=5)
    body = json.dumps({"device_id": device, "value": value, "type": "temperature", "unit": "celsius"})
    connection.request("POST", "/telemetry", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


class EventPoster(threading.Thread):
    """POSTs one event every 40 ms, values on a sine wave, until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.statuses = {}

    def run(self):
        index = 0
        while not self.stopping.is_set():
            value = round(20 + 5 * math.sin(index / 6) + (index % 7) * 0.1, 2)
            try:
                status = post_event(value)
            except OSError:
                status = "transport error"
            self.statuses[status] = self.statuses.get(status, 0) + 1
            index += 1
            time.sleep(0.04)

    def stop(self):
        self.stopping.set()
        self.join(5)


class Console:
    def __init__(self):
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         f"--window-size={DESKTOP_SIZE[0]},{DESKTOP_SIZE[1]}", "--no-first-run",
                         "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-default-apps", "--disable-features=Translate,OptimizationHints,MediaRouter",
                         # Loopback only: every other host name fails to resolve.
                         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_page_load_timeout(20)
        self.log = []

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def data(self, element_id, name):
        return self.driver.find_element(By.ID, element_id).get_attribute(f"data-{name}")

    def cdp(self, command, params=None):
        return self.driver.execute_cdp_cmd(command, params or {})

    def drain_log(self):
        entries = self.driver.get_log("browser")
        self.log.extend(entries)
        return entries

    def screenshot(self, name, width, dark):
        self.cdp("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
        self.cdp("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600})
        time.sleep(1.3)  # one poll redraws the charts at the new size and in the new palette
        height = self.driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
        scroll_width = self.driver.execute_script("return document.documentElement.scrollWidth")
        if scroll_width > width:
            fail(f"{name}: the page is {scroll_width} px wide at a {width} px viewport (horizontal scrolling)")
        self.cdp("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        time.sleep(1.3)
        path = os.path.join(RESULTS, f"{name}.png")
        self.driver.save_screenshot(path)
        step(f"screenshot {path} ({width}x{height}, {'dark' if dark else 'light'})")
        self.cdp("Emulation.clearDeviceMetricsOverride")
        self.cdp("Emulation.setEmulatedMedia", {"features": []})

    def submit_token(self, token):
        wait_for("the token dialog", lambda: self.driver.find_element(By.ID, "token-dialog").get_attribute("open") is not None, 3)
        field = self.driver.find_element(By.ID, "token-input")
        if self.driver.switch_to.active_element != field:
            fail("the token field does not have the keyboard focus when the dialog opens")
        field.send_keys(token, Keys.ENTER)


def csp_violations(entries):
    return [e for e in entries if "Content Security Policy" in e.get("message", "") or "Refused to" in e.get("message", "")]


def main():
    os.makedirs(RESULTS, exist_ok=True)
    console = Console()
    restarted_redis = None
    poster = None
    try:
        step("load the page")
        console.driver.get(GATEWAY + "/")
        wait_for("state Running", lambda: console.text("state") == "Running", 5)
        wait_for("Redis Up", lambda: console.text("redis") == "Up", 3)
        if console.driver.title != "telemetry-gateway console":
            fail(f"title is {console.driver.title!r}")
        background = console.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        if background in ("rgba(0, 0, 0, 0)", "transparent"):
            fail("the stylesheet did not apply")
        time.sleep(1.5)
        errors = [e for e in console.drain_log() if e["level"] in ("SEVERE", "WARNING")]
        if errors:
            fail(f"console errors or warnings on load: {errors}")

        step("post events: the stored/s chart and the latest sample must move")
        poster = EventPoster()
        poster.start()
        wait_for("stored/s above zero", lambda: float(console.data("chart-stored", "max") or 0) > 0, 6)
        wait_for("the latest sample", lambda: console.text("sample-device") == DEVICE, 3)
        wait_for("5 values in the sample chart", lambda: int(console.data("chart-values", "points") or 0) >= 5, 8)
        if console.text("sample-unit") != "celsius" or console.text("sample-type") != "temperature":
            fail(f"latest sample shows unit {console.text('sample-unit')!r}, type {console.text('sample-type')!r}")
        wait_for("a latency reading", lambda: console.text("out-latency") not in ("", "–"), 4)
        step(f"stored/s max {console.data('chart-stored', 'max')}, latest value {console.text('sample-value')}")

        step("offline: the banner appears and clears by itself")
        console.cdp("Network.enable")
        console.cdp("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        wait_for("the banner", lambda: console.driver.find_element(By.ID, "banner").is_displayed(), 4)
        step(f"banner: {console.text('banner')}")
        console.cdp("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        wait_for("the banner to clear", lambda: not console.driver.find_element(By.ID, "banner").is_displayed(), 4)

        step("the metrics table shows the Prometheus figures")
        rows = console.driver.find_elements(By.CSS_SELECTOR, "#metrics tbody tr")
        names = [row.find_element(By.CSS_SELECTOR, "th").text for row in rows]
        for name in ["gateway_events_stored_total", 'gateway_events_rejected_total{reason="queue_full"}',
                     "gateway_connections_open", 'gateway_http_requests_total{route="telemetry",code="200"}']:
            if name not in names:
                fail(f"metrics table has no row {name}: {names}")

        step("keyboard: Enter on Stop opens the token dialog, Escape closes it and nothing is sent")
        console.driver.find_element(By.ID, "stop").send_keys(Keys.ENTER)
        wait_for("the token dialog", lambda: console.driver.find_element(By.ID, "token-dialog").get_attribute("open") is not None, 3)
        console.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for("the dialog to close", lambda: console.driver.find_element(By.ID, "token-dialog").get_attribute("open") is None, 3)
        if console.text("control-result") or console.text("state") != "Running":
            fail(f"cancelling the dialog did something: {console.text('control-result')!r}, state {console.text('state')!r}")

        step("Stop with a wrong token shows the refusal")
        console.driver.find_element(By.ID, "stop").send_keys(Keys.ENTER)
        console.submit_token("not-the-token")
        wait_for("the refusal", lambda: "403" in console.text("control-result"), 4)
        step(f"refusal: {console.text('control-result')}")
        if console.driver.execute_script("return sessionStorage.length") != 0:
            fail("a refused token stayed in sessionStorage")
        if console.text("state") != "Running":
            fail("a refused Stop changed the state")

        step("Stop with the right token: Stopped, and a POST gets 503")
        console.driver.find_element(By.ID, "stop").click()
        console.submit_token(TOKEN)
        wait_for("state Stopped", lambda: console.text("state") == "Stopped", 3)
        status = post_event(1.0)
        if status != 503:
            fail(f"POST /telemetry while stopped answered {status}, expected 503")
        if TOKEN in console.driver.current_url:
            fail("the token is in the URL")

        step("Start (token remembered for the tab) restores Running")
        console.driver.find_element(By.ID, "start").click()
        wait_for("state Running", lambda: console.text("state") == "Running", 3)
        if console.driver.find_element(By.ID, "token-dialog").get_attribute("open") is not None:
            fail("Start asked for the token again")
        wait_for("POST /telemetry 200 again", lambda: post_event(2.0) == 200, 3)

        step("kill Redis: the page must show Redis down within 3 s")
        redis_pid = int(os.environ["REDIS_PID"])
        os.kill(redis_pid, signal.SIGKILL)
        took = wait_for("Redis Down", lambda: console.text("redis") == "Down", REDIS_DOWN_DEADLINE_SECONDS)
        step(f"Redis Down shown after {took:.1f} s; state {console.text('state')}")
        if console.text("state") != "Degraded":
            fail(f"state with Redis down is {console.text('state')!r}, expected Degraded")
        console.screenshot("desktop-redis-down", DESKTOP_SIZE[0], False)  # also some 503s for the rejected chart
        restarted_redis = subprocess.Popen([
            "redis-server", "--bind", "127.0.0.1", "--port", os.environ["REDIS_PORT"], "--dir", os.environ["REDIS_DIR"],
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", os.path.join(os.environ["REDIS_DIR"], "redis.log"),
        ])
        took = wait_for("Redis Up", lambda: console.text("redis") == "Up", RECOVERY_DEADLINE_SECONDS)
        step(f"Redis Up again {took:.1f} s after the restart")
        wait_for("rejected/s above zero", lambda: float(console.data("chart-rejected", "max") or 0) > 0, 3)
        time.sleep(3)
        poster.stop()
        step(f"posted: {poster.statuses}")

        step("CSV download holds the charted history")
        console.cdp("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": os.path.abspath(RESULTS)})
        before = set(os.listdir(RESULTS))
        console.driver.find_element(By.ID, "csv").click()
        wait_for("the CSV file", lambda: any(n.endswith(".csv") for n in set(os.listdir(RESULTS)) - before), 5)
        name = next(n for n in set(os.listdir(RESULTS)) - before if n.endswith(".csv"))
        with open(os.path.join(RESULTS, name)) as csv:
            lines = csv.read().splitlines()
        if not lines[0].startswith("time,stored_per_second,") or len(lines) < 10:
            fail(f"CSV has {len(lines)} lines, header {lines[0]!r}")
        step(f"CSV {name}: {len(lines) - 1} rows")

        for name, width, dark in [("desktop-light", DESKTOP_SIZE[0], False), ("desktop-dark", DESKTOP_SIZE[0], True),
                                  ("phone-light", PHONE_WIDTH, False), ("phone-dark", PHONE_WIDTH, True)]:
            console.screenshot(name, width, dark)

        entries = console.drain_log()
        violations = csp_violations(console.log)
        if violations:
            fail(f"CSP violations: {violations}")
        # After the load check the only errors allowed are the ones the test provoked: the 403 answer and
        # the fetches that failed while the browser was offline.
        unexpected = [e for e in entries if e["level"] == "SEVERE" and "403" not in e["message"]
                      and "ERR_INTERNET_DISCONNECTED" not in e["message"]]
        if unexpected:
            fail(f"unexpected console errors: {unexpected}")
        step("all browser checks passed")
    finally:
        if poster:
            poster.stop()
        try:
            console.drain_log()
        except Exception:
            pass
        with open(os.path.join(RESULTS, "browser-console.log"), "w") as log:
            for entry in console.log:
                log.write(f"{entry.get('level')} {entry.get('source', '')} {entry.get('message')}\n")
        console.driver.quit()
        if restarted_redis:
            restarted_redis.terminate()
            restarted_redis.wait(10)


def on_deadline(signum, frame):
    raise TimeoutError(f"browser test exceeded {TEST_DEADLINE_SECONDS} s")


def on_term(signum, frame):
    raise SystemExit(143)


if __name__ == "__main__":
    signal.signal(signal.SIGALRM, on_deadline)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(TEST_DEADLINE_SECONDS)
    try:
        main()
    except AssertionError as error:
        step(f"FAILED: {error}")
        sys.exit(1)
