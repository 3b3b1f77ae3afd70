"""The page registry: path, title and the roles allowed, read by the router and the navbar.

Kept explicit instead of `dash.page_registry` because that registry is process-global and its
routing callback is Dash-internal, so it could not carry this app's access policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dash.development.base_component import Component

from layouts import (
    accounts,
    agencies,
    dti,
    home,
    imports,
    indicators,
    overdue,
    overview,
    plan_editing,
    plans,
    reminders,
    review,
    scorecards,
    tasks,
    weekly,
)
from services.accounts.permissions import ALL_ROLES, PLAN_WRITE_ROLES, READ_ALL_ROLES


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    title: str
    roles: frozenset[str]
    layout: Callable[..., Component]
    in_nav: bool = True  # a page reached from another (one indicator) has no navbar link
    shows_plan: bool = False  # its data is the plan's on show (?ke-hoach=): refused for another province's
    up: str | None = None  # a page about one item of a plan: where choosing another plan leads


PAGES = [
    Page(home.PAGE, "/", "Tổng quan", ALL_ROLES, home.layout, shows_plan=True),
    Page(tasks.PAGE, tasks.PATH, "Nhiệm vụ của đơn vị", ALL_ROLES, tasks.layout, shows_plan=True),
    Page(overview.PAGE, "/tong-hop", "Tổng hợp", READ_ALL_ROLES, overview.layout, shows_plan=True),
    Page(overdue.PAGE, "/qua-han", "Quá hạn", READ_ALL_ROLES, overdue.layout, shows_plan=True),
    Page(review.PAGE, review.PATH, "Xác nhận kết quả", READ_ALL_ROLES, review.layout, shows_plan=True),
    Page(indicators.PAGE, indicators.PATH, "Chỉ tiêu", ALL_ROLES, indicators.layout, shows_plan=True),
    Page(indicators.DETAIL, indicators.DETAIL_PATH, "Chi tiết chỉ tiêu", ALL_ROLES, indicators.detail_layout,
         in_nav=False, shows_plan=True, up=indicators.PATH),
    Page(weekly.PAGE, weekly.PATH, "Báo cáo tuần", ALL_ROLES, weekly.layout),
    Page(dti.PAGE, dti.PATH, "Xếp hạng DTI", READ_ALL_ROLES, dti.layout, shows_plan=True),
    Page(scorecards.PAGE, scorecards.PATH, "Bảng điểm đơn vị", ALL_ROLES, scorecards.layout, shows_plan=True),
    Page(plans.PAGE, plans.PATH, "Kế hoạch", READ_ALL_ROLES, plans.layout, shows_plan=True),
    Page(plan_editing.PAGE, plan_editing.PATH, "Sửa kế hoạch", PLAN_WRITE_ROLES, plan_editing.layout,
         shows_plan=True),
    Page(imports.PAGE, imports.PATH, "Nhập từ tệp", PLAN_WRITE_ROLES, imports.layout),
    Page(accounts.PAGE, accounts.PATH, "Người dùng", PLAN_WRITE_ROLES, accounts.layout),
    Page(agencies.PAGE, agencies.PATH, "Cơ quan, đơn vị", PLAN_WRITE_ROLES, agencies.layout),
    # Reached from the navbar's bell, not from the page links.
    Page(reminders.PAGE, reminders.PATH, "Nhắc việc", ALL_ROLES, reminders.layout, in_nav=False),
]


def page_for(path: str | None) -> Page | None:
    return next((p for p in PAGES if p.path == (path or "/")), None)
