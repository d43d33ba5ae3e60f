"""``iocgis parcels``: import cadastral files and ask about parcels."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from cli.common import err_console, print_json
from cli.parcels_dgn import import_sheets
from cli.parcels_dgn import register as register_dgn
from gis.crs import parse_crs
from gis.errors import InvalidInput, NotFound
from gis.parcels.model import Parcel
from gis.parcels.queries import get_parcel, land_use_summary, list_parcels, parcel_at, parcel_at_xy

app = typer.Typer(help="Cadastral parcels: import, look up, list, summarise.", no_args_is_help=True)
register_dgn(app)  # parcels export --format dgn

JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(
            metavar="FILE", help="GeoPackage, Shapefile, GeoJSON, or DGN V7 sheet(s) of parcels."
        )
    ],
    crs: str = typer.Option(..., help="VN-2000 TM-3 zone of the map sheets, e.g. EPSG:5897."),
    commune: str | None = typer.Option(None, help="Commune code when the file has none."),
    layer: str | None = typer.Option(None, help="Layer to read (default: the first)."),
    field_map: str | None = typer.Option(
        None, help="Rename file fields: sheet_number=SOTO,parcel_number=SOTHUA,..."
    ),
    sheet: int | None = typer.Option(
        None, help="DGN: the sheet number (default: the first number in the file name)."
    ),
    level: int | None = typer.Option(None, help="DGN: level of parcel boundaries (10)."),
    label_level: int | None = typer.Option(None, help="DGN: level of labels (default: all)."),
    snap: float | None = typer.Option(None, help="DGN: snapping tolerance in metres (0.02)."),
    label_encoding: str | None = typer.Option(
        None, help="DGN: unicode, tcvn3 or vni (default: detected per sheet)."
    ),
    problems: Annotated[Path | None, typer.Option(
        help="DGN: write the problems' locations to this GeoPackage (for QGIS)."
    )] = None,
    as_json: bool = JSON,
) -> None:
    """Check and import a parcel file in one transaction; rejects are kept with their reason.

    A MicroStation DGN V7 sheet (or a folder of them) is read as boundaries and labels,
    and its problems (unlabelled polygons, stray labels, dangles...) are reported.
    """
    # Imported here, not at the top: the readers (GDAL, GeoPandas) take ~0.7 s that the
    # querying commands need not pay.
    from gis.dgn.importer import is_dgn
    from gis.parcels.importer import import_parcels

    if is_dgn(file):
        import_sheets(
            file, crs, commune=commune, sheet=sheet, level=level, label_level=label_level,
            snap=snap, label_encoding=label_encoding, problems=problems, as_json=as_json,
        )
        return
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"importing {file.name}", total=None)
        summary = import_parcels(
            file, crs, commune=commune, layer=layer, field_map=field_map,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    if as_json:
        print_json(summary.to_dict())
        return
    typer.echo(
        f"import {summary.import_id}: {summary.features} features from {summary.source}"
        f" (layer {summary.layer}, EPSG:{summary.srid})\n"
        f"  added {summary.added}, new versions {summary.versioned},"
        f" unchanged {summary.unchanged}, rejected {summary.rejected_total}"
    )
    for reason, count in sorted(summary.rejected.items(), key=lambda kv: -kv[1]):
        typer.echo(f"    {count:8}  {reason}")


def _show(parcel: Parcel) -> None:
    """Print one parcel version as a few readable lines."""
    state = "current" if parcel.valid_to is None else f"closed {parcel.valid_to:%Y-%m-%d %H:%M}"
    typer.echo(
        f"parcel {parcel.parcel_number}, sheet {parcel.sheet_number}, commune"
        f" {parcel.commune_code} {parcel.commune_name}, province {parcel.province_code}"
        f" {parcel.province_name}\n"
        f"  legal area {parcel.legal_area_m2:.1f} m² (EPSG:{parcel.srid}); {state}, from"
        f" {parcel.valid_from:%Y-%m-%d %H:%M}"
    )
    for p in parcel.purposes:
        typer.echo(f"  {p.code} {p.area_m2:10.1f} m²  {p.name_vi} ({p.name_en})")
    if parcel.parcel_code:
        typer.echo(f"  parcel code: {parcel.parcel_code}")
    if parcel.address:
        typer.echo(f"  address: {parcel.address}")
    if parcel.certificate_number:
        typer.echo(f"  certificate: {parcel.certificate_number}")


@app.command()
def at(
    lon: float | None = typer.Option(None, help="Longitude, WGS 84."),
    lat: float | None = typer.Option(None, help="Latitude, WGS 84."),
    x: float | None = typer.Option(None, help="Easting in --crs (metres)."),
    y: float | None = typer.Option(None, help="Northing in --crs (metres)."),
    crs: str | None = typer.Option(None, help="CRS of --x/--y, e.g. EPSG:5897."),
    as_json: bool = JSON,
) -> None:
    """The current parcel at a point; "nothing here" (exit 1) where there is none."""
    if lon is not None and lat is not None and x is None and y is None:
        parcel = parcel_at(lon, lat)
    elif x is not None and y is not None and crs and lon is None and lat is None:
        parcel = parcel_at_xy(x, y, parse_crs(crs))
    else:
        raise InvalidInput("give --lon and --lat (WGS 84), or --x, --y and --crs")
    if as_json:
        print_json(parcel.to_dict())
    else:
        _show(parcel)


@app.command()
def get(
    commune: str = typer.Argument(..., help="Commune code (5 digits)."),
    sheet: int = typer.Argument(..., help="Map sheet number."),
    number: int = typer.Argument(..., help="Parcel number on the sheet."),
    history: bool = typer.Option(False, "--history", help="Every version, newest first."),
    as_json: bool = JSON,
) -> None:
    """A parcel by commune, sheet and number (with --history, all its versions)."""
    versions = get_parcel(commune, sheet, number, history=history)
    if as_json:
        print_json([v.to_dict() for v in versions] if history else versions[0].to_dict())
        return
    for v in versions:
        _show(v)


@app.command("list")
def list_(
    commune: str = typer.Argument(..., help="Commune code (5 digits)."),
    land_use: str | None = typer.Option(None, help="Only parcels with this land-use code."),
    min_area: float | None = typer.Option(None, help="Smallest legal area, m²."),
    max_area: float | None = typer.Option(None, help="Largest legal area, m²."),
    limit: int = typer.Option(100, help="At most this many parcels."),
    as_json: bool = JSON,
) -> None:
    """Current parcels of a commune, filtered by land use and legal area."""
    parcels = list_parcels(commune, land_use, min_area, max_area, limit)
    if not parcels:
        raise NotFound(f"nothing here: no parcel of commune {commune} matches")
    if as_json:
        print_json([p.to_dict() for p in parcels])
        return
    for p in parcels:
        codes = "+".join(q.code for q in p.purposes)
        typer.echo(
            f"{p.sheet_number:5} {p.parcel_number:6}  {p.legal_area_m2:10.1f} m²  {codes:12}"
            f" {p.address or ''}"
        )


@app.command()
def summary(
    commune: str = typer.Argument(..., help="Commune code (5 digits)."),
    as_json: bool = JSON,
) -> None:
    """Land-use area and parcel count per code and per group in a commune."""
    s = land_use_summary(commune)
    if as_json:
        print_json(asdict(s))
        return
    typer.echo(
        f"{s.commune_code} {s.commune_name}: {s.parcels} parcels,"
        f" {s.legal_area_m2:,.1f} m² legal area"
    )
    for row in s.codes:
        typer.echo(f"  {row.key}  {row.parcels:8} parcels {row.area_m2:14,.1f} m²  {row.name_vi}")
    for row in s.groups:
        typer.echo(f"  {row.key:18} {row.parcels:8} parcels {row.area_m2:14,.1f} m²")


# The legal outputs (code, extract, split, merge, lineage, minimums) register on ``app`` there.
from cli import parcels_outputs as _outputs  # noqa: E402,F401
