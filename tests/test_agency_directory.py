"""The agency directory edited from the browser (issue 13 item 1): list, add, rename (old name kept),
merge (names redirected, assignments kept where they are), group members, communes from a list —
each change logged with who and when, only by the province's admin or secretariat."""
import base64
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Agency, AgencyAlias, AgencyMembership, Assignment, ChangeLog, Plan, Province, User
from services.plans.agencies import AgencyDirectory
from services.plans.catalogue import default_plan
from services.tasks.workspace import agency_options, agency_rows
from tests.test_accounts import logged_in, response_of, text_of
from tests.test_province_wall import MARK, two_provinces  # noqa: F401  (fixture)


@pytest.fixture
def app(demo_db, tmp_path):
    from tests.conftest import make_app
    built = make_app(demo_db)
    built.server.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return built


def province(db, name="Lào Cai") -> str:
    with db.read() as s:
        return str(s.scalar(select(Province.id).where(Province.name == name)))


def agency(db, name: str) -> Agency:
    with db.read() as s:
        found = s.scalar(select(Agency).where(Agency.name == name))
        s.expunge(found)
        return found


def lookup(db, name: str) -> str | None:
    with db.read() as s:
        found = AgencyDirectory(s, s.scalar(select(Province).where(Province.name == "Lào Cai"))).lookup(name)
        return found.name if found else None


def members(db, group: str) -> set[str]:
    with db.read() as s:
        group_id = s.scalar(select(Agency.id).where(Agency.name == group))
        return set(s.scalars(select(Agency.name).join(AgencyMembership, AgencyMembership.member_id == Agency.id)
                             .where(AgencyMembership.group_id == group_id)))


def changes(db, entity_id: int) -> list[tuple]:
    with db.read() as s:
        return [tuple(row) for row in s.execute(
            select(ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value, User.username, ChangeLog.source)
            .join(User, User.id == ChangeLog.user_id)
            .where(ChangeLog.entity == "agency", ChangeLog.entity_id == entity_id).order_by(ChangeLog.id))]


def message(result, name: str) -> str:
    return json.dumps(response_of(result)[f"agencies-{name}-message"], ensure_ascii=False)


def stored_files(app) -> list[str]:
    """The uploads waiting on disk (each a list someone sent)."""
    folder = Path(app.server.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def show_group(dash, db, group: Agency) -> dict:
    """The members' box as the page shows it once the group is chosen."""
    return response_of(dash.call("agencies-group.value", str(group.id), {"agencies-province": province(db)}))


def save_members(dash, db, group: Agency, chosen: list[Agency], loaded, clicks: int = 1) -> dict:
    return response_of(dash.call("agencies-save-members.n_clicks", clicks, {
        "agencies-province": province(db), "agencies-group": str(group.id),
        "agencies-members": [str(a.id) for a in chosen], "agencies-members-loaded": loaded}))


def communes_url(rows, header=("STT", "Tên xã, phường")) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return "data:text/csv;base64," + base64.b64encode(out.getvalue().encode()).decode()


# ---- Listing --------------------------------------------------------------------------------------

def test_the_directory_lists_kind_aliases_groups_members_and_accounts(app, demo_db):
    dash = logged_in(app, "tgv")
    answer = response_of(dash.call("agencies-province.value", province(demo_db), output="grid"))
    rows = {r["name"]: r for r in answer["agencies-grid"]["rowData"]}
    assert answer["agencies-count"]["children"] == f"{len(rows)} cơ quan, đơn vị."  # before the grid's library
    science = rows["Sở Khoa học và Công nghệ"]
    assert (science["kind_label"], science["groups"], science["accounts"]) == ("Sở, ban, ngành", "Các sở, ngành", 1)
    assert "Sở KH&CN" in science["aliases"]
    assert rows["UBND cấp xã"]["members"] == 6 and "UBND các xã, phường" in rows["UBND cấp xã"]["aliases"]
    communes = agency(demo_db, "UBND cấp xã")
    assert answer["agencies-commune-group"]["value"] == str(communes.id)
    assert {"label": "UBND cấp xã", "value": str(communes.id)} in answer["agencies-group"]["options"]
    found = response_of(dash.call("agencies-search.value", "so kh&cn", {"agencies-province": province(demo_db)},
                                  output="grid"))["agencies-grid"]["rowData"]
    assert [r["name"] for r in found] == ["Sở Khoa học và Công nghệ"]


# ---- Add, rename, merge ---------------------------------------------------------------------------

def test_add_an_agency_unless_its_name_is_known(app, demo_db):
    dash = logged_in(app, "tgv")
    values = {"agencies-province": province(demo_db), "agencies-add-name": "Sở Ngoại vụ mới",
              "agencies-add-kind": "department"}
    assert "Đã thêm “Sở Ngoại vụ mới”" in message(dash.call("agencies-add.n_clicks", 1, values), "add")
    added = agency(demo_db, "Sở Ngoại vụ mới")
    assert added.kind == "department" and changes(demo_db, added.id)[0] == ("name", None, "Sở Ngoại vụ mới", "tgv",
                                                                            "app")
    known = message(dash.call("agencies-add.n_clicks", 2, {**values, "agencies-add-name": "sở kh & cn"}), "add")
    assert "đã có trong danh mục: “Sở Khoa học và Công nghệ”" in known
    assert "Hãy chọn loại" in message(dash.call("agencies-add.n_clicks", 3, {**values, "agencies-add-name": "X",
                                                                              "agencies-add-kind": "ministry"}), "add")
    assert "không được để trống" in message(dash.call("agencies-add.n_clicks", 4, {**values,
                                                                                    "agencies-add-name": " "}), "add")
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Agency.id)).where(Agency.name.in_(["X", "", "sở kh & cn"]))) == 0


def test_rename_keeps_the_old_name_as_a_former_name_and_logs_who(app, demo_db):
    dash = logged_in(app, "tgv")
    building = agency(demo_db, "Sở Xây dựng")
    shown = message(dash.call("agencies-rename.n_clicks", 1, {
        "agencies-province": province(demo_db), "agencies-rename-agency": str(building.id),
        "agencies-rename-name": "Sở Xây dựng và Giao thông"}), "rename")
    assert "Đã đổi tên “Sở Xây dựng” thành “Sở Xây dựng và Giao thông”" in shown
    assert lookup(demo_db, "Sở Xây dựng") == "Sở Xây dựng và Giao thông"
    with demo_db.read() as s:
        former = s.scalar(select(AgencyAlias).where(AgencyAlias.agency_id == building.id, AgencyAlias.kind == "former"))
        assert former.alias == "Sở Xây dựng"
    assert changes(demo_db, building.id) == [("name", "Sở Xây dựng", "Sở Xây dựng và Giao thông", "tgv", "app")]
    clash = message(dash.call("agencies-rename.n_clicks", 2, {
        "agencies-province": province(demo_db), "agencies-rename-agency": str(building.id),
        "agencies-rename-name": "Sở Y tế"}), "rename")
    assert "đã thuộc về “Sở Y tế”" in clash


def test_merge_redirects_names_and_keeps_assignments_where_the_workspace_shows_them(app, demo_db):
    dash = logged_in(app, "tgv")
    source, target = agency(demo_db, "Sở Ngoại vụ"), agency(demo_db, "Văn phòng UBND tỉnh")
    with demo_db.read() as s:
        owned = set(s.scalars(select(Assignment.id).where(Assignment.agency_id == source.id)))
    assert len(owned) == 8
    shown = message(dash.call("agencies-merge.n_clicks", 1, {
        "agencies-province": province(demo_db), "agencies-merge-source": str(source.id),
        "agencies-merge-target": str(target.id)}), "merge")
    assert "Đã sáp nhập “Sở Ngoại vụ” vào “Văn phòng UBND tỉnh”" in shown
    assert lookup(demo_db, "Sở Ngoại vụ") == "Văn phòng UBND tỉnh"
    assert "Văn phòng UBND tỉnh" in members(demo_db, "Các sở, ngành")  # it takes the merged agency's place
    with demo_db.read() as s:
        assert set(s.scalars(select(Assignment.id).where(Assignment.agency_id == source.id))) == owned
        tgv = s.scalar(select(User).where(User.username == "tgv"))
        from web.auth import actor_from_user
        actor = actor_from_user(tgv)
        plan = default_plan(s, actor)
        assert source.id in {o["value"] for o in agency_options(s, actor, plan)}
        assert {r["id"] for r in agency_rows(s, actor, plan, source.id, date(2026, 5, 1))} == owned
    assert ("merged_into", None, "Văn phòng UBND tỉnh", "tgv", "app") in changes(demo_db, source.id)
    # Its own focal point still signs in and sees its tasks.
    assert logged_in(app, "so-ngoai-vu").client.get("/nhiem-vu").status_code == 200
    rows = response_of(dash.call("agencies-search.value", "ngoai vu", {"agencies-province": province(demo_db)},
                                 output="grid"))["agencies-grid"]["rowData"]
    assert rows[0]["state"] == "Đã sáp nhập vào Văn phòng UBND tỉnh"
    again = message(dash.call("agencies-merge.n_clicks", 2, {
        "agencies-province": province(demo_db), "agencies-merge-source": str(target.id),
        "agencies-merge-target": str(target.id)}), "merge")
    assert "hai cơ quan khác nhau" in again


def test_a_group_is_merged_only_into_a_group_and_a_merged_name_is_not_taken_again(app, demo_db):
    dash = logged_in(app, "tgv")
    values = {"agencies-province": province(demo_db)}
    group, one = agency(demo_db, "Các ngân hàng"), agency(demo_db, "Sở Tư pháp")
    refused = message(dash.call("agencies-merge.n_clicks", 1, {**values, "agencies-merge-source": str(group.id),
                                                               "agencies-merge-target": str(one.id)}), "merge")
    assert "nhóm vào nhóm" in refused
    source, target = agency(demo_db, "Sở Ngoại vụ"), agency(demo_db, "Văn phòng UBND tỉnh")
    dash.call("agencies-merge.n_clicks", 2, {**values, "agencies-merge-source": str(source.id),
                                             "agencies-merge-target": str(target.id)})
    taken = message(dash.call("agencies-rename.n_clicks", 1, {**values, "agencies-rename-agency": str(target.id),
                                                              "agencies-rename-name": "Sở Ngoại vụ"}), "rename")
    assert "đã sáp nhập" in taken and agency(demo_db, "Văn phòng UBND tỉnh").id == target.id


# ---- Group members --------------------------------------------------------------------------------

def test_a_groups_members_are_edited_and_each_change_logged(app, demo_db):
    dash = logged_in(app, "tgv")
    group = agency(demo_db, "Các ngân hàng")
    shown = show_group(dash, demo_db, group)
    assert shown["agencies-members"]["value"] == []
    assert str(group.id) not in {o["value"] for o in shown["agencies-members"]["options"]}
    finance, police = agency(demo_db, "Sở Tài chính"), agency(demo_db, "Công an tỉnh")
    saved = save_members(dash, demo_db, group, [finance, police], shown["agencies-members-loaded"]["data"])
    assert "thêm Sở Tài chính, Công an tỉnh" in json.dumps(saved["agencies-members-message"], ensure_ascii=False)
    assert members(demo_db, "Các ngân hàng") == {"Sở Tài chính", "Công an tỉnh"}
    # The page now holds the saved members as loaded, so the next save from it goes through.
    save_members(dash, demo_db, group, [police], saved["agencies-members-loaded"]["data"], clicks=2)
    assert members(demo_db, "Các ngân hàng") == {"Công an tỉnh"}
    assert [c[:4] for c in changes(demo_db, group.id)] == [
        ("member", None, "Sở Tài chính", "tgv"), ("member", None, "Công an tỉnh", "tgv"),
        ("member", "Sở Tài chính", None, "tgv")]
    # A group cannot contain a group that contains it.
    everyone, departments = agency(demo_db, "Các cơ quan, đơn vị, địa phương"), agency(demo_db, "Các sở, ngành")
    loaded = show_group(dash, demo_db, departments)["agencies-members-loaded"]["data"]
    cycle = save_members(dash, demo_db, departments, [everyone], loaded, clicks=3)
    assert "không làm thành viên được" in json.dumps(cycle["agencies-members-message"], ensure_ascii=False)


def test_a_second_secretary_saving_over_a_changed_group_is_refused_and_shown_its_members(app, demo_db):
    """QUALITY.md I1: two people with the same group open; the second save must not undo the first."""
    group = agency(demo_db, "Các ngân hàng")
    finance, police = agency(demo_db, "Sở Tài chính"), agency(demo_db, "Công an tỉnh")
    first, second = logged_in(app, "tgv"), logged_in(app, "admin")
    first_loaded = show_group(first, demo_db, group)["agencies-members-loaded"]["data"]
    second_loaded = show_group(second, demo_db, group)["agencies-members-loaded"]["data"]
    save_members(first, demo_db, group, [finance], first_loaded)
    logged = changes(demo_db, group.id)
    refused = save_members(second, demo_db, group, [police], second_loaded)
    said = json.dumps(refused["agencies-members-message"], ensure_ascii=False)
    assert "Nhóm “Các ngân hàng” vừa được Tổ giúp việc BCĐ (Sở Khoa học và Công nghệ) lúc " in said
    assert "chưa được lưu" in said and "Thành viên hiện tại: Sở Tài chính." in said
    # Nothing changed; the page shows the members as they are and holds them as loaded.
    assert members(demo_db, "Các ngân hàng") == {"Sở Tài chính"} and changes(demo_db, group.id) == logged
    assert refused["agencies-members"]["value"] == [str(finance.id)]
    assert refused["agencies-members-loaded"]["data"] == {"group": str(group.id), "members": [finance.id]}
    # Having seen them, the second adds to them: both kept.
    save_members(second, demo_db, group, [finance, police], refused["agencies-members-loaded"]["data"], clicks=2)
    assert members(demo_db, "Các ngân hàng") == {"Sở Tài chính", "Công an tỉnh"}
    assert changes(demo_db, group.id)[-1] == ("member", None, "Công an tỉnh", "admin", "app")


@pytest.mark.parametrize("loaded", [None, {"members": []}, {"group": "another", "members": []},
                                    {"group": "GROUP", "members": ["x"]}, {"group": "GROUP", "members": "1,2"}])
def test_a_members_save_without_the_members_as_loaded_changes_nothing(app, demo_db, loaded):
    group = agency(demo_db, "Các ngân hàng")
    if isinstance(loaded, dict) and loaded.get("group") == "GROUP":
        loaded = {**loaded, "group": str(group.id)}
    refused = save_members(logged_in(app, "tgv"), demo_db, group, [agency(demo_db, "Sở Tài chính")], loaded)
    assert "Hãy chọn lại nhóm" in json.dumps(refused["agencies-members-message"], ensure_ascii=False)
    assert members(demo_db, "Các ngân hàng") == set() and changes(demo_db, group.id) == []


# ---- Communes from a list -------------------------------------------------------------------------

def test_communes_are_previewed_then_loaded_into_the_communes_group(app, demo_db):
    dash = logged_in(app, "tgv")
    group = agency(demo_db, "UBND cấp xã")
    rows = [["1", "Xã Yên Bình"], ["2", "Phường Cốc Lếu"], ["3", "UBND xã Mường Khương"], ["4", "xã Bảo Thắng"]]
    values = {"agencies-upload": "xa-phuong.csv", "agencies-province": province(demo_db),
              "agencies-commune-group": str(group.id)}
    before = members(demo_db, "UBND cấp xã")
    preview = response_of(dash.call("agencies-upload.contents", communes_url(rows), values))
    assert [(r["name"], r["action"]) for r in preview["agencies-communes-preview"]["rowData"]] == [
        ("UBND xã Yên Bình", "Đã có trong nhóm"), ("UBND phường Cốc Lếu", "Thêm mới"),
        ("UBND xã Mường Khương", "Thêm mới"), ("UBND xã Bảo Thắng", "Thêm mới")]
    assert members(demo_db, "UBND cấp xã") == before  # nothing written yet
    assert len(stored_files(app)) == 1  # kept for the confirm
    done = response_of(dash.call("agencies-communes-confirm.n_clicks", 1, {
        "agencies-communes": preview["agencies-communes"]["data"], "agencies-province": province(demo_db)}))
    assert "3 xã, phường mới vào danh mục, 3 đơn vị vào nhóm" in json.dumps(done, ensure_ascii=False)
    assert stored_files(app) == []  # used up
    again = response_of(dash.call("agencies-communes-confirm.n_clicks", 2, {
        "agencies-communes": preview["agencies-communes"]["data"], "agencies-province": province(demo_db)}))
    assert "Không còn tệp" in json.dumps(again, ensure_ascii=False)
    assert members(demo_db, "UBND cấp xã") == before | {"UBND phường Cốc Lếu", "UBND xã Mường Khương",
                                                         "UBND xã Bảo Thắng"}
    assert agency(demo_db, "UBND phường Cốc Lếu").kind == "commune"
    assert lookup(demo_db, "Phường Cốc Lếu") == "UBND phường Cốc Lếu"
    assert ("member", None, "UBND xã Bảo Thắng", "tgv", "import") in changes(demo_db, group.id)
    # The plan's group assignments ("UBND các xã, phường") now reach the new communes at the next import.
    with demo_db.read() as s:
        directory = AgencyDirectory(s, s.scalar(select(Province).where(Province.name == "Lào Cai")))
        assert "UBND phường Cốc Lếu" in {a.name for a in directory.expand(directory.lookup("UBND các xã, phường"))}


def test_a_bad_communes_list_names_its_rows_and_loads_nothing(app, demo_db):
    dash = logged_in(app, "tgv")
    answer = response_of(dash.call("agencies-upload.contents", communes_url([["1", "Xã Z"]]), {
        "agencies-upload": "xa.csv", "agencies-province": province(demo_db), "agencies-commune-group": None}))
    assert "Hãy chọn nhóm" in json.dumps(answer, ensure_ascii=False) and stored_files(app) == []
    rows = [["1", "Phường Cốc Lếu"], ["2", "Cốc San"], ["3", "phường Cốc Lếu"], ["4", "Các ngân hàng"]]
    with demo_db.read() as s:
        before = s.scalar(select(func.count(Agency.id)))
    answer = response_of(dash.call("agencies-upload.contents", communes_url(rows), {
        "agencies-upload": "xa.csv", "agencies-province": province(demo_db),
        "agencies-commune-group": str(agency(demo_db, "UBND cấp xã").id)}))
    problems = {r["line"]: r["problems"] for r in answer["agencies-communes-preview"]["rowData"]}
    assert problems[2] == "" and "không rõ là xã hay phường" in problems[3] and "trùng với dòng 2" in problems[4]
    assert "không rõ là xã hay phường" in problems[5]
    assert answer["agencies-communes"]["data"] is None and answer["agencies-communes-confirm"]["disabled"] is True
    missing = response_of(dash.call("agencies-upload.contents", communes_url(rows, ("STT", "Ghi chú")), {
        "agencies-upload": "xa.csv", "agencies-province": province(demo_db),
        "agencies-commune-group": str(agency(demo_db, "UBND cấp xã").id)}))
    assert "Không tìm thấy dòng tiêu đề" in json.dumps(missing, ensure_ascii=False)
    empty = response_of(dash.call("agencies-upload.contents", communes_url([["1", ""]]), {
        "agencies-upload": "xa.csv", "agencies-province": province(demo_db),
        "agencies-commune-group": str(agency(demo_db, "UBND cấp xã").id)}))
    assert "Danh sách không có xã, phường nào dưới dòng tiêu đề." in json.dumps(empty, ensure_ascii=False)
    # No list that cannot be confirmed waits on disk: the page holds no token for it.
    assert stored_files(app) == []
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Agency.id))) == before


# ---- The province wall ----------------------------------------------------------------------------

def _directory_fingerprint(db):
    with db.read() as s:
        return (s.execute(select(Agency.id, Agency.name, Agency.merged_into_id).order_by(Agency.id)).all(),
                s.execute(select(AgencyMembership.group_id, AgencyMembership.member_id)).all(),
                s.scalar(select(func.count(AgencyAlias.id))))


def test_another_provinces_secretariat_cannot_touch_the_directory(app, demo_db, two_provinces):  # noqa: F811
    before = _directory_fingerprint(demo_db)
    other = logged_in(app, "tgv-lc")
    lao_cai = province(demo_db)
    source, target = agency(demo_db, "Sở Ngoại vụ"), agency(demo_db, "Văn phòng UBND tỉnh")
    group = agency(demo_db, "UBND cấp xã")
    forged = [
        ("agencies-search.value", "", {"agencies-province": lao_cai}),
        ("agencies-add.n_clicks", 1, {"agencies-province": lao_cai, "agencies-add-name": "X", "agencies-add-kind":
                                      "department"}),
        ("agencies-rename.n_clicks", 1, {"agencies-province": lao_cai, "agencies-rename-agency": str(source.id),
                                         "agencies-rename-name": "Y"}),
        ("agencies-merge.n_clicks", 1, {"agencies-province": lao_cai, "agencies-merge-source": str(source.id),
                                        "agencies-merge-target": str(target.id)}),
        ("agencies-save-members.n_clicks", 1, {"agencies-province": lao_cai, "agencies-group": str(group.id),
                                               "agencies-members": []}),
        ("agencies-group.value", str(group.id), {"agencies-province": lao_cai}),
        ("agencies-upload.contents", communes_url([["1", "Xã Z"]]), {
            "agencies-upload": "x.csv", "agencies-province": lao_cai, "agencies-commune-group": str(group.id)}),
    ]
    for trigger, value, values in forged:
        response = other.call(trigger, value, values, output="grid" if trigger == "agencies-search.value" else "")
        assert response.status_code == 403, trigger
    # Its own province, with Lào Cai's agency ids: refused too.
    own = province(demo_db, "Lai Châu")
    for trigger, value, values in forged[2:5]:
        response = other.call(trigger, value, {**values, "agencies-province": own})
        assert response.status_code == 403, trigger
    assert _directory_fingerprint(demo_db) == before
    # Lào Cai's secretariat sees none of Lai Châu's agencies.
    rows = response_of(logged_in(app, "tgv").call("agencies-province.value", lao_cai, output="grid"))
    assert MARK not in json.dumps(rows, ensure_ascii=False)
    with demo_db.read() as s:
        assert s.scalar(select(func.count(Plan.id))) == 2


def test_agency_users_are_refused_the_page(app):
    page = logged_in(app, "so-khcn").call("url.pathname", "/co-quan")
    assert "Bạn không có quyền xem trang này" in text_of(page)

