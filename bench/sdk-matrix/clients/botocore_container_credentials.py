"""SDK matrix driver: botocore's own ContainerProvider (the AWS CLI's and boto3's), one thread per pod.

Job on stdin: {"url": ..., "tokenFiles": [...]}; prints one JSON array of {"ok", "ms", "error"?}, one per pod,
times in milliseconds from the common start. Each provider gets the pod's environment as its own dict.
"""
import json
import sys
import threading
import time

from botocore.credentials import ContainerProvider


def load(url, token_file, start, out, i):
    try:
        creds = ContainerProvider(environ={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file,
        }).load()
        if creds is None or not creds.get_frozen_credentials().access_key:
            raise RuntimeError("provider returned no credentials")
        out[i] = {"ok": True, "ms": (time.monotonic() - start) * 1000}
    except Exception as exc:  # the matrix reports what botocore raised
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        out[i] = {"ok": False, "ms": (time.monotonic() - start) * 1000, "error": text}


def main():
    job = json.load(sys.stdin)
    files = job["tokenFiles"]
    out = [None] * len(files)
    start = time.monotonic()
    threads = [threading.Thread(target=load, args=(job["url"], f, start, out, i)) for i, f in enumerate(files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
