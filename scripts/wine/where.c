/* where.exe for scripts/wine_smoke.py: Wine 8's own is a stub that finds nothing, and install.bat
   looks for py, python and python3 with it. Prints every NAME found in the current folder and
   on PATH (with PATHEXT's extensions when NAME has none), one full path a line, in the
   console's code page as the real one does; exit 1 when none is found. */
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

#define PATH_CHARS 32768

static int show(const wchar_t *dir, const wchar_t *name, const wchar_t *ext) {
    wchar_t path[MAX_PATH * 2];
    char bytes[MAX_PATH * 8];
    DWORD attributes, written;
    UINT page = GetConsoleOutputCP();
    int size;
    const wchar_t *slash = (*dir && dir[wcslen(dir) - 1] != L'\\') ? L"\\" : L"";

    swprintf(path, MAX_PATH * 2, L"%ls%ls%ls%ls", dir, slash, name, ext);
    attributes = GetFileAttributesW(path);
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY)) return 0;
    size = WideCharToMultiByte(page ? page : CP_ACP, 0, path, -1, bytes, sizeof bytes, NULL, NULL);
    if (size > 0) {
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), bytes, size - 1, &written, NULL);
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "\r\n", 2, &written, NULL);
    }
    return 1;
}

int wmain(int argc, wchar_t **argv) {
    static wchar_t path_var[PATH_CHARS], dirs[PATH_CHARS + MAX_PATH + 2], path_ext[4096], exts[4096], cwd[MAX_PATH];
    wchar_t expanded[MAX_PATH * 2];
    wchar_t *dir, *ext, *dir_state, *ext_state;
    int found = 0;

    if (!GetEnvironmentVariableW(L"PATHEXT", path_ext, 4096)) wcscpy(path_ext, L".COM;.EXE;.BAT;.CMD");
    GetEnvironmentVariableW(L"PATH", path_var, PATH_CHARS);
    GetCurrentDirectoryW(MAX_PATH, cwd);
    for (int i = 1; i < argc; i++) {
        swprintf(dirs, PATH_CHARS + MAX_PATH + 2, L"%ls;%ls", cwd, path_var);
        for (dir = wcstok_s(dirs, L";", &dir_state); dir; dir = wcstok_s(NULL, L";", &dir_state)) {
            ExpandEnvironmentStringsW(dir, expanded, MAX_PATH * 2);
            if (wcschr(argv[i], L'.')) {
                found += show(expanded, argv[i], L"");
                continue;
            }
            wcscpy(exts, path_ext);
            for (ext = wcstok_s(exts, L";", &ext_state); ext; ext = wcstok_s(NULL, L";", &ext_state))
                found += show(expanded, argv[i], ext);
        }
    }
    if (!found) {
        fputs("INFO: Could not find files for the given pattern(s).\n", stderr);
        return 1;
    }
    return 0;
}
