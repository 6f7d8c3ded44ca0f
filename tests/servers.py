"""Real server processes for tests: free loopback ports and an S3-speaking moto server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
        region_name=S3_CREDENTIALS["region_name"],
    )


def s3_storage_options(endpoint: str, bucket: str, location: str) -> dict[str, Any]:
    """django-storages S3Storage OPTIONS for the moto server (SigV4, like production)."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        **S3_CREDENTIALS,
        "signature_version": "s3v4",
        "location": location,
        "file_overwrite": False,
        "default_acl": None,
    }
