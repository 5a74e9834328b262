//go:build amd64 && !purego

#include "textflag.h"

// func partition16(rows *int32, n int, col *uint8, ncol int, left, right *int32, sb, miss, ml int) int
//
// Per 16 rows: gather each row's bin (the low byte of the 4 bytes at
// col+row), compare it with sb (and miss), and compress the rows going
// left and those going right, in lane order, into the next places of
// left and right with masked stores (nothing written past a list's end,
// where another chunk's rows may be).
TEXT ·partition16(SB), NOSPLIT, $0-80
	MOVQ rows+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ col+16(FP), BX
	MOVQ ncol+24(FP), AX
	MOVQ left+32(FP), DI
	MOVQ right+40(FP), R8
	MOVQ ml+64(FP), R9
	VPBROADCASTD sb+48(FP), Z1
	VPBROADCASTD miss+56(FP), Z2
	VPBROADCASTD AX, Z3
	MOVL $0xff, DX
	VPBROADCASTD DX, Z4
	MOVL $-1, R12
	XORQ R10, R10 // left rows so far
	XORQ R11, R11 // right rows so far
	TESTQ CX, CX
	JZ done

loop:
	VMOVDQU32 (SI), Z0
	VPCMPUD $5, Z3, Z0, K1 // row >= ncol
	KORTESTW K1, K1
	JNZ bad
	KXNORW K2, K2, K2
	VPGATHERDD (BX)(Z0*1), K2, Z5
	VPANDD Z4, Z5, Z5 // bin
	VPCMPD $2, Z1, Z5, K1 // bin <= sb
	TESTQ R9, R9
	JZ compress
	VPCMPD $0, Z2, Z5, K3 // bin == miss
	KORW K3, K1, K1

compress:
	KNOTW K1, K4
	VPCOMPRESSD Z0, K1, Z6
	VPCOMPRESSD Z0, K4, Z7
	KMOVW K1, DX
	POPCNTL DX, DX // left rows of the 16
	MOVL $16, AX
	SUBL DX, AX // right rows
	BZHIL DX, R12, R13
	KMOVW R13, K5
	BZHIL AX, R12, R13
	KMOVW R13, K6
	VMOVDQU32 Z6, K5, (DI)(R10*4)
	VMOVDQU32 Z7, K6, (R8)(R11*4)
	ADDQ DX, R10
	ADDQ AX, R11
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ loop

done:
	MOVQ R10, ret+72(FP)
	VZEROUPPER
	RET

bad:
	MOVQ $-1, ret+72(FP)
	VZEROUPPER
	RET
