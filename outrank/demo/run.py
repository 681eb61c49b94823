"""`outrank demo`: the real pipeline, over HTTP, against a bundled site and simulated platforms on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from outrank import PLATFORMS
from outrank.config import DEFAULT_MODELS, PlatformConfig, Settings
from outrank.demo.scenario import DEMO_DOMAIN
from outrank.demo.simulator import SimulatorServer
from outrank.demo.site_server import SiteServer
from outrank.pipeline import Events
from outrank.service import start_scan

SIMULATED_KEY = "simulated-key-not-secret"


def demo_settings(base: Settings, simulator: SimulatorServer) -> Settings:
    urls = simulator.base_urls()
    platforms = {
        name: PlatformConfig(
            name=name,
            api_key=SIMULATED_KEY,
            model=DEFAULT_MODELS[name],
            base_url=urls[name],
            timeout=30.0,
            concurrency=4,
        )
        for name in PLATFORMS
    }
    # The bundled site is on loopback, so the private-address guard is lifted for this run only.
    # The sample site is our own server on loopback, so no politeness delay is owed to it.
    crawl = replace(base.crawl, delay=0.0)
    return base.with_overrides(platforms=platforms, allow_private=True, simulated=True, analyst="chatgpt", crawl=crawl)


def run_demo(base: Settings, *, email: str | None = None, events: Events | None = None) -> dict[str, Any]:
    site = SiteServer().start()
    simulator = SimulatorServer().start()
    try:
        settings = demo_settings(base, simulator)
        return start_scan(settings, site.url, domain=DEMO_DOMAIN, new=True, email=email, events=events)
    finally:
        simulator.stop()
        site.stop()
