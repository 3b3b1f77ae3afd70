"""The page registry: path, title and the roles allowed, read by the router and the navbar.

Kept explicit instead of `dash.page_registry` because that registry is process-global and its
routing callback is Dash-internal, so it could not carry this app's access policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dash.development.base_component import Component

from layouts import home, indicators, overdue, overview, tasks
from services.accounts.permissions import ALL_ROLES, READ_ALL_ROLES


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    title: str
    roles: frozenset[str]
    layout: Callable[..., Component]
    in_nav: bool = True  # a page reached from another (one indicator) has no navbar link


PAGES = [
    Page(home.PAGE, "/", "Tổng quan", ALL_ROLES, home.layout),
    Page(tasks.PAGE, "/nhiem-vu", "Nhiệm vụ của đơn vị", ALL_ROLES, tasks.layout),
    Page(overview.PAGE, "/tong-hop", "Tổng hợp", READ_ALL_ROLES, overview.layout),
    Page(overdue.PAGE, "/qua-han", "Quá hạn", READ_ALL_ROLES, overdue.layout),
    Page(indicators.PAGE, "/chi-tieu", "Chỉ tiêu", ALL_ROLES, indicators.layout),
    Page(indicators.DETAIL, indicators.DETAIL_PATH, "Chi tiết chỉ tiêu", ALL_ROLES, indicators.detail_layout,
         in_nav=False),
]


def page_for(path: str | None) -> Page | None:
    return next((p for p in PAGES if p.path == (path or "/")), None)
