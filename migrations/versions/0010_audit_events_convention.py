"""audit events: the convention of the audited record (None for shared data), indexed with the
id (and with the table and the id), so that one convention's data version and recent changes are
read from an index, and a save in one convention leaves the other conventions' caches valid

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The tables of schema 0009 that carry a convention_id, by the shape of their key.
BY_ID = ('actions', 'amendments', 'annual_reviews', 'coordination_posts', 'domain_evaluations', 'facilities',
         'funding_lines', 'indicators', 'meetings', 'orientations', 'snapshots')
KEYED_BY_CONVENTION = ('signatories', 'perimeter', 'convention_members')  # key "<convention_id>/<other>"
# Records that belong to a convention through their parent: (table, its key, the path to a convention).
CHILDREN = {
    'measurements': "SELECT p.convention_id FROM measurements c JOIN indicators p ON p.id = c.indicator_id "
                    "WHERE c.id = {id}",
    'indicator_targets': "SELECT p.convention_id FROM indicator_targets c JOIN indicators p ON p.id = c.indicator_id "
                         "WHERE c.id = {id}",
    'facility_activity': "SELECT p.convention_id FROM facility_activity c JOIN facilities p ON p.id = c.facility_id "
                         "WHERE c.id = {id}",
    'action_notes': "SELECT p.convention_id FROM action_notes c JOIN actions p ON p.id = c.action_id WHERE c.id = {id}",
    'decisions': "SELECT p.convention_id FROM decisions c JOIN meetings p ON p.id = c.meeting_id WHERE c.id = {id}",
    'meeting_participants': "SELECT p.convention_id FROM meeting_participants c JOIN meetings p ON p.id = c.meeting_id "
                            "WHERE c.id = {id}",
    'decision_links': "SELECT p.convention_id FROM decision_links c JOIN decisions d ON d.id = c.decision_id "
                      "JOIN meetings p ON p.id = d.meeting_id WHERE c.id = {id}",
    # link rows keyed "<parent id>/<other>"
    'action_partners': "SELECT convention_id FROM actions WHERE id = {first}",
    'action_communes': "SELECT convention_id FROM actions WHERE id = {first}",
    'action_copilots': "SELECT convention_id FROM actions WHERE id = {first}",
    'facility_comanagers': "SELECT convention_id FROM facilities WHERE id = {first}",
}


def upgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('convention_id', sa.Integer(), nullable=True))
    op.create_index('ix_audit_events_convention', 'audit_events', ['convention_id', 'id'], unique=False)
    op.create_index('ix_audit_events_convention_table', 'audit_events', ['convention_id', 'table_name', 'id'],
                    unique=False)
    _backfill()


def _backfill() -> None:
    """Each existing event gets the convention of its record, read from the record (or its
    parent) as it is now. An event whose record is gone stays None, which reads as « every
    convention »: never a stale cache, at worst one more miss."""
    postgres = op.get_bind().dialect.name == 'postgresql'
    key = 'CAST(audit_events.record_key AS INTEGER)'
    first = ("CAST(split_part(audit_events.record_key, '/', 1) AS INTEGER)" if postgres else
             "CAST(substr(audit_events.record_key, 1, instr(audit_events.record_key, '/') - 1) AS INTEGER)")
    owners = {'conventions': f'SELECT id FROM conventions WHERE id = {key}'}
    owners |= {table: f'SELECT convention_id FROM {table} WHERE id = {key}' for table in BY_ID}
    owners |= {table: f'SELECT {first}' for table in KEYED_BY_CONVENTION}
    owners |= {table: query.format(id=key, first=first) for table, query in CHILDREN.items()}
    for table, owner in owners.items():
        op.execute(sa.text(f"UPDATE audit_events SET convention_id = ({owner}) WHERE table_name = '{table}'"))


def downgrade() -> None:
    op.drop_index('ix_audit_events_convention_table', table_name='audit_events')
    op.drop_index('ix_audit_events_convention', table_name='audit_events')
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('convention_id')
