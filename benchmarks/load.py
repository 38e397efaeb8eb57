"""A bounded load generator on loopback: S simultaneous sessions open the overview through the
proxy, each timed until its page run is over (what a user waits for before the page stops
changing).

It speaks Streamlit's own protocol instead of driving browsers: a session is a websocket to
/_stcore/stream carrying protobuf messages (a BackMsg `rerun_script` asks for the page; the
ForwardMsgs answer with its elements, then `script_finished`). Thirty Chromium tabs would eat
the two CPUs the app processes are measured on; this client costs a few milliseconds a session.
The sign-in is the browser's: the web-session cookie (ctg_data.accounts.web_sessions) sent with
the websocket's handshake, which ctg_data.ui.auth reads through st.context.cookies, exactly as
after a reload. The proxy's routing cookie can be sent too, to pin a session to one process.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from ctg_data import accounts
from ctg_data.accounts import web_sessions
from ctg_data.accounts.records import user_by_email
from ctg_data.actors import COMMAND_LINE

T = TypeVar("T")

STREAM = "/_stcore/stream"
TIMEOUT = 300.0  # seconds a session may wait for its page before the run counts as failed
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
PROXY_COOKIE = "CTG_SRV"  # deploy/haproxy/ctg.cfg.in: `cookie CTG_SRV insert indirect nocache`


@dataclass
class Rendered:
    """One page run as the client saw it: its session, the texts of its elements, its time."""

    session_id: str = ""
    texts: list[str] = field(default_factory=list)
    seconds: float = 0.0


def signed_in_cookie(engine: Engine, email: str = "charge@bench.ctg", role: str = "conseiller") -> str:
    """The value of the web-session cookie of an account (created when missing, directory-only
    so that it has no password to change), as a browser holds it after signing in."""
    opened = web_sessions.create(engine, _account(engine, email, role), user_agent="benchmarks/load.py")
    token = web_sessions.exchange(engine, opened.handoff)
    assert token is not None, "la session de test n'a pas pu être ouverte"
    return web_sessions.cookie_value(engine, token)


def _account(engine: Engine, email: str, role: str) -> int:
    with Session(engine) as session:
        user = user_by_email(session, email)
        if user is not None and user.id is not None:
            return user.id
    return accounts.create_user(engine, actor=COMMAND_LINE, email=email, role=role, sso_only=True).user_id


def _stream_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + STREAM, "", ""))


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _texts(message: ForwardMsg) -> list[str]:
    """The text bodies of a new element (headings, Markdown, captions, alerts…)."""
    if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
        return []
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    body = getattr(getattr(element, kind), "body", None) if kind else None
    return [body] if isinstance(body, str) and body else []


class PageFailed(RuntimeError):
    """The page run ended on an exception: it does not count as rendered."""


@asynccontextmanager
async def open_page(base_url: str, cookies: dict[str, str], page: str = "", query: str = "") -> AsyncIterator[Rendered]:
    """A session that asks for `page` (its URL path, "" for the home page) and waits until its
    run is over; the websocket stays open inside the block (the session stays active in its
    process, as a browser tab does). Reruns the app asks for itself (st.rerun) are followed."""
    started = time.perf_counter()
    rendered = Rendered()
    request = BackMsg()
    request.rerun_script.query_string = query
    request.rerun_script.page_name = page
    headers = {"Cookie": _cookie_header(cookies)} if cookies else None
    async with connect(
        _stream_url(base_url),
        subprotocols=[Subprotocol("streamlit")],
        additional_headers=headers,
        max_size=None,
        proxy=None,
    ) as websocket:
        await websocket.send(request.SerializeToString())
        async for data in websocket:
            message = ForwardMsg()
            message.ParseFromString(data if isinstance(data, bytes) else data.encode())
            kind = message.WhichOneof("type")
            if kind == "new_session":
                rendered.session_id = message.new_session.initialize.session_id
            elif kind == "delta":
                if message.delta.new_element.WhichOneof("type") == "exception":
                    raise PageFailed(message.delta.new_element.exception.message)
                rendered.texts.extend(_texts(message))
            elif kind == "script_finished" and message.script_finished == FINISHED:
                break
        rendered.seconds = time.perf_counter() - started
        yield rendered


async def render(base_url: str, cookies: dict[str, str], page: str = "", query: str = "") -> Rendered:
    """One page opened until its run is over, then closed (open_page)."""
    async with open_page(base_url, cookies, page, query) as rendered:
        return rendered


async def _all(base_url: str, cookies: Sequence[dict[str, str]], page: str) -> list[Rendered]:
    runs = [asyncio.wait_for(render(base_url, jar, page), TIMEOUT) for jar in cookies]
    return list(await asyncio.gather(*runs))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` in a thread of its own: the caller's thread may already run an event loop
    (Playwright's sync API keeps one running in the test process's main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def overview_load(base_url: str, sessions: int, cookie: str | Sequence[str]) -> list[float]:
    """Seconds until each of `sessions` sessions, opened at the same moment on `base_url` (the
    proxy), has its overview page fully rendered: script run finished. `cookie`: the value of a
    web-session cookie (signed_in_cookie), or one per session."""
    values = [cookie] * sessions if isinstance(cookie, str) else list(cookie)
    assert len(values) == sessions, "un cookie par session"
    jars = [{web_sessions.COOKIE_NAME: value} for value in values]
    runs = run_async(_all(base_url, jars, ""))
    return [run.seconds for run in runs]


def summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank) of a load's times, in seconds."""
    ordered = sorted(seconds)
    rank = max(0, -(-95 * len(ordered) // 100) - 1)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"median": median, "p95": ordered[rank], "max": ordered[-1]}
