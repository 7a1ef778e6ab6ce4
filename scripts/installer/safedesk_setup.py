"""SafeDesk's installer, run by install.ps1, install.bat and install.sh with the Python they found.

The shell scripts only find a Python; every decision is made here, in one place that the tests
exercise directly: whether this Python and this machine can run the kit, checking the kit's
SHA256SUMS, a fresh private environment installed with `pip --require-hashes` from the kit's
wheels alone, the `safedesk` launcher on the user's PATH, a Start menu shortcut and an
uninstaller. No step needs administrator rights or the network.

    python safedesk_setup.py check [--kit DIR]      exit 0 if this Python can install the kit
    python safedesk_setup.py install [--kit DIR]
    python safedesk_setup.py uninstall              (copied into the app folder by install)

The program files go to %LOCALAPPDATA%\\Programs\\SafeDesk (~/.local/share/safedesk-app on macOS
and Linux); the records stay where SafeDesk keeps them (%LOCALAPPDATA%\\SafeDesk): installing and
uninstalling never touch them.

The shell scripts may find an old or odd Python, which must still be able to read this file and
say why it cannot be used: so nothing here needs syntax newer than Python 3.7 to be parsed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# Kept in step with the kit: the build writes a lock per target and Python in locks/.
OLDEST = (3, 11)
# Exit codes the shell scripts read: UNSUITABLE means "this Python ran us and said no".
OK, FAILED, UNSUITABLE = 0, 1, 3
APP_NAME = "SafeDesk"
# The Apps & features entry (per user, so no admin) and the Start menu shortcut's file name.
UNINSTALL_KEY = r"Software\Microsoft\Windows\CurrentVersion\Uninstall\SafeDesk"
SHORTCUT = "SafeDesk.lnk"
# The launcher and uninstaller are written in ASCII: %LOCALAPPDATA% is expanded by cmd at run
# time, so a user folder such as C:\Users\Jose-with-an-accent never passes through the console's
# code page (an ANSI or OEM encoded path in a .cmd breaks on those names).
WINDOWS_APP = r"%LOCALAPPDATA%\Programs\SafeDesk"
WINDOWS_LAUNCHER = (
    "@echo off\r\n"
    "rem SafeDesk launcher, written by the installer.\r\n"
    '"' + WINDOWS_APP + r'\venv\Scripts\safedesk.exe" %*' + "\r\n"
)
WINDOWS_UNINSTALLER = (
    "@echo off\r\n"
    "rem Removes SafeDesk's program files. Your records (the store) are left where they are.\r\n"
    "setlocal\r\n"
    'set "APP=' + WINDOWS_APP + '"\r\n'
    # Out of the folder being deleted: cmd cannot remove its own working folder.
    'cd /d "%TEMP%"\r\n'
    r'"%APP%\venv\Scripts\python.exe" "%APP%\safedesk_setup.py" uninstall || (pause & exit /b 1)' + "\r\n"
    "pause\r\n"
    # The folder holds this very file: "(goto)" ends the script's reading of itself first, so
    # removing it does not end in "The batch file cannot be found".
    '(goto) 2>nul & rmdir /s /q "%APP%"\r\n'
)
POSIX_UNINSTALLER = (
    "#!/bin/sh\n"
    "# Removes SafeDesk's program files. Your records (the store) are left where they are.\n"
    'app=$(cd "$(dirname "$0")" && pwd)\n'
    'exec "$app/venv/bin/python" "$app/safedesk_setup.py" uninstall\n'
)
STORE_PYTHON = (
    "This Python comes from the Microsoft Store. Windows keeps such apps' files in a private sandbox: "
    "SafeDesk's records would be written inside it, and resetting or removing that Python app would delete them. "
    "Install Python from python.org instead ('Install for me only' needs no administrator rights), or ask your "
    "IT team, then run this installer again."
)


class Refusal(Exception):
    """This Python or this machine cannot run the kit; the message says why and what to do."""


def target_name(system: str, machine: str, build_platform: str) -> str:
    """The kit's name for this machine ("windows-x64", ...), or Refusal saying why it has none.

    system is sys.platform, machine platform.machine(), build_platform sysconfig.get_platform()
    (on Windows the interpreter's own architecture, which is what its wheels must match).
    """
    if system == "win32":
        if build_platform == "win-amd64":
            return "windows-x64"
        if build_platform == "win-arm64":
            raise Refusal(
                "This is the ARM64 build of Python (Windows on ARM). The libraries SafeDesk uses for encryption are "
                "in the kit for 64-bit Intel/AMD (x64) Windows only. Install the 64-bit x64 Python from python.org "
                "(Windows on ARM runs it under emulation), then run this installer again."
            )
        raise Refusal(
            "This is the 32-bit build of Python. SafeDesk needs the 64-bit (x64) Python from python.org; "
            "install it, then run this installer again."
        )
    if system == "darwin":
        if machine == "arm64":
            return "macos-arm64"
        if machine == "x86_64":
            return "macos-x86_64"
    if system.startswith("linux") and machine == "x86_64":
        return "linux-x86_64"
    raise Refusal(
        f"This kit has SafeDesk for Windows x64, macOS (Apple silicon and Intel) and Linux x86_64; "
        f"this machine is {system} on {machine or 'an unknown processor'}."
    )


def is_store_python(prefix: str) -> bool:
    """True for a Microsoft Store Python, whose files live under ...\\WindowsApps\\."""
    return "windowsapps" in prefix.replace("/", "\\").lower().split("\\")


def lock_for(kit: Path, target: str, version: tuple[int, int]) -> Path:
    """The kit's hash-pinned requirements for this machine and Python, or Refusal if it has none."""
    lock = kit / "locks" / f"{target}-cp{version[0]}{version[1]}.txt"
    if lock.is_file():
        return lock
    have = sorted(
        (int(p.stem.rsplit("-cp3", 1)[1]), p) for p in (kit / "locks").glob(f"{target}-cp3*.txt") if p.stem[-2:].isdigit()
    )
    supported = ", ".join(f"3.{minor}" for minor, _ in have) or "none"
    raise Refusal(
        f"This is Python {version[0]}.{version[1]}. This kit has SafeDesk for Python {supported} on this machine: "
        f"install one of those from python.org (or ask your IT team), then run this installer again."
    )


def check(kit: Path) -> Path:
    """Everything that must hold before installing; returns the lock file to install from."""
    if sys.version_info[:2] < OLDEST:
        raise Refusal(
            f"SafeDesk needs Python 3.11 or newer; this is {platform.python_version()}. "
            "Install a newer Python from python.org (or ask your IT team), then run this installer again."
        )
    if sys.platform == "win32" and is_store_python(sys.base_prefix):
        raise Refusal(STORE_PYTHON)
    target = target_name(sys.platform, platform.machine(), sysconfig.get_platform())
    lock = lock_for(kit, target, (sys.version_info[0], sys.version_info[1]))
    try:
        import ensurepip  # noqa: F401  (only asked whether it is there)
        import venv  # noqa: F401
    except ImportError:
        raise Refusal(
            "This Python cannot make virtual environments (on Debian or Ubuntu the python3-venv package adds that). "
            "Ask your IT team to install it, then run this installer again."
        ) from None
    return lock


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_kit(kit: Path) -> str:
    """Check every file SHA256SUMS lists, and that no wheel is unlisted; returns SHA256SUMS's own hash.

    The wheels are checked again by pip (--require-hashes); this also covers the scripts and the
    locks. SHA256SUMS itself could be swapped along with them, so its hash is printed for the
    person installing to compare with the one the builder wrote down (README.txt says how).
    """
    sums = kit / "SHA256SUMS"
    if not sums.is_file():
        raise Refusal(f"{sums} is missing: this kit is incomplete. Copy the whole kit folder again.")
    listed: set[str] = set()
    bad: list[str] = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        listed.add(name)
        path = kit / name
        if not path.is_file() or sha256(path) != expected.lower():
            bad.append(name)
    extra = sorted(f"wheels/{p.name}" for p in (kit / "wheels").glob("*") if f"wheels/{p.name}" not in listed)
    if bad or extra:
        problems = [f"changed or missing: {name}" for name in bad] + [f"not part of the kit: {name}" for name in extra]
        raise Refusal(
            "This kit is not as it was built, so it is not installed:\n  "
            + "\n  ".join(problems)
            + "\nCopy the kit again from its source and check it (README.txt, 'Checking the kit')."
        )
    return sha256(sums)


def locked_wheels(kit: Path, lock: Path) -> None:
    """Check, before the old install is cleared, that every pin has a wheel in the kit with its hash.

    pip checks the same again while installing; by then the previous SafeDesk is gone, so a
    changed wheel found only then would leave the laptop with no working SafeDesk until a good kit.
    """
    wheels: dict[tuple[str, str], list[Path]] = {}
    for wheel in (kit / "wheels").glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        wheels.setdefault((_normalise(name), version), []).append(wheel)
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pin, *hashes = line.split()
        name, version = pin.split("==")
        allowed = {h.split(":", 1)[1] for h in hashes if h.startswith("--hash=sha256:")}
        if not any(sha256(w) in allowed for w in wheels.get((_normalise(name), version), [])):
            raise Refusal(
                f"This kit's wheel of {name} {version} is missing or not the one it was built with, so nothing was changed. "
                "Copy the kit again from its source."
            )


def _normalise(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def app_dir(environ: Mapping[str, str], system: str) -> Path:
    """Where the program files go: apart from the records, so removing one never touches the other."""
    if system == "win32":
        return Path(environ["LOCALAPPDATA"]) / "Programs" / APP_NAME
    data = environ.get("XDG_DATA_HOME") or str(Path(environ["HOME"]) / ".local" / "share")
    return Path(data) / "safedesk-app"


def venv_python(app: Path, system: str) -> Path:
    return app / "venv" / ("Scripts/python.exe" if system == "win32" else "bin/python")


def pip_install_command(python: Path, kit: Path, lock: Path) -> list[str]:
    """Install exactly what the lock names, from the kit only.

    --isolated ignores any pip configuration on the laptop (an index a school set up must not
    be asked); --require-hashes refuses any wheel whose hash is not in the lock, so a file
    dropped into wheels/ cannot replace SafeDesk or a library.
    """
    return [
        str(python),
        "-m",
        "pip",
        "install",
        "--isolated",
        "--disable-pip-version-check",
        "--no-input",
        "--no-cache-dir",
        "--no-index",
        "--find-links",
        str(kit / "wheels"),
        "--only-binary",
        ":all:",
        "--require-hashes",
        "--requirement",
        str(lock),
    ]


def run(command: list[str]) -> None:
    sys.stdout.flush()  # what this script said so far comes before the command's own output
    result = subprocess.run(command)
    if result.returncode != 0:
        raise Refusal(f"This step failed (exit code {result.returncode}): {' '.join(command)}")


def path_entries(value: str) -> list[str]:
    """A Windows PATH value's entries (";" on every system, so the tests run anywhere)."""
    return [entry for entry in value.split(";") if entry]


def _same_entry(expand: Callable[[str], str]) -> Callable[[str], str]:
    # One folder can be written %LOCALAPPDATA%\... or C:\Users\...\AppData\Local\..., any case, with or without "\".
    return lambda entry: expand(entry).lower().replace("/", "\\").rstrip("\\")


def path_with(value: str, entry: str, expand: Callable[[str], str] = os.path.expandvars) -> str | None:
    """The user PATH with entry appended, or None when it is already there (expanded or not)."""
    key = _same_entry(expand)
    if any(key(existing) == key(entry) for existing in path_entries(value)):
        return None
    return ";".join([*path_entries(value), entry])


def path_without(value: str, entry: str, expand: Callable[[str], str] = os.path.expandvars) -> str | None:
    """The user PATH without entry, or None when it was not there."""
    key = _same_entry(expand)
    kept = [existing for existing in path_entries(value) if key(existing) != key(entry)]
    return None if len(kept) == len(path_entries(value)) else ";".join(kept)


def _winreg() -> Any:
    # Imported when used: the module exists on Windows only, and the tests put a fake in its place.
    return importlib.import_module("winreg")


def update_user_path(entry: str, add: bool) -> bool:
    """Add or remove entry in the user's PATH (HKCU\\Environment: no admin); True if it changed.

    Stored unexpanded as REG_EXPAND_SZ (as Windows stores its own %USERPROFILE% entries), so the
    value stays ASCII whatever the user's name; then every program is told the environment
    changed, so a terminal opened next has the new PATH, whichever shell ran the installer.
    """
    winreg = _winreg()
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment", 0, winreg.KEY_READ | winreg.KEY_WRITE) as key:
        try:
            value, _kind = winreg.QueryValueEx(key, "Path")
        except FileNotFoundError:
            value = ""
        changed = path_with(value, entry) if add else path_without(value, entry)
        if changed is None:
            return False
        winreg.SetValueEx(key, "Path", 0, winreg.REG_EXPAND_SZ, changed)
    broadcast_environment_change()
    return True


def broadcast_environment_change() -> None:
    import ctypes

    hwnd_broadcast, wm_settingchange, smto_abortifhung = 0xFFFF, 0x001A, 0x0002
    result = ctypes.c_ulong()
    ctypes.windll.user32.SendMessageTimeoutW(  # type: ignore[attr-defined]
        hwnd_broadcast, wm_settingchange, 0, "Environment", smto_abortifhung, 5000, ctypes.byref(result)
    )


def windows_terminal(environ: Mapping[str, str]) -> Path | None:
    """wt.exe when Windows Terminal is installed (an app alias in the user's WindowsApps folder)."""
    alias = Path(environ.get("LOCALAPPDATA", "")) / "Microsoft" / "WindowsApps" / "wt.exe"
    found = shutil.which("wt.exe")
    return Path(found) if found else (alias if alias.exists() else None)


def shortcut_spec(app: Path, terminal: Path | None) -> tuple[str, str]:
    """The Start menu shortcut's target and arguments: in Windows Terminal where there is one."""
    exe = app / "venv" / "Scripts" / "safedesk.exe"
    if terminal is not None:
        return str(terminal), f'--title SafeDesk "{exe}"'
    return str(exe), ""


# The shortcut is made by Windows' own WScript.Shell object; paths go through the environment,
# never through the command line's quoting, so any character in them survives.
SHORTCUT_PS = (
    "$s = (New-Object -ComObject WScript.Shell).CreateShortcut($env:SAFEDESK_LNK); "
    "$s.TargetPath = $env:SAFEDESK_TARGET; $s.Arguments = $env:SAFEDESK_ARGS; "
    "$s.WorkingDirectory = $env:USERPROFILE; $s.Description = 'SafeDesk'; $s.Save()"
)


def start_menu_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ["APPDATA"]) / "Microsoft" / "Windows" / "Start Menu" / "Programs"


def make_shortcut(app: Path) -> bool:
    """True once the Start menu holds the shortcut: the installer only then says there is one.

    The file is looked for, not just PowerShell's exit code: a PowerShell that ran nothing (a
    stand-in, as Wine's is) exits 0 too.
    """
    target, arguments = shortcut_spec(app, windows_terminal(os.environ))
    link = start_menu_dir(os.environ) / SHORTCUT
    env = dict(os.environ, SAFEDESK_LNK=str(link), SAFEDESK_TARGET=target, SAFEDESK_ARGS=arguments)
    command = ["powershell", "-NoProfile", "-NonInteractive", "-Command", SHORTCUT_PS]
    try:
        ran = subprocess.run(command, env=env, capture_output=True).returncode == 0
    except OSError:  # PowerShell missing or blocked: the launcher still works
        return False
    return ran and link.is_file()


def register_uninstaller(app: Path, version: str) -> None:
    """The per-user Apps & features entry (HKCU, so no admin) that runs uninstall.cmd."""
    winreg = _winreg()
    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, UNINSTALL_KEY) as key:
        for name, value in (
            ("DisplayName", APP_NAME),
            ("DisplayVersion", version),
            ("Publisher", APP_NAME),
            ("InstallLocation", str(app)),
            ("UninstallString", f'"{app / "uninstall.cmd"}"'),
        ):
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)
        for name in ("NoModify", "NoRepair"):
            winreg.SetValueEx(key, name, 0, winreg.REG_DWORD, 1)


def installed_facts(python: Path) -> tuple[str, str]:
    """(`safedesk --version`, the records folder), asked of the installed app itself."""
    code = "from safedesk.cli.main import default_store_dir, version_line; print(version_line()); print(default_store_dir())"
    # A pipe from Python on Windows is in the ANSI code page unless told otherwise: the records
    # folder of a user named José would not decode as UTF-8 here (or, for a name outside that
    # code page, not print at all), so the child is told to write UTF-8.
    environ = dict(os.environ, PYTHONIOENCODING="utf-8")
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, encoding="utf-8", env=environ)
    if result.returncode != 0:
        raise Refusal("SafeDesk was installed but does not start:\n" + result.stderr[-2000:])
    version, records = result.stdout.strip().splitlines()[-2:]
    return version, records


def remove_old_layout(environ: Mapping[str, str], system: str) -> None:
    """Kits before this one put the program beside the records; move it out, records untouched.

    Only the old environment (a folder with pyvenv.cfg) and the old launcher folder go.
    """
    if system == "win32":
        old = Path(environ["LOCALAPPDATA"]) / APP_NAME
    else:
        old = Path(environ.get("XDG_DATA_HOME") or Path(environ["HOME"]) / ".local" / "share") / APP_NAME
    if (old / "venv" / "pyvenv.cfg").is_file():
        shutil.rmtree(old / "venv")
        print(f"Removed the old program files from {old / 'venv'} (your records there are untouched).")
    old_bin = old / "bin"
    if system == "win32" and old_bin.is_dir() and {p.name for p in old_bin.iterdir()} <= {"safedesk.cmd"}:
        shutil.rmtree(old_bin)
        update_user_path(str(old_bin), add=False)


def install(kit: Path) -> None:
    lock = check(kit)
    sums = verify_kit(kit)
    locked_wheels(kit, lock)
    print(f"Kit checked: every file matches SHA256SUMS (SHA256SUMS itself: {sums}).")
    system = sys.platform
    app = app_dir(os.environ, system)
    remove_old_layout(os.environ, system)
    app.mkdir(parents=True, exist_ok=True)
    # A fresh environment every run: the app is exactly this kit, whatever was there before.
    try:
        run([sys.executable, "-m", "venv", "--clear", str(app / "venv")])
    except Refusal:
        raise Refusal(f"Could not set up {app / 'venv'}. If SafeDesk is open, close it and run this installer again.") from None
    python = venv_python(app, system)
    try:
        run(pip_install_command(python, kit, lock))
    except Refusal as failed:
        raise Refusal(f"{failed}\nSafeDesk is not installed now; your records are untouched. Run the installer again.") from None
    shutil.copy2(Path(__file__), app / "safedesk_setup.py")
    version, records = installed_facts(python)
    if system == "win32":
        (app / "bin").mkdir(exist_ok=True)
        (app / "bin" / "safedesk.cmd").write_bytes(WINDOWS_LAUNCHER.encode("ascii"))
        (app / "uninstall.cmd").write_bytes(WINDOWS_UNINSTALLER.encode("ascii"))
        update_user_path(WINDOWS_APP + r"\bin", add=True)
        register_uninstaller(app, version.split()[1])
        shortcut = "a Start menu entry, SafeDesk, and " if make_shortcut(app) else ""
        print(f"\n{version} is installed in {app}.")
        print(f"Start it from {shortcut}by typing  safedesk  in a new terminal window.")
        print(rf"If your school blocks that, type:  {python} -m safedesk")
        print(f"To remove it: Settings > Apps > SafeDesk > Uninstall, or run {app / 'uninstall.cmd'}.")
    else:
        uninstaller = app / "uninstall.sh"
        uninstaller.write_text(POSIX_UNINSTALLER, encoding="utf-8")
        uninstaller.chmod(0o755)
        link = Path(os.environ["HOME"]) / ".local" / "bin" / "safedesk"
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(app / "venv" / "bin" / "safedesk")
        print(f"\n{version} is installed in {app}.")
        print(f"Start it by typing:  {link}")
        if str(link.parent) not in os.environ.get("PATH", "").split(os.pathsep):
            print(f"(Add {link.parent} to your PATH to type just: safedesk)")
        print(f"To remove it: sh {uninstaller}")
    print(f"Your records are kept in {records}; installing and uninstalling never change them.")


def uninstall() -> None:
    """Remove the launcher, PATH entry, shortcut and registration; on Windows uninstall.cmd then deletes the folder."""
    system = sys.platform
    app = app_dir(os.environ, system)
    _version, records = installed_facts(venv_python(app, system))
    if system == "win32":
        winreg = _winreg()
        update_user_path(WINDOWS_APP + r"\bin", add=False)
        (start_menu_dir(os.environ) / SHORTCUT).unlink(missing_ok=True)
        try:
            winreg.DeleteKey(winreg.HKEY_CURRENT_USER, UNINSTALL_KEY)
        except FileNotFoundError:
            pass
    else:
        link = Path(os.environ["HOME"]) / ".local" / "bin" / "safedesk"
        if link.is_symlink() and Path(os.readlink(link)).is_relative_to(app):
            link.unlink()
        # A running program's files can be unlinked on macOS and Linux, so this process can go too.
        shutil.rmtree(app)
    print(f"SafeDesk's program files are removed from {app}.")
    print(f"Your records are still in {records}. They stay encrypted; to use them, install SafeDesk again.")
    print("Delete that folder only if you are sure nobody needs those records (see your school's retention policy).")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Install or remove SafeDesk for this user.")
    parser.add_argument("action", choices=("check", "install", "uninstall"))
    parser.add_argument("--kit", type=Path, default=Path(__file__).resolve().parent.parent, help="the kit folder")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        # Redirected to a file on Windows (install.bat > log.txt) these are in the ANSI code page,
        # where a folder such as C:\Users\Łukasz cannot be written: escaped, not a crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        if args.action == "check":
            check(args.kit)
        elif args.action == "install":
            install(args.kit)
        else:
            uninstall()
    except Refusal as refusal:
        print(f"\n{refusal}", file=sys.stderr)
        return UNSUITABLE if args.action == "check" else FAILED
    return OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
