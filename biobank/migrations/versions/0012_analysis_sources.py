"""Analyses from outside laboratory reports and MLPA tables: the analysis's source and its
details; a variant's second-hit-only flag; recorded confirmations of single-probe MLPA events
(issue 19)

Revision ID: 0012
Revises: 0007 (issued as 0011; re-chained after 0008 and 0007 landed on main)
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("genotyping_analyses") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=False,
                                   server_default="vcf"))
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch.drop_constraint(op.f("ck_genotyping_analyses_assay"), type_="check")
        batch.create_check_constraint(
            "assay", "assay IN ('panel', 'exome', 'genome', 'mlpa', 'outside')")
        batch.create_check_constraint("source", "source IN ('vcf', 'outside', 'mlpa')")
    with op.batch_alter_table("genotyping_variants") as batch:
        batch.add_column(sa.Column("second_hit_only", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # A single-probe MLPA event qualifies once its confirmation is recorded (an override row).
    with op.batch_alter_table("variant_overrides") as batch:
        batch.drop_constraint(op.f("ck_variant_overrides_field"), type_="check")
        batch.create_check_constraint(
            "field", "field IN ('origin', 'classification', 'oncogenicity', 'confirmation')")


def downgrade() -> None:
    # Signed reports of outside results and MLPA would lose their meaning: refuse, not drop.
    count = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM genotyping_analyses WHERE source != 'vcf'")).scalar()
    if count:
        raise RuntimeError(f"{count} analyses come from outside reports or MLPA tables; "
                           "revision 0011 cannot hold them")
    with op.batch_alter_table("variant_overrides") as batch:
        batch.drop_constraint(op.f("ck_variant_overrides_field"), type_="check")
        batch.create_check_constraint(
            "field", "field IN ('origin', 'classification', 'oncogenicity')")
    with op.batch_alter_table("genotyping_variants") as batch:
        batch.drop_column("second_hit_only")
    with op.batch_alter_table("genotyping_analyses") as batch:
        batch.drop_constraint(op.f("ck_genotyping_analyses_source"), type_="check")
        batch.drop_constraint(op.f("ck_genotyping_analyses_assay"), type_="check")
        batch.create_check_constraint("assay", "assay IN ('panel', 'exome', 'genome')")
        batch.drop_column("details")
        batch.drop_column("source")
