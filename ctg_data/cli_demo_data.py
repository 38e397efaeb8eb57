"""`ctg demo-data`: fill the current database with national synthetic data (for trying the
app at scale and for `make bench`). Refuses a base that already holds conventions unless
`--force`, and even then only adds: nothing of a user's is changed or wiped."""

import argparse
import sys
import time

from ctg_data import db

HELP = "générer des données synthétiques nationales (essais, mesures de performance)"


def cmd_demo_data(args: argparse.Namespace) -> int:
    from ctg_data.synthetic import PASSWORD, DemoDataRefused, generate

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\r{done} / {total} conventions", end="", file=sys.stderr, flush=True)

    try:
        counts = generate(db.get_engine(), args.conventions, args.seed, force=args.force, progress=progress)
    except DemoDataRefused as refused:
        print(
            f"{refused} Rien n'est écrit : ajoutez --force pour générer les données synthétiques à côté "
            "(les données existantes ne sont jamais modifiées).",
            file=sys.stderr,
        )
        return 1
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    db.refresh_statistics(db.get_engine())
    print(file=sys.stderr)
    for name, count in sorted(counts.items()):
        print(f"  {name:22} {count:>10,}".replace(",", "\u202f"))
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    print(f"Données synthétiques créées en {seconds} s (graine {args.seed}).")
    print(f"Comptes : admin@national.ctg et conseiller.NN@national.ctg, mot de passe « {PASSWORD} ».")
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("demo-data", help=HELP)
    parser.add_argument(
        "--conventions", type=int, default=1000, help="nombre de conventions (1 à 10 000 ; 1 000 par défaut)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="graine : la même graine donne les mêmes données (1 par défaut)"
    )
    parser.add_argument(
        "--force", action="store_true", help="ajouter même si la base contient déjà des conventions (rien n'est effacé)"
    )
    parser.set_defaults(func=cmd_demo_data)
