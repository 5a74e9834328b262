"""A notebook-shaped flow written like the tutorial, with only
AWS_ENDPOINT_URL, the keys and the region set: the SageMaker SDK's session
and default bucket, uploads, a pipeline built with the SDK, upsert, start,
wait, list_steps, the registry's packages and their approval, the endpoint
waiter, a Predictor with CSV (de)serializers, pandas reading s3://, and the
tutorial's clean-up calls.

The pipeline here uses the step types that need no job runtime (parameters,
a condition on a parameter, a Fail step); the quickstart's registered model
and endpoint stand for what the tutorial's training and Lambda steps make."""
import json
import os

import boto3
import pandas as pd
import sagemaker
from sagemaker.deserializers import CSVDeserializer
from sagemaker.predictor import Predictor
from sagemaker.serializers import CSVSerializer
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.parameters import ParameterFloat
from sagemaker.workflow.pipeline import Pipeline

ROLE = "arn:aws:iam::000000000000:role/FerryRole"
ENDPOINT = "fraud-detect-xgb-pipeline-endpoint"
GROUP = "fraud-detect-xgb-model-group"


def test_notebook_flow(ferry_server, tmp_path):
    sm_client = boto3.client("sagemaker")
    sess = sagemaker.Session(boto_session=boto3.Session(), sagemaker_client=sm_client,
                             default_bucket="sagemaker-us-east-1-000000000000")
    bucket = sess.default_bucket()
    prefix = "fraud-detect-demo"

    # Upload the raw tables, as the tutorial does, and read them back with pandas.
    rows = os.path.join(ferry_server["home"], "rows.csv")
    raw_uri = sess.upload_data(rows, bucket=bucket, key_prefix=prefix + "/data/raw")
    assert raw_uri == "s3://%s/%s/data/raw/rows.csv" % (bucket, prefix)
    df = pd.read_csv(raw_uri, header=None)
    assert len(df) == len(open(rows).read().splitlines())

    # A pipeline built with the SDK: upsert, start, wait, list_steps.
    threshold = ParameterFloat(name="AucThreshold", default_value=0.7)
    fail = FailStep(name="AucTooLow", error_message="AUC below the threshold")
    cond = ConditionStep(name="CheckAuc", conditions=[ConditionGreaterThanOrEqualTo(left=threshold, right=0.5)],
                         if_steps=[], else_steps=[fail])
    pipeline = Pipeline(name="FraudDetectDemo", parameters=[threshold], steps=[cond], sagemaker_session=sess)
    assert pipeline.upsert(role_arn=ROLE)["PipelineArn"].endswith(":pipeline/FraudDetectDemo")
    assert pipeline.upsert(role_arn=ROLE, description="again")["PipelineArn"]  # the update path
    assert json.loads(pipeline.describe()["PipelineDefinition"])["Parameters"][0]["Name"] == "AucThreshold"
    execution = pipeline.start()
    execution.wait(delay=1, max_attempts=60)
    steps = execution.list_steps()
    assert [s["StepName"] for s in steps] == ["CheckAuc"] and steps[0]["StepStatus"] == "Succeeded", steps
    assert execution.describe()["PipelineExecutionStatus"] == "Succeeded"
    failed = pipeline.start(parameters={"AucThreshold": 0.2})
    try:
        failed.wait(delay=1, max_attempts=60)
    except Exception:  # the SDK's waiter raises on a failed execution
        pass
    assert failed.describe()["PipelineExecutionStatus"] == "Failed"
    assert failed.describe()["FailureReason"] == "AUC below the threshold"

    # The registry: list the group's packages and approve the latest one.
    pkgs = sm_client.list_model_packages(ModelPackageGroupName=GROUP, SortBy="CreationTime",
                                         SortOrder="Descending")["ModelPackageSummaryList"]
    latest = pkgs[0]["ModelPackageArn"]
    sm_client.update_model_package(ModelPackageArn=latest, ModelApprovalStatus="Approved",
                                   ApprovalDescription="approved from the notebook")
    assert sm_client.describe_model_package(ModelPackageName=latest)["ModelApprovalStatus"] == "Approved"

    # The endpoint: wait until in service, then predict with CSV.
    sm_client.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    predictor = Predictor(endpoint_name=ENDPOINT, sagemaker_session=sess,
                          serializer=CSVSerializer(), deserializer=CSVDeserializer())
    first = open(rows).read().splitlines()[:2]
    out = predictor.predict("\n".join(first))
    assert len(out) == 2 and 0 <= float(out[0][0]) <= 1, out

    # The tutorial's clean-up.
    pipeline.delete()
    predictor.delete_endpoint(delete_endpoint_config=False)
    assert ENDPOINT not in [e["EndpointName"] for e in sm_client.list_endpoints()["Endpoints"]]
