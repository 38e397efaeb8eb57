"""Who is acting: every write service takes an Actor, so that permissions and the audit trail
know the person (or the command) behind each change."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    LECTEUR = "lecteur"
    PARTENAIRE = "partenaire"
    CONSEILLER = "conseiller"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.LECTEUR: "Lecteur (comité de pilotage)",
    Role.PARTENAIRE: "Partenaire (saisie pour son organisation)",
    Role.CONSEILLER: "Conseiller CAF",
    Role.ADMIN: "Administrateur",
}


def role_in_sentence(role: Role) -> str:
    """The role's label inside a sentence: « votre rôle (conseiller CAF) » keeps its acronym."""
    label = ROLE_LABELS[role]
    return label[:1].lower() + label[1:]


@dataclass(frozen=True)
class Actor:
    email: str
    role: Role
    user_id: int | None = None
    organisation_id: int | None = None  # required for a partenaire

    @property
    def label(self) -> str:
        """How the audit trail and `recorded_by` name this actor."""
        return self.email


# The command line acts as an administrator: whoever runs `ctg` already controls the database.
COMMAND_LINE = Actor(email="ctg (ligne de commande)", role=Role.ADMIN)
