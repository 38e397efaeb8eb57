"""`ctg` commands: users (registered by ctg_data.cli)."""


def register(commands) -> None:
    """Add this group's subcommands to the `ctg` parser."""
