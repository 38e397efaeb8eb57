"""« Depuis le dernier COPIL »: what changed between two frozen documents (queries.snapshots),
the later one possibly today's figures. Pure: rows in, lists of rows out.

- an indicator whose status differs (matched by id; one added since has no « before »);
- an action réalisée now that was not (or did not exist), late now that was not, added since;
- per lever, what was notified and paid since: the difference of the totals (all years), a
  missing amount counting as zero; levers whose two differences are zero are left out.
With a domain, only its indicators, actions and funding lines count.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ctg_data.vocabulary import ActionStatus

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Changes:
    statuses: list[dict[str, Any]]  # code, name, domain_code, before, after (status labels)
    completed: list[dict[str, Any]]  # code, title, domain_code
    newly_late: list[dict[str, Any]]
    added: list[dict[str, Any]]
    money: list[dict[str, Any]]  # lever, lever_label, notified, paid: Decimal differences

    @property
    def empty(self) -> bool:
        return not (self.statuses or self.completed or self.newly_late or self.added or self.money)


def _in(rows: Iterable[Row], domain: str | None, key: str = "domain_code") -> list[Row]:
    return [row for row in rows if domain is None or row.get(key) == domain]


def _section(document: Mapping[str, Any], name: str, domain: str | None, key: str = "domain_code") -> list[Row]:
    return _in(document.get(name) or [], domain, key)


def status_changes(before: Sequence[Row], after: Sequence[Row]) -> list[dict[str, Any]]:
    old = {row["id"]: row for row in before}
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "domain_code": row["domain_code"],
            "before": old[row["id"]]["status_label"] if row["id"] in old else None,
            "after": row["status_label"],
        }
        for row in after
        if row["id"] not in old or old[row["id"]]["status"] != row["status"]
    ]


def _action(row: Row) -> dict[str, Any]:
    return {"code": row["code"], "title": row["title"], "domain_code": row["domain_code"]}


def action_changes(before: Sequence[Row], after: Sequence[Row]) -> tuple[list[dict[str, Any]], ...]:
    """(completed, newly late, added) between two lists of actions."""
    old = {row["id"]: row for row in before}
    completed = [
        _action(row)
        for row in after
        if row["status"] == ActionStatus.REALISEE
        and (row["id"] not in old or old[row["id"]]["status"] != ActionStatus.REALISEE)
    ]
    late = [_action(row) for row in after if row["late"] and not (row["id"] in old and old[row["id"]]["late"])]
    added = [_action(row) for row in after if row["id"] not in old]
    return completed, late, added


def _amount(value: object) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def lever_totals(rows: Iterable[Row]) -> dict[str, tuple[str, Decimal, Decimal]]:
    """{lever: (label, notified, paid)} summed over funding rows."""
    totals: dict[str, tuple[str, Decimal, Decimal]] = {}
    for row in rows:
        label, notified, paid = totals.get(row["lever"], (row["lever_label"], Decimal(0), Decimal(0)))
        totals[row["lever"]] = (label, notified + _amount(row["notified"]), paid + _amount(row["paid"]))
    return totals


def money_changes(before: Iterable[Row], after: Iterable[Row]) -> list[dict[str, Any]]:
    old, new = lever_totals(before), lever_totals(after)
    found = []
    for lever in [*new, *(code for code in old if code not in new)]:
        label, notified, paid = new.get(lever, (old[lever][0], Decimal(0), Decimal(0)))
        _, was_notified, was_paid = old.get(lever, (label, Decimal(0), Decimal(0)))
        if notified != was_notified or paid != was_paid:
            found.append(
                {"lever": lever, "lever_label": label, "notified": notified - was_notified, "paid": paid - was_paid}
            )
    return found


def changes(before: Mapping[str, Any], after: Mapping[str, Any], domain: str | None = None) -> Changes:
    """What changed from the document `before` to the document `after` (for `domain`, or all)."""
    completed, late, added = action_changes(_section(before, "actions", domain), _section(after, "actions", domain))
    return Changes(
        statuses=status_changes(_section(before, "indicators", domain), _section(after, "indicators", domain)),
        completed=completed,
        newly_late=late,
        added=added,
        money=money_changes(
            _section(before, "funding", domain, "domain"), _section(after, "funding", domain, "domain")
        ),
    )


__all__ = ["Changes", "action_changes", "changes", "lever_totals", "money_changes", "status_changes"]
