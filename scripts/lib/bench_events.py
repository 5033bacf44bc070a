"""How long a step's transition takes to reach a browser: a real `colony up` (release binary,
unsecured bus on ipc, the HTTP API on a free port), a headless Chromium on the dashboard with an
EventSource on /api/v1/events recording, per event, the browser's clock minus the time the
engine stored the transition (same machine, same clock). Usage: bench_events.py COLONY [RUNS]."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

WORKFLOWS = """
workflows:
  - name: chain
    steps:
""" + "".join(f"      - {{id: s{i}, capability: echo, params: {{i: {i}}}{', depends_on: [s' + str(i - 1) + ']' if i else ''}}}\n" for i in range(5))


def main() -> None:
    colony, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40
    directory = tempfile.mkdtemp(prefix="colony-bench-events-")
    base = f"ipc://{directory}/bus"
    with open(f"{directory}/colony.yaml", "w") as config:
        config.write(f"broker: {{endpoint: {base}, publish_endpoint: {base}.pub, subscribe_endpoint: {base}.sub}}\n"
                     f"security: {{mode: none, keys: {directory}/keys}}\nhttp: {{endpoint: 127.0.0.1:0}}\n"
                     f"orchestrator: {{database: {directory}/colony.sqlite, workflows: [{directory}/workflows.yaml]}}\nlog: {{level: warning}}\n")
    with open(f"{directory}/workflows.yaml", "w") as file:
        file.write(WORKFLOWS)
    with open(f"{directory}/agents.yaml", "w") as file:
        file.write("agents:\n  - name: echo\n    run: echo\n    concurrency: 16\n")
    log = open(f"{directory}/up.log", "w+")
    up = subprocess.Popen([colony, "up", "--config", f"{directory}/colony.yaml", "--agents", f"{directory}/agents.yaml",
                           "--run-directory", f"{directory}/run"], stdout=log, stderr=subprocess.STDOUT,
                          env={**os.environ, "COLONY_EXIT_WITH_PARENT": "1"})
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    browser = None
    try:
        url = None
        for _ in range(600):
            log.seek(0)
            url = next((line.split(" dashboard ", 1)[1].strip() for line in log.read().splitlines() if " dashboard http://" in line), None)
            if url:
                break
            time.sleep(0.05)
        origin, token = url.split("/?token=")
        time.sleep(2)  # the echo agent connects
        browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        browser.get(url)
        browser.execute_script("""
            window.latencies = [];
            const source = new EventSource('/api/v1/events?topics=step.&token=' + encodeURIComponent(arguments[0]));
            for (const kind of ['step.dispatched', 'step.succeeded'])
                source.addEventListener(kind, e => { const d = JSON.parse(e.data); window.latencies.push(Date.now() - d.data.atMilliseconds); });
            window.ready = new Promise(resolve => source.onopen = resolve);
        """, token)
        browser.execute_async_script("window.ready.then(arguments[arguments.length - 1])")
        ids = []
        for _ in range(runs):
            request = urllib.request.Request(f"{origin}/api/v1/workflows/chain/runs", data=b"{}", method="POST",
                                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                ids.append(json.load(response)["id"])
            time.sleep(0.05)
        expected = runs * 5 * 2
        deadline = time.monotonic() + 120
        while browser.execute_script("return window.latencies.length") < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        latencies = sorted(browser.execute_script("return window.latencies"))
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(f"{len(latencies)} step events of {runs} runs reached the browser: p50 {p(0.5)} ms, p99 {p(0.99)} ms, max {latencies[-1]} ms "
              f"(browser clock − the engine's commit time)")
    finally:
        if browser:
            browser.quit()
        up.terminate()
        try:
            up.wait(20)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()


if __name__ == "__main__":
    main()
