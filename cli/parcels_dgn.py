"""``iocgis parcels import SHEET.dgn`` and ``iocgis parcels export --format dgn``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from cli.common import err_console, print_json
from gis.dgn.vnfonts import Encoding
from gis.errors import IocGisError

if TYPE_CHECKING:
    from gis.dgn.importer import SheetReport

# The DGN reader and writer are imported in the commands: GDAL, NumPy and Shapely take ~0.8 s
# that every other ``iocgis`` command would pay at start.


def _print_report(report: SheetReport) -> None:
    """The sheet's report: counts, every problem with its place, then the import."""
    typer.echo(
        f"sheet {report.sheet_number} ({report.path.name}): {report.faces} polygons,"
        f" {report.labels} labels ({report.encoding}), {report.parcels} parcels read"
    )
    for kind, count in report.counts().items():
        typer.echo(f"  {count:6}  {kind}")
    for p in report.problems:
        at = p.geometry.representative_point()
        number = f" parcel {p.parcel_number}" if p.parcel_number is not None else ""
        detail = f" — {p.detail}" if p.detail else ""
        typer.echo(f"    {p.kind}{number} at ({at.x:.2f}, {at.y:.2f}){detail}")
    s = report.summary
    if s is not None:
        typer.echo(
            f"  import {s.import_id}: added {s.added}, new versions {s.versioned},"
            f" unchanged {s.unchanged}, rejected {s.rejected_total}"
        )


def import_sheets(
    path: Path, crs: str, *, commune: str | None, sheet: int | None, level: int | None,
    label_level: int | None, snap: float | None, label_encoding: str | None,
    problems: Path | None, as_json: bool,
) -> None:
    """Import one DGN sheet or a folder of them (one transaction per sheet)."""
    from gis.dgn.importer import dgn_files, import_dgn
    from gis.dgn.sheet import BOUNDARY_LEVEL
    from gis.dgn.topology import SNAP_M

    if commune is None:
        raise typer.BadParameter("a DGN sheet needs --commune", param_hint="--commune")
    files = dgn_files(path)
    if sheet is not None and len(files) > 1:
        raise typer.BadParameter("--sheet names one sheet: give a file, not a folder")
    reports, failed = [], 0
    for f in files:
        out = problems if len(files) == 1 else (
            None if problems is None else problems.with_name(f"{problems.stem}_{f.stem}.gpkg")
        )
        try:
            report = import_dgn(
                f, crs, commune=commune, sheet=sheet,
                boundary_level=BOUNDARY_LEVEL if level is None else level,
                label_level=label_level, snap_m=SNAP_M if snap is None else snap,
                encoding=_encoding(label_encoding), problems_out=out,
            )
        except IocGisError as exc:
            if len(files) == 1:
                raise
            failed += 1
            err_console.print(f"[red]error:[/red] {exc}", highlight=False)
            continue
        reports.append(report)
        if not as_json:
            _print_report(report)
    if as_json:
        print_json([r.to_dict() for r in reports])
    if failed:
        raise typer.Exit(2)


def _encoding(name: str | None) -> Encoding | None:
    """The label encoding option (None: detected per sheet)."""
    if name is None:
        return None
    if name not in ("unicode", "tcvn3", "vni"):
        raise typer.BadParameter("one of unicode, tcvn3, vni", param_hint="--label-encoding")
    return name  # type: ignore[return-value]


def export(
    out: Annotated[Path, typer.Option(help="File to write.")],
    commune: str = typer.Option(..., help="Commune code."),
    sheet: int = typer.Option(..., help="Map sheet number."),
    fmt: Literal["dgn"] = typer.Option("dgn", "--format", help="Output format."),
    label_encoding: str = typer.Option(
        "tcvn3", help="Encoding of the label texts: tcvn3 (.Vn fonts), vni or unicode."
    ),
) -> None:
    """Export a map sheet's current parcels (DGN V7: boundaries on level 10, labels as text)."""
    from gis.dgn.export import export_dgn

    count = export_dgn(commune, sheet, out, encoding=_encoding(label_encoding) or "tcvn3")
    typer.echo(f"wrote {count} parcels of sheet {sheet} ({commune}) to {out} ({fmt})")


def register(app: typer.Typer) -> None:
    """Add the DGN export to ``iocgis parcels`` (the import dispatches on its own)."""
    app.command("export")(export)
