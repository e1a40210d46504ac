"""The first history schema: models, sessions (with the full report JSON) and findings.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(4096), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
        sa.UniqueConstraint("path", name="uq_models_path"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("model_format", sa.String(32), nullable=False),
        sa.Column("model_nodes", sa.Integer(), nullable=False),
        sa.Column("model_params", sa.BigInteger(), nullable=False),
        sa.Column("target_family", sa.String(16), nullable=False),
        sa.Column("target_instance", sa.String(64), nullable=True),
        sa.Column("target_mode", sa.String(16), nullable=False),
        sa.Column("target_dtype", sa.String(16), nullable=False),
        sa.Column("target_batch", sa.Integer(), nullable=False),
        sa.Column("target_seq_len", sa.Integer(), nullable=True),
        sa.Column("target_tp", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("neuronx_cc", sa.String(64), nullable=True),
        sa.Column("torch_neuronx", sa.String(64), nullable=True),
        sa.Column("kb_generated", sa.String(64), nullable=True),
        sa.Column("tool_name", sa.String(64), nullable=False),
        sa.Column("tool_version", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("coverage_pct", sa.Float(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("infos", sa.Integer(), nullable=False),
        sa.Column("nodes_by_status", sa.JSON(), nullable=False),
        sa.Column("report_schema", sa.String(64), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE",
                                name="fk_sessions_model_id_models"),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_model_id_created_at", "sessions", ["model_id", "created_at"])
    op.create_index("ix_sessions_model_sha256", "sessions", ["model_sha256"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("ops", sa.JSON(), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("location_file", sa.String(4096), nullable=True),
        sa.Column("location_line", sa.Integer(), nullable=True),
        sa.Column("location_module", sa.String(1024), nullable=True),
        sa.Column("rewrite", sa.String(128), nullable=True),
        sa.Column("provenance_kind", sa.String(32), nullable=False),
        sa.Column("provenance_source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name="fk_findings_session_id_sessions"),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
    )
    op.create_index("ix_findings_session_id", "findings", ["session_id"])
    op.create_index("ix_findings_code", "findings", ["code"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("sessions")
    op.drop_table("models")
