"""The ``sahel-geo`` command: a thin layer over the library, no logic of its own.

``demo`` and ``run`` run the whole analysis (:mod:`sahel_geo.workflow.pipeline`);
``join``, ``zonal`` and ``change`` are one-off commands whose bodies are in
:mod:`sahel_geo.workflow.commands` and whose output is written by
:func:`sahel_geo.io.layers.write_layer`; ``versions`` prints the library versions.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from sahel_geo.core.errors import SahelGeoError
from sahel_geo.core.options import get_option, set_options
from sahel_geo.core.reports import reports

__all__ = ["main"]


_FORMATS = ("auto", "acled", "ucdp", "generic")
#: commands.CHANGE_VALUES, repeated so that --help and --version need not import the analysis.
_CHANGE_VALUES = ("events", "fatalities", "civilian_fatalities")


def _version() -> str:
    try:
        return version("sahel_geo")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sahel-geo",
        description="Conflict events, admin boundaries and spread analysis for the Sahel.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    parser.add_argument("--version", action="version", version=f"sahel-geo {_version()}")
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
    _add_join(sub)
    _add_zonal(sub)
    _add_change(sub)
    return parser


_OUT_HELP = "output file: .geojson, .csv (no geometry) or .gpkg, by its suffix"
_FORMAT_HELP = (
    "events source: auto (detect ACLED or UCDP GED by their columns; the default), acled, "
    "ucdp, or generic (columns named event_date, latitude, longitude, ...)"
)
_LEVEL_HELP = (
    "admin level: of the bundled boundaries (default 1), or to pick from a file with several"
)


def _sub(sub: Any, name: str, help_text: str, example: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text[:1].upper() + help_text[1:] + ".",
        epilog="example:\n  " + example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _add_join(sub: Any) -> None:
    p = _sub(
        sub,
        "join",
        "assign each event its admin unit (sahel_geo.assign_admin)",
        "sahel-geo join ged231.csv bundled --level 1 -o events_adm1.geojson",
    )
    p.add_argument("events", help="events file: ACLED or UCDP GED export (CSV/XLSX/JSON)")
    p.add_argument("boundaries", help="boundary file, or bundled / bundled:<level>")
    p.add_argument("-o", "--out", required=True, help=_OUT_HELP)
    p.add_argument("--events-format", choices=_FORMATS, default="auto", help=_FORMAT_HELP)
    p.add_argument("--level", type=int, help=_LEVEL_HELP)
    p.add_argument(
        "--tolerance-km",
        type=float,
        help="snap events outside every unit within this geodesic distance (default 5)",
    )
    p.add_argument(
        "--coarse",
        choices=("keep", "drop", "coarsen"),
        default="keep",
        help="events coarser than the level: keep (flag; default), drop (to the rejects) "
        "or coarsen (parent unit only)",
    )


def _add_zonal(sub: Any) -> None:
    p = _sub(
        sub,
        "zonal",
        "statistics of a raster over each zone (sahel_geo.zonal_stats)",
        "sahel-geo zonal bundled:1 spei.tif --stats mean,max -o spei_adm1.csv",
    )
    p.add_argument("zones", help="boundary file, or bundled / bundled:<level>")
    p.add_argument("raster", help="GeoTIFF, NetCDF or folder of dated GeoTIFFs")
    p.add_argument(
        "--stats",
        default="count,mean",
        help="comma-separated statistics, e.g. mean,max,percentile_90 (default count,mean)",
    )
    p.add_argument("-o", "--out", required=True, help=_OUT_HELP)
    p.add_argument("--weights", help="raster on the same grid for weighted_mean/weighted_sum")
    p.add_argument(
        "--coverage",
        choices=("fraction", "center", "all_touched"),
        default="fraction",
        help="cells in a zone: fraction covered (exactextract; default), center or all_touched",
    )
    p.add_argument("--level", type=int, help=_LEVEL_HELP)


def _add_change(sub: Any) -> None:
    p = _sub(
        sub,
        "change",
        "counts per unit and period and the change from the previous period",
        "sahel-geo change ged231.csv --by country --period quarter -o change.csv",
    )
    p.add_argument("events", help="events file: ACLED or UCDP GED export (CSV/XLSX/JSON)")
    p.add_argument(
        "--by",
        help="country (country_iso3), or any column of the events; default: country, or the "
        "joined adm<L>_pcode with --boundaries",
    )
    p.add_argument(
        "--period", choices=("year", "quarter", "month", "week"), default="year", help="period"
    )
    p.add_argument("--value", choices=_CHANGE_VALUES, default="events", help="what to count")
    p.add_argument("--boundaries", help="join the events to these first (file or bundled)")
    p.add_argument("--level", type=int, help=_LEVEL_HELP)
    p.add_argument("--events-format", choices=_FORMATS, default="auto", help=_FORMAT_HELP)
    p.add_argument("-o", "--out", required=True, help=_OUT_HELP)


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
    """Step lines on stderr for ``--progress`` or a terminal, none for ``--quiet``."""
    if args.quiet:
        return None
    return _progress if (args.progress or sys.stderr.isatty()) else None


def _bars(args: argparse.Namespace) -> bool | None:
    """Choose the ``progress`` option (bars inside long steps) for ``--quiet``/``--progress``."""
    if args.quiet:
        return False
    return True if args.progress else get_option("progress")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sahel-geo`` command; return its exit code.

    0 on success; 1 when the library raises a :class:`~sahel_geo.SahelGeoError` or a file
    cannot be read or written (the message on stderr, no traceback); 2 for usage errors
    (argparse). ``join``, ``zonal`` and ``change`` print each step report's summary line
    on stderr and ``wrote <n> rows to <path>`` on stdout.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    sahel-geo 0.1.0
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            from sahel_geo.workflow.pipeline import run_demo

            with set_options(progress=_bars(args)):
                print(run_demo(args.out, n=args.n, seed=args.seed, progress=_progress_for(args)))
        elif args.command == "run":
            from sahel_geo.workflow.pipeline import run

            with set_options(progress=_bars(args)):
                print(run(args.config, args.out, progress=_progress_for(args)))
        elif args.command == "versions":
            from sahel_geo.core.versions import show_versions

            show_versions()
        else:
            from sahel_geo.io.layers import check_layer_path

            check_layer_path(args.out, geometry=args.command != "change")
            _write(_COMMANDS[args.command](args), args.out)
    except SahelGeoError as exc:
        print(f"sahel-geo: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder that cannot be written, a file that cannot be opened
        print(f"sahel-geo: error: {exc}. Check the path and its permissions.", file=sys.stderr)
        return 1
    return 0


def _join(args: argparse.Namespace) -> pd.DataFrame:
    from sahel_geo.workflow.commands import join_events

    joined: pd.DataFrame = join_events(
        args.events,
        args.boundaries,
        events_format=args.events_format,
        level=args.level,
        tolerance_km=args.tolerance_km,
        coarse=args.coarse,
    )
    return joined


def _zonal(args: argparse.Namespace) -> pd.DataFrame:
    from sahel_geo.workflow.commands import zonal_table

    stats = [s.strip() for s in args.stats.split(",") if s.strip()]
    table: pd.DataFrame = zonal_table(
        args.zones,
        args.raster,
        stats=stats,
        weights=args.weights,
        coverage=args.coverage,
        level=args.level,
    )
    return table


def _change(args: argparse.Namespace) -> pd.DataFrame:
    from sahel_geo.workflow.commands import change_table

    return change_table(
        args.events,
        by=args.by,
        freq=args.period,
        value=args.value,
        boundaries=args.boundaries,
        level=args.level,
        events_format=args.events_format,
    )


_COMMANDS: dict[str, Callable[[argparse.Namespace], pd.DataFrame]] = {
    "join": _join,
    "zonal": _zonal,
    "change": _change,
}


def _write(frame: pd.DataFrame, out: str) -> None:
    """Print each step report's summary line to stderr, write ``frame``, say where."""
    from sahel_geo.io.layers import write_layer

    for rep in reports(frame):
        print(rep.summary(), file=sys.stderr)
    path = write_layer(frame, out)
    print(f"wrote {len(frame):,} rows to {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
