"""Reading a province's DTI rankings back: a year's table as the decision prints it (with the
app's figures), the count per level, and one agency's standing over the years. Counts and group
sizes are SQL aggregates."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Agency, DtiGroup, DtiRanking, DtiScore
from services.dti.rules import (
    LEVEL_LABELS,
    Level,
    as_number,
    average_differences,
    percent_text,
    points_text,
    row_differences,
    scale_text,
)


def ranking_years(session: Session, province_id: int) -> list[int]:
    """The years of the province's rankings, newest first."""
    return list(session.scalars(select(DtiRanking.year).where(DtiRanking.province_id == province_id)
                                .order_by(DtiRanking.year.desc())))


def _row(score: DtiScore, agency_name: str, group: DtiGroup, group_size: int, year: int) -> dict:
    return {"row_id": str(score.id), "year": year, "agency_id": score.agency_id, "agency": agency_name,
            "printed_name": score.printed_name, "group": group.title, "group_position": group.position,
            "score": points_text(score.score_hundredths), "maximum": scale_text(score.maximum_hundredths),
            "score_number": as_number(score.score_hundredths), "maximum_number": as_number(score.maximum_hundredths),
            "percent": percent_text(score.score_hundredths, score.maximum_hundredths),
            "level": LEVEL_LABELS[Level(score.level)], "level_key": score.level, "rank": score.rank,
            "group_size": group_size, "group_average": points_text(group.average_hundredths),
            "differences": row_differences(agency_name, score.score_hundredths, score.maximum_hundredths, score.rank,
                                           score.printed_rank, score.printed_percent, score.printed_level)}


def _scores(province_id: int):
    """Every score of the province with its group, year, agency name and the group's size."""
    sizes = (select(DtiScore.group_id, func.count().label("size")).group_by(DtiScore.group_id).subquery("sizes"))
    return (select(DtiScore, Agency.name, DtiGroup, sizes.c.size, DtiRanking.year)
            .join(DtiGroup, DtiGroup.id == DtiScore.group_id)
            .join(DtiRanking, DtiRanking.id == DtiGroup.ranking_id)
            .join(sizes, sizes.c.group_id == DtiScore.group_id)
            .join(Agency, Agency.id == DtiScore.agency_id)
            .where(DtiRanking.province_id == province_id))


def ranking_rows(session: Session, province_id: int, year: int) -> list[dict]:
    """The year's rows, group by group, best first (the decision's order)."""
    rows = session.execute(_scores(province_id).where(DtiRanking.year == year)
                           .order_by(DtiGroup.position, DtiScore.rank, DtiScore.position))
    return [_row(score, name, group, size, ranking_year) for score, name, group, size, ranking_year in rows]


def level_counts(session: Session, province_id: int, year: int) -> dict[str, int]:
    """Agencies per level in the year's ranking, every level present, in the decision's order."""
    counted = dict(session.execute(
        select(DtiScore.level, func.count()).join(DtiGroup, DtiGroup.id == DtiScore.group_id)
        .join(DtiRanking, DtiRanking.id == DtiGroup.ranking_id)
        .where(DtiRanking.province_id == province_id, DtiRanking.year == year).group_by(DtiScore.level)).all())
    return {label: counted.get(level.value, 0) for level, label in LEVEL_LABELS.items()}


def group_summaries(session: Session, province_id: int, year: int) -> list[dict]:
    """Each group of the year: its title, size and average (the app's, and as printed)."""
    rows = session.execute(
        select(DtiGroup, func.count(DtiScore.id)).join(DtiRanking, DtiRanking.id == DtiGroup.ranking_id)
        .outerjoin(DtiScore, DtiScore.group_id == DtiGroup.id)
        .where(DtiRanking.province_id == province_id, DtiRanking.year == year)
        .group_by(DtiGroup.id).order_by(DtiGroup.position))
    return [{"title": group.title, "size": size, "average": points_text(group.average_hundredths),
             "differences": average_differences(f"Nhóm “{group.title}”", group.average_hundredths,
                                                group.printed_average)} for group, size in rows]


def agency_history(session: Session, province_id: int, agency_id: int) -> list[dict]:
    """One agency's rows over the years, newest first."""
    rows = session.execute(_scores(province_id).where(DtiScore.agency_id == agency_id)
                           .order_by(DtiRanking.year.desc()))
    return [_row(score, name, group, size, year) for score, name, group, size, year in rows]


def latest_by_agency(session: Session, province_id: int) -> dict[int, dict]:
    """Each agency's row in the province's latest ranking that names it."""
    latest: dict[int, dict] = {}
    for score, name, group, size, year in session.execute(_scores(province_id).order_by(DtiRanking.year.desc())):
        latest.setdefault(score.agency_id, _row(score, name, group, size, year))
    return latest
