"""AG Grid's own texts (pagination, filters, empty table) in the page language."""

from __future__ import annotations

from dashboard.i18n import Lang

_VI = {
    "page": "Trang", "of": "/", "to": "–", "more": "thêm", "pageSizeSelectorLabel": "Số dòng:",
    "firstPage": "Trang đầu", "previousPage": "Trang trước", "nextPage": "Trang sau", "lastPage": "Trang cuối",
    "noRowsToShow": "Không có dữ liệu", "loadingOoo": "Đang tải…", "filterOoo": "Lọc…", "contains": "Chứa",
    "notContains": "Không chứa", "equals": "Bằng", "notEqual": "Khác", "startsWith": "Bắt đầu bằng",
    "endsWith": "Kết thúc bằng", "blank": "Trống", "notBlank": "Không trống", "andCondition": "VÀ",
    "orCondition": "HOẶC", "lessThan": "Nhỏ hơn", "greaterThan": "Lớn hơn", "inRange": "Trong khoảng",
}


def grid_locale(lang: Lang) -> dict[str, str]:
    """``localeText`` for ``dashGridOptions``; AG Grid's English defaults for ``en``."""
    return dict(_VI) if lang == "vi" else {}
