package pipeline

// Expr is a parsed expression (a reference or a condition).
type Expr struct {
	Src string
}
