"""Authenticated encryption of a backup stream, chunk by chunk, in constant memory.

File layout (version 1):

    header  = MAGIC (8) | version (1) | chunk size (4, big-endian) | salt (16)
    chunks  = length (4, big-endian) | AES-256-GCM ciphertext with its 16-byte tag

Each file gets its own key, HKDF-SHA256(ALLIANCE_BACKUP_KEY, salt). Chunk *n* is
sealed with the nonce `n` (12 bytes, big-endian) and the associated data
`header | n | final flag`, so a changed header, a chunk moved, dropped or repeated,
and a file cut short after any chunk (the last chunk must carry the final flag) all
fail to open. A wrong key fails on the first chunk.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"ALLBKUP\x00"
VERSION = 1
CHUNK = 1024 * 1024
SALT_BYTES = 16
TAG_BYTES = 16
HEADER = struct.Struct(">8sBI16s")
LENGTH = struct.Struct(">I")
KEY_ENV = "ALLIANCE_BACKUP_KEY"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in plain words."""


def new_key() -> str:
    """A fresh key for ALLIANCE_BACKUP_KEY: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str | None) -> bytes:
    if not text or not text.strip():
        raise BackupError(
            f"Set {KEY_ENV} to the backup key (make one with `manage.py backup --new-key` "
            "and keep it apart from the backups)."
        )
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise BackupError(f"{KEY_ENV} is not a key made by `manage.py backup --new-key`.") from exc
    if len(key) != 32:
        raise BackupError(f"{KEY_ENV} is not a key made by `manage.py backup --new-key`.")
    return key


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"alliance backup v1"
    ).derive(key)
    return AESGCM(derived)


def _aad(header: bytes, counter: int, final: bool) -> bytes:
    return header + struct.pack(">QB", counter, 1 if final else 0)


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts = []
    left = size
    while left:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def encrypt_stream(source: BinaryIO, target: BinaryIO, key: bytes, chunk: int = CHUNK) -> int:
    """Read `source` to its end and write it sealed to `target`; returns plain bytes."""
    salt = os.urandom(SALT_BYTES)
    header = HEADER.pack(MAGIC, VERSION, chunk, salt)
    aead = _file_key(key, salt)
    target.write(header)
    counter = total = 0
    pending = _read_exactly(source, chunk)
    while True:
        following = _read_exactly(source, chunk) if len(pending) == chunk else b""
        final = not following
        sealed = aead.encrypt(_nonce(counter), pending, _aad(header, counter, final))
        target.write(LENGTH.pack(len(sealed)))
        target.write(sealed)
        total += len(pending)
        counter += 1
        if final:
            return total
        pending = following


def decrypt_chunks(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plain chunks of a sealed stream, each checked before it is given out.

    Raises BackupError on a wrong key, a file that is not an Alliance backup, a changed
    byte, chunks out of order, or a file cut short.
    """
    header = _read_exactly(source, HEADER.size)
    if len(header) < HEADER.size:
        raise BackupError("This file is not an Alliance backup (too short).")
    magic, version, chunk, salt = HEADER.unpack(header)
    if magic != MAGIC:
        raise BackupError("This file is not an Alliance backup.")
    if version != VERSION:
        raise BackupError(f"This backup has format version {version}; this Alliance reads 1.")
    if not 0 < chunk <= 64 * 1024 * 1024:
        raise BackupError("This backup's header is damaged.")
    aead = _file_key(key, salt)
    counter = 0
    while True:
        raw_length = _read_exactly(source, LENGTH.size)
        if not raw_length:
            raise BackupError(
                "This backup is cut short: its last part is missing. Do not restore it."
            )
        (length,) = LENGTH.unpack(raw_length) if len(raw_length) == LENGTH.size else (0,)
        if not TAG_BYTES <= length <= chunk + TAG_BYTES:
            raise BackupError("This backup is damaged or was changed. Do not restore it.")
        sealed = _read_exactly(source, length)
        if len(sealed) != length:
            raise BackupError(
                "This backup is cut short: its last part is missing. Do not restore it."
            )
        for final in (False, True):
            try:
                plain = aead.decrypt(_nonce(counter), sealed, _aad(header, counter, final))
            except InvalidTag:
                continue
            break
        else:
            if counter == 0:
                raise BackupError(
                    f"This backup cannot be opened with this {KEY_ENV}: the key is wrong, "
                    "or the file was changed. Nothing was restored."
                )
            raise BackupError("This backup is damaged or was changed. Do not restore it.")
        yield plain
        counter += 1
        if final:
            if source.read(1):
                raise BackupError("This backup has data after its end. Do not restore it.")
            return


def verify(path: str, key: bytes) -> int:
    """Read a whole sealed file and check every chunk; returns the plain size."""
    with open(path, "rb") as source:
        return sum(len(part) for part in decrypt_chunks(source, key))
