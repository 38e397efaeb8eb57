"""A convention's plan and indicators: 4 enjeux, 10 objectifs (one per CTG domain), 40 fiches
actions with statuses, dates and progress, 36 indicators with a reference, a target and an
intermediate target, measured every month (40 months), the first one per commune as well."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from random import Random
from typing import Any

from ctg_data.synthetic.places import Place, add_months, month_end

ENJEUX = (
    "Mieux accueillir les jeunes enfants",
    "Accompagner les familles à chaque âge",
    "Faciliter l'accès aux droits et aux services",
    "Animer la vie sociale du territoire",
)
DOMAINS = (  # the CTG's ten domains, in their position order (migration 0001)
    "petite_enfance", "enfance", "jeunesse", "parentalite", "acces_aux_droits",
    "inclusion_numerique", "animation_vie_sociale", "logement", "handicap", "accompagnement_social",
)  # fmt: skip
OBJECTIFS = (
    "Développer l'offre d'accueil du jeune enfant", "Renforcer l'accueil de loisirs",
    "Soutenir les projets des jeunes", "Accompagner la parentalité",
    "Rapprocher les services des habitants", "Réduire la fracture numérique",
    "Soutenir les centres sociaux et espaces de vie sociale", "Améliorer les conditions de logement",
    "Inclure les enfants en situation de handicap", "Prévenir les ruptures de parcours",
)  # fmt: skip
ACTION_VERBS = ("Créer", "Développer", "Coordonner", "Renforcer", "Étendre", "Expérimenter", "Structurer", "Animer")
INDICATOR_NAMES = (
    "Places d'accueil du jeune enfant", "Enfants accueillis en ALSH", "Jeunes accompagnés",
    "Familles participant aux actions de soutien", "Rendez-vous d'accès aux droits",
    "Personnes formées au numérique", "Habitants impliqués dans les projets", "Ménages accompagnés",
    "Enfants en situation de handicap accueillis", "Situations suivies par le travail social",
)  # fmt: skip
STATUSES = (
    ("en_cours", 40), ("realisee", 20), ("a_venir", 18), ("en_pause", 8), ("abandonnee", 4), ("non_renseigne", 10),
)  # fmt: skip
ACTIONS, INDICATORS, MONTHS = 40, 36, 40
ACTOR = "ctg demo-data"


def domain_of(number: int) -> str:
    """Action or indicator `number`'s domain, as its objectif O-(1 + number % 10)."""
    return DOMAINS[number % 10]


def orientation_rows(convention_id: int) -> list[dict[str, Any]]:
    return [
        {"convention_id": convention_id, "code": f"E-{e}", "title": title, "version": 1}
        for e, title in enumerate(ENJEUX, start=1)
    ]


def objectif_rows(convention_id: int, enjeu_ids: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "convention_id": convention_id,
            "code": f"O-{o}",
            "parent_id": enjeu_ids[f"E-{1 + o % 4}"],
            "domain_code": DOMAINS[o - 1],
            "title": OBJECTIFS[o - 1],
            "version": 1,
        }
        for o in range(1, 11)
    ]


def _status_and_progress(rng: Random) -> tuple[str, int | None]:
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    progress = {
        "realisee": 100,
        "en_cours": rng.randrange(10, 91, 5),
        "en_pause": rng.randrange(20, 61, 5),
        "a_venir": 0,
    }.get(status)
    return status, progress


def action_rows(
    rng: Random, item: Place, convention_id: int, objectif_ids: dict[str, int], pilots: list[int], stamp: datetime
) -> list[dict[str, Any]]:
    rows = []
    for a in range(1, ACTIONS + 1):
        status, progress = _status_and_progress(rng)
        starts_on = add_months(item.starts_on, rng.randrange(0, 24))
        domain = domain_of(a)
        rows.append(
            {
                "convention_id": convention_id,
                "code": f"A-{a:02d}",
                "title": f"{rng.choice(ACTION_VERBS)} : {OBJECTIFS[a % 10].lower()} ({item.commune_names[a % 2]})",
                "domain_code": domain,
                "orientation_id": objectif_ids[f"O-{1 + a % 10}"],
                "pilot_id": rng.choice(pilots),
                "status": status,
                "priority": rng.randint(1, 3),
                "starts_on": starts_on,
                "ends_on": month_end(starts_on, rng.randrange(6, 30)),
                "progress": progress,
                "weight": rng.choice((1, 1, 2, 3)),
                "planned_budget": rng.randrange(5, 200) * 1000,
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return rows


def indicator_rows(
    rng: Random, item: Place, convention_id: int, action_ids: dict[str, int], stamp: datetime
) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, INDICATORS + 1):
        baseline = float(rng.randrange(10, 400))
        falling = i % 6 == 0
        target = round(baseline * (rng.uniform(0.6, 0.9) if falling else rng.uniform(1.1, 1.6)))
        rows.append(
            {
                "convention_id": convention_id,
                "code": f"I-{i:02d}",
                "name": f"{INDICATOR_NAMES[i % 10]} ({'série ' + str(1 + i // 10)})",
                "domain_code": domain_of(i),
                "action_id": action_ids[f"A-{i:02d}"] if i % 2 else None,
                "unit": "nombre",
                "direction": "baisse" if falling else "hausse",
                "nature": "nombre",
                "baseline_value": baseline,
                "baseline_date": item.starts_on - timedelta(days=1),
                "baseline_source": "Données synthétiques",
                "target_value": float(target),
                "target_date": item.ends_on,
                "frequency": "mensuelle",
                "min_value": 0.0,
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return rows


def target_rows(indicators: list[dict[str, Any]], ids: dict[str, int], item: Place, stamp: datetime) -> list[dict]:
    middle = month_end(item.starts_on, 23)
    return [
        {
            "indicator_id": ids[row["code"]],
            "target_on": middle,
            "value": round((row["baseline_value"] + row["target_value"]) / 2, 1),
            "version": 1,
            "updated_at": stamp,
        }
        for row in indicators
    ]


def measurement_rows(
    rng: Random, indicators: list[dict[str, Any]], ids: dict[str, int], item: Place, stamp: datetime
) -> Iterator[dict[str, Any]]:
    """Monthly values moving from the reference toward the target at the indicator's own pace
    (some ahead, some behind), with noise; the first indicator also per commune, in turn."""
    communes = item.insee_codes
    for row in indicators:
        pace = rng.uniform(0.3, 1.3)
        start, goal = row["baseline_value"], row["target_value"]
        for k in range(MONTHS):
            value = start + (goal - start) * pace * (k + 1) / 48 + rng.uniform(-0.03, 0.03) * start
            common = {
                "indicator_id": ids[row["code"]],
                "measured_on": month_end(item.starts_on, k),
                "type": "resultat",
                "source": "Données synthétiques",
                "recorded_by": ACTOR,
                "recorded_at": stamp,
            }
            yield common | {"value": round(max(value, 0.0), 1), "insee_code": None}
            if row["code"] == "I-01":
                share = round(max(value, 0.0) / len(communes), 1)
                yield common | {"value": share, "insee_code": communes[k % len(communes)]}
