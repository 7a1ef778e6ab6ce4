"""The kit's installer: the decisions in safedesk_setup.py (Windows ones by monkeypatching), the
hash pins refusing any wheel not in the lock, and the shell scripts that only find a Python."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "scripts" / "installer"


def _load_setup() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("safedesk_setup", INSTALLER / "safedesk_setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


setup = _load_setup()


# --- which machines and Pythons -------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "machine", "build_platform", "target"),
    [
        ("win32", "AMD64", "win-amd64", "windows-x64"),
        # x64 Python on Windows on ARM runs under emulation and reports its own architecture.
        ("win32", "ARM64", "win-amd64", "windows-x64"),
        ("darwin", "arm64", "macosx-10.13-universal2", "macos-arm64"),
        ("darwin", "x86_64", "macosx-10.13-universal2", "macos-x86_64"),
        ("linux", "x86_64", "linux-x86_64", "linux-x86_64"),
    ],
)
def test_supported_machines_have_a_target(system: str, machine: str, build_platform: str, target: str) -> None:
    assert setup.target_name(system, machine, build_platform) == target


@pytest.mark.parametrize(
    ("system", "machine", "build_platform", "says"),
    [
        ("win32", "ARM64", "win-arm64", "Windows on ARM"),
        ("win32", "AMD64", "win32", "32-bit"),
        ("linux", "aarch64", "linux-aarch64", "linux on aarch64"),
        ("freebsd14", "amd64", "freebsd-14.1-amd64", "freebsd14 on amd64"),
    ],
)
def test_other_machines_are_refused_with_a_reason(system: str, machine: str, build_platform: str, says: str) -> None:
    with pytest.raises(setup.Refusal, match=says):
        setup.target_name(system, machine, build_platform)


def test_arm_python_is_told_to_use_the_x64_one() -> None:
    with pytest.raises(setup.Refusal) as refusal:
        setup.target_name("win32", "ARM64", "win-arm64")
    assert "x64" in str(refusal.value) and "emulation" in str(refusal.value)


@pytest.mark.parametrize(
    ("prefix", "store"),
    [
        (r"C:\Program Files\WindowsApps\PythonSoftwareFoundation.Python.3.13_3.13.2544.0_x64__qbz5n2kfra8p0", True),
        (r"C:\Users\José\AppData\Local\Microsoft\WindowsApps\PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0", True),
        (r"C:\Users\José\AppData\Local\Programs\Python\Python313", False),
        (r"C:\Program Files\Python314", False),
        ("/usr", False),
    ],
)
def test_store_python_is_recognised(prefix: str, store: bool) -> None:
    assert setup.is_store_python(prefix) is store


def _fake_sys(**overrides: Any) -> types.SimpleNamespace:
    values: dict[str, Any] = {
        "platform": "win32",
        "base_prefix": r"C:\Users\José\AppData\Local\Programs\Python\Python313",
        "version_info": (3, 13, 1, "final", 0),
        "executable": sys.executable,
        "stdout": sys.stdout,
        "stderr": sys.stderr,
    }
    values.update(overrides)
    return types.SimpleNamespace(**values)


def _kit(tmp_path: Path, *locks: str) -> Path:
    (tmp_path / "locks").mkdir(parents=True, exist_ok=True)
    for name in locks:
        (tmp_path / "locks" / name).write_text("")
    return tmp_path


def test_check_refuses_store_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = r"C:\Program Files\WindowsApps\PythonSoftwareFoundation.Python.3.13_3.13.2544.0_x64__qbz5n2kfra8p0"
    monkeypatch.setattr(setup, "sys", _fake_sys(base_prefix=store))
    with pytest.raises(setup.Refusal) as refusal:
        setup.check(_kit(tmp_path, "windows-x64-cp313.txt"))
    assert "Microsoft Store" in str(refusal.value) and "python.org" in str(refusal.value)


def test_check_picks_the_lock_for_this_machine_and_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(setup, "sys", _fake_sys())
    monkeypatch.setattr(setup.platform, "machine", lambda: "AMD64")
    monkeypatch.setattr(setup.sysconfig, "get_platform", lambda: "win-amd64")
    kit = _kit(tmp_path, "windows-x64-cp312.txt", "windows-x64-cp313.txt", "linux-x86_64-cp313.txt")
    assert setup.check(kit) == kit / "locks" / "windows-x64-cp313.txt"


def test_check_names_the_pythons_the_kit_has(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(setup, "sys", _fake_sys(version_info=(3, 16, 0, "final", 0)))
    monkeypatch.setattr(setup.platform, "machine", lambda: "AMD64")
    monkeypatch.setattr(setup.sysconfig, "get_platform", lambda: "win-amd64")
    kit = _kit(tmp_path, *(f"windows-x64-cp3{minor}.txt" for minor in (11, 12, 13, 14, 15)), "linux-x86_64-cp310.txt")
    with pytest.raises(
        setup.Refusal, match=r"Python 3\.16\. This kit has SafeDesk for Python 3\.11, 3\.12, 3\.13, 3\.14, 3\.15 "
    ):
        setup.check(kit)


def test_check_refuses_old_python_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(setup, "sys", _fake_sys(version_info=(3, 10, 12, "final", 0)))
    monkeypatch.setattr(setup.platform, "python_version", lambda: "3.10.12")
    with pytest.raises(setup.Refusal, match=r"needs Python 3\.11 or newer; this is 3\.10\.12"):
        setup.check(_kit(tmp_path, "windows-x64-cp313.txt"))


def test_check_exits_3_for_the_shell_scripts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    monkeypatch.setattr(setup, "sys", _fake_sys(version_info=(3, 9, 1, "final", 0)))
    assert setup.main(["check", "--kit", str(_kit(tmp_path))]) == setup.UNSUITABLE == 3
    assert "needs Python 3.11" in capsys.readouterr().err


# --- the kit's checksums and hash pins --------------------------------------------------------


def _wheel(folder: Path, name: str, version: str, payload: str = "") -> Path:
    """A minimal pure-Python wheel that pip installs."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{name}/__init__.py", f"VERSION = {version!r}\n{payload}")
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pinned_kit(tmp_path: Path) -> tuple[Path, Path]:
    kit = tmp_path / "kit"
    (kit / "wheels").mkdir(parents=True)
    (kit / "locks").mkdir()
    pinned = _wheel(kit / "wheels", "sdtoy", "0.1.0")
    lock = kit / "locks" / "linux-x86_64-cp311.txt"
    lock.write_text(f"sdtoy==0.1.0 --hash=sha256:{_sha(pinned)}\n")
    files = sorted(p for p in kit.rglob("*") if p.is_file())
    (kit / "SHA256SUMS").write_text("".join(f"{_sha(p)}  {p.relative_to(kit).as_posix()}\n" for p in files))
    return kit, lock


def _pip_install(tmp_path: Path, kit: Path, lock: Path) -> subprocess.CompletedProcess[str]:
    target = tmp_path / "site"
    command = setup.pip_install_command(Path(sys.executable), kit, lock) + ["--target", str(target)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_pip_installs_only_what_the_lock_pins(tmp_path: Path) -> None:
    kit, lock = _pinned_kit(tmp_path)
    # A higher version dropped into wheels/ (how a rebuilt 0.1.1 once replaced SafeDesk) is ignored.
    _wheel(kit / "wheels", "sdtoy", "9.9.9")
    result = _pip_install(tmp_path, kit, lock)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERSION = '0.1.0'" in (tmp_path / "site" / "sdtoy" / "__init__.py").read_text()


def test_pip_refuses_a_changed_wheel(tmp_path: Path) -> None:
    kit, lock = _pinned_kit(tmp_path)
    _wheel(kit / "wheels", "sdtoy", "0.1.0", payload="import os  # swapped in\n")
    result = _pip_install(tmp_path, kit, lock)
    assert result.returncode != 0
    assert "HASHES" in result.stderr and not (tmp_path / "site" / "sdtoy").exists()


def test_pip_runs_offline_from_the_kit_alone() -> None:
    command = setup.pip_install_command(Path("py"), Path("kit"), Path("kit/locks/x.txt"))
    for flag in ("--require-hashes", "--no-index", "--isolated", "--only-binary"):
        assert flag in command
    assert command[command.index("--find-links") + 1] == str(Path("kit") / "wheels")


def test_verify_kit_accepts_the_kit_as_built(tmp_path: Path) -> None:
    kit, _lock = _pinned_kit(tmp_path)
    assert setup.verify_kit(kit) == _sha(kit / "SHA256SUMS")


def test_verify_kit_refuses_a_changed_or_added_file(tmp_path: Path) -> None:
    kit, lock = _pinned_kit(tmp_path)
    lock.write_text(lock.read_text() + "sdtoy==9.9.9 --hash=sha256:" + "0" * 64 + "\n")
    _wheel(kit / "wheels", "sdtoy", "9.9.9")
    with pytest.raises(setup.Refusal) as refusal:
        setup.verify_kit(kit)
    assert "changed or missing: locks/linux-x86_64-cp311.txt" in str(refusal.value)
    assert "not part of the kit: wheels/sdtoy-9.9.9-py3-none-any.whl" in str(refusal.value)


def test_a_changed_wheel_is_found_before_anything_is_removed(tmp_path: Path) -> None:
    kit, lock = _pinned_kit(tmp_path)
    setup.locked_wheels(kit, lock)
    _wheel(kit / "wheels", "sdtoy", "0.1.0", payload="import os  # swapped in\n")
    with pytest.raises(setup.Refusal, match="sdtoy 0.1.0 is missing or not the one it was built with, so nothing was changed"):
        setup.locked_wheels(kit, lock)


def test_install_checks_the_wheels_before_clearing_the_old_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kit, lock = _pinned_kit(tmp_path)
    _wheel(kit / "wheels", "sdtoy", "0.1.0", payload="import os  # swapped in\n")
    monkeypatch.setattr(setup, "check", lambda kit_dir: lock)
    monkeypatch.setattr(setup, "verify_kit", lambda kit_dir: "sums")
    monkeypatch.setattr(setup, "run", lambda command: pytest.fail(f"ran {command[:4]}"))
    monkeypatch.setattr(setup, "remove_old_layout", lambda environ, system: pytest.fail("old layout touched"))
    with pytest.raises(setup.Refusal, match="nothing was changed"):
        setup.install(kit)


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils' sha256sum")
def test_sha256sum_reads_the_same_file(tmp_path: Path) -> None:
    kit, _lock = _pinned_kit(tmp_path)
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=kit, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.count(": OK") == 2, result.stdout + result.stderr


# --- Windows: folders, launcher, PATH, uninstaller -------------------------------------------


def _expand(localappdata: str) -> Any:
    return lambda value: value.replace("%LOCALAPPDATA%", localappdata)


def test_a_path_outside_the_output_code_page_is_escaped_not_a_crash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # install.bat > log.txt on Windows: stdout and stderr in cp1252, which has no "Ł".
    kit = tmp_path / "Łukasz" / "kit"
    _kit(
        kit,
        f"{setup.target_name(sys.platform, platform.machine(), sysconfig.get_platform())}-cp{sys.version_info[0]}{sys.version_info[1]}.txt",
    )
    err = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="cp1252"))
    monkeypatch.setattr(sys, "stderr", err)
    assert setup.main(["install", "--kit", str(kit)]) == setup.FAILED  # no SHA256SUMS: refused, by name
    err.seek(0)
    assert "\\u0141ukasz" in err.read()


def test_app_and_records_are_separate_folders() -> None:
    local = r"C:\Users\José\AppData\Local"
    app = setup.app_dir({"LOCALAPPDATA": local}, "win32")
    assert str(app).replace("/", "\\").endswith(r"AppData\Local\Programs\SafeDesk")
    # The records live in %LOCALAPPDATA%\SafeDesk (platformdirs), which is not inside the app.
    assert "Programs" in app.parts and app.name == "SafeDesk"
    home = {"HOME": "/home/ana"}
    assert setup.app_dir(home, "linux") == Path("/home/ana/.local/share/safedesk-app")


def test_installed_facts_read_a_records_folder_with_an_accent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Found under Wine: on Windows a Python writing to a pipe uses the ANSI code page, so the
    # records folder of C:\Users\José came back as bytes that are not UTF-8 and the installer
    # crashed after installing. PYTHONIOENCODING=latin-1 makes this machine's child do the same.
    monkeypatch.setenv("PYTHONIOENCODING", "latin-1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "José"))
    version, records = setup.installed_facts(Path(sys.executable))
    assert version.startswith("safedesk ")
    assert records == str(tmp_path / "José" / "SafeDesk" / "store")


def test_launcher_and_uninstaller_are_ascii_and_name_the_app_folder() -> None:
    local = r"C:\Users\José\AppData\Local"
    for text in (setup.WINDOWS_LAUNCHER, setup.WINDOWS_UNINSTALLER):
        assert text.isascii()
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert _expand(local)(setup.WINDOWS_APP) == local + r"\Programs\SafeDesk"
    assert r'"%LOCALAPPDATA%\Programs\SafeDesk\venv\Scripts\safedesk.exe" %*' in setup.WINDOWS_LAUNCHER


def test_uninstaller_tidies_up_before_deleting_the_app_folder_only() -> None:
    lines = setup.WINDOWS_UNINSTALLER.splitlines()
    steps = [i for i, line in enumerate(lines) if "uninstall" in line and "python.exe" in line]
    removal = [i for i, line in enumerate(lines) if "rmdir" in line]
    assert steps and removal and steps[0] < removal[0] == len(lines) - 1
    assert lines[removal[0]].endswith('rmdir /s /q "%APP%"') and 'set "APP=%LOCALAPPDATA%\\Programs\\SafeDesk"' in lines
    assert any(line.startswith('cd /d "%TEMP%"') for line in lines[: removal[0]])


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", r"%LOCALAPPDATA%\Programs\SafeDesk\bin"),
        (r"C:\Tools;%USERPROFILE%\bin", r"C:\Tools;%USERPROFILE%\bin;%LOCALAPPDATA%\Programs\SafeDesk\bin"),
        (r"C:\Tools;%LOCALAPPDATA%\Programs\SafeDesk\bin", None),
        # Already there, written out in full, in another case, with a trailing backslash.
        (r"C:\Tools;c:\users\josé\appdata\local\programs\safedesk\BIN\;", None),
    ],
)
def test_path_gains_the_launcher_folder_once(existing: str, expected: str | None) -> None:
    expand = _expand(r"C:\Users\José\AppData\Local")
    assert setup.path_with(existing, setup.WINDOWS_APP + r"\bin", expand) == expected


def test_path_loses_only_the_launcher_folder() -> None:
    expand = _expand(r"C:\Users\José\AppData\Local")
    value = r"C:\Tools;C:\Users\José\AppData\Local\Programs\SafeDesk\bin;D:\x"
    assert setup.path_without(value, setup.WINDOWS_APP + r"\bin", expand) == r"C:\Tools;D:\x"
    assert setup.path_without(r"C:\Tools", setup.WINDOWS_APP + r"\bin", expand) is None


class FakeRegistry(types.ModuleType):
    """Just enough of winreg for HKCU\\Environment and the uninstall key."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_READ, KEY_WRITE = 1, 2
    REG_SZ, REG_EXPAND_SZ, REG_DWORD = 1, 2, 4

    def __init__(self) -> None:
        super().__init__("winreg")
        self.keys: dict[str, dict[str, tuple[object, int]]] = {}

    class _Key:
        def __init__(self, values: dict[str, tuple[object, int]]) -> None:
            self.values = values

        def __enter__(self) -> FakeRegistry._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, path: str, reserved: int = 0, access: int = 0) -> FakeRegistry._Key:  # noqa: N802
        return self._Key(self.keys.setdefault(path, {}))

    CreateKey = OpenKey  # noqa: N815

    def QueryValueEx(self, key: FakeRegistry._Key, name: str) -> tuple[object, int]:  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name]

    def SetValueEx(self, key: FakeRegistry._Key, name: str, reserved: int, kind: int, value: object) -> None:  # noqa: N802
        key.values[name] = (value, kind)

    def DeleteKey(self, root: str, path: str) -> None:  # noqa: N802
        del self.keys[path]


def test_user_path_is_written_unexpanded_and_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = FakeRegistry()
    registry.keys["Environment"] = {"Path": (r"C:\Tools", registry.REG_SZ)}
    monkeypatch.setitem(sys.modules, "winreg", registry)
    announced: list[bool] = []
    monkeypatch.setattr(setup, "broadcast_environment_change", lambda: announced.append(True))
    entry = setup.WINDOWS_APP + r"\bin"

    assert setup.update_user_path(entry, add=True) is True
    assert registry.keys["Environment"]["Path"] == (r"C:\Tools;" + entry, registry.REG_EXPAND_SZ)
    assert setup.update_user_path(entry, add=True) is False
    assert setup.update_user_path(entry, add=False) is True
    assert registry.keys["Environment"]["Path"][0] == r"C:\Tools"
    assert announced == [True, True]


def test_apps_and_features_entry_runs_the_uninstaller(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = FakeRegistry()
    monkeypatch.setitem(sys.modules, "winreg", registry)
    app = Path(r"C:\Users\José\AppData\Local\Programs\SafeDesk")
    setup.register_uninstaller(app, "0.1.1.dev40+gabc")
    values = registry.keys[setup.UNINSTALL_KEY]
    assert values["UninstallString"][0] == f'"{app / "uninstall.cmd"}"'
    assert values["DisplayVersion"][0] == "0.1.1.dev40+gabc"
    assert setup.UNINSTALL_KEY.startswith("Software\\")  # under HKEY_CURRENT_USER: no admin


def test_shortcut_opens_windows_terminal_where_there_is_one() -> None:
    app = Path(r"C:\Users\José\AppData\Local\Programs\SafeDesk")
    exe = str(app / "venv" / "Scripts" / "safedesk.exe")
    wt = Path(r"C:\Users\José\AppData\Local\Microsoft\WindowsApps\wt.exe")
    assert setup.shortcut_spec(app, wt) == (str(wt), f'--title SafeDesk "{exe}"')
    assert setup.shortcut_spec(app, None) == (exe, "")
    # Paths reach PowerShell through the environment, never through its quoting.
    assert "$env:SAFEDESK_TARGET" in setup.SHORTCUT_PS and "{" not in setup.SHORTCUT_PS


@pytest.mark.parametrize(("writes", "code", "made"), [(True, 0, True), (False, 0, False), (True, 1, False)])
def test_shortcut_is_reported_only_when_the_file_is_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, writes: bool, code: int, made: bool
) -> None:
    # Found under Wine: its PowerShell is a stand-in that does nothing and exits 0, and the
    # installer then announced a Start menu entry that did not exist.
    monkeypatch.setenv("APPDATA", str(tmp_path))
    menu = tmp_path / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    menu.mkdir(parents=True)

    def powershell(command: list[str], env: dict[str, str], capture_output: bool) -> Any:
        assert command[0] == "powershell" and env["SAFEDESK_LNK"] == str(menu / "SafeDesk.lnk")
        if writes:
            Path(env["SAFEDESK_LNK"]).write_bytes(b"L")
        return types.SimpleNamespace(returncode=code)

    monkeypatch.setattr(setup.subprocess, "run", powershell)
    assert setup.make_shortcut(tmp_path / "app") is made


def test_old_layout_program_goes_and_records_stay(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = tmp_path / "SafeDesk"
    (old / "venv").mkdir(parents=True)
    (old / "venv" / "pyvenv.cfg").write_text("home = x\n")
    (old / "bin").mkdir()
    (old / "bin" / "safedesk.cmd").write_text("@echo off\n")
    (old / "store").mkdir()
    (old / "store" / "safedesk.store").write_bytes(b"records")
    removed: list[str] = []
    monkeypatch.setattr(setup, "update_user_path", lambda entry, add: removed.append(entry) or True)

    setup.remove_old_layout({"LOCALAPPDATA": str(tmp_path)}, "win32")

    assert sorted(p.name for p in old.iterdir()) == ["store"]
    assert (old / "store" / "safedesk.store").read_bytes() == b"records"
    assert removed == [str(old / "bin")]


def test_old_layout_bin_with_other_files_is_left(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = tmp_path / "SafeDesk"
    (old / "bin").mkdir(parents=True)
    (old / "bin" / "safedesk.cmd").write_text("")
    (old / "bin" / "notes.txt").write_text("mine")
    monkeypatch.setattr(setup, "update_user_path", lambda entry, add: pytest.fail("PATH changed"))
    setup.remove_old_layout({"LOCALAPPDATA": str(tmp_path)}, "win32")
    assert (old / "bin" / "notes.txt").exists()


# --- the shell scripts -----------------------------------------------------------------------


def test_powershell_probes_only_with_a_local_continue() -> None:
    text = (INSTALLER / "install.ps1").read_text(encoding="utf-8")
    # Windows PowerShell 5.1 reads a file without a BOM in the ANSI code page.
    assert text.isascii()
    probe = re.search(r"function Invoke-Probe.*?\n\}", text, re.S)
    assert probe and "$ErrorActionPreference = 'Continue'" in probe.group(0)
    # Every command whose stderr is thrown away runs inside the probe, not under the script's 'Stop'.
    outside = text.replace(probe.group(0), "")
    assert "2>$null" not in outside and "$ErrorActionPreference = 'Stop'" in outside


def test_powershell_looks_for_python_in_order_and_skips_the_store_stub() -> None:
    text = (INSTALLER / "install.ps1").read_text(encoding="utf-8")
    order = [text.index(s) for s in ("'-3.14', '-3.13', '-3.12', '-3.11'", "@('python', 'python3')", "@('-3')")]
    assert order == sorted(order)
    assert "-like '*\\WindowsApps\\*'" in text and "Microsoft Store" in text
    assert "$setup install" in text and "$setup check" in text


def test_powershell_asks_only_a_python_that_ran_the_check_to_explain() -> None:
    # 'py -3.14' on a laptop without 3.14 exits non-zero with the launcher's own "no such
    # runtime": kept as $first, it was re-run instead of the Python that could say why it
    # cannot be used (install.bat never took those probes as FIRST).
    text = (INSTALLER / "install.ps1").read_text(encoding="utf-8")
    additions = re.findall(r"\$candidates \+= , @\((.*)\)", text)
    assert additions == ["'py', @($v), $false", "$found.Source, @(), $true", "'py', @('-3'), $true"]
    assert "if ($code -ge 0 -and $c[2] -and -not $first) { $first = $c }" in text


def test_cmd_installer_needs_no_powershell_and_skips_the_store_stub() -> None:
    text = (INSTALLER / "install.bat").read_text(encoding="utf-8")
    commands = [line for line in text.splitlines() if not line.lstrip().lower().startswith("rem ")]
    assert text.isascii() and not [line for line in commands if "powershell" in line.lower()]
    order = [text.index(s) for s in ("for %%V in (3.14 3.13 3.12 3.11)", "where python python3", 'set "FIRST=py -3"')]
    assert order == sorted(order)
    # The Store's folder is cut out of the path to compare, not searched with findstr, whose
    # /c:"\\WindowsApps\\" ends in \\" (an escaped quote to findstr) and so never matched.
    assert 'set "OUTSIDE=%CANDIDATE:\\WindowsApps\\=%"' in text
    assert not [line for line in commands if "findstr" in line]
    assert '%CHOSEN% "%SETUP%" install' in text
    # Every exit code is read with "if errorlevel" on its own line: Wine's cmd runs the right
    # side of "&&" whatever the left side returned, and scripts/wine_smoke.py runs this file there.
    assert not [line for line in commands if "&&" in line]


def _fake_python(folder: Path, name: str, check_code: int) -> None:
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "{name} $2" >> "$CALLS"\n[ "$2" = check ] && exit {check_code}\nexit 0\n')
    script.chmod(0o755)


@pytest.mark.skipif(os.name == "nt", reason="install.sh is the macOS/Linux installer")
@pytest.mark.parametrize(
    ("pythons", "calls", "code"),
    [
        # 3.14 says no (say, no lock for it): 3.13 installs.
        ({"python3.14": 3, "python3.13": 0, "python3": 0}, ["python3.14 check", "python3.13 check", "python3.13 install"], 0),
        # Nothing suitable: the first one found explains why, where it can be read.
        ({"python3.12": 3, "python3": 3}, ["python3.12 check", "python3 check", "python3.12 check"], 1),
        ({}, [], 1),
    ],
)
def test_install_sh_uses_the_first_python_that_passes_the_check(
    tmp_path: Path, pythons: dict[str, int], calls: list[str], code: int
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, check_code in pythons.items():
        _fake_python(bin_dir, name, check_code)
    # The fakes and dirname only on PATH, so no real Python on this machine takes part.
    (bin_dir / "dirname").symlink_to(shutil.which("dirname") or "/usr/bin/dirname")
    env = {"PATH": str(bin_dir), "CALLS": str(tmp_path / "calls"), "HOME": str(tmp_path)}
    result = subprocess.run(["/bin/sh", str(INSTALLER / "install.sh")], env=env, capture_output=True, text=True, timeout=60)
    recorded = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    assert result.returncode == code, result.stderr
    assert recorded == calls
