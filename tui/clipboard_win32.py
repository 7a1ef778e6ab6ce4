"""Copying a secret on Windows through the Win32 clipboard, kept out of clipboard history and sync.

Textual copies with an OSC 52 request, which the classic console that "PowerShell" opens on
Windows 10 ignores, and which Windows Terminal hands to the ordinary clipboard, where Win+V's
history and the cloud clipboard keep a copy long after SafeDesk has cleared it. Here the text
goes straight to the clipboard with the formats password managers set (as KeePassXC does):
ExcludeClipboardContentFromMonitorProcessing, and CanIncludeInClipboardHistory and
CanUploadToCloudClipboard as a DWORD 0, which tell clipboard history, cloud sync and other
monitors to leave it alone. Clearing compares the clipboard's sequence number, so it empties
the clipboard only while it still holds SafeDesk's copy, never something copied since.

Each copy and clear opens the clipboard with a message-only window of its own, destroyed right
after: opened with no window, EmptyClipboard leaves the clipboard with no owner, and Microsoft
documents that SetClipboardData then fails (OpenClipboard's remarks, KB 92530). Where no window
can be made, the clipboard is opened without one, which most Windows versions accept.

No Textual import: the calls go through ctypes, with the DLLs passed in so tests use fakes.
"""

from __future__ import annotations

import ctypes
import sys
import time
from typing import Any

CF_UNICODETEXT = 13
GMEM_MOVEABLE = 0x0002
# Formats whose mere presence, or a DWORD 0, keeps the copy out of history, sync and monitors.
EXCLUDE_FROM_MONITORS = "ExcludeClipboardContentFromMonitorProcessing"
NO_HISTORY = "CanIncludeInClipboardHistory"
NO_CLOUD = "CanUploadToCloudClipboard"
DWORD_ZERO = (0).to_bytes(4, "little")
# Another program (a clipboard manager, Office) may hold the clipboard for a moment.
OPEN_ATTEMPTS = 10
OPEN_PAUSE = 0.02
# The parent that makes a window message-only: never shown, never sent broadcasts.
HWND_MESSAGE = -3


class ClipboardBusy(Exception):
    """The clipboard could not be opened or written; the message never holds the value."""


class Win32Clipboard:
    """The Windows clipboard through user32 and kernel32."""

    def __init__(self, user32: Any, kernel32: Any) -> None:
        self._user32 = user32
        self._kernel32 = kernel32

    @classmethod
    def system(cls) -> Win32Clipboard:
        """The real DLLs, with the handle-sized types ctypes would otherwise cut to 32 bits."""
        from ctypes import wintypes

        user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32.GlobalAlloc.argtypes = [wintypes.UINT, ctypes.c_size_t]
        kernel32.GlobalAlloc.restype = wintypes.HGLOBAL
        kernel32.GlobalLock.argtypes = [wintypes.HGLOBAL]
        kernel32.GlobalLock.restype = wintypes.LPVOID
        kernel32.GlobalUnlock.argtypes = [wintypes.HGLOBAL]
        kernel32.GlobalFree.argtypes = [wintypes.HGLOBAL]
        user32.CreateWindowExW.argtypes = [
            wintypes.DWORD, wintypes.LPCWSTR, wintypes.LPCWSTR, wintypes.DWORD, ctypes.c_int, ctypes.c_int,
            ctypes.c_int, ctypes.c_int, wintypes.HWND, wintypes.HMENU, wintypes.HINSTANCE, wintypes.LPVOID,
        ]  # fmt: skip
        user32.CreateWindowExW.restype = wintypes.HWND
        user32.DestroyWindow.argtypes = [wintypes.HWND]
        user32.OpenClipboard.argtypes = [wintypes.HWND]
        user32.SetClipboardData.argtypes = [wintypes.UINT, wintypes.HANDLE]
        user32.SetClipboardData.restype = wintypes.HANDLE
        user32.RegisterClipboardFormatW.argtypes = [wintypes.LPCWSTR]
        user32.RegisterClipboardFormatW.restype = wintypes.UINT
        user32.GetClipboardSequenceNumber.restype = wintypes.DWORD
        return cls(user32, kernel32)

    def sequence(self) -> int:
        """Windows' count of clipboard changes: unchanged means nobody has copied since."""
        return int(self._user32.GetClipboardSequenceNumber())

    def copy(self, text: str) -> int:
        """Put text on the clipboard, out of history and sync; returns the sequence number it got."""
        with self._opened():
            if not self._user32.EmptyClipboard():
                raise ClipboardBusy("Windows would not empty the clipboard")
            self._put(CF_UNICODETEXT, (text + "\0").encode("utf-16-le"))
            self._put(self._user32.RegisterClipboardFormatW(EXCLUDE_FROM_MONITORS), DWORD_ZERO)
            self._put(self._user32.RegisterClipboardFormatW(NO_HISTORY), DWORD_ZERO)
            self._put(self._user32.RegisterClipboardFormatW(NO_CLOUD), DWORD_ZERO)
        return self.sequence()

    def clear_if(self, sequence: int) -> bool:
        """Empty the clipboard if it still holds the copy that got `sequence`; True if it did."""
        if self.sequence() != sequence:
            return False
        with self._opened():
            self._user32.EmptyClipboard()
        return True

    def _put(self, format_id: int, data: bytes) -> None:
        handle = self._kernel32.GlobalAlloc(GMEM_MOVEABLE, len(data))
        if not handle:
            raise ClipboardBusy("Windows had no memory for the copy")
        pointer = self._kernel32.GlobalLock(handle)
        if not pointer:
            self._kernel32.GlobalFree(handle)
            raise ClipboardBusy("Windows had no memory for the copy")
        ctypes.memmove(pointer, data, len(data))
        self._kernel32.GlobalUnlock(handle)
        # On success the clipboard owns the memory; on failure it is still ours to free.
        if not self._user32.SetClipboardData(format_id, handle):
            self._kernel32.GlobalFree(handle)
            raise ClipboardBusy("Windows refused the copy")

    def _opened(self) -> _Open:
        return _Open(self._user32)


class _Open:
    """OpenClipboard ... CloseClipboard with a window of our own as the owner, retried briefly
    while another program holds the clipboard; the window goes when the clipboard is closed."""

    def __init__(self, user32: Any) -> None:
        self._user32 = user32
        self._window: int | None = None

    def __enter__(self) -> None:
        # A "STATIC" window needs no class of our own; no window (0) falls back to no owner.
        self._window = self._user32.CreateWindowExW(0, "STATIC", None, 0, 0, 0, 0, 0, HWND_MESSAGE, None, None, None) or None
        for _ in range(OPEN_ATTEMPTS):
            if self._user32.OpenClipboard(self._window):
                return
            time.sleep(OPEN_PAUSE)
        self._destroy()
        raise ClipboardBusy("another program is using the clipboard")

    def __exit__(self, *exc: object) -> None:
        self._user32.CloseClipboard()
        self._destroy()

    def _destroy(self) -> None:
        if self._window is not None:
            self._user32.DestroyWindow(self._window)
            self._window = None


def native_clipboard() -> Win32Clipboard | None:
    """The Win32 clipboard on Windows; None elsewhere (the terminal's OSC 52 copy is used there)."""
    return Win32Clipboard.system() if sys.platform == "win32" else None
