"""A municipal website's page with every embed included server-side, checked in headless
Chromium: axe-core finds no WCAG 2.0/2.1 A/AA violation, no request leaves the site's origin,
no cookie is set. Then a screenshot of the showcase page. Arguments: service base URL, admin
e-mail and password, path of axe.min.js, screenshot file."""

import http.server
import json
import sys
import threading
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

base, email, password, axe_path, screenshot = sys.argv[1:6]


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request) as answer:
        return answer.read().decode()


token = json.loads(call("POST", "/api/v1/auth/login", {"email": email, "password": password}))["access_token"]
# A published contact and one that is not, as a municipality would have them.
call("PATCH", "/api/v1/municipalities/unna", {"contacts": [
    {"name": "Petra Beispiel", "role": "Engagementbeauftragte", "email": "engagement@unna.example",
     "phone": "02303 103-0", "publish": ["name", "role", "email", "phone"]},
    {"name": "Interne Person", "email": "intern@unna.example", "publish": []},
]}, token)
meeting = json.loads(call("GET", "/api/v1/meetings?limit=1"))["items"][0]["id"]
document = json.loads(call("GET", "/api/v1/documents?limit=1&status=published"))["items"][0]["id"]

paths = [
    "/embed/v1/members.html",
    "/embed/v1/municipalities/unna.html",
    "/embed/v1/meetings.html",
    "/embed/v1/documents.html",
    f"/embed/v1/documents/{document}.html",
    f"/embed/v1/meetings/{meeting}.html",
    "/embed/v1/membership.svg",
]
widgets = "\n".join(call("GET", path) for path in paths)
css = call("GET", "/embed/v1/engagiert.css")
page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Stadt Musterstadt: Ehrenamt</title>
<style>{css}</style></head>
<body><header><h1>Ehrenamt in Musterstadt</h1></header><main>{widgets}</main></body></html>"""
assert "intern@unna.example" not in page, "an unpublished contact is in a widget"


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
threading.Thread(target=site.serve_forever, daemon=True).start()
site_url = f"http://127.0.0.1:{site.server_address[1]}/"

def audit(driver, axe_path, failures, what):
    """axe-core on the open page, WCAG 2.0/2.1 A and AA; violations go into `failures`."""
    with open(axe_path, encoding="utf-8") as axe:
        driver.execute_script(axe.read())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done({violations: r.violations, passes: r.passes.length}))"
        ".catch(e => done({error: String(e)}));"
    )
    if "error" in result:
        failures.append(f"{what}: axe failed: {result['error']}")
    for violation in result.get("violations", []):
        nodes = [node["target"] for node in violation["nodes"]][:5]
        failures.append(f"{what}: {violation['id']} ({violation['impact']}): {violation['help']} at {nodes}")
    return result


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,3000"):
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
failures = []
try:
    driver.get(site_url)
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    foreign = [url for url in requests if not url.startswith(site_url)]
    if foreign:
        failures.append(f"requests to other origins: {foreign}")
    if driver.get_cookies():
        failures.append(f"cookies: {driver.get_cookies()}")
    result = audit(driver, axe_path, failures, "test page")
    print(f"{len(paths)} widgets, {len(requests)} requests, all to the site; "
          f"axe: {result.get('passes', 0)} rules passed, {len(result.get('violations', []))} violated")
    driver.get(base + "/embed/")
    result = audit(driver, axe_path, failures, "showcase")
    print(f"showcase: axe: {result.get('passes', 0)} rules passed, {len(result.get('violations', []))} violated")
    driver.save_screenshot(screenshot)
    print(f"showcase screenshot: {screenshot}")
finally:
    driver.quit()
    site.shutdown()
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
