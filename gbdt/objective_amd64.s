//go:build amd64 && !purego

#include "textflag.h"

// logistic8: the logistic gradients of 8 rows per iteration with AVX-512
// (see objective.go: logisticGo, sigmoid32). The exponential repeats the
// operations of math.Exp on amd64 when the CPU has FMA ($GOROOT/src/math/
// exp_amd64.s, archExp, its avxfma path) lane by lane, in the same order
// and with the same constants: reduce by LOG2E, LN2U and LN2L with
// fused multiply-adds, scale by 1/16, Horner's scheme with fused
// multiply-adds, four squarings x·(x+2) (the last fused with the +1), and
// the product with 2^k. VSCALEFPD rounds that product once, as archExp's
// two products do for a denormal result; lanes with k < -1075 are zero
// (archExp's underflow) and NaN lanes return the argument (archExp's
// notFinite). The float32 steps around it are Go's: a float64 to float32
// conversion, min and max as the Go compiler lowers them on amd64
// (min(a, b) = MINPS(MINPS(a, b), a) | MINPS(a, b), max(a, b) =
// -min(-a, -b), which decides which NaN comes out), and float32
// additions, a division and products in the order of the Go code (for a
// product of two NaNs the first operand's is kept: g·wt, wt·h).
// TestLogistic8MatchesGo and FuzzLogistic8 check every result bit for
// bit against the Go code, so a compiler that orders these differently
// fails them.

// The float64 constants of archExp.
DATA expc<>+0(SB)/8, $0x3ff71547652b82fe  // LOG2E
DATA expc<>+8(SB)/8, $0x3fe62e42fefa3000  // LN2U
DATA expc<>+16(SB)/8, $0x3d53de6af278ece6 // LN2L
DATA expc<>+24(SB)/8, $0x3fb0000000000000 // 0.0625
DATA expc<>+32(SB)/8, $0x3efa01a01a01a01a // 2.4801587301587301587e-5
DATA expc<>+40(SB)/8, $0x3f2a01a01a01a01a // 1.9841269841269841270e-4
DATA expc<>+48(SB)/8, $0x3f56c16c16c16c17 // 1.3888888888888888889e-3
DATA expc<>+56(SB)/8, $0x3f81111111111111 // 8.3333333333333333333e-3
DATA expc<>+64(SB)/8, $0x3fa5555555555555 // 4.1666666666666666667e-2
DATA expc<>+72(SB)/8, $0x3fc5555555555555 // 1.6666666666666666667e-1
DATA expc<>+80(SB)/8, $0x3fe0000000000000 // 0.5
DATA expc<>+88(SB)/8, $0x3ff0000000000000 // 1.0
DATA expc<>+96(SB)/8, $0x4000000000000000 // 2.0
DATA expc<>+104(SB)/8, $0xc090cc0000000000 // -1075.0: below it archExp underflows to 0
GLOBL expc<>(SB), RODATA|NOPTR, $112

// The float32 constants of the Go code.
DATA sigc<>+0(SB)/4, $0x80000000 // sign bit
DATA sigc<>+4(SB)/4, $0x42b16666 // float32(88.7)
DATA sigc<>+8(SB)/4, $0x3f800000 // float32(1)
DATA sigc<>+12(SB)/4, $0x24e69595 // float32(1e-16)
GLOBL sigc<>(SB), RODATA|NOPTR, $16

// Interleaving g (table 1, lanes 0-7) and h (table 2, lanes 16-23) into
// 8 gradient pairs.
DATA pairs<>+0(SB)/4, $0
DATA pairs<>+4(SB)/4, $16
DATA pairs<>+8(SB)/4, $1
DATA pairs<>+12(SB)/4, $17
DATA pairs<>+16(SB)/4, $2
DATA pairs<>+20(SB)/4, $18
DATA pairs<>+24(SB)/4, $3
DATA pairs<>+28(SB)/4, $19
DATA pairs<>+32(SB)/4, $4
DATA pairs<>+36(SB)/4, $20
DATA pairs<>+40(SB)/4, $5
DATA pairs<>+44(SB)/4, $21
DATA pairs<>+48(SB)/4, $6
DATA pairs<>+52(SB)/4, $22
DATA pairs<>+56(SB)/4, $7
DATA pairs<>+60(SB)/4, $23
GLOBL pairs<>(SB), RODATA|NOPTR, $64

// GRAD computes, for the 8 margins at (SI) and labels at (DX), the
// unweighted gradients in Y6 and hessians in Y7 (and the labels in Y5):
// m = float32(margin); x = float64(min(-m, 88.7)); k = round(x·LOG2E);
// r = (x - k·LN2U - k·LN2L)/16; the Taylor polynomial t of r; r·t
// squared four times as y·(y+2), the last +1; e = that·2^k (0 for k <
// -1075, x for NaN); p = 1/(float32(e) + 1 + 1e-16); g = p - label;
// h = max(p·(1-p), 1e-16). Constants: Z16-Z29 (float64), Y10-Y14
// (float32), Z30 the pair interleave, Z31 zero.
#define GRAD \
	VCVTPD2PS (SI), Y0 \
	VPXORD Y11, Y0, Y0 \
	VMINPS Y12, Y0, Y1 \
	VMINPS Y0, Y1, Y0 \
	VORPS Y1, Y0, Y0 \
	VCVTPS2PD Y0, Z0 \
	VMULPD Z16, Z0, Z1 \
	VCVTPD2DQ Z1, Y2 \
	VCVTDQ2PD Y2, Z1 \
	VMOVAPD Z0, Z3 \
	VFNMADD231PD Z17, Z1, Z0 \
	VFNMADD231PD Z18, Z1, Z0 \
	VMULPD Z19, Z0, Z0 \
	VMOVAPD Z20, Z4 \
	VFMADD213PD Z21, Z0, Z4 \
	VFMADD213PD Z22, Z0, Z4 \
	VFMADD213PD Z23, Z0, Z4 \
	VFMADD213PD Z24, Z0, Z4 \
	VFMADD213PD Z25, Z0, Z4 \
	VFMADD213PD Z26, Z0, Z4 \
	VFMADD213PD Z27, Z0, Z4 \
	VMULPD Z4, Z0, Z0 \
	VADDPD Z28, Z0, Z4 \
	VMULPD Z4, Z0, Z0 \
	VADDPD Z28, Z0, Z4 \
	VMULPD Z4, Z0, Z0 \
	VADDPD Z28, Z0, Z4 \
	VMULPD Z4, Z0, Z0 \
	VADDPD Z28, Z0, Z4 \
	VFMADD213PD Z27, Z4, Z0 \
	VSCALEFPD Z1, Z0, Z0 \
	VCMPPD $1, Z29, Z1, K1 \
	VMOVAPD Z31, K1, Z0 \
	VCMPPD $3, Z3, Z3, K2 \
	VMOVAPD Z3, K2, Z0 \
	VCVTPD2PS Z0, Y0 \
	VADDPS Y13, Y0, Y0 \
	VADDPS Y14, Y0, Y0 \
	VDIVPS Y0, Y13, Y0 \
	VCVTPD2PS (DX), Y5 \
	VSUBPS Y5, Y0, Y6 \
	VSUBPS Y0, Y13, Y7 \
	VMULPS Y7, Y0, Y7 \
	VPXORD Y11, Y7, Y7 \
	VMINPS Y10, Y7, Y8 \
	VMINPS Y7, Y8, Y7 \
	VORPS Y8, Y7, Y7 \
	VPXORD Y11, Y7, Y7

// STORE writes the 8 pairs of Y6 and Y7 to (DI) and moves SI, DX and DI
// on by 8 rows.
#define STORE \
	VPERMT2PS Z7, Z30, Z6 \
	VMOVUPS Z6, (DI) \
	ADDQ $64, SI \
	ADDQ $64, DX \
	ADDQ $64, DI

// func logistic8(margin, y, w *float64, scalePos float32, gh *gradPair, blocks int)
TEXT ·logistic8(SB), NOSPLIT, $0-48
	MOVQ margin+0(FP), SI
	MOVQ y+8(FP), DX
	MOVQ w+16(FP), R8
	MOVL scalePos+24(FP), AX
	MOVQ gh+32(FP), DI
	MOVQ blocks+40(FP), CX
	VBROADCASTSD expc<>+0(SB), Z16
	VBROADCASTSD expc<>+8(SB), Z17
	VBROADCASTSD expc<>+16(SB), Z18
	VBROADCASTSD expc<>+24(SB), Z19
	VBROADCASTSD expc<>+32(SB), Z20
	VBROADCASTSD expc<>+40(SB), Z21
	VBROADCASTSD expc<>+48(SB), Z22
	VBROADCASTSD expc<>+56(SB), Z23
	VBROADCASTSD expc<>+64(SB), Z24
	VBROADCASTSD expc<>+72(SB), Z25
	VBROADCASTSD expc<>+80(SB), Z26
	VBROADCASTSD expc<>+88(SB), Z27
	VBROADCASTSD expc<>+96(SB), Z28
	VBROADCASTSD expc<>+104(SB), Z29
	VMOVDQU32 pairs<>(SB), Z30
	VPXORQ Z31, Z31, Z31
	VBROADCASTSS sigc<>+0(SB), Y11
	VBROADCASTSS sigc<>+4(SB), Y12
	VBROADCASTSS sigc<>+8(SB), Y13
	VBROADCASTSS sigc<>+12(SB), Y14
	VPXORD Y11, Y14, Y10
	VBROADCASTSS scalePos+24(FP), Y15
	TESTQ R8, R8
	JNZ weighted
	CMPL AX, $0x3f800000
	JNE weighted

unweighted:
	GRAD
	STORE
	DECQ CX
	JNZ unweighted
	VZEROUPPER
	RET

weighted:
	GRAD
	TESTQ R8, R8
	JZ unit
	VCVTPD2PS (R8), Y8 // wt = float32(w)
	ADDQ $64, R8
	JMP scale
unit:
	VMOVAPS Y13, Y8 // wt = 1
scale:
	VMULPS Y15, Y8, Y9 // wt·scalePos where label == 1
	VCMPPS $0, Y13, Y5, Y3
	VBLENDVPS Y3, Y9, Y8, Y8
	VMULPS Y8, Y6, Y6 // g·wt (g first, as Go orders it)
	VMULPS Y7, Y8, Y7 // wt·h (wt first, as Go orders it: the NaN kept when both are)
	STORE
	DECQ CX
	JNZ weighted
	VZEROUPPER
	RET
