"""annual reviews: a convention's yearly review (done, not done, partners' comments, next year)
and, in its last year, an evaluation per domain — editable texts, with optimistic locking

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('annual_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convention_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('done', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('not_done', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('partners_comments', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('next_year', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'],
                            name=op.f('fk_annual_reviews_convention_id_conventions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reviews')),
    sa.UniqueConstraint('convention_id', 'year', name='uq_annual_reviews_convention_year')
    )
    op.create_table('domain_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convention_id', sa.Integer(), nullable=False),
    sa.Column('domain_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'],
                            name=op.f('fk_domain_evaluations_convention_id_conventions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_code'], ['domains.code'],
                            name=op.f('fk_domain_evaluations_domain_code_domains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_evaluations')),
    sa.UniqueConstraint('convention_id', 'domain_code', name='uq_domain_evaluations_convention_domain')
    )


def downgrade() -> None:
    op.drop_table('domain_evaluations')
    op.drop_table('annual_reviews')
