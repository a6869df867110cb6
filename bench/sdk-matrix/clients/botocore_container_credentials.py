"""SDK matrix driver: botocore's own ContainerProvider (the AWS CLI's and boto3's), one thread per pod.

Job on stdin: {"url": ..., "tokenFiles": [...], "addresses": [...]}; prints one JSON array of
{"ok", "ms", "error"?}, one per pod, times in milliseconds from the common start. Each provider gets the pod's
environment as its own dict, and sends from the pod's own source address (as pods on a node do: the agent's
fairness key) through the fetcher's own session class with urllib3's source_address added to its pool; the
fetcher's timeouts, attempts and sleeps stay botocore's.
"""
import json
import sys
import threading
import time

from botocore.credentials import ContainerProvider
from botocore.httpsession import URLLib3Session
from botocore.utils import ContainerMetadataFetcher


class PodSession(URLLib3Session):
    """URLLib3Session whose connections are bound to the pod's source address."""

    def __init__(self, address, **kwargs):
        self._pod_address = address
        super().__init__(**kwargs)

    def _get_pool_manager_kwargs(self, **extra_kwargs):
        kwargs = super()._get_pool_manager_kwargs(**extra_kwargs)
        if self._pod_address:
            kwargs["source_address"] = (self._pod_address, 0)
        return kwargs


def fetcher(address):
    return ContainerMetadataFetcher(session=PodSession(address, timeout=ContainerMetadataFetcher.TIMEOUT_SECONDS))


def load(url, token_file, address, start, out, i):
    try:
        creds = ContainerProvider(environ={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file,
        }, fetcher=fetcher(address)).load()
        if creds is None or not creds.get_frozen_credentials().access_key:
            raise RuntimeError("provider returned no credentials")
        out[i] = {"ok": True, "ms": (time.monotonic() - start) * 1000}
    except Exception as exc:  # the matrix reports what botocore raised
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        out[i] = {"ok": False, "ms": (time.monotonic() - start) * 1000, "error": text}


def main():
    job = json.load(sys.stdin)
    files = job["tokenFiles"]
    addresses = job.get("addresses") or [None] * len(files)
    out = [None] * len(files)
    start = time.monotonic()
    threads = [
        threading.Thread(target=load, args=(job["url"], f, addresses[i], start, out, i)) for i, f in enumerate(files)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
