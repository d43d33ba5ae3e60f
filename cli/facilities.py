"""``iocgis facilities`` (import, list) and ``iocgis stations completeness``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import print_json

app = typer.Typer(help="Facilities (factories) and their monitoring points.", no_args_is_help=True)


@app.command("import")
def facilities_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Register facilities and their points (kind wastewater or stack, regulation, class,
    coefficients, permit limits) from a CSV or GeoJSON file; re-import updates."""
    from gis.db import connect
    from sensors.facilities.store import import_file

    with connect() as conn:
        s = import_file(conn, file)
    typer.echo(
        f"{s.facilities} facilities ({s.facilities_created} new), {s.points} points"
        f" ({s.points_created} new), {s.datastreams_added} datastreams added"
    )


@app.command("list")
def facilities_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Facilities with their points, worst point state and transmission state."""
    from gis.db import borrowed
    from sensors.facilities.reads import list_facilities

    with borrowed() as conn:
        items = list_facilities(conn)
    if as_json:
        print_json(items)
        return
    for f in items:
        flag = " · gián đoạn truyền" if f["interrupted"] else ""
        typer.echo(
            f"{f['code']}\t{f['name']}\t{f['outlets']} outlet(s), {f['stacks']} stack(s)"
            f"\t{f['state']}{flag}"
        )


def completeness(
    code: Annotated[str, typer.Argument(help="Station or facility point code.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First local day (YYYY-MM-DD).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local day (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Readings received / expected per local day (default: the last 7 days)."""
    from gis.db import connect
    from gis.errors import InvalidInput
    from sensors.completeness import completeness as read
    from sensors.contract.reads import run

    try:
        last = date.fromisoformat(end) if end else None
        first = date.fromisoformat(start) if start else None
    except ValueError as exc:
        raise InvalidInput(f"not a date: {exc}") from None
    with connect() as conn:
        result = run(conn, read(code, first, last))
    if as_json:
        print_json(result)
        return
    for d in result["days"]:
        share = "-" if d["ratio"] is None else f"{100 * d['ratio']:.1f} %"
        typer.echo(f"{d['day']}\t{d['received']}/{d['expected']}\t{share}")


def register(root: typer.Typer) -> None:
    """Add ``facilities`` and ``stations completeness`` to the root command."""
    from cli.sensors import stations_app

    root.add_typer(app, name="facilities")
    stations_app.command("completeness")(completeness)
