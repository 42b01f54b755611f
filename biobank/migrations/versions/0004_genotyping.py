"""genotyping tables: uploaded files, analyses and their inputs, classification jobs, variants
and overrides, reports with signed versions, eligibility assessments and gate decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('eligibility_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_eligibility_assessments_participant_id_participants')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_eligibility_assessments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_assessments'))
    )
    op.create_index(op.f('ix_eligibility_assessments_participant_id'), 'eligibility_assessments', ['participant_id'], unique=False)

    op.create_table('enrollment_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('previous', sa.String(length=16), nullable=True),
    sa.Column('trigger', sa.String(length=200), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("decision IN ('eligible', 'not_eligible', 'pending')", name=op.f('ck_enrollment_decisions_decision')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_enrollment_decisions_actor_id_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_enrollment_decisions_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_decisions'))
    )
    op.create_index(op.f('ix_enrollment_decisions_participant_id'), 'enrollment_decisions', ['participant_id'], unique=False)

    op.create_table('genotyping_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_genotyping_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_files')),
    sa.UniqueConstraint('sha256', name=op.f('uq_genotyping_files_sha256'))
    )
    op.create_table('genotyping_analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('input_key', sa.String(length=64), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('normal_specimen_id', sa.Integer(), nullable=True),
    sa.Column('tumor_specimen_id', sa.Integer(), nullable=True),
    sa.Column('normal_sample', sa.String(length=200), nullable=True),
    sa.Column('tumor_sample', sa.String(length=200), nullable=True),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('caller_version', sa.String(length=64), nullable=False),
    sa.Column('assay', sa.String(length=8), nullable=False),
    sa.Column('build', sa.String(length=8), nullable=False),
    sa.Column('engine_version', sa.String(length=32), nullable=True),
    sa.Column('known_variants_version', sa.String(length=120), nullable=True),
    sa.Column('men1_status', sa.String(length=32), nullable=True),
    sa.Column('qualifies', sa.Boolean(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("assay IN ('panel', 'exome', 'genome')", name=op.f('ck_genotyping_analyses_assay')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_genotyping_analyses_created_by_id_users')),
    sa.ForeignKeyConstraint(['normal_specimen_id'], ['specimens.id'], name=op.f('fk_genotyping_analyses_normal_specimen_id_specimens')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_genotyping_analyses_participant_id_participants')),
    sa.ForeignKeyConstraint(['tumor_specimen_id'], ['specimens.id'], name=op.f('fk_genotyping_analyses_tumor_specimen_id_specimens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_analyses')),
    sa.UniqueConstraint('input_key', name=op.f('uq_genotyping_analyses_input_key'))
    )
    op.create_index(op.f('ix_genotyping_analyses_participant_id'), 'genotyping_analyses', ['participant_id'], unique=False)

    op.create_table('classification_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=120), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_classification_jobs_state')),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_classification_jobs_progress')),
    sa.ForeignKeyConstraint(['analysis_id'], ['genotyping_analyses.id'], name=op.f('fk_classification_jobs_analysis_id_genotyping_analyses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classification_jobs')),
    sa.UniqueConstraint('analysis_id', name=op.f('uq_classification_jobs_analysis_id'))
    )
    op.create_index(op.f('ix_classification_jobs_state'), 'classification_jobs', ['state'], unique=False)

    op.create_table('genotyping_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.CheckConstraint("role IN ('paired', 'normal', 'tumor')", name=op.f('ck_genotyping_inputs_role')),
    sa.ForeignKeyConstraint(['analysis_id'], ['genotyping_analyses.id'], name=op.f('fk_genotyping_inputs_analysis_id_genotyping_analyses')),
    sa.ForeignKeyConstraint(['file_id'], ['genotyping_files.id'], name=op.f('fk_genotyping_inputs_file_id_genotyping_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_inputs')),
    sa.UniqueConstraint('analysis_id', 'role', name=op.f('uq_genotyping_inputs_analysis_id'))
    )
    op.create_table('genotyping_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['analysis_id'], ['genotyping_analyses.id'], name=op.f('fk_genotyping_reports_analysis_id_genotyping_analyses')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_genotyping_reports_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_reports')),
    sa.UniqueConstraint('analysis_id', name=op.f('uq_genotyping_reports_analysis_id'))
    )
    op.create_index(op.f('ix_genotyping_reports_participant_id'), 'genotyping_reports', ['participant_id'], unique=False)

    op.create_table('genotyping_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('chrom', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=500), nullable=False),
    sa.Column('alt', sa.String(length=500), nullable=False),
    sa.Column('hgvs_c', sa.String(length=300), nullable=False),
    sa.Column('hgvs_p', sa.String(length=300), nullable=True),
    sa.Column('consequence', sa.String(length=64), nullable=False),
    sa.Column('engine_origin', sa.String(length=24), nullable=False),
    sa.Column('engine_classification', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=24), nullable=False),
    sa.Column('classification', sa.String(length=32), nullable=False),
    sa.Column('quality_pass', sa.Boolean(), nullable=False),
    sa.Column('normal_depth', sa.Integer(), nullable=True),
    sa.Column('normal_alt', sa.Integer(), nullable=True),
    sa.Column('normal_vaf', sa.Float(), nullable=True),
    sa.Column('tumor_depth', sa.Integer(), nullable=True),
    sa.Column('tumor_alt', sa.Integer(), nullable=True),
    sa.Column('tumor_vaf', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['analysis_id'], ['genotyping_analyses.id'], name=op.f('fk_genotyping_variants_analysis_id_genotyping_analyses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_variants'))
    )
    op.create_index(op.f('ix_genotyping_variants_analysis_id'), 'genotyping_variants', ['analysis_id'], unique=False)

    op.create_table('genotyping_report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('amended', sa.Boolean(), nullable=False),
    sa.Column('amendment_reason', sa.String(length=1000), nullable=True),
    sa.Column('men1_status', sa.String(length=32), nullable=False),
    sa.Column('men1_qualifies', sa.Boolean(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('meaning', sa.String(length=200), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signed_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_genotyping_report_versions_version_positive')),
    sa.ForeignKeyConstraint(['report_id'], ['genotyping_reports.id'], name=op.f('fk_genotyping_report_versions_report_id_genotyping_reports')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_genotyping_report_versions_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_genotyping_report_versions')),
    sa.UniqueConstraint('report_id', 'version', name=op.f('uq_genotyping_report_versions_report_id'))
    )
    op.create_index(op.f('ix_genotyping_report_versions_report_id'), 'genotyping_report_versions', ['report_id'], unique=False)

    op.create_table('variant_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('old_value', sa.String(length=32), nullable=False),
    sa.Column('new_value', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("field IN ('origin', 'classification')", name=op.f('ck_variant_overrides_field')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_variant_overrides_actor_id_users')),
    sa.ForeignKeyConstraint(['variant_id'], ['genotyping_variants.id'], name=op.f('fk_variant_overrides_variant_id_genotyping_variants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_variant_overrides'))
    )
    op.create_index(op.f('ix_variant_overrides_variant_id'), 'variant_overrides', ['variant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('variant_overrides')
    op.drop_table('genotyping_report_versions')
    op.drop_table('genotyping_variants')
    op.drop_table('genotyping_reports')
    op.drop_table('genotyping_inputs')
    op.drop_table('classification_jobs')
    op.drop_table('genotyping_analyses')
    op.drop_table('genotyping_files')
    op.drop_table('enrollment_decisions')
    op.drop_table('eligibility_assessments')
