"""The fraud tutorial as its notebook runs it, against a real `ferry server`
with only AWS_ENDPOINT_URL, the keys and the region in the environment:

the account comes from STS, the SDK's configuration file names the default bucket (as a
user's ~/.config/sagemaker/config.yaml would) and its session makes it;
the raw tables are uploaded where the tutorial reads them; the tutorial's
pipeline (examples/sagemaker-fraud/pipeline.py: processing script, XGBoost
script-mode training, evaluation with a property file, condition, create
model, Clarify checks, RegisterModel, and a LambdaStep whose function, the
tutorial's lambda_deployer.py, the SDK creates through the Lambda API and
which deploys through boto3) is upserted, started and waited for; its steps
are listed; the registered package is approved with update_model_package;
the endpoint waiter waits; a Predictor with CSV (de)serializers predicts the
first 5 test rows, read with pd.read_csv("s3://..."); a second endpoint
serves the training job's model.tar.gz from a model made of an Image and a
ModelDataUrl; and the tutorial's clean-up calls delete what was made.
"""
import json
import os
import subprocess
import sys

import boto3
import pandas as pd
import sagemaker
from sagemaker import image_uris
from sagemaker.deserializers import CSVDeserializer
from sagemaker.predictor import Predictor
from sagemaker.serializers import CSVSerializer
from sagemaker.workflow.pipeline_context import PipelineSession

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "examples", "sagemaker-fraud"))
sys.dont_write_bytecode = True
import pipeline as fraud  # noqa: E402

REGION = "us-east-1"
DATA = os.path.join(REPO, "examples", "fraud-detection", "data")
MODEL_NAME = "fraud-detect-xgb-pipeline"
ENDPOINT_CONFIG = "fraud-detect-xgb-pipeline-endpoint-config"
ENDPOINT = "fraud-detect-xgb-pipeline-endpoint"
STEPS = ["DataProcessing", "XGBModelTraining", "XGBModelEvaluate", "CheckFraudDetXGBEvaluation", "FraudDetModel-CreateModel",
         "ModelBiasCheck", "ModelExplainabilityCheck", "XGBRegisterModel-RegisterModel", "LambdaStepRealTimeDeploy"]


def test_tutorial_flow(tutorial_server):
    boto_session = boto3.Session(region_name=REGION)
    sm_client = boto_session.client("sagemaker")
    # The account from STS; the default bucket named by the SDK's own
    # configuration file (conftest: the SDK v2 asks the regional AWS endpoint
    # for the account whatever AWS_ENDPOINT_URL says, unless the bucket is
    # configured) and made in S3 by the session, as the notebook does.
    account = boto_session.client("sts").get_caller_identity()["Account"]
    assert account == "000000000000", account
    sess = sagemaker.Session(boto_session=boto_session)
    bucket = sess.default_bucket()
    assert bucket == "sagemaker-%s-000000000000" % REGION, bucket
    assert bucket in [b["Name"] for b in boto_session.client("s3").list_buckets()["Buckets"]]

    # The raw tables where the tutorial reads them.
    boto_session.client("s3").create_bucket(Bucket="sagemaker-sample-files")
    read_prefix = fraud.READ[len("s3://sagemaker-sample-files/"):]
    for name in ("claims.csv", "customers.csv"):
        uri = sess.upload_data(os.path.join(DATA, name), bucket="sagemaker-sample-files", key_prefix=read_prefix)
        assert uri == "%s/%s" % (fraud.READ, name), uri

    # The pipeline, built with the SDK: the scripts are uploaded and the
    # deploy Lambda created when the definition is made.
    pipeline = fraud.build(PipelineSession(boto_session=boto_session), REGION)
    assert pipeline.upsert(role_arn=fraud.ROLE)["PipelineArn"].endswith(":pipeline/FraudDetectXGBPipeline")
    fn = boto_session.client("lambda").get_function(FunctionName=fraud.LAMBDA)["Configuration"]
    assert fn["Handler"] == "lambda_deployer.lambda_handler" and fn["Timeout"] == 600, fn

    # The tutorial's first run: no earlier baselines, so the checks are
    # skipped and register theirs; the package waits for a reviewer.
    execution = pipeline.start(parameters={
        "SkipModelBiasCheck": True, "SkipModelExplainabilityCheck": True,
        "RegisterNewModelBiasBaseline": True, "RegisterNewModelExplainabilityBaseline": True,
        "ModelApprovalStatus": "PendingManualApproval"})
    try:
        execution.wait(delay=2, max_attempts=300)
    finally:
        steps = execution.list_steps()
    status = {s["StepName"]: s["StepStatus"] for s in steps}
    assert execution.describe()["PipelineExecutionStatus"] == "Succeeded", (status, [s.get("FailureReason") for s in steps])
    assert sorted(status) == sorted(STEPS) and set(status.values()) == {"Succeeded"}, status
    training_job = [s for s in steps if s["StepName"] == "XGBModelTraining"][0]["Metadata"]["TrainingJob"]["Arn"].split("/", 1)[1]

    # The registry: the package the pipeline registered, approved from the notebook.
    pkgs = sm_client.list_model_packages(ModelPackageGroupName=fraud.GROUP, SortBy="CreationTime",
                                         SortOrder="Descending")["ModelPackageSummaryList"]
    assert len(pkgs) == 1 and pkgs[0]["ModelApprovalStatus"] == "PendingManualApproval", pkgs
    arn = pkgs[0]["ModelPackageArn"]
    sm_client.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                   ApprovalDescription="approved from the notebook")
    assert sm_client.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    show = subprocess.run([tutorial_server["ferry"], "models", "show", fraud.GROUP + "/1"], env=tutorial_server["env"],
                          check=True, capture_output=True, text=True).stdout
    assert "by notebook: approved from the notebook" in show, show

    # The endpoint the Lambda deployer created through boto3.
    sm_client.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    ep = sm_client.describe_endpoint(EndpointName=ENDPOINT)
    assert ep["EndpointConfigName"] == ENDPOINT_CONFIG and ep["ProductionVariants"][0]["VariantName"] == "Alltraffic", ep
    assert sm_client.describe_model(ModelName=MODEL_NAME)["PrimaryContainer"]["ModelPackageName"] == arn

    # The first 5 test rows, label dropped, through a Predictor.
    test = pd.read_csv("s3://%s/fraud-detect-demo/processing_jobs/test_data/test.csv" % bucket)
    assert len(test) == 500 and test.columns[0] == "fraud"
    rows = test.drop(["fraud"], axis=1).iloc[:5]
    predictor = Predictor(endpoint_name=ENDPOINT, sagemaker_session=sess,
                          serializer=CSVSerializer(), deserializer=CSVDeserializer())
    predictions = predictor.predict(rows.to_csv(header=False, index=False))
    table = pd.DataFrame({"Prediction": [float(p[0]) for p in predictions], "Label": test["fraud"].iloc[:5].tolist()})
    assert len(table) == 5 and table["Prediction"].between(0, 1).all(), table

    # The training job's model.tar.gz as a model of an Image and a
    # ModelDataUrl: served by the same serving layer, same predictions.
    model_data = sm_client.describe_training_job(TrainingJobName=training_job)["ModelArtifacts"]["S3ModelArtifacts"]
    assert model_data.startswith("s3://%s/fraud-detect-demo/training_jobs/" % bucket) and model_data.endswith("/model.tar.gz"), model_data
    image = image_uris.retrieve("xgboost", REGION, "1.3-1")
    sm_client.create_model(ModelName="fraud-direct", ExecutionRoleArn=fraud.ROLE,
                           PrimaryContainer={"Image": image, "ModelDataUrl": model_data})
    sm_client.create_endpoint_config(EndpointConfigName="fraud-direct-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "fraud-direct", "InitialInstanceCount": 1,
         "InstanceType": "ml.m4.xlarge", "InitialVariantWeight": 1}])
    sm_client.create_endpoint(EndpointName="fraud-direct", EndpointConfigName="fraud-direct-config")
    sm_client.get_waiter("endpoint_in_service").wait(EndpointName="fraud-direct", WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    direct = Predictor(endpoint_name="fraud-direct", sagemaker_session=sess,
                       serializer=CSVSerializer(), deserializer=CSVDeserializer())
    again = [float(p[0]) for p in direct.predict(rows.to_csv(header=False, index=False))]
    assert all(abs(a - b) < 1e-6 for a, b in zip(again, table["Prediction"])) and len(again) == 5, (again, table)
    direct.delete_endpoint(delete_endpoint_config=True)
    sm_client.delete_model(ModelName="fraud-direct")

    # The tutorial's clean-up.
    fraud.deploy_function(sess).delete()
    sm_client.delete_endpoint(EndpointName=ENDPOINT)
    sm_client.delete_endpoint_config(EndpointConfigName=ENDPOINT_CONFIG)
    sm_client.delete_model(ModelName=MODEL_NAME)
    pipeline.delete()
    assert ENDPOINT not in [e["EndpointName"] for e in sm_client.list_endpoints()["Endpoints"]]
    assert [p["PipelineName"] for p in sm_client.list_pipelines()["PipelineSummaries"]] == []
    lam = boto_session.client("lambda")
    try:
        lam.get_function(FunctionName=fraud.LAMBDA)
        raise AssertionError("the Lambda function is still there")
    except lam.exceptions.ResourceNotFoundException:
        pass
    print(json.dumps({"predictions": table.to_dict("list")}))
