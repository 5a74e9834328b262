//go:build race

package clarifycheck

// raceEnabled shrinks the data of the TreeSHAP-heavy tests: the race
// detector makes tree traversal about 20 times slower.
const raceEnabled = true
