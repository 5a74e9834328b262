// Package table is the data the learners read: [Dataset], the one
// training and evaluation matrix shared by [github.com/ferryml/ferry/gbdt],
// [github.com/ferryml/ferry/forest] and [github.com/ferryml/ferry/linear],
// and [Table], a numeric table read from CSV.
//
// A [Dataset] holds row-major float64 features with NaN for a missing
// value, one label per row and optional sample weights: what XGBoost's
// DMatrix or scikit-learn's (X, y, sample_weight) hold. Build it from
// slices, or read a CSV file into a [Table] with [ReadCSV] and cut the
// label (and weight) columns out with [Table.Dataset].
// [Dataset.SetCategorical] marks integer-coded categorical features.
//
// # Reading CSV
//
// [ReadCSV] reads a CSV file with a header row into a [Table] of named
// float64 columns. It reads in one streaming pass, a block at a time, and
// parses blocks on several goroutines, so a file of millions of rows is
// never whole in memory as text; quoted fields and CRLF line ends are
// read as encoding/csv reads them. It writes nothing.
//
// # Missing values
//
// One rule decides, everywhere in Ferry, which cells are missing and how
// a cell is read as a number: a missing cell is one of pandas 1.x's
// default NA strings ([NAValues]: the empty cell, "NA", "NaN", "nan",
// "N/A", "NULL", "null", "#N/A", "<NA>", ...) after surrounding spaces
// are removed, and becomes NaN; any other cell must be a finite number
// written as pandas reads one. [IsMissing] and [ParseCell] are that rule;
// [ReadCSV] applies it to every cell and reports the line and column of
// a cell that breaks it. Infinite values are refused, as XGBoost's
// training refuses them.
package table
