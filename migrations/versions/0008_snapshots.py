"""snapshots: what a meeting was shown, frozen when it was closed (one JSON document per
meeting, never updated: a trigger refuses an UPDATE on both databases)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REFUSAL = "un instantané de comité ne se modifie pas"


def upgrade() -> None:
    op.create_table('snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('convention_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('payload', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_snapshots_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'],
                            name=op.f('fk_snapshots_convention_id_conventions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots')),
    sa.UniqueConstraint('meeting_id', name='uq_snapshots_meeting_id')
    )
    op.create_index(op.f('ix_snapshots_convention_id'), 'snapshots', ['convention_id'], unique=False)
    # Immutable: no path (service, script, SQL console through the app's user) rewrites what a
    # committee was shown. Deleting stays possible, with its convention (ON DELETE CASCADE).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION ctg_snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$""")
        op.execute("""
            CREATE TRIGGER snapshots_immutable BEFORE UPDATE ON snapshots
            FOR EACH ROW EXECUTE FUNCTION ctg_snapshots_immutable()""")
    else:
        op.execute(f"""
            CREATE TRIGGER snapshots_immutable BEFORE UPDATE ON snapshots
            BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS snapshots_immutable ON snapshots")
        op.execute("DROP FUNCTION IF EXISTS ctg_snapshots_immutable()")
    op.drop_table('snapshots')
