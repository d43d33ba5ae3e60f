"""Interface text of the pages in Vietnamese (the default) and English.

Only interface words live here; names of land-use codes, AQI/WQI categories and layer titles
come from the API (legends, collections) and the layer catalog, in both languages: a layer
switcher names a layer by its catalog title unless the page registry gives it a label here.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

TEXT: dict[str, tuple[str, str]] = {
    # shared
    "app": ("Trung tâm Điều hành Thông minh", "Intelligent Operations Centre"),
    "lang_switch": ("English", "Tiếng Việt"),
    "legend": ("Chú giải", "Legend"),
    "layers": ("Lớp bản đồ", "Map layers"),
    "loading": ("Đang tải…", "Loading…"),
    "error_load": ("Không tải được dữ liệu", "Could not load the data"),
    "close": ("Đóng", "Close"),
    "updated": ("Cập nhật", "Updated"),
    "no_data": ("Chưa có dữ liệu", "No data yet"),
    # parcels
    "parcels_title": ("Bản đồ địa chính", "Cadastral map"),
    "search": ("Tìm thửa đất", "Find a parcel"),
    "find_code": ("Tìm theo mã thửa đất (12 ký tự)", "Find by parcel code (12 characters)"),
    "parcel_code": ("Mã thửa đất", "Parcel code"),
    "extract_pdf": ("Trích lục thửa đất (PDF)", "Cadastral extract (PDF)"),
    "commune": ("Xã/phường", "Commune"),
    "commune_code": ("Xã/phường (tên hoặc mã 5 chữ số)", "Commune (name or 5-digit code)"),
    "choose_commune": ("Chọn xã/phường:", "Choose the commune:"),
    "no_commune": ("Không tìm thấy xã/phường", "No such commune"),
    "sheet": ("Tờ bản đồ số", "Map sheet"),
    "parcel_number": ("Thửa đất số", "Parcel number"),
    "find": ("Tìm", "Find"),
    "click_hint": (
        "Nhập mã xã, số tờ, số thửa hoặc bấm vào bản đồ (phóng to để thấy thửa đất).",
        "Enter commune, sheet and parcel number, or click the map (zoom in to see parcels).",
    ),
    "not_found": ("Không có thửa đất tại đây", "No parcel here"),
    "card": ("Thông tin thửa đất", "Parcel details"),
    "legal_area": ("Diện tích pháp lý", "Legal area"),
    "purposes": ("Mục đích sử dụng", "Land-use purposes"),
    "term": ("Thời hạn", "Term"),
    "origin": ("Nguồn gốc", "Origin"),
    "address": ("Địa chỉ", "Address"),
    "certificate": ("Số GCN", "Certificate no."),
    "planning": ("Quy hoạch sử dụng đất", "Land-use planning"),
    "planning_none": ("Không thuộc vùng quy hoạch", "Not in a planning zone"),
    "history": ("Lịch sử biến động", "History"),
    "valid_from": ("Từ", "From"),
    "valid_to": ("Đến", "To"),
    "current": ("hiện hành", "current"),
    "land_users": ("Người sử dụng đất", "Land users"),
    "id_number": ("Số giấy tờ", "ID no."),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "role_public": ("công khai", "public"),
    "role_environment": ("cán bộ môi trường", "environment staff"),
    "role_land": ("cán bộ địa chính", "land official"),
    "role_admin": ("quản trị viên", "administrator"),
    # sign-in page
    "api_key": ("Khóa truy cập (API key)", "Access key (API key)"),
    "signed_in_as": ("Đang đăng nhập:", "Signed in as"),
    "bad_key": (
        "Khóa không hợp lệ, đã thu hồi hoặc hết hạn.",
        "The key is invalid, revoked or expired.",
    ),
    "login_hint": (
        "Khóa do quản trị viên hệ thống cấp. Phiên đăng nhập kết thúc sau {hours} giờ hoặc khi"
        " khóa bị thu hồi.",
        "Keys are issued by the system administrator. A session ends after {hours} hours or when"
        " the key is revoked.",
    ),
    "land_users_hidden": (
        "Thông tin người sử dụng đất chỉ hiển thị cho cán bộ địa chính.",
        "Land users are shown to land officials only.",
    ),
    "selection": ("Thửa đã chọn", "Selected parcels"),
    "add_selection": ("Thêm vào danh sách", "Add to selection"),
    "clear": ("Xóa danh sách", "Clear"),
    "export": ("Xuất dữ liệu", "Export"),
    "land_use": ("Hiện trạng sử dụng đất", "Land use"),
    # environment
    "env_title": ("Quan trắc môi trường", "Environmental monitoring"),
    "alerts": ("Cảnh báo", "Alerts"),
    "no_alerts": ("Không có cảnh báo", "No alerts"),
    # environment: notifications and reports (static/notify-panel.js)
    "notify_title": ("Thông báo và báo cáo", "Notifications and reports"),
    "notify_add": ("Nhận thông báo", "Subscribe"),
    "notify_none": ("Chưa đăng ký thông báo nào", "No subscriptions yet"),
    "notify_delete": ("Huỷ đăng ký", "Unsubscribe"),
    "notify_area": ("Tỉnh, xã hoặc trạm (mã)", "Province, commune or station (code)"),
    "notify_email": ("Thư điện tử", "E-mail"),
    "notify_kind_exceedance": ("Vượt quy chuẩn", "Limit exceeded"),
    "notify_kind_aqi": ("Mức VN_AQI", "VN_AQI category"),
    "notify_kind_offline": ("Mất kết nối, gián đoạn", "Offline, interrupted"),
    "notify_kind_device": ("Lỗi thiết bị", "Device error"),
    "reports_title": ("Báo cáo định kỳ", "Periodic reports"),
    "reports_none": ("Chưa có báo cáo", "No reports yet"),
    "report_air": ("Không khí", "Air"),
    "report_water": ("Nước mặt", "Surface water"),
    "report_revised": ("đã điều chỉnh", "revised"),
    "time": ("Thời điểm", "Time"),
    "now": ("Hiện tại", "Now"),
    "hours_ago": ("giờ trước", "hours ago"),
    "state": ("Trạng thái", "State"),
    "station_state": ("Trạng thái trạm", "Station state"),
    "parameter": ("Thông số", "Parameter"),
    "limit": ("Giới hạn QCVN", "QCVN limit"),
    "last_24h": ("24 giờ", "24 h"),
    "last_7d": ("7 ngày", "7 days"),
    "last_30d": ("30 ngày", "30 days"),
    "dominant": ("Thông số chính", "Dominant parameter"),
    "completeness_7d": ("Đủ dữ liệu 7 ngày", "Data completeness, 7 days"),
    "air": ("Không khí", "Air"),
    "water": ("Nước mặt", "Surface water"),
    # wall
    "wall_title": ("Giám sát tài nguyên và môi trường", "Land and environment monitoring"),
    "province_aqi": ("AQI toàn tỉnh", "Province AQI"),
    "worst_station": ("Trạm cao nhất", "Worst station"),
    "mean": ("trung bình", "mean"),
    "exceeding": ("Trạm vượt ngưỡng", "Stations exceeding"),
    "offline": ("Trạm mất kết nối", "Stations offline"),
    "parcels_by_group": ("Thửa đất theo nhóm", "Parcels by land-use group"),
    "view_aqi": ("Chất lượng không khí", "Air quality"),
    "view_landuse": ("Sử dụng đất", "Land use"),
    "view_alerts": ("Cảnh báo môi trường", "Environmental alerts"),
    "live": ("Trực tiếp", "Live"),
    "reconnecting": ("Đang kết nối lại…", "Reconnecting…"),
    "agricultural": ("Nông nghiệp", "Agricultural"),
    "non_agricultural": ("Phi nông nghiệp", "Non-agricultural"),
    "unused": ("Chưa sử dụng", "Unused"),
    "source": ("Nguồn", "Source"),
}


def pick_lang(value: str | None) -> Lang:
    """The page language from a ``lang`` query value (Vietnamese unless English is asked)."""
    return "en" if (value or "").lower().startswith("en") else "vi"


def strings(lang: Lang) -> dict[str, str]:
    """Every interface string in ``lang``."""
    index = LANGS.index(lang)
    return {key: pair[index] for key, pair in TEXT.items()}


def both() -> dict[str, dict[str, str]]:
    """Every interface string in both languages (the pages switch without a reload)."""
    return {lang: strings(lang) for lang in LANGS}
