"""The tile grid (morecantile's WebMercatorQuad) behind validation, tolerances and bounds."""

from __future__ import annotations

import math
import random

import pytest

from gis.errors import InvalidInput
from layers.tiles import MAX_ZOOM, TMS, check_tile, tile_at, tile_width_m


def _closed_form(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The slippy-map formula, written out independently of morecantile."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def test_grid_is_web_mercator_to_zoom_24():
    assert TMS.id == "WebMercatorQuad" and MAX_ZOOM == 24
    assert tile_width_m(0) == pytest.approx(40075016.68557849)
    assert tile_width_m(14) == pytest.approx(40075016.68557849 / 2**14)


@pytest.mark.parametrize(("z", "x", "y"), [(0, 0, 0), (14, 16383, 16383), (24, 0, 2**24 - 1)])
def test_tiles_of_the_grid_pass(z, x, y):
    check_tile(z, x, y)


@pytest.mark.parametrize(
    ("z", "x", "y", "message"),
    [(25, 0, 0, "zoom 25 is out of range 0–24"), (-1, 0, 0, "out of range"),
     (3, 8, 0, "outside the grid"), (3, 0, -1, "outside the grid"), (0, 1, 0, "outside")],
)  # fmt: skip
def test_tiles_outside_the_grid_are_refused(z, x, y, message):
    with pytest.raises(InvalidInput, match=message):
        check_tile(z, x, y)


def test_tile_at_matches_the_closed_form_over_vietnam():
    rng = random.Random(7)
    for _ in range(2000):
        lon, lat, z = rng.uniform(102.1, 109.5), rng.uniform(8.2, 23.4), rng.randint(0, 20)
        assert tile_at(lon, lat, z) == _closed_form(lon, lat, z)
    assert tile_at(105.8523, 21.0287, 17) == (17, 104075, 57701)  # Hoàn Kiếm
