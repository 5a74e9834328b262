package tuning

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MetricDefinition is SageMaker's metric definition: a metric's name and a
// regular expression whose first capture group is its value in a line of a
// training script's log.
type MetricDefinition struct {
	Name  string
	Regex string
}

// Scraper reads metric values from log lines as a script writes them, so
// that script-mode trials report per-round values to the [Stopper] as the
// built-in learners do.
type Scraper struct {
	names []string
	res   []*regexp.Regexp
	// History holds each metric's values in the order they appeared.
	History map[string][]float64
}

// NewScraper compiles the definitions; an error names the definition
// (metric_definitions[i]) at fault.
func NewScraper(defs []MetricDefinition) (*Scraper, error) {
	s := &Scraper{History: map[string][]float64{}}
	for i, d := range defs {
		if d.Name == "" {
			return nil, fmt.Errorf("metric_definitions[%d]: a metric needs a name", i)
		}
		re, err := regexp.Compile(d.Regex)
		if err != nil {
			return nil, fmt.Errorf("metric_definitions[%d] (%s): %w", i, d.Name, err)
		}
		if re.NumSubexp() < 1 {
			return nil, fmt.Errorf("metric_definitions[%d] (%s): the regex needs a capture group for the value", i, d.Name)
		}
		s.names = append(s.names, d.Name)
		s.res = append(s.res, re)
	}
	return s, nil
}

// Feed reads one log line and returns the metrics it reported (nil when
// none). A capture that is not a number is ignored, as SageMaker does.
func (s *Scraper) Feed(line string) map[string]float64 {
	var out map[string]float64
	for i, re := range s.res {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(m[1]), 64)
		if err != nil {
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		out[s.names[i]] = v
		s.History[s.names[i]] = append(s.History[s.names[i]], v)
	}
	return out
}
