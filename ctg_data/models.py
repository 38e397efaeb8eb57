"""The CTG store: one SQLModel table per concept of the interchange format (docs/format.md).

The database itself refuses bad rows (foreign keys, unique codes per convention, CHECK
constraints) so that no path — form, import, script — can store what the rules forbid.
Money is NUMERIC with two decimals, read back as Decimal. Enumerated columns are plain
text guarded by CHECK constraints: portable across SQLite and PostgreSQL, and easy to migrate.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeAlias

from pydantic_core import PydanticUndefined
from sqlalchemy import CheckConstraint, DateTime, Index, Numeric, UniqueConstraint, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from ctg_data.vocabulary import (
    ActionStatus,
    Attendance,
    DecisionStatus,
    Direction,
    Frequency,
    IndicatorNature,
    MeasurementType,
    MeetingKind,
    MeetingStatus,
    RateBasis,
    sql_in,
)

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


# What a foreign key may do when the row it points at is deleted (sqlmodel's OnDeleteType).
OnDelete: TypeAlias = Literal["CASCADE", "SET NULL", "RESTRICT"]


def money(*, nullable: bool = True, default: Decimal | None = None) -> Any:
    return Field(default=default, sa_type=Numeric(14, 2, asdecimal=True), nullable=nullable)


def rate(*, nullable: bool = True) -> Any:
    # Barème amounts go below the cent (0,15 € per hour) and percentages have two decimals.
    return Field(default=None, sa_type=Numeric(14, 4, asdecimal=True), nullable=nullable)


def timestamp(*, nullable: bool = False, default_factory: Callable[[], datetime | None] = utcnow) -> Any:
    return Field(
        default_factory=default_factory,
        sa_column_kwargs={"nullable": nullable},
        sa_type=DateTime(timezone=True),
    )


def fk(target: str, *, nullable: bool = False, index: bool = True, ondelete: OnDelete | None = None) -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        nullable=nullable,
        index=index,
        # Field's own "not given" (its typing has no None): the foreign key then has no ON DELETE.
        ondelete=PydanticUndefined if ondelete is None else ondelete,
    )


@declared_attr.directive
def versioned(cls: Any) -> dict[str, Any]:
    """Mapper arguments of a record edited through forms (optimistic locking): every UPDATE and
    DELETE carries `WHERE version = <version read>`, so that a save from a stale read changes
    no row and fails (StaleDataError) instead of overwriting someone else's edit. The writers
    bump `version` themselves (ctg_data.store.save, the loader)."""
    # `cls` is Any: SQLModel's typing has no `__table__`, and the mapper inspect() reads is not built yet.
    return {"version_id_col": cls.__table__.c.version, "version_id_generator": False}


# ---------------------------------------------------------------- referentials


class Domain(SQLModel, table=True):
    """An intervention domain: the defaults of docs/format.md (seeded by the migrations), and
    those administrators add (sheet `domaines`, Référentiels page)."""

    __tablename__ = "domains"
    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=80)
    position: int
    colour: str = Field(max_length=7)


class FundingLever(SQLModel, table=True):
    __tablename__ = "funding_levers"
    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=80)
    position: int


class OrganisationKind(SQLModel, table=True):
    """A type of organisation (sheet `types_organisation`): referential data administrators extend."""

    __tablename__ = "organisation_types"
    code: str = Field(primary_key=True, max_length=20)
    label: str = Field(max_length=80)
    position: int


class FacilityKind(SQLModel, table=True):
    """A type of facility (sheet `types_equipement`) and whether the bonus territoire may fund it
    (docs/rules.md, "Eligibility"): referential data administrators extend."""

    __tablename__ = "facility_types"
    code: str = Field(primary_key=True, max_length=20)
    label: str = Field(max_length=80)
    position: int
    bonus: bool


# ---------------------------------------------------------------- conventions and partners


class Convention(SQLModel, table=True):
    __tablename__ = "conventions"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    territory: str | None = Field(default=None, max_length=200)
    signed_on: date | None = None
    starts_on: date
    ends_on: date
    # The CAF whose barème rows apply (portée); when empty, the signatory of type caf.
    caf_id: int | None = fk("organisations.id", nullable=True, index=False)
    # A restricted convention is visible only to admins and to the accounts given access to it.
    restricted: bool = False
    department: str | None = Field(default=None, max_length=60)
    # The end date signed with the convention, before any avenant: a spreadsheet that keeps it
    # beside the avenant that moved it re-imports unchanged (services.amendments.imported_dates).
    signed_ends_on: date | None = None
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Amendment(SQLModel, table=True):
    """An avenant: the only way a convention's dates change; the convention's `ends_on` is the
    latest avenant's `ends_on` when one gives it. Kept, never edited away."""

    __tablename__ = "amendments"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("convention_id", "number"), CheckConstraint("number > 0", name="number"))
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", index=False, ondelete="CASCADE")
    number: int
    signed_on: date
    subject: str = Field(max_length=1000)
    ends_on: date | None = None
    version: int = 1
    created_at: datetime = timestamp()


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    type: str = Field(max_length=20, foreign_key="organisation_types.code")


class Signatory(SQLModel, table=True):
    __tablename__ = "signatories"
    convention_id: int = Field(foreign_key="conventions.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True, index=True)
    representative: str | None = Field(default=None, max_length=500)
    capacity: str | None = Field(default=None, max_length=1000)


class Commune(SQLModel, table=True):
    __tablename__ = "communes"
    __table_args__ = (
        CheckConstraint("population >= 0", name="population"),
        CheckConstraint("children_under_3 >= 0", name="children_under_3"),
    )
    insee_code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=120)
    # The commune's figures when no year is given (format v1); dated ones are CommuneFigures.
    population: int | None = None
    children_under_3: int | None = None
    qpv: bool | None = None


class CommuneFigures(SQLModel, table=True):
    """A commune's figures of one year (`annee_donnees`): a new year is added, never overwrites."""

    __tablename__ = "commune_figures"
    __table_args__ = (
        CheckConstraint("population >= 0", name="population"),
        CheckConstraint("children_under_3 >= 0", name="children_under_3"),
    )
    insee_code: str = Field(foreign_key="communes.insee_code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    population: int | None = None
    children_under_3: int | None = None
    qpv: bool | None = None


class Perimeter(SQLModel, table=True):
    """The communes a convention covers."""

    __tablename__ = "perimeter"
    convention_id: int = Field(foreign_key="conventions.id", primary_key=True, ondelete="CASCADE")
    insee_code: str = Field(foreign_key="communes.insee_code", primary_key=True, index=True)


class Orientation(SQLModel, table=True):
    __tablename__ = "orientations"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("convention_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    code: str = Field(max_length=60)
    # Enjeu → objectif → … (at most three levels); an enjeu may span domains, so the domain is optional.
    parent_id: int | None = fk("orientations.id", nullable=True)
    domain_code: str | None = fk("domains.code", nullable=True)
    title: str = Field(max_length=500)
    version: int = 1


# ---------------------------------------------------------------- actions


class Action(SQLModel, table=True):
    """A fiche action of the plan. `version` guards against lost updates (optimistic locking)."""

    __tablename__ = "actions"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("convention_id", "code"),
        CheckConstraint(f"status IN {sql_in(ActionStatus)}", name="status"),
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("planned_budget >= 0", name="planned_budget"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    code: str = Field(max_length=60)
    title: str = Field(max_length=500)
    domain_code: str = fk("domains.code")
    orientation_id: int | None = fk("orientations.id", nullable=True)
    pilot_id: int = fk("organisations.id")
    target_public: str | None = Field(default=None, max_length=500)
    # An empty `statut` (or none given to a new action) is non_renseigne: no progress until stated.
    status: str = Field(default=ActionStatus.NON_RENSEIGNE, max_length=20)
    priority: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    progress: int | None = None
    weight: Decimal = Field(default=Decimal(1), sa_type=Numeric(8, 2, asdecimal=True))
    planned_budget: Decimal | None = money()
    description: str | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    deleted_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)


class ActionPartner(SQLModel, table=True):
    __tablename__ = "action_partners"
    action_id: int = Field(foreign_key="actions.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True, index=True)


class ActionCopilot(SQLModel, table=True):
    """A co-pilot of an action (`pilote` = lead;co-pilot;…); `position` keeps the file's order."""

    __tablename__ = "action_copilots"
    action_id: int = Field(foreign_key="actions.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True, index=True)
    position: int


class ActionCommune(SQLModel, table=True):
    __tablename__ = "action_communes"
    action_id: int = Field(foreign_key="actions.id", primary_key=True, ondelete="CASCADE")
    insee_code: str = Field(foreign_key="communes.insee_code", primary_key=True, index=True)


class ActionNote(SQLModel, table=True):
    """A dated follow-up note; notes are added, never edited, so the timeline stays true."""

    __tablename__ = "action_notes"
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = fk("actions.id", ondelete="CASCADE")
    noted_on: date
    text: str
    author: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp()


# ---------------------------------------------------------------- indicators


class Indicator(SQLModel, table=True):
    __tablename__ = "indicators"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("convention_id", "code"),
        CheckConstraint(f"direction IN {sql_in(Direction)}", name="direction"),
        CheckConstraint(f"frequency IN {sql_in(Frequency)}", name="frequency"),
        CheckConstraint(f"nature IN {sql_in(IndicatorNature)}", name="nature"),
        CheckConstraint("max_value >= min_value", name="max_above_min"),
        CheckConstraint("target_date >= baseline_date", name="target_after_baseline"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    code: str = Field(max_length=60)
    name: str = Field(max_length=300)
    domain_code: str = fk("domains.code")
    action_id: int | None = fk("actions.id", nullable=True)
    unit: str = Field(max_length=120)
    direction: str = Field(max_length=10)
    # A step indicator's values are the positions (0, 1, …) of its ordered `steps` (codes joined by
    # ";"): reference, target, intermediate targets and measurements alike.
    nature: str = Field(default=IndicatorNature.NOMBRE, max_length=10, sa_column_kwargs={"server_default": "nombre"})
    steps: str | None = Field(default=None, max_length=1000)
    baseline_value: float | None = None
    baseline_date: date | None = None
    baseline_source: str | None = Field(default=None, max_length=300)
    target_value: float | None = None
    target_date: date | None = None
    frequency: str | None = Field(default=None, max_length=20)
    min_value: float | None = None
    max_value: float | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class IndicatorTarget(SQLModel, table=True):
    """An intermediate target (sheet `cibles`): a dated value the trajectory passes through."""

    __tablename__ = "indicator_targets"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("indicator_id", "target_on"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = fk("indicators.id", index=False, ondelete="CASCADE")
    target_on: date
    value: float
    version: int = 1
    updated_at: datetime = timestamp()


class Measurement(SQLModel, table=True):
    """A dated value of an indicator. Append-only: a correction inserts a new row and stamps
    the old one as superseded, so the history of what was reported is never lost."""

    __tablename__ = "measurements"
    __table_args__ = (
        CheckConstraint(f"type IN {sql_in(MeasurementType)}", name="type"),
        # One current value per indicator, date, type and commune (none: the whole convention);
        # superseded rows stay beside it. Two indexes, as NULL codes would never collide in one.
        Index(
            "uq_measurements_current",
            "indicator_id",
            "measured_on",
            "type",
            unique=True,
            sqlite_where=text("superseded_at IS NULL AND insee_code IS NULL"),
            postgresql_where=text("superseded_at IS NULL AND insee_code IS NULL"),
        ),
        Index(
            "uq_measurements_current_commune",
            "indicator_id",
            "measured_on",
            "type",
            "insee_code",
            unique=True,
            sqlite_where=text("superseded_at IS NULL AND insee_code IS NOT NULL"),
            postgresql_where=text("superseded_at IS NULL AND insee_code IS NOT NULL"),
        ),
        Index("ix_measurements_latest", "indicator_id", "type", "measured_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = fk("indicators.id", index=False, ondelete="CASCADE")
    measured_on: date
    value: float
    type: str = Field(default=MeasurementType.RESULTAT, max_length=20)
    # The value of one commune of the perimeter; none: the value of the whole convention.
    insee_code: str | None = fk("communes.insee_code", nullable=True, index=False)
    source: str | None = Field(default=None, max_length=300)
    comment: str | None = None
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = timestamp()
    superseded_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    superseded_by_id: int | None = fk("measurements.id", nullable=True, index=False)
    # A CAF advisor's validation of a reported value (who and when), kept with the value.
    validated_by: str | None = Field(default=None, max_length=200)
    validated_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)


# ---------------------------------------------------------------- facilities and funding


class Facility(SQLModel, table=True):
    __tablename__ = "facilities"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("convention_id", "code"),
        CheckConstraint("places >= 0", name="places"),
        CheckConstraint("new_places >= 0", name="new_places"),
        CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    code: str = Field(max_length=60)
    name: str = Field(max_length=200)
    type: str = Field(max_length=20, foreign_key="facility_types.code")
    insee_code: str = fk("communes.insee_code")
    manager_id: int = fk("organisations.id")  # the main manager; co-managers are FacilityComanager
    places: int | None = None
    # Places created since the convention began (bonus v2), counted from new_places_from.
    new_places: int | None = None
    new_places_from: date | None = None
    psu: bool | None = None
    territory_class: str = Field(default="", max_length=20)
    opens_on: date | None = None
    closes_on: date | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class FacilityComanager(SQLModel, table=True):
    """A co-manager of a facility (`gestionnaire` = main;co-manager;…), in the file's order."""

    __tablename__ = "facility_comanagers"
    facility_id: int = Field(foreign_key="facilities.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True, index=True)
    position: int


class FacilityActivity(SQLModel, table=True):
    __tablename__ = "facility_activity"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("facility_id", "year"),
        CheckConstraint("places >= 0", name="places"),
        CheckConstraint("new_places >= 0", name="new_places"),
        CheckConstraint("hours_delivered >= 0", name="hours_delivered"),
        CheckConstraint("hours_billed >= 0", name="hours_billed"),
        CheckConstraint("fte >= 0", name="fte"),
    )
    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = fk("facilities.id", index=False, ondelete="CASCADE")
    year: int
    places: int | None = None
    new_places: int | None = None
    hours_delivered: Decimal | None = Field(default=None, sa_type=Numeric(12, 2, asdecimal=True))
    hours_billed: Decimal | None = Field(default=None, sa_type=Numeric(12, 2, asdecimal=True))
    fte: Decimal | None = Field(default=None, sa_type=Numeric(6, 2, asdecimal=True))
    version: int = 1
    updated_at: datetime = timestamp()


class RateRow(SQLModel, table=True):
    """A barème row. Empty facility_type / territory_class / place_category / scope mean "any"
    (scope: national) and are stored as '' so that the uniqueness of the key holds on every
    database, where NULLs would be distinct."""

    __tablename__ = "rate_rows"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("year", "lever_code", "facility_type", "territory_class", "place_category", "scope"),
        CheckConstraint("place_category IN ('', 'existante', 'nouvelle')", name="place_category"),
        CheckConstraint("rate_floor >= 0", name="rate_floor"),
        CheckConstraint(f"basis IN {sql_in(RateBasis)}", name="basis"),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("floor >= 0", name="floor"),
        CheckConstraint("cap >= 0", name="cap"),
        CheckConstraint("cap >= floor", name="cap_above_floor"),
    )
    id: int | None = Field(default=None, primary_key=True)
    year: int
    lever_code: str = fk("funding_levers.code", index=False)
    facility_type: str = Field(default="", max_length=20)  # a facility_types code, or '' for any
    territory_class: str = Field(default="", max_length=20)
    # existante / nouvelle places (bonus v2), and a convention's or a CAF's code (portée).
    place_category: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    scope: str = Field(default="", max_length=60, sa_column_kwargs={"server_default": ""})
    basis: str = Field(max_length=20)
    amount: Decimal = rate(nullable=False)
    rate_floor: Decimal | None = rate()  # taux_plancher: a floor on the rate itself
    floor: Decimal | None = money()
    cap: Decimal | None = money()
    source: str | None = Field(default=None, max_length=300)
    version: int = 1
    updated_at: datetime = timestamp()


class CoordinationPost(SQLModel, table=True):
    __tablename__ = "coordination_posts"
    __mapper_args__ = versioned
    __table_args__ = (
        UniqueConstraint("convention_id", "code"),
        CheckConstraint("fte > 0", name="fte"),
        CheckConstraint("annual_cost >= 0", name="annual_cost"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    code: str = Field(max_length=60)
    title: str = Field(max_length=200)
    employer_id: int = fk("organisations.id")
    fte: Decimal = Field(sa_type=Numeric(6, 2, asdecimal=True))
    starts_on: date
    ends_on: date | None = None
    annual_cost: Decimal | None = money()
    version: int = 1


class FundingLine(SQLModel, table=True):
    """Money of one lever and year from a funder to a beneficiary: planned, notified, paid."""

    __tablename__ = "funding_lines"
    __mapper_args__ = versioned
    __table_args__ = (
        CheckConstraint("planned >= 0", name="planned"),
        CheckConstraint("notified >= 0", name="notified"),
        CheckConstraint("paid >= 0", name="paid"),
        Index("ix_funding_lines_convention_year", "convention_id", "year", "lever_code"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", index=False, ondelete="CASCADE")
    lever_code: str = fk("funding_levers.code", index=False)
    year: int
    funder_id: int = fk("organisations.id", index=False)
    beneficiary_id: int = fk("organisations.id", index=False)
    facility_id: int | None = fk("facilities.id", nullable=True)
    action_id: int | None = fk("actions.id", nullable=True)
    post_id: int | None = fk("coordination_posts.id", nullable=True)
    domain_code: str | None = fk("domains.code", nullable=True, index=False)
    planned: Decimal | None = money()
    notified: Decimal | None = money()
    paid: Decimal | None = money()
    comment: str | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


# ---------------------------------------------------------------- audit


class AuditEvent(SQLModel, table=True):
    """Who changed which record, when, from what to what (JSON text, for any database)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_record", "table_name", "record_key"),
        # The data version of one convention (max id) and its recent changes read this index only.
        Index("ix_audit_events_convention", "convention_id", "id"),
        # A convention's latest events of one table (its actions' status changes), however many others.
        Index("ix_audit_events_convention_table", "convention_id", "table_name", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # The convention the audited record belongs to; None for shared data (referentials, rates,
    # accounts, organisations, communes), which every convention reads. No foreign key: the
    # trail outlives a deleted convention.
    convention_id: int | None = None
    at: datetime = timestamp()
    actor: str = Field(max_length=200)
    operation: str = Field(max_length=40)
    table_name: str = Field(max_length=60)
    record_key: str = Field(max_length=200)
    before: str | None = None
    after: str | None = None
    # Why, when the user had to say it (a changed due date, a date outside the convention).
    reason: str | None = None


# ---------------------------------------------------------------- accounts


class User(SQLModel, table=True):
    """A person who signs in. A `partenaire` is tied to an organisation and writes only for it.
    No password hash means the account signs in only through single sign-on."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('lecteur', 'partenaire', 'conseiller', 'admin')", name="role"),
        CheckConstraint("role <> 'partenaire' OR organisation_id IS NOT NULL", name="partner_has_organisation"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=20)
    organisation_id: int | None = fk("organisations.id", nullable=True)
    password_hash: str | None = Field(default=None, max_length=300)
    must_change_password: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    disabled_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    last_login_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    # Sign-in throttling: no attempt is checked before this moment (growing delays, and a hold
    # while one attempt is being checked, so that parallel attempts cannot all be tried).
    not_before: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    # Bumped when every open session of the account must end (password, role, disabling).
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A local-password account opens through the directory only when an administrator says so.
    directory_sign_in: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class ConventionMember(SQLModel, table=True):
    """Who may see a restricted convention (admins see every convention)."""

    __tablename__ = "convention_members"
    convention_id: int = Field(foreign_key="conventions.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE")


class SignInThrottle(SQLModel, table=True):
    """Failures and waits of what has no account row to hold them: an address without an
    account (counted like an account, so that both answer alike) or a client address.
    The key is a SHA-256 digest: a password typed into the e-mail field is never stored."""

    __tablename__ = "sign_in_throttle"
    scope: str = Field(primary_key=True, max_length=10)
    key: str = Field(primary_key=True, max_length=64)
    failed_attempts: int = 0
    not_before: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    locked_until: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    updated_at: datetime = timestamp()


class SignInEvent(SQLModel, table=True):
    """Sign-ins, failures, refusals, locks and sign-outs. Kept apart from audit_events: the
    read caches follow audit_events, and failed attempts by strangers must not empty them."""

    __tablename__ = "sign_in_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp()
    operation: str = Field(max_length=40)
    # The address typed, only when it reads as an address: never a password typed there.
    email: str = Field(max_length=254)
    user_id: int | None = Field(default=None, index=True)
    client: str | None = Field(default=None, max_length=64)
    detail: str | None = None


# ---------------------------------------------------------------- typing helpers

# The records edited through forms: each carries the `version` of optimistic locking (`versioned`).
# Quoted: meetings and decisions are declared further down the file.
Versioned: TypeAlias = (
    "Orientation | Action | Indicator | IndicatorTarget | Facility | FacilityActivity | RateRow | CoordinationPost"
    " | FundingLine | Meeting | Decision | AnnualReview | DomainEvaluation"
)


class _WithId(Protocol):
    id: int | None


def stored_id(record: _WithId) -> int:
    """The id of a record read from the database or flushed to it. The models type it `int | None`
    because a new record has none until it is flushed."""
    if record.id is None:
        raise ValueError(f"{type(record).__name__} has no id: it was never flushed")
    return record.id


# ---------------------------------------------------------------- web sessions


class WebSession(SQLModel, table=True):
    """A browser signed in with a local account (ctg_data.accounts.web_sessions): kept in the
    database so that every app process sees it, ended by sign-out, inactivity, a maximum age or
    a new session epoch of the account. Only SHA-256 digests of its tokens are stored."""

    __tablename__ = "web_sessions"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = fk("users.id", ondelete="CASCADE")
    # Digest of the token the browser's cookie carries; NULL until the browser exchanged its handoff.
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    # Digest of the one-time handoff given to the tab that signed in; NULL once used.
    handoff_hash: str | None = Field(default=None, max_length=64, unique=True)
    handoff_expires_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    # The account's session epoch when the session opened: a newer epoch ends it.
    session_epoch: int
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))  # the maximum age, whatever the activity
    revoked_at: datetime | None = timestamp(nullable=True, default_factory=lambda: None)
    user_agent: str | None = Field(default=None, max_length=200)


class AppSecret(SQLModel, table=True):
    """Secrets generated by the app itself and shared by all its processes (the key that signs
    the session cookie). Never shown, never exported."""

    __tablename__ = "app_secrets"
    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = timestamp()


# ---------------------------------------------------------------- meetings and decisions (issue 14)


class Meeting(SQLModel, table=True):
    """A steering meeting of a convention (COPIL, COTECH or a thematic committee): its date,
    place, agenda and minutes; its participants and decisions are rows of their own."""

    __tablename__ = "meetings"
    __mapper_args__ = versioned
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(MeetingKind)}", name="kind"),
        CheckConstraint(f"status IN {sql_in(MeetingStatus)}", name="status"),
        # A thematic committee says which theme; the others need none.
        CheckConstraint("kind <> 'thematique' OR theme IS NOT NULL", name="theme"),
    )
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    theme: str | None = Field(default=None, max_length=200)
    held_on: date
    place: str | None = Field(default=None, max_length=200)
    agenda: str | None = None
    minutes: str | None = None
    status: str = Field(default=MeetingStatus.PREVUE, max_length=20)
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class MeetingParticipant(SQLModel, table=True):
    """An organisation at a meeting (optionally the person who came for it): present or excused."""

    __tablename__ = "meeting_participants"
    __table_args__ = (CheckConstraint(f"attendance IN {sql_in(Attendance)}", name="attendance"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = fk("meetings.id", ondelete="CASCADE")
    organisation_id: int = fk("organisations.id")
    person: str | None = Field(default=None, max_length=200)
    attendance: str = Field(default=Attendance.PRESENT, max_length=20)


class Decision(SQLModel, table=True):
    """A decision taken at a meeting: dated by its meeting, with an optional owner and due date."""

    __tablename__ = "decisions"
    __mapper_args__ = versioned
    __table_args__ = (CheckConstraint(f"status IN {sql_in(DecisionStatus)}", name="status"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = fk("meetings.id", ondelete="CASCADE")
    text: str
    owner_id: int | None = fk("organisations.id", nullable=True)
    due_on: date | None = None
    status: str = Field(default=DecisionStatus.A_FAIRE, max_length=20)
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class DecisionLink(SQLModel, table=True):
    """What a decision is about: one action, one indicator or one facility per row. Deleting the
    record drops the link, never the decision."""

    __tablename__ = "decision_links"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN indicator_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN facility_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        # NULLs are distinct: each constraint only bites on the rows naming that kind of record.
        UniqueConstraint("decision_id", "action_id", name="uq_decision_links_action"),
        UniqueConstraint("decision_id", "indicator_id", name="uq_decision_links_indicator"),
        UniqueConstraint("decision_id", "facility_id", name="uq_decision_links_facility"),
    )
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = fk("decisions.id", index=False, ondelete="CASCADE")
    action_id: int | None = fk("actions.id", nullable=True, ondelete="CASCADE")
    indicator_id: int | None = fk("indicators.id", nullable=True, ondelete="CASCADE")
    facility_id: int | None = fk("facilities.id", nullable=True, ondelete="CASCADE")


# ---------------------------------------------------------------- snapshots


class Snapshot(SQLModel, table=True):
    """What a meeting was shown, frozen when it was closed: the indicators, actions, roll-ups,
    funding and bonus lines as the views computed them at the meeting's date (`as_of`), kept as
    one JSON document (`payload`, money as Decimal strings) read back by queries.snapshots.
    Never updated (a trigger refuses it) nor deleted but with its meeting's convention."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("meeting_id", name="uq_snapshots_meeting_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = fk("meetings.id", index=False, ondelete="CASCADE")
    convention_id: int = fk("conventions.id", ondelete="CASCADE")
    taken_at: datetime = timestamp()
    as_of: date
    schema_version: int
    payload: str


# ---------------------------------------------------------------- annual reviews (issue 14)


class AnnualReview(SQLModel, table=True):
    """The yearly review of a convention, written by its committee: what was done, what was not,
    the partners' comments and the decisions for the next year (plain text, read beside the
    frozen figures of that year's last closed COPIL)."""

    __tablename__ = "annual_reviews"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("convention_id", "year", name="uq_annual_reviews_convention_year"),)
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", index=False, ondelete="CASCADE")
    year: int
    done: str | None = None
    not_done: str | None = None
    partners_comments: str | None = None
    next_year: str | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class DomainEvaluation(SQLModel, table=True):
    """The evaluation of one domain in the convention's last year: text over the figures of its
    first and last snapshots."""

    __tablename__ = "domain_evaluations"
    __mapper_args__ = versioned
    __table_args__ = (UniqueConstraint("convention_id", "domain_code", name="uq_domain_evaluations_convention_domain"),)
    id: int | None = Field(default=None, primary_key=True)
    convention_id: int = fk("conventions.id", index=False, ondelete="CASCADE")
    domain_code: str = fk("domains.code", index=False)
    text: str | None = None
    version: int = 1
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
