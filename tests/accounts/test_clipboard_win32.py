"""The Windows clipboard path, with fake user32/kernel32: the formats that keep a copied secret
out of clipboard history and cloud sync, and clearing only while the clipboard still holds it."""

from __future__ import annotations

import ctypes
from typing import Any

import pytest

from safedesk import clipboard_win32
from safedesk.clipboard_win32 import (
    CF_UNICODETEXT,
    EXCLUDE_FROM_MONITORS,
    NO_CLOUD,
    NO_HISTORY,
    ClipboardBusy,
    Win32Clipboard,
)
from safedesk.screens.accounts import secrets as secrets_ui


class FakeWindows:
    """user32 and kernel32 in one: real memory for GlobalLock, a clipboard of format -> bytes.

    As documented: after OpenClipboard(NULL), EmptyClipboard leaves no owner and SetClipboardData
    fails; no_windows makes CreateWindowExW fail and lets a copy with no owner through.
    """

    WINDOW = 0x5AFE

    def __init__(self, busy_opens: int = 0, no_windows: bool = False) -> None:
        self.busy_opens = busy_opens
        self.no_windows = no_windows
        self.opened_by: object = None
        self.owner: object = None
        self.windows: set[int] = set()
        self.calls: list[str] = []
        self.formats: dict[str, int] = {}
        self.clipboard: dict[int, bytes] = {}
        self.sequence_number = 100
        self.blocks: dict[int, ctypes.Array[ctypes.c_char]] = {}
        self.is_open = False

    # user32
    def CreateWindowExW(self, ex_style: int, cls: str, name: None, style: int, *rest: object) -> int:  # noqa: N802
        assert cls == "STATIC" and rest[4] == clipboard_win32.HWND_MESSAGE
        self.calls.append("window")
        if self.no_windows:
            return 0
        self.windows.add(self.WINDOW)
        return self.WINDOW

    def DestroyWindow(self, window: int) -> int:  # noqa: N802
        self.calls.append("destroy")
        self.windows.remove(window)
        return 1

    def OpenClipboard(self, owner: object) -> int:  # noqa: N802
        self.calls.append("open")
        if self.busy_opens:
            self.busy_opens -= 1
            return 0
        self.is_open = True
        self.opened_by = owner
        return 1

    def CloseClipboard(self) -> int:  # noqa: N802
        self.calls.append("close")
        self.is_open = False
        return 1

    def EmptyClipboard(self) -> int:  # noqa: N802
        assert self.is_open
        self.calls.append("empty")
        self.owner = self.opened_by
        self.clipboard.clear()
        self.sequence_number += 1
        return 1

    def RegisterClipboardFormatW(self, name: str) -> int:  # noqa: N802
        return self.formats.setdefault(name, 0xC000 + len(self.formats))

    def SetClipboardData(self, format_id: int, handle: int) -> int:  # noqa: N802
        assert self.is_open
        if self.owner is None and not self.no_windows:
            return 0
        self.clipboard[format_id] = bytes(self.blocks.pop(handle))
        self.sequence_number += 1
        return handle

    def GetClipboardSequenceNumber(self) -> int:  # noqa: N802
        return self.sequence_number

    # kernel32
    def GlobalAlloc(self, flags: int, size: int) -> int:  # noqa: N802
        block = ctypes.create_string_buffer(size)
        self.blocks[ctypes.addressof(block)] = block
        return ctypes.addressof(block)

    def GlobalLock(self, handle: int) -> int:  # noqa: N802
        return handle

    def GlobalUnlock(self, handle: int) -> int:  # noqa: N802
        return 0

    def GlobalFree(self, handle: int) -> None:  # noqa: N802
        self.blocks.pop(handle, None)

    def named(self, name: str) -> bytes:
        return self.clipboard[self.formats[name]]

    def someone_copies(self) -> None:
        self.clipboard = {CF_UNICODETEXT: "theirs\0".encode("utf-16-le")}
        self.sequence_number += 1


def test_a_copy_carries_the_formats_that_keep_it_out_of_history_and_sync() -> None:
    fake = FakeWindows()
    Win32Clipboard(fake, fake).copy("kettle-Secret4471-é")
    assert fake.clipboard[CF_UNICODETEXT] == "kettle-Secret4471-é\0".encode("utf-16-le")
    assert fake.named(NO_HISTORY) == b"\0\0\0\0" and fake.named(NO_CLOUD) == b"\0\0\0\0"
    assert EXCLUDE_FROM_MONITORS in fake.formats and fake.formats[EXCLUDE_FROM_MONITORS] in fake.clipboard
    # Opened by a window of its own, which goes once the clipboard is closed.
    assert fake.calls == ["window", "open", "empty", "close", "destroy"] and not fake.is_open
    assert fake.owner == FakeWindows.WINDOW and not fake.windows


def test_without_a_window_the_copy_is_tried_with_no_owner() -> None:
    fake = FakeWindows(no_windows=True)
    clipboard = Win32Clipboard(fake, fake)
    assert clipboard.clear_if(clipboard.copy("kettle")) is True
    assert fake.calls.count("open") == 2 and "destroy" not in fake.calls and fake.clipboard == {}


def test_clearing_empties_only_our_copy() -> None:
    fake = FakeWindows()
    clipboard = Win32Clipboard(fake, fake)
    ours = clipboard.copy("first secret")
    assert clipboard.clear_if(ours) is True and fake.clipboard == {}

    ours = clipboard.copy("second secret")
    fake.someone_copies()
    assert clipboard.clear_if(ours) is False
    assert fake.clipboard == {CF_UNICODETEXT: "theirs\0".encode("utf-16-le")}


def test_a_busy_clipboard_is_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clipboard_win32.time, "sleep", lambda seconds: None)
    fake = FakeWindows(busy_opens=3)
    Win32Clipboard(fake, fake).copy("x")
    assert fake.calls[:5] == ["window"] + ["open"] * 4 and CF_UNICODETEXT in fake.clipboard

    fake = FakeWindows(busy_opens=clipboard_win32.OPEN_ATTEMPTS)
    with pytest.raises(ClipboardBusy) as busy:
        Win32Clipboard(fake, fake).copy("the secret")
    assert "the secret" not in str(busy.value) and "close" not in fake.calls
    assert fake.calls[-1] == "destroy" and not fake.windows


def test_only_windows_uses_the_win32_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clipboard_win32.native_clipboard() is None  # these tests run on macOS and Linux
    sentinel = Win32Clipboard(FakeWindows(), FakeWindows())
    monkeypatch.setattr(clipboard_win32.sys, "platform", "win32")
    monkeypatch.setattr(Win32Clipboard, "system", classmethod(lambda cls: sentinel))
    assert clipboard_win32.native_clipboard() is sentinel


class FakeApp:
    """Enough of the Textual app for ClipboardGuard: a driver, a timer, the OSC 52 copy."""

    _driver = object()

    def __init__(self) -> None:
        self.osc52: list[str] = []
        self.clipboard = ""

    def copy_to_clipboard(self, text: str) -> None:
        self.osc52.append(text)
        self.clipboard = text

    def set_timer(self, delay: float, callback: Any, name: str = "") -> Any:
        class Timer:
            def stop(self) -> None:
                pass

        return Timer()

    @property
    def screen_change_signal(self) -> Any:
        class Signal:
            def subscribe(self, *args: object, **kwargs: object) -> None:
                pass

        return Signal()


def test_the_guard_copies_through_win32_on_windows_and_never_by_osc52(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeWindows()
    monkeypatch.setattr(secrets_ui, "native_clipboard", lambda: Win32Clipboard(fake, fake))
    app = FakeApp()
    guard = secrets_ui.ClipboardGuard(app)  # type: ignore[arg-type]
    guard.copy("kettle-Secret4471")
    assert guard.holding and app.osc52 == [] and NO_HISTORY in fake.formats
    guard.clear()
    assert fake.clipboard == {} and not guard.holding

    guard.copy("kettle-Secret4471")
    fake.someone_copies()
    assert not guard.holding
    guard.clear()  # a later copy by someone else stays
    assert CF_UNICODETEXT in fake.clipboard


def test_the_guard_falls_back_to_osc52_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets_ui, "native_clipboard", lambda: None)
    app = FakeApp()
    guard = secrets_ui.ClipboardGuard(app)  # type: ignore[arg-type]
    guard.copy("kettle-Secret4471")
    guard.clear()
    assert app.osc52 == ["kettle-Secret4471", secrets_ui.BLANK]
