"""bonus territoire rules v2: new places, barème scope, place category and rate floor, a
convention's CAF

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_KEY = ['year', 'lever_code', 'facility_type', 'territory_class']


# Columns added to tables that others reference with ON DELETE CASCADE (conventions,
# facilities): on SQLite they must be added in place, never by batch-recreating the table, whose
# DROP would cascade to every facility, action and activity row. SQLite accepts a CHECK and a
# REFERENCES clause on ADD COLUMN, so the constraints are there on both databases.
IN_PLACE = (
    ('conventions', 'caf_id INTEGER CONSTRAINT fk_conventions_caf_id_organisations REFERENCES organisations (id)'),
    ('facilities', 'new_places INTEGER CONSTRAINT ck_facilities_new_places CHECK (new_places >= 0)'),
    ('facilities', 'new_places_from DATE'),
    ('facility_activity', 'new_places INTEGER CONSTRAINT ck_facility_activity_new_places CHECK (new_places >= 0)'),
)


def upgrade() -> None:
    # New columns are NULL-able or carry a server default, so existing rows migrate in place and
    # compute as before (no new place, national scope, any place category, no rate floor).
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for table, column in IN_PLACE:
            # A downgrade on SQLite keeps these columns (see downgrade): add only what is missing.
            if column.split()[0] not in {c['name'] for c in sa.inspect(bind).get_columns(table)}:
                op.execute(f'ALTER TABLE {table} ADD COLUMN {column}')
    else:
        _add_columns_postgresql()

    # rate_rows is referenced by no other table: recreating it on SQLite loses nothing.
    with op.batch_alter_table('rate_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_category', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=60),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rate_floor', sa.Numeric(precision=14, scale=4), nullable=True))
        batch_op.drop_constraint('uq_rate_rows_year', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_rate_rows_year'), [*OLD_KEY, 'place_category', 'scope'])
        batch_op.create_check_constraint(batch_op.f('ck_rate_rows_place_category'),
                                         "place_category IN ('', 'existante', 'nouvelle')")
        batch_op.create_check_constraint(batch_op.f('ck_rate_rows_rate_floor'), 'rate_floor >= 0')


def _add_columns_postgresql() -> None:
    op.add_column('conventions', sa.Column('caf_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_conventions_caf_id_organisations'), 'conventions', 'organisations',
                          ['caf_id'], ['id'])
    op.add_column('facilities', sa.Column('new_places', sa.Integer(), nullable=True))
    op.add_column('facilities', sa.Column('new_places_from', sa.Date(), nullable=True))
    op.create_check_constraint(op.f('ck_facilities_new_places'), 'facilities', 'new_places >= 0')
    op.add_column('facility_activity', sa.Column('new_places', sa.Integer(), nullable=True))
    op.create_check_constraint(op.f('ck_facility_activity_new_places'), 'facility_activity', 'new_places >= 0')


def downgrade() -> None:
    with op.batch_alter_table('rate_rows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rate_rows_rate_floor'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_rate_rows_place_category'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_rate_rows_year'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_rate_rows_year'), OLD_KEY)
        batch_op.drop_column('rate_floor')
        batch_op.drop_column('scope')
        batch_op.drop_column('place_category')

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot drop a column that has a constraint, and recreating these tables would
        # cascade to their children: the NULL-able columns stay, unread by the older schema, and
        # a later upgrade finds them in place.
        return
    op.drop_constraint(op.f('ck_facility_activity_new_places'), 'facility_activity', type_='check')
    op.drop_column('facility_activity', 'new_places')
    op.drop_constraint(op.f('ck_facilities_new_places'), 'facilities', type_='check')
    op.drop_column('facilities', 'new_places_from')
    op.drop_column('facilities', 'new_places')
    op.drop_constraint(op.f('fk_conventions_caf_id_organisations'), 'conventions', type_='foreignkey')
    op.drop_column('conventions', 'caf_id')
