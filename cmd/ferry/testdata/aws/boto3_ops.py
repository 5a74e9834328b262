"""Calls every supported AWS operation through boto3 against a Ferry
server (AWS_ENDPOINT_URL, keys and region in the environment) over a
quickstart home: each response is parsed by botocore itself. Prints OK."""
import json
import os
import sys
import time

import boto3
import botocore.exceptions
from botocore.config import Config

ROWS = open(sys.argv[1]).read().splitlines()[:3]
ENDPOINT = "fraud-detect-xgb-pipeline-endpoint"
GROUP = "fraud-detect-xgb-model-group"
cfg = Config(retries={"max_attempts": 1})
sm = boto3.client("sagemaker", config=cfg)
rt = boto3.client("sagemaker-runtime", config=cfg)
s3 = boto3.client("s3", config=cfg)
sts = boto3.client("sts", config=cfg)


def expect_error(code, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        msg = e.response["Error"].get("Message", "")
        assert got == code, (got, code, msg)
        assert msg, "no message for " + code
        return e
    raise AssertionError("no error; want " + code)


# STS and S3
assert sts.get_caller_identity()["Account"] == "000000000000"
s3.create_bucket(Bucket="claims")
s3.put_object(Bucket="claims", Key="raw/rows.csv", Body="\n".join(ROWS).encode())
assert [o["Key"] for o in s3.list_objects_v2(Bucket="claims")["Contents"]] == ["raw/rows.csv"]
assert s3.get_object(Bucket="claims", Key="raw/rows.csv")["Body"].read().decode().startswith(ROWS[0])

# Pipelines
definition = {
    "Version": "2020-12-01", "Metadata": {},
    "Parameters": [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}],
    "Steps": [{"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Threshold"}, "RightValue": 0.3}],
        "IfSteps": [], "ElseSteps": [{"Name": "TooLow", "Type": "Fail", "Arguments": {"ErrorMessage": "threshold too low"}}]}}],
}
role = "arn:aws:iam::000000000000:role/FerryRole"
arn = sm.create_pipeline(PipelineName="demo", PipelineDefinition=json.dumps(definition), RoleArn=role,
                         ClientRequestToken="t" * 32)["PipelineArn"]
assert arn.endswith(":pipeline/demo"), arn
expect_error("ValidationException", sm.create_pipeline, PipelineName="demo", PipelineDefinition=json.dumps(definition),
             RoleArn=role, ClientRequestToken="t" * 32)
sm.update_pipeline(PipelineName="demo", PipelineDescription="a demo")
d = sm.describe_pipeline(PipelineName="demo")
assert d["PipelineDescription"] == "a demo" and json.loads(d["PipelineDefinition"]) == definition, d
assert [p["PipelineName"] for p in sm.list_pipelines(PipelineNamePrefix="de")["PipelineSummaries"]] == ["demo"]
expect_error("ResourceNotFound", sm.describe_pipeline, PipelineName="nope")
bad = expect_error("ValidationException", sm.create_pipeline, PipelineName="bad", PipelineDefinition='{"Version": "2020-12-01", "Steps": [{"Name": "x", "Type": "Nope"}]}',
                   RoleArn=role, ClientRequestToken="t" * 32)
assert "Nope" in str(bad), str(bad)

ex = sm.start_pipeline_execution(PipelineName="demo", PipelineParameters=[{"Name": "Threshold", "Value": "0.1"}])["PipelineExecutionArn"]
for _ in range(200):
    st = sm.describe_pipeline_execution(PipelineExecutionArn=ex)
    if st["PipelineExecutionStatus"] != "Executing":
        break
    time.sleep(0.1)
assert st["PipelineExecutionStatus"] == "Failed" and st["FailureReason"] == "threshold too low", st
steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=ex)["PipelineExecutionSteps"]
assert {s["StepName"]: s["StepStatus"] for s in steps} == {"Check": "Succeeded", "TooLow": "Failed"}, steps
assert [s for s in steps if s["StepName"] == "TooLow"][0]["Metadata"]["Fail"]["ErrorMessage"] == "threshold too low"
assert sm.list_pipeline_executions(PipelineName="demo")["PipelineExecutionSummaries"][0]["PipelineExecutionArn"] == ex
assert json.loads(sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=ex)["PipelineDefinition"]) == definition
ok = sm.start_pipeline_execution(PipelineName="demo")["PipelineExecutionArn"]
for _ in range(200):
    if sm.describe_pipeline_execution(PipelineExecutionArn=ok)["PipelineExecutionStatus"] != "Executing":
        break
    time.sleep(0.1)
assert sm.describe_pipeline_execution(PipelineExecutionArn=ok)["PipelineExecutionStatus"] == "Succeeded"
sm.retry_pipeline_execution(PipelineExecutionArn=ex, ClientRequestToken="r" * 32)
try:
    sm.stop_pipeline_execution(PipelineExecutionArn=ok, ClientRequestToken="s" * 32)
except botocore.exceptions.ClientError as e:  # stopping an ended execution is refused, with a message
    assert e.response["Error"]["Message"], e
expect_error("ValidationException", sm.describe_pipeline_execution,
             PipelineExecutionArn="arn:aws:sagemaker:us-east-1:000000000000:pipeline/demo")

# A Callback step answered through SendPipelineExecutionStepSuccess
import hashlib
cbdef = {"Version": "2020-12-01", "Metadata": {}, "Parameters": [], "Steps": [
    {"Name": "Wait", "Type": "Callback", "Arguments": {"model": "m1"},
     "SqsQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
     "OutputParameters": [{"OutputName": "approved", "OutputType": "Boolean"}]}]}
sm.create_pipeline(PipelineName="callback", PipelineDefinition=json.dumps(cbdef), RoleArn=role, ClientRequestToken="c" * 32)
cbex = sm.start_pipeline_execution(PipelineName="callback")["PipelineExecutionArn"]
token = hashlib.sha256((cbex.rsplit("/", 1)[1] + "\0" + "Wait").encode()).hexdigest()[:32]
for _ in range(100):  # the waiting step shows its token, as SageMaker's Metadata.Callback does
    waiting = sm.list_pipeline_execution_steps(PipelineExecutionArn=cbex)["PipelineExecutionSteps"]
    if waiting:
        assert waiting[0]["Metadata"]["Callback"]["CallbackToken"] == token, waiting
        break
    time.sleep(0.1)
for _ in range(100):
    try:
        sm.send_pipeline_execution_step_success(CallbackToken=token, OutputParameters=[{"Name": "approved", "Value": "true"}])
        break
    except botocore.exceptions.ClientError:  # until the step waits
        time.sleep(0.1)
for _ in range(100):
    if sm.describe_pipeline_execution(PipelineExecutionArn=cbex)["PipelineExecutionStatus"] != "Executing":
        break
    time.sleep(0.1)
assert sm.describe_pipeline_execution(PipelineExecutionArn=cbex)["PipelineExecutionStatus"] == "Succeeded"
expect_error("ValidationException", sm.send_pipeline_execution_step_failure, CallbackToken="0" * 32, FailureReason="no")
sm.delete_pipeline(PipelineName="callback", ClientRequestToken="c" * 32)

# Registry: the same versions and history `ferry models list` shows
groups = sm.list_model_package_groups()["ModelPackageGroupSummaryList"]
assert [g["ModelPackageGroupName"] for g in groups] == [GROUP], groups
sm.create_model_package_group(ModelPackageGroupName="empty-group", ModelPackageGroupDescription="made by boto3")
assert sm.describe_model_package_group(ModelPackageGroupName="empty-group")["ModelPackageGroupDescription"] == "made by boto3"
assert sm.list_model_packages(ModelPackageGroupName="empty-group")["ModelPackageSummaryList"] == []
expect_error("ValidationException", sm.create_model_package_group, ModelPackageGroupName="empty-group")
assert sm.describe_model_package_group(ModelPackageGroupName=GROUP)["ModelPackageGroupStatus"] == "Completed"
pkgs = sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
assert len(sm.list_model_packages()["ModelPackageSummaryList"]) == 1
assert len(pkgs) == 1, pkgs
pkg = sm.describe_model_package(ModelPackageName=pkgs[0]["ModelPackageArn"])
assert pkg["ModelPackageVersion"] == 1 and pkg["ModelPackageGroupName"] == GROUP, pkg
sm.update_model_package(ModelPackageArn=pkg["ModelPackageArn"], ModelApprovalStatus="Rejected", ApprovalDescription="through boto3")
assert sm.describe_model_package(ModelPackageName=pkg["ModelPackageArn"])["ModelApprovalStatus"] == "Rejected"
sm.update_model_package(ModelPackageArn=pkg["ModelPackageArn"], ModelApprovalStatus="Approved", ApprovalDescription="approved again")
assert sm.list_model_packages(ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved")["ModelPackageSummaryList"]
expect_error("ValidationException", sm.update_model_package, ModelPackageArn=pkg["ModelPackageArn"], ModelApprovalStatus="PendingManualApproval")

# Hosting and the runtime
assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == [ENDPOINT]
sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
ep = sm.describe_endpoint(EndpointName=ENDPOINT)
assert ep["EndpointStatus"] == "InService" and ep["ProductionVariants"], ep
variant = ep["ProductionVariants"][0]["VariantName"]
out = rt.invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body="\n".join(ROWS),
                         TargetVariant=variant, CustomAttributes="trace=1", InferenceId="inf-1")
assert out["InvokedProductionVariant"] == variant and out["CustomAttributes"] == "trace=1", out
preds = out["Body"].read().decode().split()
assert len(preds) == len(ROWS) and all(0 <= float(p) <= 1 for p in preds), preds
e = expect_error("ValidationError", rt.invoke_endpoint, EndpointName=ENDPOINT, ContentType="text/csv", Body="1,2,x")
e = expect_error("ValidationError", rt.invoke_endpoint, EndpointName="nope", ContentType="text/csv", Body=ROWS[0])
assert "nope" in str(e)

# Models, endpoint configs and a second endpoint made through the API
sm.create_model(ModelName="fraud-model", ExecutionRoleArn=role, PrimaryContainer={"ModelPackageName": pkg["ModelPackageArn"]})
assert sm.describe_model(ModelName="fraud-model")["PrimaryContainer"]["ModelPackageName"] == pkg["ModelPackageArn"]
assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["fraud-model"]
expect_error("ValidationException", sm.create_model, ModelName="fraud-model", ExecutionRoleArn=role,
             PrimaryContainer={"ModelPackageName": pkg["ModelPackageArn"]})
sm.create_endpoint_config(EndpointConfigName="fraud-config", ProductionVariants=[
    {"VariantName": "AllTraffic", "ModelName": "fraud-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
assert sm.describe_endpoint_config(EndpointConfigName="fraud-config")["ProductionVariants"][0]["ModelName"] == "fraud-model"
sm.create_endpoint(EndpointName="fraud-api", EndpointConfigName="fraud-config")
sm.get_waiter("endpoint_in_service").wait(EndpointName="fraud-api", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
d = sm.describe_endpoint(EndpointName="fraud-api")
assert d["EndpointConfigName"] == "fraud-config" and d["ProductionVariants"][0]["VariantName"] == "AllTraffic", d
for _ in range(50):  # the server picks new endpoint configs up within its poll interval
    try:
        out = rt.invoke_endpoint(EndpointName="fraud-api", ContentType="text/csv", Body=ROWS[0])
        break
    except botocore.exceptions.ClientError:
        time.sleep(0.2)
assert out["InvokedProductionVariant"] == "AllTraffic", out
sm.update_endpoint(EndpointName="fraud-api", EndpointConfigName="fraud-config")
expect_error("ValidationException", sm.create_endpoint, EndpointName="fraud-api", EndpointConfigName="fraud-config")
expect_error("ValidationException", sm.create_endpoint, EndpointName="x-api", EndpointConfigName="nope")
sm.delete_endpoint(EndpointName="fraud-api")
sm.delete_endpoint_config(EndpointConfigName="fraud-config")
sm.delete_model(ModelName="fraud-model")
expect_error("ValidationException", sm.describe_model, ModelName="fraud-model")

# CreateModelPackage into an existing group, as the SDK's register sends it,
# and a model made from an Image and a ModelDataUrl, served by an endpoint.
image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"
s3.put_object(Bucket="claims", Key="model/model.tar.gz", Body=open(sys.argv[2], "rb").read())
spec = {"Containers": [{"Image": image, "ModelDataUrl": "s3://claims/model/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m4.xlarge"], "SupportedTransformInstanceTypes": ["ml.m4.xlarge"]}
expect_error("ValidationException", sm.create_model_package, ModelPackageGroupName="no-such-group", InferenceSpecification=spec)
sm.create_model_package_group(ModelPackageGroupName="api-group")
parn = sm.create_model_package(
    ModelPackageGroupName="api-group", ModelPackageDescription="registered through boto3", InferenceSpecification=spec,
    ModelApprovalStatus="PendingManualApproval", CustomerMetadataProperties={"team": "fraud"},
    ModelMetrics={"Bias": {"PostTrainingReport": {"ContentType": "text/csv", "S3Uri": "s3://claims/raw/rows.csv"}}},
    DriftCheckBaselines={"Bias": {"PostTrainingConstraints": {"ContentType": "text/csv", "S3Uri": "s3://claims/raw/rows.csv"}}})["ModelPackageArn"]
assert parn == "arn:aws:sagemaker:us-east-1:000000000000:model-package/api-group/1", parn
p = sm.describe_model_package(ModelPackageName=parn)
assert p["ModelApprovalStatus"] == "PendingManualApproval" and p["CustomerMetadataProperties"] == {"team": "fraud"}, p
assert p["InferenceSpecification"]["Containers"] == [{"Image": image, "ModelDataUrl": "s3://claims/model/model.tar.gz"}], p
sm.update_model_package(ModelPackageArn=parn, ModelApprovalStatus="Approved", ApprovalDescription="api approval")
e = expect_error("ConflictException", sm.delete_model_package_group, ModelPackageGroupName="api-group")
assert "contains model packages" in str(e), e
expect_error("ValidationException", sm.delete_model_package, ModelPackageName=parn)
sm.delete_model_package_group(ModelPackageGroupName="empty-group")
expect_error("ValidationException", sm.delete_model_package_group, ModelPackageGroupName="empty-group")
sm.create_model(ModelName="tar-model", ExecutionRoleArn=role,
                PrimaryContainer={"Image": image, "ModelDataUrl": "s3://claims/model/model.tar.gz"})
expect_error("ValidationException", sm.create_model, ModelName="bad-model", ExecutionRoleArn=role,
             PrimaryContainer={"Image": image, "ModelDataUrl": "s3://claims/model/none.tar.gz"})
sm.create_endpoint_config(EndpointConfigName="tar-config", ProductionVariants=[
    {"VariantName": "Alltraffic", "ModelName": "tar-model", "InitialInstanceCount": 1, "InstanceType": "ml.m4.xlarge", "InitialVariantWeight": 1}])
sm.create_endpoint(EndpointName="tar-api", EndpointConfigName="tar-config")
sm.get_waiter("endpoint_in_service").wait(EndpointName="tar-api", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
for _ in range(50):
    try:
        out = rt.invoke_endpoint(EndpointName="tar-api", ContentType="text/csv", Body="0.1,0.2,0.3,0.4,0.5\n1,2,3,4,5")
        break
    except botocore.exceptions.ClientError:
        time.sleep(0.2)
assert out["InvokedProductionVariant"] == "Alltraffic", out
assert len(out["Body"].read().decode().split()) == 2
sm.delete_endpoint(EndpointName="tar-api")
sm.delete_endpoint_config(EndpointConfigName="tar-config")
sm.delete_model(ModelName="tar-model")

# The jobs a pipeline's steps ran
qs = sm.list_pipeline_executions(PipelineName="fraud-detect-xgb")["PipelineExecutionSummaries"][0]["PipelineExecutionArn"]
seen = set()
for s in sm.list_pipeline_execution_steps(PipelineExecutionArn=qs)["PipelineExecutionSteps"]:
    for kind, op in (("ProcessingJob", sm.describe_processing_job), ("TrainingJob", sm.describe_training_job),
                     ("TransformJob", sm.describe_transform_job)):
        if kind in s["Metadata"]:
            name = s["Metadata"][kind]["Arn"].split("/", 1)[1]
            job = op(**{kind + "Name": name})
            assert job[kind + "Status"] == "Completed", job
            seen.add(kind)
assert "ProcessingJob" in seen and "TrainingJob" in seen, seen
expect_error("ValidationException", sm.describe_training_job, TrainingJobName="nope")

# Lambda: a function created through the API runs locally; its boto3 calls reach Ferry
import io, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("handler.py", "import boto3\n"
               "def handle(event, context):\n"
               "    if event.get('fail'):\n"
               "        raise ValueError('asked to fail')\n"
               "    eps = boto3.client('sagemaker').list_endpoints()['Endpoints']\n"
               "    return {'endpoints': [e['EndpointName'] for e in eps], 'echo': event}\n")
lam = boto3.client("lambda", config=cfg)
# No endpoint or keys in the function's environment: the server gives its
# jobs and functions a key pair of their own.
fn = lam.create_function(FunctionName="deployer", Runtime="python3.11", Role=role, Handler="handler.handle",
                         Code={"ZipFile": buf.getvalue()}, Timeout=60, Environment={"Variables": {"STAGE": "test"}})
assert fn["FunctionArn"].endswith(":function:deployer") and fn["State"] == "Active", fn
expect_error("ResourceConflictException", lam.create_function, FunctionName="deployer", Runtime="python3.11", Role=role,
             Handler="handler.handle", Code={"ZipFile": buf.getvalue()})
assert lam.get_function(FunctionName="deployer")["Configuration"]["Handler"] == "handler.handle"
lam.update_function_configuration(FunctionName="deployer", Description="deploys", Timeout=120)
assert lam.get_function(FunctionName=fn["FunctionArn"])["Configuration"]["Timeout"] == 120
lam.update_function_code(FunctionName="deployer", ZipFile=buf.getvalue())
res = lam.invoke(FunctionName="deployer", Payload=json.dumps({"model": "m1"}).encode())
payload = json.loads(res["Payload"].read())
assert "FunctionError" not in res and payload["echo"] == {"model": "m1"} and ENDPOINT in payload["endpoints"], (res, payload)
res = lam.invoke(FunctionName="deployer", Payload=b'{"fail": true}')
assert res["FunctionError"] == "Unhandled", res
err = json.loads(res["Payload"].read())
assert err["errorType"] == "ValueError" and "asked to fail" in err["errorMessage"], err
expect_error("ResourceNotFoundException", lam.get_function, FunctionName="nope")
expect_error("InvalidParameterValueException", lam.create_function, FunctionName="img", Role=role, Runtime="python3.11",
             Handler="h.h", Code={"ImageUri": "x"})
lam.delete_function(FunctionName="deployer")
expect_error("ResourceNotFoundException", lam.invoke, FunctionName="deployer", Payload=b"{}")

# Clean-up, as the tutorial ends
sm.delete_pipeline(PipelineName="demo", ClientRequestToken="d" * 32)
expect_error("ResourceNotFound", sm.delete_pipeline, PipelineName="demo", ClientRequestToken="d" * 32)
sm.delete_endpoint(EndpointName=ENDPOINT)
expect_error("ValidationException", sm.describe_endpoint, EndpointName=ENDPOINT)

# A wrong secret key is refused with the code botocore expects
badsm = boto3.client("sagemaker", config=cfg, aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="x" * 40)
expect_error("InvalidSignatureException", badsm.list_pipelines)
bads3 = boto3.client("s3", config=cfg, aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="x" * 40)
expect_error("SignatureDoesNotMatch", bads3.list_buckets)
print("OK")
