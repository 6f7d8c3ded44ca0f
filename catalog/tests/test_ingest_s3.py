"""image_ingest and the thumbnail view against a real S3-speaking server (moto in server mode)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from catalog.models import Category, catalog_storage
from catalog.tests.factories import image_bytes, ingest_image
from nekosite.lib.imagemeta import ImageRejected
from tests.responses import streamed_body
from tests.servers import s3_client, s3_storage_options

pytestmark = [pytest.mark.s3, pytest.mark.django_db]
BUCKET = "nekosite-catalog-test"


@pytest.fixture
def s3_catalog(settings, moto_endpoint: str) -> Iterator[None]:
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "catalog": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(moto_endpoint, BUCKET, "catalog"),
        },
    }
    yield
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


def _keys() -> set[str]:
    storage = catalog_storage()
    return {f"images/{n}" for n in storage.listdir("images")[1]} | {
        f"thumbs/{n}" for n in storage.listdir("thumbs")[1]
    }


def test_ingest_stores_file_and_thumbnail_in_s3(s3_catalog, client: Client) -> None:
    data = image_bytes("JPEG", size=(800, 600))
    image = ingest_image(data=data)
    storage = catalog_storage()
    assert storage.__class__.__name__ == "S3Storage"
    with storage.open(image.file.name, "rb") as handle:
        assert handle.read() == data
    assert _keys() == {image.file.name, image.thumbnail.name}
    response = client.get(f"/thumbs/{image.pk}.webp")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert streamed_body(response)[:4] == b"RIFF"


def test_failed_ingest_leaves_no_object_in_s3(s3_catalog) -> None:
    # Fails after both objects were uploaded: linking an unsaved category.
    with pytest.raises(ValueError):
        ingest_image(categories=[Category(name="unsaved")])
    with pytest.raises(ImageRejected):
        ingest_image(data=b"not an image")
    assert _keys() == set()
