"""Accounts: creation, password checks throttled in the database (per account and per client
address, QUALITY.md S4), password changes, unlocks, session versions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Agency, Province, User
from services.accounts import throttle
from services.accounts.permissions import Actor, NotAllowed, can_manage_province, can_unlock_addresses
from services.common.clock import now
from services.plans.agencies import AgencyDirectory, find_province
from services.tasks.history import record_change

ROLES = {
    "admin": "Quản trị hệ thống",
    "secretariat": "Tổ giúp việc / Cơ quan thường trực",
    "leader": "Lãnh đạo",
    "agency": "Cơ quan chủ trì",
}
MAX_FAILED_LOGINS = 5  # per account, within LOCKOUT
MAX_FAILED_LOGINS_PER_ADDRESS = 20  # per client address, within LOCKOUT: many names from one place
LOCKOUT = timedelta(minutes=15)
ACCOUNT_LIMIT = throttle.Limit(MAX_FAILED_LOGINS, LOCKOUT, LOCKOUT)
ADDRESS_LIMIT = throttle.Limit(MAX_FAILED_LOGINS_PER_ADDRESS, LOCKOUT, LOCKOUT)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256  # the login form reads no more than this
LOGIN_FAILED_MESSAGE = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị tạm khóa."
ACCOUNT_LOCKED_MESSAGE = "Tài khoản đang bị tạm khóa do nhập sai mật khẩu nhiều lần; vui lòng thử lại sau."
# werkzeug's scrypt defaults; the test suite lowers the cost factor to keep fixtures fast.
PASSWORD_METHOD = "scrypt"


class UserError(ValueError):
    pass


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a password of anyone", method=method)


def dummy_password_hash() -> str:
    """A hash made like real ones, checked for unknown names so that they cost what a real check
    costs. Made once per method; `init_auth` makes it at start-up, not on a first failed login."""
    return _dummy_hash(PASSWORD_METHOD)


def create_user(session: Session, username: str, role: str, password: str, *, full_name: str = "",
                agency: Agency | None = None, province_id: int | None = None,
                is_demo: bool = False) -> User:
    username = username.strip().lower()
    if not username:
        raise UserError("Tên đăng nhập không được để trống.")
    if role not in ROLES:
        raise UserError(f"Vai trò “{role}” không hợp lệ ({', '.join(ROLES)}).")
    if role == "agency" and agency is None:
        raise UserError("Tài khoản cơ quan phải gắn với một cơ quan (--agency).")
    if role == "agency" and agency.is_group:
        raise UserError(f"“{agency.name}” là nhóm cơ quan, không gắn tài khoản được.")
    if role != "admin" and agency is None and province_id is None:
        raise UserError("Tài khoản phải thuộc một tỉnh; chỉ quản trị hệ thống mới được làm việc với mọi tỉnh.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise UserError(f"Tên đăng nhập “{username}” đã có.")
    user = User(
        username=username, full_name=full_name, password_hash=hash_password(password), role=role,
        agency_id=agency.id if agency else None,
        province_id=agency.province_id if agency else province_id, is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    return user


def new_user_scope(session: Session, role: str, *, province_name: str | None = None,
                   agency_name: str | None = None, all_provinces: bool = False) -> tuple[int | None, Agency | None]:
    """(province id, agency) of a new account: its agency's province, the named province, or the
    only one there is. A typo never yields a province-less user; only an admin may work across
    provinces, and only when asked for."""
    if all_provinces:
        if role != "admin" or province_name or agency_name:
            raise UserError("Chỉ tài khoản quản trị hệ thống (admin) mới được làm việc với mọi tỉnh "
                            "(--all-provinces, không kèm --province hay --agency).")
        return None, None
    provinces = list(session.scalars(select(Province).order_by(Province.id)))
    if province_name:
        province = find_province(session, province_name)
        if province is None:
            known = ", ".join(p.name for p in provinces) or "chưa có tỉnh nào"
            raise UserError(f"Không có tỉnh “{province_name}” (các tỉnh hiện có: {known}).")
        provinces = [province]
    if agency_name:
        matches = [a for p in provinces if (a := AgencyDirectory(session, p).lookup(agency_name))]
        if len(matches) != 1:
            raise UserError(f"Không xác định được cơ quan “{agency_name}”"
                            + (" (có ở nhiều tỉnh, dùng --province)." if matches else "."))
        return matches[0].province_id, matches[0]
    if not provinces:
        raise UserError("Chưa có tỉnh nào; hãy nạp kế hoạch của tỉnh trước khi tạo tài khoản.")
    if len(provinces) > 1:
        raise UserError(f"Có {len(provinces)} tỉnh ({', '.join(p.name for p in provinces)}): hãy ghi --province"
                        + (", hoặc --all-provinces cho quản trị hệ thống." if role == "admin" else "."))
    return provinces[0].id, None


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked against the hash stored for a name, before any write transaction: the
    full-cost hash must not hold SQLite's write lock (every other save would wait on it)."""

    stored_hash: str | None
    ok: bool


def check_password(session: Session, username: str, password: str) -> PasswordCheck:
    """Read the name's hash (or the dummy's, for an unknown name: same cost) and check the password.
    Call it in a read unit of work; the hashing itself touches no database."""
    stored = session.scalar(select(User.password_hash).where(User.username == (username or "").strip().lower()))
    return PasswordCheck(stored, check_password_hash(stored or dummy_password_hash(), password or ""))


def authenticate(session: Session, username: str, password: str, address: str | None = None,
                 checked: PasswordCheck | None = None) -> LoginResult:
    """Check a password, counting failures per account and per client address in the database.

    Unknown user, wrong password, locked account or address and inactive account all give the
    same message after the same work: exactly one password check of the same cost. `checked` is
    that check made before this (write) transaction; it is used only if the hash it read is still
    the stored one (a password changed meanwhile is checked again here).
    """
    name = (username or "").strip().lower()
    moment = now()
    account, place = throttle.account_key(name), throttle.address_key(address)
    user = session.scalar(select(User).where(User.username == name))
    if checked is not None and checked.stored_hash == (user.password_hash if user else None):
        password_ok = checked.ok
    else:
        password_ok = check_password_hash(user.password_hash if user else dummy_password_hash(), password or "")
    locked = throttle.locked_keys(session, [account, place], moment)
    if user is None or not user.active or locked or not password_ok:
        # A locked address is turned away uncounted (it cannot go on locking accounts); a lock is
        # not extended by tries during it.
        if place not in locked:
            throttle.hit(session, place, ADDRESS_LIMIT, moment)
            if account not in locked:
                throttle.hit(session, account, ACCOUNT_LIMIT, moment)
        throttle.forget_stale(session, moment)
        return LoginResult(None, LOGIN_FAILED_MESSAGE)
    # Success forgets the account's failures, not the address's: one valid account must not let
    # its owner guess others' passwords on a fresh count.
    throttle.clear(session, [account], moment)
    user.last_login_at = moment
    return LoginResult(user)


def needs_new_password(user: User, demo_mode: bool) -> bool:
    """A temporary password, or a demo account (the published password) outside demo mode, must be
    changed before anything else."""
    return user.must_change_password or (user.is_demo and not demo_mode)


@dataclass(frozen=True)
class PasswordChange:
    changed: bool
    message: str = ""


def change_password(session: Session, user: User, current: str, new: str, repeat: str) -> PasswordChange:
    """Set a new password if the current one is right and the new one is acceptable; a wrong
    current password counts as a failed login of the account. On success every other session
    ends (the caller logs this one in again) and the account no longer counts as a demo account.
    """
    from services.plans.demo import DEMO_PASSWORD  # services.plans.demo imports this module

    moment = now()
    key = throttle.account_key(user.username)
    current_ok = check_password_hash(user.password_hash, current or "")
    if throttle.locked_keys(session, [key], moment):
        return PasswordChange(False, ACCOUNT_LOCKED_MESSAGE)
    if not current_ok:
        throttle.hit(session, key, ACCOUNT_LIMIT, moment)
        return PasswordChange(False, "Mật khẩu hiện tại không đúng.")
    new = new or ""
    if len(new) < MIN_PASSWORD_LENGTH:
        return PasswordChange(False, f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if len(new) > MAX_PASSWORD_LENGTH:
        return PasswordChange(False, f"Mật khẩu mới không được dài quá {MAX_PASSWORD_LENGTH} ký tự.")
    if new.strip().lower() == user.username:
        return PasswordChange(False, "Mật khẩu mới không được trùng với tên đăng nhập.")
    if new == DEMO_PASSWORD:
        return PasswordChange(False, "Mật khẩu mới không được là mật khẩu mẫu đã công bố.")
    if new == current:
        return PasswordChange(False, "Mật khẩu mới phải khác mật khẩu hiện tại.")
    if new != repeat:
        return PasswordChange(False, "Hai lần nhập mật khẩu mới không khớp.")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.is_demo = False
    # History says that it changed, never a password or a hash.
    record_change(session, "user", user.id, "password", None, None, when=moment, recorded_at=moment,
                  user_id=user.id)
    session.flush()
    end_sessions(session, user)
    return PasswordChange(True)


def unlock_user(session: Session, actor: Actor | None, username: str) -> bool:
    """End an account's temporary lock and forget its failed logins; whether it was locked.
    `actor` None is the command line."""
    name = (username or "").strip().lower()
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise UserError(f"Không có tài khoản “{name}”.")
    if actor is not None and not can_manage_province(actor, user.province_id):
        raise NotAllowed(f"user {actor.username} may not unlock {user.username}")
    moment = now()
    was_locked = throttle.clear(session, [throttle.account_key(user.username)], moment)
    if was_locked:
        record_change(session, "user", user.id, "locked_until", "locked", None, when=moment, recorded_at=moment,
                      user_id=actor.id if actor else None, source="cli" if actor is None else "app")
    return was_locked


def unlock_address(session: Session, actor: Actor | None, address: str) -> bool:
    """End a client address's temporary lock (an office behind one address); whether it was locked.
    Addresses belong to no province, so only the command line and admins may."""
    if actor is not None and not can_unlock_addresses(actor):
        raise NotAllowed(f"user {actor.username} may not unlock address {address}")
    return throttle.clear(session, [throttle.address_key(address.strip())], now())


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every cookie issued to `user` (logout, deactivation, role change, new password)."""
    session.execute(update(User).where(User.id == user.id)
                    .values(session_version=User.session_version + 1))
    session.refresh(user)


def deactivate(session: Session, user: User) -> None:
    user.active = False
    end_sessions(session, user)


def change_role(session: Session, user: User, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"Vai trò “{role}” không hợp lệ.")
    user.role = role
    end_sessions(session, user)
