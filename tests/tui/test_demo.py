"""The demo store: fictional, complete enough to train with, and verified."""

from __future__ import annotations

from safedesk.app import SafeDeskApp
from safedesk.screens.home import HomeScreen
from safedesk.store.demo.data import DEMO_SETTING, build_demo, open_demo
from safedesk.store.features import attention, build_report, verify_store
from safedesk.store.registry import ReportParams
from tests.kit import SIZE, record_notifications


def test_demo_store_has_every_feature_and_verifies(tmp_path):
    folder = tmp_path / "demo"
    build_demo(folder)
    with open_demo(folder) as session:
        assert session.setting().name == DEMO_SETTING and "DEMO" in DEMO_SETTING
        assert verify_store(session).ok
        areas = {item.area for item in attention(session)}
        assert {"incidents", "accounts", "consents"} <= areas
        for report in ("incident-log", "consent-register", "never-publish", "accounts", "audit"):
            assert build_report(session, report, ReportParams()).startswith("# ")


async def test_demo_opens_signed_in(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    build_demo(folder)
    app = SafeDeskApp(folder, start="demo")
    seen = record_notifications(app, monkeypatch)  # a toast expires: on a busy machine it could be gone before we look
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.session is not None
        assert any("fictional" in n for n in seen)
