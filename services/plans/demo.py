"""The demo: the real Lào Cai 2026 plan, its agencies and demo accounts for every role."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from models import Agency, Plan, Province
from services.accounts.users import create_user
from services.dti.importer import parse_ranking, write_ranking
from services.indicators.importer import import_indicators
from services.plans.agencies import AgencyDirectory, get_or_create_province
from services.plans.importer import ImportSummary, PlanSpec, import_plan
from services.plans.spreadsheet import Column, ImportFailed, RowError, cell, map_columns, read_rows, read_tables

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEMO_PASSWORD = "LaoCai@2026"
DEMO_PLAN = PlanSpec(
    province="Lào Cai", year=2026, title="Kế hoạch Chuyển đổi số tỉnh Lào Cai năm 2026",
    issued_on=date(2025, 12, 31), reporting_cadence="monthly", report_deadline_day=20,
)
# The province's DTI ranking of 2023 (seed 004) as its decision prints it; the 2023 agencies the 2026
# directory no longer has (departments merged since, districts) are added to it.
DEMO_DTI = (DATA_DIR / "lao_cai_dti_2023.docx", 2023)
AGENCY_COLUMNS = [
    Column("code", ("ma",), required=False),
    Column("name", ("ten co quan",)),
    Column("kind", ("loai",)),
    Column("aliases", ("ten goi khac",), required=False),
    Column("groups", ("thuoc nhom",), required=False),
    Column("demo", ("demo",), required=False),
]
ROLE_USERS = [
    ("admin", "admin", "Quản trị hệ thống"),
    ("tgv", "secretariat", "Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ)"),
    ("lanhdao", "leader", "Lãnh đạo Ban Chỉ đạo tỉnh"),
]
# One demo account per role, for walking every page as each role (browser tests, benchmarks.pages).
DEMO_ACCOUNT_BY_ROLE = {"agency": "so-khcn", **{role: username for username, role, _ in ROLE_USERS}}


@dataclass
class DemoSummary:
    plan_id: int
    tasks: ImportSummary
    indicators: int
    users: list[str]
    dti_rows: int


def load_agencies(session: Session, province_name: str, path: Path) -> list[Agency]:
    """Load an agency list (name, kind, aliases, groups) — the directory imports resolve against."""
    _, mapping, body = map_columns(read_rows(path), AGENCY_COLUMNS)
    directory = AgencyDirectory(session, get_or_create_province(session, province_name))
    loaded: list[tuple[Agency, str]] = []
    for line, cells in body:
        name, kind = cell(cells, mapping, "name"), cell(cells, mapping, "kind")
        if kind not in ("department", "provincial", "commune", "enterprise", "group", "other"):
            raise ImportFailed([RowError(line, f"loại cơ quan “{kind}” không hợp lệ.")])
        agency = directory.add(name, kind=kind, code=cell(cells, mapping, "code") or None,
                               is_demo=bool(cell(cells, mapping, "demo")))
        for alias in filter(None, (a.strip() for a in cell(cells, mapping, "aliases").split("|"))):
            directory.add_alias(agency, alias)
        loaded.append((agency, cell(cells, mapping, "groups")))
    for agency, groups in loaded:
        for group_name in filter(None, (g.strip() for g in groups.split("|"))):
            group = directory.lookup(group_name)
            if group is None or not group.is_group:
                raise ImportFailed([RowError(0, f"“{agency.name}” thuộc nhóm không có: “{group_name}”.")])
            directory.add_member(group, agency)
    session.flush()
    return [agency for agency, _ in loaded]


def load_demo(session: Session) -> DemoSummary:
    agencies = load_agencies(session, DEMO_PLAN.province, DATA_DIR / "lao_cai_agencies.csv")
    tasks = import_plan(session, DATA_DIR / "lao_cai_2026_phu_luc_02.xlsx", DEMO_PLAN)
    plan = session.get(Plan, tasks.plan_id)
    indicators = import_indicators(session, plan, DATA_DIR / "lao_cai_2026_phu_luc_01.xlsx").indicators
    province_id = plan.province_id
    dti_file, dti_year = DEMO_DTI
    dti = write_ranking(session, session.get(Province, province_id),
                        parse_ranking(read_tables(dti_file), dti_year, dti_file.name), create_agencies=True)
    users = []
    for username, role, full_name in ROLE_USERS:
        create_user(session, username, role, DEMO_PASSWORD, full_name=full_name,
                    province_id=province_id, is_demo=True)
        users.append(username)
    for agency in agencies:
        if agency.code and not agency.is_group:
            create_user(session, agency.code, "agency", DEMO_PASSWORD, full_name=f"Cán bộ đầu mối {agency.name}",
                        agency=agency, is_demo=True)
            users.append(agency.code)
    return DemoSummary(plan.id, tasks, indicators, users, len(dti.rows))
