//go:build amd64 && !purego

#include "textflag.h"

// HALVE16 is a halving whose probe, base+half, is a multiple of 16: the
// key comes from keys16 (Z20) at (base+half)/16. $h is half.
#define HALVE16(h) \
	VPBROADCASTD h, Z6 \
	VPADDD Z6, Z3, Z4 \
	VPSRLD $4, Z4, Z4 \
	VPERMD Z20, Z4, Z5 \
	VPCMPUD $2, Z1, Z5, K1 \
	VPADDD Z6, Z3, K1, Z3

// GATHER is a halving whose probe key is gathered from the table at BX;
// Z6 holds half.
#define GATHER \
	VPADDD Z6, Z3, Z4 \
	KXNORW K2, K2, K2 \
	VPGATHERDD (BX)(Z4*4), K2, Z5 \
	VPCMPUD $2, Z1, Z5, K1 \
	VPADDD Z6, Z3, K1, Z3

// func search16(t *searchTable, col *float32, n int, out *uint8, last, miss int)
//
// Per 16 values: the sort keys (sortKey: v+0, then the bits flipped
// whole for negative values and the sign bit set for the others), a
// binary search of 8 halvings over the 256 padded keys (halves 128 to 16
// from keys16, 8 from keys8, 4 from keys4 in registers, 2 and 1 and the
// last step gathered), the count clamped to last, miss for NaN, stored
// as bytes.
TEXT ·search16(SB), NOSPLIT, $0-48
	MOVQ t+0(FP), BX
	MOVQ col+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	VMOVDQU32 1024(BX), Z20
	VMOVDQU32 1088(BX), Z21
	VMOVDQU32 1152(BX), Z22
	VMOVDQU32 1216(BX), Z23
	VPBROADCASTD last+32(FP), Z24
	VPBROADCASTD miss+40(FP), Z25
	MOVL $0x80000000, AX
	VPBROADCASTD AX, Z26
	VPXORD Z27, Z27, Z27 // 0.0 and base 0
	MOVL $1, AX
	VPBROADCASTD AX, Z28
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPS (SI), Z0
	VADDPS Z27, Z0, Z1 // v + 0: -0 is +0
	VPSRAD $31, Z1, Z2
	VPORD Z26, Z2, Z2
	VPXORD Z2, Z1, Z1 // key
	VMOVDQA32 Z27, Z3 // base
	MOVL $128, AX
	HALVE16(AX)
	MOVL $64, AX
	HALVE16(AX)
	MOVL $32, AX
	HALVE16(AX)
	MOVL $16, AX
	HALVE16(AX)
	// half 8: probe 16j+8 for base 16j
	VPSRLD $4, Z3, Z4
	VPERMD Z21, Z4, Z5
	VPCMPUD $2, Z1, Z5, K1
	MOVL $8, AX
	VPBROADCASTD AX, Z6
	VPADDD Z6, Z3, K1, Z3
	// half 4: probe 8j+4 for base 8j
	VPSRLD $3, Z3, Z4
	VPERMI2D Z23, Z22, Z4
	VPCMPUD $2, Z1, Z4, K1
	MOVL $4, AX
	VPBROADCASTD AX, Z6
	VPADDD Z6, Z3, K1, Z3
	MOVL $2, AX
	VPBROADCASTD AX, Z6
	GATHER
	VMOVDQA32 Z28, Z6
	GATHER
	// last step: +1 if keys[base] <= key (probe base itself)
	KXNORW K2, K2, K2
	VPGATHERDD (BX)(Z3*4), K2, Z5
	VPCMPUD $2, Z1, Z5, K1
	VPADDD Z28, Z3, K1, Z3
	VPMINUD Z24, Z3, Z3
	VCMPPS $3, Z0, Z0, K3 // NaN: miss
	VMOVDQA32 Z25, K3, Z3
	VPMOVDB Z3, (DI)
	ADDQ $64, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JNZ loop

done:
	VZEROUPPER
	RET
