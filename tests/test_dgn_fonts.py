"""TCVN3 and VNI-Windows label text: the tables, the detection, and text refused as mojibake."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gis.dgn.labels import parse_label
from gis.dgn.vnfonts import (
    TCVN_HIGH,
    LabelEncodingError,
    decode_label,
    detect_encoding,
    encode_label,
)

WORDS = (
    "Hà", "Nội", "Đất", "ở", "tại", "đô", "thị", "Nguyễn", "Thị", "Hường", "Phường", "Hoàn",
    "Kiếm", "ngõ", "Quỳnh", "Cửa", "Nam", "giữa", "quốc", "lộ", "Khuê", "chuyển", "nghiêng",
    "Trần", "Hưng", "Đạo", "Lê", "Duẩn", "Ông", "Ích", "Khiêm", "Điện", "Biên", "Phủ", "rừng",
    "sản", "xuất", "cây", "lâu", "năm", "khác", "thủy", "lợi", "nghĩa", "trang", "Bưởi",
    "Xuân", "Thủy", "Cầu", "Giấy", "Tây", "Hồ", "Long", "Biên",
)


def test_tcvn3_table_is_glibc_tcvn5712() -> None:
    """Every byte 0x80–0xFF decodes as glibc's TCVN5712-1 converter decodes it."""
    iconv = shutil.which("iconv")
    assert iconv, "iconv (glibc) is on every Debian machine"
    for i, ours in enumerate(TCVN_HIGH):
        done = subprocess.run([iconv, "-f", "TCVN5712-1", "-t", "UTF-8"],
                              input=bytes([0x80 + i]), capture_output=True, check=True)
        assert done.stdout.decode() == ours, hex(0x80 + i)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "unicode"])
def test_round_trip_and_detection(encoding: str) -> None:
    raws = [encode_label(w, encoding) for w in WORDS]  # type: ignore[arg-type]
    assert detect_encoding(raws) == encoding
    assert [decode_label(r, encoding).text for r in raws] == list(WORDS)  # type: ignore[arg-type]


def test_known_bytes() -> None:
    # TCVN3 "Hà Nội" as the .VnTime fonts store it; VNI-Windows "Đất" as base + mark bytes.
    assert decode_label(bytes.fromhex("48b5204ee969")).text == "Hà Nội"
    assert decode_label(b"\xd1a\xe1t", "vni").text == "Đất"
    assert encode_label("Hà Nội", "vni") == b"Ha\xf8 No\xe4i"


def test_wrong_table_is_not_plausible() -> None:
    # VNI "Hà Nội" read as TCVN3 is "Haứ Noọi": two vowels runs no Vietnamese syllable has.
    with pytest.raises(LabelEncodingError):
        decode_label(encode_label("Hà Nội", "vni"), "tcvn3")


@pytest.mark.parametrize("raw", [b"\x81\x8e\x8f", b"abc\x01def", b"\xff\xfe\xfd"])
def test_mojibake_refused(raw: bytes) -> None:
    with pytest.raises(LabelEncodingError, match=r"not valid|control"):
        decode_label(raw)


@pytest.mark.parametrize(
    ("text", "number", "codes", "area"),
    [
        ("123 / ODT / 245.6", 123, ("ODT",), 245.6),
        ("123\nODT", 123, ("ODT",), None),
        ("17\n245,6\nONT+CLN", 17, ("ONT", "CLN"), 245.6),
        ("45\n300", 45, (), 300.0),
        ("8-LUC-1520.5", 8, ("LUC",), 1520.5),
    ],
)
def test_label_layouts(text: str, number: int, codes: tuple[str, ...], area: float | None) -> None:
    parsed = parse_label(text)
    assert (parsed.parcel_number, parsed.land_uses, parsed.area_m2) == (number, codes, area)
    assert not parsed.extra_numbers


def test_two_labels_show_as_extra_numbers() -> None:
    assert parse_label("12\nODT\n245.6\n13\nCLN\n100.0").extra_numbers == (13,)
