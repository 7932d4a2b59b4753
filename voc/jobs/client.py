"""A small HTTP client for `voc jobs ...` (stdlib only): submit, status, results, stop, list.

Every request carries the API key given (`Authorization: Bearer`), when one is.

Files are uploaded as a streamed multipart body (never read into memory whole).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

BLOCK = 1 << 16


class ServiceError(RuntimeError):
    """The service answered with an error (its code and message), or could not be reached."""


class JobsClient:
    def __init__(self, base_url: str, *, api_key: str = "", timeout: float = 600) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _open(self, method: str, path: str, *, body: Any = None, headers=None) -> IO[bytes]:
        headers = dict(headers or {})
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            return urlopen(request, timeout=self.timeout)
        except HTTPError as err:
            try:
                error = json.loads(err.read())["error"]
                message = f"{err.code} {error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                message = f"HTTP {err.code}"
            raise ServiceError(message) from err
        except URLError as err:
            raise ServiceError(f"cannot reach {self.base_url}: {err.reason}") from err

    def _json(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        with self._open(method, path, **kwargs) as response:
            return json.loads(response.read())

    def submit_file(
        self, path: Path, form: Mapping[str, str], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        boundary = uuid.uuid4().hex
        disposition = f"--{boundary}\r\nContent-Disposition: form-data; name="
        head = b"".join(
            f'{disposition}"{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in form.items()
            if value
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + path.stat().st_size + len(tail)),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key

        def body() -> Iterator[bytes]:
            yield head
            with path.open("rb") as stream:
                while block := stream.read(BLOCK):
                    yield block
            yield tail

        return self._json("POST", "/v1/jobs", body=body(), headers=headers)

    def submit_documents(
        self, payload: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self._json("POST", "/v1/jobs", body=json.dumps(payload).encode(), headers=headers)

    def status(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{job_id}")

    def stop(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"/v1/jobs/{job_id}/stop")

    def delete(self, job_id: str) -> dict[str, Any]:
        return self._json("DELETE", f"/v1/jobs/{job_id}")

    def erase(self, customer_id: str) -> dict[str, Any]:
        body = json.dumps({"customer_id": customer_id}).encode()
        return self._json(
            "POST", "/v1/erasure", body=body, headers={"Content-Type": "application/json"}
        )

    def list(self, *, status: str | None = None, limit: int = 50) -> dict[str, Any]:
        query = f"?limit={limit}" + (f"&status={status}" if status else "")
        return self._json("GET", f"/v1/jobs{query}")

    def results(self, job_id: str, *, fmt: str = "jsonl") -> Iterator[bytes]:
        """The results body, block by block, as the service streams it."""
        with self._open("GET", f"/v1/jobs/{job_id}/results?format={fmt}") as response:
            while block := response.read(BLOCK):
                yield block
