#!/usr/bin/env python3
"""Browser tests of the head-office web console (server/console/), in Debian's
headless Chromium driven through chromedriver's W3C WebDriver HTTP API.

A demo chain (data/demo.sh, into a temporary directory) is served by the real
mendian-server on 127.0.0.1; the tests log in, open the overview, find a
member, write off the demo's overdraft, edit a product's price and see it reach
branch B01 after its sync. Each saves a screenshot (1280x800) into OUTDIR,
next to the test log. Prints TAP; skips (exit 77) only if no browser exists.

  console-browser.py BUILD_DIR OUTDIR
Environment: MENDIAN_SERVER, MENDIAN_CLI (else BUILD_DIR's), MENDIAN_KEEP_TEST_DB.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
USER, PASSWORD = "boss", "demo-console"
WAIT_LIMIT = 60.0   # a condition not met by then is a failure, never a pass


def log(*a):
    print("#", *a, flush=True)


class WebDriver:
    def __init__(self, tmp):
        self.proc = subprocess.Popen([DRIVER, "--port=0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        port = None
        for line in self.proc.stdout:
            m = re.search(r"started successfully on port (\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            raise RuntimeError("chromedriver did not start")
        self.base = "http://127.0.0.1:%d" % port
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,800", "--lang=zh-CN", "--hide-scrollbars",
                         "--user-data-dir=" + os.path.join(tmp, "profile")],
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
            }}}}
        r = self.call("POST", "/session", caps)
        self.session = r["sessionId"] if "sessionId" in r else r["value"]["sessionId"]
        # screenshots of exactly 1280x800 CSS pixels, whatever the window
        self.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setDeviceMetricsOverride", "params": {
            "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}})

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as e:
            raise RuntimeError("WebDriver %s %s: %s" % (method, path, e.read().decode()[:500]))

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.session, path), body)["value"]

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def url(self):
        return self.s("GET", "/url")

    def find(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(el.values()))

    def find_all(self, css):
        return [next(iter(e.values())) for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def type(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            self.s("POST", "/element/%s/clear" % el)
        self.s("POST", "/element/%s/value" % el, {"text": text})

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css))

    def text(self, css="body"):
        return self.s("GET", "/element/%s/text" % self.find(css))

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def alert_text(self):
        try:
            return self.s("GET", "/alert/text")
        except RuntimeError:
            return None

    def accept_alert(self):
        self.s("POST", "/alert/accept")

    def wait(self, what, cond):
        """Waits for @cond (explicit synchronisation on the page's state)."""
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            try:
                if cond():
                    return
            except RuntimeError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.05)

    def loaded(self, path_part):
        self.wait("a page at " + path_part,
                  lambda: path_part in self.url() and self.js("return document.readyState") == "complete")

    def screenshot(self, path):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        log("screenshot", path)

    def quit(self):
        try:
            self.call("DELETE", "/session/%s" % self.session)
        finally:
            self.proc.terminate()
            self.proc.wait()


def main():
    build, outdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not (os.access(CHROMIUM, os.X_OK) and os.access(DRIVER, os.X_OK)):
        print("1..0 # SKIP no browser: install chromium and chromium-driver (./run does)")
        return 77
    server = os.environ.get("MENDIAN_SERVER", os.path.join(build, "server", "mendian-server"))
    cli = os.environ.get("MENDIAN_CLI", os.path.join(build, "client", "cli", "mendian-cli"))
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="mendian-console-browser-")
    demo = os.path.join(tmp, "demo")
    env = dict(os.environ, MENDIAN_DEMO_DIR=demo, MENDIAN_DEMO_BATCH="1", LANGUAGE="zh_CN",
               MENDIAN_LOCALEDIR=os.path.join(build, "locale"), LC_ALL="C.UTF-8")
    env.pop("MENDIAN_NOW", None)
    srv = wd = None
    results = []

    def check(name, fn):
        try:
            fn()
            results.append((True, name, ""))
        except Exception as e:   # a failed step fails its test, the others still run
            results.append((False, name, repr(e)))
            try:
                wd.screenshot(os.path.join(outdir, "console-FAILED-%s.png" % name.replace("/", "-")))
            except Exception:
                pass

    try:
        log("building the demo chain in", demo)
        subprocess.run([os.path.join(top, "data", "demo.sh"), build], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        chain = os.path.join(demo, "chain.db")
        srv = subprocess.Popen([server, "--db", chain, "serve", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "server.log"), "w"),
                               env=env, text=True)
        first = srv.stdout.readline().strip()
        if not first.startswith("listening on "):
            raise RuntimeError("mendian-server did not start: " + first)
        url = first[len("listening on "):]
        log("server at", url)
        # B01 links to this server (a new port) with a new token
        token = json.loads(subprocess.run([server, "--db", chain, "branch", "rotate", "--code", "B01"], env=env,
                                          check=True, text=True, stdout=subprocess.PIPE).stdout)["token"]
        subprocess.run([cli, "--db", os.path.join(demo, "b01.db"), "link", "--server", url, "--token-file", "-"],
                       env=env, check=True, text=True, input=token + "\n", stdout=subprocess.DEVNULL)
        wd = WebDriver(tmp)
        shot = lambda name: wd.screenshot(os.path.join(outdir, "console-%s.png" % name))

        def login():
            wd.get(url)
            wd.loaded("/console/login")
            assert "门店总部后台" in wd.text(), "the login page is in Chinese"
            shot("login")
            wd.type("input[name=name]", USER)
            wd.type("input[name=password]", PASSWORD)
            wd.click("button[type=submit]")
            wd.wait("the overview", lambda: wd.url().endswith("/console/") and "概览" in wd.text("h1"))

        def dashboard():
            wd.get(url + "console/")
            wd.loaded("/console/")
            body = wd.text()
            for words in ("今天", "本周", "本月", "销售额", "储值余额", "门店销售排名", "B01", "B02"):
                assert words in body, words + " on the overview"
            assert wd.find_all("svg.chart polyline"), "the 30-day chart"
            shot("dashboard")

        def member():
            wd.get(url + "console/members")
            wd.loaded("/console/members")
            wd.type("input[name=q]", "钱七")
            wd.click("form.search button")
            wd.wait("the search results", lambda: "q=" in wd.url() and wd.find_all("table a"))
            shot("members")
            wd.click("table a")
            wd.wait("the member page", lambda: "/console/members/" in wd.url() and "钱七" in wd.text("h1"))
            body = wd.text()
            assert "13900000002" in body and "冻结" in body, "the card, on hold"
            shot("member")

        def write_off():
            wd.get(url + "console/exceptions")
            wd.loaded("/console/exceptions")
            shot("exceptions")
            wd.click("a.button")
            wd.wait("the write-off page", lambda: re.search(r"/console/exceptions/\d+$", wd.url()) is not None)
            assert "¥42.00" in wd.text(), "the owed amount (152.00 spent of 100.00 + 10.00 bonus)"
            wd.type("input[name=reason]", "两店离线重复消费，总部核销")
            wd.click("input[name=confirm]")
            shot("write-off")
            wd.click("button.danger")
            wd.wait("the confirmation", lambda: wd.alert_text() is not None)
            assert "核销" in wd.alert_text()
            wd.accept_alert()
            wd.wait("the written-off notice", lambda: "已核销" in wd.text())
            assert "已结清" in wd.text(), "the exception is settled"
            shot("written-off")

        def price():
            wd.get(url + "console/master/product?key=COLA")
            wd.loaded("/console/master/product")
            wd.type("input[name=price]", "4.20")
            shot("product-edit")
            wd.click("form.grid button[type=submit]")
            wd.wait("the saved notice", lambda: "/console/master" in wd.url() and "已保存" in wd.text())
            assert "¥4.20" in wd.text()
            shot("master")
            subprocess.run([cli, "--db", os.path.join(demo, "b01.db"), "sync"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            out = subprocess.run([cli, "--db", os.path.join(demo, "b01.db"), "--staff", "1001", "exec"],
                                 env=dict(env, MENDIAN_PASSWORD="cashier-1001"), check=True, text=True,
                                 input='{"op":"product.search","query":"COLA","exact":true}\n',
                                 stdout=subprocess.PIPE).stdout
            found = json.loads(out.splitlines()[0])
            prices = [p["price_fen"] for p in found["products"] if p["sku"] == "COLA"]
            assert prices == [420], "B01 has the new price after its sync: %r" % prices

        def report():
            wd.get(url + "console/reports")
            wd.loaded("/console/reports")
            shot("reports")
            wd.click("a[href^='/console/reports/consumption?']")
            wd.wait("the report on the page", lambda: "/console/reports/consumption" in wd.url()
                    and wd.find_all("table.report tbody tr"))
            body = wd.text()
            assert "合计（全部行）" in body and "下载 Excel" in body, "totals and downloads on the page"
            assert wd.find_all("table.report tfoot"), "the totals row"
            shot("report")
            downloads = os.path.join(tmp, "downloads")
            os.makedirs(downloads, exist_ok=True)
            wd.s("POST", "/goog/cdp/execute", {"cmd": "Browser.setDownloadBehavior", "params": {
                "behavior": "allow", "downloadPath": downloads}})
            wd.click("button[name=format][value=xlsx]")

            def done():
                # The name may be there before the file is whole (Chromium can
                # reserve it with an empty file while NAME.crdownload fills):
                # done when no part is left and the file is a whole zip.
                names = os.listdir(downloads)
                if any(n.endswith(".crdownload") for n in names):
                    return []
                return [n for n in names if n.endswith(".xlsx") and zipfile.is_zipfile(os.path.join(downloads, n))]
            wd.wait("the xlsx download", done)
            path = os.path.join(downloads, done()[0])
            with open(path, "rb") as f:
                assert f.read(2) == b"PK", "an Excel file"
            with zipfile.ZipFile(path) as z:
                assert "xl/workbook.xml" in z.namelist(), "an Excel workbook"

        def stock():
            wd.get(url + "console/stock")
            wd.loaded("/console/stock")
            body = wd.text()
            for words in ("可口可乐", "在途调拨", "短缺", "短收", "B01", "B02"):
                assert words in body, words + " on the stock page"
            shot("stock")

        def messages():
            wd.get(url + "console/members?q=13800000001")
            wd.wait("the search results", lambda: wd.find_all("table a"))
            wd.click("table a")
            wd.wait("the member page", lambda: "/console/members/" in wd.url() and "张三" in wd.text("h1"))
            assert "周六下午还能预约洗剪吹吗？" in wd.text(), "the member's message"
            wd.type("textarea[name=text]", "可以的，周六 14:00 后有空位，欢迎光临。")
            wd.click("article.thread button[type=submit]")
            wd.wait("the reply", lambda: "回复已写入" in wd.text())
            assert "14:00 后有空位" in wd.text("article.thread")
            wd.js("document.querySelector('article.thread').scrollIntoView()")
            shot("member-messages")

        def sms():
            wd.get(url + "console/sms")
            wd.loaded("/console/sms")
            assert "发件箱" in wd.text() and "短信网关" in wd.text()
            wd.type("input[name=level]", "gold")
            wd.click("form.grid button[type=submit]")
            wd.wait("the preview", lambda: wd.find_all("#preview") and "/console/sms/preview" in wd.url())
            assert "张三" in wd.text("#preview"), "who gets it"
            wd.click("input[name=confirm]")
            shot("sms-preview")
            wd.click("#preview button.danger")
            wd.wait("the confirmation", lambda: wd.alert_text() is not None)
            wd.accept_alert()
            wd.wait("the sent notice", lambda: "已进入发件箱" in wd.text())
            assert "13800000001" in wd.text(), "the message in the outbox"
            shot("sms")

        def oplog():
            wd.get(url + "console/oplog?branch=B01")
            wd.loaded("/console/oplog")
            body = wd.text()
            assert "操作日志" in body and "B01" in body
            shot("oplog")

        def other_pages():
            for page, words in (("branches", "当前在线"), ("audit", "保存商品"), ("nope", "找不到")):
                wd.get(url + "console/" + page)
                wd.wait("page " + page, lambda: wd.js("return document.readyState") == "complete")
                assert words in wd.text(), "%s on %s" % (words, page)
                if page == "branches":
                    assert re.search(r"\b\d+\.\d+\.\d+\b", wd.text("table")), "the branches' versions"
                shot(page)

        check("console/login", login)
        check("console/dashboard", dashboard)
        check("console/member", member)
        check("console/write-off", write_off)
        check("console/price-reaches-branch", price)
        check("console/report-xlsx", report)
        check("console/stock", stock)
        check("console/member-messages", messages)
        check("console/sms-campaign", sms)
        check("console/oplog", oplog)
        check("console/other-pages", other_pages)
    finally:
        if wd:
            wd.quit()
        if srv:
            srv.terminate()
            srv.wait()
        if not os.environ.get("MENDIAN_KEEP_TEST_DB"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept", tmp)

    print("1..%d" % len(results))
    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d /%s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
