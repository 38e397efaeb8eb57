"""Headless Chromium (Debian's) for the browser tests: launched once per session, a fresh
context per test (tests/test_browser.py, `page`)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium manquant : make test installe le paquet Debian « chromium »"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # A page answered through page.route() counts as public: its websocket to
                # 127.0.0.1 would be refused as a request into the local network.
                "--disable-features=LocalNetworkAccessChecks",
            ],
        )
        yield browser
        browser.close()
