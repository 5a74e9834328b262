//go:build amd64 && !purego

#include "textflag.h"

// func pairWins16(x *float32, nx int, y *float32, ny16 int, lanes *[32]uint32)
//
// For each x[i] (broadcast) and each vector of 16 y values: lane j of the
// first accumulator counts y < x, of the second y <= x (ordered, quiet
// compares: false with a NaN). Counted by subtracting -1 under the
// compare's mask. Per lane a count is at most nx·ny16, which the callers
// keep below 2^32 (aucLogisticMaxRows, pairMaxMinority).
TEXT ·pairWins16(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ nx+8(FP), CX
	MOVQ y+16(FP), DI
	MOVQ ny16+24(FP), DX
	MOVQ lanes+32(FP), AX
	VPXORD Z2, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPTERNLOGD $0xff, Z3, Z3, Z3 // -1 in every lane
	TESTQ CX, CX
	JZ done
	TESTQ DX, DX
	JZ done

outer:
	VBROADCASTSS (SI), Z0
	MOVQ DI, R8
	MOVQ DX, R9

inner:
	VMOVUPS (R8), Z1
	VCMPPS $0x11, Z0, Z1, K1 // y < x (LT_OQ)
	VCMPPS $0x12, Z0, Z1, K2 // y <= x (LE_OQ)
	VPSUBD Z3, Z2, K1, Z2
	VPSUBD Z3, Z4, K2, Z4
	ADDQ $64, R8
	DECQ R9
	JNZ inner
	ADDQ $4, SI
	DECQ CX
	JNZ outer

done:
	VMOVDQU32 Z2, 0(AX)
	VMOVDQU32 Z4, 64(AX)
	VZEROUPPER
	RET
