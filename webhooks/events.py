"""The events a webhook can subscribe to, in one place.

Catalog events go to webhooks registered for an approved API application (any catalog change,
whoever made it); file-host and account events go to the webhooks of the user they concern.
`ping` is what "Send test event" sends; nobody subscribes to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    catalog: bool = False  # needs a webhook of an approved API application


IMAGE_CREATED = "image.created"
IMAGE_UPDATED = "image.updated"
IMAGE_DELETED = "image.deleted"
UPLOAD_CREATED = "upload.created"
UPLOAD_DELETED = "upload.deleted"
APPLICATION_APPROVED = "application.approved"
APPLICATION_REJECTED = "application.rejected"
SUBMISSION_APPROVED = "submission.approved"
SUBMISSION_REJECTED = "submission.rejected"
PING = "ping"

TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType(IMAGE_CREATED, "A catalog image was added.", catalog=True),
        EventType(IMAGE_UPDATED, "A catalog image's rating or details changed.", catalog=True),
        EventType(IMAGE_DELETED, "A catalog image was deleted.", catalog=True),
        EventType(UPLOAD_CREATED, "You uploaded a file."),
        EventType(UPLOAD_DELETED, "One of your files was deleted."),
        EventType(APPLICATION_APPROVED, "Staff approved one of your API applications."),
        EventType(APPLICATION_REJECTED, "Staff rejected one of your API applications."),
        EventType(SUBMISSION_APPROVED, "Staff approved an image you submitted."),
        EventType(SUBMISSION_REJECTED, "Staff rejected an image you submitted (with why)."),
    )
}


def choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {event.description}") for name, event in TYPES.items()]


def is_catalog(name: str) -> bool:
    event = TYPES.get(name)
    return event is not None and event.catalog
