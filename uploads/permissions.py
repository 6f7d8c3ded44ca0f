"""Which Django permission each file-host admin operation needs, the same as in the Django admin.

The nekos.cafe admin API (seed 004) only knows "admin"; we map each of its endpoints onto the
permission the matching Django admin action demands, so a staff account can do through the API
exactly what it could do in /admin/, and no more.
"""

from __future__ import annotations

REGKEY_ADD = ("uploads.add_registrationkey",)
USER_VIEW = ("accounts.view_user",)
UPLOAD_VIEW = ("uploads.view_upload",)
UPLOAD_DELETE = ("uploads.delete_upload",)
# The admin's delete page also wants delete permission on every row that goes with the user
# (Django's get_deleted_objects): their uploads, tokens and applications.
USER_DELETE = (
    "accounts.delete_user",
    "uploads.delete_upload",
    "accounts.delete_token",
    "accounts.delete_apiapplication",
)

# ADMIN_KEY sign-ups join this group: what the file-host admin API needs, nothing more.
MODERATORS_GROUP = "File-host moderators"
MODERATOR_PERMISSIONS = tuple(sorted({*REGKEY_ADD, *USER_VIEW, *UPLOAD_VIEW, *USER_DELETE}))
