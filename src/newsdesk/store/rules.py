"""Rules and their actions (issue 17): what a rule matches, what it fires on, where it sends.

A rule is a row of ``rules``; each of its destinations is a row of ``rule_actions`` (a
webhook, a JSON Lines file, an e-mail address, a WordPress site) with its settings as JSON.
The deliveries they make live in the outbox (``store/outbox.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.errors import StoreError
from newsdesk.store.base import StoreBase
from newsdesk.store.records import _dt, _iso

# What a rule fires on: each new story (once per copy group, the default), each new copy
# (every article of the group), or a story reaching ``outlets`` outlets.
FIRES_ON = ("story", "copy", "outlets")
ACTION_KINDS = ("webhook", "jsonl", "email", "wordpress", "feed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One destination of a rule. ``config`` holds its settings (a webhook's secrets, a
    WordPress user and application password, an SMTP server); ``disabled`` says why it no
    longer receives (``410 Gone``), ``last_error`` what its last failure was."""

    id: int
    rule_id: int
    kind: str
    target: str
    config: Mapping[str, Any]
    disabled: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: int
    name: str
    query: str
    fires_on: str = "story"
    outlets: int = 0  # for fires_on "outlets": the number of outlets that fires it
    enabled: bool = True
    created_at: datetime | None = None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAction:
    """An action as ``add_rule`` takes it (no id yet)."""

    kind: str
    target: str
    config: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryFacts:
    """What the store knows of an article's story (its copy group), for matching: the
    group's members, its original, the outlets that carry it."""

    article_id: int
    group_id: int  # the original's id (the article's own when it is the original)
    members: tuple[int, ...]  # every article of the copy group
    is_original: bool
    outlets: tuple[str, ...]  # the distinct outlets (source titles, else site names)
    sources: tuple[str, ...]  # the names the article's own source goes by (title, URL)
    first_seen: datetime | None  # when the group's first article was stored


_ACTION_COLUMNS = "id, rule_id, kind, target, config, disabled, last_error"


def _action(row: Sequence[Any]) -> Action:
    return Action(
        id=row[0],
        rule_id=row[1],
        kind=row[2],
        target=row[3],
        config=json.loads(row[4]),
        disabled=row[5],
        last_error=row[6],
    )


class RulesTable(StoreBase):
    """Mixed into ``Store``: the rules and their actions."""

    _rules_cache: tuple[tuple[int, ...], tuple[Rule, ...]] | None = None

    def add_rule(
        self,
        name: str,
        *,
        query: str,
        actions: Sequence[NewAction],
        fires_on: str = "story",
        outlets: int = 0,
        now: datetime,
    ) -> Rule:
        """A new rule (its name unused so far) with its actions, all or nothing."""
        if fires_on not in FIRES_ON:
            raise StoreError(f"a rule fires on one of {', '.join(FIRES_ON)}, not {fires_on!r}")
        for action in actions:
            if action.kind not in ACTION_KINDS:
                raise StoreError(f"unknown action {action.kind!r}")
        try:
            with self._tx():
                rule_id = int(
                    self._db.execute(
                        "INSERT INTO rules (name, query, fires_on, outlets, enabled, created_at) "
                        "VALUES (?, ?, ?, ?, 1, ?) RETURNING id",
                        (name, query, fires_on, outlets, _iso(now)),
                    ).fetchone()[0]
                )
                for action in actions:
                    self._db.execute(
                        "INSERT INTO rule_actions (rule_id, kind, target, config) "
                        "VALUES (?, ?, ?, ?)",
                        (rule_id, action.kind, action.target, json.dumps(dict(action.config))),
                    )
        except self._key_taken as exc:
            raise StoreError(f"a rule named {name!r} exists already") from exc
        rule = self.rule(name)
        assert rule is not None
        return rule

    def rules(self, *, enabled: bool | None = None) -> list[Rule]:
        """Every rule (``enabled``: only those enabled, or only those disabled), by name."""
        where, params = "", ()
        if enabled is not None:
            where, params = "WHERE enabled = ?", (int(enabled),)  # type: ignore[assignment]
        rows = self._db.execute(
            "SELECT id, name, query, fires_on, outlets, enabled, created_at FROM rules "
            f"{where} ORDER BY name",
            params,
        ).fetchall()
        if not rows:
            return []
        marks = ", ".join("?" * len(rows))
        actions: dict[int, list[Action]] = {}
        for row in self._db.execute(
            f"SELECT {_ACTION_COLUMNS} FROM rule_actions WHERE rule_id IN ({marks}) ORDER BY id",
            [r[0] for r in rows],
        ):
            actions.setdefault(row[1], []).append(_action(row))
        return [
            Rule(
                id=r[0],
                name=r[1],
                query=r[2],
                fires_on=r[3],
                outlets=r[4] or 0,
                enabled=bool(r[5]),
                created_at=_dt(r[6]),
                actions=tuple(actions.get(r[0], ())),
            )
            for r in rows
        ]

    def enabled_rules(self) -> list[Rule]:
        """The enabled rules, as ``rules(enabled=True)``, read again only when the rules or
        their actions changed (the writer asks for every page it stores): one small query
        says whether they did (a rule added, removed, enabled or disabled; a target
        disabled)."""
        mark = tuple(
            self._db.execute(
                "SELECT (SELECT COUNT(*) FROM rules), "
                "(SELECT COALESCE(SUM(id * enabled), 0) FROM rules), "
                "(SELECT COUNT(*) FROM rule_actions), "
                "(SELECT COALESCE(SUM(id), 0) FROM rule_actions WHERE disabled IS NOT NULL)"
            ).fetchone()
        )
        cached = self._rules_cache
        if cached is not None and cached[0] == mark:
            return list(cached[1])
        rules = self.rules(enabled=True)
        self._rules_cache = (mark, tuple(rules))
        return rules

    def rule(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules() if rule.name == name), None)

    def action(self, action_id: int) -> Action | None:
        row = self._db.execute(
            f"SELECT {_ACTION_COLUMNS} FROM rule_actions WHERE id = ?", (action_id,)
        ).fetchone()
        return _action(row) if row else None

    def set_rule_enabled(self, name: str, enabled: bool) -> bool:
        """Enable or disable a rule; re-enabling also re-enables its disabled actions.
        False when there is no such rule."""
        with self._tx():
            cursor = self._db.execute(
                "UPDATE rules SET enabled = ? WHERE name = ?", (int(enabled), name)
            )
            if enabled:
                self._db.execute(
                    "UPDATE rule_actions SET disabled = NULL WHERE rule_id IN "
                    "(SELECT id FROM rules WHERE name = ?)",
                    (name,),
                )
        return int(cursor.rowcount) > 0

    def remove_rule(self, name: str) -> bool:
        """Delete a rule, its actions and its deliveries (sent or not)."""
        with self._tx():
            cursor = self._db.execute("DELETE FROM rules WHERE name = ?", (name,))
        return int(cursor.rowcount) > 0

    def disable_action(self, action_id: int, reason: str) -> None:
        """The target said it wants nothing more (``410 Gone``): it gets no more deliveries,
        and its pending ones are cancelled."""
        with self._tx():
            self._db.execute(
                "UPDATE rule_actions SET disabled = ?, last_error = ? WHERE id = ?",
                (reason, reason, action_id),
            )
            self._db.execute(
                "UPDATE deliveries SET status = 'cancelled', last_error = ? "
                "WHERE action_id = ? AND status = 'pending'",
                (reason, action_id),
            )

    def set_action_health(self, action_id: int, error: str | None) -> None:
        """The target's last failure (None: its last delivery went through)."""
        with self._tx():
            self._db.execute(
                "UPDATE rule_actions SET last_error = ? WHERE id = ?", (error, action_id)
            )

    def story_facts(self, article_id: int) -> StoryFacts | None:
        """The article's copy group (its original and copies) and the outlets carrying it:
        every source an article of the group was seen in (a sighting), by name."""
        row = self._db.execute(
            "SELECT COALESCE(a.original_id, a.id), a.original_id IS NULL, "
            "s.title, s.url, s.site_url FROM articles a "
            "LEFT JOIN sources s ON s.id = a.source_id WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        group_id, is_original = int(row[0]), bool(row[1])
        names = tuple(str(v) for v in row[2:] if v)  # the names its source goes by
        rows = self._db.execute(
            "SELECT id, fetched_at FROM articles WHERE id = ? OR original_id = ? ORDER BY id",
            (group_id, group_id),
        ).fetchall()
        members = tuple(int(r[0]) for r in rows)
        seen = [when for r in rows if (when := _dt(r[1])) is not None]
        first_seen = min(seen, default=None)
        marks = ", ".join("?" * len(members))
        outlets = tuple(
            str(r[0])
            for r in self._db.execute(
                "SELECT DISTINCT COALESCE(s.title, s.url, g.url) FROM sightings g "
                f"LEFT JOIN sources s ON s.id = g.source_id WHERE g.article_id IN ({marks}) "
                "ORDER BY 1",
                members,
            )
        )
        return StoryFacts(
            article_id=article_id,
            group_id=group_id,
            members=members,
            is_original=is_original,
            outlets=outlets,
            sources=names,
            first_seen=first_seen,
        )
