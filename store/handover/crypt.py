"""Age passphrase encryption for handover files, run in a child process.

pyrage's passphrase mode derives its key with scrypt (about two seconds by
design) and holds the GIL while it does, so in a thread it would freeze the
app's screen. The app therefore runs it as a filter in a child process:

    python -m safedesk.store.handover.crypt encrypt|decrypt

    stdin:  u32 big-endian length | passphrase (UTF-8) | payload
    stdout: the ciphertext (encrypt) or the plaintext (decrypt)
    exit:   0 done, 3 wrong passphrase, 5 damaged, 2 bad request

The child touches no files: the parent reads and writes them, so it can write
atomically and report file errors in SafeDesk's words. Plaintext only ever
travels through the pipe, never through a temporary file.
"""

from __future__ import annotations

import base64
import os
import struct
import subprocess
import sys
import unicodedata

from safedesk.store.errors import InvalidInput, SafeDeskError

AGE_MAGIC = b"age-encryption.org/v1\n"
ARMOR_MAGIC = b"-----BEGIN AGE ENCRYPTED FILE-----"
# age picks the work factor that takes about a second where the file is made (18 on a
# typical laptop); 2^20 is already far past that. Checked before spawning anything, so a
# hostile header cannot cost gigabytes of memory and minutes before the passphrase is tried.
MAX_WORK_FACTOR = 20
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
_U32 = struct.Struct(">I")

EXIT_OK = 0
EXIT_REQUEST = 2
EXIT_WRONG_PASSPHRASE = 3
EXIT_DAMAGED = 5


class HandoverFileError(InvalidInput):
    """A handover file that cannot be opened: not age, wrong passphrase, damaged."""


def normalise(passphrase: str) -> str:
    """The passphrase as age will see it: NFC, so the same words typed on any system match."""
    return unicodedata.normalize("NFC", passphrase)


# --------------------------------------------------------------------- parent side


def encrypt(plaintext: bytes, passphrase: str) -> bytes:
    """The age file (binary format, one scrypt passphrase recipient) for `plaintext`."""
    return _run("encrypt", passphrase, plaintext)


def decrypt(ciphertext: bytes, passphrase: str) -> bytes:
    """The plaintext of an age passphrase file, or HandoverFileError with one clear sentence."""
    check_header(ciphertext)
    return _run("decrypt", passphrase, ciphertext)


def check_header(ciphertext: bytes) -> None:
    """Refuse files that are not age, not passphrase-encrypted, or ask for absurd work."""
    if ciphertext.lstrip().startswith(ARMOR_MAGIC):
        ciphertext = _dearmor_head(ciphertext.lstrip())
    if not ciphertext.startswith(AGE_MAGIC):
        raise HandoverFileError("That file is not a SafeDesk handover (it is not an age-encrypted file).", "file")
    end = ciphertext.find(b"\n---", 0, 64 * 1024)
    if end < 0:
        raise HandoverFileError("The handover file is damaged: its header is incomplete.", "file")
    stanzas = [line.split() for line in ciphertext[len(AGE_MAGIC) : end].split(b"\n") if line.startswith(b"-> ")]
    if not stanzas:
        raise HandoverFileError("The handover file is damaged: its header is incomplete.", "file")
    if stanzas[0][1:2] != [b"scrypt"]:
        raise HandoverFileError(
            "That age file is encrypted to a key, not a passphrase: SafeDesk opens passphrase handovers only.", "file"
        )
    try:
        work_factor = int(stanzas[0][3])
    except (IndexError, ValueError):
        raise HandoverFileError("The handover file is damaged: its header is incomplete.", "file") from None
    if work_factor > MAX_WORK_FACTOR:
        raise HandoverFileError("The handover file asks for far more decryption work than SafeDesk ever uses: refused.", "file")


def _dearmor_head(armored: bytes) -> bytes:
    """The start of an armored (age -a) file's binary form: enough to read its header."""
    body = armored[len(ARMOR_MAGIC) :]
    end = body.find(ARMOR_END)
    text = b"".join((body if end < 0 else body[:end]).split())[: 96 * 1024]
    try:
        return base64.b64decode(text[: len(text) - len(text) % 4], validate=True)
    except ValueError:
        raise HandoverFileError("The handover file is damaged: its text armour is not valid.", "file") from None


def _run(op: str, passphrase: str, payload: bytes) -> bytes:
    secret = normalise(passphrase).encode("utf-8")
    request = _U32.pack(len(secret)) + secret + payload
    # The child imports `safedesk` the way this process did: the same interpreter, the same install.
    env = dict(os.environ)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "safedesk.store.handover.crypt", op],
            input=request,
            capture_output=True,
            env=env,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flash on Windows
        )
    except OSError as error:
        raise SafeDeskError(f"Could not start the encryption helper: {error.strerror or type(error).__name__}.") from None
    if result.returncode == EXIT_OK:
        return result.stdout
    if result.returncode == EXIT_WRONG_PASSPHRASE:
        raise HandoverFileError(
            "Wrong passphrase: the handover file was not opened. Check it with the sender (it is not your SafeDesk passphrase).",
            "passphrase",
        )
    if result.returncode == EXIT_DAMAGED:
        raise HandoverFileError("The handover file is damaged or incomplete (it fails age's integrity check).", "file")
    raise SafeDeskError(f"The encryption helper failed (exit {result.returncode}); nothing was written.")


# --------------------------------------------------------------------- child side


def _child(op: str) -> int:
    import pyrage

    request = sys.stdin.buffer.read()
    if len(request) < _U32.size:
        return EXIT_REQUEST
    (length,) = _U32.unpack_from(request)
    try:
        passphrase = request[_U32.size : _U32.size + length].decode("utf-8")
    except UnicodeDecodeError:
        return EXIT_REQUEST
    payload = request[_U32.size + length :]
    try:
        if op == "encrypt":
            output = pyrage.passphrase.encrypt(payload, passphrase)
        elif op == "decrypt":
            output = pyrage.passphrase.decrypt(payload, passphrase)
        else:
            return EXIT_REQUEST
    except pyrage.DecryptError as error:
        # "Decryption failed" is age's word for a file key that would not unwrap: the
        # passphrase (a damaged salt looks the same). Everything else is damage.
        print(f"handover_crypt: {error}", file=sys.stderr)
        return EXIT_WRONG_PASSPHRASE if str(error).strip() == "Decryption failed" else EXIT_DAMAGED
    except pyrage.EncryptError as error:
        print(f"handover_crypt: {error}", file=sys.stderr)
        return EXIT_REQUEST
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1] if len(sys.argv) > 1 else ""))
