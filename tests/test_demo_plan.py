"""The demo database holds the Lào Cai 2026 plan exactly as printed."""
from collections import Counter

from sqlalchemy import func, select

from models import Agency, Assignment, Indicator, Plan, Section, Task, User


def test_every_task_in_its_section(demo_db):
    with demo_db.read() as s:
        rows = s.execute(
            select(Section.code, func.count(Task.id)).join(Task, Task.section_id == Section.id)
            .where(Section.appendix == "tasks").group_by(Section.code, Section.position)
            .order_by(Section.position)
        ).all()
        assert rows == [("I", 3), ("II", 13), ("III", 9), ("IV", 15), ("V", 10), ("VI", 13),
                        ("VII", 11), ("VIII", 11), ("IX", 7)]
        stts = s.scalars(select(Task.stt).order_by(Task.position)).all()
        assert len(stts) == 92
        # Numbering as printed: 1..93 with 83 skipped, never renumbered.
        assert stts == [str(n) for n in range(1, 94) if n != 83]


def test_rows_text_as_printed(demo_db):
    with demo_db.read() as s:
        task = s.scalar(select(Task).where(Task.stt == "89"))
        assert task.lead_text == "Sở Y tế, Sở GD&ĐT, Sở VHTT&DL"
        leads = {s.get(Agency, a.agency_id).name for a in task.assignments}
        assert leads == {"Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Văn hóa, Thể thao và Du lịch"}
        task11 = s.scalar(select(Task).where(Task.stt == "11"))
        assert task11.title.endswith("thử nghiệm có kiểm soát (sandbox) trong lĩnh vực khoa học, "
                                     "công nghệ, đổi mới sáng tạo và chuyển đổi số trên địa bàn tỉnh Lào Cai")
        task35 = s.scalar(select(Task).where(Task.stt == "35"))
        assert task35.deadline_text == "Giai đoạn 2026–2030" and task35.deadline_kind == "multi_year"


def test_group_leads_split_per_member(demo_db):
    with demo_db.read() as s:
        task6 = s.scalar(select(Task).where(Task.stt == "6"))
        assert task6.lead_text == "Các sở, ngành; UBND các xã, phường"
        members = s.scalars(select(Agency.name).join(Assignment, Assignment.agency_id == Agency.id)
                            .where(Assignment.task_id == task6.id)).all()
        assert "Sở Khoa học và Công nghệ" in members and "UBND xã Yên Bình" in members
        assert len(members) == len(set(members)) == 15 + 6
        assert s.scalar(select(func.count(Assignment.id))) == 251


def test_deadlines_parsed(demo_db):
    with demo_db.read() as s:
        kinds = Counter(s.scalars(select(Task.deadline_kind)).all())
        assert kinds == {"one_off": 71, "ongoing": 16, "recurring_yearly": 3,
                         "recurring_quarterly": 1, "multi_year": 1}


def test_indicators_as_printed(demo_db):
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Indicator.id))) == 34
        groups = s.execute(
            select(Section.code, func.count(Indicator.id)).join(Indicator, Indicator.section_id == Section.id)
            .group_by(Section.code, Section.position).order_by(Section.position)
        ).all()
        assert groups == [("I", 7), ("II", 4), ("III", 2), ("IV", 13), ("V", 4), ("VI", 4)]
        gdp = s.scalar(select(Indicator).where(Indicator.name == "Tỷ trọng kinh tế số trong GRDP"))
        assert (gdp.baseline_text, gdp.target_text, gdp.monitor_text) == ("9,5%", "13%", "Sở Tài chính")


def test_no_duplicate_agencies_and_demo_accounts(demo_db):
    with demo_db.read() as s:
        keys = s.scalars(select(Agency.name_key)).all()
        assert len(keys) == len(set(keys))
        plan = s.scalar(select(Plan))
        assert (plan.year, plan.reporting_cadence, plan.report_deadline_day) == (2026, "monthly", 20)
        roles = Counter(s.scalars(select(User.role)).all())
        assert roles["admin"] == roles["secretariat"] == roles["leader"] == 1
        demo_communes = s.scalars(select(Agency.name).where(Agency.is_demo)).all()
        assert len(demo_communes) == 5 and all(n.startswith("UBND") for n in demo_communes)
        # every agency that leads a task has an account
        leading = set(s.scalars(select(Assignment.agency_id).distinct()).all())
        with_account = set(s.scalars(select(User.agency_id).where(User.agency_id.is_not(None))).all())
        assert leading <= with_account
