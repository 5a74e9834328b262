//go:build amd64 && !purego

#include "textflag.h"

// ADDROW(row, col, pair, x) adds a row's gradient pair (float64, in
// register pair) into its slot of column col: the row's bins start at
// address row, the column's first slot is in R14, the slot is hist (DI)
// at (R14 + bins[col]) * 16. R9 and x are scratch.
#define ADDROW(row, col, pair, x) \
	MOVBQZX (row)(col*1), R9; \
	ADDQ R14, R9; \
	SHLQ $4, R9; \
	MOVUPD (DI)(R9*1), x; \
	ADDPD pair, x; \
	MOVUPD x, (DI)(R9*1)

// func histRows8(hist []bucket, rows []int32, bins []uint8, offset, cols []int, gh []gradPair, stride int)
//
// For each i, adds gh[rows[i]] (float32 pair widened to float64) into
// hist[offset[f]+bins[rows[i]*stride+f]] for every f < len(offset), or,
// if cols is not nil, for every f in cols (distinct, increasing); the
// caller guarantees every such slot is inside hist. Four rows go through
// the columns together; each slot still receives its additions in row
// order, so the sums are those of the plain loop (histRowsGo). One ADDPD
// adds a gradient and hessian. The bins and gradient pairs of the rows 16
// ahead are prefetched: a deep node's rows are scattered over the matrix.
// With cols, BX and R10 hold the column list and a column in the inner
// loops and are reloaded from the arguments after them.
TEXT ·histRows8(SB), NOSPLIT, $0-152
	MOVQ hist_base+0(FP), DI
	MOVQ rows_base+24(FP), SI
	MOVQ rows_len+32(FP), CX
	MOVQ bins_base+48(FP), BX
	MOVQ offset_base+72(FP), R8
	MOVQ offset_len+80(FP), R9    // features
	MOVQ gh_base+120(FP), R10
	MOVQ stride+144(FP), R15      // row stride
	TESTQ R9, R9
	JEQ done
	CMPQ cols_base+96(FP), $0
	JEQ quad
	CMPQ cols_len+104(FP), $0
	JEQ done

quad:
	CMPQ CX, $4
	JLT single
	MOVLQSX 0(SI), AX
	MOVLQSX 4(SI), DX
	MOVLQSX 8(SI), R11
	MOVLQSX 12(SI), R13
	CVTPS2PD (R10)(AX*8), X0
	CVTPS2PD (R10)(DX*8), X1
	CVTPS2PD (R10)(R11*8), X2
	CVTPS2PD (R10)(R13*8), X3
	IMULQ R15, AX
	IMULQ R15, DX
	IMULQ R15, R11
	IMULQ R15, R13
	ADDQ BX, AX
	ADDQ BX, DX
	ADDQ BX, R11
	ADDQ BX, R13
	CMPQ CX, $20
	JLT nopf
	MOVLQSX 64(SI), R14
	PREFETCHT0 (R10)(R14*8)
	IMULQ R15, R14
	PREFETCHT0 (BX)(R14*1)
	MOVLQSX 68(SI), R14
	PREFETCHT0 (R10)(R14*8)
	IMULQ R15, R14
	PREFETCHT0 (BX)(R14*1)
	MOVLQSX 72(SI), R14
	PREFETCHT0 (R10)(R14*8)
	IMULQ R15, R14
	PREFETCHT0 (BX)(R14*1)
	MOVLQSX 76(SI), R14
	PREFETCHT0 (R10)(R14*8)
	IMULQ R15, R14
	PREFETCHT0 (BX)(R14*1)

nopf:
	XORQ R12, R12
	CMPQ cols_base+96(FP), $0
	JNE quadc

quadf:
	MOVQ (R8)(R12*8), R14
	ADDROW(AX, R12, X0, X4)
	ADDROW(DX, R12, X1, X5)
	ADDROW(R11, R12, X2, X6)
	ADDROW(R13, R12, X3, X7)
	INCQ R12
	CMPQ R12, offset_len+80(FP)
	JLT quadf

quadnext:
	ADDQ $16, SI
	SUBQ $4, CX
	JMP quad

quadc:
	MOVQ cols_base+96(FP), BX

quadcf:
	MOVQ (BX)(R12*8), R10         // column
	MOVQ (R8)(R10*8), R14         // its first slot
	ADDROW(AX, R10, X0, X4)
	ADDROW(DX, R10, X1, X5)
	ADDROW(R11, R10, X2, X6)
	ADDROW(R13, R10, X3, X7)
	INCQ R12
	CMPQ R12, cols_len+104(FP)
	JLT quadcf
	MOVQ bins_base+48(FP), BX
	MOVQ gh_base+120(FP), R10
	JMP quadnext

single:
	TESTQ CX, CX
	JEQ done
	MOVLQSX 0(SI), AX
	CVTPS2PD (R10)(AX*8), X0
	IMULQ R15, AX
	ADDQ BX, AX
	XORQ R12, R12
	CMPQ cols_base+96(FP), $0
	JNE singlec

singlef:
	MOVBQZX (AX)(R12*1), R13
	ADDQ (R8)(R12*8), R13
	SHLQ $4, R13
	MOVUPD (DI)(R13*1), X4
	ADDPD X0, X4
	MOVUPD X4, (DI)(R13*1)
	INCQ R12
	CMPQ R12, offset_len+80(FP)
	JLT singlef

singlenext:
	ADDQ $4, SI
	DECQ CX
	JMP single

singlec:
	MOVQ cols_base+96(FP), BX

singlecf:
	MOVQ (BX)(R12*8), R10         // column
	MOVBQZX (AX)(R10*1), R13
	ADDQ (R8)(R10*8), R13
	SHLQ $4, R13
	MOVUPD (DI)(R13*1), X4
	ADDPD X0, X4
	MOVUPD X4, (DI)(R13*1)
	INCQ R12
	CMPQ R12, cols_len+104(FP)
	JLT singlecf
	MOVQ bins_base+48(FP), BX
	MOVQ gh_base+120(FP), R10
	JMP singlenext

done:
	RET
