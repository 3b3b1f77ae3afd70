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

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, AgencyAlias, AgencyEvent, AgencyMembership, Province
from services.common.text import fold, name_key

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
                    fragment = cell[spans[start][0]:spans[start][1]].strip()
                    candidate = (cost + 100, names, unknown + [fragment])
                else:
                    continue
                if best[end] is None or candidate[0] < best[end][0]:
                    best[end] = candidate
        _, names, unknown = best[n]
        seen: set[int] = set()
        unique = [a for a in names if not (a.id in seen or seen.add(a.id))]
        return Resolution(unique, unknown)

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
