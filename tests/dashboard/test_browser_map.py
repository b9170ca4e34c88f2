"""Real headless Chromium walks the map page: markers, language switch, camera panel,
and a clean browser console."""

from __future__ import annotations

import pytest
from dash import Dash
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.dashboard.dash_http import PASSWORD

pytestmark = pytest.mark.browser

COUNT_CAMERA_MARKERS = """
return Array.from(document.querySelectorAll('#map-graph g.trace.scatter'))
  .filter(g => g.__data__ && g.__data__[0] && g.__data__[0].trace && g.__data__[0].trace.meta === 'camera')
  .reduce((n, g) => n + g.querySelectorAll('path.point').length, 0);
"""
FIRST_CAMERA_POINT = """
const groups = Array.from(document.querySelectorAll('#map-graph g.trace.scatter'))
  .filter(g => g.__data__ && g.__data__[0].trace.meta === 'camera');
return groups.length ? groups[groups.length - 1].querySelector('path.point') : null;
"""


def wait_for_markers(dash_duo, expected: int) -> None:  # type: ignore[no-untyped-def]
    dash_duo.wait_for_element("#map-graph .scatterlayer", timeout=20)
    try:
        WebDriverWait(dash_duo.driver, 20).until(
            lambda driver: driver.execute_script(COUNT_CAMERA_MARKERS) == expected)
    except TimeoutException:
        seen = dash_duo.driver.execute_script(COUNT_CAMERA_MARKERS)
        raise AssertionError(f"expected {expected} camera markers, saw {seen}") from None


def browser_login(dash_duo, username: str, start: str = "/map") -> None:  # type: ignore[no-untyped-def]
    dash_duo.driver.get(dash_duo.server.url + start)
    dash_duo.wait_for_element("#username", timeout=20)
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#auth-submit").click()


def severe_console_errors(dash_duo) -> list:  # type: ignore[no-untyped-def]
    return [entry for entry in dash_duo.get_logs() if entry.get("level") == "SEVERE"]


def test_map_page_in_a_real_browser(dash_duo, dash_app: Dash) -> None:  # type: ignore[no-untyped-def]
    dash_duo.start_server(dash_app, navigate=False)
    browser_login(dash_duo, "admin", start="/")  # / → /login → back to /map
    dash_duo.wait_for_text_to_equal(".map-controls h2", "Bản đồ camera toàn tỉnh", timeout=20)
    assert dash_duo.driver.current_url.endswith("/map")
    wait_for_markers(dash_duo, 481)
    dash_duo.wait_for_text_to_equal("#map-summary", "Đang hiển thị 481 camera")
    assert dash_duo.find_element("#map-demo-badge").is_displayed()
    assert "Bản đồ" in dash_duo.find_element("#nav-links").text

    # English toggle: the page re-renders in English and the markers are all still there
    dash_duo.driver.find_element(By.XPATH, "//*[@id='lang-toggle']//label[contains(., 'EN')]").click()
    dash_duo.wait_for_text_to_equal(".map-controls h2", "Province camera map", timeout=20)
    wait_for_markers(dash_duo, 481)
    dash_duo.wait_for_text_to_equal("#map-summary", "Showing 481 cameras")
    dash_duo.wait_for_contains_text("#nav-links", "Audit trail")

    # the choice is kept across a reload
    dash_duo.driver.get(dash_duo.server.url + "/map")
    dash_duo.wait_for_text_to_equal(".map-controls h2", "Province camera map", timeout=20)
    wait_for_markers(dash_duo, 481)

    # clicking a camera opens its details in the side panel
    point = dash_duo.driver.execute_script(FIRST_CAMERA_POINT)
    assert point is not None
    ActionChains(dash_duo.driver).move_to_element(point).click().perform()
    dash_duo.wait_for_element("#map-camera-detail", timeout=20)
    panel = dash_duo.find_element("#map-camera-panel").text
    assert "Camera id" in panel and "Contractor" in panel

    assert severe_console_errors(dash_duo) == []


def test_filters_in_a_real_browser(dash_duo, dash_app: Dash) -> None:  # type: ignore[no-untyped-def]
    dash_duo.start_server(dash_app, navigate=False)
    browser_login(dash_duo, "admin")
    wait_for_markers(dash_duo, 481)
    # untick security and ANPR: only the 70 violation cameras stay
    for label in ("Camera an ninh", "Camera nhận dạng biển số"):
        dash_duo.driver.find_element(By.XPATH, f"//*[@id='map-kinds']//label[contains(., '{label}')]").click()
    wait_for_markers(dash_duo, 70)
    dash_duo.select_dcc_dropdown("#map-province", value="Hưng Yên (2025)")
    wait_for_markers(dash_duo, 34)
    assert severe_console_errors(dash_duo) == []
