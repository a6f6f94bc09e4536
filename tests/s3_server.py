"""A local S3 server for the tests: moto (https://github.com/getmoto/moto) on 127.0.0.1,
with buckets and objects made before it answers the caller.

Run with a Python that has moto and boto3 (the caller finds one: tests/integration/s3_cases.py):
  s3_server.py [--auth] [--upload BUCKET/KEY=PATH[:public]]... [--bucket NAME]... [--parent-stdin]
It prints one JSON line, {"endpoint": "http://127.0.0.1:PORT", "key": ..., "secret": ...},
once everything is uploaded, then serves until killed (or, with --parent-stdin, until its
standard input closes: it never outlives the test).

--auth: requests must be signed (SigV4) with the printed key and secret; a wrong secret is
403 SignatureDoesNotMatch, as on AWS. Without it, the server checks no signature, and an
object uploaded with ":public" (ACL public-read) is readable anonymously while the others
answer anonymous requests 403 AccessDenied: "anon" must send no signature to read them.
"""
import argparse
import json
import os
import sys
import threading

AUTH_SETUP_ACTIONS = 3  # create_user, put_user_policy, create_access_key: unsigned, then auth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auth", action="store_true")
    ap.add_argument("--upload", action="append", default=[])
    ap.add_argument("--bucket", action="append", default=[])
    ap.add_argument("--parent-stdin", action="store_true")
    a = ap.parse_args()
    if a.auth:  # read by moto.settings at import
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(AUTH_SETUP_ACTIONS)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port
    endpoint = f"http://127.0.0.1:{port}"
    key, secret = "AKIDEXAMPLETESTKEY01", "testsecret"
    if a.auth:
        iam = boto3.client("iam", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="x")
        iam.create_user(UserName="tester")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="tester", PolicyName="all", PolicyDocument=json.dumps(policy))
        created = iam.create_access_key(UserName="tester")["AccessKey"]
        key, secret = created["AccessKeyId"], created["SecretAccessKey"]
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret)
    buckets = set()
    for name in a.bucket:
        s3.create_bucket(Bucket=name)
        buckets.add(name)
    for spec in a.upload:
        target, path = spec.split("=", 1)
        public = path.endswith(":public")
        path = path[:-len(":public")] if public else path
        bucket, object_key = target.split("/", 1)
        if bucket not in buckets:
            s3.create_bucket(Bucket=bucket)
            buckets.add(bucket)
        with open(path, "rb") as f:
            extra = {"ACL": "public-read"} if public else {}
            s3.put_object(Bucket=bucket, Key=object_key, Body=f.read(), **extra)
    print(json.dumps({"endpoint": endpoint, "key": key, "secret": secret}), flush=True)
    if a.parent_stdin:
        sys.stdin.read()
    else:
        threading.Event().wait()
    server.stop()


if __name__ == "__main__":
    main()
