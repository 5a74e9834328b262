// Command gen writes the data of the monitoring benchmark: a reference
// (training) CSV and one hour of data capture with N records, each a
// text/csv request of one record of 48 features, shaped like the fraud
// tutorial's encoded payload (10 amounts, 8 small counts, 30 one-hot
// indicators). In the captured data f0 is scaled by 1.5 and one-hot h0 is
// set twice as often, so the report has drift to find.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	nFrac, nInt, nHot = 10, 8, 30
	// Endpoint is the endpoint name the capture is written for.
	Endpoint = "bench-ep"
)

func header() []string {
	var h []string
	for i := range nFrac {
		h = append(h, "f"+strconv.Itoa(i))
	}
	for i := range nInt {
		h = append(h, "i"+strconv.Itoa(i))
	}
	for i := range nHot {
		h = append(h, "h"+strconv.Itoa(i))
	}
	return h
}

func row(r *rand.Rand, drift bool, dst []byte) []byte {
	for i := range nFrac {
		v := math.Exp(8 + 0.8*r.NormFloat64() + 0.1*float64(i))
		if drift && i == 0 {
			v *= 1.5
		}
		dst = strconv.AppendFloat(dst, math.Round(v*100)/100, 'f', -1, 64)
		dst = append(dst, ',')
	}
	for i := range nInt {
		dst = strconv.AppendInt(dst, int64(r.IntN(3+i%4)), 10)
		dst = append(dst, ',')
	}
	for i := range nHot {
		p := 0.05 + 0.3*float64(i%5)/4
		if drift && i == 0 {
			p *= 2
		}
		if r.Float64() < p {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
		if i < nHot-1 {
			dst = append(dst, ',')
		}
	}
	return dst
}

type item struct {
	ObservedContentType string `json:"observedContentType"`
	Mode                string `json:"mode"`
	Data                string `json:"data"`
	Encoding            string `json:"encoding"`
}

type line struct {
	CaptureData struct {
		EndpointInput  item `json:"endpointInput"`
		EndpointOutput item `json:"endpointOutput"`
	} `json:"captureData"`
	EventMetadata struct {
		EventID       string `json:"eventId"`
		InferenceTime string `json:"inferenceTime"`
	} `json:"eventMetadata"`
	EventVersion string `json:"eventVersion"`
}

func main() {
	n := flag.Int("n", 1_000_000, "captured records")
	ref := flag.Int("ref", 100_000, "reference rows")
	out := flag.String("out", "/tmp/ferry-bench-monitoring", "output directory")
	flag.Parse()
	r := rand.New(rand.NewPCG(17, 1))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(*out, "reference.csv"))
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(strings.Join(header(), ",") + "\n")
	var buf []byte
	for range *ref {
		buf = append(row(r, false, buf[:0]), '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	f.Close()

	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	dir := filepath.Join(*out, "capture", Endpoint, "AllTraffic", "2026", "01", "01", "10")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	f, err = os.Create(filepath.Join(dir, "00-00-000-bench.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	w = bufio.NewWriterSize(f, 1<<20)
	var l line
	l.EventVersion = "0"
	l.CaptureData.EndpointInput = item{ObservedContentType: "text/csv", Mode: "INPUT", Encoding: "CSV"}
	l.CaptureData.EndpointOutput = item{ObservedContentType: "text/csv", Mode: "OUTPUT", Encoding: "CSV"}
	for i := range *n {
		buf = row(r, true, buf[:0])
		l.CaptureData.EndpointInput.Data = string(buf)
		l.CaptureData.EndpointOutput.Data = strconv.FormatFloat(r.Float64(), 'f', 6, 64) + "\n"
		l.EventMetadata.EventID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		t := start.Add(time.Duration(int64(i) * int64(time.Hour) / int64(*n)))
		l.EventMetadata.InferenceTime = t.Format("2006-01-02T15:04:05.000Z")
		b, _ := json.Marshal(&l)
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	f.Close()
	fmt.Printf("wrote %d reference rows and %d captured records to %s\n", *ref, *n, *out)
}
