package training

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

// binCache holds the training set's XGBoost bins, made once per max_bin
// and feature types and shared by every run that reads the same [Data]
// (a tuning step's trials): binning is then paid once per tuning run,
// not once per trial.
type binCache struct {
	mu sync.Mutex
	m  map[string]*binEntry
}

type binEntry struct {
	once sync.Once
	q    *gbdt.Quantized
	err  error
}

// quantized returns the bins of train (the Data's training rows) for p,
// binning them on first use.
func (c *binCache) quantized(train *table.Dataset, p gbdt.Params) (*gbdt.Quantized, error) {
	key := fmt.Sprintf("%d/%s", p.MaxBin, strings.Join(train.FeatureTypes, ","))
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*binEntry{}
	}
	e, ok := c.m[key]
	if !ok {
		e = &binEntry{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.q, e.err = gbdt.Quantize(train, p) })
	return e.q, e.err
}
