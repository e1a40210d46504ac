"""The history schema as typed SQLAlchemy models (the state at the newest migration).

These classes describe the schema at alembic head; the migrations in ``migrations/versions``
are the schema's real history and never import this module. A test compares the two.
Rows never leave :mod:`trnport.app.history.store`: callers get frozen dataclasses.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from trnport.app.history.convert import is_utf8

# Explicit constraint names keep migrations portable: SQLite's batch mode and PostgreSQL
# both need a name to drop or alter a constraint later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class FilePath(TypeDecorator[str]):
    """A file path exactly as the OS gave it. A name that is not UTF-8 (Latin-1 archives,
    Windows shares) reaches Python with lone surrogates, which no text column can encode:
    SQLite stores that path as its raw bytes (a BLOB in the same column) and gives the same
    str back; other databases store it with those bytes escaped."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | bytes | None:
        if value is None or is_utf8(value):
            return value
        if dialect.name == "sqlite":
            return os.fsencode(value)
        return value.encode("utf-8", "backslashreplace").decode("utf-8")

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        return os.fsdecode(value) if isinstance(value, bytes) else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ModelRow(Base):
    """A model file, by its resolved path; its content hash is kept per session because
    the file changes while it is being ported."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(FilePath(4096), unique=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime())

    sessions: Mapped[list[SessionRow]] = relationship(back_populates="model")


class SessionRow(Base):
    """One analysis of one model: what was asked, what the engine knew, what it found."""

    __tablename__ = "sessions"
    __table_args__ = (Index(None, "model_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    model_sha256: Mapped[str] = mapped_column(String(64), index=True)
    model_format: Mapped[str] = mapped_column(String(32))
    model_nodes: Mapped[int] = mapped_column(Integer)
    model_params: Mapped[int] = mapped_column(BigInteger)
    target_family: Mapped[str] = mapped_column(String(16))
    target_instance: Mapped[str | None] = mapped_column(String(64))
    target_mode: Mapped[str] = mapped_column(String(16))
    target_dtype: Mapped[str] = mapped_column(String(16))
    target_batch: Mapped[int] = mapped_column(Integer)
    target_seq_len: Mapped[int | None] = mapped_column(Integer)
    target_tp: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(64))
    neuronx_cc: Mapped[str | None] = mapped_column(String(64))
    torch_neuronx: Mapped[str | None] = mapped_column(String(64))
    kb_generated: Mapped[str | None] = mapped_column(String(64))
    tool_name: Mapped[str] = mapped_column(String(64))
    tool_version: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    coverage_pct: Mapped[float] = mapped_column(Float)
    errors: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)
    infos: Mapped[int] = mapped_column(Integer)
    nodes_by_status: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_schema: Mapped[str] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text)

    model: Mapped[ModelRow] = relationship(back_populates="sessions")
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="session", order_by="FindingRow.position",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    memory: Mapped[MemorySummaryRow | None] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True,
    )


class FindingRow(Base):
    """One finding of a session, typed for matching across sessions (code, ops, location)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16), index=True)
    symbol: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    ops: Mapped[list[str]] = mapped_column(JSON)
    node_count: Mapped[int] = mapped_column(Integer)
    location_file: Mapped[str | None] = mapped_column(FilePath(4096))
    location_line: Mapped[int | None] = mapped_column(Integer)
    location_module: Mapped[str | None] = mapped_column(String(1024))
    rewrite: Mapped[str | None] = mapped_column(String(128))
    provenance_kind: Mapped[str] = mapped_column(String(32))
    provenance_source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(32))

    session: Mapped[SessionRow] = relationship(back_populates="findings")


class MemorySummaryRow(Base):
    """The headline memory figures of a session at its chosen layout (migration 0002)."""

    __tablename__ = "memory_summaries"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    param_bytes: Mapped[int | None] = mapped_column(BigInteger)
    activation_peak_bytes: Mapped[int | None] = mapped_column(BigInteger)
    kv_cache_bytes: Mapped[int | None] = mapped_column(BigInteger)
    training_state_bytes: Mapped[int | None] = mapped_column(BigInteger)
    per_core_bytes: Mapped[int | None] = mapped_column(BigInteger)
    usable_bytes_per_core: Mapped[int | None] = mapped_column(BigInteger)
    utilization: Mapped[float | None] = mapped_column(Float)
    fit: Mapped[str | None] = mapped_column(String(32))
    smallest_tp: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[SessionRow] = relationship(back_populates="memory")
