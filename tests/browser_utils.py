"""Helpers for the browser tests: start the app in a subprocess, drive Debian's chromium offline.

    with AppServer(data_dir) as server:
        page = new_page(browser); page.goto(server.url)
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    """`python app.py` on a free localhost port with BUDGETQA_DATA_DIR set; stopped on exit."""

    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> AppServer:
        env = {**os.environ, "BUDGETQA_DATA_DIR": str(self.data_dir), "GRADIO_ANALYTICS_ENABLED": "False",
               "PYTHONUNBUFFERED": "1", **self.extra_env}
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(self.port)], cwd=REPO,
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_up(timeout=300)
        return self

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"app exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise TimeoutError(f"app did not answer on {self.url} within {timeout:.0f}s:\n"
                           f"{self.log_path.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class OfflineGuard:
    """Blocks and records every request a page makes to anything but the local app."""

    blocked: list[str] = field(default_factory=list)

    def attach(self, context) -> None:  # type: ignore[no-untyped-def]
        def route(route) -> None:  # type: ignore[no-untyped-def]
            url = route.request.url
            if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort()

        context.route("**/*", route)


def launch_chromium(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_page(browser, guard: OfflineGuard):  # type: ignore[no-untyped-def]
    """A fresh browser session (own cookies, own Gradio session) in Chinese, with the offline guard."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    guard.attach(context)
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#question textarea")
    box.fill(question)
    page.locator("#ask").click()


def wait_text(page, selector: str, text: str, timeout: float = 120_000) -> str:  # type: ignore[no-untyped-def]
    """Wait until the element's visible text contains `text` (Gradio keeps hidden copies of some cells)."""
    page.wait_for_function("([sel, text]) => { const el = document.querySelector(sel);"
                           " return !!el && el.innerText.includes(text); }", arg=[selector, text], timeout=timeout)
    return page.locator(selector).inner_text()


def type_composed(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put `text` in at once, as a Chinese input method does when a word is composed: one input event
    with the whole string and no key events."""
    page.locator(selector).click()
    page.keyboard.insert_text(text)


def choose(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Open a Gradio dropdown and pick the first option whose label contains `text`."""
    page.locator(f"{selector} input").click()
    page.get_by_role("option", name=text, exact=False).first.click()


def dropdown_options(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The labels a Gradio dropdown offers (opened, read, closed again)."""
    page.locator(f"{selector} input").click()
    page.get_by_role("option").first.wait_for()
    labels = [re.sub(r"^✓\s*", "", option.inner_text()).strip() for option in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    return labels
