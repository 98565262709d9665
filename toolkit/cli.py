"""The ``attune`` command: a thin layer over the Python API.

Every user mistake surfaces as an ``AttuneError`` with a message that names where it is;
``main`` prints it and exits with the error's status (1 for an invalid data file, 2 for
bad input), so a person never sees a traceback.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from .errors import AttuneError, DataFileError, ResponseDataError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(func):
        COMMANDS[name] = func
        return func
    return register


# --- questionnaires -------------------------------------------------------------------------

@command("list")
def cmd_list(args: argparse.Namespace) -> int:
    from .instruments import bundled_ids, load_instrument

    rows = []
    for ident in bundled_ids():
        inst = load_instrument(ident)
        rows.append((inst.id, inst.title["en"], str(len(inst.items)), inst.kind, inst.licence.commercial_use))
    header = ("id", "title", "items", "kind", "commercial use")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


@command("show")
def cmd_show(args: argparse.Namespace) -> int:
    from .instruments import load_instrument
    from .summary import describe_instrument

    print(describe_instrument(load_instrument(args.instrument), language=args.lang))
    return 0


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    from .instruments import load_instrument_file

    failed = 0
    for path in args.paths:
        try:
            inst = load_instrument_file(path)
        except DataFileError as exc:
            failed += 1
            print(exc, file=sys.stderr)
        else:
            print(f"{path}: ok ({inst.id}, {len(inst.items)} items, {len(inst.scales)} scales)")
    return 1 if failed else 0


@command("score")
def cmd_score(args: argparse.Namespace) -> int:
    from .instruments import load_instrument
    from .responses import read_responses_csv
    from .scoring import score

    inst = load_instrument(args.instrument)
    responses = read_responses_csv(args.responses)
    result = score(inst, responses, source=args.responses, line_offset=2)
    if args.output:
        result.to_csv(args.output, index=False, float_format="%.10g")
    else:
        result.to_csv(sys.stdout, index=False, float_format="%.10g")
    return 0


# --- parser ---------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attune",
        description="Attune: questionnaires, scoring and privacy for relationship psychoeducation workshops.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent("""\
            examples:
              attune list
              attune show ecr_rs
              attune validate my_checklist.yaml
              attune score who5 answers.csv -o scores.csv"""),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("list", help="list the bundled questionnaires and checklists")

    p = sub.add_parser("show", help="show an instrument's items and scoring rules")
    p.add_argument("instrument", help="a bundled id (see 'attune list') or a YAML path")
    p.add_argument("--lang", default="en", help="language of the texts (default: en)")

    p = sub.add_parser("validate", help="check instrument files; one 'path:line: message' per problem")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = sub.add_parser("score", help="score a CSV of answers (one row per respondent, one column per item)")
    p.add_argument("instrument", help="a bundled id or a YAML path")
    p.add_argument("responses", help="CSV file: optional 'participant' column, one column per item")
    p.add_argument("-o", "--output", help="write the scores here instead of to standard output")

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AttuneError as exc:
        print(f"attune {args.command}: {exc}" if not isinstance(exc, DataFileError) else str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
