"""Protocol proof: botocore's own `eks-auth` client against the emulator.

Usage: python3 botocore_eks_auth.py ENDPOINT_URL GOOD_TOKEN BAD_TOKEN
Prints one JSON line per check: {"check": NAME, "ok": bool, ...details}. Exit status 0 when every check passed.
"""

import datetime
import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def client(endpoint, secret=SECRET_ACCESS_KEY):
    return botocore.session.get_session().create_client(
        "eks-auth",
        region_name="us-west-2",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=secret,
        # One attempt: a retry would hide which answer the emulator gave.
        config=Config(retries={"total_max_attempts": 1}),
    )


def report(check, ok, **details):
    print(json.dumps({"check": check, "ok": bool(ok), **details}, default=str), flush=True)
    return bool(ok)


def check_success(endpoint, token):
    out = client(endpoint).assume_role_for_pod_identity(clusterName="my-cluster", token=token)
    creds = out["credentials"]
    expiration = creds["expiration"]
    ok = (
        isinstance(expiration, datetime.datetime)
        and expiration.tzinfo is not None
        and expiration > datetime.datetime.now(datetime.timezone.utc)
        and creds["accessKeyId"].startswith("ASIA")
        and len(creds["secretAccessKey"]) == 40
        and len(creds["sessionToken"]) > 100
        and out["subject"] == {"namespace": "default", "serviceAccount": "botocore-sa"}
        and out["audience"] == "pods.eks.amazonaws.com"
        and out["assumedRoleUser"]["arn"].startswith(
            "arn:aws:sts::111122223333:assumed-role/eks-pod-identity-default-botocore-sa/eks-my-cluster-"
        )
        and out["podIdentityAssociation"]["associationId"].startswith("a-")
        and out["ResponseMetadata"]["HTTPStatusCode"] == 200
        and len(out["ResponseMetadata"]["RequestId"]) > 0
    )
    return report(
        "success",
        ok,
        expirationType=type(expiration).__name__,
        accessKeyPrefix=creds["accessKeyId"][:4],
        roleArn=out["assumedRoleUser"]["arn"].split("/")[1],
    )


def check_error(name, endpoint, token, secret, want_code, want_status):
    try:
        client(endpoint, secret).assume_role_for_pod_identity(clusterName="my-cluster", token=token)
    except ClientError as err:
        code = err.response["Error"]["Code"]
        status = err.response["ResponseMetadata"]["HTTPStatusCode"]
        return report(name, code == want_code and status == want_status, code=code, status=status)
    return report(name, False, code=None, status=200)


def main():
    endpoint, good_token, bad_token = sys.argv[1:4]
    results = [
        check_success(endpoint, good_token),
        check_error("bad-signature", endpoint, good_token, "not-the-secret-key", "InvalidSignatureException", 403),
        check_error("bad-token", endpoint, bad_token, SECRET_ACCESS_KEY, "InvalidTokenException", 400),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
