"""Rules on the web (issue 17): the API's ``/api/rules`` and ``/api/deliveries`` (reads open
as the rest of the API's; writes need the token), each rule's own full-text feed,
``/feeds/rules/<name>.atom|json`` (the stories it fired for, newest first), and the reader's
rules page ``/rules`` (each rule, its targets' health, its recent matches).

What a rule's actions hold that is secret (webhook secrets, passwords) is never answered:
an action shows its kind, its target and its health.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute, Route

from newsdesk.errors import QueryError, StoreError
from newsdesk.rules.actions.webhook import check_secret
from newsdesk.rules.match import parse_rule
from newsdesk.serve.api import _ERRORS, ErrorResponse, ReaderStore, require_read, require_write
from newsdesk.serve.common import ApiError, reader_store, render_page, writer_store
from newsdesk.serve.feeds import FeedDoc, atom_feed, etag_for, json_feed, not_modified
from newsdesk.serve.reader import _base, _item, _kind, _self_url
from newsdesk.store.outbox import Delivery
from newsdesk.store.rules import ACTION_KINDS, FIRES_ON, NewAction, Rule

__all__ = ["feed_routes", "router"]

FEED_ITEMS = 50
NAME = r"^[\w.-]{1,100}$"

router = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=_ERRORS)


class ActionIn(BaseModel):
    kind: str = Field(description="webhook, jsonl, email, wordpress or feed")
    target: str = Field("", max_length=2000, description="URL, file, address or site")
    secrets: list[str] = Field(default_factory=list, description="webhook: whsec_ secrets")
    user: str | None = Field(None, description="wordpress: the user")
    app_password: str | None = Field(None, description="wordpress: an Application Password")


class RuleIn(BaseModel):
    name: str = Field(pattern=NAME)
    query: str = Field(min_length=1, max_length=500)
    fires_on: str = Field("story", description="story, copy or outlets")
    outlets: int = Field(0, ge=0, le=10_000)
    actions: list[ActionIn] = Field(min_length=1, max_length=20)


class ActionOut(BaseModel):
    id: int
    kind: str
    target: str
    disabled: str | None
    last_error: str | None


class RuleOut(BaseModel):
    name: str
    query: str
    fires_on: str
    outlets: int
    enabled: bool
    created_at: datetime | None
    actions: list[ActionOut]
    feed: str


class RuleList(BaseModel):
    items: list[RuleOut]


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    rule: str
    event: str
    article_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime | None
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


def _ok(model: type[BaseModel], description: str = "OK", status: int = 200) -> dict[int | str, Any]:
    return {status: {"model": model, "description": description}}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "query": rule.query,
        "fires_on": rule.fires_on,
        "outlets": rule.outlets,
        "enabled": rule.enabled,
        "created_at": _iso(rule.created_at),
        "actions": [
            {
                "id": a.id,
                "kind": a.kind,
                "target": a.target,
                "disabled": a.disabled,
                "last_error": a.last_error,
            }
            for a in rule.actions
        ],
        "feed": f"/feeds/rules/{rule.name}.atom",
    }


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "rule": d.rule_name,
        "event": d.event,
        "article_id": d.article_id,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": _iso(d.next_attempt_at),
        "last_error": d.last_error,
        "created_at": _iso(d.created_at),
        "delivered_at": _iso(d.delivered_at),
    }


RuleName = Annotated[str, Path(pattern=NAME)]


@router.get("/rules", summary="Every rule, its actions and their health", responses=_ok(RuleList))
async def list_rules(store: ReaderStore) -> JSONResponse:
    return JSONResponse({"items": [rule_json(r) for r in store.rules()]})


@router.get("/rules/{name}", summary="One rule", responses=_ok(RuleOut))
async def get_rule(store: ReaderStore, name: RuleName) -> JSONResponse:
    rule = store.rule(name)
    if rule is None:
        raise ApiError(404, f"no rule named {name}")
    return JSONResponse(rule_json(rule))


@router.get(
    "/deliveries",
    summary="Deliveries, newest first: state, attempts, last error",
    responses=_ok(DeliveryList),
)
async def list_deliveries(
    store: ReaderStore,
    rule: Annotated[str | None, Query(pattern=NAME)] = None,
    status: Annotated[str | None, Query(pattern="^(pending|done|dead|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    found = store.deliveries(rule=rule, status=status, limit=limit)
    return JSONResponse({"items": [delivery_json(d) for d in found]})


def _new_actions(body: RuleIn) -> list[NewAction]:
    actions = []
    for n, action in enumerate(body.actions):
        where = f"actions[{n}]"
        if action.kind not in ACTION_KINDS:
            raise ApiError(400, f"{where}: unknown kind {action.kind!r}")
        if action.kind in ("email", "jsonl"):  # the server's disk and mail: the command line
            raise ApiError(400, f"{where}: {action.kind} actions are added with `newsdesk rules`")
        config: dict[str, Any] = {}
        if action.kind == "webhook":
            try:
                for secret in action.secrets:
                    check_secret(secret)
            except ValueError as exc:
                raise ApiError(400, f"{where}: {exc}") from exc
            config = {"secrets": action.secrets}
        elif action.kind == "wordpress":
            if not (action.user and action.app_password):
                raise ApiError(400, f"{where}: wordpress needs user and app_password")
            config = {"user": action.user, "app_password": action.app_password}
        if action.kind != "feed" and not action.target.startswith(("http://", "https://")):
            raise ApiError(400, f"{where}: the target is an http(s) URL")
        actions.append(NewAction(kind=action.kind, target=action.target, config=config))
    return actions


@router.post(
    "/rules",
    status_code=201,
    dependencies=[Depends(require_write)],
    summary="Add a rule (needs the token; e-mail and file actions: the command line)",
    responses={
        **_ok(RuleOut, "Made", 201),
        403: {"model": ErrorResponse, "description": "Writing through the API is off"},
        409: {"model": ErrorResponse, "description": "A rule of that name exists"},
    },
)
def create_rule(request: Request, body: RuleIn) -> JSONResponse:
    try:
        parse_rule(body.query)
    except QueryError as exc:
        raise ApiError(400, f"query: {exc}") from exc
    if body.fires_on not in FIRES_ON:
        raise ApiError(400, f"fires_on is one of {', '.join(FIRES_ON)}")
    actions = _new_actions(body)
    with writer_store(request) as store:
        try:
            if store.rule(body.name) is not None:
                raise ApiError(409, f"a rule named {body.name} exists already")
            rule = store.add_rule(
                body.name,
                query=body.query,
                actions=actions,
                fires_on=body.fires_on,
                outlets=body.outlets,
                now=datetime.now(UTC),
            )
        except StoreError as exc:
            raise ApiError(400, str(exc)) from exc
    return JSONResponse(
        rule_json(rule), status_code=201, headers={"Location": f"/api/rules/{rule.name}"}
    )


@router.delete(
    "/rules/{name}",
    status_code=204,
    dependencies=[Depends(require_write)],
    summary="Remove a rule and its deliveries (needs the token)",
    responses={
        204: {"description": "Removed"},
        403: {"model": ErrorResponse, "description": "Writing through the API is off"},
    },
)
def delete_rule(request: Request, name: RuleName) -> Response:
    with writer_store(request) as store:
        removed = store.remove_rule(name)
    if not removed:
        raise ApiError(404, f"no rule named {name}")
    return Response(status_code=204)


async def feed_rule(request: Request) -> Response:
    """A rule's own full-text feed: the stories it fired for, the most recent first."""
    kind = _kind(request)
    name = request.path_params["name"]
    store = reader_store(request)
    rule = store.rule(name)
    if rule is None:
        raise ApiError(404, f"no rule named {name}")
    base = _base(request)
    names = store.source_names()
    stored = [store.stored_article(i) for i in store.rule_article_ids(name, limit=FEED_ITEMS)]
    items = tuple(_item(base, s, names) for s in stored if s is not None)
    doc = FeedDoc(
        title=f"newsdesk: rule {rule.name}",
        id=f"{base}/feeds/rules/{rule.name}",
        self_url=_self_url(request, base),
        home_url=f"{base}/",
        updated=max((i.updated for i in items), default=rule.created_at or datetime.now(UTC)),
        items=items,
        description=f"Stories matching {rule.query}",
        hub_url=request.app.state.settings.websub_hub or None,
    )
    body = atom_feed(doc) if kind == "atom" else json_feed(doc)
    etag = etag_for(body)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
    if not_modified(
        etag=etag,
        last_modified=doc.updated,
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=None,
    ):
        return Response(status_code=304, headers=headers)
    media = "application/atom+xml" if kind == "atom" else "application/feed+json"
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


@dataclass(frozen=True, slots=True)
class _Match:
    id: int
    title: str | None


async def rules_page(request: Request) -> Response:
    """The reader's rules page: each rule, its targets' health, its recent matches."""
    store = reader_store(request)
    shown = []
    for rule in store.rules():
        matches = []
        for article_id in store.rule_article_ids(rule.name, limit=10):
            article = store.article(article_id)
            matches.append(_Match(article_id, article.title if article else None))
        shown.append({"rule": rule, "matches": matches})
    return render_page(request, "rules.html", {"title": "Rules", "rules": shown})


def feed_routes() -> list[BaseRoute]:
    """The reader's rules page and each rule's feed."""
    return [
        Route("/rules", rules_page, methods=["GET"]),
        Route("/feeds/rules/{name}.{kind}", feed_rule, methods=["GET"]),
    ]
