"""nekos.cafe API (seed 004). Credentials travel in request headers, as the seed says.

One APIView per endpoint; each reads its headers, calls one service or selector, and answers
in the seed's wire format (uploads/api/wire.py). Errors are raised as ApiError.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from django.contrib.auth import authenticate
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import bruteforce, ratelimit
from accounts.authentication import filehost_token
from accounts.models import Token, User
from accounts.services import token_regenerate
from nekosite.lib.errors import ApiError, error_response
from nekosite.lib.openapi import HEADER_VALUE_PATTERN, NO_CONTROL_PATTERN, ErrorSerializer
from nekosite.lib.slowbody import accepts_files
from uploads import embeds, options, permissions, selectors, services
from uploads.api import wire
from uploads.uploadhandlers import install_limited_handler, reject_oversized_content_length

UPLOAD_FIELD = "uploadFile"
# Answers that carry a secret (a token, a registration key) are never kept by any cache.
NO_STORE = {"Cache-Control": "no-store"}


class FileHostView(APIView):
    """Every nekos.cafe endpoint: seed 003's scopes by method, clients counted by their
    file-host token, else their IP. Endpoints that take a password or a file say so."""

    ratelimit_scope = ratelimit.GENERIC
    api_token_kind = Token.Kind.FILEHOST


# --- header parsing -----------------------------------------------------------------------------
def _header(request: Request, name: str) -> str:
    value = request.headers.get(name)
    if value is None or value == "":
        raise ApiError(f"The {name} header is required.", 400)
    value = _utf8(value)
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ApiError(f"The {name} header must not contain control characters.", 400)
    return value


def _utf8(value: str) -> str:
    """WSGI hands header bytes over as latin-1; clients send UTF-8 (e.g. non-ASCII passwords)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _authenticated_token(request: Request) -> Token:
    sent, token = filehost_token(request)
    if not sent:
        raise ApiError("The token header is required.", 400)
    if token is None:
        raise ApiError("This token is not valid.", 401)
    return token


def _authenticated_user(request: Request) -> User:
    return _authenticated_token(request).user


def _staff_user(request: Request, *perms: str) -> User:
    """The staff member owning the token, holding every one of `perms` (the same ones the
    Django admin demands for the matching action, uploads/permissions.py); 403 otherwise."""
    # A fresh row, not the token cache's read-only copy: Django caches permissions on the user
    # object, and a permission taken away in the admin must count at once (the read cache does
    # not watch permission tables).
    user = User.objects.get(pk=_authenticated_user(request).pk)
    if not user.is_staff:
        raise ApiError("This token does not belong to an admin.", 403)
    if not user.has_perms(perms):
        raise ApiError("This admin does not have the permission to do this.", 403)
    return user


ADMIN_KEY_SUBJECT = "\x00admin-signup"  # not a valid username, so never shared with one


def _attempt(request: Request, subject: str) -> None:
    """Count a password (or admin key) attempt; 429 past RATELIMIT_AUTH_RATE."""
    try:
        bruteforce.attempt(request, subject)
    except bruteforce.TooManyAttempts as exc:
        raise ApiError(
            exc.message,
            429,
            headers={"Retry-After": str(exc.retry_after)},
            extra={"retry_after": exc.retry_after * 1000},
        ) from exc


def _password_user(request: Request) -> User:
    """The user named in the username/password headers, with brute-force protection."""
    username = _header(request, "username")
    password = _header(request, "password")
    _attempt(request, username)
    user = authenticate(request._request, username=username, password=password)
    if user is None:
        raise ApiError("The username or password is not correct.", 401)
    bruteforce.succeeded(username)
    return user


# --- schema helpers -----------------------------------------------------------------------------
def _h(
    name: str,
    description: str | Promise,
    required: bool = True,
    schema: dict | None = None,
) -> OpenApiParameter:
    """A header parameter. Required headers are checked by _header(): present, not empty and
    free of control characters, which is what HEADER_VALUE_PATTERN says."""
    if schema is None:
        schema = {"type": "string", "pattern": HEADER_VALUE_PATTERN} if required else None
    return OpenApiParameter(
        name,
        schema or OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=required,
        description=description,
    )


TOKEN = _h("token", "Your file-host token (or send Authorization: Bearer <token>).", False)
USERNAME = _h("username", "Account username.")
PASSWORD = _h("password", "Account password.")
# Sign-up checks what Django's User model and password validators accept; the patterns say what
# a schema can (the common-password and similar-to-username rules are 400s it cannot express).
NEW_USERNAME = _h(
    "username",
    "The new account's name: 1 to 150 letters, digits and @ . + - _ characters.",
    schema={"type": "string", "maxLength": 150, "pattern": r"^[\w.@+-]+$"},
)
NEW_PASSWORD_SCHEMA = {
    "type": "string",
    "minLength": 8,
    # At least one character that is not a digit (Django's NumericPasswordValidator).
    "pattern": r"^[^\x00-\x1f\x7f]*[^0-9\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
}
NEW_PASSWORD = _h(
    "password",
    "At least 8 characters, not only digits, not a common password, not like the username.",
    schema=NEW_PASSWORD_SCHEMA,
)
ERROR_MEANINGS = {
    400: "A required header is missing or empty, or a value is not valid.",
    401: "The token, or the username and password, are not valid.",
    403: "Not an admin, or the registration key or admin key is not valid.",
    404: "No such file or user (another user's file is unknown too).",
    409: "This username is already taken.",
    413: "The file is over MAX_UPLOAD_MB or the account's quota.",
    415: "A blocked file type, or a body that is not multipart/form-data.",
    429: "Too many wrong passwords (or requests); wait Retry-After seconds.",
}


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error envelope for these statuses; every endpoint can also answer 400 and 429."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[status])
        for status in sorted({400, *statuses, 429})
    }


NAME_LIST = {"type": "array", "items": {"type": "string"}}


def _text(description: str) -> dict:
    return {(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description=description)}


def _json(name: str, fields: dict, description: str) -> dict:
    # A copy: DRF's serializer metaclass pops the declared fields out of the dict it is given,
    # so a dict shared by two calls (TOKEN_BODY) left the second schema with no body at all.
    return {200: OpenApiResponse(inline_serializer(name, dict(fields)), description=description)}


TOKEN_BODY = {"token": serializers.CharField()}
TAG = ["file host (nekos.cafe)"]


# --- basic --------------------------------------------------------------------------------------
class InfoView(FileHostView):
    @extend_schema(
        tags=TAG,
        operation_id="filehost_info",
        responses=_json(
            "FileHostInfo",
            {
                "inviteonly": serializers.BooleanField(),
                "adminreg": serializers.BooleanField(),
                "totalfiles": serializers.IntegerField(),
                "uploadURL": serializers.CharField(),
                "maxuploadsize": serializers.CharField(),
            },
            "Instance information.",
        )
        | _errors(),
    )
    def get(self, request: Request) -> Response:
        return Response(wire.info(total_files=selectors.upload_total_count()))


# --- user ---------------------------------------------------------------------------------------
class UserInfoView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={
            **_json(
                "FileHostUserInfo",
                {"username": serializers.CharField(), "filecount": serializers.IntegerField()},
                "The user's name and file count.",
            ),
            **_errors(401),
        },
    )
    def post(self, request: Request) -> Response:
        user = _authenticated_user(request)
        count = selectors.upload_list_for_user(user=user).count()
        return Response(wire.user_info(user=user, file_count=count))


class UserSignupView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[
            NEW_USERNAME,
            NEW_PASSWORD,
            _h("regkey", "Registration key, required when invite-only mode is on.", False),
        ],
        request=None,
        responses={**_text('"Success!"'), **_errors(403, 409)},
    )
    def post(self, request: Request) -> HttpResponse:
        services.user_signup(
            username=_header(request, "username"),
            password=_header(request, "password"),
            regkey=_utf8(request.headers.get("regkey") or ""),
        )
        return wire.text(wire.SUCCESS)


class UserDeleteView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[USERNAME, PASSWORD],
        request=None,
        responses={**_text('"This user has been deleted"'), **_errors(401)},
    )
    def post(self, request: Request) -> HttpResponse:
        # Seed 004: "Token is not used due to security issues."
        user = _password_user(request)
        services.user_delete_with_files(user=user)
        return wire.text(wire.USER_DELETED)


class PasswordResetView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[
            USERNAME,
            PASSWORD,
            _h("newpassword", NEW_PASSWORD.description, schema=NEW_PASSWORD_SCHEMA),
        ],
        request=None,
        responses={**_text('"The password has been reset!"'), **_errors(401)},
    )
    def post(self, request: Request) -> HttpResponse:
        new_password = _header(request, "newpassword")
        user = _password_user(request)
        services.password_reset(user=user, new_password=new_password)
        return wire.text(wire.PASSWORD_RESET)


# --- token --------------------------------------------------------------------------------------
class TokenGetView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[USERNAME, PASSWORD],
        request=None,
        responses={**_json("FileHostToken", TOKEN_BODY, "The user's token."), **_errors(401)},
    )
    def post(self, request: Request) -> Response:
        user = _password_user(request)
        _, value = services.filehost_token_for(user=user)
        return Response({"token": value}, headers=NO_STORE)


class TokenRegenView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={**_text('"Token has been regenerated!"'), **_errors(401)},
    )
    def post(self, request: Request) -> HttpResponse:
        token_regenerate(token=_authenticated_token(request))
        return wire.text(wire.TOKEN_REGENERATED)


class TokenValidView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={**_text('"This token is valid!"'), **_errors(401)},
    )
    def post(self, request: Request) -> HttpResponse:
        _authenticated_user(request)
        return wire.text(wire.TOKEN_VALID)


# --- files --------------------------------------------------------------------------------------
class FilesListView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={200: OpenApiResponse(NAME_LIST, description="File names."), **_errors(401)},
    )
    def post(self, request: Request) -> Response:
        user = _authenticated_user(request)
        names = selectors.upload_list_for_user(user=user).values_list("name", flat=True)
        return Response(list(names))


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class NonEmptyFileField(serializers.FileField):
    """Schema only: an empty file is refused with 400, so the upload is one byte or more."""


# Issue #20: optional per-upload options, in the seed's header style (uploads/options.py).
UPLOAD_OPTIONS = [
    _h("expires", "Delete the file after this long: 90s, 30m, 12h, 7d, 2w or seconds "
       "(10 s to 365 d); it answers 404 from then on.", False,
       {"type": "string", "pattern": options.EXPIRES_PATTERN}),
    _h("max-views", "Serve the file this many times (1 to 1,000,000), then delete it.", False,
       {"type": "string", "pattern": options.MAX_VIEWS_PATTERN}),
    _h("file-password", "The link asks for this password (4 to 128 characters) before it "
       "serves the file.", False,
       {"type": "string", "minLength": 4, "maxLength": 128,
        "pattern": options.PASSWORD_PATTERN}),
    _h("keep-metadata", "true: keep EXIF/GPS, XMP and text metadata of JPEG, PNG and WebP "
       "files (removed by default).", False,
       {"type": "string", "enum": ["true", "false"]}),
    _h("embed-title", "Title chat apps show for the embed page (at most 100 characters).", False,
       {"type": "string", "maxLength": 100, "pattern": options.TEXT_PATTERN}),
    _h("embed-color", "Colour of the embed, #rrggbb.", False,
       {"type": "string", "pattern": "^#?[0-9a-fA-F]{6}$"}),
    _h("embed-description", "Description for the embed page (at most 300 characters).", False,
       {"type": "string", "maxLength": 300, "pattern": options.TEXT_PATTERN}),
    _h("embed", "true: the answer also carries `embed`, the URL of the file's embed page.",
       False, {"type": "string", "enum": ["true", "false"]}),
]  # fmt: skip


@accepts_files
class FilesUploadView(FileHostView):
    ratelimit_scope = ratelimit.UPLOAD
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, *UPLOAD_OPTIONS],
        request={
            "multipart/form-data": inline_serializer(
                "FileHostUpload", {UPLOAD_FIELD: NonEmptyFileField()}
            )
        },
        responses={
            **_json(
                "FileHostUploadUrl",
                {
                    "url": serializers.CharField(),
                    "embed": serializers.CharField(
                        required=False, help_text="Only with the `embed: true` header."
                    ),
                },
                "The new file's URL (and its embed page's, when asked).",
            ),
            **_errors(401, 413, 415),
        },
    )
    def post(self, request: Request) -> Response:
        # Authenticate and refuse an oversized declared body before reading any of it.
        user = _authenticated_user(request)
        try:
            chosen = options.from_headers(request._request)
        except options.OptionError as exc:
            raise ApiError(str(exc), 400) from exc
        reject_oversized_content_length(request)
        if not request.content_type.startswith("multipart/form-data"):
            raise ApiError("Upload the file as multipart/form-data in the uploadFile field.", 415)
        install_limited_handler(request._request)
        upload = request.FILES.get(UPLOAD_FIELD)
        if upload is None:
            raise ApiError("The uploadFile field is required.", 400)
        created = services.upload_create(
            owner=user,
            file=upload,
            client_name=upload.name or "",
            size=upload.size,
            options=chosen,
        )
        return Response(wire.upload_url(created, embed=chosen.want_embed_url))


class FilesDeleteView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, _h("file", "Name of one of your files, e.g. ksjOX5O.png.")],
        request=None,
        responses={**_text('"<name> has been deleted!"'), **_errors(401, 404)},
    )
    def post(self, request: Request) -> HttpResponse:
        user = _authenticated_user(request)
        name = _header(request, "file")
        upload = selectors.upload_get_for_user(user=user, name=name)
        if upload is None:
            # Another user's file looks exactly like a missing one.
            raise ApiError("This file does not exist.", 404)
        services.upload_delete(upload=upload)
        return wire.text(wire.file_deleted(name))


# --- oEmbed -------------------------------------------------------------------------------------
class _JsonOnly(DefaultContentNegotiation):
    """oEmbed's own `format` parameter is not DRF's renderer override (?format=xml would be
    DRF's 404): the answer is always JSON, and the view answers format=xml itself."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _positive_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or int(value[:10]) < 1:
        raise ApiError(f"{name} must be a whole number of pixels, 1 or more.", 400)
    # Past a billion pixels every image fits; int() of thousands of digits would raise.
    return int(value) if len(value) <= 9 else 10**9


OEMBED_PARAMETERS = [
    OpenApiParameter(
        "url",
        {"type": "string", "minLength": 1, "pattern": NO_CONTROL_PATTERN},
        required=True,
        description="A file's embed page (`/e/<name>`) or its file URL.",
    ),
    OpenApiParameter(
        "format",
        {"type": "string", "enum": ["json", "xml"], "default": "json"},
        description="Only json is served; xml answers 501, as the oEmbed spec says.",
    ),
    OpenApiParameter(
        "maxwidth",
        {"type": "integer", "minimum": 1},
        description="A photo wider than this is answered as a link.",
    ),
    OpenApiParameter(
        "maxheight",
        {"type": "integer", "minimum": 1},
        description="A photo taller than this is answered as a link.",
    ),
]


class OEmbedView(FileHostView):
    """oEmbed 1.0 (oembed.com) for the embed pages' discovery link (issue #20)."""

    content_negotiation_class = _JsonOnly

    @extend_schema(
        tags=TAG,
        operation_id="filehost_oembed",
        parameters=OEMBED_PARAMETERS,
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "FileHostOEmbed",
                    {
                        "version": serializers.CharField(),
                        "type": serializers.CharField(help_text='"photo" or "link".'),
                        "title": serializers.CharField(),
                        "provider_name": serializers.CharField(),
                        "provider_url": serializers.CharField(),
                        "url": serializers.CharField(
                            required=False, help_text="The image (type photo only)."
                        ),
                        "width": serializers.IntegerField(required=False),
                        "height": serializers.IntegerField(required=False),
                        "cache_age": serializers.IntegerField(
                            required=False, help_text="Seconds until the file expires."
                        ),
                    },
                ),
                description="A photo for a shown image of known size, else a link. Videos, "
                "password-protected and view-limited files are links (no file URL).",
            ),
            **{
                status: OpenApiResponse(ErrorSerializer, description=meaning)
                for status, meaning in (
                    (400, "url is missing or a parameter is not valid."),
                    (404, "Not a file of this site, or the file is gone (expired, deleted)."),
                    (429, ERROR_MEANINGS[429]),
                    (501, "format=xml: only JSON is served."),
                )
            },
        },
    )
    def get(self, request: Request) -> HttpResponse:
        url = request.query_params.get("url", "")
        if not url:
            raise ApiError("The url parameter is required.", 400)
        if any(ord(char) < 32 or ord(char) == 127 for char in url):
            raise ApiError("The url parameter must not contain control characters.", 400)
        answer_format = request.query_params.get("format", "json")
        if answer_format == "xml":
            answer = error_response(501, "Only format=json is available.")
            # The answer the oEmbed spec asks for, not a server fault: Django would log every
            # 5xx at ERROR (django.request), paging whoever watches the logs.
            answer._has_been_logged = True  # type: ignore[attr-defined]
            return answer
        if answer_format != "json":
            raise ApiError("format must be json.", 400)
        max_width = _positive_int(request, "maxwidth")
        max_height = _positive_int(request, "maxheight")
        upload = embeds.upload_from_url(url)
        if upload is None:
            raise ApiError("No file of this site has this URL.", 404)
        return Response(wire.oembed(upload, max_width=max_width, max_height=max_height))


# --- admin --------------------------------------------------------------------------------------
class AdminSignupView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[NEW_USERNAME, NEW_PASSWORD, _h("adminkey", "The instance's ADMIN_KEY.")],
        request=None,
        responses={**_text('"Success!"'), **_errors(403, 409)},
    )
    def post(self, request: Request) -> HttpResponse:
        username = _header(request, "username")
        password = _header(request, "password")
        adminkey = _header(request, "adminkey")
        # Guessing the admin key is throttled like guessing a password.
        _attempt(request, ADMIN_KEY_SUBJECT)
        services.admin_signup(username=username, password=password, adminkey=adminkey)
        return wire.text(wire.SUCCESS)


class AdminRegkeyGenView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={
            **_json("FileHostRegkey", {"regkey": serializers.CharField()}, "A new key."),
            **_errors(401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        staff = _staff_user(request, *permissions.REGKEY_ADD)
        (key,) = services.regkey_generate(created_by=staff, count=1)
        return Response({"regkey": key}, headers=NO_STORE)


class AdminTokenValidView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN],
        request=None,
        responses={**_text('"This token is valid!"'), **_errors(401, 403)},
    )
    def post(self, request: Request) -> HttpResponse:
        _staff_user(request)
        return wire.text(wire.TOKEN_VALID)


class AdminTokenGetView(FileHostView):
    ratelimit_scope = ratelimit.AUTH  # takes a password (seed 004)

    @extend_schema(
        tags=TAG,
        parameters=[USERNAME, PASSWORD],
        request=None,
        responses={
            **_json("FileHostAdminToken", TOKEN_BODY, "The admin's token."),
            **_errors(401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        user = _password_user(request)
        if not user.is_staff:
            raise ApiError("This account is not an admin.", 403)
        _, value = services.filehost_token_for(user=user)
        return Response({"token": value}, headers=NO_STORE)


QUERY = _h(
    "query",
    'The EXACT name to look for, or " " for everything.',
    schema={"type": "string", "pattern": NO_CONTROL_PATTERN},
)


class AdminListUploadsView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, QUERY],
        request=None,
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "FileHostAdminUpload",
                    {"file": serializers.CharField(), "username": serializers.CharField()},
                    many=True,
                ),
                description="Files with their owners.",
            ),
            **_errors(401, 403),
        },
    )
    def post(self, request: Request) -> Response:
        _staff_user(request, *permissions.UPLOAD_VIEW)
        query = _query(request)
        rows = selectors.admin_upload_list(query=query)
        return Response([wire.admin_upload_row(upload) for upload in rows])


class AdminListUsersView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, QUERY],
        request=None,
        responses={200: OpenApiResponse(NAME_LIST, description="Usernames."), **_errors(401, 403)},
    )
    def post(self, request: Request) -> Response:
        _staff_user(request, *permissions.USER_VIEW)
        users = selectors.admin_user_list(query=_query(request))
        return Response(list(users.values_list("username", flat=True)))


def _query(request: Request) -> str:
    # Seed 004: set query to " " to list everything, so a blank value is meaningful here.
    query = request.headers.get("query")
    if query is None:
        raise ApiError("The query header is required.", 400)
    query = _utf8(query)
    if any(ord(char) < 32 or ord(char) == 127 for char in query):
        # Like every other header (_header); a NUL would also fail the query on PostgreSQL.
        raise ApiError("The query header must not contain control characters.", 400)
    return query


class AdminDeleteFileView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, _h("file", "The file's name.")],
        request=None,
        responses={**_text('"<name> has been deleted!"'), **_errors(401, 403, 404)},
    )
    def post(self, request: Request) -> HttpResponse:
        _staff_user(request, *permissions.UPLOAD_DELETE)
        name = _header(request, "file")
        upload = selectors.upload_get_by_name(name=name)
        if upload is None:
            raise ApiError("This file does not exist.", 404)
        services.upload_delete(upload=upload)
        return wire.text(wire.file_deleted(name))


class AdminDeleteUserView(FileHostView):
    @extend_schema(
        tags=TAG,
        parameters=[TOKEN, _h("username", "The user to delete with all their files.")],
        request=None,
        responses={**_text('"This user has been deleted"'), **_errors(401, 403, 404)},
    )
    def post(self, request: Request) -> HttpResponse:
        staff = _staff_user(request, *permissions.USER_DELETE)
        username = _header(request, "username")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ApiError("This user does not exist.", 404)
        if not user.can_be_managed_by(staff):
            raise ApiError("Only a superuser can delete a superuser.", 403)
        services.user_delete_with_files(user=user)
        return wire.text(wire.USER_DELETED)


@extend_schema(exclude=True)
class NotFoundView(FileHostView):
    """Any other path below /api/: a 404 that is counted and carries the headers like every
    API answer (seed 003)."""

    def http_method_not_allowed(
        self, request: HttpRequest | Request, *args: object, **kwargs: object
    ) -> NoReturn:
        raise Http404

    options = http_method_not_allowed
