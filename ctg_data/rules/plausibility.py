"""Hard plausibility bounds: values no facility, convention or funding line can have, whoever
types them (a form, the bulk grid, an import). Declared once here; ctg_data.validation applies
them to every writer, and docs/rules.md (section 6) lists them. Each rule returns the French
message of what is wrong, naming the bound, or None. Pure: no database, no clock (today is given).
"""

from datetime import date
from decimal import Decimal

from ctg_data import formats as fmt

# The largest French crèches and leisure centres hold a few hundred places; 1 000 in one
# facility is a typing error (a year, a figure typed twice), not a facility.
MAX_PLACES = 1000
# A facility's staff, in full-time equivalents: a large multi-site structure stays under a few
# dozen; 100 leaves room for a federation declared as one facility.
MAX_FTE = Decimal(100)
# Hours of care in one facility and one year: 1 000 places × 11 h × 260 days ≈ 2,9 million.
MAX_HOURS = Decimal(5_000_000)
# Billed hours exceed delivered ones only by the contracted hours of absent children: rarely by
# more than a half. Beyond, one of the two figures is mistyped.
BILLED_PER_DELIVERED = Decimal("1.5")
# One funding line's amount: a whole CTG's funding is a few million euros.
MAX_AMOUNT = Decimal(100_000_000)
# A percentage, unless the indicator gives its own minimum or maximum.
PERCENT_LOW, PERCENT_HIGH = 0, 100

OVERRIDE_HINT = "indiquez un motif de dérogation pour l'enregistrer quand même"


def _n(value: int | Decimal) -> str:
    return fmt.smart_number(value)


def places(value: int | None, shown: str) -> str | None:
    if value is not None and value > MAX_PLACES:
        return f"{shown} places : trop grand, au plus {_n(MAX_PLACES)} places par équipement"
    return None


def fte(value: Decimal | None, shown: str) -> str | None:
    if value is not None and value > MAX_FTE:
        return f"{shown} ETP : trop grand, au plus {_n(MAX_FTE)} ETP par équipement"
    return None


def hours(value: Decimal | None, shown: str) -> str | None:
    if value is not None and value > MAX_HOURS:
        return f"{shown} heures : trop grand, au plus {_n(MAX_HOURS)} heures par équipement et par an"
    return None


def amount(value: Decimal | None) -> str | None:
    if value is not None and value > MAX_AMOUNT:
        return f"{fmt.format_money(value)} : trop grand, au plus {_n(MAX_AMOUNT)}{fmt.NBSP}€ par montant"
    return None


def billed_within_delivered(delivered: Decimal | None, billed: Decimal | None) -> str | None:
    if delivered is None or billed is None or billed <= delivered * BILLED_PER_DELIVERED:
        return None
    ratio = fmt.smart_number(BILLED_PER_DELIVERED)
    return (
        f"{_n(billed)} heures facturées pour {_n(delivered)} heures réalisées : "
        f"au plus {ratio} fois les heures réalisées"
    )


def paid_within_notified(notified: Decimal | None, paid: Decimal | None, reason: str | None) -> str | None:
    """Paid beyond notified happens (a supplement paid before its notification) but is rare:
    it needs the reason why."""
    if notified is None or paid is None or paid <= notified or reason:
        return None
    return (
        f"versé {fmt.format_money(paid)} pour {fmt.format_money(notified)} notifiés : le versé dépasse le "
        f"notifié ; {OVERRIDE_HINT}"
    )


def percent(value: float, low: float | None, high: float | None) -> str | None:
    """A percentage within 0–100, unless the indicator's min or max says otherwise (a change in
    points may be negative, a rate of growth above 100)."""
    if low is not None or high is not None:
        return None
    if not PERCENT_LOW <= value <= PERCENT_HIGH:
        return f"valeur {fmt.smart_number(value)} impossible pour un pourcentage (entre 0 et 100)"
    return None


def in_period(
    when: date, starts_on: date, ends_on: date, reason: str | None, *, result: bool = False, today: date
) -> str | None:
    """The one date rule (measurements, notes, action dates, imports): never a result after
    today; otherwise inside the convention's period (avenants included) unless a reason is given."""
    if result and when > today:
        return (
            f"le {fmt.short_date(when)} est après aujourd'hui ({fmt.short_date(today)}) : un résultat ne se "
            "date pas dans le futur (une estimation, si)"
        )
    if starts_on <= when <= ends_on or reason:
        return None
    return (
        f"le {fmt.short_date(when)} est hors de la convention (du {fmt.short_date(starts_on)} au "
        f"{fmt.short_date(ends_on)}) : {OVERRIDE_HINT}"
    )


# ------------------------------------------------------------------ soft warnings

# A value ten times the previous one, or a tenth of it, is most often a slip (a zero too many or
# too few, a figure typed in the wrong unit) but can be true (a service that opens, a count
# that collapses): it is written only once the person confirms it.
SOFT_FACTOR = 10
CONFIRM = "Je confirme cette valeur"
# The audit reason of a confirmed value when no reason was typed: the history keeps it.
CONFIRMED = "valeur confirmée malgré l'écart avec la précédente"
CONFIRM_HINT = (
    f"vérifiez-la ; pour l'enregistrer quand même, confirmez-la (« {CONFIRM} » dans le formulaire, "
    "un motif de dérogation à l'import)"
)


def far_from_previous(
    value: float | Decimal | None, previous: float | Decimal | None, shown: str, shown_previous: str
) -> str | None:
    """The soft warning of a value `SOFT_FACTOR` times (or more) the previous one, or a
    `SOFT_FACTOR`-th of it (or less); `shown_previous` names the previous value and its date.
    Only positive values are compared: a first value, or a zero, has nothing to be far from."""
    if value is None or previous is None or value <= 0 or previous <= 0:
        return None
    if value >= previous * SOFT_FACTOR:
        how = f"au moins {SOFT_FACTOR} fois la valeur précédente"
    elif value * SOFT_FACTOR <= previous:
        how = "au plus le dixième de la valeur précédente"
    else:
        return None
    return f"{shown} : {how} ({shown_previous}) ; {CONFIRM_HINT}"
