"""The e-mail action: one message per delivery (or a digest of the deliveries of N minutes,
``digest_minutes``: the deliverer gathers them) over SMTP (standard library ``smtplib``; the
only module that speaks it), with STARTTLS and authentication when configured.

The message has a plain-text and a sanitised HTML part (the record's safe HTML body), the
headline as its subject, the byline, the original outlet, its date and the canonical link,
and the headers a mail reader files it by: ``Message-ID`` (made from the delivery's event
id, so a retry of the same delivery is recognisably the same message), ``Date``,
``List-Id`` (the rule) and ``Auto-Submitted``.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from newsdesk.render import format_when
from newsdesk.rules.actions import Message, Result, Target

__all__ = ["make_digest", "make_email", "send_digest", "send_email"]


def make_email(message: Message, target: Target) -> EmailMessage:
    """The e-mail for one delivery (pure)."""
    config = target.config
    article, original = message.article, message.original
    mail = EmailMessage()
    mail["Subject"] = _one_line(article.title or original.title or "(untitled story)")
    mail["From"] = formataddr(("newsdesk", str(config.get("sender") or "newsdesk@localhost")))
    mail["To"] = target.address
    mail["Date"] = format_datetime(message.sent_at)
    mail["Message-ID"] = f"<{message.event_id}@newsdesk>"
    mail["List-Id"] = f"{_one_line(message.rule)} <{_list_name(message.rule)}.rules.newsdesk>"
    mail["Auto-Submitted"] = "auto-generated"
    credit = _credit_lines(message)
    mail.set_content("\n".join(credit) + "\n\n" + article.text + "\n")
    credit_html = "".join(f"<p>{html.escape(line)}</p>" for line in credit[:-1])
    link = html.escape(credit[-1].removeprefix("Link: "), quote=True)
    mail.add_alternative(
        f'<!doctype html><html><body>{credit_html}<p><a href="{link}">{link}</a></p>'
        f"<hr>{message.body_html}</body></html>",
        subtype="html",
    )
    return mail


def make_digest(messages: Sequence[Message], target: Target) -> EmailMessage:
    """One e-mail for several deliveries (a digest): each story's headline, credits, link
    and text, in the order they were matched (pure)."""
    first = messages[0]
    mail = EmailMessage()
    titles = [m.article.title or m.original.title or "(untitled story)" for m in messages]
    more = f" and {len(messages) - 1} more" if len(messages) > 1 else ""
    mail["Subject"] = _one_line(f"{titles[0]}{more}")
    sender = str(target.config.get("sender") or "newsdesk@localhost")
    mail["From"] = formataddr(("newsdesk", sender))
    mail["To"] = target.address
    mail["Date"] = format_datetime(first.sent_at)
    mail["Message-ID"] = f"<digest-{first.event_id}@newsdesk>"
    mail["List-Id"] = f"{_one_line(first.rule)} <{_list_name(first.rule)}.rules.newsdesk>"
    mail["Auto-Submitted"] = "auto-generated"
    texts, parts = [], []
    for title, message in zip(titles, messages, strict=True):
        credit = _credit_lines(message)
        texts.append(f"{title}\n" + "\n".join(credit) + "\n\n" + message.article.text)
        link = html.escape(credit[-1].removeprefix("Link: "), quote=True)
        lines = "".join(f"<p>{html.escape(line)}</p>" for line in credit[:-1])
        parts.append(
            f'<h2>{html.escape(title)}</h2>{lines}<p><a href="{link}">{link}</a></p>'
            f"{message.body_html}"
        )
    mail.set_content("\n\n-----\n\n".join(texts) + "\n")
    mail.add_alternative(
        "<!doctype html><html><body>" + "<hr>".join(parts) + "</body></html>", subtype="html"
    )
    return mail


def _credit_lines(message: Message) -> list[str]:
    """Who wrote it, where and when it was first published, and its link (last)."""
    article, original = message.article, message.original
    lines = []
    authors = article.authors or original.authors
    if authors:
        lines.append("By " + ", ".join(authors))
    outlet = original.site_name or article.site_name
    published = original.published or article.published
    where = " · ".join(
        part for part in (outlet, format_when(published, "long") if published else None) if part
    )
    if where:
        lines.append(where)
    if len(message.outlets) > 1:
        lines.append(f"Carried by {len(message.outlets)} outlets: " + ", ".join(message.outlets))
    lines.append("Link: " + (original.url or article.url or article.fetched_url or ""))
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _list_name(rule: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in rule.lower())[:60] or "rule"


def send_email(message: Message, target: Target, *, timeout: float) -> Result:
    return _send(make_email(message, target), target, timeout=timeout)


def send_digest(messages: Sequence[Message], target: Target, *, timeout: float) -> Result:
    return _send(make_digest(messages, target), target, timeout=timeout)


def _send(mail: EmailMessage, target: Target, *, timeout: float) -> Result:
    config = target.config
    host = str(config.get("smtp_host") or "localhost")
    port = int(config.get("smtp_port") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if config.get("starttls"):
                # the system's CAs, or the one named (a private mail server's own)
                ca_file = str(config["ca_file"]) if config.get("ca_file") else None
                smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
            if config.get("smtp_user"):
                _login(smtp, str(config["smtp_user"]), str(config.get("smtp_password") or ""))
            smtp.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        said = exc.smtp_error
        text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
        error = f"SMTP {exc.smtp_code}: {text[:200]}"
        return Result(ok=False, error=error, status=exc.smtp_code, final=exc.smtp_code == 535)
    except ssl.SSLError as exc:  # an OSError, told apart: the certificate is at fault
        return Result(ok=False, error=f"SMTP {host}:{port}: TLS: {exc}")
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return Result(ok=False, error=f"SMTP {host}:{port}: {type(exc).__name__}: {exc}")
    return Result(ok=True)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN when offered (one exchange, and a refusal is final: ``login`` would go on
    to try the next mechanism), else whatever ``login`` picks."""
    smtp.ehlo_or_helo_if_needed()
    if "plain" in smtp.esmtp_features.get("auth", "").lower().split():
        smtp.user, smtp.password = user, password
        smtp.auth("PLAIN", smtp.auth_plain)
    else:
        smtp.login(user, password)
