"""FraudDetectXGBPipeline, the SageMaker fraud tutorial's pipeline, written
with the SageMaker Python SDK v2 (pip install "sagemaker<3").

    AWS_ENDPOINT_URL=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=any AWS_SECRET_ACCESS_KEY=any \
        python3 pipeline.py --bucket fraud-demo --out definition.json

While it builds the definition, the SDK uploads the scripts in code/ (and the
training script's sourcedir.tar.gz and the Clarify analysis configs) to
s3://BUCKET/fraud-detect-demo/..., and creates (or updates) the deploy Lambda,
lambda/lambda_deployer.py, through the Lambda API: point AWS_ENDPOINT_URL at
Ferry (`ferry server`) and they land in Ferry's object namespace and Lambda
functions, where `ferry run definition.json` finds them. The raw data is read from
s3://sagemaker-sample-files/datasets/tabular/synthetic_automobile_claims/,
as in the tutorial: put claims.csv and customers.csv there first.
"""
import argparse
import os

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import boto3  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig, SHAPConfig  # noqa: E402
from sagemaker.drift_check_baselines import DriftCheckBaselines  # noqa: E402
from sagemaker.inputs import TrainingInput  # noqa: E402
from sagemaker.lambda_helper import Lambda  # noqa: E402
from sagemaker.model import Model  # noqa: E402
from sagemaker.model_metrics import FileSource, MetricsSource, ModelMetrics  # noqa: E402
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor  # noqa: E402
from sagemaker.sklearn.processing import SKLearnProcessor  # noqa: E402
from sagemaker.workflow.check_job_config import CheckJobConfig  # noqa: E402
from sagemaker.workflow.clarify_check_step import (ClarifyCheckStep, ModelBiasCheckConfig,  # noqa: E402
                                                   ModelExplainabilityCheckConfig)
from sagemaker.workflow.condition_step import ConditionStep  # noqa: E402
from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo  # noqa: E402
from sagemaker.workflow.functions import JsonGet  # noqa: E402
from sagemaker.workflow.lambda_step import LambdaStep  # noqa: E402
from sagemaker.workflow.model_step import ModelStep  # noqa: E402
from sagemaker.workflow.parameters import ParameterBoolean, ParameterInteger, ParameterString  # noqa: E402
from sagemaker.workflow.pipeline import Pipeline  # noqa: E402
from sagemaker.workflow.pipeline_context import PipelineSession  # noqa: E402
from sagemaker.workflow.properties import PropertyFile  # noqa: E402
from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep  # noqa: E402
from sagemaker.xgboost.estimator import XGBoost  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CODE = os.path.join(HERE, "code")
ROLE = "arn:aws:iam::000000000000:role/FerrySageMaker"
READ = "s3://sagemaker-sample-files/datasets/tabular/synthetic_automobile_claims"
LAMBDA = "sagemaker-fraud-det-demo-lambda-step"
GROUP = "fraud-detect-xgb-model-group"
# No telemetry: the SDK would otherwise call an AWS address after each step it builds.
CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def session(bucket, region):
    """A pipeline session whose uploads go to AWS_ENDPOINT_URL. The bucket is
    given: the SDK would ask STS at its regional endpoint for the account."""
    boto = boto3.Session(region_name=region)
    return PipelineSession(boto_session=boto, default_bucket=bucket, sagemaker_config=CONFIG)


def deploy_function(sess):
    """The tutorial's deploy Lambda: lambda/lambda_deployer.py, whose handler
    creates the model, the endpoint config and the endpoint with boto3."""
    return Lambda(function_name=LAMBDA, execution_role_arn=ROLE, script=os.path.join(HERE, "lambda", "lambda_deployer.py"),
                  handler="lambda_deployer.lambda_handler", timeout=600, memory_size=10240, session=sess)


def build(sess, region, cache=False):
    """The pipeline. cache turns on step caching for the three jobs (the
    tutorial has none)."""
    cache_config = CacheConfig(enable_caching=True, expire_after="30d") if cache else None
    bucket = sess.default_bucket()
    write = f"s3://{bucket}/fraud-detect-demo"

    deploy_instance_type = ParameterString("DeployInstanceType", default_value="ml.m4.xlarge")
    deploy_instance_count = ParameterInteger("DeployInstanceCount", default_value=1)
    skip_bias = ParameterBoolean("SkipModelBiasCheck", default_value=False)
    register_bias = ParameterBoolean("RegisterNewModelBiasBaseline", default_value=False)
    supplied_bias = ParameterString("ModelBiasSuppliedBaselineConstraints", default_value="")
    skip_expl = ParameterBoolean("SkipModelExplainabilityCheck", default_value=False)
    register_expl = ParameterBoolean("RegisterNewModelExplainabilityBaseline", default_value=False)
    supplied_expl = ParameterString("ModelExplainabilitySuppliedBaselineConstraints", default_value="")
    approval = ParameterString("ModelApprovalStatus", default_value="Approved")
    # Declared but not wired into the steps, as in the tutorial.
    unused = [ParameterString("ProcessingInstanceType", default_value="ml.c5.xlarge"),
              ParameterString("TrainingInstanceType", default_value="ml.m4.xlarge"),
              ParameterInteger("TrainingInstanceCount", default_value=1),
              ParameterString("ClarifyInstanceType", default_value="ml.m4.xlarge")]

    # 1. Preprocessing: SKLearnProcessor running preprocessing.py.
    sklearn = SKLearnProcessor(framework_version="0.23-1", role=ROLE, instance_type="ml.c5.xlarge",
                               instance_count=1, base_job_name="fraud-detect-processing", sagemaker_session=sess)
    proc_args = sklearn.run(
        inputs=[ProcessingInput(source=f"{READ}/claims.csv", destination="/opt/ml/processing/claims"),
                ProcessingInput(source=f"{READ}/customers.csv", destination="/opt/ml/processing/customers")],
        outputs=[ProcessingOutput(output_name="train_data", source="/opt/ml/processing/train",
                                  destination=f"{write}/processing_jobs/train_data"),
                 ProcessingOutput(output_name="validation_data", source="/opt/ml/processing/val",
                                  destination=f"{write}/processing_jobs/validation_data"),
                 ProcessingOutput(output_name="test_data", source="/opt/ml/processing/test",
                                  destination=f"{write}/processing_jobs/test_data"),
                 ProcessingOutput(output_name="processed_data", source="/opt/ml/processing/full",
                                  destination=f"{write}/processing_jobs/processed_data")],
        code=os.path.join(CODE, "preprocessing.py"),
        arguments=["--train-ratio", "0.8", "--validation-ratio", "0.1", "--test-ratio", "0.1"])
    step_process = ProcessingStep(name="DataProcessing", step_args=proc_args, cache_config=cache_config)
    outputs = step_process.properties.ProcessingOutputConfig.Outputs

    # 2. Training: the XGBoost framework estimator in script mode.
    xgb = XGBoost(entry_point=os.path.join(CODE, "xgboost_train.py"), framework_version="1.3-1", role=ROLE,
                  instance_type="ml.m4.xlarge", instance_count=1, output_path=f"{write}/training_jobs",
                  code_location=f"{write}/training_jobs", base_job_name="fraud-detect-xgb",
                  hyperparameters={"eval_metric": "auc", "objective": "binary:logistic", "num_round": "5",
                                   "max_depth": "5", "subsample": "0.75", "colsample_bytree": "0.75",
                                   "eta": "0.5"},
                  metric_definitions=[{"Name": "train:auc", "Regex": r"train-auc:([0-9\.]+)"},
                                      {"Name": "validation:auc", "Regex": r"validation-auc:([0-9\.]+)"}],
                  sagemaker_session=sess)
    train_args = xgb.fit(inputs={
        "train": TrainingInput(s3_data=outputs["train_data"].S3Output.S3Uri, content_type="csv"),
        "validation": TrainingInput(s3_data=outputs["validation_data"].S3Output.S3Uri, content_type="csv")})
    step_train = TrainingStep(name="XGBModelTraining", step_args=train_args, cache_config=cache_config)

    # 3. Evaluation: a ScriptProcessor on the XGBoost image, with a property file.
    image = image_uris.retrieve("xgboost", region, "1.3-1")
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
        code=os.path.join(CODE, "evaluate.py"))
    step_eval = ProcessingStep(name="XGBModelEvaluate", step_args=eval_args, property_files=[report],
                               cache_config=cache_config)

    # 4. Create the model.
    model = Model(image_uri=image, model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts,
                  sagemaker_session=sess, role=ROLE)
    step_create_model = ModelStep(name="FraudDetModel", step_args=model.create(instance_type="ml.m4.xlarge"))

    # 5. Clarify: model bias and explainability checks.
    check_job = CheckJobConfig(role=ROLE, instance_count=1, instance_type="ml.m4.xlarge", volume_size_in_gb=30,
                               sagemaker_session=sess)
    model_config = ModelConfig(model_name=step_create_model.properties.ModelName, instance_count=1,
                               instance_type="ml.m4.xlarge")
    bias_data = DataConfig(s3_data_input_path=outputs["train_data"].S3Output.S3Uri,
                           s3_output_path=f"{write}/clarify_output/pipeline/bias", label="fraud",
                           dataset_type="text/csv", s3_analysis_config_output_path=f"{write}/model_monitor/bias_config")
    bias_config = ModelBiasCheckConfig(
        data_config=bias_data, data_bias_config=BiasConfig(label_values_or_threshold=[0],
                                                           facet_name="customer_gender_female",
                                                           facet_values_or_threshold=[1]),
        model_config=model_config, model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
        methods=["DPPL"])
    bias = ClarifyCheckStep(name="ModelBiasCheck", clarify_check_config=bias_config, check_job_config=check_job,
                            skip_check=skip_bias, register_new_baseline=register_bias,
                            supplied_baseline_constraints=supplied_bias, model_package_group_name=GROUP)
    expl_data = DataConfig(s3_data_input_path=outputs["train_data"].S3Output.S3Uri,
                           s3_output_path=f"{write}/clarify_output/pipeline/explainability", label="fraud",
                           dataset_type="text/csv",
                           s3_analysis_config_output_path=f"{write}/model_monitor/explainability_config")
    expl_config = ModelExplainabilityCheckConfig(
        data_config=expl_data, model_config=model_config,
        explainability_config=SHAPConfig(seed=42, num_samples=100, agg_method="mean_abs",
                                         save_local_shap_values=True))
    expl = ClarifyCheckStep(name="ModelExplainabilityCheck", clarify_check_config=expl_config,
                            check_job_config=check_job, skip_check=skip_expl, register_new_baseline=register_expl,
                            supplied_baseline_constraints=supplied_expl, model_package_group_name=GROUP)

    # 6. Register with model metrics and drift baselines.
    metrics = ModelMetrics(
        bias_post_training=MetricsSource(s3_uri=bias.properties.CalculatedBaselineConstraints,
                                         content_type="application/json"),
        explainability=MetricsSource(s3_uri=expl.properties.CalculatedBaselineConstraints,
                                     content_type="application/json"))
    drift = DriftCheckBaselines(
        bias_post_training_constraints=MetricsSource(s3_uri=bias.properties.BaselineUsedForDriftCheckConstraints,
                                                     content_type="application/json"),
        explainability_constraints=MetricsSource(s3_uri=expl.properties.BaselineUsedForDriftCheckConstraints,
                                                 content_type="application/json"),
        explainability_config_file=FileSource(s3_uri=expl_config.monitoring_analysis_config_uri,
                                              content_type="application/json"))
    register_args = model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m4.xlarge"],
        transform_instances=["ml.m4.xlarge"], model_package_group_name=GROUP, approval_status=approval,
        model_metrics=metrics, drift_check_baselines=drift)
    step_register = ModelStep(name="XGBRegisterModel", step_args=register_args)

    # 7. Deploy through a Lambda function: the tutorial's deployer, created
    # (or updated) through the Lambda API when the definition is built.
    deploy = deploy_function(sess)
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
        parameters=[deploy_instance_type, deploy_instance_count, skip_bias, register_bias, supplied_bias,
                    skip_expl, register_expl, supplied_expl, approval] + unused,
        steps=[step_process, step_train, step_eval, step_cond], sagemaker_session=sess)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bucket", required=True, help="the SDK's default bucket (must exist)")
    p.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    p.add_argument("--out", required=True, help="where to write the definition (the SDK logs on stdout)")
    p.add_argument("--cache", action="store_true", help="cache the processing, training and evaluation steps (30 days)")
    args = p.parse_args()
    definition = build(session(args.bucket, args.region), args.region, cache=args.cache).definition()
    with open(args.out, "w") as f:
        f.write(definition + "\n")


if __name__ == "__main__":
    main()
