"""A stand-in for lambda_deployer.py while Ferry has no SageMaker API
(CreateModel, CreateEndpointConfig, CreateEndpoint): it checks the deploy
event that LambdaStepRealTimeDeploy sends and records it, with boto3, as
s3://fraud-demo/fraud-detect-demo/deploy-requests/<endpoint_name>.json in
Ferry's object namespace (the job's AWS_ENDPOINT_URL). Deploy the registered
package from there with `ferry endpoints deploy`.
"""
import json
import os

import boto3

KEYS = ["model_name", "endpoint_config_name", "endpoint_name", "model_package_arn", "role", "instance_type",
        "instance_count"]
DEST = os.environ.get("FRAUD_DEPLOY_REQUESTS", "s3://fraud-demo/fraud-detect-demo/deploy-requests")


def lambda_handler(event, context):
    missing = [k for k in KEYS if not event.get(k)]
    if missing:
        raise ValueError("deploy event lacks %s" % ", ".join(missing))
    if int(event["instance_count"]) < 1:
        raise ValueError("instance_count %r" % event["instance_count"])
    bucket, _, prefix = DEST[len("s3://"):].partition("/")
    key = "%s/%s.json" % (prefix, event["endpoint_name"])
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(event, sort_keys=True).encode(),
                                  ContentType="application/json")
    return {"statusCode": 200, "body": "recorded s3://%s/%s" % (bucket, key)}
