/* Stands in for the Microsoft Store's python.exe alias in %LOCALAPPDATA%\Microsoft\WindowsApps:
   the real one prints this and exits 9009 when run with arguments. The installers must skip it. */
#include <stdio.h>
int main(void) {
    fputs("Python was not found; run without arguments to install from the Microsoft Store\n", stderr);
    return 9009;
}
