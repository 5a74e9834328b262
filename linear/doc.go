// Package linear trains linear and logistic regression with L2 and
// optional L1 penalties, as Ferry's linear_learner.
//
// [Train] fits a [Model] to a [table.Dataset]; [Params] uses SageMaker
// linear_learner's names where it has the concept ([ParseParams] takes
// them as strings). A Model predicts batches ([Model.Predict],
// [Model.Margin]) and explains them exactly ([Model.Contribs]: a
// feature's contribution to the margin is its coefficient times its
// standardised distance from the training mean, 0 for a missing value,
// plus the intercept as the bias). [Model.Write] and [Read] store
// a model as JSON in Ferry's own format ([FormatName]).
//
// # Objective
//
// With z the features after imputation and standardisation, the learner
// minimises
//
//	regressor:          (1/2n)·Σ (y − b − w·z)²  + (l2/2)·‖w‖² + l1·‖w‖₁
//	binary_classifier:  (1/n)·Σ logloss(y, σ(b + w·z)) + (l2/2)·‖w‖² + l1·‖w‖₁
//
// by coordinate descent (the regressor) and proximal Newton with inner
// coordinate descent (the classifier, as glmnet does); the intercept b is
// not penalised. In scikit-learn terms: Ridge(alpha = n·l2),
// Lasso(alpha = l1), ElasticNet(alpha = l1 + l2, l1_ratio = l1/(l1 + l2)),
// LogisticRegression(C = 1/(n·l2)).
//
// # Missing values and standardisation
//
// A NaN feature value is replaced by the feature's training mean (over
// the rows that have it), in training and in prediction. With standardize
// (the default) features are centred and scaled to unit variance (the
// population standard deviation) before fitting; the model stores the
// means and scales and applies them when predicting.
package linear
