"""Accounts: creation, password checks with a lockout counted in the database, session versions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Agency, User
from services.clock import now

ROLES = {
    "admin": "Quản trị hệ thống",
    "secretariat": "Tổ giúp việc / Cơ quan thường trực",
    "leader": "Lãnh đạo",
    "agency": "Cơ quan chủ trì",
}
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
LOGIN_FAILED_MESSAGE = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị tạm khóa."
# werkzeug's scrypt defaults; the test suite lowers the cost factor to keep fixtures fast.
PASSWORD_METHOD = "scrypt"


class UserError(ValueError):
    pass


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


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


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Check a password; count failures in the database and lock the account for a while.

    Unknown user, wrong password and locked account all give the same message.
    """
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    moment = now()
    if user is None:
        hash_password(password or "")  # same work as a real check, so timing reveals nothing
        return LoginResult(None, LOGIN_FAILED_MESSAGE)
    locked = user.locked_until is not None and user.locked_until > moment
    if locked or not user.active or not check_password_hash(user.password_hash, password or ""):
        if not locked:
            # Increment in SQL so concurrent workers never lose a count.
            session.execute(update(User).where(User.id == user.id)
                            .values(failed_logins=User.failed_logins + 1))
            session.refresh(user)
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = moment + LOCKOUT
                user.failed_logins = 0
        return LoginResult(None, LOGIN_FAILED_MESSAGE)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = moment
    return LoginResult(user)


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every cookie issued to `user` (logout, deactivation, role change)."""
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
