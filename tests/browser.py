"""Check a self-contained HTML page (the run report) in headless Chromium.

Test helper, not a test module. No browser-automation dependency: Chromium is
run twice as a plain command, once with --dump-dom (to read back what a small
probe script injected into a copy of the page found) and once with
--screenshot. Usage:

    require_chromium()                 # skip (fail when CI=true) without it
    check = check_page(out / "report.html", tmp_path)
    assert check.ok, check             # no errors, every <img> shown, not blank
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

TIMEOUT = 60  # seconds per Chromium call; a normal call takes about one

# Flags every call needs. Without the fresh profile and the network switches,
# Chromium tries to reach Google at start-up; the resolver rule also makes any
# external resource in the page fail at once (and so get reported) instead of
# loading on a networked machine or hanging on a firewalled one.
_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # Virtual time: waits for loading and runs the page's timers (up to 10 s
    # of them) at once, so results do not depend on how busy the machine is.
    "--virtual-time-budget=10000",
]

# Runs before anything else in the page. It must work in any page, so it is
# plain ES5, keeps to itself, and writes its result (base64 JSON, so no HTML
# escaping gets in the way) into a hidden <pre id="__probe">, which Python
# reads back from the dumped DOM. It rewrites that result after every later
# error, so errors thrown after 'load' (timers) are not missed. It is joined
# into one line so line numbers in error messages match the original page.
_PROBE = r"""<script>(function () {
  var errors = [], done = false, loaded = false;
  function text(x) {
    try { return x && x.stack ? String(x.stack).split('\n')[0] : String(x); }
    catch (e) { return '?'; }
  }
  /* Synchronous on purpose: --dump-dom does not wait for promises such as
     img.decode(), so an async report can miss the dump. */
  function report() {
    var imgs = Array.prototype.slice.call(document.images);
    var rendered = imgs.filter(function (i) {
      return i.complete && i.naturalWidth > 0; }).length;
    /* data: URIs never show up in Resource Timing: any entry is a fetch. */
    var fetched = performance.getEntriesByType('resource').map(function (e) {
      return 'external resource requested: ' + e.name.slice(0, 120); });
    var out = {loaded: loaded, title: document.title, images: imgs.length,
               rendered: rendered, errors: errors.concat(fetched)};
    var el = document.getElementById('__probe');
    if (!el) {
      el = document.createElement('pre');
      el.id = '__probe'; el.hidden = true;
      (document.body || document.documentElement).appendChild(el);
    }
    el.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(out))));
  }
  function later() { if (done) report(); }
  /* Capture phase: a failed <img>/<link>/<script> load fires 'error' on the
     element and does not bubble to window. */
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) {
      var src = String(t.currentSrc || t.src || t.href || '');
      errors.push('failed to load <' + t.tagName.toLowerCase() + '> ' +
                  src.slice(0, 80));
    } else {
      errors.push((e.message || 'error') + ' (' + (e.filename || '') + ':' +
                  (e.lineno || 0) + ')');
    }
    later();
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    errors.push('Uncaught (in promise) ' + text(e.reason)); later();
  });
  var original = console.error;
  console.error = function () {
    errors.push('console.error: ' +
                Array.prototype.map.call(arguments, text).join(' '));
    later();
    return original.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    loaded = true; done = true; report();
  });
  /* If 'load' never comes, still report before the virtual time runs out. */
  setTimeout(function () { if (!done) { done = true; report(); } }, 9000);
})();</script>"""
_PROBE = re.sub(r"\s*\n\s*", " ", _PROBE)

_RESULT = re.compile(r'<pre id="__probe"[^>]*>([A-Za-z0-9+/=\s]*)</pre>')
# Chromium's own log (dbus, GPU, sandbox, fontconfig, ...) is noise. Only page
# console lines count, and this build logs every console level as INFO, so
# only uncaught exceptions (and ERROR lines from builds that do tag the level)
# can be recognised there.
_CONSOLE = re.compile(
    r':(\w+):CONSOLE[^\]]*\] "(.*?)", source: (\S*) \(\d+\)$', re.M | re.S)


@dataclass
class PageCheck:
    images: int        # <img> elements in the page
    rendered: int      # of those, loaded and decoded with naturalWidth > 0
    errors: list[str]  # JS errors, console.error calls, failed loads
    title: str
    screenshot: Path   # PNG of the page, 1280 px wide
    blank: bool        # screenshot is one uniform colour

    @property
    def ok(self) -> bool:
        return not self.errors and self.rendered == self.images and not self.blank


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name) or shutil.which(name, path="/usr/bin")
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but no headless Chromium found (chromium, "
                    "chromium-browser or google-chrome); .ci/run installs it")
    pytest.skip("headless Chromium not installed (Debian: apt-get install "
                "chromium); the report is not checked in a browser")


def _chromium(args: list[str]) -> tuple[str, str]:
    """Run Chromium with a throw-away profile; return (stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [require_chromium(), *_FLAGS, f"--user-data-dir={profile}", *args]
        # Own process group: on a timeout, kill the renderer/GPU children too.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True)
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"Chromium did not finish within {TIMEOUT} s: {' '.join(args)}")
    if proc.returncode != 0:
        pytest.fail(f"Chromium exited with {proc.returncode}: {err[-2000:]}")
    return out, err


def _inject(page: str) -> str:
    """Put the probe first in <head> (or wherever the document starts)."""
    for tag in (r"<head\b[^>]*>", r"<html\b[^>]*>", r"<!doctype[^>]*>"):
        m = re.search(tag, page, re.I)
        if m:
            return page[: m.end()] + _PROBE + page[m.end():]
    return _PROBE + page


def _is_blank(png: Path) -> bool:
    from matplotlib.image import imread  # lazy: only browser tests need it

    px = imread(png)
    return bool((px == px[0, 0]).all())


def check_page(html: Path, workdir: Path) -> PageCheck:
    workdir.mkdir(parents=True, exist_ok=True)
    # Give a workdir other than the page's folder: then anything the page
    # pulls from next to itself fails to load, as it would once mailed around.
    page = workdir / f"probed-{html.name}"
    page.write_text(_inject(html.read_text(encoding="utf-8")), encoding="utf-8")
    url = page.resolve().as_uri()

    dom, log = _chromium(["--enable-logging=stderr", "--v=0", "--dump-dom", url])
    m = _RESULT.search(dom)
    if m:
        result = json.loads(base64.b64decode(m.group(1)).decode("utf-8"))
    else:
        result = {"loaded": False, "title": "", "images": 0, "rendered": 0,
                  "errors": ["probe result missing from the dumped DOM"]}
    errors = list(result["errors"])
    if not result["loaded"]:
        errors.append("page did not finish loading (no 'load' event)")
    for level, message, source in _CONSOLE.findall(log):
        if source.startswith(("chrome", "devtools")):
            continue
        if (level == "ERROR" or message.startswith("Uncaught")) and not any(
                message in e for e in errors):
            errors.append(f"{message} ({source})")

    shot = workdir / f"{page.stem}.png"
    _chromium([f"--screenshot={shot}", "--window-size=1280,2400",
               "--hide-scrollbars", url])
    if not shot.is_file():
        pytest.fail(f"Chromium wrote no screenshot to {shot}")
    return PageCheck(images=result["images"], rendered=result["rendered"],
                     errors=errors, title=result["title"], screenshot=shot,
                     blank=_is_blank(shot))
