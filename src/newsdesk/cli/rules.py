"""Rules and their deliveries (issue 17): ``rules add|list|show|test|enable|disable|remove``,
``deliver`` and ``deliveries``."""

from __future__ import annotations

import base64
import contextlib
import secrets
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from newsdesk.cli.common import _add_row, _now, _open, _settings, _settings_options, _when, main
from newsdesk.config import Settings
from newsdesk.demo.blog import serve_blog
from newsdesk.errors import QueryError
from newsdesk.pipeline.fire import backfill, would_fire
from newsdesk.rules.actions.webhook import check_secret
from newsdesk.rules.deliver import Deliverer
from newsdesk.rules.match import parse_rule
from newsdesk.store import ArticleQuery, Store
from newsdesk.store.rules import FIRES_ON, NewAction, Rule


@main.group("rules")
def rules_group() -> None:
    """Rules: a query matched against each new story, and where its matches are sent
    (webhooks, JSON Lines files, e-mail, WordPress). See docs/rules.md."""


def _actions(options: dict[str, Any]) -> list[NewAction]:
    """The actions the options of ``rules add`` describe (a UsageError for a bad one)."""
    actions: list[NewAction] = []
    secrets = list(options["secret"])
    for secret in secrets:
        try:
            check_secret(secret)
        except ValueError as exc:
            raise click.UsageError(f"--secret: {exc}") from exc
    for url in options["webhook"]:
        actions.append(NewAction(kind="webhook", target=url, config={"secrets": secrets}))
    for path in options["jsonl"]:
        config = {"max_bytes": options["jsonl_max_bytes"]}
        actions.append(NewAction(kind="jsonl", target=str(Path(path).resolve()), config=config))
    smtp = {
        "smtp_host": options["smtp_host"],
        "smtp_port": options["smtp_port"],
        "smtp_user": options["smtp_user"],
        "smtp_password": options["smtp_password"],
        "sender": options["smtp_from"],
        "starttls": options["starttls"],
        "ca_file": str(Path(options["smtp_ca_file"]).resolve())
        if options["smtp_ca_file"]
        else None,
        "digest_minutes": options["email_digest"],
    }
    for address in options["email"]:
        if "@" not in address:
            raise click.UsageError(f"--email: {address!r} is not an e-mail address")
        actions.append(NewAction(kind="email", target=address, config=smtp))
    for site in options["wordpress"]:
        if not (options["user"] and options["app_password"]):
            raise click.UsageError("--wordpress needs --user and --app-password")
        config = {
            "user": options["user"],
            "app_password": options["app_password"],
            "status": options["post_status"],
        }
        actions.append(NewAction(kind="wordpress", target=site.rstrip("/"), config=config))
    if options["per_minute"]:
        rate = {"per_minute": options["per_minute"]}
        actions = [replace(a, config={**a.config, **rate}) for a in actions]
    if options["feed"]:
        actions.append(NewAction(kind="feed", target="", config={}))
    if not actions:
        raise click.UsageError(
            "a rule needs an action: --webhook, --jsonl, --email, --wordpress or --feed"
        )
    return actions


@rules_group.command("add")
@click.argument("name")
@click.option("--query", "query", required=True, help="What to match (search's syntax).")
@click.option("--webhook", multiple=True, metavar="URL", help="POST each match here, signed.")
@click.option(
    "--secret", multiple=True, metavar="whsec_…", help="Webhook secret (repeat when rotating)."
)
@click.option("--jsonl", multiple=True, metavar="FILE", help="Append each match to FILE.")
@click.option("--jsonl-max-bytes", type=int, default=0, help="Rotate FILE past this size.")
@click.option("--email", multiple=True, metavar="ADDRESS", help="Mail each match here.")
@click.option("--smtp-host", default="localhost", show_default=True)
@click.option("--smtp-port", type=int, default=25, show_default=True)
@click.option("--smtp-user", default=None)
@click.option("--smtp-password", default=None)
@click.option("--smtp-from", default="newsdesk@localhost", show_default=True)
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@click.option(
    "--email-digest",
    type=click.IntRange(min=1),
    default=None,
    metavar="MINUTES",
    help="One e-mail every MINUTES with the stories matched meanwhile (default: one a story).",
)
@click.option(
    "--smtp-ca-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="With --starttls: trust this CA (a private mail server's) instead of the system's.",
)
@click.option("--wordpress", multiple=True, metavar="SITE_URL", help="Post each match there.")
@click.option("--user", default=None, help="WordPress user.")
@click.option("--app-password", default=None, help="WordPress application password.")
@click.option("--post-status", default="publish", show_default=True, help="publish or draft.")
@click.option(
    "--per-minute",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="N",
    help="Rate limit: at most N deliveries a minute to each of the rule's targets.",
)
@click.option(
    "--feed", is_flag=True, help="Only the rule's own feed (/feeds/rules/NAME.atom|json)."
)
@click.option(
    "--fires-on",
    type=click.Choice(FIRES_ON),
    default="story",
    show_default=True,
    help="Each new story (once, whatever its copies), each new copy, or a story reaching "
    "--outlets outlets.",
)
@click.option("--outlets", type=int, default=0, help="With --fires-on outlets: how many.")
@click.option(
    "--backfill",
    type=click.DateTime(),
    default=None,
    metavar="SINCE",
    help="Also fire for stories stored since SINCE (UTC); by default only new ones fire.",
)
@_settings_options
def rules_add(
    name: str,
    query: str,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
    **options: Any,
) -> None:
    """Add rule NAME: each new story that matches --query is sent to its actions."""
    try:
        parse_rule(query)
    except QueryError as exc:
        raise click.UsageError(f"--query: {exc}") from exc
    if options["fires_on"] == "outlets" and options["outlets"] < 1:
        raise click.UsageError("--fires-on outlets needs --outlets N (N >= 1)")
    actions = _actions(options)
    store = _open(_settings(db, config_path, allow_private))
    now = _now()
    rule = store.add_rule(
        name,
        query=query,
        actions=actions,
        fires_on=options["fires_on"],
        outlets=options["outlets"],
        now=now,
    )
    click.echo(f"rule {rule.name}: {len(rule.actions)} action(s), fires on {rule.fires_on}")
    since = options["backfill"]
    if since is not None:
        count = backfill(store, rule, _ids_since(store, since.replace(tzinfo=UTC)), now)
        click.echo(f"backfill: {count} deliveries enqueued")


def _ids_since(store: Store, since: datetime | None, limit: int = 100_000) -> list[int]:
    stored = store.list_articles(ArticleQuery(since=since, limit=limit))
    return [article.id for article in reversed(stored)]


@rules_group.command("list")
@_settings_options
def rules_list(db: str | None, config_path: Path | None, allow_private: bool | None) -> None:
    """List the rules, their actions and their targets' health."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    table = Table("rule", "on", "query", "actions", "health")
    for rule in store.rules():
        health = [_health(a.disabled, a.last_error) for a in rule.actions]
        _add_row(
            table,
            rule.name + ("" if rule.enabled else " (disabled)"),
            rule.fires_on + (f" {rule.outlets}" if rule.fires_on == "outlets" else ""),
            rule.query,
            "\n".join(f"{a.kind} {a.target}" for a in rule.actions),
            "\n".join(health),
        )
    Console().print(table)


def _health(disabled: str | None, error: str | None) -> str:
    if disabled:
        return f"disabled: {disabled}"
    return f"failing: {error[:80]}" if error else "ok"


def _rule(store: Store, name: str) -> Rule:
    rule = store.rule(name)
    if rule is None:
        raise click.ClickException(f"no rule named {name!r} (see `newsdesk rules list`)")
    return rule


@rules_group.command("show")
@click.argument("name")
@_settings_options
def rules_show(
    name: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Show rule NAME, its actions and its recent deliveries."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    rule = _rule(store, name)
    click.echo(f"rule {rule.name} ({'enabled' if rule.enabled else 'disabled'})")
    click.echo(f"  query:    {rule.query}")
    click.echo(f"  fires on: {rule.fires_on}" + (f" {rule.outlets}" if rule.outlets else ""))
    click.echo(f"  created:  {_when(rule.created_at)}")
    for action in rule.actions:
        click.echo(
            f"  {action.kind} {action.target}: {_health(action.disabled, action.last_error)}"
        )
    _print_deliveries(store, rule=name, status=None, limit=20)


@rules_group.command("test")
@click.argument("name")
@click.option("--limit", type=int, default=1000, show_default=True, help="Newest stories read.")
@_settings_options
def rules_test(
    name: str, limit: int, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Dry run: the stored stories rule NAME would have fired for (nothing is sent)."""
    store = _open(_settings(db, config_path, allow_private), read_only=True)
    rule = _rule(store, name)
    ids = [a.id for a in store.list_articles(ArticleQuery(limit=limit))]
    table = Table("id", "title", "outlets")
    count = 0
    for key in would_fire(store, rule, ids):
        facts = store.story_facts(key)
        article = store.article(key)
        count += 1
        _add_row(
            table,
            str(key),
            (article.title if article else None) or "–",
            ", ".join(facts.outlets if facts else ()),
        )
    Console().print(table)
    click.echo(f"{count} of the {len(ids)} newest articles' stories would fire rule {name}")


@rules_group.command("enable")
@click.argument("name")
@_settings_options
def rules_enable(
    name: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Enable rule NAME (and any of its targets disabled by 410 Gone)."""
    _set_enabled(name, True, _settings(db, config_path, allow_private))


@rules_group.command("disable")
@click.argument("name")
@_settings_options
def rules_disable(
    name: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Disable rule NAME: it fires for nothing and its pending deliveries wait."""
    _set_enabled(name, False, _settings(db, config_path, allow_private))


def _set_enabled(name: str, enabled: bool, settings: Any) -> None:
    if not _open(settings).set_rule_enabled(name, enabled):
        raise click.ClickException(f"no rule named {name!r}")
    click.echo(f"rule {name} {'enabled' if enabled else 'disabled'}")


@rules_group.command("remove")
@click.argument("name")
@_settings_options
def rules_remove(
    name: str, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Remove rule NAME, its actions and its deliveries."""
    if not _open(_settings(db, config_path, allow_private)).remove_rule(name):
        raise click.ClickException(f"no rule named {name!r}")
    click.echo(f"rule {name} removed")


@main.command("deliver")
@click.option("--once", is_flag=True, help="Send everything due now, wait for the answers, exit.")
@_settings_options
def deliver_command(
    once: bool, db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Send the rules' deliveries from the outbox, retrying failures on their schedule
    (until stopped; `newsdesk run` delivers as it goes too)."""
    settings = _settings(db, config_path, allow_private)
    store = _open(settings)
    stopping = threading.Event()
    with Deliverer(store, settings) as deliverer:
        while True:
            try:
                report = deliverer.deliver_due(stop=stopping.is_set)
            except KeyboardInterrupt:
                break
            if once:
                click.echo(report.line(), err=True)
                return
            if report.sent or report.failed or report.dead:
                click.echo(report.line(), err=True)
            try:
                stopping.wait(1.0)
            except KeyboardInterrupt:
                break


@main.group("deliveries", invoke_without_command=True)
@click.option("--rule", default=None, help="Only this rule's.")
@click.option("--status", type=click.Choice(("pending", "done", "dead", "cancelled")), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@_settings_options
@click.pass_context
def deliveries_group(
    ctx: click.Context,
    rule: str | None,
    status: str | None,
    limit: int,
    db: str | None,
    config_path: Path | None,
    allow_private: bool | None,
) -> None:
    """List deliveries, newest first: state, attempts, last error."""
    if ctx.invoked_subcommand is None:
        store = _open(_settings(db, config_path, allow_private), read_only=True)
        _print_deliveries(store, rule=rule, status=status, limit=limit)


def _print_deliveries(store: Store, *, rule: str | None, status: str | None, limit: int) -> None:
    table = Table("id", "rule", "event", "article", "state", "tries", "next / done", "last error")
    for d in store.deliveries(rule=rule, status=status, limit=limit):
        when = d.delivered_at if d.status == "done" else d.next_attempt_at
        _add_row(
            table,
            str(d.id),
            d.rule_name,
            d.event,
            str(d.article_id or "–"),
            d.status,
            str(d.attempts),
            _when(when),
            (d.last_error or "")[:80],
        )
    Console().print(table)


def _again(ids: tuple[int, ...], replay: bool, settings: Any) -> None:
    count = _open(settings).retry_deliveries(list(ids), now=_now(), replay=replay)
    click.echo(f"{count} deliveries due again (sent by the next `newsdesk deliver` or run)")


@deliveries_group.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
@_settings_options
def deliveries_retry(
    ids: tuple[int, ...], db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Send dead or cancelled deliveries IDS again."""
    _again(ids, False, _settings(db, config_path, allow_private))


@deliveries_group.command("replay")
@click.argument("ids", nargs=-1, type=int, required=True)
@_settings_options
def deliveries_replay(
    ids: tuple[int, ...], db: str | None, config_path: Path | None, allow_private: bool | None
) -> None:
    """Send deliveries IDS again, sent ones too (same event id: a receiver that dedupes
    sees each once)."""
    _again(ids, True, _settings(db, config_path, allow_private))


@main.command("demo-blog")
@click.option("--db", metavar="PATH", default="demo.db", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8081, show_default=True)
def demo_blog_command(db: str, port: int) -> None:
    """The demo's receiving blog on 127.0.0.1, fed by a rule: every story of the demo
    database carried by at least two outlets is republished there through a signed webhook,
    whole and attributed (run `newsdesk demo` first). Serves until Ctrl-C."""
    settings = Settings(db=db, allow_private_networks=True, delivery_timeout=5.0)
    store = _open(settings, create=False)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with serve_blog(secret, port=port) as blog:
        store.remove_rule("demo-two-outlets")
        action = NewAction(kind="webhook", target=blog.hook_url, config={"secrets": [secret]})
        rule = store.add_rule("demo-two-outlets", query="copies>=2", actions=[action], now=_now())
        enqueued = backfill(store, rule, _ids_since(store, None), _now())
        with Deliverer(store, settings) as deliverer:
            report = deliverer.deliver_due()
        click.echo(f"rule demo-two-outlets (copies>=2): {enqueued} stories; {report.line()}")
        click.echo(f"the receiving blog: {blog.url}  (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
