"""A fresh install explains itself: its first visitor is sent to make the administrator's
account and then told what to do next; an invite link says who sent it, or why it no longer
works, before anyone fills in a form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cloud import Pool, S3Server, make_pool
from tests.support import (
    PASSWORD,
    FrozenClock,
    LiveServer,
    Page,
    all_test_photos,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

DAY = 86400.0


@pytest.fixture
def invite_only(tmp_path: Path) -> Iterator[LiveServer]:
    """The default policy: after the first account, people join by invite."""
    with live_server(make_settings(tmp_path / "data", registration="invite")) as live:
        yield live


def page_of(response: httpx.Response) -> Page:
    return parse(response.text)


def invite_link(admin: httpx.Client) -> str:
    made = form_post(admin, "/admin/invites")
    assert made.status_code == 200, made.text
    (field,) = parse(made.text).find_all("input", id="invite-url")
    assert field["value"]
    return str(field["value"])


def token_of(link: str) -> str:
    path, _, token = link.partition("/signup?invite=")
    assert path and token, link
    return token


def is_first_account_page(page: Page) -> bool:
    return "Create the first account" in page.text and "will administer the archive" in page.text


# --- the first account --------------------------------------------------------------------


@pytest.mark.parametrize("public_view", [False, True], ids=["private", "public"])
def test_a_fresh_install_sends_the_feed_and_sign_in_to_the_first_account_page(
    tmp_path: Path, public_view: bool
) -> None:
    settings = make_settings(tmp_path / "data", registration="invite", public_view=public_view)
    with live_server(settings) as server:
        guest = server.client()
        for address in ("/", "/login", "/login?next=/upload"):
            response = guest.get(address)
            assert response.status_code == 303, address
            assert response.headers["location"] == "/signup", address

        form = guest.get("/signup")
        assert form.status_code == 200
        page = page_of(form)
        assert is_first_account_page(page)
        assert "invite-only" not in page.text
        assert not page.find_all("input", name="invite")
        assert page.find_all("input", name="first_run", value="1")
        assert "Already have an account?" not in page.text  # nobody has one

        signed = form_post(
            guest,
            "/signup",
            {
                "username": "rose",
                "email": "rose@example.org",
                "password": PASSWORD,
                "first_run": "1",
            },
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        me = guest.get("/api/v1/me").json()["user"]
        assert me["username"] == "rose" and me["is_admin"] is True

        # With an account made, sign-in is sign-in again and sign-up is invite-only.
        stranger = server.client()
        assert stranger.get("/login").status_code == 200
        if not public_view:
            assert stranger.get("/").headers["location"] == "/login?next=/"
        later = page_of(stranger.get("/signup"))
        assert not is_first_account_page(later)
        assert "invite-only" in later.text
        assert later.find_all("input", name="invite")


def test_the_welcome_says_what_to_do_next_until_hidden_or_the_first_photo(
    invite_only: LiveServer,
) -> None:
    admin = sign_up(invite_only, "rose")
    feed = page_of(admin.get("/"))
    assert feed.find_all("section", id="welcome")
    assert feed.find_all("a", href="/upload")
    assert feed.find_all("a", href="/admin#invite-title")
    assert "works for 7 days" in feed.text
    assert not feed.find_all("div", id="feed-empty")  # the welcome says it instead
    # The link lands on the section that makes invite links.
    assert parse(admin.get("/admin").text).find_all("h2", id="invite-title")

    member = sign_up(invite_only, "lily", invite=token_of(invite_link(admin)))
    member_feed = page_of(member.get("/"))
    assert not member_feed.find_all("section", id="welcome")  # not the administrator's
    assert member_feed.find_all("div", id="feed-empty")

    # Hidden with htmx: the panel gives way to the plain empty feed, and stays hidden.
    hidden = admin.post("/welcome/hide", headers={"hx-request": "true", "x-csrftoken": csrf(admin)})
    assert hidden.status_code == 200
    fragment = page_of(hidden)
    assert fragment.find_all("div", id="feed-empty") and "<html" not in hidden.text
    after = page_of(admin.get("/"))
    assert not after.find_all("section", id="welcome")
    assert after.find_all("div", id="feed-empty")

    # Hidden without JavaScript: back to the feed. Another browser of the administrator's
    # still shows the welcome, until the archive has a photo.
    other_device = invite_only.client()
    assert (
        form_post(other_device, "/login", {"login": "rose", "password": PASSWORD}).status_code
        == 303
    )
    assert page_of(other_device.get("/")).find_all("section", id="welcome")
    assert upload(member, all_test_photos()[0]).status_code == 201
    assert not page_of(other_device.get("/")).find_all("section", id="welcome")

    third = invite_only.client()
    assert form_post(third, "/login", {"login": "rose", "password": PASSWORD}).status_code == 303
    plain = form_post(third, "/welcome/hide")
    assert plain.status_code == 303 and plain.headers["location"] == "/"


def test_only_one_of_two_simultaneous_first_sign_ups_administers_the_archive(
    invite_only: LiveServer,
) -> None:
    """Both see the first-account page; whichever the sign-up lock lets in first becomes the
    administrator, and the other is told why an invite is now needed (in either order)."""
    people = {name: invite_only.client() for name in ("rose", "iris")}
    for client in people.values():
        assert is_first_account_page(page_of(client.get("/signup")))
        csrf(client)
    answers: dict[str, httpx.Response] = {}
    start = threading.Barrier(len(people))

    def submit(name: str) -> None:
        start.wait()
        answers[name] = form_post(
            people[name],
            "/signup",
            {
                "username": name,
                "email": f"{name}@example.org",
                "password": PASSWORD,
                "first_run": "1",
            },
        )

    threads = [threading.Thread(target=submit, args=(name,)) for name in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [303, 403], {n: a.status_code for n, a in answers.items()}
    (loser,) = [answer for answer in answers.values() if answer.status_code == 403]
    page = page_of(loser)
    assert "Someone else has just created the first account" in page.text
    assert not is_first_account_page(page)
    assert page.find_all("input", name="invite", **{"aria-invalid": "true"})
    with invite_only.db() as conn:
        rows = conn.execute("SELECT username, is_admin FROM users").fetchall()
    assert [row["is_admin"] for row in rows] == [1]


# --- invite links -------------------------------------------------------------------------


def test_a_valid_invite_names_who_sent_it_and_signs_up_without_a_code_field(
    invite_only: LiveServer,
) -> None:
    admin = sign_up(invite_only, "rose")
    saved = form_post(
        admin, "/settings/profile", {"display_name": "Grandma Rose", "email": "rose@example.org"}
    )
    assert saved.status_code == 303
    link = invite_link(admin)
    assert link.startswith(f"{invite_only.settings.public_url}/signup?invite=")
    guest = invite_only.client()
    response = guest.get(f"/signup?invite={token_of(link)}")
    assert response.status_code == 200
    page = page_of(response)
    assert "Grandma Rose invited you" in page.text
    assert page.find_all("input", type="hidden", name="invite", value=token_of(link))
    assert not page.find_all("input", id="invite")  # nothing to copy by hand
    assert page.find_all("input", name="password")
    joined = form_post(
        guest,
        "/signup",
        {
            "username": "lily",
            "email": "lily@example.org",
            "password": PASSWORD,
            "invite": token_of(link),
        },
    )
    assert joined.status_code == 303
    assert guest.get("/api/v1/me").json()["user"]["is_admin"] is False


def no_form(page: Page) -> bool:
    return not page.find_all("form", action="/signup") and not page.find_all(
        "input", name="password"
    )


def test_a_used_invite_says_so_and_who_to_ask_with_no_form(invite_only: LiveServer) -> None:
    admin = sign_up(invite_only, "rose")
    token = token_of(invite_link(admin))
    sign_up(invite_only, "lily", invite=token)
    response = invite_only.client().get(f"/signup?invite={token}")
    assert response.status_code == 410
    page = page_of(response)
    assert "This invite link has been used" in page.text
    assert "If that was you, sign in" in page.text and "ask rose" in page.text
    assert page.find_all("a", href="/login")
    assert no_form(page)

    # Sent anyway (a form opened before the link was used): refused, and the same page.
    late = form_post(
        invite_only.client(),
        "/signup",
        {"username": "iris", "email": "iris@example.org", "password": PASSWORD, "invite": token},
    )
    assert late.status_code == 403
    assert "This invite link has been used" in page_of(late).text and no_form(page_of(late))
    assert invite_only.count("users") == 2


def test_an_expired_invite_says_so_and_who_to_ask_with_no_form(
    invite_only: LiveServer, frozen_clock: FrozenClock
) -> None:
    admin = sign_up(invite_only, "rose")
    token = token_of(invite_link(admin))
    frozen_clock.advance(7 * DAY - 1)
    assert invite_only.client().get(f"/signup?invite={token}").status_code == 200
    frozen_clock.advance(2)
    response = invite_only.client().get(f"/signup?invite={token}")
    assert response.status_code == 410
    page = page_of(response)
    assert "This invite link has expired" in page.text
    assert "work for 7 days" in page.text and "Ask rose" in page.text
    assert no_form(page)


@pytest.mark.parametrize("token", ["not-a-real-invite", "x" * 5000], ids=["unknown", "huge"])
def test_an_unknown_invite_says_how_to_get_a_good_link_with_no_form(
    invite_only: LiveServer, token: str
) -> None:
    sign_up(invite_only, "rose")
    response = invite_only.client().get("/signup", params={"invite": token})
    assert response.status_code == 404
    page = page_of(response)
    assert "This invite link is not valid" in page.text
    assert "rose" not in page.text  # a guessed link learns nobody's name
    assert no_form(page)


def test_with_open_sign_up_an_expired_invite_still_leads_to_the_form(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    with live_server(make_settings(tmp_path / "data", registration="open")) as server:
        admin = sign_up(server, "rose")
        token = token_of(invite_link(admin))
        frozen_clock.advance(8 * DAY)
        response = server.client().get(f"/signup?invite={token}")
        assert response.status_code == 200
        page = page_of(response)
        assert "That invite link has expired" in page.text
        assert "no invite is needed" in page.text
        assert page.find_all("input", name="password")
        assert not page.find_all("input", name="invite")


# --- an identity provider -----------------------------------------------------------------


@pytest.fixture
def pool(moto: S3Server) -> Pool:
    return make_pool(moto)


def test_with_cognito_a_fresh_install_keeps_sign_in_and_its_sign_up(
    pool: Pool, tmp_path: Path
) -> None:
    """People may already hold accounts in the pool, and the administrator is whoever signs in
    first: the pages do not send everyone to sign up, nor promise the role to the first form."""
    settings = make_settings(tmp_path / "data", registration="invite", **pool.settings())
    with live_server(settings) as server:
        guest = server.client()
        assert guest.get("/").headers["location"] == "/login?next=/"
        assert guest.get("/login").status_code == 200
        page = page_of(guest.get("/signup"))
        assert "the first account needs no invite" in page.text
        assert "administer" not in page.text
        assert not page.find_all("input", name="invite")
        signed = form_post(
            guest,
            "/signup",
            {
                "username": "rose",
                "email": "rose@example.org",
                "password": PASSWORD,
                "first_run": "1",
            },
        )
        assert signed.status_code == 303
        assert signed.headers["location"] == "/confirm?username=rose"
        later = page_of(server.client().get("/signup"))
        assert "invite-only" in later.text and later.find_all("input", name="invite")
