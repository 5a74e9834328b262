"""The fraud tutorial's deploy Lambda (LambdaStepRealTimeDeploy): a model
from the registered package, an endpoint config with one variant, the
endpoint. It needs the AWS-compatible SageMaker API (boto3's sagemaker
client at AWS_ENDPOINT_URL).
"""
import boto3


def lambda_handler(event, context):
    sm = boto3.client("sagemaker")
    sm.create_model(ModelName=event["model_name"], ExecutionRoleArn=event["role"],
                    PrimaryContainer={"ModelPackageName": event["model_package_arn"]})
    sm.create_endpoint_config(
        EndpointConfigName=event["endpoint_config_name"],
        ProductionVariants=[{"VariantName": "Alltraffic", "ModelName": event["model_name"],
                             "InitialInstanceCount": int(event["instance_count"]),
                             "InstanceType": event["instance_type"], "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=event["endpoint_name"], EndpointConfigName=event["endpoint_config_name"])
    return {"statusCode": 200, "body": "Created endpoint " + event["endpoint_name"]}
