package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// writeBenchCapture writes n captured text/csv requests of one 48-feature
// record (10 amounts, 8 counts, 30 one-hot indicators) in the hour at 10:00.
func writeBenchCapture(tb testing.TB, root string, n int) []string {
	tb.Helper()
	var names []string
	for i := range 48 {
		names = append(names, "x"+strconv.Itoa(i))
	}
	dir := filepath.Join(root, "ep", "AllTraffic", "2026", "01", "01", "10")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "00-00-000-x.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var buf []byte
	for i := range n {
		buf = buf[:0]
		for j := range 48 {
			if j > 0 {
				buf = append(buf, ',')
			}
			switch {
			case j < 10:
				buf = strconv.AppendFloat(buf, math.Round(math.Exp(8+r.NormFloat64())*100)/100, 'f', -1, 64)
			case j < 18:
				buf = strconv.AppendInt(buf, int64(r.IntN(5)), 10)
			default:
				buf = strconv.AppendInt(buf, int64(r.IntN(2)), 10)
			}
		}
		line, _ := json.Marshal(map[string]any{
			"captureData": map[string]any{
				"endpointInput":  map[string]string{"observedContentType": "text/csv", "mode": "INPUT", "data": string(buf), "encoding": "CSV"},
				"endpointOutput": map[string]string{"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n", "encoding": "CSV"},
			},
			"eventMetadata": map[string]string{"eventId": fmt.Sprint(i), "inferenceTime": start.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")},
			"eventVersion":  "0",
		})
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return names
}

// BenchmarkDataQuality profiles 100,000 captured records and checks them
// against a baseline of themselves (bench/monitoring/run.sh times 1M
// beside Evidently).
func BenchmarkDataQuality(b *testing.B) {
	root := b.TempDir()
	const n = 100_000
	names := writeBenchCapture(b, root, n)
	w := Window{From: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)}
	p, err := ProfileCaptures(root, "ep", w, names, 1)
	if err != nil {
		b.Fatal(err)
	}
	base := p.Profile().Statistics
	cons := SuggestConstraints(base)
	b.ResetTimer()
	for b.Loop() {
		p, err := ProfileCaptures(root, "ep", w, names, 0)
		if err != nil {
			b.Fatal(err)
		}
		if vs, _ := Check(p.Profile(), base, cons); len(vs) != 0 {
			b.Fatalf("violations %v", vs)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
