"""Builds a SageMaker pipeline definition with QualityCheckSteps, offline.

Run from this directory:  python3 make_quality_check.py OUTDIR [--bucket B --data-prefix P]
It writes OUTDIR/quality_check.json: a data-quality and a model-quality
QualityCheckStep (SageMaker Python SDK v2) on CSV data sets in S3, whose
BaselineUsedForDriftCheck* properties go to a RegisterModel step's
drift_check_baselines and whose CalculatedBaseline* go to its model
metrics, as SageMaker's MLOps templates do. The session is the offline one
of make_definitions.py (fake credentials, uploads recorded, fixed names).
"""
import argparse
import json
import os

import make_definitions as md  # noqa: E402  (patches the SDK for offline use)
from sagemaker import image_uris  # noqa: E402


def quality_check(sess, bucket, data):
    from sagemaker.drift_check_baselines import DriftCheckBaselines
    from sagemaker.model import Model
    from sagemaker.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.model_monitor.dataset_format import DatasetFormat
    from sagemaker.workflow.check_job_config import CheckJobConfig
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterBoolean, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.quality_check_step import (DataQualityCheckConfig, ModelQualityCheckConfig,
                                                       QualityCheckStep)

    skip_dq = ParameterBoolean("SkipDataQualityCheck", default_value=True)
    register_dq = ParameterBoolean("RegisterNewDataQualityBaseline", default_value=True)
    supplied_dq_stats = ParameterString("DataQualitySuppliedStatistics", default_value="")
    supplied_dq_cons = ParameterString("DataQualitySuppliedConstraints", default_value="")
    skip_mq = ParameterBoolean("SkipModelQualityCheck", default_value=True)
    register_mq = ParameterBoolean("RegisterNewModelQualityBaseline", default_value=True)
    approval = ParameterString("ModelApprovalStatus", default_value="PendingManualApproval")
    group = "fraud-quality-model-group"

    check_job = CheckJobConfig(role=md.ROLE, instance_count=1, instance_type="ml.c5.xlarge", volume_size_in_gb=30,
                               sagemaker_session=sess)
    dq = QualityCheckStep(
        name="DataQualityCheck",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=f"{data}/train.csv",
            dataset_format=DatasetFormat.csv(header=True, output_columns_position="START"),
            output_s3_uri=f"s3://{bucket}/quality/data-quality"),
        check_job_config=check_job, skip_check=skip_dq, register_new_baseline=register_dq,
        supplied_baseline_statistics=supplied_dq_stats, supplied_baseline_constraints=supplied_dq_cons,
        model_package_group_name=group)
    mq = QualityCheckStep(
        name="ModelQualityCheck",
        quality_check_config=ModelQualityCheckConfig(
            baseline_dataset=f"{data}/predictions.csv",
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=f"s3://{bucket}/quality/model-quality",
            problem_type="BinaryClassification",
            probability_attribute="score", ground_truth_attribute="fraud", probability_threshold_attribute=0.5),
        check_job_config=check_job, skip_check=skip_mq, register_new_baseline=register_mq,
        fail_on_violation=False, model_package_group_name=group)

    model = Model(image_uri=image_uris.retrieve("xgboost", md.REGION, "1.7-1"), model_data=f"{data}/model.tar.gz",
                  role=md.ROLE, sagemaker_session=sess)
    metrics = ModelMetrics(
        model_data_statistics=MetricsSource(s3_uri=dq.properties.CalculatedBaselineStatistics,
                                            content_type="application/json"),
        model_data_constraints=MetricsSource(s3_uri=dq.properties.CalculatedBaselineConstraints,
                                             content_type="application/json"),
        model_statistics=MetricsSource(s3_uri=mq.properties.CalculatedBaselineStatistics,
                                       content_type="application/json"),
        model_constraints=MetricsSource(s3_uri=mq.properties.CalculatedBaselineConstraints,
                                        content_type="application/json"))
    drift = DriftCheckBaselines(
        model_data_statistics=MetricsSource(s3_uri=dq.properties.BaselineUsedForDriftCheckStatistics,
                                            content_type="application/json"),
        model_data_constraints=MetricsSource(s3_uri=dq.properties.BaselineUsedForDriftCheckConstraints,
                                             content_type="application/json"),
        model_statistics=MetricsSource(s3_uri=mq.properties.BaselineUsedForDriftCheckStatistics,
                                       content_type="application/json"),
        model_constraints=MetricsSource(s3_uri=mq.properties.BaselineUsedForDriftCheckConstraints,
                                        content_type="application/json"))
    register = ModelStep(name="RegisterModel", step_args=model.register(
        content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.m5.xlarge"],
        transform_instances=["ml.m5.xlarge"], model_package_group_name=group, approval_status=approval,
        model_metrics=metrics, drift_check_baselines=drift))
    return Pipeline(name="FraudQualityChecks",
                    parameters=[skip_dq, register_dq, supplied_dq_stats, supplied_dq_cons, skip_mq, register_mq,
                                approval],
                    steps=[dq, mq, register], sagemaker_session=sess)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--bucket", default=md.BUCKET)
    ap.add_argument("--data-prefix", default="")
    args = ap.parse_args()
    data = args.data_prefix or f"s3://{args.bucket}/quality/data"
    definition = json.loads(quality_check(md.session(), args.bucket, data).definition())
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "quality_check.json"), "w") as f:
        json.dump(definition, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
