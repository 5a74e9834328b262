"""The SageMaker Python SDK's uploads against Ferry's S3 listener.

Run by TestPyPISageMakerUploads with AWS_ENDPOINT_URL set; prints "ok".
The bucket is given (default_bucket=...): the SDK asks STS for the account
at its regional endpoint explicitly, not at AWS_ENDPOINT_URL.
"""
import os
import sys
import tarfile
import tempfile

import boto3
import sagemaker
from sagemaker.fw_utils import tar_and_upload_dir
from sagemaker.s3 import S3Downloader, S3Uploader


def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)


bucket = "sagemaker-us-east-1-" + os.environ["WANT_ACCOUNT"]
sess = sagemaker.Session(boto_session=boto3.Session(), default_bucket=bucket)
check(sess.default_bucket() == bucket, "default bucket")

work = tempfile.mkdtemp()
src = os.path.join(work, "code")
os.makedirs(src)
with open(os.path.join(src, "preprocessing.py"), "w") as f:
    f.write("print('preprocess')\n")
with open(os.path.join(src, "helpers.py"), "w") as f:
    f.write("X = 1\n")
data = os.path.join(work, "claims.csv")
with open(data, "w") as f:
    f.write("claim_id,amount\n1,10\n")

uri = sess.upload_data(data, bucket=bucket, key_prefix="auto-claims/raw")
check(uri == f"s3://{bucket}/auto-claims/raw/claims.csv", f"upload_data {uri}")
uri = S3Uploader.upload(os.path.join(src, "preprocessing.py"), f"s3://{bucket}/auto-claims/code", sagemaker_session=sess)
check(uri.endswith("/auto-claims/code/preprocessing.py"), f"S3Uploader {uri}")

up = tar_and_upload_dir(sess.boto_session, bucket, "auto-claims/train", "preprocessing.py", directory=src)
check(up.s3_prefix == f"s3://{bucket}/auto-claims/train/sourcedir.tar.gz", f"sourcedir {up.s3_prefix}")
got = os.path.join(work, "got")
S3Downloader.download(up.s3_prefix, got, sagemaker_session=sess)
with tarfile.open(os.path.join(got, "sourcedir.tar.gz")) as t:
    names = sorted(t.getnames())
check(names == ["helpers.py", "preprocessing.py"], f"sourcedir.tar.gz holds {names}")
check(sorted(S3Downloader.list(f"s3://{bucket}/auto-claims/", sagemaker_session=sess)) == [
    f"s3://{bucket}/auto-claims/code/preprocessing.py",
    f"s3://{bucket}/auto-claims/raw/claims.csv",
    f"s3://{bucket}/auto-claims/train/sourcedir.tar.gz",
], "S3Downloader.list")
check(S3Downloader.read_file(f"s3://{bucket}/auto-claims/raw/claims.csv", sagemaker_session=sess).startswith("claim_id"), "read_file")
print("ok")
