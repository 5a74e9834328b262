package model

import (
	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/linear"
)

// Version names the versions of the learners whose models this package
// loads, and of the feature transform. Step kinds that train or predict
// put it in their spec's version, so a learner whose results change
// invalidates exactly the cached steps that used it.
const Version = "gbdt/" + gbdt.Version + "+forest/" + forest.Version + "+linear/" + linear.Version + "+feature/" + feature.Version
