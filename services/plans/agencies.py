"""Agency resolver: printed names → canonical agencies, and groups → their member agencies.

Matching ignores case, diacritics and spacing and knows every alias, so a spelling variant never
creates a second agency. A cell naming several agencies ("Sở Y tế, Sở GD&ĐT, Sở VHTT&DL") is split
only where the pieces are known names, because names themselves contain commas
("Sở Văn hóa, Thể thao và Du lịch", "Các sở, ngành").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Agency, AgencyAlias, AgencyEvent, AgencyMembership, ChangeLog, Province, User
from services.accounts.permissions import Actor, NotAllowed, can_manage_province, sees_every_province
from services.common.clock import now
from services.common.inputs import clean_text, id_from_text
from services.common.saving import writer_label
from services.common.text import fold, matches, name_key, search_words
from services.plans.spreadsheet import (
    Column,
    ColumnMapping,
    ImportFailed,
    RowError,
    TableRow,
    cell,
    first_mapped_table,
)
from services.tasks.history import record_change

AGENCY_KINDS = {
    "department": "Sở, ban, ngành",
    "provincial": "Cơ quan cấp tỉnh",
    "commune": "UBND cấp xã",
    "enterprise": "Doanh nghiệp",
    "group": "Nhóm cơ quan",
    "other": "Tổ chức khác",
}

# Separators between names in one cell; " và " only splits when both sides are known names.
_SEPARATOR = re.compile(r"\s*[,;]\s*|\s+và\s+", re.IGNORECASE)


@dataclass
class Resolution:
    agencies: list[Agency] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class AgencyDirectory:
    """The agencies of one province, loaded once, for resolving many cells (an import)."""

    def __init__(self, session: Session, province: Province):
        self.session = session
        self.province = province
        self._by_key: dict[str, Agency] = {}
        self._members: dict[int, list[int]] = {}
        agencies = session.scalars(select(Agency).where(Agency.province_id == province.id)).all()
        self._by_id = {agency.id: agency for agency in agencies}
        for agency in agencies:
            self._by_key[agency.name_key] = agency
        for alias in session.scalars(
            select(AgencyAlias).where(AgencyAlias.province_id == province.id)
        ):
            self._by_key.setdefault(alias.alias_key, self._by_id[alias.agency_id])
        for edge in session.scalars(
            select(AgencyMembership).where(AgencyMembership.group_id.in_(self._by_id))
        ):
            self._members.setdefault(edge.group_id, []).append(edge.member_id)

    def get(self, agency_id: int | None) -> Agency | None:
        """An agency of this province by id; another province's id finds nothing."""
        return self._by_id.get(agency_id) if agency_id is not None else None

    def current(self) -> list[Agency]:
        """The province's agencies and groups in use: not merged, not retired."""
        return [a for a in self._by_id.values() if a.active and a.merged_into_id is None]

    def lookup(self, name: str) -> Agency | None:
        agency = self._by_key.get(name_key(name))
        while agency is not None and agency.merged_into_id is not None:
            agency = self._by_id[agency.merged_into_id]
        return agency

    def resolve(self, cell: str) -> Resolution:
        """Split a cell into known agencies; the pieces that match nothing are reported unknown.

        Dynamic programming over the separator-delimited fragments: the cover using the fewest
        names wins, so a name containing a comma beats its pieces.
        """
        spans = _fragment_spans(cell)
        n = len(spans)
        if n == 0:
            return Resolution()
        # best[i] = (cost, agencies, unknown) covering fragments[:i]; an unknown fragment costs 100.
        best: list[tuple[int, list[Agency], list[str]] | None] = [None] * (n + 1)
        best[0] = (0, [], [])
        for end in range(1, n + 1):
            for start in range(end):
                if best[start] is None:
                    continue
                cost, names, unknown = best[start]
                agency = self.lookup(cell[spans[start][0]:spans[end - 1][1]])
                if agency is not None:
                    candidate = (cost + 1, names + [agency], unknown)
                elif end == start + 1:
                    candidate = (cost + 100, names, unknown + [start])
                else:
                    continue
                if best[end] is None or candidate[0] < best[end][0]:
                    best[end] = candidate
        _, names, unknown = best[n]
        seen: set[int] = set()
        unique = [a for a in names if not (a.id in seen or seen.add(a.id))]
        return Resolution(unique, _unknown_names(cell, spans, unknown))

    def assignees(self, leads: list[Agency]) -> list[tuple[Agency, Agency]]:
        """(member agency, the lead it comes from) for each assignment a task's leads make: one per
        agency, a group split into its members."""
        seen: set[int] = set()
        result = []
        for lead in leads:
            for member in self.expand(lead):
                if member.id not in seen:
                    seen.add(member.id)
                    result.append((member, lead))
        return result

    def expand(self, agency: Agency) -> list[Agency]:
        """A group's member agencies, recursively, in a stable order; an agency expands to itself."""
        if not agency.is_group:
            return [agency]
        result: list[Agency] = []
        seen: set[int] = set()
        stack = [agency.id]
        visited_groups: set[int] = set()
        while stack:
            group_id = stack.pop(0)
            if group_id in visited_groups:
                continue
            visited_groups.add(group_id)
            for member_id in self._members.get(group_id, []):
                member = self._by_id[member_id]
                if member.is_group:
                    stack.append(member.id)
                elif member.id not in seen and member.active and member.merged_into_id is None:
                    seen.add(member.id)
                    result.append(member)
        return result

    def add(self, name: str, kind: str, code: str | None = None, is_demo: bool = False) -> Agency:
        """Create an agency unless its name (or an alias) is already known; return the agency."""
        existing = self.lookup(name)
        if existing is not None:
            return existing
        agency = Agency(
            province_id=self.province.id, name=name.strip(), name_key=name_key(name),
            kind=kind, code=code, is_demo=is_demo,
        )
        self.session.add(agency)
        self.session.flush()
        self._by_id[agency.id] = agency
        self._by_key[agency.name_key] = agency
        return agency

    def add_alias(self, agency: Agency, alias: str, kind: str = "variant") -> None:
        key = name_key(alias)
        known = self._by_key.get(key)
        if known is not None:
            if known.id != agency.id:
                raise ValueError(f"Tên gọi “{alias}” đã dùng cho “{known.name}”.")
            return
        self.session.add(
            AgencyAlias(province_id=self.province.id, agency_id=agency.id, alias=alias.strip(),
                        alias_key=key, kind=kind)
        )
        self._by_key[key] = agency

    def add_member(self, group: Agency, member: Agency) -> None:
        members = self._members.setdefault(group.id, [])
        if member.id not in members:
            members.append(member.id)
            self.session.add(AgencyMembership(group_id=group.id, member_id=member.id))


# How a name of an agency begins (folded): an unknown fragment that does not begin so continues
# the unknown name before it ("Báo và Phát thanh, Truyền hình Lai Châu" is one agency).
_AGENCY_HEAD = re.compile(
    r"^(so|ubnd|uy ban|hdnd|ban|cong an|van phong|bo|trung tam|bao|dai|cuc|chi cuc|truong|vien|benh vien|"
    r"hoi|lien doan|tinh doan|mat tran|thanh tra|kho bac|ngan hang|toa an|cac|doanh nghiep|co quan|don vi|"
    r"cong ty|tap doan|buu dien|chi nhanh)\b")


def _unknown_names(cell: str, spans: list[tuple[int, int]], starts: list[int]) -> list[str]:
    """The unknown fragments (by index) as names: a run of adjacent ones is one name unless the
    next fragment begins like an agency's name."""
    runs: list[list[int]] = []
    for index in starts:
        fragment = cell[spans[index][0]:spans[index][1]].strip()
        if runs and runs[-1][-1] == index - 1 and not _AGENCY_HEAD.match(fold(fragment)):
            runs[-1].append(index)
        else:
            runs.append([index])
    return [cell[spans[run[0]][0]:spans[run[-1]][1]].strip() for run in runs]


def _fragment_spans(cell: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty fragment of `cell` between separators."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SEPARATOR.finditer(cell):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(cell)))
    return [(a, b) for a, b in spans if cell[a:b].strip()]


def get_or_create_province(session: Session, name: str) -> Province:
    province = session.scalar(select(Province).where(Province.name == name.strip()))
    if province is None:
        province = Province(name=name.strip())
        session.add(province)
        session.flush()
    return province


def find_province(session: Session, name: str) -> Province | None:
    """A province by its name as people type it ("lao cai" finds "Lào Cai")."""
    wanted = fold(name)
    return next((p for p in session.scalars(select(Province)) if fold(p.name) == wanted), None)


def rename_agency(session: Session, agency: Agency, new_name: str, when: datetime) -> None:
    """Rename, keeping the old name as a former alias so old documents still resolve."""
    directory = AgencyDirectory(session, session.get(Province, agency.province_id))
    old_name = agency.name
    clash = directory.lookup(new_name)
    if clash is not None and clash.id != agency.id:
        raise ValueError(f"Tên “{new_name}” đã thuộc về “{clash.name}”.")
    former = session.scalar(select(Agency).where(Agency.province_id == agency.province_id, Agency.id != agency.id,
                                                 Agency.name_key == name_key(new_name)))
    if former is not None:  # an agency merged into this one still bears the name
        raise ValueError(f"Tên “{new_name}” là tên của “{former.name}” (đã sáp nhập), không dùng lại được.")
    agency.name = new_name.strip()
    agency.name_key = name_key(new_name)
    session.flush()
    if name_key(old_name) != agency.name_key:
        directory._by_key.pop(name_key(old_name), None)
        directory.add_alias(agency, old_name, kind="former")
    session.add(AgencyEvent(agency_id=agency.id, kind="rename", old_name=old_name,
                            new_name=agency.name, occurred_at=when))


def merge_agency(session: Session, source: Agency, target: Agency, when: datetime) -> None:
    """Merge `source` into `target`: names resolve to the target, past rows keep the source."""
    if source.id == target.id or source.province_id != target.province_id:
        raise ValueError("Không thể sáp nhập cơ quan vào chính nó hoặc vào tỉnh khác.")
    source.merged_into_id = target.id
    source.active = False
    session.add(AgencyEvent(agency_id=source.id, kind="merge", old_name=source.name,
                            new_name=target.name, into_agency_id=target.id, occurred_at=when))
    session.flush()


def groups_of(session: Session, agency_id: int) -> set[int]:
    """Every group the agency belongs to, directly or through nested groups."""
    found: set[int] = set()
    frontier = {agency_id}
    while frontier:
        parents = set(session.scalars(
            select(AgencyMembership.group_id).where(AgencyMembership.member_id.in_(frontier))
        )) - found
        found |= parents
        frontier = parents
    return found


# ---- The directory edited from the browser ---------------------------------------------------------

COMMUNE_LEVELS = ("xã", "phường", "thị trấn", "đặc khu")
COMMUNES_GROUP = "UBND các xã, phường"  # the group communes go into, found by its name or an alias
_COMMUNE_WORDS = re.compile(r"[\s,/;()-]+")
_COMMUNE_HEADER_WORDS = {"ten", "xa", "phuong", "thi", "tran", "dac", "khu", "don", "vi", "hanh", "chinh", "cap",
                         "danh", "sach", "cac"}


def _names_communes(header: str) -> bool:
    """A folded header naming the communes' column — "Tên xã, phường", "Xã/Phường", "Tên đơn vị hành
    chính cấp xã" — made only of such words, so that a commune's own name ("Phường Cốc Lếu") is not
    taken for a header."""
    words = set(filter(None, _COMMUNE_WORDS.split(header)))
    return bool(words & {"xa", "phuong", "hanh"}) and words <= _COMMUNE_HEADER_WORDS


COMMUNE_COLUMNS = [
    Column("name", ("ten xa, phuong",), matches=_names_communes, label="Tên xã, phường"),
    Column("level", ("loai", "cap"), required=False, label="Loại (xã, phường)"),
    Column("code", ("ma",), required=False, prefix=True, label="Mã"),
]


class AgencyError(ValueError):
    """A change the directory refuses, said in Vietnamese; nothing was changed."""


class MembersChanged(Exception):
    """A group's members changed since the page loaded them (QUALITY.md I1): nothing was saved.
    Not an AgencyError, so that the page can answer with `current`, the members as they now are."""

    def __init__(self, message: str, current: list[int]):
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class MembersSaved:
    added: list[str]  # names
    removed: list[str]
    members: list[int]  # the group's member ids now, what the page holds as loaded from now on


def provinces_for(session: Session, actor: Actor) -> list[Province]:
    """The provinces whose directory and accounts the actor may open: its own, or every one for
    an admin without a province."""
    if sees_every_province(actor):
        return list(session.scalars(select(Province).order_by(Province.name)))
    province = session.get(Province, actor.province_id) if actor.province_id else None
    return [province] if province else []


@dataclass(frozen=True)
class CommuneRow:
    line: int
    written: str
    name: str  # "UBND xã Yên Bình"
    alias: str  # "Xã Yên Bình"
    code: str
    existing: Agency | None


@dataclass
class CommuneCheck:
    rows: list[dict]  # the preview grid: every row, what will happen, its problems
    errors: list[RowError]
    communes: list[CommuneRow]


def read_commune_sheet(path) -> tuple[ColumnMapping, list[TableRow]]:
    """The first table of the file with a communes' column; read outside any transaction."""
    return first_mapped_table(path, COMMUNE_COLUMNS, ("name",), "xã, phường")


def _commune_names(written: str, level_cell: str) -> tuple[str, str] | None:
    """("UBND xã Yên Bình", "Xã Yên Bình") from "Xã Yên Bình", "UBND xã Yên Bình" or "Yên Bình" with
    the level in its own column; None when the level cannot be told."""
    text = written.strip()
    folded = fold(text)
    for prefix in ("uy ban nhan dan ", "ubnd "):
        if folded.startswith(prefix):
            text = text[len(prefix):].strip()
            folded = fold(text)
            break
    for level in COMMUNE_LEVELS:
        if folded.startswith(fold(level) + " ") and len(folded) > len(level) + 1:
            place = text[len(level):].strip()
            break
    else:
        level = next((lv for lv in COMMUNE_LEVELS if fold(level_cell) == fold(lv)), None)
        if level is None:
            return None
        place = text
    return f"UBND {level} {place}", f"{level[0].upper()}{level[1:]} {place}"


class AgencyEditor:
    """Changes to one province's agency directory by a user allowed to make them (NotAllowed
    otherwise, for a forged province or agency), each written to the change log with who and when."""

    def __init__(self, session: Session, actor: Actor, province_id: object):
        number = id_from_text(province_id)
        province = session.get(Province, number) if number else None
        if province is None or not can_manage_province(actor, province.id):
            raise NotAllowed(f"user {actor.username} may not edit agencies of province {province_id!r}")
        self.session, self.actor, self.province = session, actor, province
        self.directory = AgencyDirectory(session, province)
        self.moment = now()

    def _log(self, agency_id: int, name: str, old: object, new: object, source: str = "app") -> None:
        record_change(self.session, "agency", agency_id, name, old, new, when=self.moment,
                      recorded_at=self.moment, user_id=self.actor.id, source=source)

    def _agency(self, agency_id: object, what: str = "cơ quan") -> Agency:
        agency = self.directory.get(id_from_text(agency_id))
        if agency is None:
            if id_from_text(agency_id) is None:
                raise AgencyError(f"Hãy chọn {what}.")
            raise NotAllowed(f"user {self.actor.username} may not edit agency {agency_id!r}")
        return agency

    def _name(self, value: object, label: str) -> str:
        text, problem = clean_text(value, label, 300)
        if problem:
            raise AgencyError(problem)
        if not name_key(text):
            raise AgencyError(f"{label} không được để trống.")
        return text

    def rows(self, search: object = "") -> list[dict]:
        """Every agency of the province with its kind, other names, groups, members and accounts."""
        words = search_words(search)
        agencies = self.session.scalars(select(Agency).where(Agency.province_id == self.province.id)).all()
        by_id = {a.id: a for a in agencies}
        aliases: dict[int, list[str]] = {}
        for alias in self.session.scalars(select(AgencyAlias).where(AgencyAlias.province_id == self.province.id)
                                          .order_by(AgencyAlias.id)):
            aliases.setdefault(alias.agency_id, []).append(
                f"{alias.alias} (tên cũ)" if alias.kind == "former" else alias.alias)
        groups: dict[int, list[str]] = {}
        members: dict[int, int] = {}
        for edge in self.session.scalars(select(AgencyMembership).where(AgencyMembership.group_id.in_(by_id))):
            groups.setdefault(edge.member_id, []).append(by_id[edge.group_id].name)
            members[edge.group_id] = members.get(edge.group_id, 0) + 1
        accounts = dict(self.session.execute(
            select(User.agency_id, func.count(User.id)).where(User.agency_id.in_(by_id), User.active.is_(True))
            .group_by(User.agency_id)).all())
        rows = []
        for agency in sorted(agencies, key=lambda a: (a.is_group, fold(a.name))):
            other_names = "; ".join(aliases.get(agency.id, []))
            if not matches(words, f"{agency.name} {other_names}"):
                continue
            merged = by_id.get(agency.merged_into_id)
            rows.append({
                "id": agency.id, "row_id": str(agency.id), "name": agency.name, "kind": agency.kind,
                "kind_label": AGENCY_KINDS.get(agency.kind, agency.kind), "aliases": other_names,
                "groups": "; ".join(sorted(groups.get(agency.id, []))),
                "members": members.get(agency.id, 0) if agency.is_group else None,
                "accounts": accounts.get(agency.id, 0),
                "state": f"Đã sáp nhập vào {merged.name}" if merged else ("Đang hoạt động" if agency.active
                                                                         else "Ngừng hoạt động"),
                "current": merged is None and agency.active,
            })
        return rows

    def choices(self) -> list[tuple[int, str, bool]]:
        """(id, name, is a group) of the agencies in use, by name: what the forms offer."""
        return sorted(((a.id, a.name, a.is_group) for a in self.directory.current()), key=lambda c: fold(c[1]))

    def members_of(self, group_id: object) -> list[int]:
        group = self._agency(group_id, "nhóm")
        return sorted(self.directory._members.get(group.id, []))

    def add(self, name: object, kind: object) -> Agency:
        text = self._name(name, "Tên cơ quan")
        if kind not in AGENCY_KINDS:
            raise AgencyError("Hãy chọn loại cơ quan.")
        existing = self.directory.lookup(text)
        if existing is not None:
            raise AgencyError(f"“{text}” đã có trong danh mục: “{existing.name}”.")
        agency = self.directory.add(text, kind)
        self._log(agency.id, "name", None, agency.name)
        self._log(agency.id, "kind", None, agency.kind)
        return agency

    def rename(self, agency_id: object, new_name: object) -> tuple[str, Agency]:
        """(old name, agency): the old name stays an alias of kind "former", so older documents
        still resolve."""
        agency = self._agency(agency_id)
        text = self._name(new_name, "Tên mới")
        if text == agency.name:
            raise AgencyError("Tên mới trùng tên hiện tại.")
        old = agency.name
        try:
            rename_agency(self.session, agency, text, self.moment)
        except ValueError as exc:
            raise AgencyError(str(exc)) from None
        self._log(agency.id, "name", old, agency.name)
        return old, agency

    def merge(self, source_id: object, target_id: object) -> tuple[Agency, Agency]:
        """`source` into `target`: its names and aliases resolve to the target from now on, its
        assignments, accounts and history stay where they are, the target joins its groups (and,
        for a group, takes its members)."""
        source, target = self._agency(source_id, "cơ quan bị sáp nhập"), self._agency(target_id, "cơ quan nhận")
        if source.id == target.id:
            raise AgencyError("Hãy chọn hai cơ quan khác nhau.")
        if source.merged_into_id is not None or target.merged_into_id is not None or not target.active:
            raise AgencyError("Cơ quan đã sáp nhập trước đó không sáp nhập thêm được.")
        if source.is_group != target.is_group:
            raise AgencyError("Chỉ sáp nhập cơ quan vào cơ quan, nhóm vào nhóm.")
        for group_id, members in list(self.directory._members.items()):
            if source.id in members and target.id not in members and group_id != target.id:
                self.directory.add_member(self.directory.get(group_id), target)
                self._log(group_id, "member", None, target.name)
        for member_id in self.directory._members.get(source.id, []) if source.is_group else []:
            if member_id != target.id and member_id not in self.directory._members.get(target.id, []):
                self.directory.add_member(target, self.directory.get(member_id))
                self._log(target.id, "member", None, self.directory.get(member_id).name)
        merge_agency(self.session, source, target, self.moment)
        self._log(source.id, "merged_into", None, target.name)
        return source, target

    def set_members(self, group_id: object, member_ids: object, loaded_ids: object) -> MembersSaved:
        """A group's members become exactly `member_ids`, provided they are still `loaded_ids`, the
        members the page showed (MembersChanged otherwise: two secretaries editing one group must
        not silently undo each other). Existing assignments stay as they were split; the next
        import or new task uses the new members."""
        group = self._agency(group_id, "nhóm")
        if not group.is_group:
            raise AgencyError(f"“{group.name}” không phải là nhóm cơ quan.")
        loaded = [id_from_text(value) for value in loaded_ids] if isinstance(loaded_ids, list) else [None]
        if None in loaded:
            raise AgencyError("Trang không gửi kèm danh sách thành viên đã tải nên chưa lưu gì. Hãy chọn lại nhóm "
                              "rồi lưu.")
        # The group's row is locked and its members read again, so that a concurrent save waits for
        # this one and then sees its result.
        self.session.get(Agency, group.id, with_for_update=True)
        current = sorted(self.session.scalars(select(AgencyMembership.member_id)
                                              .where(AgencyMembership.group_id == group.id)))
        self.directory._members[group.id] = list(current)
        if set(loaded) != set(current):
            raise MembersChanged(self._members_changed(group, current), current)
        wanted: list[Agency] = []
        for value in member_ids if isinstance(member_ids, list) else []:
            member = self._agency(value)
            if member.id == group.id or member.id in groups_of(self.session, group.id):
                raise AgencyError(f"“{member.name}” chứa nhóm “{group.name}”, không làm thành viên được.")
            if member not in wanted:
                wanted.append(member)
        current = set(self.directory._members.get(group.id, []))
        added = [m for m in wanted if m.id not in current]
        removed = [self.directory.get(i) for i in current - {m.id for m in wanted}]
        for member in added:
            self.directory.add_member(group, member)
            self._log(group.id, "member", None, member.name)
        for member in removed:
            self.session.execute(delete(AgencyMembership).where(AgencyMembership.group_id == group.id,
                                                                AgencyMembership.member_id == member.id))
            self.directory._members[group.id].remove(member.id)
            self._log(group.id, "member", member.name, None)
        self.session.flush()
        return MembersSaved([m.name for m in added], sorted(m.name for m in removed),
                            sorted(self.directory._members.get(group.id, [])))

    def _members_changed(self, group: Agency, current: list[int]) -> str:
        """Who changed the group's members last and when, and who they are now."""
        log = self.session.scalar(
            select(ChangeLog).where(ChangeLog.entity == "agency", ChangeLog.entity_id == group.id,
                                    ChangeLog.field == "member")
            .order_by(ChangeLog.recorded_at.desc(), ChangeLog.id.desc()).limit(1))
        writer = writer_label(self.session, log.user_id, log.recorded_at) if log else "người khác"
        names = sorted((self.directory.get(i).name for i in current), key=fold)
        return (f"Nhóm “{group.name}” vừa được {writer} sửa thành viên, nên thay đổi của bạn chưa được lưu. "
                f"Thành viên hiện tại: {', '.join(names) if names else 'chưa có'}. Ô “Thành viên” đã hiện lại "
                "danh sách này; hãy chọn lại rồi bấm “Lưu thành viên”.")

    def communes_group(self) -> Agency | None:
        found = self.directory.lookup(COMMUNES_GROUP)
        return found if found is not None and found.is_group else None

    def check_communes(self, group_id: object, sheet: tuple[ColumnMapping, list[TableRow]]) -> CommuneCheck:
        """Every row of the list: a new commune, one already known, or a problem; nothing is written."""
        group = self._agency(group_id, "nhóm nhận các xã, phường")
        if not group.is_group:
            raise AgencyError(f"“{group.name}” không phải là nhóm cơ quan.")
        mapping, rows = sheet
        check = CommuneCheck([], [], [])
        seen: dict[str, int] = {}
        in_group = set(self.directory._members.get(group.id, []))
        for row in rows:
            written = cell(row.cells, mapping.fields, "name")
            names = _commune_names(written, cell(row.cells, mapping.fields, "level"))
            problem, action, existing = "", "", None
            if names is None:
                problem = "không rõ là xã hay phường: ghi “Xã …”, “Phường …” hoặc thêm cột “Loại”."
            elif name_key(names[0]) in seen:
                problem = f"trùng với dòng {seen[name_key(names[0])]}."
            else:
                seen[name_key(names[0])] = row.line
                existing = self.directory.lookup(names[0]) or self.directory.lookup(names[1])
                if existing is not None and existing.is_group:
                    problem = f"“{existing.name}” là một nhóm cơ quan."
                elif existing is not None:
                    action = "Đã có trong nhóm" if existing.id in in_group else "Đã có — thêm vào nhóm"
                else:
                    action = "Thêm mới"
            check.rows.append({"row_id": str(row.line), "line": row.line, "written": written,
                               "name": names[0] if names else "", "action": action, "problems": problem})
            if problem:
                check.errors.append(RowError(row.line, problem))
            else:
                check.communes.append(CommuneRow(row.line, written, names[0], names[1],
                                                 cell(row.cells, mapping.fields, "code"), existing))
        return check

    def load_communes(self, group_id: object, sheet: tuple[ColumnMapping, list[TableRow]]) -> tuple[int, int]:
        """The whole list into the group, or nothing (ImportFailed naming every bad row); (agencies
        added, agencies that joined the group)."""
        check = self.check_communes(group_id, sheet)
        if check.errors:
            raise ImportFailed(check.errors)
        group = self.directory.get(id_from_text(group_id))
        added = joined = 0
        for commune in check.communes:
            agency = commune.existing
            if agency is None:
                agency = self.directory.add(commune.name, "commune", code=commune.code or None)
                self._log(agency.id, "name", None, agency.name, source="import")
                added += 1
            if self.directory.lookup(commune.alias) is None:
                self.directory.add_alias(agency, commune.alias)
            if agency.id not in self.directory._members.get(group.id, []):
                self.directory.add_member(group, agency)
                self._log(group.id, "member", None, agency.name, source="import")
                joined += 1
        self.session.flush()
        return added, joined
