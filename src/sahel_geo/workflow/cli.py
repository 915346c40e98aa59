"""The ``sahel-geo`` command: a thin layer over the library, no logic of its own."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from sahel_geo.core.errors import SahelGeoError

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
    run = sub.add_parser("run", help="run a regional analysis from a TOML config file")
    run.add_argument("config", help="the analysis config (.toml); see examples/demo.toml")
    run.add_argument("--out", required=True, help="output folder (created if needed)")
    for sp in (demo, run):
        group = sp.add_mutually_exclusive_group()
        group.add_argument(
            "--progress",
            action="store_true",
            help="show progress on stderr (the default when stderr is a terminal)",
        )
        group.add_argument("--quiet", action="store_true", help="never show progress")
    sub.add_parser("versions", help="print versions of sahel_geo, GDAL, PROJ, GEOS, ...")
    return parser


def _progress(step: int, total: int, what: str) -> None:
    """Show the run's progress on stderr (a bar when stderr is a terminal)."""
    width = 20
    done = int(width * (step - 1) / max(total, 1))
    bar = "#" * done + "." * (width - done)
    end = "\r" if sys.stderr.isatty() else "\n"
    print(f"[{bar}] {step}/{total} {what}".ljust(70), end=end, file=sys.stderr, flush=True)
    if end == "\r" and step == total:
        print(file=sys.stderr)


def _progress_for(args: argparse.Namespace) -> Callable[[int, int, str], None] | None:
    if args.quiet:
        return None
    return _progress if (args.progress or sys.stderr.isatty()) else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sahel-geo`` command; return its exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            from sahel_geo.workflow.pipeline import run_demo

            print(run_demo(args.out, n=args.n, seed=args.seed, progress=_progress_for(args)))
        elif args.command == "run":
            from sahel_geo.workflow.pipeline import run

            print(run(args.config, args.out, progress=_progress_for(args)))
        elif args.command == "versions":
            from sahel_geo.core.versions import show_versions

            show_versions()
    except SahelGeoError as exc:
        print(f"sahel-geo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
