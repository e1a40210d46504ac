"""Memory summaries: the headline memory figures of each session (the report's ``memory``
section at its chosen layout) as typed columns, so a diff or a list can show them without
parsing every stored report.

Existing sessions are filled in from the report JSON they already keep.

Revision ID: 0002_memory_summaries
Revises: 0001_initial
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002_memory_summaries"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# Where each column comes from in the report's ``memory`` section at this revision (a
# copy, not an import: a migration must keep meaning what it meant when it was released).
_SOURCES = {
    "param_bytes": ("parameters", "total_bytes"),
    "activation_peak_bytes": ("activations", "peak_bytes"),
    "kv_cache_bytes": ("kv_cache", "bytes"),
    "training_state_bytes": ("training_state", "total_bytes"),
    "per_core_bytes": ("per_core", "total_bytes"),
    "usable_bytes_per_core": ("core", "usable_bytes_per_core"),
    "smallest_tp": ("smallest_tp",),
}
_BATCH = 500


def _lookup(section, path):
    for key in path:
        if not isinstance(section, dict):
            return None
        section = section.get(key)
    return section


def _number(value):
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _memory_row(session_id: int, report_json: str) -> dict:
    try:
        memory = json.loads(report_json).get("memory")
    except (ValueError, AttributeError):
        memory = None
    row = {"session_id": session_id}
    for name, path in _SOURCES.items():
        value = _number(_lookup(memory, path))
        row[name] = int(value) if value is not None else None
    utilization = _number(_lookup(memory, ("per_core", "utilization")))
    row["utilization"] = float(utilization) if utilization is not None else None
    fit = _lookup(memory, ("per_core", "status"))
    row["fit"] = str(fit)[:32] if fit is not None else None
    return row


def upgrade() -> None:
    memory = op.create_table(
        "memory_summaries",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("param_bytes", sa.BigInteger(), nullable=True),
        sa.Column("activation_peak_bytes", sa.BigInteger(), nullable=True),
        sa.Column("kv_cache_bytes", sa.BigInteger(), nullable=True),
        sa.Column("training_state_bytes", sa.BigInteger(), nullable=True),
        sa.Column("per_core_bytes", sa.BigInteger(), nullable=True),
        sa.Column("usable_bytes_per_core", sa.BigInteger(), nullable=True),
        sa.Column("utilization", sa.Float(), nullable=True),
        sa.Column("fit", sa.String(32), nullable=True),
        sa.Column("smallest_tp", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name="fk_memory_summaries_session_id_sessions"),
        sa.PrimaryKeyConstraint("session_id", name="pk_memory_summaries"),
    )
    sessions = sa.table("sessions", sa.column("id", sa.Integer()),
                        sa.column("report_json", sa.Text()))
    bind = op.get_bind()
    last_id = 0
    while True:
        batch = bind.execute(
            sa.select(sessions.c.id, sessions.c.report_json)
            .where(sessions.c.id > last_id).order_by(sessions.c.id).limit(_BATCH)
        ).all()
        if not batch:
            break
        op.bulk_insert(memory, [_memory_row(sid, text) for sid, text in batch])
        last_id = batch[-1][0]


def downgrade() -> None:
    op.drop_table("memory_summaries")
