package ui

import (
	"fmt"
	"sort"
)

// Graph is a step graph laid out in layers, left to right: a step's layer
// is the length of the longest path to it from a step without
// dependencies, and the steps of a layer are ordered by the mean position
// of their dependencies (a barycenter sweep) to keep edges short and
// mostly uncrossed.
type Graph struct {
	Width, Height int
	Nodes         []Node
	Edges         []Edge
}

// Node is one step's box.
type Node struct {
	Name          string
	Label, Href   string
	Status        string
	Attempts      int
	Cache         bool // a cache hit
	X, Y, W, H    int
	Layer, Order  int
	LabelX, TextY int
}

// Edge is a dependency, drawn as a cubic curve from the dependency's box
// to the dependent's.
type Edge struct {
	From, To string
	Path     string
}

// Layout sizes.
const (
	nodeW, nodeH = 150, 40
	gapX, gapY   = 60, 18
	margin       = 10
)

// Layout lays out the steps (in definition order) with their dependencies
// (names of other steps; unknown names are ignored).
func Layout(steps []string, deps map[string][]string) Graph { return layout(steps, deps, nodeW) }

// labelChars is how many characters of a label fit a box w pixels wide.
func labelChars(w int) int { return (w - 20) / 7 }

// layout lays out boxes w pixels wide.
func layout(steps []string, deps map[string][]string, nodeW int) Graph {
	index := make(map[string]int, len(steps))
	for i, s := range steps {
		index[s] = i
	}
	// Layers by longest path, iteratively (a cycle, which validation
	// excludes, stops growing after len(steps) rounds).
	layer := make([]int, len(steps))
	for round := 0; round < len(steps); round++ {
		changed := false
		for i, s := range steps {
			for _, d := range deps[s] {
				j, ok := index[d]
				if ok && j != i && layer[j]+1 > layer[i] {
					layer[i] = layer[j] + 1
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	nLayers := 0
	for _, l := range layer {
		nLayers = max(nLayers, l+1)
	}
	layers := make([][]int, nLayers)
	for i := range steps {
		layers[layer[i]] = append(layers[layer[i]], i)
	}
	pos := make([]float64, len(steps))
	for _, ls := range layers {
		for k, i := range ls {
			pos[i] = float64(k)
		}
	}
	// Two barycenter sweeps, left to right.
	for sweep := 0; sweep < 2; sweep++ {
		for l := 1; l < nLayers; l++ {
			bary := map[int]float64{}
			for _, i := range layers[l] {
				sum, n := 0.0, 0
				for _, d := range deps[steps[i]] {
					if j, ok := index[d]; ok && layer[j] < l {
						sum += pos[j]
						n++
					}
				}
				if n > 0 {
					bary[i] = sum / float64(n)
				} else {
					bary[i] = pos[i]
				}
			}
			sort.SliceStable(layers[l], func(a, b int) bool { return bary[layers[l][a]] < bary[layers[l][b]] })
			for k, i := range layers[l] {
				pos[i] = float64(k)
			}
		}
	}
	maxRows := 0
	for _, ls := range layers {
		maxRows = max(maxRows, len(ls))
	}
	g := Graph{
		Width:  2*margin + nLayers*nodeW + max(0, nLayers-1)*gapX,
		Height: 2*margin + maxRows*nodeH + max(0, maxRows-1)*gapY,
	}
	at := make(map[string]*Node, len(steps))
	g.Nodes = make([]Node, 0, len(steps))
	for l, ls := range layers {
		// Centre each layer vertically.
		off := (maxRows - len(ls)) * (nodeH + gapY) / 2
		for k, i := range ls {
			x := margin + l*(nodeW+gapX)
			y := margin + off + k*(nodeH+gapY)
			g.Nodes = append(g.Nodes, Node{Name: steps[i], X: x, Y: y, W: nodeW, H: nodeH, Layer: l, Order: k,
				LabelX: x + 10, TextY: y + 25, Status: "Pending", Label: clip(steps[i], labelChars(nodeW))})
		}
	}
	for i := range g.Nodes {
		at[g.Nodes[i].Name] = &g.Nodes[i]
	}
	for _, s := range steps {
		to := at[s]
		for _, d := range sortedCopy(deps[s]) {
			from, ok := at[d]
			if !ok || d == s {
				continue
			}
			x1, y1 := from.X+from.W, from.Y+from.H/2
			x2, y2 := to.X, to.Y+to.H/2
			mid := (x1 + x2) / 2
			g.Edges = append(g.Edges, Edge{From: d, To: s,
				Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2-4, y2)})
		}
	}
	return g
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// clip shortens a label to n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
