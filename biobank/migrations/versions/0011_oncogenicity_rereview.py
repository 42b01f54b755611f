"""MEN1 classification on two scales: oncogenicity and in-tumour per variant, oncogenicity
overrides, and re-review suggestions for signed reports

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("genotyping_variants") as batch:
        batch.add_column(sa.Column("engine_oncogenicity", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("oncogenicity", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("in_tumor", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Rows classified before this revision keep the rule they were reviewed under: a variant
    # counted as in the tumour when the tumour had any ALT read.
    op.execute("UPDATE genotyping_variants SET in_tumor = (COALESCE(tumor_alt, 0) > 0)")
    with op.batch_alter_table("genotyping_variants") as batch:
        batch.alter_column("in_tumor", server_default=None)
    with op.batch_alter_table("variant_overrides") as batch:
        batch.drop_constraint(op.f("ck_variant_overrides_field"), type_="check")
        batch.create_check_constraint(
            "field", "field IN ('origin', 'classification', 'oncogenicity')")
    op.create_table(
        "genotyping_rereviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("report_version_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=32), nullable=False),
        sa.Column("known_variants_version", sa.String(length=120), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.Column("created_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_by_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["analysis_id"], ["genotyping_analyses.id"],
                                name=op.f("fk_genotyping_rereviews_analysis_id_genotyping_analyses")),
        sa.ForeignKeyConstraint(["report_version_id"], ["genotyping_report_versions.id"],
                                name=op.f("fk_genotyping_rereviews_report_version_id_genotyping_report_versions")),
        sa.ForeignKeyConstraint(["resolved_by_version_id"], ["genotyping_report_versions.id"],
                                name=op.f("fk_genotyping_rereviews_resolved_by_version_id_genotyping_report_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotyping_rereviews")),
        sa.UniqueConstraint("analysis_id", "digest",
                            name=op.f("uq_genotyping_rereviews_analysis_id")),
    )
    op.create_index(op.f("ix_genotyping_rereviews_analysis_id"), "genotyping_rereviews",
                    ["analysis_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_genotyping_rereviews_analysis_id"), table_name="genotyping_rereviews")
    op.drop_table("genotyping_rereviews")
    with op.batch_alter_table("variant_overrides") as batch:
        batch.drop_constraint(op.f("ck_variant_overrides_field"), type_="check")
        batch.create_check_constraint("field", "field IN ('origin', 'classification')")
    with op.batch_alter_table("genotyping_variants") as batch:
        batch.drop_column("in_tumor")
        batch.drop_column("oncogenicity")
        batch.drop_column("engine_oncogenicity")
