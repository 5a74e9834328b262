"""Builds SageMaker pipeline definitions with the SageMaker Python SDK v2, offline.

Run from this directory:  python3 make_definitions.py OUTDIR
It writes OUTDIR/<name>.json for each pipeline below (pipeline.definition(),
pretty-printed) and OUTDIR/uploads.json: what the SDK would have uploaded to
S3 while building them (key -> text), e.g. the Clarify analysis configs.

Nothing reaches the network: the boto3 session has fake credentials and a
fake region, the default bucket is set, and the SDK's S3 uploads are
replaced by a recorder.
"""
import itertools
import json
import os
import sys
import uuid

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import boto3  # noqa: E402
import sagemaker  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker import fw_utils, s3, session as sm_session  # noqa: E402
from sagemaker.telemetry import telemetry_logging  # noqa: E402

REGION = "us-east-1"
BUCKET = "ferry-sdk-test"
ROLE = "arn:aws:iam::000000000000:role/FerryTest"
HERE = os.path.dirname(os.path.abspath(__file__))
CODE = os.path.join(HERE, "code")
UPLOADS = {}


def _record(key, body):
    UPLOADS[key] = body


def _content(path):
    """A small JSON file's text (the Clarify analysis configs); else a placeholder."""
    if path.endswith(".json") and os.path.getsize(path) < 1 << 16:
        with open(path) as f:
            return f.read()
    return "<file %s>" % os.path.basename(path)


def fake_upload_data(self, path, bucket=None, key_prefix="data", callback=None, extra_args=None):
    bucket = bucket or BUCKET
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            _record(f"s3://{bucket}/{key_prefix}/{name}", _content(os.path.join(path, name)))
        return f"s3://{bucket}/{key_prefix}"
    key = f"{key_prefix}/{os.path.basename(path)}" if key_prefix else os.path.basename(path)
    _record(f"s3://{bucket}/{key}", _content(path))
    return f"s3://{bucket}/{key}"


def fake_upload_string(self, body, bucket, key, kms_key=None):
    _record(f"s3://{bucket}/{key}", body)
    return f"s3://{bucket}/{key}"


def fake_s3_upload(local_path, desired_s3_uri, kms_key=None, sagemaker_session=None, callback=None):
    uri = desired_s3_uri.rstrip("/") + "/" + os.path.basename(local_path)
    _record(uri, _content(local_path))
    return uri


def fake_s3_upload_string(body, desired_s3_uri=None, kms_key=None, sagemaker_session=None):
    _record(desired_s3_uri, body)
    return desired_s3_uri


def fake_tar_and_upload_dir(session, bucket, s3_key_prefix, script, directory=None, dependencies=None,
                            kms_key=None, s3_resource=None, settings=None, **kwargs):
    key = f"{s3_key_prefix}/sourcedir.tar.gz"
    _record(f"s3://{bucket}/{key}", "<sourcedir.tar.gz of %s>" % os.path.basename(script or directory or ""))
    return fw_utils.UploadedCode(s3_prefix=f"s3://{bucket}/{key}", script_name=os.path.basename(script))


# Names the SDK makes from the clock and uuid4 become fixed, so the output
# does not change from one run to the next.
_ids = itertools.count(1)
uuid.uuid4 = lambda: uuid.UUID(int=next(_ids))
sagemaker.utils.sagemaker_timestamp = lambda: "2020-12-01-00-00-00-000"
sm_session.Session.upload_data = fake_upload_data
sm_session.Session._create_s3_bucket_if_it_does_not_exist = lambda self, bucket_name, region: None
telemetry_logging._requests_helper = lambda *args, **kwargs: None
sm_session.Session.upload_string_as_file_body = fake_upload_string
s3.S3Uploader.upload = staticmethod(fake_s3_upload)
s3.S3Uploader.upload_string_as_file_body = staticmethod(fake_s3_upload_string)
fw_utils.tar_and_upload_dir = fake_tar_and_upload_dir
sagemaker.estimator.tar_and_upload_dir = fake_tar_and_upload_dir
sagemaker.model.fw_utils.tar_and_upload_dir = fake_tar_and_upload_dir


def session():
    from sagemaker.workflow.pipeline_context import PipelineSession

    boto = boto3.Session(aws_access_key_id="AKIAFERRYTEST", aws_secret_access_key="ferry", region_name=REGION)
    return PipelineSession(boto_session=boto, default_bucket=BUCKET)


def code(name):
    return os.path.join(CODE, name)


def tutorial(sess):
    """FraudDetectXGBPipeline, shaped like the reference tutorial."""
    from sagemaker.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig, SHAPConfig
    from sagemaker.drift_check_baselines import DriftCheckBaselines
    from sagemaker.inputs import CreateModelInput, TrainingInput
    from sagemaker.lambda_helper import Lambda
    from sagemaker.model import Model
    from sagemaker.model_metrics import FileSource, MetricsSource, ModelMetrics
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
    from sagemaker.sklearn.processing import SKLearnProcessor
    from sagemaker.workflow.check_job_config import CheckJobConfig
    from sagemaker.workflow.clarify_check_step import (ClarifyCheckStep, ModelBiasCheckConfig,
                                                       ModelExplainabilityCheckConfig)
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.workflow.functions import JsonGet
    from sagemaker.workflow.lambda_step import LambdaStep
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterBoolean, ParameterInteger, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.xgboost.estimator import XGBoost

    write = f"s3://{BUCKET}/fraud-detect-demo"
    read = "s3://sagemaker-sample-files/datasets/tabular/synthetic_automobile_claims"
    processing_instance_type = ParameterString("ProcessingInstanceType", default_value="ml.c5.xlarge")
    training_instance_type = ParameterString("TrainingInstanceType", default_value="ml.m4.xlarge")
    training_instance_count = ParameterInteger("TrainingInstanceCount", default_value=1)
    deploy_instance_type = ParameterString("DeployInstanceType", default_value="ml.m4.xlarge")
    deploy_instance_count = ParameterInteger("DeployInstanceCount", default_value=1)
    clarify_instance_type = ParameterString("ClarifyInstanceType", default_value="ml.m4.xlarge")
    skip_bias = ParameterBoolean("SkipModelBiasCheck", default_value=False)
    register_bias = ParameterBoolean("RegisterNewModelBiasBaseline", default_value=False)
    supplied_bias = ParameterString("ModelBiasSuppliedBaselineConstraints", default_value="")
    skip_expl = ParameterBoolean("SkipModelExplainabilityCheck", default_value=False)
    register_expl = ParameterBoolean("RegisterNewModelExplainabilityBaseline", default_value=False)
    supplied_expl = ParameterString("ModelExplainabilitySuppliedBaselineConstraints", default_value="")
    approval = ParameterString("ModelApprovalStatus", default_value="Approved")

    sklearn = SKLearnProcessor(framework_version="0.23-1", role=ROLE, instance_type="ml.c5.xlarge",
                               instance_count=1, base_job_name="fraud-detect-processing", sagemaker_session=sess)
    proc_args = sklearn.run(
        inputs=[ProcessingInput(source=f"{read}/claims.csv", destination="/opt/ml/processing/claims"),
                ProcessingInput(source=f"{read}/customers.csv", destination="/opt/ml/processing/customers")],
        outputs=[ProcessingOutput(output_name="train_data", source="/opt/ml/processing/train",
                                  destination=f"{write}/processing_jobs/train_data"),
                 ProcessingOutput(output_name="validation_data", source="/opt/ml/processing/val",
                                  destination=f"{write}/processing_jobs/validation_data"),
                 ProcessingOutput(output_name="test_data", source="/opt/ml/processing/test",
                                  destination=f"{write}/processing_jobs/test_data"),
                 ProcessingOutput(output_name="processed_data", source="/opt/ml/processing/full",
                                  destination=f"{write}/processing_jobs/processed_data")],
        code=code("preprocessing.py"),
        arguments=["--train-ratio", "0.8", "--validation-ratio", "0.1", "--test-ratio", "0.1"])
    step_process = ProcessingStep(name="DataProcessing", step_args=proc_args)

    xgb = XGBoost(entry_point=code("xgboost_train.py"), framework_version="1.3-1", role=ROLE,
                  instance_type="ml.m4.xlarge", instance_count=1, output_path=f"{write}/training_jobs",
                  code_location=f"{write}/training_jobs", base_job_name="fraud-detect-xgb",
                  hyperparameters={"eval_metric": "auc", "objective": "binary:logistic", "num_round": "5",
                                   "max_depth": "5", "subsample": "0.75", "colsample_bytree": "0.75",
                                   "eta": "0.5"},
                  sagemaker_session=sess)
    outputs = step_process.properties.ProcessingOutputConfig.Outputs
    train_args = xgb.fit(inputs={
        "train": TrainingInput(s3_data=outputs["train_data"].S3Output.S3Uri, content_type="csv"),
        "validation": TrainingInput(s3_data=outputs["validation_data"].S3Output.S3Uri, content_type="csv")})
    step_train = TrainingStep(name="XGBModelTraining", step_args=train_args)

    image = image_uris.retrieve("xgboost", REGION, "1.3-1")
    evaluator = ScriptProcessor(image_uri=image, command=["python3"], instance_type="ml.c5.xlarge",
                                instance_count=1, base_job_name="fraud-detect-model-eval", role=ROLE,
                                sagemaker_session=sess)
    report = PropertyFile(name="FraudDetEvaluationReport", output_name="evaluation", path="evaluation.json")
    eval_args = evaluator.run(
        inputs=[ProcessingInput(source=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                                destination="/opt/ml/processing/model"),
                ProcessingInput(source=outputs["test_data"].S3Output.S3Uri, destination="/opt/ml/processing/test")],
        outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation",
                                  destination=f"{write}/model_eval")],
        code=code("evaluate.py"))
    step_eval = ProcessingStep(name="XGBModelEvaluate", step_args=eval_args, property_files=[report])

    model = Model(image_uri=image, model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                  sagemaker_session=sess, role=ROLE)
    step_create_model = ModelStep(name="FraudDetModel",
                                  step_args=model.create(instance_type="ml.m4.xlarge"))
    _ = CreateModelInput  # the tutorial's CreateModelInput is what model.create takes in SDK v2.2xx

    check_job = CheckJobConfig(role=ROLE, instance_count=1, instance_type="ml.m4.xlarge", volume_size_in_gb=30,
                               sagemaker_session=sess)
    model_config = ModelConfig(model_name=step_create_model.properties.ModelName, instance_count=1,
                               instance_type="ml.m4.xlarge")
    bias_data = DataConfig(s3_data_input_path=outputs["train_data"].S3Output.S3Uri,
                           s3_output_path=f"{write}/clarify_output/pipeline/bias", label="fraud",
                           dataset_type="text/csv", s3_analysis_config_output_path=f"{write}/model_monitor/bias_config")
    bias = ClarifyCheckStep(
        name="ModelBiasCheck",
        clarify_check_config=ModelBiasCheckConfig(
            data_config=bias_data, data_bias_config=BiasConfig(label_values_or_threshold=[0],
                                                               facet_name="customer_gender_female",
                                                               facet_values_or_threshold=[1]),
            model_config=model_config,
            model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
            methods=["DPPL"]),
        check_job_config=check_job, skip_check=skip_bias, register_new_baseline=register_bias,
        supplied_baseline_constraints=supplied_bias, model_package_group_name="fraud-detect-xgb-model-group")
    expl_data = DataConfig(s3_data_input_path=outputs["train_data"].S3Output.S3Uri,
                           s3_output_path=f"{write}/clarify_output/pipeline/explainability", label="fraud",
                           dataset_type="text/csv",
                           s3_analysis_config_output_path=f"{write}/model_monitor/explainability_config")
    expl_config = ModelExplainabilityCheckConfig(
        data_config=expl_data, model_config=model_config,
        explainability_config=SHAPConfig(seed=42, num_samples=100, agg_method="mean_abs",
                                         save_local_shap_values=True))
    expl = ClarifyCheckStep(
        name="ModelExplainabilityCheck", clarify_check_config=expl_config, check_job_config=check_job,
        skip_check=skip_expl, register_new_baseline=register_expl,
        supplied_baseline_constraints=supplied_expl, model_package_group_name="fraud-detect-xgb-model-group")

    metrics = ModelMetrics(
        bias_post_training=MetricsSource(s3_uri=bias.properties.CalculatedBaselineConstraints,
                                         content_type="application/json"),
        explainability=MetricsSource(s3_uri=expl.properties.CalculatedBaselineConstraints,
                                     content_type="application/json"))
    drift = DriftCheckBaselines(
        bias_post_training_constraints=MetricsSource(
            s3_uri=bias.properties.BaselineUsedForDriftCheckConstraints, content_type="application/json"),
        explainability_constraints=MetricsSource(
            s3_uri=expl.properties.BaselineUsedForDriftCheckConstraints, content_type="application/json"),
        explainability_config_file=FileSource(s3_uri=expl_config.monitoring_analysis_config_uri,
                                              content_type="application/json"))
    register_args = model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m4.xlarge"],
        transform_instances=["ml.m4.xlarge"], model_package_group_name="fraud-detect-xgb-model-group",
        approval_status=approval, model_metrics=metrics, drift_check_baselines=drift)
    step_register = ModelStep(name="XGBRegisterModel", step_args=register_args)

    deploy = Lambda(function_arn=f"arn:aws:lambda:{REGION}:000000000000:function:sagemaker-fraud-det-demo-lambda-step",
                    session=sess)
    step_deploy = LambdaStep(
        name="LambdaStepRealTimeDeploy", lambda_func=deploy,
        inputs={"model_name": "fraud-detect-xgb-pipeline",
                "endpoint_config_name": "fraud-detect-xgb-pipeline-endpoint-config",
                "endpoint_name": "fraud-detect-xgb-pipeline-endpoint",
                "model_package_arn": step_register.steps[0].properties.ModelPackageArn,
                "role": ROLE, "instance_type": deploy_instance_type, "instance_count": deploy_instance_count})

    cond = ConditionGreaterThanOrEqualTo(
        left=JsonGet(step_name=step_eval.name, property_file=report, json_path="classification_metrics.roc_auc.value"),
        right=0.7)
    step_cond = ConditionStep(name="CheckFraudDetXGBEvaluation", conditions=[cond],
                              if_steps=[step_create_model, bias, expl, step_register, step_deploy], else_steps=[])
    return Pipeline(
        name="FraudDetectXGBPipeline",
        parameters=[processing_instance_type, training_instance_type, training_instance_count,
                    deploy_instance_type, deploy_instance_count, clarify_instance_type, skip_bias, register_bias,
                    supplied_bias, skip_expl, register_expl, supplied_expl, approval],
        steps=[step_process, step_train, step_eval, step_cond], sagemaker_session=sess)


def every_step(sess):
    """Every other supported step type and every expression form."""
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput, TransformInput
    from sagemaker.lambda_helper import Lambda
    from sagemaker.model import Model
    from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
    from sagemaker.transformer import Transformer
    from sagemaker.workflow.callback_step import CallbackOutput, CallbackOutputTypeEnum, CallbackStep
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import (ConditionEquals, ConditionGreaterThan, ConditionIn,
                                               ConditionLessThan, ConditionLessThanOrEqualTo, ConditionNot,
                                               ConditionOr)
    from sagemaker.workflow.execution_variables import ExecutionVariables
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import (ParameterBoolean, ParameterFloat, ParameterInteger,
                                               ParameterString)
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.retry import (SageMakerJobExceptionTypeEnum, SageMakerJobStepRetryPolicy,
                                          StepExceptionTypeEnum, StepRetryPolicy)
    from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep, TransformStep

    input_data = ParameterString("InputData", default_value=f"s3://{BUCKET}/abalone/abalone.csv")
    mode = ParameterString("Mode", default_value="full", enum_values=["full", "quick"])
    rounds = ParameterInteger("NumRound", default_value=50)
    threshold = ParameterFloat("MseThreshold", default_value=6.0)
    register = ParameterBoolean("Register", default_value=True)
    approval = ParameterString("ModelApprovalStatus", default_value="PendingManualApproval")

    cache = CacheConfig(enable_caching=True, expire_after="30d")
    retry = [StepRetryPolicy(exception_types=[StepExceptionTypeEnum.SERVICE_FAULT, StepExceptionTypeEnum.THROTTLING],
                             interval_seconds=2, backoff_rate=1.5, max_attempts=3),
             SageMakerJobStepRetryPolicy(exception_types=[SageMakerJobExceptionTypeEnum.INTERNAL_ERROR,
                                                          SageMakerJobExceptionTypeEnum.CAPACITY_ERROR],
                                         expire_after_mins=30)]
    sk_image = image_uris.retrieve("sklearn", REGION, "1.2-1")
    prep = ScriptProcessor(image_uri=sk_image, command=["python3"], instance_type="ml.m5.xlarge", instance_count=1,
                           role=ROLE, sagemaker_session=sess, env={"MODE": mode})
    prep_args = prep.run(
        inputs=[ProcessingInput(source=input_data, destination="/opt/ml/processing/input", input_name="raw")],
        outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train"),
                 ProcessingOutput(output_name="test", source="/opt/ml/processing/test",
                                  destination=Join(on="/", values=["s3:/", BUCKET, ExecutionVariables.PIPELINE_EXECUTION_ID,
                                                                   "test"]))],
        code=code("preprocessing.py"), arguments=["--mode", mode, "--rounds", rounds.to_string()])
    step_prep = ProcessingStep(name="Prep", step_args=prep_args, cache_config=cache, retry_policies=retry)

    xgb_image = image_uris.retrieve("xgboost", REGION, "1.7-1")
    est = Estimator(image_uri=xgb_image, instance_type="ml.m5.xlarge", instance_count=1, role=ROLE,
                    output_path=Join(on="/", values=["s3:/", BUCKET, ExecutionVariables.PIPELINE_NAME, "models"]),
                    sagemaker_session=sess,
                    metric_definitions=[{"Name": "validation:rmse", "Regex": "validation-rmse:([0-9.]+)"}])
    est.set_hyperparameters(objective="reg:squarederror", num_round=rounds, max_depth=5, eta=0.2)
    train_args = est.fit(inputs={"train": TrainingInput(
        s3_data=step_prep.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri, content_type="text/csv")})
    step_train = TrainingStep(name="TrainBuiltin", step_args=train_args, cache_config=CacheConfig(
        enable_caching=True, expire_after="PT1H"), depends_on=[step_prep])

    model = Model(image_uri=xgb_image, model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                  role=ROLE, sagemaker_session=sess)
    step_model = ModelStep(name="CreateModel", step_args=model.create(instance_type="ml.m5.large"))

    transformer = Transformer(model_name=step_model.properties.ModelName, instance_type="ml.m5.xlarge",
                              instance_count=1, output_path=f"s3://{BUCKET}/transform", accept="text/csv",
                              assemble_with="Line", sagemaker_session=sess)
    step_transform = TransformStep(name="BatchScore", step_args=transformer.transform(
        data=step_prep.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri, content_type="text/csv",
        split_type="Line", input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]"))

    report = PropertyFile(name="EvalReport", output_name="evaluation", path="evaluation.json")
    evaluator = ScriptProcessor(image_uri=xgb_image, command=["python3"], instance_type="ml.m5.xlarge",
                                instance_count=1, role=ROLE, sagemaker_session=sess)
    eval_args = evaluator.run(
        inputs=[ProcessingInput(source=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                                destination="/opt/ml/processing/model"),
                ProcessingInput(source=step_transform.properties.TransformOutput.S3OutputPath,
                                destination="/opt/ml/processing/scored")],
        outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation")],
        code=code("evaluate.py"))
    step_eval = ProcessingStep(name="Evaluate", step_args=eval_args, property_files=[report])

    register_args = model.register(content_types=["text/csv"], response_types=["text/csv"],
                                   inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
                                   model_package_group_name="abalone-group", approval_status=approval,
                                   customer_metadata_properties={"mse": "from-eval"})
    step_register = ModelStep(name="Register", step_args=register_args)

    notify = LambdaStep(
        name="Notify", lambda_func=Lambda(function_arn=f"arn:aws:lambda:{REGION}:000000000000:function:notify",
                                          session=sess),
        inputs={"package": step_register.steps[0].properties.ModelPackageArn,
                "execution": ExecutionVariables.PIPELINE_EXECUTION_ARN,
                "started": ExecutionVariables.START_DATETIME,
                "now": ExecutionVariables.CURRENT_DATETIME,
                "pipeline_arn": ExecutionVariables.PIPELINE_ARN},
        outputs=[LambdaOutput(output_name="status", output_type=LambdaOutputTypeEnum.String),
                 LambdaOutput(output_name="count", output_type=LambdaOutputTypeEnum.Integer)])
    approve = CallbackStep(
        name="Approve", sqs_queue_url="https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
        inputs={"package": step_register.steps[0].properties.ModelPackageArn,
                "status": notify.properties.Outputs["status"]},
        outputs=[CallbackOutput(output_name="approved", output_type=CallbackOutputTypeEnum.Boolean)],
        depends_on=[notify])

    mse = JsonGet(step_name=step_eval.name, property_file=report, json_path="regression_metrics.mse.value")
    fail = FailStep(name="TooHigh", error_message=Join(on=" ", values=["MSE", mse, "is above", threshold]))
    inner = ConditionStep(
        name="CheckRegister",
        conditions=[ConditionEquals(left=register, right=True),
                    ConditionIn(value=mode, in_values=["full", "quick"])],
        if_steps=[step_register, notify, approve], else_steps=[])
    step_cond = ConditionStep(
        name="CheckMse",
        conditions=[ConditionOr(conditions=[
            ConditionLessThanOrEqualTo(left=mse, right=threshold),
            ConditionNot(expression=ConditionGreaterThan(left=step_train.properties.FinalMetricDataList[
                "validation:rmse"].Value, right=3.0))]),
                    ConditionLessThan(left=rounds, right=1000)],
        if_steps=[inner], else_steps=[fail])

    s3_json = JsonGet(s3_uri=Join(on="/", values=["s3:/", BUCKET, ExecutionVariables.PIPELINE_EXECUTION_ID,
                                                  "summary.json"]), json_path="summary.ok")
    summary_cond = ConditionStep(name="CheckSummary", conditions=[ConditionEquals(left=s3_json, right=True)],
                                 if_steps=[], else_steps=[], depends_on=[step_eval])
    return Pipeline(name="AbaloneEveryStep",
                    parameters=[input_data, mode, rounds, threshold, register, approval],
                    steps=[step_prep, step_train, step_model, step_transform, step_eval, step_cond, summary_cond],
                    sagemaker_session=sess)


def tuning(sess):
    """A tuning step over the built-in XGBoost, then a model of its best training job."""
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import TuningStep

    image = image_uris.retrieve("xgboost", REGION, "1.7-1")
    est = Estimator(image_uri=image, instance_type="ml.m5.xlarge",
                    instance_count=1, role=ROLE, sagemaker_session=sess, output_path=f"s3://{BUCKET}/tune")
    est.set_hyperparameters(objective="binary:logistic", eval_metric="auc", num_round=20)
    tuner = HyperparameterTuner(est, objective_metric_name="validation:auc", objective_type="Maximize",
                                hyperparameter_ranges={
                                    "eta": ContinuousParameter(0.05, 0.5, scaling_type="Logarithmic"),
                                    "max_depth": IntegerParameter(2, 6),
                                    "grow_policy": CategoricalParameter(["depthwise", "lossguide"]),
                                },
                                strategy="Bayesian", max_jobs=6, max_parallel_jobs=2)
    step = TuningStep(name="Tune", step_args=tuner.fit(inputs={
        "train": TrainingInput(f"s3://{BUCKET}/train", content_type="text/csv"),
        "validation": TrainingInput(f"s3://{BUCKET}/validation", content_type="text/csv"),
    }))
    model = Model(image_uri=image, model_data=step.get_top_model_s3_uri(top_k=0, s3_bucket=BUCKET, prefix="tune"),
                  role=ROLE, sagemaker_session=sess)
    step_model = ModelStep(name="BestModel", step_args=model.create(instance_type="ml.m5.large"))
    return Pipeline(name="Tuning", steps=[step, step_model], sagemaker_session=sess)


PIPELINES = {"tutorial": tutorial, "every_step": every_step, "tuning": tuning}


def main(out):
    sess = session()
    os.makedirs(out, exist_ok=True)
    for name, build in PIPELINES.items():
        definition = json.loads(build(sess).definition())
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(definition, f, indent=2, sort_keys=False)
            f.write("\n")
    with open(os.path.join(out, "uploads.json"), "w") as f:
        json.dump(UPLOADS, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, ".."))
