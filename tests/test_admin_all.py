"""The whole Django admin (issue 8): every registered model, every custom action, every limit.

- Every registered model's changelist, add page (where addable), change and delete pages render
  for a superuser, and are refused to anonymous and non-staff visitors.
- Staff without superuser see only what their permissions allow: view permission shows pages
  read-only, runs no action, deletes nothing.
- Every custom action works for a staff user holding exactly the permission it declares, lands in
  the admin history (LogEntry), and is refused to a view-only staff user.
- Changelists with 50 rows (each with its related objects) cost what they cost with 5 rows.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import storages
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import ApiApplication, RateLimitBlock, Token, User
from catalog.models import Category, Image, ModerationStatus, Rating
from catalog.tests.factories import make_artist, make_category, make_character, make_image
from uploads import services as upload_services
from uploads.models import Album, AlbumItem, RegistrationKey, Upload
from uploads.tests.conftest import png_bytes
from webhooks import events as webhook_events
from webhooks import signing as webhook_signing
from webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_hashing_and_own_storage(settings: Any, tmp_path: Path) -> None:
    """Uploads land in a folder of their own, so "storage is empty afterwards" is checkable."""
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored_uploads() -> list[str]:
    storage = storages["uploads"]
    try:
        folders, files = storage.listdir("")
    except FileNotFoundError:
        return []
    thumbs = storage.listdir("_thumbs")[1] if "_thumbs" in folders else []
    return sorted(files + thumbs)


# --- data ---------------------------------------------------------------------------------------
def new_user(prefix: str = "user", **fields: Any) -> User:
    return User.objects.create_user(username=f"{prefix}{next(_serial)}", password=None, **fields)


def new_upload(owner: User) -> Upload:
    data = png_bytes()
    return upload_services.upload_create(
        owner=owner, file=io.BytesIO(data), client_name="cat.png", size=len(data)
    )


def new_album(owner: User) -> Album:
    album = upload_services.album_create(owner=owner, title="Cats")
    upload_services.album_add_uploads(album=album, uploads=[new_upload(owner)])
    return album


def new_application(owner: User, **fields: Any) -> ApiApplication:
    return account_services.application_request(
        user=owner, name=f"bot {next(_serial)}", purpose="Random images.", scopes=["image:list"]
    )


def new_block(**fields: Any) -> RateLimitBlock:
    return account_services.ratelimit_block_create(
        key=f"ip:10.0.0.{next(_serial) % 250}", violations=10, seconds=3600
    )


def new_regkey(created_by: User | None) -> RegistrationKey:
    (key,) = upload_services.regkey_generate(created_by=created_by)
    return RegistrationKey.objects.get(digest=upload_services.regkey_digest(key))


def new_webhook(owner: User, **fields: Any) -> Webhook:
    # A row as webhooks.services.webhook_create makes it, without resolving a host name.
    return Webhook.objects.create(
        user=owner,
        url=f"https://hooks{next(_serial)}.example.org/in",
        events=[webhook_events.UPLOAD_CREATED],
        secret_nonce=webhook_signing.new_nonce(),
        **fields,
    )


def new_delivery(webhook: Webhook, **fields: Any) -> Delivery:
    event = Event.objects.create(type=webhook_events.UPLOAD_CREATED, data={"upload": {}})
    return Delivery.objects.create(webhook=webhook, event=event, **fields)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root", password="x", email="root@example.org")


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def staff_with(*perms: str) -> User:
    """A staff user (not superuser) holding exactly these "app.codename" permissions."""
    user = new_user("staff", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # fresh permission cache


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(superuser: User) -> dict[str, Model]:
    """One row of every registered model, with its relations filled."""
    owner = new_user("owner")
    artist, category, character = make_artist(), make_category(), make_character()
    image = make_image(artist=artist, categories=[category], characters=[character])
    application = new_application(owner)
    token = account_services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=superuser
    )
    group = Group.objects.create(name="moderators")
    group.permissions.add(Permission.objects.get(codename="view_upload"))
    delivery = new_delivery(new_webhook(owner, application=application))
    return {
        "auth.group": group,
        "accounts.user": owner,
        "accounts.apiapplication": application,
        "accounts.token": token,
        "accounts.ratelimitblock": new_block(),
        "catalog.image": image,
        "catalog.submission": make_image(
            status=ModerationStatus.PENDING_REVIEW, submitted_by=owner
        ),
        "catalog.artist": artist,
        "catalog.category": category,
        "catalog.character": character,
        "uploads.upload": new_upload(owner),
        "uploads.album": new_album(owner),
        "uploads.registrationkey": new_regkey(superuser),
        "webhooks.webhook": delivery.webhook,
        "webhooks.delivery": delivery,
        "webhooks.event": delivery.event,
        "otp_totp.totpdevice": TOTPDevice.objects.create(user=owner, name="app", confirmed=True),
    }


# label -> can staff add one from the admin? (the others come from services: uploads from the
# file host, tokens and applications from the dashboards, blocks from the rate limiter, keys
# from the "Generate keys" page, webhooks and their deliveries and events from the dashboard
# and the webhook services).
MODELS: dict[str, bool] = {
    "auth.group": True,
    "accounts.user": True,
    "accounts.apiapplication": False,
    "accounts.token": False,
    "accounts.ratelimitblock": False,
    "catalog.image": True,
    "catalog.submission": False,  # submissions come from POST /api/v1/image
    "catalog.artist": True,
    "catalog.category": True,
    "catalog.character": True,
    "uploads.upload": False,
    "uploads.album": False,
    "uploads.registrationkey": False,
    "webhooks.webhook": False,
    "webhooks.delivery": False,
    "webhooks.event": False,
    "otp_totp.totpdevice": False,  # enrolled by its owner at /accounts/2fa/
}


def base_url(label: str) -> str:
    return "/admin/{}/{}/".format(*label.split("."))


def test_every_registered_model_is_covered_here() -> None:
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == set(MODELS)


# --- pages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", MODELS)
def test_superuser_gets_every_page(admin_client: Client, world: dict, label: str) -> None:
    base, pk = base_url(label), world[label].pk
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(base, {"q": "x"}).status_code == 200
    assert admin_client.get(f"{base}add/").status_code == (200 if MODELS[label] else 403)
    assert admin_client.get(f"{base}{pk}/change/").status_code == 200
    assert admin_client.get(f"{base}{pk}/delete/").status_code == 200
    assert admin_client.get(f"{base}{pk}/history/").status_code == 200


@pytest.mark.parametrize("label", MODELS)
@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_non_staff_are_sent_to_the_login_page(world: dict, label: str, who: str) -> None:
    client = Client() if who == "anonymous" else client_for(new_user("member"))
    base, pk = base_url(label), world[label].pk
    for url in (base, f"{base}add/", f"{base}{pk}/change/", f"{base}{pk}/delete/"):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("url", ["/admin/", "/admin/uploads/registrationkey/generate/"])
def test_non_staff_never_reach_the_index_or_custom_pages(url: str) -> None:
    for client in (Client(), client_for(new_user("member"))):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("label", MODELS)
def test_view_only_staff_read_but_cannot_add_change_delete_or_act(world: dict, label: str) -> None:
    app_label, model_name = label.split(".")
    client = client_for(staff_with(f"{app_label}.view_{model_name}"))
    base, obj = base_url(label), world[label]
    listing = client.get(base)
    assert listing.status_code == 200
    assert b'name="action"' not in listing.content  # no action menu at all
    assert b'href="' + f"{base}add/".encode() not in listing.content
    assert client.get(f"{base}{obj.pk}/change/").status_code == 200
    assert client.get(f"{base}add/").status_code == 403
    assert client.get(f"{base}{obj.pk}/delete/").status_code == 403
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
    response = client.post(
        base, {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert not LogEntry.objects.exists()


def test_staff_without_any_permission_see_nothing(world: dict) -> None:
    client = client_for(staff_with())
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/uploads/upload/" not in index.content
    for label, obj in world.items():
        assert client.get(base_url(label)).status_code == 403, label
        assert client.get(f"{base_url(label)}{obj.pk}/change/").status_code == 403, label


def test_view_only_staff_see_only_their_models_on_the_index(world: dict) -> None:
    client = client_for(staff_with("uploads.view_upload"))
    index = client.get("/admin/").content.decode()
    assert "/admin/uploads/upload/" in index
    assert "/admin/accounts/user/" not in index and "/admin/catalog/image/" not in index


# --- custom actions -----------------------------------------------------------------------------
@dataclass
class ActionCase:
    label: str
    action: str
    perms: tuple[str, ...]  # exactly what a staff user needs to run it
    setup: Callable[[User], list[Any]]
    done: Callable[[list[Any], User], bool]
    not_done: Callable[[list[Any]], bool]
    flag: int = CHANGE
    extra: dict[str, str] = field(default_factory=dict)
    extra_from: Callable[[list[Any]], dict[str, str]] | None = None


def _images(**fields: Any) -> Callable[[User], list[Any]]:
    return lambda _: [make_image(**fields), make_image(**fields)]


def _submissions(moderator: User) -> list[Any]:
    submitter = new_user("submitter")
    return [
        make_image(status=ModerationStatus.PENDING_REVIEW, submitted_by=submitter) for _ in (1, 2)
    ]


def _decided(status: str) -> Callable[[list[Any], User], bool]:
    def check(objs: list[Any], moderator: User) -> bool:
        rows = Image.objects.filter(pk__in=_pks(objs), status=status, reviewed_by=moderator)
        return rows.count() == len(objs)

    return check


def _undecided(objs: list[Any]) -> bool:
    pending = ModerationStatus.PENDING_REVIEW
    return Image.objects.filter(pk__in=_pks(objs), status=pending).count() == len(objs)


def _rated(rating: str) -> Callable[[list[Any], User], bool]:
    return lambda objs, _: {i.nsfw for i in Image.objects.filter(pk__in=_pks(objs))} == {rating}


def _pks(objs: list[Any]) -> list[Any]:
    return [obj.pk for obj in objs]


def _gone(objs: list[Any], *_: Any) -> bool:
    return not type(objs[0]).objects.filter(pk__in=_pks(objs)).exists()


def _all_there(objs: list[Any]) -> bool:
    return type(objs[0]).objects.filter(pk__in=_pks(objs)).count() == len(objs)


def _users_with_files(_: User) -> list[Any]:
    users = [new_user("leaving"), new_user("leaving")]
    for user in users:
        new_upload(user)
        new_upload(user)
        account_services.filehost_token_get_or_create(user=user)
        new_application(user)
    assert len(stored_uploads()) == 4
    return users


def _category_of(objs: list[Any]) -> dict[str, str]:
    return {"category": str(Category.objects.get(name="maid").pk)}


def _maid_and_images(_: User) -> list[Any]:
    make_category(name="maid")
    return [make_image(), make_image()]


def _with_maid(_: User) -> list[Any]:
    maid = make_category(name="maid")
    return [make_image(categories=[maid]), make_image(categories=[maid])]


def _applications(_: User) -> list[Any]:
    return [new_application(new_user()), new_application(new_user())]


def _approved_by(objs: list[Any], moderator: User) -> bool:
    tokens = Token.objects.filter(application__in=objs)
    return (
        ApiApplication.objects.filter(pk__in=_pks(objs), status="approved", decided_by=moderator)
        .exclude(decided_at=None)
        .count()
        == 2
        and tokens.count() == 2
        and all(t.issued_by == moderator and t.scopes == ["image:list"] for t in tokens)
    )


def _status(objs: list[Any], status: str) -> bool:
    return ApiApplication.objects.filter(pk__in=_pks(objs), status=status).count() == len(objs)


def _tokens(moderator: User) -> list[Any]:
    return [
        account_services.application_approve(
            application=new_application(new_user()), scopes=[], expires_at=None, by=moderator
        )
        for _ in range(2)
    ]


ACTIONS = [
    ActionCase(
        "catalog.submission",
        "approve",
        ("catalog.change_submission",),
        _submissions,
        _decided(ModerationStatus.APPROVED),
        _undecided,
    ),
    ActionCase(
        "catalog.submission",
        "reject",
        ("catalog.change_submission",),
        _submissions,
        _decided(ModerationStatus.REJECTED),
        _undecided,
        extra={"apply": "Reject", "reason": "Not anime art."},
    ),
    ActionCase(
        "catalog.image",
        "mark_sfw",
        ("catalog.change_image",),
        _images(nsfw=Rating.NSFW),
        _rated("sfw"),
        lambda objs: _rated("nsfw")(objs, None),
    ),
    ActionCase(
        "catalog.image",
        "mark_questionable",
        ("catalog.change_image",),
        _images(),
        _rated("questionable"),
        lambda objs: _rated("sfw")(objs, None),
    ),
    ActionCase(
        "catalog.image",
        "mark_nsfw",
        ("catalog.change_image",),
        _images(),
        _rated("nsfw"),
        lambda objs: _rated("sfw")(objs, None),
    ),
    ActionCase(
        "catalog.image",
        "add_category",
        ("catalog.change_image",),
        _maid_and_images,
        lambda objs, _: Category.objects.get(name="maid").images.count() == 2,
        lambda objs: not Category.objects.get(name="maid").images.exists(),
        extra_from=_category_of,
    ),
    ActionCase(
        "catalog.image",
        "remove_category",
        ("catalog.change_image",),
        _with_maid,
        lambda objs, _: not Category.objects.get(name="maid").images.exists(),
        lambda objs: Category.objects.get(name="maid").images.count() == 2,
        extra_from=_category_of,
    ),
    ActionCase(
        "catalog.image",
        "delete_selected",
        ("catalog.view_image", "catalog.delete_image"),
        _images(),
        _gone,
        _all_there,
        flag=DELETION,
        extra={"post": "yes"},
    ),
    ActionCase(
        "uploads.upload",
        "delete_with_files",
        ("uploads.view_upload", "uploads.delete_upload"),
        lambda _: [new_upload(new_user()), new_upload(new_user())],
        lambda objs, _: _gone(objs) and stored_uploads() == [],
        lambda objs: _all_there(objs) and len(stored_uploads()) == 2,
        flag=DELETION,
    ),
    ActionCase(
        "uploads.registrationkey",
        "revoke",
        ("uploads.change_registrationkey",),
        lambda moderator: [new_regkey(moderator), new_regkey(None)],
        lambda objs, _: not RegistrationKey.objects.filter(revoked_at=None).exists(),
        lambda objs: RegistrationKey.objects.filter(revoked_at=None).count() == 2,
    ),
    ActionCase(
        "accounts.user",
        "disable_users",
        ("accounts.change_user",),
        lambda _: [new_user(), new_user()],
        lambda objs, _: not User.objects.filter(pk__in=_pks(objs), is_active=True).exists(),
        lambda objs: User.objects.filter(pk__in=_pks(objs), is_active=True).count() == 2,
    ),
    ActionCase(
        "accounts.user",
        "enable_users",
        ("accounts.change_user",),
        lambda _: [new_user(is_active=False), new_user(is_active=False)],
        lambda objs, _: User.objects.filter(pk__in=_pks(objs), is_active=True).count() == 2,
        lambda objs: not User.objects.filter(pk__in=_pks(objs), is_active=True).exists(),
    ),
    ActionCase(
        "accounts.user",
        "delete_selected",
        # Deleting a user deletes their files, tokens and applications, so Django asks for the
        # delete permission on each of those too.
        (
            "accounts.view_user",
            "accounts.delete_user",
            "uploads.delete_upload",
            "accounts.delete_token",
            "accounts.delete_apiapplication",
        ),
        _users_with_files,
        lambda objs, _: _gone(objs) and stored_uploads() == [] and not Upload.objects.exists(),
        lambda objs: _all_there(objs) and len(stored_uploads()) == 4,
        flag=DELETION,
        extra={"post": "yes"},
    ),
    ActionCase(
        "accounts.apiapplication",
        "approve_selected",
        ("accounts.change_apiapplication",),
        _applications,
        _approved_by,
        lambda objs: _status(objs, "pending"),
    ),
    ActionCase(
        "accounts.apiapplication",
        "reject_selected",
        ("accounts.change_apiapplication",),
        _applications,
        lambda objs, _: _status(objs, "rejected"),
        lambda objs: _status(objs, "pending"),
    ),
    ActionCase(
        "accounts.token",
        "revoke_selected",
        ("accounts.change_token",),
        _tokens,
        lambda objs, _: not Token.objects.filter(pk__in=_pks(objs), revoked_at=None).exists(),
        lambda objs: Token.objects.filter(pk__in=_pks(objs), revoked_at=None).count() == 2,
    ),
    ActionCase(
        "accounts.ratelimitblock",
        "lift_selected",
        ("accounts.change_ratelimitblock",),
        lambda _: [new_block(), new_block()],
        lambda objs, moderator: RateLimitBlock.objects.filter(lifted_by=moderator).count() == 2,
        lambda objs: not RateLimitBlock.objects.exclude(lifted_at=None).exists(),
    ),
]
ACTIONS += [
    ActionCase(
        "webhooks.webhook",
        "send_test_event",
        ("webhooks.change_webhook",),
        lambda _: [new_webhook(new_user()), new_webhook(new_user())],
        lambda objs, _: (
            Delivery.objects.filter(webhook__in=objs, event__type=webhook_events.PING).count() == 2
        ),
        lambda objs: not Delivery.objects.exists(),
    ),
    ActionCase(
        "webhooks.webhook",
        "disable_selected",
        ("webhooks.change_webhook",),
        lambda _: [new_webhook(new_user()), new_webhook(new_user())],
        lambda objs, _: not Webhook.objects.filter(pk__in=_pks(objs), is_active=True).exists(),
        lambda objs: Webhook.objects.filter(pk__in=_pks(objs), is_active=True).count() == 2,
    ),
    ActionCase(
        "webhooks.webhook",
        "enable_selected",
        ("webhooks.change_webhook",),
        lambda _: [new_webhook(new_user(), is_active=False) for _ in range(2)],
        lambda objs, _: Webhook.objects.filter(pk__in=_pks(objs), is_active=True).count() == 2,
        lambda objs: not Webhook.objects.filter(pk__in=_pks(objs), is_active=True).exists(),
    ),
    ActionCase(
        "webhooks.delivery",
        "retry_now",
        ("webhooks.change_delivery",),
        lambda _: [new_delivery(new_webhook(new_user()), status="failed") for _ in range(2)],
        lambda objs, _: Delivery.objects.filter(pk__in=_pks(objs), status="pending").count() == 2,
        lambda objs: Delivery.objects.filter(pk__in=_pks(objs), status="failed").count() == 2,
    ),
]
ACTION_IDS = [f"{case.label}:{case.action}" for case in ACTIONS]


def _run(client: Client, case: ActionCase, objs: list[Any]) -> Any:
    data = {"action": case.action, "_selected_action": [str(pk) for pk in _pks(objs)]}
    data.update(case.extra)
    if case.extra_from:
        data.update(case.extra_from(objs))
    return client.post(base_url(case.label), data, follow=True)


@pytest.mark.parametrize("case", ACTIONS, ids=ACTION_IDS)
def test_custom_action_works_for_staff_with_its_permission_and_is_logged(
    case: ActionCase,
) -> None:
    moderator = staff_with(*case.perms)
    objs = case.setup(moderator)
    reprs = {str(obj) for obj in objs}
    response = _run(client_for(moderator), case, objs)
    assert response.status_code == 200
    assert case.done(objs, moderator), case
    entries = LogEntry.objects.filter(user=moderator)
    assert {e.object_id for e in entries} == {str(pk) for pk in _pks(objs)}
    assert {e.action_flag for e in entries} == {case.flag}
    assert {e.object_repr for e in entries} == reprs
    assert all(e.content_type.model == case.label.split(".")[1] for e in entries)
    if case.flag == CHANGE:
        assert all(e.get_change_message() for e in entries)


@pytest.mark.parametrize("case", ACTIONS, ids=ACTION_IDS)
def test_custom_action_is_refused_to_view_only_staff(case: ActionCase) -> None:
    app_label, model_name = case.label.split(".")
    viewer = staff_with(f"{app_label}.view_{model_name}")
    objs = case.setup(viewer)
    listing = client_for(viewer).get(base_url(case.label))
    assert f'value="{case.action}"'.encode() not in listing.content
    response = _run(client_for(viewer), case, objs)
    assert response.status_code in (200, 403)
    assert case.not_done(objs), case
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("case", ACTIONS, ids=ACTION_IDS)
def test_custom_action_is_refused_to_non_staff(case: ActionCase) -> None:
    member = new_user("member")
    objs = case.setup(member)
    response = client_for(member).post(
        base_url(case.label),
        {"action": case.action, "_selected_action": [str(pk) for pk in _pks(objs)], **case.extra},
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert case.not_done(objs), case


def test_generating_keys_needs_the_add_permission_and_is_logged() -> None:
    viewer = staff_with("uploads.view_registrationkey")
    assert client_for(viewer).get("/admin/uploads/registrationkey/generate/").status_code == 403
    assert client_for(viewer).post("/admin/uploads/registrationkey/generate/", {"count": 2})
    assert not RegistrationKey.objects.exists()
    listing = client_for(viewer).get("/admin/uploads/registrationkey/")
    assert b"/registrationkey/generate/" not in listing.content

    maker = staff_with("uploads.view_registrationkey", "uploads.add_registrationkey")
    assert (
        b"/registrationkey/generate/"
        in client_for(maker).get("/admin/uploads/registrationkey/").content
    )
    response = client_for(maker).post("/admin/uploads/registrationkey/generate/", {"count": 2})
    assert response.status_code == 200
    keys = RegistrationKey.objects.filter(created_by=maker)
    assert keys.count() == 2
    entries = LogEntry.objects.filter(user=maker, action_flag=ADDITION)
    assert {e.object_id for e in entries} == {str(k.pk) for k in keys}


def test_the_admin_change_form_is_logged_as_a_change(admin_client: Client, world: dict) -> None:
    category = world["catalog.category"]
    response = admin_client.post(
        f"/admin/catalog/category/{category.pk}/change/",
        {"name": "renamed", "description": "", "type": "setting"},
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(category.pk))
    assert entry.action_flag == CHANGE and "Name" in entry.get_change_message()


# --- bounded queries ----------------------------------------------------------------------------
def _rows_image(n: int, staff: User) -> None:
    artist, category, character = make_artist(), make_category(), make_character()
    for _ in range(n):
        make_image(artist=artist, categories=[category], characters=[character])


def _rows_submission(n: int, staff: User) -> None:
    submitter, artist = new_user("submitter"), make_artist()
    for _ in range(n):
        make_image(artist=artist, status=ModerationStatus.PENDING_REVIEW, submitted_by=submitter)


def _rows_artist(n: int, staff: User) -> None:
    for _ in range(n):
        make_image(artist=make_artist())


def _rows_category(n: int, staff: User) -> None:
    for _ in range(n):
        make_image(categories=[make_category()])


def _rows_character(n: int, staff: User) -> None:
    for _ in range(n):
        make_image(characters=[make_character()])


def _bulk_users(n: int) -> list[User]:
    return User.objects.bulk_create(
        User(username=f"bulk{next(_serial)}", password="!") for _ in range(n)
    )


def _rows_user(n: int, staff: User) -> None:
    users = _bulk_users(n)
    Upload.objects.bulk_create(
        Upload(owner=u, name=f"f{u.pk}.png", size=10, content_type="image/png", sha256="0")
        for u in users
    )
    group = Group.objects.get_or_create(name="moderators")[0]
    for user in users:
        user.groups.add(group)


def _rows_upload(n: int, staff: User) -> None:
    Upload.objects.bulk_create(
        Upload(owner=u, name=f"u{u.pk}.txt", size=5, content_type="text/plain", sha256="0")
        for u in _bulk_users(n)
    )


def _rows_album(n: int, staff: User) -> None:
    albums = Album.objects.bulk_create(
        Album(owner=u, title=f"album {u.pk}", slug=f"s{next(_serial)}") for u in _bulk_users(n)
    )
    uploads = Upload.objects.bulk_create(
        Upload(owner=a.owner, name=f"a{a.pk}.txt", size=5, content_type="text/plain", sha256="0")
        for a in albums
    )
    AlbumItem.objects.bulk_create(
        AlbumItem(album=a, upload=u) for a, u in zip(albums, uploads, strict=True)
    )


def _rows_registrationkey(n: int, staff: User) -> None:
    now = timezone.now()
    RegistrationKey.objects.bulk_create(
        RegistrationKey(
            digest=f"{next(_serial):064d}",
            hint="abcd1234",
            created_by=staff,
            used_by=u,
            used_by_username=u.username,
            used_at=now,
        )
        for u in _bulk_users(n)
    )


def _applications_for(users: list[User], staff: User) -> list[ApiApplication]:
    return ApiApplication.objects.bulk_create(
        ApiApplication(
            user=u,
            name=f"bot {u.pk}",
            purpose="p",
            requested_scopes=["image:list"],
            granted_scopes=["image:list"],
            status="approved",
            decided_by=staff,
            decided_at=timezone.now(),
        )
        for u in users
    )


def _rows_apiapplication(n: int, staff: User) -> None:
    _applications_for(_bulk_users(n), staff)


def _rows_token(n: int, staff: User) -> None:
    users = _bulk_users(n)
    Token.objects.bulk_create(
        Token(
            user=app.user,
            kind="api",
            application=app,
            nonce="n",
            digest=f"t{next(_serial):063d}",
            scopes=["image:list"],
            issued_by=staff,
            expires_at=timezone.now() + timedelta(days=1),
        )
        for app in _applications_for(users, staff)
    )


def _rows_ratelimitblock(n: int, staff: User) -> None:
    RateLimitBlock.objects.bulk_create(
        RateLimitBlock(
            key=f"ip:10.1.0.{i}",
            violations=10,
            blocked_until=timezone.now() + timedelta(hours=1),
            lifted_at=timezone.now(),
            lifted_by=staff,
        )
        for i in range(n)
    )


def _rows_webhook(n: int, staff: User) -> None:
    # Each webhook of an application (printed as "name (user)") of a user of its own.
    users = _bulk_users(n)
    Webhook.objects.bulk_create(
        Webhook(user=app.user, application=app, url="https://x.example.org/", secret_nonce="n")
        for app in _applications_for(users, staff)
    )


def _rows_delivery(n: int, staff: User) -> None:
    webhooks = Webhook.objects.bulk_create(
        Webhook(user=u, url=f"https://{u.pk}.example.org/", secret_nonce="n")
        for u in _bulk_users(n)
    )
    deliveries = []
    for webhook in webhooks:
        event = Event.objects.create(type=webhook_events.UPLOAD_CREATED)
        deliveries.append(Delivery(webhook=webhook, event=event, response_code=200))
    Delivery.objects.bulk_create(deliveries)


def _rows_event(n: int, staff: User) -> None:
    Event.objects.bulk_create(Event(type=webhook_events.IMAGE_CREATED) for _ in range(n))


def _rows_totpdevice(n: int, staff: User) -> None:
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=u, name="app", confirmed=True) for u in _bulk_users(n)
    )


def _rows_group(n: int, staff: User) -> None:
    perms = list(Permission.objects.all()[:3])
    for _ in range(n):
        Group.objects.create(name=f"group {next(_serial)}").permissions.set(perms)


ROWS: dict[str, Callable[[int, User], None]] = {
    "auth.group": _rows_group,
    "accounts.user": _rows_user,
    "accounts.apiapplication": _rows_apiapplication,
    "accounts.token": _rows_token,
    "accounts.ratelimitblock": _rows_ratelimitblock,
    "catalog.image": _rows_image,
    "catalog.submission": _rows_submission,
    "catalog.artist": _rows_artist,
    "catalog.category": _rows_category,
    "catalog.character": _rows_character,
    "uploads.upload": _rows_upload,
    "uploads.album": _rows_album,
    "uploads.registrationkey": _rows_registrationkey,
    "webhooks.webhook": _rows_webhook,
    "webhooks.delivery": _rows_delivery,
    "webhooks.event": _rows_event,
    "otp_totp.totpdevice": _rows_totpdevice,
}


def test_every_model_has_a_query_count_check() -> None:
    assert set(ROWS) == set(MODELS)


@pytest.mark.parametrize("label", MODELS)
def test_changelist_with_50_rows_costs_what_5_rows_cost(
    admin_client: Client, superuser: User, label: str, django_assert_max_num_queries: Any
) -> None:
    model: type[Any] = next(
        m for m in admin.site._registry if f"{m._meta.app_label}.{m._meta.model_name}" == label
    )
    ROWS[label](5, superuser)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(base_url(label)).status_code == 200
    ROWS[label](45, superuser)
    assert model.objects.count() >= 50
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as many:
        response = admin_client.get(base_url(label))
    assert response.status_code == 200
    assert response.content.count(b'class="action-select"') >= 50  # every row is on the page
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_autocomplete_serves_every_related_field_of_the_image_admin(
    admin_client: Client, world: dict
) -> None:
    for field_name, obj in (
        ("artist", world["catalog.artist"]),
        ("categories", world["catalog.category"]),
        ("characters", world["catalog.character"]),
    ):
        response = admin_client.get(
            "/admin/autocomplete/",
            {"app_label": "catalog", "model_name": "image", "field_name": field_name, "term": ""},
        )
        assert response.status_code == 200
        assert str(obj.pk) in {r["id"] for r in response.json()["results"]}
