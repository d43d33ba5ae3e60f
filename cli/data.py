"""``iocgis data``: sample data (synthetic parcels inside real commune boundaries)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from cli.common import err_console, print_json

app = typer.Typer(help="Sample data for demos and benchmarks.", no_args_is_help=True)


def _bar() -> Progress:
    """A progress bar on stderr that disappears when done."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


SYNTH_HELP = (
    "Generate plausible synthetic parcels inside real commune boundaries: roads cut each"
    " commune into blocks; house lots line the roads with gardens behind, then fields, ponds,"
    " public and cemetery blocks; map sheets of ~400 parcels in the commune's VN-2000 TM-3"
    " zone (one layer per zone). Land users and certificates are marked as synthetic."
    " Needs the administrative units loaded (iocgis admin load)."
)


@app.command("synth-parcels", help=SYNTH_HELP)
def synth(
    count: Annotated[int, typer.Option(help="Number of parcels in all (shared by area).")],
    out: Annotated[Path, typer.Option(help="GeoPackage to write (.gpkg; replaced if present).")],
    commune: Annotated[
        list[str] | None, typer.Option(help="Commune code (5 digits); repeat for several.")
    ] = None,
    province: Annotated[
        str | None, typer.Option(help="Every commune of this province (2-digit code).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same parcels.")] = 0,
    import_: Annotated[
        bool, typer.Option("--import", help="Import the file afterwards (iocgis parcels import).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Generate synthetic parcels (see ``SYNTH_HELP``)."""
    # Imported here: GeoPandas and GDAL take ~0.6 s that the other commands need not pay.
    from gis.parcels.importer import import_parcels
    from gis.synth import synth_parcels

    with _bar() as bar:
        task = bar.add_task(f"generating {out.name}", total=count)
        summary = synth_parcels(
            out,
            count,
            communes=commune or (),
            province=province,
            seed=seed,
            progress=lambda n: bar.advance(task, n),
        )
    imports = []
    if import_:
        for layer in summary.layers:
            with _bar() as bar:
                task = bar.add_task(f"importing {layer.name}", total=layer.count)
                imports.append(
                    import_parcels(
                        summary.path,
                        layer.crs,
                        layer=layer.name,
                        progress=lambda done, total, t=task: bar.update(  # type: ignore[misc]
                            t, completed=done, total=total
                        ),
                    )
                )
    if as_json:
        print_json(
            {
                "path": str(summary.path),
                "count": summary.count,
                "seconds": round(summary.seconds, 2),
                "layers": [
                    {"name": la.name, "crs": la.crs, "count": la.count, "communes": la.communes}
                    for la in summary.layers
                ],
                "imports": [s.to_dict() for s in imports],
            }
        )
        return
    typer.echo(f"wrote {summary.count} parcels to {summary.path} in {summary.seconds:.1f} s")
    for la in summary.layers:
        typer.echo(f"  layer {la.name}: {la.count} parcels, {len(la.communes)} communes, {la.crs}")
    for s in imports:
        typer.echo(
            f"import {s.import_id} (layer {s.layer}): added {s.added}, new versions"
            f" {s.versioned}, unchanged {s.unchanged}, rejected {s.rejected_total}"
        )
        for reason, n in sorted(s.rejected.items(), key=lambda kv: -kv[1]):
            typer.echo(f"    {n:8}  {reason}")
