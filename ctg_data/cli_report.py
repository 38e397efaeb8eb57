"""What `ctg seed` and `ctg import` say beside their counts: the shared rows changed at an
administrator's request, and the warnings (data accepted, but worth a look)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader is imported only by the commands that load
    from ctg_data.interchange.loader import LoadReport


def print_notes(report: "LoadReport") -> None:
    if report.changes:
        print(f"Référentiels partagés mis à jour ({len(report.changes)} changement(s)) :")
        for change in report.changes:
            print(f"  - {change}")
    if report.warnings:
        print(f"{len(report.warnings)} avertissement(s) :")
        for warning in report.warnings:
            print(f"  - {warning}")
