"""meetings and decisions: COPIL, COTECH and thematic committees of a convention, their
participants (present or excused) and decisions (owner, due date, status, links to actions,
indicators or facilities)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The codes of ctg_data.vocabulary, written out: a migration must not change when the code does.
KINDS = "('copil', 'cotech', 'thematique')"
MEETING_STATUSES = "('prevue', 'tenue', 'close')"
ATTENDANCES = "('present', 'excuse')"
DECISION_STATUSES = "('a_faire', 'fait', 'abandonnee')"
ONE_TARGET = ("(CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN indicator_id IS NULL THEN 0 ELSE 1 END)"
              " + (CASE WHEN facility_id IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('convention_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('theme', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('agenda', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('minutes', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f'kind IN {KINDS}', name=op.f('ck_meetings_kind')),
    sa.CheckConstraint(f'status IN {MEETING_STATUSES}', name=op.f('ck_meetings_status')),
    sa.CheckConstraint("kind <> 'thematique' OR theme IS NOT NULL", name=op.f('ck_meetings_theme')),
    sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'], name=op.f('fk_meetings_convention_id_conventions'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    op.create_index(op.f('ix_meetings_convention_id'), 'meetings', ['convention_id'], unique=False)

    op.create_table('meeting_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('attendance', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.CheckConstraint(f'attendance IN {ATTENDANCES}', name=op.f('ck_meeting_participants_attendance')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_participants_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_meeting_participants_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_participants'))
    )
    op.create_index(op.f('ix_meeting_participants_meeting_id'), 'meeting_participants', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_meeting_participants_organisation_id'), 'meeting_participants', ['organisation_id'],
                    unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f'status IN {DECISION_STATUSES}', name=op.f('ck_decisions_status')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_decisions_meeting_id_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['organisations.id'], name=op.f('fk_decisions_owner_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    op.create_index(op.f('ix_decisions_meeting_id'), 'decisions', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_decisions_owner_id'), 'decisions', ['owner_id'], unique=False)

    op.create_table('decision_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(ONE_TARGET, name=op.f('ck_decision_links_one_target')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_decision_links_decision_id_decisions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_decision_links_action_id_actions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_decision_links_indicator_id_indicators'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_decision_links_facility_id_facilities'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_links')),
    sa.UniqueConstraint('decision_id', 'action_id', name=op.f('uq_decision_links_action')),
    sa.UniqueConstraint('decision_id', 'indicator_id', name=op.f('uq_decision_links_indicator')),
    sa.UniqueConstraint('decision_id', 'facility_id', name=op.f('uq_decision_links_facility'))
    )
    op.create_index(op.f('ix_decision_links_action_id'), 'decision_links', ['action_id'], unique=False)
    op.create_index(op.f('ix_decision_links_indicator_id'), 'decision_links', ['indicator_id'], unique=False)
    op.create_index(op.f('ix_decision_links_facility_id'), 'decision_links', ['facility_id'], unique=False)


def downgrade() -> None:
    op.drop_table('decision_links')
    op.drop_table('decisions')
    op.drop_table('meeting_participants')
    op.drop_table('meetings')
