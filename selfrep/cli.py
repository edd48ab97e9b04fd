"""`selfrep` command line: run | build | sweep | claims | bench | archsearch.

Each subcommand lives in its own module, which exposes `register(subparsers)`; that function adds the
subparser and sets `func` to a callable taking the parsed namespace and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute subcommands, in the order `selfrep --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "selfrep.book.commands",
    "selfrep.book.sweep",
    "selfrep.book.ledger",
    "selfrep.book.compare",
    "selfrep.perf",
    "selfrep.archsearch.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="selfrep",
        description="Self-replicating neural networks: experiments, benchmark and executable book.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            return int(args.func(args) or 0)
        except (ValueError, FileNotFoundError) as exc:  # bad input: one line, no traceback
            print(f"selfrep {args.command}: error: {exc}", file=sys.stderr)
            return 2
    except KeyboardInterrupt:  # Ctrl-C: one line (the kernel is shut down; earlier results are kept)
        print("selfrep: interrupted; results from earlier runs are left as they were", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
