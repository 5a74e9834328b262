// Package job runs SageMaker jobs locally as Ferry step kinds: the
// sagemaker_processing and sagemaker_training kinds take the request of
// CreateProcessingJob and CreateTrainingJob (as a SageMaker pipeline
// definition's step Arguments hold it, expressions already resolved) and
// expose the matching Describe* response as their properties.
//
// User code runs without containers: the image URI is mapped to a local
// runtime ([imagemap]), and the process sees a private /opt/ml ([optml])
// laid out as the SageMaker processing and training toolkits lay it out:
//
//	/opt/ml/processing/<LocalPath>        processing inputs and outputs
//	/opt/ml/input/data/<channel>/          training channels
//	/opt/ml/input/config/hyperparameters.json, resourceconfig.json,
//	                     inputdataconfig.json
//	/opt/ml/code/                          the unpacked sourcedir.tar.gz
//	/opt/ml/model/                         packed as model.tar.gz
//	/opt/ml/output/data/                   packed as output.tar.gz
//	/opt/ml/output/failure                 quoted in the failure reason
//
// s3:// inputs are imported into the artifact store through an [Objects]
// namespace and outputs are published back under their S3 URIs; an S3Uri
// may also be an artifact reference ("sha256:...").
//
// Training on SageMaker's XGBoost image without a sagemaker_program
// hyperparameter is the built-in algorithm: it runs on Ferry's own boosted
// trees with SageMaker's hyperparameter names and writes model.tar.gz
// holding xgboost-model (XGBoost's JSON model format).
package job
