// Package metric computes evaluation metrics with scikit-learn's
// definitions (scikit-learn 1.2), so that Ferry's numbers match what a
// Python evaluation script reports.
//
// Each function is the scikit-learn function of the same meaning:
// [ROCAUC] (roc_auc_score), [AveragePrecision]
// (average_precision_score), [LogLoss] (log_loss), [MSE], [RMSE], [MAE]
// (mean_squared_error, its square root, mean_absolute_error), [R2]
// (r2_score) and [ConfusionAt] (confusion_matrix at a threshold, with
// precision, recall, F1 and accuracy). They compute from slices and read
// and write nothing.
//
// Binary metrics take labels y in {0, 1} (1 is the positive class) and
// predicted probabilities or scores p. Every function takes optional
// sample weights w: nil means unweighted. Inputs of different lengths,
// empty inputs, labels other than 0 and 1, and NaN values are errors.
package metric
