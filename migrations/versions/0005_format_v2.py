"""format v2: referentials as data, nested orientations, co-pilots and co-managers, step
indicators, intermediate targets, values per commune, commune figures per year, avenants

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The defaults of docs/format.md v2, written out: a migration must not change when the code does.
ORGANISATION_TYPES = [
    ('caf', 'CAF'), ('departement', 'Département'), ('region', 'Région'), ('commune', 'Commune'),
    ('epci', 'EPCI'), ('ccas', 'CCAS'), ('cias', 'CIAS'), ('syndicat', 'Syndicat'), ('cpam', 'CPAM'),
    ('msa', 'MSA'), ('etat', 'État'), ('education_nationale', 'Éducation nationale'),
    ('france_travail', 'France Travail'), ('association', 'Association'), ('autre', 'Autre'),
]
FACILITY_TYPES = [
    ('eaje', 'EAJE (crèche, multi-accueil)', True), ('alsh', 'ALSH (accueil de loisirs)', True),
    ('accueil_jeunes', 'Accueil de jeunes', True), ('rpe', 'RPE (relais petite enfance)', True),
    ('laep', "LAEP (lieu d'accueil enfants-parents)", True), ('ludotheque', 'Ludothèque', True),
    ('centre_social', 'Centre social', False), ('evs', 'EVS (espace de vie sociale)', False),
    ('mam', "MAM (maison d'assistants maternels)", False), ('micro_creche', 'Micro-crèche', False),
    ('france_services', 'France services', False),
]
NEW_DOMAINS = [
    ('sante', 'Santé', 11, '#117733'), ('seniors', 'Seniors', 12, '#882255'),
    ('insertion', 'Insertion', 13, '#44AA99'), ('mobilite', 'Mobilité', 14, '#DDCC77'),
]
NEW_LEVERS = [
    ('fonds_publics_territoires', 'Fonds publics et territoires', 6),
    ('bonus_inclusion_handicap', 'Bonus inclusion handicap', 7),
    ('bonus_mixite_sociale', 'Bonus mixité sociale', 8),
]
OLD_STATUSES = "'a_venir', 'en_cours', 'en_pause', 'realisee', 'abandonnee'"
OLD_ORGANISATION_TYPES = ("'caf', 'departement', 'commune', 'epci', 'ccas', 'syndicat', 'cpam', 'msa', 'etat', "
                          "'association', 'autre'")
OLD_FACILITY_TYPES = "'eaje', 'alsh', 'accueil_jeunes', 'rpe', 'laep', 'ludotheque', 'centre_social', 'evs'"

# SQLite cannot drop a constraint in place, and rebuilding organisations, facilities, orientations
# or actions (batch mode) would DROP a table that others reference: ON DELETE CASCADE would empty
# them, or the foreign keys would refuse. These edits change only constraints that every stored
# row already satisfies, so SQLite's documented procedure for such changes applies: rewrite the
# table's CREATE statement in sqlite_schema, then bump the schema version.
SQLITE_EDITS = {
    'organisations': [
        (f"CONSTRAINT ck_organisations_type CHECK (type IN ({OLD_ORGANISATION_TYPES}))",
         "CONSTRAINT fk_organisations_type_organisation_types FOREIGN KEY(type) "
         "REFERENCES organisation_types (code)"),
    ],
    'facilities': [
        (f"CONSTRAINT ck_facilities_type CHECK (type IN ({OLD_FACILITY_TYPES}))",
         "CONSTRAINT fk_facilities_type_facility_types FOREIGN KEY(type) REFERENCES facility_types (code)"),
    ],
    'orientations': [
        ("domain_code VARCHAR NOT NULL", "domain_code VARCHAR"),
    ],
    'actions': [
        (f"CONSTRAINT ck_actions_status CHECK (status IN ({OLD_STATUSES}))",
         f"CONSTRAINT ck_actions_status CHECK (status IN ('non_renseigne', {OLD_STATUSES}))"),
    ],
}
# Columns added in place on SQLite (a CHECK and a REFERENCES clause are accepted by ADD COLUMN).
SQLITE_COLUMNS = [
    ('conventions', 'department VARCHAR(60)'),
    ('conventions', 'signed_ends_on DATE'),
    ('orientations', 'parent_id INTEGER CONSTRAINT fk_orientations_parent_id_orientations '
                     'REFERENCES orientations (id)'),
    ('indicators', "nature VARCHAR(10) DEFAULT 'nombre' NOT NULL "
                   "CONSTRAINT ck_indicators_nature CHECK (nature IN ('nombre', 'etape'))"),
    ('indicators', 'steps VARCHAR(1000)'),
    ('measurements', 'insee_code VARCHAR CONSTRAINT fk_measurements_insee_code_communes '
                     'REFERENCES communes (insee_code)'),
]


def upgrade() -> None:
    _create_tables()
    _seed_referentials()
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for table, edits in SQLITE_EDITS.items():
            _rewrite_sqlite_table(table, edits)
        for table, column in SQLITE_COLUMNS:
            if column.split()[0] not in {c['name'] for c in sa.inspect(bind).get_columns(table)}:
                op.execute(f'ALTER TABLE {table} ADD COLUMN {column}')
    else:
        _alter_postgresql()
    # No avenant existed before version 2: every end date so far is the signed one.
    op.execute('UPDATE conventions SET signed_ends_on = ends_on')
    # rate_rows is referenced by no other table: batch mode may recreate it on SQLite.
    with op.batch_alter_table('rate_rows') as batch_op:
        batch_op.drop_constraint(op.f('ck_rate_rows_facility_type'), type_='check')
    op.create_index(op.f('ix_orientations_parent_id'), 'orientations', ['parent_id'], unique=False)
    op.drop_index('uq_measurements_current', table_name='measurements')
    op.create_index('uq_measurements_current', 'measurements', ['indicator_id', 'measured_on', 'type'], unique=True,
                    sqlite_where=sa.text('superseded_at IS NULL AND insee_code IS NULL'),
                    postgresql_where=sa.text('superseded_at IS NULL AND insee_code IS NULL'))
    op.create_index('uq_measurements_current_commune', 'measurements',
                    ['indicator_id', 'measured_on', 'type', 'insee_code'], unique=True,
                    sqlite_where=sa.text('superseded_at IS NULL AND insee_code IS NOT NULL'),
                    postgresql_where=sa.text('superseded_at IS NULL AND insee_code IS NOT NULL'))


def _create_tables() -> None:
    op.create_table(
        'organisation_types',
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_organisation_types')),
    )
    op.create_table(
        'facility_types',
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('bonus', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_facility_types')),
    )
    op.create_table(
        'amendments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('convention_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('signed_on', sa.Date(), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('number > 0', name=op.f('ck_amendments_number')),
        sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'],
                                name=op.f('fk_amendments_convention_id_conventions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_amendments')),
        sa.UniqueConstraint('convention_id', 'number', name=op.f('uq_amendments_convention_id')),
    )
    op.create_table(
        'commune_figures',
        sa.Column('insee_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('population', sa.Integer(), nullable=True),
        sa.Column('children_under_3', sa.Integer(), nullable=True),
        sa.Column('qpv', sa.Boolean(), nullable=True),
        sa.CheckConstraint('children_under_3 >= 0', name=op.f('ck_commune_figures_children_under_3')),
        sa.CheckConstraint('population >= 0', name=op.f('ck_commune_figures_population')),
        sa.ForeignKeyConstraint(['insee_code'], ['communes.insee_code'],
                                name=op.f('fk_commune_figures_insee_code_communes')),
        sa.PrimaryKeyConstraint('insee_code', 'year', name=op.f('pk_commune_figures')),
    )
    for table, owner, owner_table in (('action_copilots', 'action_id', 'actions'),
                                      ('facility_comanagers', 'facility_id', 'facilities')):
        op.create_table(
            table,
            sa.Column(owner, sa.Integer(), nullable=False),
            sa.Column('organisation_id', sa.Integer(), nullable=False),
            sa.Column('position', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint([owner], [f'{owner_table}.id'], name=op.f(f'fk_{table}_{owner}_{owner_table}'),
                                    ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                    name=op.f(f'fk_{table}_organisation_id_organisations')),
            sa.PrimaryKeyConstraint(owner, 'organisation_id', name=op.f(f'pk_{table}')),
        )
        op.create_index(op.f(f'ix_{table}_organisation_id'), table, ['organisation_id'], unique=False)
    op.create_table(
        'indicator_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('target_on', sa.Date(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'],
                                name=op.f('fk_indicator_targets_indicator_id_indicators'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_targets')),
        sa.UniqueConstraint('indicator_id', 'target_on', name=op.f('uq_indicator_targets_indicator_id')),
    )


def _seed_referentials() -> None:
    organisation_types = sa.table('organisation_types', sa.column('code'), sa.column('label'), sa.column('position'))
    op.bulk_insert(organisation_types, [
        {'code': code, 'label': label, 'position': position}
        for position, (code, label) in enumerate(ORGANISATION_TYPES, start=1)])
    facility_types = sa.table('facility_types', sa.column('code'), sa.column('label'), sa.column('position'),
                              sa.column('bonus'))
    op.bulk_insert(facility_types, [
        {'code': code, 'label': label, 'position': position, 'bonus': bonus}
        for position, (code, label, bonus) in enumerate(FACILITY_TYPES, start=1)])
    domains = sa.table('domains', sa.column('code'), sa.column('label'), sa.column('position'), sa.column('colour'))
    op.bulk_insert(domains, [{'code': c, 'label': label, 'position': p, 'colour': colour}
                             for c, label, p, colour in NEW_DOMAINS])
    # Subvention and Autre move after the new levers, as docs/format.md lists them.
    op.execute("UPDATE funding_levers SET position = 9 WHERE code = 'subvention'")
    op.execute("UPDATE funding_levers SET position = 10 WHERE code = 'autre'")
    levers = sa.table('funding_levers', sa.column('code'), sa.column('label'), sa.column('position'))
    op.bulk_insert(levers, [{'code': c, 'label': label, 'position': p} for c, label, p in NEW_LEVERS])


def _rewrite_sqlite_table(table: str, edits: list[tuple[str, str]], *, undo: bool = False) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    for old, new in edits:
        before, after = (new, old) if undo else (old, new)
        if before not in sql:
            raise RuntimeError(f'{table}: the schema is not the one this migration knows ({before!r} missing)')
        sql = sql.replace(before, after)
    schema_version = bind.exec_driver_sql('PRAGMA schema_version').scalar_one()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.exec_driver_sql("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
    bind.exec_driver_sql(f'PRAGMA schema_version = {schema_version + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')


def _alter_postgresql() -> None:
    op.drop_constraint(op.f('ck_organisations_type'), 'organisations', type_='check')
    op.create_foreign_key(op.f('fk_organisations_type_organisation_types'), 'organisations', 'organisation_types',
                          ['type'], ['code'])
    op.drop_constraint(op.f('ck_facilities_type'), 'facilities', type_='check')
    op.create_foreign_key(op.f('fk_facilities_type_facility_types'), 'facilities', 'facility_types',
                          ['type'], ['code'])
    op.alter_column('orientations', 'domain_code', existing_type=sa.VARCHAR(), nullable=True)
    op.add_column('orientations', sa.Column('parent_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_orientations_parent_id_orientations'), 'orientations', 'orientations',
                          ['parent_id'], ['id'])
    op.drop_constraint(op.f('ck_actions_status'), 'actions', type_='check')
    op.create_check_constraint(op.f('ck_actions_status'), 'actions', f"status IN ('non_renseigne', {OLD_STATUSES})")
    op.add_column('conventions', sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
    op.add_column('conventions', sa.Column('signed_ends_on', sa.Date(), nullable=True))
    op.add_column('indicators', sa.Column('nature', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                          server_default='nombre'))
    op.create_check_constraint(op.f('ck_indicators_nature'), 'indicators', "nature IN ('nombre', 'etape')")
    op.add_column('indicators', sa.Column('steps', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
    op.add_column('measurements', sa.Column('insee_code', sa.VARCHAR(), nullable=True))
    op.create_foreign_key(op.f('fk_measurements_insee_code_communes'), 'measurements', 'communes',
                          ['insee_code'], ['insee_code'])


def downgrade() -> None:
    # Rows that only version 2 can hold (a value per commune, a new type or status, a nested
    # orientation) have no place in version 1: they are removed or brought back to a v1 value.
    op.execute('DELETE FROM measurements WHERE insee_code IS NOT NULL')
    op.drop_index('uq_measurements_current_commune', table_name='measurements')
    op.drop_index('uq_measurements_current', table_name='measurements')
    op.create_index('uq_measurements_current', 'measurements', ['indicator_id', 'measured_on', 'type'], unique=True,
                    sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))
    op.drop_index(op.f('ix_orientations_parent_id'), table_name='orientations')
    op.execute("UPDATE actions SET status = 'a_venir' WHERE status = 'non_renseigne'")
    op.execute("UPDATE orientations SET domain_code = COALESCE((SELECT MIN(a.domain_code) FROM actions a "
               "WHERE a.orientation_id = orientations.id), 'accompagnement_social') WHERE domain_code IS NULL")
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # Added columns stay on SQLite (dropping one rebuilds the table); the constraints go back.
        op.execute('UPDATE orientations SET parent_id = NULL')
        for table, edits in SQLITE_EDITS.items():
            _rewrite_sqlite_table(table, edits, undo=True)
    else:
        op.drop_constraint(op.f('fk_measurements_insee_code_communes'), 'measurements', type_='foreignkey')
        op.drop_column('measurements', 'insee_code')
        op.drop_column('indicators', 'steps')
        op.drop_constraint(op.f('ck_indicators_nature'), 'indicators', type_='check')
        op.drop_column('indicators', 'nature')
        op.drop_column('conventions', 'signed_ends_on')
        op.drop_column('conventions', 'department')
        op.drop_constraint(op.f('ck_actions_status'), 'actions', type_='check')
        op.create_check_constraint(op.f('ck_actions_status'), 'actions', f'status IN ({OLD_STATUSES})')
        op.drop_constraint(op.f('fk_orientations_parent_id_orientations'), 'orientations', type_='foreignkey')
        op.drop_column('orientations', 'parent_id')
        op.alter_column('orientations', 'domain_code', existing_type=sa.VARCHAR(), nullable=False)
        op.drop_constraint(op.f('fk_facilities_type_facility_types'), 'facilities', type_='foreignkey')
        op.create_check_constraint(op.f('ck_facilities_type'), 'facilities', f'type IN ({OLD_FACILITY_TYPES})')
        op.drop_constraint(op.f('fk_organisations_type_organisation_types'), 'organisations', type_='foreignkey')
        op.create_check_constraint(op.f('ck_organisations_type'), 'organisations', f'type IN ({OLD_ORGANISATION_TYPES})')
    with op.batch_alter_table('rate_rows') as batch_op:
        batch_op.create_check_constraint(op.f('ck_rate_rows_facility_type'), f"facility_type IN ('', {OLD_FACILITY_TYPES})")
    op.execute("DELETE FROM funding_levers WHERE code IN "
               "('fonds_publics_territoires', 'bonus_inclusion_handicap', 'bonus_mixite_sociale')")
    op.execute("UPDATE funding_levers SET position = 6 WHERE code = 'subvention'")
    op.execute("UPDATE funding_levers SET position = 7 WHERE code = 'autre'")
    op.execute("DELETE FROM domains WHERE code IN ('sante', 'seniors', 'insertion', 'mobilite')")
    op.drop_table('indicator_targets')
    op.drop_table('facility_comanagers')
    op.drop_table('action_copilots')
    op.drop_table('commune_figures')
    op.drop_table('amendments')
    op.drop_table('facility_types')
    op.drop_table('organisation_types')
