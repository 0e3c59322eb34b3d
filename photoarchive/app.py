"""`create_app(settings)`: builds the whole application. Wiring only; nothing happens at import."""

from __future__ import annotations

import asyncio

from litestar import Litestar, Router
from litestar.config.response_cache import ResponseCacheConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import Receive, Scope, Send

from photoarchive import __version__
from photoarchive.accounts import admins, sessions
from photoarchive.accounts.mail import Mailer
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.provider import AccountsUnavailable, build_accounts
from photoarchive.db import DatabaseUnavailable, build_database
from photoarchive.library import digests, places, rechecks, trash, upload_clock
from photoarchive.paths import static_dir, templates_dir
from photoarchive.services import DecodeSlots, Services
from photoarchive.settings import Settings
from photoarchive.storage import StorageError, build_store
from photoarchive.web import (
    admin_api,
    albums_api,
    api,
    batches_api,
    bulk_api,
    downloads_api,
    events,
    favorites_api,
    media,
    places_api,
    search_api,
    shares_api,
    timeline_api,
    tokens_api,
    trash_api,
)
from photoarchive.web.admission import BodyGate
from photoarchive.web.apidocs import ApiDocs
from photoarchive.web.cards import CardCache
from photoarchive.web.csrf import CSRFGuard, csrf_config
from photoarchive.web.errors import handle_error
from photoarchive.web.media_door import MediaDoor
from photoarchive.web.mediacache import RenditionBodies
from photoarchive.web.methods import AllowedMethods, head_as_get
from photoarchive.web.params import ApiQuery, PathIds
from photoarchive.web.request import AppRequest
from photoarchive.web.routes import PAGE_HANDLERS
from photoarchive.web.security import security_headers_hook
from photoarchive.web.server import CannotStart
from photoarchive.web.templating import configure_environment


class App(Litestar):
    """Litestar with two front doors: HEAD requests become GETs (see methods), and a plain
    request for a thumbnail is answered by web/media_door, which asks library.access as the
    media route does. Nothing is answered from memory here."""

    media_door: MediaDoor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if self.media_door is not None and await self.media_door.answer(scope, send):
            return
        scope, send = head_as_get(scope, send)  # before routing, which knows no HEAD
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> Litestar:
    settings = settings.with_secret()
    db = build_database(settings)
    store = build_store(settings)
    svc = Services(
        settings=settings,
        db=db,
        store=store,
        passwords=Passwords(settings.argon2_memory_kib, settings.argon2_time_cost),
        image_slots=DecodeSlots(settings.image_workers),
        accounts=build_accounts(settings),
        mail=Mailer(settings.smtp),
    )

    background: set[asyncio.Task[object]] = set()
    live = events.channels_plugin(settings)
    events.connect(svc, live)

    async def start() -> None:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            settings.tmp_dir.mkdir(parents=True, exist_ok=True)
            await store.check()
            await svc.accounts.start()
            await db.open()
            if settings.auth == "cognito" and settings.admins:
                await admins.follow_list(db, settings.admins)
            # Before the first request: undated photos placed in the archive's zone as it is.
            await upload_clock.align(db, settings.timezone)
        except (StorageError, AccountsUnavailable, DatabaseUnavailable) as exc:
            raise CannotStart(str(exc)) from exc
        except OSError as exc:  # the data disk: full, or mounted read-only
            raise CannotStart.from_os_error(exc) from exc
        await svc.mail.start()
        background.add(asyncio.create_task(rechecks.run(svc), name="location re-check"))
        background.add(asyncio.create_task(digests.run(svc), name="daily digests"))
        background.add(asyncio.create_task(trash.run(svc), name="trash purge"))
        idle, longest = settings.session_idle_seconds, settings.session_max_seconds
        pruning = sessions.run(db, idle, longest)
        background.add(asyncio.create_task(pruning, name="ended sessions"))
        background.add(asyncio.create_task(places.run(svc), name="places of older photos"))

    async def stop() -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await svc.mail.close()  # queued mail may still need the database
        await db.close()
        await store.close()
        await svc.accounts.close()

    add_headers = security_headers_hook(settings)
    template_config = TemplateConfig(
        directory=templates_dir(),
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: configure_environment(
            engine, CardCache(settings.card_cache_mb * 1024 * 1024)
        ),
    )
    app = App(
        route_handlers=[
            # The OpenAPI document describes the JSON API; pages answer HTML to people.
            Router(path="/", route_handlers=PAGE_HANDLERS, include_in_schema=False),
            *api.API_HANDLERS,
            *shares_api.SHARE_API_HANDLERS,
            *albums_api.HANDLERS,
            *favorites_api.HANDLERS,
            *batches_api.HANDLERS,
            *trash_api.HANDLERS,
            *bulk_api.HANDLERS,
            *downloads_api.HANDLERS,
            *search_api.HANDLERS,
            *admin_api.HANDLERS,
            *places_api.HANDLERS,
            *timeline_api.HANDLERS,
            *tokens_api.HANDLERS,
            media.media,
            events.events,
            create_static_files_router(
                path="/static",
                directories=[static_dir()],
                include_in_schema=False,
                cache_control=None,
            ),
        ],
        middleware=[
            PathIds,
            ApiQuery,
            AllowedMethods,
            # Who may send a body is settled before the CSRF check reads one.
            BodyGate,
            DefineMiddleware(
                CSRFGuard,
                config=csrf_config(settings.secret_key, settings.secure_cookies),
                public_url=settings.public_url,
            ),
        ],
        template_config=template_config,
        plugins=[HTMXPlugin(), live],
        exception_handlers={Exception: handle_error},
        before_send=[add_headers],
        request_class=AppRequest,
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=OpenAPIConfig(
            title="Photoarchive",
            version=__version__,
            path="/schema",
            render_plugins=[ApiDocs()],
        ),
        response_cache_config=ResponseCacheConfig(default_expiration=None),
        request_max_body_size=1024 * 1024,
        debug=False,
    )
    app.state.services = svc
    bodies = RenditionBodies(settings.media_cache_mb * 1024 * 1024)
    app.state.rendition_bodies = bodies
    app.media_door = MediaDoor(svc, bodies, add_headers)
    return app
