"""The daily digest: one message per user listing all their new reminders, in Vietnamese, as plain
text and HTML, and the SMTP settings it is sent with (from the environment)."""
from __future__ import annotations

import html
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr

from services.common.queries import vn_date

DEFAULT_BASE_URL = "http://127.0.0.1:8050"
DEFAULT_SENDER = "nhac-viec@localhost"
SECURITY = ("none", "starttls", "ssl")
REMINDERS_PATH = "/nhac-viec"  # the reminders page, where the digest can be turned off

Send = Callable[[EmailMessage], None]


class MailSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    user: str
    password: str
    security: str  # none | starttls | ssl
    sender: str
    base_url: str
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> MailSettings | None:
        """CDS_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY, _SENDER and CDS_BASE_URL; None without a
        host (reminders stay in the app). MailSettingsError for a bad port or security."""
        host = environ.get("CDS_SMTP_HOST", "").strip()
        if not host:
            return None
        security = environ.get("CDS_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITY:
            raise MailSettingsError(f"CDS_SMTP_SECURITY “{security}” không hợp lệ; dùng none, starttls hoặc ssl.")
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
        try:
            port = int(environ.get("CDS_SMTP_PORT", "").strip() or default_port)
        except ValueError:
            raise MailSettingsError(f"CDS_SMTP_PORT “{environ.get('CDS_SMTP_PORT')}” không phải là số.") from None
        return cls(host=host, port=port, user=environ.get("CDS_SMTP_USER", ""),
                   password=environ.get("CDS_SMTP_PASSWORD", ""), security=security,
                   sender=environ.get("CDS_SMTP_SENDER", "").strip() or DEFAULT_SENDER,
                   base_url=base_url_from(environ))


def base_url_from(environ: Mapping[str, str] = os.environ) -> str:
    return (environ.get("CDS_BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/")


def smtp_sender(settings: MailSettings) -> Send:
    """Deliver one message through the configured server; raises (smtplib.SMTPException, OSError)
    unless the server accepted it."""
    def send(message: EmailMessage) -> None:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    return send


@dataclass(frozen=True)
class DigestItem:
    plan_title: str
    kind_label: str
    title: str
    body: str
    link: str  # a path inside the app


@dataclass(frozen=True)
class Digest:
    to: str
    name: str
    province: str
    day: date
    items: list[DigestItem]

    @property
    def subject(self) -> str:
        where = f"CĐS {self.province}" if self.province else "CĐS"
        return f"[{where}] {len(self.items)} việc cần chú ý ngày {vn_date(self.day)}"

    def by_plan(self) -> dict[str, list[DigestItem]]:
        grouped: dict[str, list[DigestItem]] = {}
        for item in self.items:
            grouped.setdefault(item.plan_title, []).append(item)
        return grouped


def _absolute(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}"


def digest_text(digest: Digest, base_url: str) -> str:
    lines = [f"Kính gửi {digest.name},", "",
             f"Hệ thống theo dõi Kế hoạch Chuyển đổi số nhắc {len(digest.items)} việc cần chú ý "
             f"ngày {vn_date(digest.day)}:", ""]
    for plan_title, items in digest.by_plan().items():
        if plan_title:
            lines += [plan_title, ""]
        for item in items:
            lines += [f"- [{item.kind_label}] {item.title}", f"  {item.body}",
                      f"  Xem: {_absolute(base_url, item.link)}", ""]
    lines += ["Thư được gửi tự động, mỗi ngày một thư tổng hợp. Xem mọi nhắc việc hoặc tắt nhận thư tại "
              f"{_absolute(base_url, REMINDERS_PATH)}"]
    return "\n".join(lines) + "\n"


def digest_html(digest: Digest, base_url: str) -> str:
    """The same content as HTML; every text from the plan or a user is escaped."""
    esc = html.escape
    parts = [f"<p>Kính gửi {esc(digest.name)},</p>",
             f"<p>Hệ thống theo dõi Kế hoạch Chuyển đổi số nhắc {len(digest.items)} việc cần chú ý "
             f"ngày {vn_date(digest.day)}:</p>"]
    for plan_title, items in digest.by_plan().items():
        if plan_title:
            parts.append(f"<h3>{esc(plan_title)}</h3>")
        parts.append("<ul>")
        for item in items:
            url = esc(_absolute(base_url, item.link), quote=True)
            parts.append(f"<li><strong>[{esc(item.kind_label)}]</strong> <a href=\"{url}\">{esc(item.title)}</a>"
                         f"<br>{esc(item.body)}</li>")
        parts.append("</ul>")
    settings_url = esc(_absolute(base_url, REMINDERS_PATH), quote=True)
    parts.append(f"<p><small>Thư được gửi tự động, mỗi ngày một thư tổng hợp. "
                 f"<a href=\"{settings_url}\">Xem mọi nhắc việc hoặc tắt nhận thư</a>.</small></p>")
    return "<!DOCTYPE html><html lang=\"vi\"><body>" + "".join(parts) + "</body></html>"


def digest_message(digest: Digest, sender: str, base_url: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = formataddr((" ".join(digest.name.split()), digest.to))  # no line breaks in a header
    message.set_content(digest_text(digest, base_url))
    message.add_alternative(digest_html(digest, base_url), subtype="html")
    return message
