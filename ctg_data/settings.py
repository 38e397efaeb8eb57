"""Settings read from the environment, with defaults that work on a fresh clone."""

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"
DEMO_SEED = PROJECT_ROOT / "seeds" / "lourdes-2023"


@dataclass(frozen=True)
class Settings:
    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DATA_DIR / 'ctg.sqlite3'}"


def load_settings() -> Settings:
    return Settings(database_url=os.environ.get("CTG_DATABASE_URL") or default_database_url())
