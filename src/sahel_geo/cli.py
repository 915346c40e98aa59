"""The ``sahel-geo`` command: a thin layer over the library, no logic of its own."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sahel_geo._errors import SahelGeoError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sahel-geo",
        description="Conflict events, admin boundaries and spread analysis for the Sahel.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the analysis on the bundled SYNTHETIC demo data")
    demo.add_argument("--out", required=True, help="output folder (created if needed)")
    demo.add_argument("--n", type=int, default=5000, help="number of demo rows (default 5000)")
    demo.add_argument("--seed", type=int, default=20120117, help="demo generator seed")
    sub.add_parser("versions", help="print versions of sahel_geo, GDAL, PROJ, GEOS, ...")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sahel-geo`` command; return its exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            from sahel_geo.pipeline import run_demo

            print(run_demo(args.out, n=args.n, seed=args.seed))
        elif args.command == "versions":
            from sahel_geo._show_versions import show_versions

            show_versions()
    except SahelGeoError as exc:
        print(f"sahel-geo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
