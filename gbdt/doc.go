// Package gbdt trains, reads, writes, predicts with and explains
// gradient-boosted tree models compatible with XGBoost: the same
// parameters under XGBoost's names, the same trees (hist tree method,
// XGBoost's quantile sketch and missing-value rules) and the same model
// files. It is pure Go, with no cgo and no Python.
//
// # Training
//
// [Train] fits a [Model] to a [table.Dataset] as xgboost.train(params,
// dtrain, evals=...) does. [Params] holds XGBoost's parameters (start
// from [DefaultParams]; [Params.Set] takes them by XGBoost's names and
// aliases as strings, as SageMaker passes hyperparameters; [Spec] lists
// them with their ranges). Options add evaluation sets ([WithEval]: the
// metrics of [Params.EvalMetric] after every round, and early stopping
// on the last one) and a progress callback ([WithProgress]). Supported
// objectives: binary:logistic, binary:logitraw, reg:squarederror,
// reg:logistic, multi:softprob, multi:softmax and count:poisson; sample
// weights ([table.Dataset.Weight]) and categorical features
// ([table.Dataset.FeatureTypes], as enable_categorical) work as in
// XGBoost.
//
// # Model files
//
// [ReadModel] and [ReadModelFile] read every format XGBoost writes:
// JSON (save_model("model.json")), UBJSON (".ubj", XGBoost 2.1's
// default), the deprecated binary format (what older SageMaker XGBoost
// containers saved as xgboost-model) and Python pickles of a Booster or
// a scikit-learn XGBClassifier/XGBRegressor; [DetectFormat] tells them
// apart. The gbtree and dart boosters are read, with categorical splits,
// num_parallel_tree > 1 and best_iteration. A file that is not a model,
// or a model using a feature this package lacks, is refused with an
// error that says what and why. [Model.WriteJSON] and
// [Model.WriteUBJSON] write files XGBoost 1.7 and later load.
//
// # Prediction and explanation
//
// A [Model] predicts row-major batches ([Model.Predict],
// [Model.PredictMargin]) or single rows ([Model.PredictRow]) into a
// caller-given slice, and explains them with TreeSHAP as XGBoost's
// predict(pred_contribs=True) does ([Model.Contribs]: one value per
// feature plus the bias, summing to the margin) or against a background
// sample ([Model.ContribsInterventional], as the shap library's
// TreeExplainer with data). A model whose early stopping recorded
// best_iteration predicts with the trees up to it, as XGBoost's
// scikit-learn API and SageMaker's container do; [Model.SetAllTrees]
// switches to every tree.
//
// Where Ferry can still differ from XGBoost is listed in Ferry's
// docs/learners.md ("XGBoost compatibility").
package gbdt
