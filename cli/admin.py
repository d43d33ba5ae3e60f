"""``iocgis admin``: load the administrative units and look them up."""

from __future__ import annotations

from dataclasses import asdict

import typer

from cli.common import err_console, print_json
from gis import admin
from gis.crs import WGS84, parse_crs
from gis.errors import InvalidInput

app = typer.Typer(help="Administrative units (2025 provinces and communes).", no_args_is_help=True)

KIND_LABELS = {
    "xa": "xã", "phuong": "phường", "dac_khu": "đặc khu", "tinh": "tỉnh", "thanh_pho": "thành phố",
}  # fmt: skip


@app.command()
def load(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Load (or refresh) the shipped provinces, communes and old → new mappings."""
    summary = admin.load_admin_units()
    if as_json:
        print_json(asdict(summary))
        return
    for table in ("provinces", "communes", "former_provinces", "former_communes"):
        c = getattr(summary, table)
        typer.echo(
            f"{table:17} inserted {c.inserted:6}  updated {c.updated:6}  "
            f"unchanged {c.unchanged:6}  deleted {c.deleted:6}"
        )
    for problem in summary.problems:
        err_console.print(f"[yellow]data:[/yellow] {problem}", highlight=False, soft_wrap=True)
    typer.echo(f"loaded in {summary.seconds:.1f} s")


def _point(
    lon: float | None, lat: float | None, x: float | None, y: float | None, crs: str | None
) -> tuple[float, float, int]:
    """The point and its SRID from either --lon/--lat or --x/--y/--crs."""
    if lon is not None and lat is not None and x is None and y is None:
        return lon, lat, WGS84
    if x is not None and y is not None and crs and lon is None and lat is None:
        return x, y, parse_crs(crs)
    raise InvalidInput("give --lon and --lat (WGS 84), or --x, --y and --crs (VN-2000)")


@app.command()
def at(
    lon: float | None = typer.Option(None, help="Longitude, WGS 84 (degrees)."),
    lat: float | None = typer.Option(None, help="Latitude, WGS 84 (degrees)."),
    x: float | None = typer.Option(None, help="Easting in --crs (metres)."),
    y: float | None = typer.Option(None, help="Northing in --crs (metres)."),
    crs: str | None = typer.Option(None, help="VN-2000 CRS of --x/--y, e.g. EPSG:5897."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The province and commune at a point; "nothing here" (exit 1) at sea or abroad."""
    px, py, srid = _point(lon, lat, x, y, crs)
    place = admin.admin_at(px, py, srid)
    if as_json:
        print_json(place.as_dict())
        return
    note = (
        "  (nearest commune: the point is in a gap between boundaries)" if place.approximate else ""
    )
    typer.echo(
        f"{place.commune_code} {place.commune_full_name} ({KIND_LABELS[place.commune_kind]}), "
        f"province {place.province_code} {place.province_name}{note}"
    )


@app.command()
def successors(
    code: str = typer.Argument(..., help="Old code: 2 digits (province) or 5 (commune)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Which current province/commune holds a pre-2025 province or commune code."""
    rows = admin.successors(code)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    for r in rows:
        if r.level == "province":
            typer.echo(f"{r.old_code} {r.old_name} → {r.province_code} {r.province_name}")
            continue
        flags = [f for f, on in (("divided", r.divided), ("not a current commune", not r.current))
                 if on]  # fmt: skip
        extra = f"  [{', '.join(flags)}]" if flags else ""
        typer.echo(
            f"{r.old_code} {r.old_name} ({r.old_district}) → {r.commune_code} "
            f"{r.commune_name or '?'}, province {r.province_code} {r.province_name}{extra}"
        )


@app.command()
def communes(
    province: str = typer.Argument(..., help="2-digit province code, e.g. 01."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The communes of a province: code, kind, name, default TM-3 zone."""
    rows = admin.list_communes(province)
    if as_json:
        print_json([asdict(c) for c in rows])
        return
    for c in rows:
        typer.echo(f"{c.code}\t{KIND_LABELS[c.kind]}\t{c.name}\tEPSG:{c.tm3_srid}")


@app.command()
def provinces(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The 34 provinces: code, kind, name, number of communes."""
    rows = admin.list_provinces()
    if as_json:
        print_json([asdict(p) for p in rows])
        return
    for p in rows:
        typer.echo(f"{p.code}\t{KIND_LABELS[p.kind]}\t{p.name}\t{p.commune_count}")
