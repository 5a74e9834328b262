// Command gen writes a synthetic claims + customers pair with the schema
// of the fraud-detection tutorial's tables, for the prepare benchmark:
//
//	go run ./bench/prepare/gen -n 1000000 -out /tmp/ferry-bench-prepare
//
// writes <out>/claims/claims.csv and <out>/customers/customers.csv. Each
// column is drawn independently from the values of the real column
// (examples/fraud-detection/data), so types, categories, missing values
// ("N/A") and "None" appear as in the real data; total_claim_amount is
// injury_claim + vehicle_claim as in the real data. policy_id runs 1..n
// and the customers come in shuffled order, so the join has work to do.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ferryml/ferry/internal/frame"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 1_000_000, "number of policies (rows in each table)")
	src := flag.String("src", "examples/fraud-detection/data", "directory holding the real claims.csv and customers.csv")
	out := flag.String("out", "/tmp/ferry-bench-prepare", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rng := rand.New(rand.NewPCG(*seed, 2))
	ids := make([]int, *n)
	for i := range ids {
		ids[i] = i + 1
	}
	if err := writeTable(rng, filepath.Join(*src, "claims.csv"), filepath.Join(*out, "claims", "claims.csv"), ids); err != nil {
		return err
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return writeTable(rng, filepath.Join(*src, "customers.csv"), filepath.Join(*out, "customers", "customers.csv"), ids)
}

func writeTable(rng *rand.Rand, src, dst string, ids []int) (err error) {
	// Read every value as text, missing markers included.
	real, err := frame.ReadCSVFile(src, frame.CSVOptions{NoDefaultNA: true})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("creating output: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	cols := real.Columns()
	values := make([][]string, len(cols))
	injury, vehicle, total := -1, -1, -1
	for j, c := range cols {
		values[j] = make([]string, c.Len())
		for i := range values[j] {
			values[j][i] = c.Text(i)
		}
		switch c.Name {
		case "injury_claim":
			injury = j
		case "vehicle_claim":
			vehicle = j
		case "total_claim_amount":
			total = j
		}
	}
	for j, c := range cols {
		if j > 0 {
			w.WriteByte(',')
		}
		w.WriteString(c.Name)
	}
	w.WriteByte('\n')
	var line []byte
	row := make([]int, len(cols))
	for _, id := range ids {
		line = line[:0]
		for j := range cols {
			row[j] = rng.IntN(len(values[j]))
		}
		for j, c := range cols {
			if j > 0 {
				line = append(line, ',')
			}
			switch {
			case c.Name == "policy_id":
				line = strconv.AppendInt(line, int64(id), 10)
			case j == total && injury >= 0 && vehicle >= 0:
				a, _ := cols[injury].Float(row[injury])
				b, _ := cols[vehicle].Float(row[vehicle])
				line = frame.AppendFloat(line, a+b)
			default:
				line = append(line, values[j][row[j]]...)
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
