"""The budgets of issue 15 on the 2-core reference machine, declared once: `make bench` fails
when one is missed (they are reported, not unit-test asserts)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    key: str
    label: str
    limit: float
    unit: str  # "s", "Mo", "×" or "" (a success)


BUDGETS = (
    Budget(
        "load10_median", "10 sessions simultanées sur la vue d'ensemble (PostgreSQL, 2 processus) : médiane", 1.5, "s"
    ),
    Budget("load10_p95", "10 sessions simultanées : 95e centile", 2.5, "s"),
    Budget("load30_p95", "30 sessions simultanées : 95e centile", 6.0, "s"),
    Budget("page_warm", "Page d'une convention, à chaud (base nationale) : médiane, pire page", 0.300, "s"),
    Budget("page_vs_demo", "Page d'une convention à chaud : nationale / démo, pire page", 1.5, "×"),
    Budget("portfolio_warm", "Portefeuille sur toutes les conventions, à chaud : médiane", 1.5, "s"),
    Budget("import_s", "Import de 100 000 mesures", 20.0, "s"),
    Budget("import_dry_s", "Import de 100 000 mesures, simulation", 15.0, "s"),
    Budget("import_rss", "Import de 100 000 mesures : mémoire maximale", 400.0, "Mo"),
    Budget("export_ok", "Export de toute la base nationale réussi", 1.0, ""),
    Budget("app_rss", "Mémoire maximale d'un processus après toutes les pages", 600.0, "Mo"),
)
BY_KEY = {budget.key: budget for budget in BUDGETS}
# The pages that show everything rather than one convention: outside the one-convention budget.
GENERAL_PAGES = frozenset({"comptes", "controles", "import_export", "journal", "admin_referentiels", "portefeuille"})
PORTFOLIO_PAGE = "portefeuille"
