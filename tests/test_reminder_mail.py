"""The daily digest delivered to a real SMTP server started in the test (aiosmtpd on 127.0.0.1):
one message per user, read back (subject, recipients, Vietnamese text in both parts, links), and
each digest exactly once through a failing server, no server at all, then a working one."""
from __future__ import annotations

import json
import logging
import socket
from datetime import date
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from models import Reminder, Task, User
from services.reminders.job import run_reminders
from services.reminders.mail import MailSettings, MailSettingsError, smtp_sender
from tests.conftest import make_app

BASE = "https://cds.laocai.example"
SENDER = "Nhắc việc CĐS <nhac-viec@laocai.example>"
ADDRESSES = {"so-khcn": "khcn@laocai.example", "tgv": "tgv@laocai.example", "so-noi-vu": "noivu@laocai.example"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An SMTP handler that keeps what it accepted, or answers DATA with `refusal` when set."""

    def __init__(self):
        self.messages: list = []
        self.refusal: str | None = None

    async def handle_DATA(self, _server, _session, envelope):
        if self.refusal:
            return self.refusal
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.original_content,
                                                                          policy=email_policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def settings(port: int) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, user="", password="", security="none", sender=SENDER,
                        base_url=BASE, timeout=5)


def run(db, port: int, day=date(2026, 4, 1)):
    return run_reminders(db, day, send=smtp_sender(settings(port)), sender=SENDER, base_url=BASE)


def with_addresses(db):
    """so-khcn and tgv want the digest; so-noi-vu has an address but turned it off; others have none."""
    with db.write() as s:
        for username, address in ADDRESSES.items():
            s.execute(update(User).where(User.username == username).values(email=address))
        s.execute(update(User).where(User.username == "so-noi-vu").values(email_reminders=False))
        s.execute(update(Task).where(Task.stt == "4", Task.parent_id.is_(None))
                  .values(title="Nhiệm vụ <b>thử</b> & kiểm tra"))


def sent_state(db) -> dict[str, list[tuple]]:
    with db.read() as s:
        rows = s.execute(select(User.username, Reminder.emailed_at.is_not(None), Reminder.email_attempts)
                         .join(User, User.id == Reminder.user_id)).all()
    state: dict[str, list[tuple]] = {}
    for username, emailed, attempts in rows:
        state.setdefault(username, []).append((emailed, attempts))
    return state


def test_one_digest_per_user_read_back_from_the_server(demo_db, smtp):
    inbox, port = smtp
    with_addresses(demo_db)
    summary = run(demo_db, port)
    assert summary.emailed == 2 and summary.failed == 0
    state = sent_state(demo_db)
    by_recipient = {tuple(rcpts): message for rcpts, message in inbox.messages}
    assert set(by_recipient) == {("khcn@laocai.example",), ("tgv@laocai.example",)}
    message = by_recipient[("khcn@laocai.example",)]
    count = len(state["so-khcn"])
    assert message["Subject"] == f"[CĐS Lào Cai] {count} việc cần chú ý ngày 01/04/2026"
    assert message["From"] == SENDER and "khcn@laocai.example" in message["To"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Kính gửi Cán bộ đầu mối Sở Khoa học và Công nghệ" in part
        assert "Nhiệm vụ 4 đã quá hạn (hạn 31/03/2026)" in part and "Chậm nộp báo cáo kỳ Tháng 3/2026" in part
        assert f"{BASE}/nhac-viec" in part
    assert f"Xem: {BASE}/nhiem-vu?ke-hoach=1" in text and "Nhiệm vụ <b>thử</b> & kiểm tra" in text
    assert f'href="{BASE}/nhiem-vu?ke-hoach=1"' in html and f"{BASE}/chi-tieu/chi-tiet?ma=" in text
    assert "&amp;ke-hoach=1" in html and "Nhiệm vụ &lt;b&gt;thử&lt;/b&gt; &amp; kiểm tra" in html
    assert "<b>thử</b>" not in html
    # Marked e-mailed only for those who got it; the others keep their reminders in the app.
    assert all(emailed for emailed, _ in state["so-khcn"] + state["tgv"])
    assert not any(emailed for emailed, _ in state["so-noi-vu"] + state["lanhdao"])
    again = run(demo_db, port)
    assert (again.created, again.emailed, len(inbox.messages)) == (0, 0, 2)


def test_failures_are_logged_counted_and_retried_until_each_digest_arrives_once(demo_db, smtp, caplog):
    inbox, port = smtp
    with_addresses(demo_db)
    inbox.refusal = "451 4.3.0 Thử lại sau"
    with caplog.at_level(logging.WARNING, logger="cds.reminders"):
        refused = run(demo_db, port)
    assert (refused.emailed, refused.failed, inbox.messages) == (0, 2, [])
    assert "451" in caplog.text and "failed" in caplog.text
    with demo_db.read() as s:
        errors = set(s.scalars(select(Reminder.last_error).join(User, User.id == Reminder.user_id)
                               .where(User.username == "so-khcn")))
    assert len(errors) == 1 and "451" in errors.pop()
    nobody = run(demo_db, free_port(), date(2026, 4, 2))  # nothing listens there
    assert (nobody.emailed, nobody.failed) == (0, 2)
    assert {attempts for emailed, attempts in sent_state(demo_db)["so-khcn"] if not emailed} == {2}
    inbox.refusal = None
    working = run(demo_db, port, date(2026, 4, 2))
    assert (working.emailed, working.failed) == (2, 0)
    assert sorted(rcpts[0] for rcpts, _ in inbox.messages) == ["khcn@laocai.example", "tgv@laocai.example"]
    assert all(emailed for emailed, _ in sent_state(demo_db)["so-khcn"])
    assert run(demo_db, port, date(2026, 4, 2)).emailed == 0 and len(inbox.messages) == 2


def test_the_command_reads_the_smtp_settings_from_the_environment(demo_db, smtp, monkeypatch):
    inbox, port = smtp
    with_addresses(demo_db)
    for name, value in {"CDS_SMTP_HOST": "127.0.0.1", "CDS_SMTP_PORT": str(port), "CDS_SMTP_SECURITY": "none",
                        "CDS_SMTP_SENDER": SENDER, "CDS_BASE_URL": BASE + "/"}.items():
        monkeypatch.setenv(name, value)
    runner = make_app(demo_db).server.test_cli_runner()
    dry = json.loads(runner.invoke(args=["send-reminders", "--as-of", "2026-04-01", "--dry-run", "--json"]).output)
    assert dry["email_enabled"] and dry["emailed"] == 2 and dry["created"] > 0 and inbox.messages == []
    result = runner.invoke(args=["send-reminders", "--as-of", "2026-04-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["created"], data["emailed"]) == (dry["created"], 2) and len(inbox.messages) == 2
    khcn = next(message for rcpts, message in inbox.messages if rcpts == ["khcn@laocai.example"])
    assert f"{BASE}/nhiem-vu?ke-hoach=1" in khcn.get_body(("plain",)).get_content()
    monkeypatch.setenv("CDS_SMTP_SECURITY", "tls13")
    refused = runner.invoke(args=["send-reminders", "--as-of", "2026-04-02"])
    assert refused.exit_code == 1 and "CDS_SMTP_SECURITY" in refused.output


def test_mail_settings_from_the_environment():
    assert MailSettings.from_env({}) is None
    ssl_settings = MailSettings.from_env({"CDS_SMTP_HOST": "smtp.example", "CDS_SMTP_SECURITY": "ssl"})
    assert (ssl_settings.port, ssl_settings.security, ssl_settings.base_url) == (465, "ssl", "http://127.0.0.1:8050")
    assert MailSettings.from_env({"CDS_SMTP_HOST": "smtp.example"}).port == 587
    with pytest.raises(MailSettingsError, match="không phải là số"):
        MailSettings.from_env({"CDS_SMTP_HOST": "smtp.example", "CDS_SMTP_PORT": "hai lăm"})
