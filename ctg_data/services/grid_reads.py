"""What the rows of a measurement grid (services.measurements.validate_grid / save_grid) are
checked against, read once for the whole grid — who may write which indicator, the convention's
perimeter, the previous results, the current values — instead of once per row: a grid of 300
indicators is checked in the same handful of statements as a grid of 3.

The rules are those of the single-value form: permissions.writable_clause is
require_write_measurement for a list, and `previous` / `current` answer what
form_rules.previous_result and the grid's current-value query answer for one indicator.
"""

from collections.abc import Callable
from datetime import date

from sqlmodel import Session, col, select

from ctg_data import models as m
from ctg_data.actors import Actor
from ctg_data.permissions import Capability, PermissionDenied, require_write_measurement, writable_ids
from ctg_data.store import convention_perimeter, measurement_limits
from ctg_data.validation import IndicatorLimits, Previous
from ctg_data.vocabulary import MeasurementType


class GridReads:
    """The reads of one grid of a convention, each made once (on first need) and kept."""

    def __init__(self, session: Session, actor: Actor, convention_id: int):
        self.session, self.actor, self.convention_id = session, actor, convention_id
        self._writable: frozenset[int] | None = None
        self._refusal: PermissionDenied | None = None
        self._perimeter: frozenset[str] | None = None
        self._convention: m.Convention | None = None
        self._results: dict[date, dict[int, Previous]] = {}
        self._current: dict[tuple[date, str], dict[int, float]] = {}

    def require_write(self, indicator: m.Indicator) -> None:
        """require_write_measurement, from one query for the whole grid. Its refusal depends on
        the convention and the person only (not seen, role, not their organisation's action), so
        it is asked for once, for the first indicator refused, and said again for the others."""
        if self._writable is None:
            self._writable = writable_ids(
                self.session, self.actor, Capability.WRITE_MEASUREMENTS, m.Indicator, self.convention_id
            )
        if m.stored_id(indicator) in self._writable:
            return
        if self._refusal is None:
            try:
                require_write_measurement(self.session, self.actor, indicator)
            except PermissionDenied as denied:
                self._refusal = denied
            else:  # the two forms of the rule disagree: trust the one-record check
                return
        raise self._refusal

    def limits(self, indicator: m.Indicator) -> IndicatorLimits:
        if self._perimeter is None:
            self._perimeter = convention_perimeter(self.session, self.convention_id)
            # Held here, the convention stays in the session's identity map (which keeps only
            # what is referenced): measurement_limits then finds it there for every row.
            self._convention = self.session.get_one(m.Convention, self.convention_id)
        return measurement_limits(self.session, indicator, self._perimeter)

    def _of_convention(self):  # the measurements of the convention's indicators (a subquery)
        return col(m.Measurement.indicator_id).in_(
            select(col(m.Indicator.id)).where(col(m.Indicator.convention_id) == self.convention_id)
        )

    def previous(self, indicator_id: int) -> Callable[[date], Previous | None]:
        """form_rules.previous_result for the grid: the latest current whole-convention result
        before a date, read for every indicator of the convention at once."""

        def before(when: date) -> Previous | None:
            if when not in self._results:
                self._results[when] = self._latest_results(when)
            return self._results[when].get(indicator_id)

        return before

    def _latest_results(self, when: date) -> dict[int, Previous]:
        # One ordered scan of the convention's results before `when`, the last one per indicator
        # kept: no self-join on the latest date, whose plan PostgreSQL may get badly wrong on
        # freshly loaded tables (minutes on a few thousand rows).
        rows = self.session.exec(
            select(col(m.Measurement.indicator_id), col(m.Measurement.measured_on), col(m.Measurement.value))
            .where(
                self._of_convention(),
                col(m.Measurement.measured_on) < when,
                col(m.Measurement.type) == MeasurementType.RESULTAT,
                col(m.Measurement.insee_code).is_(None),
                col(m.Measurement.superseded_at).is_(None),
            )
            .order_by(col(m.Measurement.indicator_id), col(m.Measurement.measured_on))
        ).all()
        return {indicator_id: Previous(on, value) for indicator_id, on, value in rows}  # the last wins

    def current(self, indicator_id: int, measured_on: date, type: str) -> float | None:
        """The current whole-convention value of an indicator at a date, of a type."""
        key = (measured_on, type)
        if key not in self._current:
            rows = self.session.exec(
                select(col(m.Measurement.indicator_id), col(m.Measurement.value)).where(
                    self._of_convention(),
                    col(m.Measurement.measured_on) == measured_on,
                    col(m.Measurement.type) == type,
                    col(m.Measurement.insee_code).is_(None),  # the grid gives whole-convention values
                    col(m.Measurement.superseded_at).is_(None),
                )
            ).all()
            self._current[key] = dict(rows)
        return self._current[key].get(indicator_id)
