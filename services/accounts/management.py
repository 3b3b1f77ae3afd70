"""Accounts managed from the browser by an admin or the secretariat of a province: one at a time
or from the focal points' list (Danh sách cán bộ đầu mối), reset, deactivate, reactivate.

A new or reset account gets a temporary password that is returned once, to the caller that shows
it to the creator, and is never logged nor kept anywhere but as its hash; the owner must change it
at the first login (services.accounts.users.needs_new_password). Who may do what is asked of
services.accounts.permissions; every change is written to the change log with who and when.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from models import Agency, Province, User
from services.accounts import throttle
from services.accounts.permissions import Actor, NotAllowed, can_manage_account, can_manage_province
from services.accounts.users import (
    ROLES,
    UserError,
    create_user,
    end_sessions,
    hash_password,
    unlock_user,
)
from services.common.clock import now
from services.common.inputs import clean_text, id_from_text
from services.common.queries import vn_date
from services.common.text import fold, matches, search_words
from services.plans.agencies import AgencyDirectory
from services.plans.spreadsheet import (
    Column,
    ColumnMapping,
    ImportFailed,
    RowError,
    TableRow,
    cell,
    first_mapped_table,
)
from services.publication.workbook import workbook_bytes
from services.tasks.history import record_change

# Lower-case letters, digits and . _ - (what people type on any keyboard and a file name carries
# unchanged), starting and ending with a letter or a digit.
USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9 .()-]{8,20}$")
# No look-alikes (0/O, 1/l/I): the password is read off a screen or a printed list.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_SHEET_ACCOUNTS = 1000
ROLE_ORDER = ("admin", "secretariat", "leader", "agency")
# Roles as the focal points' lists write them (folded), besides the codes and the app's own labels.
ROLE_WORDS = {
    "can bo dau moi": "agency", "dau moi": "agency", "co quan chu tri": "agency", "co quan, don vi": "agency",
    "to giup viec": "secretariat", "co quan thuong truc": "secretariat", "thuong truc": "secretariat",
    "lanh dao": "leader", "lanh dao ban chi dao": "leader", "thanh vien ban chi dao": "leader",
    "quan tri": "admin", "quan tri he thong": "admin",
    **{code: code for code in ROLES}, **{fold(label): code for code, label in ROLES.items()},
}
ROLE_HINT = "Cán bộ đầu mối, Tổ giúp việc, Lãnh đạo hoặc Quản trị hệ thống"
ACCOUNT_COLUMNS = [
    Column("username", ("ten dang nhap", "tai khoan", "username"), label="Tên đăng nhập"),
    Column("full_name", ("ho va ten", "ho ten", "ten can bo", "can bo dau moi"), label="Họ và tên"),
    Column("agency", ("co quan", "don vi"), required=False, prefix=True, label="Cơ quan/Đơn vị"),
    Column("role", ("vai tro", "quyen"), required=False, prefix=True, label="Vai trò"),
    Column("email", ("email", "e-mail", "thu dien tu", "dia chi email"), required=False, label="Email"),
    Column("phone", ("so dien thoai", "dien thoai", "sdt", "so dt", "di dong"), required=False, prefix=True,
           label="Số điện thoại"),
]


class AccountInvalid(UserError):
    """The form's values cannot make an account; `problems` says each reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Draft:
    """An account as checked, before it is written."""
    username: str
    full_name: str
    role: str
    agency: Agency | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Issued:
    """An account and its temporary password, for the one answer that shows it to the creator."""
    username: str
    full_name: str
    role: str
    agency: str
    password: str = field(repr=False)


def temporary_password() -> str:
    """Three groups of four ("Kx7p-Qm3t-9Wzr"): easy to read out and type, 70 bits of randomness,
    with upper and lower case and a digit."""
    while True:
        password = "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)):
            return password


def _directory(session: Session, actor: Actor, province_id: object) -> AgencyDirectory:
    """The province's agencies, once the actor may manage its accounts (NotAllowed otherwise)."""
    province = session.get(Province, id_from_text(province_id)) if id_from_text(province_id) else None
    if province is None or not can_manage_province(actor, province.id):
        raise NotAllowed(f"user {actor.username} may not manage accounts of province {province_id!r}")
    return AgencyDirectory(session, province)


def role_of(text: object) -> str | None:
    """A role code from its code or the words a list uses ("Cán bộ đầu mối", "Tổ giúp việc")."""
    return ROLE_WORDS.get(fold(text)) if isinstance(text, str) else None


def _agency_of(directory: AgencyDirectory, value: object) -> tuple[Agency | None, str | None]:
    """(agency, problem) for an agency chosen in the form (its id) or written in a list (its name)."""
    if value is None or value == "":
        return None, None
    by_id = id_from_text(value) if not isinstance(value, str) or value.isdigit() else None
    agency = directory.get(by_id) if by_id else (directory.lookup(value) if isinstance(value, str) else None)
    if agency is None:
        shown = value if isinstance(value, str) else "đã chọn"
        return None, (f"không có cơ quan “{shown}” trong danh mục của tỉnh (thêm ở trang “Cơ quan, đơn vị” "
                      "trước).")
    if agency.is_group:
        return None, f"“{agency.name}” là nhóm cơ quan, không gắn tài khoản được; hãy ghi một cơ quan cụ thể."
    if agency.merged_into_id is not None or not agency.active:
        return None, f"cơ quan “{agency.name}” không còn hoạt động (đã sáp nhập)."
    return agency, None


def check_draft(session: Session, actor: Actor, directory: AgencyDirectory, values: Mapping[str, object],
                taken: Mapping[str, int] | None = None) -> tuple[Draft | None, list[str]]:
    """One account's values (username, full_name, role, agency, email, phone) checked: (draft, [])
    or (None, problems). `taken` maps usernames already used above in the same list to their line."""
    problems: list[str] = []
    texts = {}
    for key, label, length in (("username", "Tên đăng nhập", 80), ("full_name", "Họ và tên", 200),
                               ("email", "Email", 254), ("phone", "Số điện thoại", 40)):
        texts[key], problem = clean_text(values.get(key), label, length)
        if problem:
            problems.append(problem)
    username = texts["username"].lower()
    if not username:
        problems.append("thiếu tên đăng nhập.")
    elif not USERNAME.match(username):
        problems.append(f"tên đăng nhập “{username}” không hợp lệ: chỉ dùng chữ không dấu, chữ số và các dấu "
                        ". _ - (không có khoảng trắng), tối đa 80 ký tự.")
    elif taken is not None and username in taken:
        problems.append(f"tên đăng nhập “{username}” trùng với dòng {taken[username]}.")
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(f"tên đăng nhập “{username}” đã có trong hệ thống.")
    if not texts["full_name"]:
        problems.append("thiếu họ và tên.")
    agency, problem = _agency_of(directory, values.get("agency"))
    if problem:
        problems.append(problem)
    raw_role = values.get("role")
    role = role_of(raw_role) if raw_role not in (None, "") else ("agency" if agency or problem else None)
    if role is None:
        problems.append(f"vai trò “{raw_role or ''}” không hợp lệ ({ROLE_HINT})." if raw_role
                        else f"thiếu vai trò ({ROLE_HINT}).")
    elif not can_manage_account(actor, role, directory.province.id):
        problems.append("chỉ quản trị hệ thống mới tạo được tài khoản quản trị hệ thống.")
    elif role == "agency" and agency is None and problem is None:
        problems.append("tài khoản cán bộ đầu mối phải gắn với một cơ quan, đơn vị.")
    if texts["email"] and not EMAIL.match(texts["email"]):
        problems.append(f"email “{texts['email']}” không hợp lệ.")
    if texts["phone"] and not (PHONE.match(texts["phone"]) and 8 <= sum(c.isdigit() for c in texts["phone"]) <= 15):
        problems.append(f"số điện thoại “{texts['phone']}” không hợp lệ.")
    if problems:
        return None, problems
    return Draft(username, texts["full_name"], role, agency, texts["email"] or None, texts["phone"] or None), []


def _write(session: Session, actor: Actor, province_id: int, draft: Draft, source: str) -> Issued:
    """Create the account with a temporary password to change at first login; log every field."""
    password = temporary_password()
    user = create_user(session, draft.username, draft.role, password, full_name=draft.full_name,
                       agency=draft.agency, province_id=province_id)
    user.email, user.phone, user.must_change_password = draft.email, draft.phone, True
    moment = now()
    for name in ("username", "full_name", "role", "agency_id", "province_id", "email", "phone"):
        if getattr(user, name) not in (None, ""):
            record_change(session, "user", user.id, name, None, getattr(user, name), when=moment,
                          recorded_at=moment, user_id=actor.id, source=source)
    # That a temporary password was issued, never the password nor its hash.
    record_change(session, "user", user.id, "temporary_password", None, None, when=moment, recorded_at=moment,
                  user_id=actor.id, source=source)
    session.flush()
    return Issued(user.username, user.full_name, ROLES[user.role], draft.agency.name if draft.agency else "", password)


def create_account(session: Session, actor: Actor, province_id: object, values: Mapping[str, object]) -> Issued:
    """One account from the form; AccountInvalid names every problem, NotAllowed another province."""
    directory = _directory(session, actor, province_id)
    draft, problems = check_draft(session, actor, directory, values)
    if draft is None:
        raise AccountInvalid([p[0].upper() + p[1:] for p in problems])
    return _write(session, actor, directory.province.id, draft, "app")


def _managed_user(session: Session, actor: Actor, user_id: object) -> User:
    """The account the actor picked, if it may change it; not its own (that is the password page)."""
    number = id_from_text(user_id)
    if number is None:
        raise UserError("Hãy chọn một tài khoản trong bảng.")
    user = session.get(User, number)
    if user is None or not can_manage_province(actor, user.province_id):
        raise NotAllowed(f"user {actor.username} may not manage account {user_id!r}")
    if not can_manage_account(actor, user.role, user.province_id):
        raise UserError("Chỉ quản trị hệ thống mới thay đổi được tài khoản quản trị hệ thống.")
    if user.id == actor.id:
        raise UserError("Không tự thay đổi tài khoản của mình ở đây; đổi mật khẩu ở trang “Đổi mật khẩu”.")
    return user


def reset_password(session: Session, actor: Actor, user_id: object) -> Issued:
    """A new temporary password (to change at the next login); the account's other sessions end and
    its failed-login lock is lifted, since nobody but the owner will know the new password."""
    user = _managed_user(session, actor, user_id)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.is_demo = False
    moment = now()
    throttle.clear(session, [throttle.account_key(user.username)], moment)
    record_change(session, "user", user.id, "temporary_password", None, None, when=moment, recorded_at=moment,
                  user_id=actor.id)
    session.flush()
    end_sessions(session, user)
    agency = session.get(Agency, user.agency_id) if user.agency_id else None
    return Issued(user.username, user.full_name, ROLES[user.role], agency.name if agency else "", password)


def set_active(session: Session, actor: Actor, user_id: object, active: bool) -> User:
    """Deactivate (every session ends at once) or reactivate an account."""
    user = _managed_user(session, actor, user_id)
    if user.active == active:
        raise UserError(f"Tài khoản “{user.username}” {'đang hoạt động' if active else 'đã bị khóa'} rồi.")
    moment = now()
    record_change(session, "user", user.id, "active", user.active, active, when=moment, recorded_at=moment,
                  user_id=actor.id)
    user.active = active
    session.flush()
    end_sessions(session, user)
    return user


def unlock_account(session: Session, actor: Actor, user_id: object) -> bool:
    """Lift a temporary lock after failed logins (services.accounts.users.unlock_user)."""
    return unlock_user(session, actor, _managed_user(session, actor, user_id).username)


def role_choices(actor: Actor, province_id: int) -> list[tuple[str, str]]:
    """(code, label) of the roles the actor may give in the province: no admin for the secretariat."""
    return [(code, ROLES[code]) for code in reversed(ROLE_ORDER) if can_manage_account(actor, code, province_id)]


def agency_choices(session: Session, actor: Actor, province_id: object) -> list[tuple[int, str]]:
    """(id, name) of the agencies an account can belong to: current agencies, not groups."""
    directory = _directory(session, actor, province_id)
    return sorted(((a.id, a.name) for a in directory.current() if not a.is_group), key=lambda c: fold(c[1]))


def account_rows(session: Session, actor: Actor, province_id: object, search: object = "") -> list[dict]:
    """The province's accounts for the grid, filtered by `search` ignoring diacritics (name, user
    name, agency, email). No password or hash leaves here."""
    directory = _directory(session, actor, province_id)
    words = search_words(search)
    moment = now()
    rows = []
    users = session.execute(
        select(User, Agency.name).outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.province_id == directory.province.id).options(undefer(User.locked_until))
    ).all()
    for user, agency in sorted(users, key=lambda r: (ROLE_ORDER.index(r[0].role) if r[0].role in ROLE_ORDER else 9,
                                                     r[1] or "", r[0].username)):
        if not matches(words, " ".join([user.username, user.full_name, agency or "", user.email or ""])):
            continue
        locked = user.locked_until is not None and user.locked_until > moment
        state = ("Đã khóa" if not user.active else f"Tạm khóa đến {vn_date(user.locked_until)}" if locked
                 else "Chờ đổi mật khẩu tạm" if user.must_change_password else "Đang hoạt động")
        rows.append({
            "id": user.id, "row_id": str(user.id), "username": user.username, "full_name": user.full_name,
            "role": user.role, "role_label": ROLES.get(user.role, user.role), "agency": agency or "",
            "email": user.email or "", "phone": user.phone or "", "active": user.active, "state": state,
            "last_login": vn_date(user.last_login_at) or "Chưa đăng nhập",
        })
    return rows


# ---- The focal points' list ---------------------------------------------------------------------

@dataclass(frozen=True)
class AccountSheet:
    """The list as read from the file (outside any transaction), header found."""
    mapping: ColumnMapping
    rows: list[TableRow]


@dataclass
class SheetCheck:
    rows: list[dict]  # for the preview grid: every row with its problems
    errors: list[RowError]
    drafts: list[tuple[int, Draft]]


def read_account_sheet(path: str | Path) -> AccountSheet:
    """The first table of the file whose header names the account columns; ImportFailed otherwise."""
    mapping, rows = first_mapped_table(path, ACCOUNT_COLUMNS, ("username", "full_name", "agency"))
    if len(rows) > MAX_SHEET_ACCOUNTS:
        raise ImportFailed([RowError(0, f"Danh sách có {len(rows)} dòng; mỗi lần tạo tối đa "
                                        f"{MAX_SHEET_ACCOUNTS} tài khoản.")])
    return AccountSheet(mapping, rows)


def check_sheet(session: Session, actor: Actor, province_id: object, sheet: AccountSheet) -> SheetCheck:
    """Every row checked against the province's agencies, the accounts there are and the rows
    above it; nothing is written."""
    directory = _directory(session, actor, province_id)
    check = SheetCheck([], [], [])
    taken: dict[str, int] = {}
    for row in sheet.rows:
        values = {name: cell(row.cells, sheet.mapping.fields, name) for name in sheet.mapping.fields}
        draft, problems = check_draft(session, actor, directory, values, taken)
        taken.setdefault(values.get("username", "").strip().lower(), row.line)
        role = draft.role if draft else role_of(values.get("role"))
        check.rows.append({
            "row_id": str(row.line), "line": row.line, "username": values.get("username", ""),
            "full_name": values.get("full_name", ""),
            "agency": draft.agency.name if draft and draft.agency else values.get("agency", ""),
            "role": ROLES[role] if role else values.get("role", ""),
            "email": values.get("email", ""), "phone": values.get("phone", ""), "problems": " ".join(problems),
        })
        check.errors += [RowError(row.line, problem) for problem in problems]
        if draft is not None:
            check.drafts.append((row.line, draft))
    return check


def create_from_sheet(session: Session, actor: Actor, province_id: object, sheet: AccountSheet) -> list[Issued]:
    """Every account of the list, or none: the rows are checked again in this transaction and one
    bad row refuses the whole list (ImportFailed naming each)."""
    check = check_sheet(session, actor, province_id, sheet)
    if check.errors:
        raise ImportFailed(check.errors)
    province = id_from_text(province_id)
    return [_write(session, actor, province, draft, "import") for _, draft in check.drafts]


def issued_workbook(issued: list[Issued]) -> bytes:
    """The temporary passwords as an .xlsx for the secretariat to hand out; every cell text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tài khoản mới"
    sheet.append(["STT", "Tên đăng nhập", "Họ và tên", "Cơ quan/Đơn vị", "Vai trò", "Mật khẩu tạm thời"])
    for number, account in enumerate(issued, 1):
        sheet.append([number, account.username, account.full_name, account.agency, account.role, account.password])
    sheet.append([])
    sheet.append(["", "Mật khẩu tạm thời chỉ dùng cho lần đăng nhập đầu; hệ thống sẽ yêu cầu đổi mật khẩu ngay."])
    for letter, width in zip("ABCDEF", (6, 22, 30, 40, 24, 20)):
        sheet.column_dimensions[letter].width = width
    return workbook_bytes(workbook)


def issued_lines(issued: list[Issued]) -> list[str]:
    """What the confirmation says about each account, without its password."""
    return [f"{a.username} — {a.full_name}" + (f" ({a.agency})" if a.agency else "") for a in issued]

