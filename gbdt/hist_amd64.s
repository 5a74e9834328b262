//go:build amd64 && !purego

#include "textflag.h"

// func histRows8(hist []bucket, rows []int32, bins []uint8, offset []int, gh []gradPair, stride int)
//
// For each i, adds gh[i] (float32 pair widened to float64) into
// hist[(offset[f]+bins[rows[i]*stride+f])&(len(hist)-1)] for every
// f < len(offset). Two rows go through the features together; each
// slot still receives its additions in row order, so the sums are those
// of the plain loop (histRowsGo). One ADDPD adds a gradient and hessian.
TEXT ·histRows8(SB), NOSPLIT, $0-128
	MOVQ hist_base+0(FP), DI
	MOVQ hist_len+8(FP), R11
	DECQ R11                      // mask
	MOVQ rows_base+24(FP), SI
	MOVQ rows_len+32(FP), CX
	MOVQ bins_base+48(FP), BX
	MOVQ offset_base+72(FP), R8
	MOVQ offset_len+80(FP), R9    // features
	MOVQ stride+120(FP), R15      // row stride
	MOVQ gh_base+96(FP), R10
	TESTQ R9, R9
	JEQ done

pair:
	CMPQ CX, $2
	JLT tail
	MOVLQSX 0(SI), AX
	MOVLQSX 4(SI), DX
	IMULQ R15, AX
	ADDQ BX, AX                   // row 0's bins
	IMULQ R15, DX
	ADDQ BX, DX                   // row 1's bins
	CVTPS2PD 0(R10), X0
	CVTPS2PD 8(R10), X1
	// Prefetch the bins of the rows 16 ahead: a deep node's rows are
	// scattered over the matrix.
	CMPQ CX, $18
	JLT nopf
	MOVLQSX 64(SI), R13
	MOVLQSX 68(SI), R14
	IMULQ R15, R13
	IMULQ R15, R14
	PREFETCHT0 (BX)(R13*1)
	PREFETCHT0 (BX)(R14*1)

nopf:
	XORQ R12, R12

pairf:
	MOVBQZX (AX)(R12*1), R13
	MOVBQZX (DX)(R12*1), R14
	ADDQ (R8)(R12*8), R13
	ADDQ (R8)(R12*8), R14
	ANDQ R11, R13
	ANDQ R11, R14
	SHLQ $4, R13
	SHLQ $4, R14
	MOVUPD (DI)(R13*1), X2
	ADDPD X0, X2
	MOVUPD X2, (DI)(R13*1)
	MOVUPD (DI)(R14*1), X3
	ADDPD X1, X3
	MOVUPD X3, (DI)(R14*1)
	INCQ R12
	CMPQ R12, R9
	JLT pairf

	ADDQ $8, SI
	ADDQ $16, R10
	SUBQ $2, CX
	JMP pair

tail:
	TESTQ CX, CX
	JEQ done
	MOVLQSX 0(SI), AX
	IMULQ R15, AX
	ADDQ BX, AX
	CVTPS2PD 0(R10), X0
	XORQ R12, R12

tailf:
	MOVBQZX (AX)(R12*1), R13
	ADDQ (R8)(R12*8), R13
	ANDQ R11, R13
	SHLQ $4, R13
	MOVUPD (DI)(R13*1), X2
	ADDPD X0, X2
	MOVUPD X2, (DI)(R13*1)
	INCQ R12
	CMPQ R12, R9
	JLT tailf

done:
	RET
