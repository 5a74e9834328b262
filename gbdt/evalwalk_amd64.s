//go:build amd64 && !purego

#include "textflag.h"

// func walk32(nodes *walkNode, codes *uint16, cols int, n int, depth int, out *int32)
//
// The coded walk (evalCodes.add) of n rows (a multiple of 32) from row 0
// of codes, thirty-two at a time, one lane per row: depth steps from node 0,
// each reading the node (feat, a, jb: a walkNode is 24 bytes, feat at 0,
// a and jb at 4, kid at 8), the row's code of feat, and going to kid[1]
// when uint16(code+a) <= jb, else kid[0]. out[r] gets row r's last node.
// codes must be readable two bytes past the last row (a code is read as
// the low half of four bytes).
TEXT ·walk32(SB), NOSPLIT, $0-48
	MOVQ nodes+0(FP), SI
	MOVQ codes+8(FP), DI
	MOVQ cols+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ depth+32(FP), R9
	MOVQ out+40(FP), DX
	SHRQ $5, CX
	JZ wdone
	VMOVDQU32 witer<>(SB), Z20     // 0..15
	VPBROADCASTD R8, Z21           // cols
	VPMULLD Z21, Z20, Z22          // lane*cols
	MOVQ R8, AX
	SHLQ $4, AX
	VPBROADCASTD AX, Z23           // 16*cols: sixteen rows on
	MOVL $0xffff, AX
	VPBROADCASTD AX, Z24
	MOVL $8, AX
	VPBROADCASTD AX, Z25
	MOVL $4, AX
	VPBROADCASTD AX, Z26

wrows:
	// Two groups of sixteen rows, their steps interleaved (each step
	// waits on its gathers).
	VPXORD Z0, Z0, Z0              // node 0
	VPXORD Z10, Z10, Z10
	VPADDD Z23, Z22, Z27           // the second group's row offsets
	MOVQ R9, R10
	TESTQ R10, R10
	JZ wstore

wstep:
	VPSLLD $4, Z0, Z1
	VPSLLD $3, Z0, Z2
	VPADDD Z2, Z1, Z1              // node*24
	VPSLLD $4, Z10, Z11
	VPSLLD $3, Z10, Z12
	VPADDD Z12, Z11, Z11
	KXNORW K0, K0, K1
	VPGATHERDD 0(SI)(Z1*1), K1, Z3 // feat
	KXNORW K0, K0, K1
	VPGATHERDD 0(SI)(Z11*1), K1, Z13
	KXNORW K0, K0, K2
	VPGATHERDD 4(SI)(Z1*1), K2, Z4 // a | jb<<16
	KXNORW K0, K0, K2
	VPGATHERDD 4(SI)(Z11*1), K2, Z14
	VPADDD Z22, Z3, Z5             // r*cols + feat
	VPADDD Z27, Z13, Z15
	KXNORW K0, K0, K3
	VPGATHERDD 0(DI)(Z5*2), K3, Z6 // code (low half)
	KXNORW K0, K0, K3
	VPGATHERDD 0(DI)(Z15*2), K3, Z16
	VPANDD Z24, Z6, Z6
	VPANDD Z24, Z16, Z16
	VPANDD Z24, Z4, Z7             // a
	VPANDD Z24, Z14, Z17
	VPSRLD $16, Z4, Z8             // jb
	VPSRLD $16, Z14, Z18
	VPADDD Z7, Z6, Z6
	VPADDD Z17, Z16, Z16
	VPANDD Z24, Z6, Z6             // uint16(code+a)
	VPANDD Z24, Z16, Z16
	VPCMPUD $2, Z8, Z6, K4         // <= jb: left
	VPCMPUD $2, Z18, Z16, K5
	VPADDD Z25, Z1, Z9             // kid[0]
	VPADDD Z25, Z11, Z19
	VPADDD Z26, Z9, K4, Z9         // kid[1] where left
	VPADDD Z26, Z19, K5, Z19
	KXNORW K0, K0, K6
	VPGATHERDD 0(SI)(Z9*1), K6, Z0
	KXNORW K0, K0, K6
	VPGATHERDD 0(SI)(Z19*1), K6, Z10
	DECQ R10
	JNZ wstep

wstore:
	VMOVDQU32 Z0, (DX)
	VMOVDQU32 Z10, 64(DX)
	ADDQ $128, DX
	VPADDD Z23, Z27, Z22           // two groups on
	DECQ CX
	JNZ wrows

wdone:
	VZEROUPPER
	RET

DATA witer<>+0(SB)/4, $0
DATA witer<>+4(SB)/4, $1
DATA witer<>+8(SB)/4, $2
DATA witer<>+12(SB)/4, $3
DATA witer<>+16(SB)/4, $4
DATA witer<>+20(SB)/4, $5
DATA witer<>+24(SB)/4, $6
DATA witer<>+28(SB)/4, $7
DATA witer<>+32(SB)/4, $8
DATA witer<>+36(SB)/4, $9
DATA witer<>+40(SB)/4, $10
DATA witer<>+44(SB)/4, $11
DATA witer<>+48(SB)/4, $12
DATA witer<>+52(SB)/4, $13
DATA witer<>+56(SB)/4, $14
DATA witer<>+60(SB)/4, $15
GLOBL witer<>(SB), RODATA|NOPTR, $64
