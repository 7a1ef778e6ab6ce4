/* ProcessPrng for scripts/wine_smoke.py: Wine 8 has no bcryptprimitives.dll, and Rust's standard
   library (in the cryptography and pyrage wheels) imports ProcessPrng from it. Windows 10 has it. */
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
