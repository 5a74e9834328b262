"""The fraud tutorial's jobs with the step types the tutorial does not use:
Transform (batch scoring with the created model), Callback (an approval
answered with `ferry callback success TOKEN -o approved=true`), Fail, and
Std:JsonGet in its S3Uri form, written with the SageMaker Python SDK v2.

    AWS_ENDPOINT_URL=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=any AWS_SECRET_ACCESS_KEY=any \
        python3 every_step.py --bucket fraud-demo --out every_step.json

Same data, uploads and Lambda as pipeline.py. The parameter MinAuc (default
0.7) gates the approval; above 1 the Fail step ends the execution.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the example for the import below
from pipeline import CODE, GROUP, READ, ROLE, deploy_function, session  # noqa: E402

from sagemaker import image_uris
from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
from sagemaker.sklearn.processing import SKLearnProcessor
from sagemaker.transformer import Transformer
from sagemaker.workflow.callback_step import CallbackOutput, CallbackOutputTypeEnum, CallbackStep
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionEquals, ConditionGreaterThanOrEqualTo
from sagemaker.workflow.execution_variables import ExecutionVariables
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import Join, JsonGet
from sagemaker.workflow.lambda_step import LambdaStep
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import ParameterFloat
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep, TransformStep
from sagemaker.xgboost.estimator import XGBoost


def build(sess, region):
    bucket = sess.default_bucket()
    write = f"s3://{bucket}/every-step"
    cache = CacheConfig(enable_caching=True, expire_after="30d")
    min_auc = ParameterFloat("MinAuc", default_value=0.7)

    sklearn = SKLearnProcessor(framework_version="0.23-1", role=ROLE, instance_type="ml.c5.xlarge",
                               instance_count=1, sagemaker_session=sess)
    step_process = ProcessingStep(name="DataProcessing", cache_config=cache, step_args=sklearn.run(
        inputs=[ProcessingInput(source=f"{READ}/claims.csv", destination="/opt/ml/processing/claims"),
                ProcessingInput(source=f"{READ}/customers.csv", destination="/opt/ml/processing/customers")],
        outputs=[ProcessingOutput(output_name=n, source=f"/opt/ml/processing/{d}", destination=f"{write}/{n}")
                 for n, d in [("train_data", "train"), ("validation_data", "val"), ("test_data", "test"),
                              ("processed_data", "full")]],
        code=os.path.join(CODE, "preprocessing.py")))
    outputs = step_process.properties.ProcessingOutputConfig.Outputs

    step_batch_input = ProcessingStep(name="BatchInput", cache_config=cache, step_args=sklearn.run(
        inputs=[ProcessingInput(source=outputs["test_data"].S3Output.S3Uri, destination="/opt/ml/processing/test")],
        outputs=[ProcessingOutput(output_name="batch", source="/opt/ml/processing/batch")],
        code=os.path.join(CODE, "batch_input.py")))

    xgb = XGBoost(entry_point=os.path.join(CODE, "xgboost_train.py"), framework_version="1.3-1", role=ROLE,
                  instance_type="ml.m4.xlarge", instance_count=1, output_path=f"{write}/training_jobs",
                  code_location=f"{write}/training_jobs",
                  hyperparameters={"objective": "binary:logistic", "num_round": "5", "max_depth": "5",
                                   "subsample": "0.75", "colsample_bytree": "0.75", "eta": "0.5"},
                  sagemaker_session=sess)
    step_train = TrainingStep(name="XGBModelTraining", cache_config=cache, step_args=xgb.fit(inputs={
        "train": TrainingInput(s3_data=outputs["train_data"].S3Output.S3Uri, content_type="csv"),
        "validation": TrainingInput(s3_data=outputs["validation_data"].S3Output.S3Uri, content_type="csv")}))
    artifacts = step_train.properties.ModelArtifacts.S3ModelArtifacts

    image = image_uris.retrieve("xgboost", region, "1.3-1")
    model = Model(image_uri=image, model_data=artifacts, sagemaker_session=sess, role=ROLE)
    step_model = ModelStep(name="FraudDetModel", step_args=model.create(instance_type="ml.m4.xlarge"))

    transformer = Transformer(model_name=step_model.properties.ModelName, instance_type="ml.m4.xlarge",
                              instance_count=1, output_path=f"{write}/batch-scores", accept="text/csv",
                              assemble_with="Line", sagemaker_session=sess)
    step_transform = TransformStep(name="BatchScore", step_args=transformer.transform(
        data=step_batch_input.properties.ProcessingOutputConfig.Outputs["batch"].S3Output.S3Uri,
        content_type="text/csv", split_type="Line"))

    evaluator = ScriptProcessor(image_uri=image, command=["python3"], instance_type="ml.c5.xlarge",
                                instance_count=1, role=ROLE, sagemaker_session=sess)
    report = PropertyFile(name="FraudDetEvaluationReport", output_name="evaluation", path="evaluation.json")
    step_eval = ProcessingStep(name="XGBModelEvaluate", property_files=[report], cache_config=cache,
                               step_args=evaluator.run(
        inputs=[ProcessingInput(source=artifacts, destination="/opt/ml/processing/model"),
                ProcessingInput(source=outputs["test_data"].S3Output.S3Uri, destination="/opt/ml/processing/test")],
        outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation",
                                  destination=f"{write}/model_eval")],
        code=os.path.join(CODE, "evaluate.py")))
    auc = JsonGet(step_name=step_eval.name, property_file=report, json_path="classification_metrics.roc_auc.value")

    approve = CallbackStep(
        name="Approve", sqs_queue_url="https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
        inputs={"auc": auc, "scores": step_transform.properties.TransformOutput.S3OutputPath},
        outputs=[CallbackOutput(output_name="approved", output_type=CallbackOutputTypeEnum.Boolean)])
    register = ModelStep(name="XGBRegisterModel", step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m4.xlarge"],
        transform_instances=["ml.m4.xlarge"], model_package_group_name=GROUP, approval_status="Approved"))
    deploy = LambdaStep(
        name="LambdaStepRealTimeDeploy",
        lambda_func=deploy_function(sess),
        inputs={"model_name": "every-step", "endpoint_config_name": "every-step-config",
                "endpoint_name": "every-step-endpoint", "model_package_arn": register.steps[0].properties.ModelPackageArn,
                "role": ROLE, "instance_type": "ml.m4.xlarge", "instance_count": 1})
    check_approval = ConditionStep(
        name="CheckApproval", conditions=[ConditionEquals(left=approve.properties.Outputs["approved"], right=True)],
        if_steps=[register, deploy], else_steps=[])
    fail = FailStep(name="AucTooLow", error_message=Join(on=" ", values=["AUC", auc, "is below", min_auc]))
    check_auc = ConditionStep(name="CheckAuc", conditions=[ConditionGreaterThanOrEqualTo(left=auc, right=min_auc)],
                              if_steps=[approve, check_approval], else_steps=[fail])

    # The published evaluation, read back by URI.
    published = JsonGet(s3_uri=Join(on="/", values=[f"{write}/model_eval", "evaluation.json"]),
                        json_path="classification_metrics.roc_auc.value")
    check_published = ConditionStep(name="CheckPublished", depends_on=[step_eval],
                                    conditions=[ConditionGreaterThanOrEqualTo(left=published, right=0.5)],
                                    if_steps=[], else_steps=[])
    return Pipeline(name="FraudEveryStep", parameters=[min_auc],
                    steps=[step_process, step_batch_input, step_train, step_model, step_transform, step_eval,
                           check_auc, check_published],
                    sagemaker_session=sess)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bucket", required=True)
    p.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    p.add_argument("--out", required=True)
    args = p.parse_args()
    definition = build(session(args.bucket, args.region), args.region).definition()
    with open(args.out, "w") as f:
        f.write(definition + "\n")


if __name__ == "__main__":
    main()
