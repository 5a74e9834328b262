//go:build amd64 && !purego

#include "textflag.h"

// GAINS8 computes eight gains from one side's sums A (Z0: gradients, Z1:
// hessians) and the node's constants (set up by SETUP). With B = (G - A.g, H - A.h)
// the other side: gainL2(A) + gainL2(B) - parent when both hessians are
// at least min_child_weight, else -Inf. The same operations as the Go
// code, in the same order and precision (float64 until the conversions
// to float32, then float32).
#define GAINS8 \
	VSUBPD Z0, Z20, Z2; \        // B.g = G - A.g
	VSUBPD Z1, Z21, Z3; \        // B.h = H - A.h
	VCMPPD $0x1d, Z22, Z1, K1; \ // A.h >= mcw
	VCMPPD $0x1d, Z22, Z3, K2; \ // B.h >= mcw
	KANDW K1, K2, K1; \
	\ // gainL2(A): threshold, float32(t*t) / float32(h+lambda), 0 unless h > 0.
	VCMPPD $0x1e, Z23, Z0, K3; \ // g > alpha
	VCMPPD $0x11, Z27, Z0, K4; \ // g < -alpha
	VPXORQ Z4, Z4, Z4; \
	VADDPD Z23, Z0, K4, Z4; \    // g + alpha where g < -alpha
	VSUBPD Z23, Z0, K3, Z4; \    // g - alpha where g > alpha (wins, as in Go)
	VMULPD Z4, Z4, Z4; \
	VCVTPD2PS Z4, Y4; \
	VADDPD Z24, Z1, Z5; \
	VCVTPD2PS Z5, Y5; \
	VDIVPS Y5, Y4, Y4; \
	VCMPPD $0x1e, Z26, Z1, K5; \ // h > 0
	VMOVAPS.Z Y4, K5, Y6; \      // 0 where not
	\ // gainL2(B)
	VCMPPD $0x1e, Z23, Z2, K3; \
	VCMPPD $0x11, Z27, Z2, K4; \
	VPXORQ Z4, Z4, Z4; \
	VADDPD Z23, Z2, K4, Z4; \
	VSUBPD Z23, Z2, K3, Z4; \
	VMULPD Z4, Z4, Z4; \
	VCVTPD2PS Z4, Y4; \
	VADDPD Z24, Z3, Z5; \
	VCVTPD2PS Z5, Y5; \
	VDIVPS Y5, Y4, Y4; \
	VCMPPD $0x1e, Z26, Z3, K5; \
	VMOVAPS.Z Y4, K5, Y7; \
	VADDPS Y7, Y6, Y6; \         // gainL2(A) + gainL2(B)
	VSUBPS Y25, Y6, Y6; \        // - parent
	VMOVAPS Y28, Y8; \
	VMOVAPS Y6, K1, Y8           // -Inf where a side is under min_child_weight

// GAINS8F is GAINS8 for min_child_weight > 0 and alpha == 0: the
// threshold of g is then g (0 for NaN, and t*t = 0 for g = ±0 either
// way), and where both hessians reach min_child_weight both are above 0.
// Same results, fewer instructions.
#define GAINS8F \
	VSUBPD Z0, Z20, Z2; \        // B.g = G - A.g
	VSUBPD Z1, Z21, Z3; \        // B.h = H - A.h
	VCMPPD $0x1d, Z22, Z1, K1; \ // A.h >= mcw
	VCMPPD $0x1d, Z22, Z3, K2; \ // B.h >= mcw
	KANDW K1, K2, K1; \
	VCMPPD $0x07, Z0, Z0, K3; \  // A.g not NaN
	VMULPD.Z Z0, Z0, K3, Z4; \   // t*t
	VCVTPD2PS Z4, Y4; \
	VADDPD Z24, Z1, Z5; \
	VCVTPD2PS Z5, Y5; \
	VDIVPS Y5, Y4, Y6; \
	VCMPPD $0x07, Z2, Z2, K3; \
	VMULPD.Z Z2, Z2, K3, Z4; \
	VCVTPD2PS Z4, Y4; \
	VADDPD Z24, Z3, Z5; \
	VCVTPD2PS Z5, Y5; \
	VDIVPS Y5, Y4, Y7; \
	VADDPS Y7, Y6, Y6; \
	VSUBPS Y25, Y6, Y6; \
	VMOVAPS Y28, Y8; \
	VMOVAPS Y6, K1, Y8

// SETUP loads the constants c (in AX): G, H, min_child_weight, alpha,
// lambda, parent.
#define SETUP \
	VBROADCASTSD 0(AX), Z20; \  // G
	VBROADCASTSD 8(AX), Z21; \  // H
	VBROADCASTSD 16(AX), Z22; \ // min_child_weight
	VBROADCASTSD 24(AX), Z23; \ // alpha
	VBROADCASTSD 32(AX), Z24; \ // lambda
	VCVTSD2SS 40(AX), X0, X25; \
	VBROADCASTSS X25, Y25; \    // parent (float32)
	VPXORQ Z26, Z26, Z26; \     // 0
	VSUBPD Z23, Z26, Z27; \     // -alpha
	MOVL $0xff800000, R8; \     // float32 -Inf
	VPBROADCASTD R8, Y28; \
	VMOVAPS Y28, Y29            // the largest gain so far, per lane

// TOP returns the largest of Y29's eight lanes (none is NaN) at ret.
#define TOP(ret) \
	VEXTRACTF32X4 $1, Y29, X0; \
	VMAXPS X0, X29, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0; \
	VMOVSS X0, ret

// func gains8(ag, ah *float64, out *float32, n int, c *[6]float64) float32
//
// For each i < n (a multiple of 8), out[i] is the gain of the split with
// sums (ag[i], ah[i]) on one side (GAINS8), eight lanes at a time. It
// returns the largest of them, NaN left out (-Inf if none is larger).
TEXT ·gains8(SB), NOSPLIT, $0-44
	MOVQ ag+0(FP), SI
	MOVQ ah+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	SETUP
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPD (SI), Z0 // A.g
	VMOVUPD (DI), Z1 // A.h
	GAINS8
	VMOVUPS Y8, (DX)
	VMAXPS Y29, Y8, Y29 // Y8 where Y8 > Y29, else Y29 (NaN: Y29)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ loop

done:
	TOP(ret+40(FP))
	VZEROUPPER
	RET

// The lanes of two registers of four buckets each that hold their
// gradients, and their hessians (VPERMT2PD indexes).
DATA pairg<>+0(SB)/8, $0
DATA pairg<>+8(SB)/8, $2
DATA pairg<>+16(SB)/8, $4
DATA pairg<>+24(SB)/8, $6
DATA pairg<>+32(SB)/8, $8
DATA pairg<>+40(SB)/8, $10
DATA pairg<>+48(SB)/8, $12
DATA pairg<>+56(SB)/8, $14
GLOBL pairg<>(SB), RODATA|NOPTR, $64
DATA pairh<>+0(SB)/8, $1
DATA pairh<>+8(SB)/8, $3
DATA pairh<>+16(SB)/8, $5
DATA pairh<>+24(SB)/8, $7
DATA pairh<>+32(SB)/8, $9
DATA pairh<>+40(SB)/8, $11
DATA pairh<>+48(SB)/8, $13
DATA pairh<>+56(SB)/8, $15
GLOBL pairh<>(SB), RODATA|NOPTR, $64

// BIN4(off, acc) adds bucket off (a byte offset) of the four features
// (R8-R11) to acc, their four running sums, one bucket per 128-bit lane.
#define BIN4(off, acc) \
	VMOVUPD (R8)(off*1), X14; \
	VINSERTF64X2 $1, (R9)(off*1), Z14, Z14; \
	VINSERTF64X2 $2, (R10)(off*1), Z14, Z14; \
	VINSERTF64X2 $3, (R11)(off*1), Z14, Z14; \
	VADDPD Z14, acc, acc

// PAIRGAINS(a, b, top, idx): GAINS8 on two steps' sums a and b (four
// buckets each): gains of a's four features, then of b's, whose steps
// are in Y9; per lane, top keeps the largest gain and idx the first step
// that had it (a gain replaces top only when greater: NaN never).
#define PAIRGAINS(a, b, top, idx) \
	VMOVAPD a, Z0; \
	VPERMT2PD b, Z30, Z0; \
	VMOVAPD a, Z1; \
	VPERMT2PD b, Z31, Z1; \
	GAINS8; \
	ARGMAX(top, idx)

// PAIRGAINSF is PAIRGAINS with GAINS8F.
#define PAIRGAINSF(a, b, top, idx) \
	VMOVAPD a, Z0; \
	VPERMT2PD b, Z30, Z0; \
	VMOVAPD a, Z1; \
	VPERMT2PD b, Z31, Z1; \
	GAINS8F; \
	ARGMAX(top, idx)

// ARGMAX(top, idx): where Y8 > top, top takes Y8 and idx the step (Y9).
#define ARGMAX(top, idx) \
	VCMPPS $0x1e, top, Y8, K6; \
	VMOVAPS Y8, K6, top; \
	VMOVDQA32 Y9, K6, idx

// The steps of a pair's lanes: the first step in lanes 0-3, the next in
// 4-7.
DATA pairstep<>+0(SB)/4, $0
DATA pairstep<>+4(SB)/4, $0
DATA pairstep<>+8(SB)/4, $0
DATA pairstep<>+12(SB)/4, $0
DATA pairstep<>+16(SB)/4, $1
DATA pairstep<>+20(SB)/4, $1
DATA pairstep<>+24(SB)/4, $1
DATA pairstep<>+28(SB)/4, $1
GLOBL pairstep<>(SB), RODATA|NOPTR, $32

// func scanPairs4(src *[4]*bucket, n int, c *[6]float64, tops *[16]float32, steps *[16]int32, tot *[4]bucket, simple bool)
//
// The split scans of four features' n value bins (src[k], n >= 1) at
// once: step j of the forward scan adds bin j to each feature's running
// sums and of the backward scan bin n-1-j, both from +0, gradient and
// hessian in one lane pair (the sums are the Go scans'), and computes the
// step's gains (GAINS8 with c), two steps at a time (with n odd, the step
// after the last repeats it). tops[k] and tops[4+k] are the largest
// forward gains of feature k (even and odd steps), tops[8+k] and
// tops[12+k] the backward ones, and steps[i] is the first step that had
// tops[i]; tot[k] is feature k's forward sum of all n bins. simple:
// min_child_weight > 0 and alpha == 0 (GAINS8F).
TEXT ·scanPairs4(SB), NOSPLIT, $0-49
	MOVQ c+16(FP), AX
	SETUP                     // (uses R8)
	MOVQ src+0(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ n+8(FP), CX
	MOVBQZX simple+48(FP), R12
	VMOVAPS Y28, Y19          // the largest backward gain so far, per lane
	VMOVDQU32 pairstep<>(SB), Y9 // the steps of the lanes
	VPXORD Y10, Y10, Y10      // the first step of each lane's largest forward gain
	VPXORD Y11, Y11, Y11      // and backward
	MOVL $2, R13
	VPBROADCASTD R13, Y17     // two steps a pair
	VMOVDQU64 pairg<>(SB), Z30
	VMOVDQU64 pairh<>(SB), Z31
	LEAQ -1(CX), BX
	SHLQ $4, BX               // backward offset: bin n-1
	XORQ AX, AX               // forward offset: bin 0
	VPXORQ Z12, Z12, Z12      // forward sums
	VPXORQ Z13, Z13, Z13      // backward sums

sloop:
	CMPQ CX, $2
	JLT stail
	BIN4(AX, Z12)
	VMOVAPD Z12, Z15
	ADDQ $16, AX
	BIN4(AX, Z12)
	ADDQ $16, AX
	BIN4(BX, Z13)
	VMOVAPD Z13, Z16
	SUBQ $16, BX
	BIN4(BX, Z13)
	SUBQ $16, BX
	TESTQ R12, R12
	JNZ ssimple
	PAIRGAINS(Z15, Z12, Y29, Y10)
	PAIRGAINS(Z16, Z13, Y19, Y11)
	JMP snext

ssimple:
	PAIRGAINSF(Z15, Z12, Y29, Y10)
	PAIRGAINSF(Z16, Z13, Y19, Y11)

snext:
	VPADDD Y17, Y9, Y9
	SUBQ $2, CX
	JMP sloop

stail: // (the general gains: the same as GAINS8F's)
	TESTQ CX, CX
	JZ sdone
	BIN4(AX, Z12)
	PAIRGAINS(Z12, Z12, Y29, Y10)
	BIN4(BX, Z13)
	PAIRGAINS(Z13, Z13, Y19, Y11)

sdone:
	MOVQ tops+24(FP), AX
	VMOVUPS Y29, 0(AX)
	VMOVUPS Y19, 32(AX)
	MOVQ steps+32(FP), AX
	VMOVDQU32 Y10, 0(AX)
	VMOVDQU32 Y11, 32(AX)
	MOVQ tot+40(FP), AX
	VMOVUPD Z12, 0(AX)
	VZEROUPPER
	RET

// The low 63 bits of a float64 (all but the sign), and the lane numbers
// of eight buckets.
DATA nosign<>+0(SB)/8, $0x7fffffffffffffff
GLOBL nosign<>(SB), RODATA|NOPTR, $8
DATA iota8<>+0(SB)/4, $0
DATA iota8<>+4(SB)/4, $1
DATA iota8<>+8(SB)/4, $2
DATA iota8<>+12(SB)/4, $3
DATA iota8<>+16(SB)/4, $4
DATA iota8<>+20(SB)/4, $5
DATA iota8<>+24(SB)/4, $6
DATA iota8<>+28(SB)/4, $7
GLOBL iota8<>(SB), RODATA|NOPTR, $32

// func nonEmpty8(hf *bucket, n int, idx *int32) int
//
// Writes to idx, in order, the indexes of hf's non-empty buckets (either
// sum not ±0) among the first n (a multiple of 8), eight at a time, and
// returns how many. idx must have room for n.
TEXT ·nonEmpty8(SB), NOSPLIT, $0-32
	MOVQ hf+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ idx+16(FP), DI
	VPBROADCASTQ nosign<>(SB), Z2
	VMOVDQU32 iota8<>(SB), Y3
	MOVL $8, AX
	VPBROADCASTD AX, Y4
	XORQ DX, DX               // count
	SHRQ $3, CX
	JZ ndone

nloop:
	VPTESTMQ 0(SI), Z2, K1    // buckets 0-3: g and h not ±0
	VPTESTMQ 64(SI), Z2, K2   // buckets 4-7
	KUNPCKBW K1, K2, K3       // bits 2i, 2i+1: bucket i's g, h
	KMOVW K3, AX
	MOVL AX, BX
	SHRL $1, BX
	ORL BX, AX
	MOVL $0x5555, BX
	PEXTL BX, AX, AX          // bit i: bucket i is not empty
	KMOVB AX, K4
	VPCOMPRESSD Y3, K4, Y5
	VMOVDQU32 Y5, (DI)(DX*4)
	POPCNTL AX, AX
	ADDQ AX, DX
	VPADDD Y4, Y3, Y3
	ADDQ $128, SI
	DECQ CX
	JNZ nloop

ndone:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET
