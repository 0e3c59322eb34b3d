"""The access rule has two forms: `access.decide` judges one photo read for a viewer, and
`access.visible_sql` filters lists in the database. Here both judge every kind of viewer against
every kind of photo, on a real SQLite file, and must agree with each other and with the rule."""

from __future__ import annotations

from pathlib import Path

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.errors import NotFound
from photoarchive.library import access, live, photos, visibility
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario


async def album(svc: Services, owner: User, members: list[User], photo_ids: list[int]) -> int:
    now = clock.now_iso()
    async with svc.db.transaction() as tx:
        album_id = await tx.fetchval(
            "INSERT INTO albums (owner_id, title, created_at, updated_at) VALUES (?, 't', ?, ?)"
            " RETURNING id",
            (owner.id, now, now),
        )
        for member, role in [(owner, "owner"), *((m, "viewer") for m in members)]:
            await tx.execute(
                "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?, ?, ?, ?)",
                (album_id, member.id, role, now),
            )
        for photo_id in photo_ids:
            await tx.execute(
                "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"
                " VALUES (?, ?, ?, ?)",
                (album_id, photo_id, owner.id, now),
            )
    return int(album_id)


async def private(svc: Services, photo_id: int) -> None:
    async with svc.db.transaction() as tx:
        await visibility.mark(tx, photo_id, "private")


def test_the_decision_and_the_sql_condition_agree_for_every_viewer_and_photo(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        owner, other, mate = [await person(svc, n) for n in ("owner", "other", "mate")]
        admin = await person(svc, "admin")
        await svc.db.execute("UPDATE users SET is_admin = 1 WHERE id = ?", (admin.id,))
        gone = await person(svc, "gone")
        await svc.db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (gone.id,))
        names = ("family", "private", "family in album", "private in album", "mate's own")
        ids = dict(zip(names, [await photo_of(svc, owner) for _ in range(4)], strict=False))
        ids["mate's own"] = await photo_of(svc, mate)
        # In the owner's trash (and in the album, and in the link): nobody sees it any more.
        ids["trashed"] = await photo_of(svc, owner)
        await svc.db.execute(
            "INSERT INTO trashed_photos (photo_id, trashed_at) VALUES (?, ?)",
            (ids["trashed"], clock.now_iso()),
        )
        for name in ("private", "private in album", "mate's own"):
            await private(svc, ids[name])
        # The mate (and the disabled account) are members of the owner's album holding two.
        in_album = [ids["family in album"], ids["private in album"], ids["trashed"]]
        await album(svc, owner, [mate, gone], in_album)
        viewers = {
            "owner": access.Viewer(owner, False),
            "other member": access.Viewer(other, False),
            "album member": access.Viewer(mate, False),
            "admin": access.Viewer(await users.by_username(svc.db, "admin"), False),
            "disabled": access.Viewer(await users.by_username(svc.db, "gone"), True),
            "guest": access.Viewer(None, False),
            "guest, public view": access.Viewer(None, True),
            "link holder": access.Viewer(
                None,
                False,
                access.Grant(frozenset({ids["private"], ids["mate's own"], ids["trashed"]})),
            ),
        }
        expected = {
            "owner": {"family", "private", "family in album", "private in album"},
            "other member": {"family", "family in album"},
            "album member": {"family", "family in album", "private in album", "mate's own"},
            "admin": {"family", "family in album"},
            "disabled": {"family", "family in album"},
            "guest": set(),
            "guest, public view": {"family", "family in album"},
            "link holder": {"private", "mate's own"},
        }
        by_id = {photo_id: name for name, photo_id in ids.items()}
        for label, viewer in viewers.items():
            condition, params = access.visible_sql(viewer)
            rows = await svc.db.fetchall(
                f"SELECT p.id FROM photos p WHERE {condition}",
                params,
            )
            in_sql = {by_id[row[0]] for row in rows}
            decided = set()
            for name, photo_id in ids.items():
                row = await svc.db.fetch_by_key(
                    f"SELECT {photos.PHOTO_COLUMNS} FROM photos p"
                    " JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
                    (*photos.reading_for(viewer.user), photo_id),
                )
                assert row is not None
                if access.can_view(viewer, photos.from_row(row, viewer.user)):
                    decided.add(name)
            assert in_sql == decided == expected[label], label
            # The trashed photo is its owner's to find in the trash, and nobody else's.
            row = await svc.db.fetch_by_key(
                f"SELECT {photos.PHOTO_COLUMNS} FROM photos p"
                " JOIN users u ON u.id = p.owner_id WHERE p.id = ?",
                (*photos.reading_for(viewer.user), ids["trashed"]),
            )
            assert row is not None
            in_trash = access.decide(viewer, photos.from_row(row, viewer.user))
            assert in_trash.trash == (label == "owner") and not in_trash.view, label
            # The audience a live event is sent to says the same.
            for name, photo_id in ids.items():
                heard_by = await live.audience(svc.db, photo_id)
                assert heard_by is not None
                assert heard_by.admits(viewer) == (name in expected[label]), (label, name)

    scenario(tmp_path, body)


def test_find_answers_not_found_for_a_photo_the_viewer_may_not_see(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner, other = await person(svc, "owner"), await person(svc, "other")
        photo_id = await photo_of(svc, owner)
        await private(svc, photo_id)
        assert (await photos.find(svc, photo_id, owner)).visibility == "private"
        for viewer in (other, None):
            try:
                await photos.find(svc, photo_id, viewer)
            except NotFound:
                continue
            raise AssertionError(f"{viewer} found a private photo")

    scenario(tmp_path, body)
