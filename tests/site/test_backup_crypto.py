"""The backup file's encryption: round trip, and every kind of damage is refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_site.backup_crypto import (
    HEADER,
    LENGTH,
    BackupError,
    decrypt_chunks,
    encrypt_stream,
    new_key,
    parse_key,
)

KEY = parse_key(new_key())


def seal(data: bytes, chunk: int = 64, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    assert encrypt_stream(io.BytesIO(data), out, key, chunk=chunk) == len(data)
    return out.getvalue()


def unseal(sealed: bytes, key: bytes = KEY) -> bytes:
    return b"".join(decrypt_chunks(io.BytesIO(sealed), key))


def chunks_of(sealed: bytes) -> tuple[bytes, list[bytes]]:
    header, rest = sealed[: HEADER.size], sealed[HEADER.size :]
    parts = []
    while rest:
        (n,) = LENGTH.unpack(rest[: LENGTH.size])
        parts.append(rest[: LENGTH.size + n])
        rest = rest[LENGTH.size + n :]
    return header, parts


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=700), chunk=st.integers(min_value=1, max_value=200))
def test_what_is_sealed_opens_unchanged(data: bytes, chunk: int) -> None:
    assert unseal(seal(data, chunk)) == data


@settings(max_examples=80, deadline=None)
@given(data=st.binary(min_size=1, max_size=300), where=st.data())
def test_any_changed_byte_is_refused(data: bytes, where: st.DataObject) -> None:
    sealed = bytearray(seal(data, 50))
    at = where.draw(st.integers(min_value=0, max_value=len(sealed) - 1))
    sealed[at] ^= where.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(BackupError):
        unseal(bytes(sealed))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=300), where=st.data())
def test_a_file_cut_short_anywhere_is_refused(data: bytes, where: st.DataObject) -> None:
    sealed = seal(data, 50)
    cut = where.draw(st.integers(min_value=0, max_value=len(sealed) - 1))
    with pytest.raises(BackupError):
        unseal(sealed[:cut])


def test_dropping_the_last_chunks_is_refused_even_at_a_chunk_boundary() -> None:
    header, parts = chunks_of(seal(bytes(range(200)), 50))
    assert len(parts) == 4
    with pytest.raises(BackupError, match="cut short"):
        unseal(header + b"".join(parts[:2]))


def test_chunks_in_another_order_or_repeated_are_refused() -> None:
    header, parts = chunks_of(seal(bytes(range(200)), 50))
    with pytest.raises(BackupError):
        unseal(header + parts[1] + parts[0] + parts[2] + parts[3])
    with pytest.raises(BackupError):
        unseal(header + parts[0] + parts[0] + parts[2] + parts[3])


def test_data_after_the_end_is_refused() -> None:
    with pytest.raises(BackupError, match="after its end"):
        unseal(seal(b"dump") + b"x")


def test_a_wrong_key_is_refused_with_a_clear_message() -> None:
    with pytest.raises(BackupError, match="key is wrong"):
        unseal(seal(b"dump"), parse_key(new_key()))


def test_a_chunk_from_another_backup_is_refused() -> None:
    header, parts = chunks_of(seal(bytes(100), 50))
    _, others = chunks_of(seal(bytes(100), 50))
    with pytest.raises(BackupError):
        unseal(header + parts[0] + others[1])


@pytest.mark.parametrize("bad", ["", "  ", "not base64!", "c2hvcnQ="])
def test_a_missing_or_malformed_key_is_explained(bad: str) -> None:
    with pytest.raises(BackupError, match="ALLIANCE_BACKUP_KEY"):
        parse_key(bad)


def test_not_a_backup_is_refused() -> None:
    with pytest.raises(BackupError, match="not an Alliance backup"):
        unseal(b"PGDMP" + bytes(100))
