"""``iocgis parcels`` legal outputs: find by code, the extract PDF, split, merge, lineage, minimums.

Registered on the ``parcels`` command group (cli/parcels.py). A refused split or merge exits 2
with the reason, like every bad input.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from cli.common import print_json
from cli.parcels import JSON, _show, app
from gis.db import connect
from gis.errors import InvalidInput
from gis.parcels.code import backfill, parcel_by_code
from gis.parcels.lineage import lineage as parcel_lineage
from gis.parcels.model import Parcel
from gis.parcels.queries import get_parcel
from gis.parcels.split import Actor, merge_parcels, split_parcel
from gis.parcels.split_input import read_line, read_pieces
from gis.parcels.split_rules import Minimum, list_minimums, set_minimum

minimums = typer.Typer(help="Provincial minimum area/width/depth of new parcels per land type.",
                       no_args_is_help=True)
app.add_typer(minimums, name="minimums")

COMMUNE = typer.Argument(..., help="Commune code (5 digits).")
SHEET = typer.Argument(..., help="Map sheet number.")
NUMBER = typer.Argument(..., help="Parcel number on the sheet.")


def _actor() -> Actor:
    """The person at the terminal, recorded with the operation."""
    return Actor(f"cli:{getpass.getuser()}", "land")


def _made(kind: str, op_id: int, parcels: list[Parcel], as_json: bool) -> None:
    """Print the new parcels of an operation."""
    if as_json:
        print_json({"operation_id": op_id, "kind": kind, "parcels": [
            {"commune_code": p.commune_code, "sheet_number": p.sheet_number,
             "parcel_number": p.parcel_number, "parcel_code": p.parcel_code,
             "legal_area_m2": p.legal_area_m2} for p in parcels]})
        return
    typer.echo(f"{kind} {op_id}: {len(parcels)} new parcel(s)")
    for p in parcels:
        typer.echo(f"  parcel {p.parcel_number}, sheet {p.sheet_number}: code {p.parcel_code},"
                   f" {p.legal_area_m2:.1f} m²")


@app.command()
def code(
    parcel_code: str = typer.Argument(..., metavar="CODE", help="12-character parcel code."),
    as_json: bool = JSON,
) -> None:
    """The current parcel with this national parcel code."""
    parcel = parcel_by_code(parcel_code)
    if as_json:
        print_json(parcel.to_dict())
    else:
        _show(parcel)


@app.command()
def codes() -> None:
    """Compute the parcel code of stored versions that have none (after a direct SQL load)."""
    with connect(statement_timeout_ms=0) as conn:
        done = backfill(conn)
    typer.echo(f"{done} parcel version(s) given a code")


@app.command()
def extract(
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    commune: str = COMMUNE, sheet: int = SHEET, number: int = NUMBER,
    land_users: bool = typer.Option(False, "--land-users",
                                    help="Print the land users (personal data)."),
) -> None:  # fmt: skip
    """The cadastral extract (trích lục thửa đất) of a parcel as an A4 PDF."""
    from gis.parcels.extract import extract_pdf  # ReportLab loads only for this command

    with connect() as conn:
        out.write_bytes(extract_pdf(conn, commune, sheet, number, with_users=land_users))
    typer.echo(f"wrote {out}")


@app.command()
def split(
    commune: str = COMMUNE, sheet: int = SHEET, number: int = NUMBER,
    geometries: Annotated[Path | None, typer.Option(
        "--geometries", help="GeoPackage/GeoJSON of the new parcels (land_use and"
        " merge_with fields optional).")] = None,
    line: Annotated[Path | None, typer.Option("--line", help="File with the cutting line.")]
    = None,
    as_json: bool = JSON,
) -> None:  # fmt: skip
    """Split a parcel (tách thửa) into new parcels; exit 2 with the reason when refused."""
    if (geometries is None) == (line is None):
        raise InvalidInput("give --geometries FILE or --line FILE")
    srid = get_parcel(commune, sheet, number)[0].srid
    if geometries is not None:
        op_id, made = split_parcel(commune, sheet, number, read_pieces(geometries, srid),
                                   _actor())
    else:
        assert line is not None
        op_id, made = split_parcel(commune, sheet, number, None, _actor(),
                                   line=read_line(line, srid))
    _made("split", op_id, made, as_json)


@app.command()
def merge(
    commune: Annotated[str, typer.Argument(help="Commune code (5 digits).")],
    sheet: Annotated[int, typer.Argument(help="Map sheet number.")],
    numbers: Annotated[list[int], typer.Argument(help="Parcel numbers on the sheet (two+).")],
    as_json: bool = JSON,
) -> None:  # fmt: skip
    """Merge adjacent parcels of one sheet (hợp thửa); exit 2 with the reason when refused."""
    op_id, made = merge_parcels(commune, sheet, numbers, _actor())
    _made("merge", op_id, made, as_json)


@app.command()
def lineage(
    commune: str = COMMUNE, sheet: int = SHEET, number: int = NUMBER, as_json: bool = JSON,
) -> None:  # fmt: skip
    """Where a parcel came from and what it became (splits and merges)."""
    with connect() as conn:
        tree = parcel_lineage(commune, sheet, number, conn)
    if as_json:
        print_json(tree)
        return
    typer.echo(f"parcel {tree['parcel']}: {len(tree['versions'])} version(s)")
    for p in tree["parents"]:
        typer.echo(f"  from {p['parcel']} ({p['parcel_code']}) by {p['kind']} {p['at']}")
    for c in tree["children"]:
        typer.echo(f"  to   {c['parcel']} ({c['parcel_code']}) by {c['kind']} {c['at']}")


@minimums.command("set")
def minimums_set(
    province: str = typer.Argument(..., help="Province code (2 digits)."),
    land_use: str = typer.Argument(..., help="Land-use code, e.g. ODT."),
    area: float = typer.Argument(..., help="Minimum area of a new parcel, m²."),
    width: float | None = typer.Option(None, help="Minimum width, m."),
    depth: float | None = typer.Option(None, help="Minimum depth, m."),
    source: str | None = typer.Option(None, help="The provincial decision it comes from."),
) -> None:
    """Set a province's minimum for new parcels of one land type."""
    with connect() as conn:
        set_minimum(conn, Minimum(province, land_use.upper(), area, width, depth, source))
    typer.echo(f"province {province} {land_use.upper()}: at least {area:.1f} m²")


@minimums.command("list")
def minimums_list(
    province: str | None = typer.Argument(None, help="Province code (default: all)."),
    as_json: bool = JSON,
) -> None:
    """The configured minimums."""
    with connect() as conn:
        rules = list_minimums(conn, province)
    if as_json:
        print_json([r.__dict__ for r in rules])
        return
    for r in rules:
        typer.echo(f"{r.province_code} {r.land_use_code:4} {r.min_area_m2:8.1f} m²"
                   f"  width {r.min_width_m or '-'}  depth {r.min_depth_m or '-'}"
                   f"  {r.source or ''}")
