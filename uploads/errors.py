"""Errors of the file host that a client (API or dashboard) should see.

They are ApiErrors, so the API renders them in the one envelope; dashboards show `.message`.
"""

from __future__ import annotations

from nekosite.lib.errors import ApiError


class FileTooLarge(ApiError):
    def __init__(self, max_mb: int) -> None:
        super().__init__(f"The file is larger than the {max_mb} MB upload limit.", 413)


class QuotaExceeded(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 413)


class BlockedFileType(ApiError):
    def __init__(self, extension: str) -> None:
        super().__init__(f"Files of type .{extension} are not accepted.", 415)


class EmptyFile(ApiError):
    def __init__(self) -> None:
        super().__init__("The file is empty.", 400)


class UsernameTaken(ApiError):
    def __init__(self) -> None:
        super().__init__("This username is already taken.", 409)


class InvalidRegistrationKey(ApiError):
    def __init__(self) -> None:
        super().__init__("This registration key is not valid or has already been used.", 403)


class InvalidInput(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 400)


class AdminRegistrationClosed(ApiError):
    def __init__(self) -> None:
        super().__init__("Admin registration is disabled on this instance.", 403)


class InvalidAdminKey(ApiError):
    def __init__(self) -> None:
        super().__init__("The admin key is not valid.", 403)


class DamagedImage(ApiError):
    def __init__(self, content_type: str) -> None:
        kind = content_type.split("/")[-1].upper()
        super().__init__(
            f"The {kind} file is damaged, so its metadata (EXIF, GPS) cannot be removed. "
            "Send it again with keep-metadata: true to store it as it is.",
            400,
        )
