"""The app's own HTTP routes for browser sessions, served next to Streamlit by server.py:
only a server response can set an HttpOnly cookie, and Streamlit's pages talk over a websocket.

- GET  /ctg/session.js  the script the pages load for the session (a file of the app: the
  production Content-Security-Policy allows scripts from the app itself only, no inline script);
- GET  /ctg/menu.js     closes the sidebar after a menu link is followed on a phone (ctg_data.ui.navigation);
- POST /ctg/session     exchanges the one-time handoff of a sign-in for the session cookie;
- POST /ctg/sign-out    deletes the cookie when it names no open session any more. The tab that
  signs out has already ended its session in the database (ctg_data.ui.auth); the cookie the
  browser holds may belong to a newer session opened in another tab, which is kept.

Both POSTs are refused unless they come from a page of the app itself (Sec-Fetch-Site, or
Origin against Host): another site cannot sign a visitor in to its own account.
"""

import json
import logging
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ctg_data.accounts import web_sessions
from ctg_data.db import get_engine

LOG = logging.getLogger(__name__)
SCRIPT_PATH = "/ctg/session.js"
MAX_BODY = 1024

# Posts the handoff written in its own tag (data-handoff), or asks for the sign-out when there
# is none. The cookie is set by the response, never by this script (HttpOnly).
SCRIPT = """(function () {
  var tag = document.currentScript || document.querySelector("script[data-ctg-session]");
  if (!tag) { return; }
  var handoff = tag.getAttribute("data-handoff");
  fetch(handoff ? "/ctg/session" : "/ctg/sign-out", {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(handoff ? {handoff: handoff} : {})
  });
})();
"""


MENU_SCRIPT_PATH = "/ctg/menu.js"
# On a narrow screen the sidebar covers the page, and Streamlit closes it only after a link of
# its own menu (ours is made of page links): a click on a link of the sidebar closes it too.
# Loaded again by every run of a page, hence the flag. 768 px: Streamlit's phone layout.
MENU_SCRIPT = """(function () {
  if (window.ctgMenuCloses) { return; }
  window.ctgMenuCloses = true;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-testid='stSidebar'] a");
    if (!link || !window.matchMedia("(max-width: 768px)").matches) { return; }
    var close = document.querySelector("[data-testid='stSidebarCollapseButton'] button");
    if (close) { window.setTimeout(function () { close.click(); }, 0); }
  }, true);
})();
"""


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _secure(request: Request) -> bool:
    """Served over https, directly or behind the documented reverse proxy."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def _handoff(request: Request) -> str:
    body = await request.body()
    if len(body) > MAX_BODY:
        return ""
    try:
        value = json.loads(body or b"{}").get("handoff")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


async def script(_request: Request) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


async def menu_script(_request: Request) -> Response:
    return Response(MENU_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def _cookie_for(handoff: str) -> str | None:
    engine = get_engine()
    token = web_sessions.exchange(engine, handoff)
    return None if token is None else web_sessions.cookie_value(engine, token)


async def open_session(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    handoff = await _handoff(request)
    try:  # database work off the event loop, which also serves every page's websocket
        value = await run_in_threadpool(_cookie_for, handoff)
    except web_sessions.WeakSecret as error:
        LOG.error("Cookie de session refusé : %s", error)
        return Response(status_code=503)
    if value is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    # No Max-Age: the cookie lasts while the browser is open; the server ends the session sooner.
    response.set_cookie(
        web_sessions.COOKIE_NAME, value, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )
    return response


async def sign_out(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    cookie = request.cookies.get(web_sessions.COOKIE_NAME)
    try:
        still_open = await run_in_threadpool(web_sessions.resume, get_engine(), cookie, touch=False)
    except web_sessions.WeakSecret as error:
        LOG.error("Cookie de session refusé : %s", error)
        still_open = None
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    if still_open is not None:
        return response
    response.delete_cookie(web_sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


def routes() -> list[Route]:
    return [
        Route(SCRIPT_PATH, script, methods=["GET"]),
        Route(MENU_SCRIPT_PATH, menu_script, methods=["GET"]),
        Route("/ctg/session", open_session, methods=["POST"]),
        Route("/ctg/sign-out", sign_out, methods=["POST"]),
    ]
