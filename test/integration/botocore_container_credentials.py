"""Loads credentials through botocore's own container provider, the way the AWS CLI and boto3 do in a pod.

Reads AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE from the environment.
Prints one JSON line: {"ok": true, "accessKeyId": ..., "expiry": ...} or {"ok": false, "error": <class>, "message": ...}.
"""
import json
import os
import sys

from botocore.credentials import ContainerProvider


def main() -> int:
    try:
        creds = ContainerProvider(environ=dict(os.environ)).load()
        if creds is None:
            print(json.dumps({"ok": False, "error": "NoCredentials", "message": "provider returned nothing"}))
            return 0
        frozen = creds.get_frozen_credentials()
        expiry = creds._expiry_time  # a timezone-aware datetime parsed by botocore
        print(json.dumps({
            "ok": True,
            "accessKeyId": frozen.access_key,
            "hasSecret": bool(frozen.secret_key),
            "hasToken": bool(frozen.token),
            "accountId": getattr(frozen, "account_id", None),
            "expiry": expiry.isoformat(),
            "expiryHasZone": expiry.tzinfo is not None,
        }))
    except Exception as exc:  # the test asserts on what botocore raised
        print(json.dumps({"ok": False, "error": type(exc).__name__, "message": str(exc)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
