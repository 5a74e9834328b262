// Package tree holds the decision-tree representation shared by the
// boosted-tree and random-forest learners, with fast prediction and
// TreeSHAP. Its layout follows XGBoost's JSON model arrays.
//
// A [Tree] is a set of parallel node arrays (children, split feature and
// threshold, default direction for a missing value, categorical split
// sets, leaf value and cover), as XGBoost's JSON model stores them under
// "trees"; [github.com/ferryml/ferry/gbdt] and
// [github.com/ferryml/ferry/forest] build and read them. A row goes left
// when its value is below the threshold, and a NaN (missing) value goes
// to the default child. [Tree.Predict] routes one row; [Flat] lays an
// ensemble out for fast batch prediction; [ShapPathDependent] and
// [ShapInterventional] compute TreeSHAP contributions (XGBoost's
// pred_contribs and the shap library's interventional TreeExplainer).
// Most programs use the models of gbdt and forest rather than this
// package directly. It reads and writes nothing.
package tree
