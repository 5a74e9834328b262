// Package forest trains random forests: scikit-learn style CART trees on
// bootstrap samples, for regression (splits by variance reduction) and
// binary classification (splits by Gini impurity), stored as [tree.Tree]
// arrays so the shared prediction and TreeSHAP code serves them.
//
// [Train] fits a [Model] to a [table.Dataset] as scikit-learn's
// RandomForestRegressor and RandomForestClassifier fit(X, y) do, with
// scikit-learn's hyperparameter names ([Params]; [ParseParams] takes
// them as strings). A Model predicts batches ([Model.Predict]) and
// explains them with TreeSHAP ([Model.Contribs],
// [Model.ContribsInterventional]). [Model.Write] and [Read] store a
// model as JSON in Ferry's own format ([FormatName]); scikit-learn
// cannot load it (nor does this package read scikit-learn pickles).
//
// # Missing values
//
// A NaN feature value is routed, in training and in prediction, to the
// child that holds more of the node's non-missing training weight (the
// left child on a tie); the tree records that as the node's default
// direction. Infinite feature values are rejected.
//
// # Determinism
//
// Each tree draws from its own random stream derived from Params.Seed and
// the tree's index, so a seed gives the same model whatever the number of
// goroutines.
package forest
