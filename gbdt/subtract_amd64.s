//go:build amd64 && !purego

#include "textflag.h"

// func subPairs(a, b *bucket, n int)
//
// a[i] -= b[i] for each of n buckets (n a multiple of 8): the gradient
// and hessian sums, slot by slot, each one IEEE subtraction as in Go,
// eight float64 at a time.
TEXT ·subPairs(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ done

loop:
	VMOVUPD 0(DI), Z0
	VMOVUPD 64(DI), Z1
	VSUBPD 0(SI), Z0, Z0
	VSUBPD 64(SI), Z1, Z1
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
