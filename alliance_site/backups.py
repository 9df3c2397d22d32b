"""Backups of the PostgreSQL database: pg_dump in custom format, sealed as it streams.

Nothing holds a whole dump in memory or writes it unencrypted to disk: pg_dump's output
is read in chunks, encrypted (see `backup_crypto`) and written; a restore checks the
whole file first, then streams it decrypted into pg_restore.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from .backup_crypto import BackupError, decrypt_chunks, encrypt_stream, verify

SUFFIX = ".dump.enc"


def database_settings(alias: str = "default") -> dict[str, Any]:
    db = connections[alias].settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise BackupError(
            "Backups need PostgreSQL (set DATABASE_URL). A SQLite database is one file: "
            "stop the app and copy db.sqlite3."
        )
    return db


def pg_env(db: dict[str, Any], name: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore/psql."""
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    args += ["--dbname", name or str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def client_major(tool: str) -> int:
    # Argument lists, never a shell; the tools are found on PATH by name.
    out = subprocess.run(  # noqa: S603
        [_tool(tool), "--version"], capture_output=True, text=True, check=True
    )
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if not match:
        raise BackupError(f"Cannot tell the version of {tool}: {out.stdout.strip()!r}")
    return int(match.group(1))


def server_major(alias: str = "default") -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def check_versions(tool: str, alias: str = "default") -> None:
    client, server = client_major(tool), server_major(alias)
    if client < server:
        raise BackupError(
            f"{tool} is version {client} but the server runs PostgreSQL {server}: install "
            f"the client tools of version {server} or newer."
        )


def backup_dir() -> Path:
    configured = os.environ.get("ALLIANCE_BACKUP_DIR", "").strip()
    return Path(configured) if configured else Path(settings.BASE_DIR) / "backups"


def default_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"alliance-{now:%Y%m%dT%H%M%SZ}{SUFFIX}"


def latest_backup(folder: Path | None = None) -> Path:
    folder = folder or backup_dir()
    found = sorted(folder.glob(f"alliance-*{SUFFIX}"))
    if not found:
        raise BackupError(f"No backup in {folder}.")
    return found[-1]


def dump(target: Path, key: bytes, *, snapshot: str | None = None, alias: str = "default") -> int:
    """pg_dump the database into `target`, sealed. Returns the dump's plain size.

    Written next to the target and renamed at the end, so a failed dump never leaves a
    file that looks like a backup; only the owner may read it.
    """
    db = database_settings(alias)
    check_versions("pg_dump", alias)
    args, env = pg_env(db)
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        # stderr goes to a file: a pipe nobody reads while the dump streams could fill up
        # and stall pg_dump.
        with (
            os.fdopen(fd, "wb") as out,
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(  # noqa: S603
                command, stdout=subprocess.PIPE, stderr=errors, env=env
            ) as proc,
        ):
            assert proc.stdout is not None
            size = encrypt_stream(proc.stdout, out, key)
            proc.wait()
            errors.seek(0)
            error = errors.read().decode(errors="replace")
        if proc.returncode != 0:
            raise BackupError(f"pg_dump failed: {error.strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return size


def database_is_empty(name: str, alias: str = "default") -> bool:
    db = database_settings(alias)
    args, env = pg_env(db, name)
    out = subprocess.run(  # noqa: S603
        [
            _tool("psql"),
            *args,
            "--no-psqlrc",
            "-tAc",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise BackupError(f"Cannot open the database {name!r}: {out.stderr.strip()}")
    return out.stdout.strip() == "0"


def restore(source: Path, key: bytes, *, into: str, alias: str = "default") -> int:
    """Check the whole sealed file, then restore it into the empty database `into`.

    Nothing is restored from a file with a wrong key or a changed byte: the first pass
    reads it all. pg_restore runs as one transaction, so a failure leaves `into` empty.
    """
    if not source.is_file():
        raise BackupError(f"No such backup file: {source}")
    size = verify(str(source), key)
    db = database_settings(alias)
    check_versions("pg_restore", alias)
    if not database_is_empty(into, alias):
        raise BackupError(
            f"The database {into!r} is not empty. Restore into a new, empty database "
            "(createdb), then point DATABASE_URL at it."
        )
    args, env = pg_env(db, into)
    command = [
        _tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        *args,
    ]
    with (
        open(source, "rb") as sealed,
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stderr=errors, env=env
        ) as proc,
    ):
        assert proc.stdin is not None
        try:
            for part in decrypt_chunks(sealed, key):
                proc.stdin.write(part)
        except BrokenPipeError:  # pg_restore stopped at an error; it says which below
            pass
        proc.stdin.close()
        proc.wait()
        errors.seek(0)
        error = errors.read().decode(errors="replace")
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {error.strip()}")
    return size


@contextmanager
def maintenance_cursor(alias: str = "default") -> Iterator[Any]:
    """A cursor on the server's `postgres` database, outside any transaction, for
    CREATE and DROP DATABASE."""
    import psycopg2

    db = database_settings(alias)
    conn = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


def create_database(name: str, alias: str = "default") -> None:
    _check_name(name)
    with maintenance_cursor(alias) as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')


def drop_database(name: str, alias: str = "default") -> None:
    _check_name(name)
    with maintenance_cursor(alias) as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_name(name: str) -> None:
    # Names go into SQL as identifiers; only plain ones are accepted.
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BackupError(f"Not a plain database name: {name!r}")
