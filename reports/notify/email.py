"""E-mail over SMTP (STARTTLS or SSL), one connection per batch; text and HTML parts."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from registry.models import NotifyChannel
from reports.notify.base import ChannelNotReady, Message, SendError, require_env
from reports.notify.render import html_body


class EmailSender:
    """Sends each message as a UTF-8 e-mail, multipart/alternative: the text itself (text/plain)
    and the same laid out (text/html, `html_body`). The password comes from the environment."""

    def __init__(self, channel: NotifyChannel, env: Mapping[str, str]) -> None:
        self.channel = channel
        self.password = (
            require_env(env, channel.password_env, f"channel {channel.id}")
            if channel.username
            else None
        )
        self.smtp: smtplib.SMTP | None = None
        self.broken = False  # the connection was lost or timed out

    def __enter__(self) -> EmailSender:
        channel = self.channel
        host, port = channel.host or "", channel.smtp_port
        context = ssl.create_default_context()
        try:
            if channel.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=channel.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=channel.timeout)
                if channel.security == "starttls":
                    smtp.starttls(context=context)
            if channel.username:
                smtp.login(channel.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelNotReady(
                f"channel {channel.id}: the SMTP server refused the login for "
                f"{channel.username} ({exc.smtp_code}); check {channel.password_env}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SendError(
                f"{host}:{port} does not offer STARTTLS; set `security: ssl` (port 465) "
                "or ask the mail administrator"
            ) from None
        except ssl.SSLError as exc:
            raise SendError(f"TLS with {host}:{port} failed: {exc.reason or exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"cannot reach the SMTP server {host}:{port}: {exc}") from None
        self.smtp = smtp
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None and self.broken:  # a QUIT would wait out the timeout again
            self.smtp.close()
            self.smtp = None
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def send(self, message: Message) -> None:
        assert self.smtp is not None, "use the sender as a context manager"
        mail = EmailMessage()
        mail["From"] = self.channel.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=True)
        domain = (self.channel.sender or "govmedia.local").rpartition("@")[2]
        mail["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
        mail.set_content(message.body, charset="utf-8")
        mail.add_alternative(html_body(message.subject, message.body), subtype="html")
        try:
            refused = self.smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{code}" for code, _ in exc.recipients.values())
            raise SendError(
                f"the server refused {message.recipient} ({codes})", retryable=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            # 5xx is a permanent refusal; 4xx asks us to try again later.
            raise SendError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error.decode('utf-8', 'replace')}",
                retryable=exc.smtp_code < 500,
            ) from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.broken = True
            raise SendError(f"SMTP connection lost: {exc}", stop_channel=True) from None
        except smtplib.SMTPException as exc:
            raise SendError(f"SMTP error: {exc}") from None
        if refused:
            raise SendError(f"the server refused {message.recipient}", retryable=False)


__all__ = ["ChannelNotReady", "EmailSender"]
