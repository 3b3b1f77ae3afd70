from datetime import datetime

import pytest
from sqlalchemy import select

from models import Agency, AgencyEvent, Province
from services.plans.agencies import AgencyDirectory, merge_agency, rename_agency


@pytest.fixture
def directory(demo_db):
    with demo_db.write() as session:
        province = session.scalar(select(Province))
        yield AgencyDirectory(session, province)


@pytest.mark.parametrize("written", [
    "Sở Khoa học và Công nghệ", "Sở KH&CN", "sở kh & cn", "So Khoa hoc va Cong nghe",
    "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "  Sở  Khoa học và  Công nghệ ",
])
def test_spelling_variants_resolve_to_one_agency(directory, written):
    assert directory.lookup(written).name == "Sở Khoa học và Công nghệ"


def test_cells_with_commas_inside_names(directory):
    result = directory.resolve("Sở Y tế, Sở GD&ĐT, Sở VHTT&DL")
    assert [a.name for a in result.agencies] == ["Sở Y tế", "Sở Giáo dục và Đào tạo",
                                                 "Sở Văn hóa, Thể thao và Du lịch"]
    assert result.unknown == []
    groups = directory.resolve("Các sở, ngành; UBND các xã, phường")
    assert [a.name for a in groups.agencies] == ["Các sở, ngành", "UBND cấp xã"]


def test_va_splits_only_between_known_names(directory):
    result = directory.resolve("Mặt trận Tổ quốc Việt Nam tỉnh và các sở, ngành, UBND cấp xã")
    assert [a.name for a in result.agencies] == ["Mặt trận Tổ quốc Việt Nam tỉnh", "Các sở, ngành", "UBND cấp xã"]


def test_unknown_pieces_are_reported(directory):
    result = directory.resolve("Sở Tài chính, Ban Quản lý dự án ABC")
    assert [a.name for a in result.agencies] == ["Sở Tài chính"]
    assert result.unknown == ["Ban Quản lý dự án ABC"]


def test_group_expansion_is_recursive_and_unique(directory):
    everyone = directory.expand(directory.lookup("Các cơ quan, đơn vị, địa phương"))
    names = [a.name for a in everyone]
    assert len(names) == len(set(names)) == 21
    assert all(not a.is_group for a in everyone)


def test_adding_a_variant_never_duplicates(directory):
    existing = directory.lookup("Sở Tài chính")
    assert directory.add("SỞ TÀI CHÍNH", kind="department").id == existing.id


def test_rename_keeps_old_name_resolving(demo_db):
    with demo_db.write() as s:
        agency = s.scalar(select(Agency).where(Agency.name == "Sở Xây dựng"))
        rename_agency(s, agency, "Sở Xây dựng và Giao thông", datetime(2026, 7, 1))
    with demo_db.read() as s:
        directory = AgencyDirectory(s, s.scalar(select(Province)))
        assert directory.lookup("Sở Xây dựng").name == "Sở Xây dựng và Giao thông"
        event = s.scalar(select(AgencyEvent))
        assert (event.kind, event.old_name) == ("rename", "Sở Xây dựng")


def test_merge_redirects_names_but_keeps_rows(demo_db):
    with demo_db.write() as s:
        source = s.scalar(select(Agency).where(Agency.name == "Sở Ngoại vụ"))
        target = s.scalar(select(Agency).where(Agency.name == "Văn phòng UBND tỉnh"))
        merge_agency(s, source, target, datetime(2026, 3, 1))
    with demo_db.read() as s:
        directory = AgencyDirectory(s, s.scalar(select(Province)))
        assert directory.lookup("Sở Ngoại vụ").name == "Văn phòng UBND tỉnh"
        assert s.scalar(select(Agency).where(Agency.name == "Sở Ngoại vụ")).merged_into_id is not None
        members = [a.name for a in directory.expand(directory.lookup("Các sở, ngành"))]
        assert "Sở Ngoại vụ" not in members


def test_an_unknown_name_with_va_or_a_comma_inside_stays_one_name(directory):
    """Tried with Lai Châu's table: "Báo và Phát thanh, Truyền hình Lai Châu" came back as two
    unknown agencies, and --create-agencies would have made both."""
    result = directory.resolve("Sở Y tế; Báo và Phát thanh, Truyền hình Lai Châu; Sở Mới A và Sở Mới B")
    assert [a.name for a in result.agencies] == ["Sở Y tế"]
    assert result.unknown == ["Báo và Phát thanh, Truyền hình Lai Châu", "Sở Mới A", "Sở Mới B"]
