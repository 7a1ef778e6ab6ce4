"""Key derivation, key wrapping and authenticated encryption for the store.

Everything here is a thin, typed layer over `cryptography`: Argon2id (scrypt
where this OpenSSL lacks Argon2) turns a passphrase into a key-encryption key,
and AES-256-GCM seals both the wrapped data key and the data itself.
"""

from __future__ import annotations

import base64
import math
import os
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
TARGET_UNLOCK_SECONDS = 0.5
# Streamed encryption works in pieces this large: short enough never to hold the
# interpreter lock for long, large enough to cost nothing per piece.
_PIECE = 1 << 20

# Argon2id memory is fixed and the pass count calibrated: 128 MiB is heavy for a GPU
# farm and light for any laptop a school still runs.
ARGON2_MEMORY_KIB = 128 * 1024
ARGON2_LANES = 4

# Upper bounds for parameters read from a (possibly hostile) header, no more than `calibrate`
# can write: a tampered file must not make an unlock allocate gigabytes or spin for minutes.
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 10
MAX_LANES = 8
MAX_SCRYPT_LOG_N = 20
_MAX_SCRYPT_N = 1 << MAX_SCRYPT_LOG_N
_SCRYPT_R = 8


class KdfOutOfBounds(ValueError):
    """Key-derivation parameters that no SafeDesk writes: more work than `calibrate` ever sets."""


KDF_BOUNDS_TEXT = (
    f"Argon2id at most {MAX_MEMORY_KIB // 1024} MiB and {MAX_ITERATIONS} passes, scrypt at most 2^{MAX_SCRYPT_LOG_N}"
)


class DecryptionFailed(Exception):
    """Authentication failed: wrong key, or the bytes were changed."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def normalise_passphrase(passphrase: str) -> bytes:
    """The bytes a passphrase stands for, the same whichever keyboard or OS typed it."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


@dataclass(frozen=True)
class KdfParams:
    """How one key slot turns its passphrase into a key-encryption key."""

    alg: str  # "argon2id" or "scrypt"
    salt: str  # base64
    iterations: int = 0  # argon2id passes
    memory_kib: int = 0  # argon2id memory
    lanes: int = 0  # argon2id parallelism
    n: int = 0  # scrypt cost
    r: int = 0
    p: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (0, "")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        params = cls(
            alg=str(data["alg"]),
            salt=str(data["salt"]),
            iterations=int(data.get("iterations", 0)),
            memory_kib=int(data.get("memory_kib", 0)),
            lanes=int(data.get("lanes", 0)),
            n=int(data.get("n", 0)),
            r=int(data.get("r", 0)),
            p=int(data.get("p", 0)),
        )
        params.check()
        return params

    def check(self) -> None:
        """Refuse parameters no SafeDesk would write (a tampered header)."""
        if self.alg == "argon2id":
            within = self.iterations <= MAX_ITERATIONS and self.memory_kib <= MAX_MEMORY_KIB and self.lanes <= MAX_LANES
            ok = self.iterations >= 1 and self.memory_kib >= 8 and self.lanes >= 1
        elif self.alg == "scrypt":
            within = self.n <= _MAX_SCRYPT_N and self.r <= _SCRYPT_R and self.p <= 1
            ok = self.n >= 2 and self.n & (self.n - 1) == 0 and self.r >= 1 and self.p >= 1
        else:
            within, ok = True, False
        if not within:
            raise KdfOutOfBounds(f"more key-derivation work than SafeDesk ever sets ({KDF_BOUNDS_TEXT})")
        if not ok or len(unb64(self.salt)) < SALT_BYTES:
            raise ValueError("unsupported key-derivation parameters")

    def with_new_salt(self) -> KdfParams:
        return KdfParams(**{**asdict(self), "salt": b64(secrets.token_bytes(SALT_BYTES))})

    def derive(self, secret: bytes) -> bytes:
        salt = unb64(self.salt)
        if self.alg == "argon2id":
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

            kdf = Argon2id(salt=salt, length=KEY_BYTES, iterations=self.iterations, lanes=self.lanes, memory_cost=self.memory_kib)
            return kdf.derive(secret)
        return Scrypt(salt=salt, length=KEY_BYTES, n=self.n, r=self.r, p=self.p).derive(secret)


def argon2_available() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=b"\0" * SALT_BYTES, length=KEY_BYTES, iterations=1, lanes=1, memory_cost=8).derive(b"x")
        return True
    except (ImportError, UnsupportedAlgorithm):
        return False


def calibrate(target_seconds: float = TARGET_UNLOCK_SECONDS) -> KdfParams:
    """Parameters that take about `target_seconds` to derive on this machine."""
    salt = b64(secrets.token_bytes(SALT_BYTES))
    if argon2_available():
        probe = KdfParams("argon2id", salt, iterations=2, memory_kib=ARGON2_MEMORY_KIB, lanes=ARGON2_LANES)
        # The first run pays for page-faulting the memory; the faster of two is the real cost.
        per_pass = min(_time(probe), _time(probe)) / 2
        passes = max(2, min(MAX_ITERATIONS, math.ceil(target_seconds / max(per_pass, 1e-4))))
        return KdfParams("argon2id", salt, iterations=passes, memory_kib=ARGON2_MEMORY_KIB, lanes=ARGON2_LANES)
    n = 1 << 14
    while n < _MAX_SCRYPT_N and _time(KdfParams("scrypt", salt, n=n, r=_SCRYPT_R, p=1)) < target_seconds / 2:
        n <<= 1
    return KdfParams("scrypt", salt, n=n, r=_SCRYPT_R, p=1)


def fast_params_for_tests() -> KdfParams:
    """Deliberately weak parameters: only for test stores that hold nothing real."""
    salt = b64(secrets.token_bytes(SALT_BYTES))
    if argon2_available():
        return KdfParams("argon2id", salt, iterations=1, memory_kib=64, lanes=1)
    return KdfParams("scrypt", salt, n=1 << 4, r=8, p=1)


def _time(params: KdfParams) -> float:
    start = time.perf_counter()
    params.derive(b"calibration")
    return time.perf_counter() - start


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce || AES-256-GCM(plaintext), with a fresh random nonce every call."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise DecryptionFailed("too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag as error:
        raise DecryptionFailed("authentication failed") from error


class SealWriter:
    """`seal`'s output (nonce || AES-256-GCM ciphertext || tag), produced piece by piece.

    For the snapshot, tens of megabytes: encrypting it in one call would hold the
    interpreter lock for as long as it takes and keep a second copy of the data.
    `cryptography`'s GCM encryptor gives the same bytes as `seal`, in pieces.
    """

    def __init__(self, key: bytes, aad: bytes) -> None:
        nonce = os.urandom(NONCE_BYTES)
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(aad)
        self.head = nonce

    def update(self, plaintext: bytes) -> bytes:
        return self._encryptor.update(plaintext)

    def finish(self) -> bytes:
        return self._encryptor.finalize() + self._encryptor.tag


def open_sealed_file(key: bytes, handle: BinaryIO, size: int, aad: bytes) -> bytearray:
    """What `open_sealed` returns for the `size` sealed bytes at `handle`'s position, read piece
    by piece so the ciphertext is never held in memory beside the plaintext.

    The plaintext is returned only if the tag checks (DecryptionFailed otherwise).
    """
    if size < NONCE_BYTES + 16:
        raise DecryptionFailed("too short")
    start = handle.tell()
    nonce = handle.read(NONCE_BYTES)
    handle.seek(start + size - 16)
    tag = handle.read(16)
    handle.seek(start + NONCE_BYTES)
    remaining = size - NONCE_BYTES - 16
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    plaintext = bytearray()
    while remaining:
        piece = handle.read(min(remaining, _PIECE))
        if not piece:
            raise DecryptionFailed("truncated")
        plaintext += decryptor.update(piece)
        remaining -= len(piece)
    try:
        decryptor.finalize()
    except InvalidTag as error:
        raise DecryptionFailed("authentication failed") from error
    return plaintext
