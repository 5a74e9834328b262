package tuning

import "strconv"

// grid enumerates the cartesian product of each range's points, the last
// range (by name) varying fastest.
type grid struct {
	space  *Space
	points [][]any
}

const defaultGridPoints = 5

func newGrid(s *Space, n int) *grid {
	if n <= 0 {
		n = defaultGridPoints
	}
	g := &grid{space: s}
	for _, r := range s.ranges {
		g.points = append(g.points, r.gridPoints(n))
	}
	return g
}

// gridPoints lists a range's grid values: every categorical value; every
// integer when there are at most n; else n points evenly spaced in the
// scaled unit space (deduplicated for integers).
func (r Range) gridPoints(n int) []any {
	switch r.Type {
	case Categorical:
		out := make([]any, len(r.Values))
		for i, v := range r.Values {
			out[i] = v
		}
		return out
	case Integer:
		if count := r.Max - r.Min + 1; count <= float64(n) {
			out := make([]any, 0, int(count))
			for v := r.Min; v <= r.Max; v++ {
				out = append(out, int64(v))
			}
			return out
		}
	}
	if r.Min == r.Max {
		return []any{r.fromUnit(0)}
	}
	var out []any
	for i := range n {
		u := float64(i) / float64(n-1)
		if r.Type == Integer {
			// The integer cells' centres at the ends give min and max.
			v := r.fromUnit(u)
			if len(out) == 0 || out[len(out)-1] != v {
				out = append(out, v)
			}
			continue
		}
		out = append(out, r.fromUnit(u))
	}
	if r.Type == Continuous { // exact bounds; inner points free of exp/log rounding noise
		for i := range out {
			out[i], _ = strconv.ParseFloat(strconv.FormatFloat(out[i].(float64), 'g', 12, 64), 64)
		}
		out[0], out[len(out)-1] = r.Min, r.Max
	}
	return out
}

// Size is the number of grid points.
func (g *grid) Size() int {
	n := 1
	for _, p := range g.points {
		n *= len(p)
	}
	return n
}

func (g *grid) Propose(first, n int, _ []Trial) []Config {
	size := g.Size()
	var out []Config
	for i := first; i < first+n && i < size; i++ {
		c := make(Config, len(g.points))
		rest := i
		for d := len(g.points) - 1; d >= 0; d-- {
			c[g.space.ranges[d].Name] = g.points[d][rest%len(g.points[d])]
			rest /= len(g.points[d])
		}
		out = append(out, c)
	}
	return out
}

// GridSize returns the number of points a grid over s with the given
// points per continuous range has.
func GridSize(s *Space, points int) int { return newGrid(s, points).Size() }
