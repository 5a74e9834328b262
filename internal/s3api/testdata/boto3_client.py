"""boto3, s3fs and pandas against Ferry's S3 and STS listener.

Run by TestPyPIBoto3 (internal/s3api/pypi_test.go) with AWS_ENDPOINT_URL
pointing at the listener; prints "ok" when every check passed.
"""
import io
import os
import sys

import boto3
import pandas as pd
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError


def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)


s3 = boto3.client("s3")
sts = boto3.client("sts")

ident = sts.get_caller_identity()
check(ident["Account"] == os.environ["WANT_ACCOUNT"], f"sts account {ident}")

s3.create_bucket(Bucket="claims-data")
s3.head_bucket(Bucket="claims-data")
check("claims-data" in [b["Name"] for b in s3.list_buckets()["Buckets"]], "list_buckets")

csv = b"claim_id,amount,fraud\n1,100.5,0\n2,2500,1\n3,40,0\n"
s3.put_object(Bucket="claims-data", Key="raw/claims.csv", Body=csv,
              ContentType="text/csv", Metadata={"source": "tutorial"})
got = s3.get_object(Bucket="claims-data", Key="raw/claims.csv")
check(got["Body"].read() == csv, "get_object body")
head = s3.head_object(Bucket="claims-data", Key="raw/claims.csv")
check(head["ContentLength"] == len(csv), "head size")
check(head["ContentType"] == "text/csv", f"head content type {head['ContentType']}")
check(head["Metadata"] == {"source": "tutorial"}, f"head metadata {head['Metadata']}")
rng = s3.get_object(Bucket="claims-data", Key="raw/claims.csv", Range="bytes=6-11")
check(rng["Body"].read() == csv[6:12], "range get")
check(rng["ContentRange"] == f"bytes 6-11/{len(csv)}", f"content range {rng.get('ContentRange')}")

try:
    s3.head_object(Bucket="claims-data", Key="nope.csv")
    check(False, "head of a missing key succeeded")
except ClientError as e:
    check(e.response["Error"]["Code"] in ("404", "NoSuchKey"), f"missing key error {e.response['Error']}")
try:
    s3.get_object(Bucket="claims-data", Key="nope.csv")
    check(False, "get of a missing key succeeded")
except s3.exceptions.NoSuchKey:
    pass

for i in range(7):
    s3.put_object(Bucket="claims-data", Key=f"parts/p{i}/data.csv", Body=b"x\n")
s3.put_object(Bucket="claims-data", Key="parts/top.csv", Body=b"x\n")
pages = s3.get_paginator("list_objects_v2").paginate(
    Bucket="claims-data", Prefix="parts/", Delimiter="/", PaginationConfig={"PageSize": 3})
prefixes, keys, npages = [], [], 0
for page in pages:
    npages += 1
    prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    keys += [o["Key"] for o in page.get("Contents", [])]
check(sorted(prefixes) == [f"parts/p{i}/" for i in range(7)], f"prefixes {prefixes}")
check(keys == ["parts/top.csv"], f"keys {keys}")
check(npages == 3, f"{npages} pages of 3, want 3")
flat = s3.get_paginator("list_objects_v2").paginate(
    Bucket="claims-data", Prefix="parts/", PaginationConfig={"PageSize": 2})
check(sum(len(p.get("Contents", [])) for p in flat) == 8, "recursive pagination")

odd = "odd/a+b c%20d=é.csv"
s3.put_object(Bucket="claims-data", Key=odd, Body=b"1\n")
listed = [o["Key"] for o in s3.list_objects_v2(Bucket="claims-data", Prefix="odd/")["Contents"]]
check(listed == [odd], f"odd key listed as {listed}")
check(s3.get_object(Bucket="claims-data", Key=odd)["Body"].read() == b"1\n", "odd key get")
s3.copy_object(Bucket="claims-data", Key="odd/copy", CopySource={"Bucket": "claims-data", "Key": odd})
check(s3.head_object(Bucket="claims-data", Key="odd/copy")["ContentLength"] == 2, "odd key copy")

s3.copy_object(Bucket="claims-data", Key="copy/claims.csv",
               CopySource={"Bucket": "claims-data", "Key": "raw/claims.csv"})
check(s3.get_object(Bucket="claims-data", Key="copy/claims.csv")["Body"].read() == csv, "copy")
s3.delete_object(Bucket="claims-data", Key="copy/claims.csv")
res = s3.delete_objects(Bucket="claims-data", Delete={
    "Objects": [{"Key": f"parts/p{i}/data.csv"} for i in range(7)]})
check(len(res.get("Deleted", [])) == 7, f"delete_objects {res}")

big = os.urandom(12 * 1024 * 1024 + 17)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(big), "claims-data", "big/blob.bin", Config=cfg)
head = s3.head_object(Bucket="claims-data", Key="big/blob.bin")
check(head["ETag"].endswith('-3"'), f"multipart etag {head['ETag']}")
buf = io.BytesIO()
s3.download_fileobj("claims-data", "big/blob.bin", buf, Config=cfg)
check(buf.getvalue() == big, "multipart round trip")

up = s3.create_multipart_upload(Bucket="claims-data", Key="big/explicit.bin")
p1 = s3.upload_part(Bucket="claims-data", Key="big/explicit.bin", UploadId=up["UploadId"],
                    PartNumber=1, Body=big[: 5 * 1024 * 1024])
p2 = s3.upload_part(Bucket="claims-data", Key="big/explicit.bin", UploadId=up["UploadId"],
                    PartNumber=2, Body=b"tail")
parts = s3.list_parts(Bucket="claims-data", Key="big/explicit.bin", UploadId=up["UploadId"])
check([p["PartNumber"] for p in parts["Parts"]] == [1, 2], f"list_parts {parts}")
s3.complete_multipart_upload(Bucket="claims-data", Key="big/explicit.bin", UploadId=up["UploadId"],
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                                        {"PartNumber": 2, "ETag": p2["ETag"]}]})
body = s3.get_object(Bucket="claims-data", Key="big/explicit.bin")["Body"].read()
check(body == big[: 5 * 1024 * 1024] + b"tail", "explicit multipart")

df = pd.read_csv("s3://claims-data/raw/claims.csv")
check(list(df.columns) == ["claim_id", "amount", "fraud"] and len(df) == 3, f"read_csv {df}")
df.to_csv("s3://claims-data/out/written.csv", index=False)
check(pd.read_csv("s3://claims-data/out/written.csv").equals(df), "to_csv round trip")
print("ok")
