"""Tutorial-shaped deploy Lambda: model from the registered package, one variant, an endpoint."""
import boto3


def lambda_handler(event, context):
    sm = boto3.client("sagemaker")
    sm.create_model(ModelName=event["model_name"], ExecutionRoleArn=event["role"],
                    PrimaryContainer={"ModelPackageName": event["model_package_arn"]})
    sm.create_endpoint_config(EndpointConfigName=event["endpoint_config_name"], ProductionVariants=[{
        "VariantName": "Alltraffic", "ModelName": event["model_name"],
        "InitialInstanceCount": int(event["instance_count"]), "InstanceType": event["instance_type"],
        "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=event["endpoint_name"], EndpointConfigName=event["endpoint_config_name"])
    return {"statusCode": 200, "endpoint_name": event["endpoint_name"]}
