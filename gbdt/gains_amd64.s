//go:build amd64 && !purego

#include "textflag.h"

// func gains8(ag, ah *float64, out *float32, n int, c *[6]float64)
//
// For each i < n (a multiple of 8), with A = (ag[i], ah[i]) one side's
// sums and B = (G - ag[i], H - ah[i]) the other's: out[i] is
// gainL2(A) + gainL2(B) - parent when both hessians are at least
// min_child_weight, else -Inf. The same operations as the Go code, in
// the same order and precision (float64 until the conversions to
// float32, then float32), eight lanes at a time.
TEXT ·gains8(SB), NOSPLIT, $0-40
	MOVQ ag+0(FP), SI
	MOVQ ah+8(FP), DI
	MOVQ out+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Z20  // G
	VBROADCASTSD 8(AX), Z21  // H
	VBROADCASTSD 16(AX), Z22 // min_child_weight
	VBROADCASTSD 24(AX), Z23 // alpha
	VBROADCASTSD 32(AX), Z24 // lambda
	VCVTSD2SS 40(AX), X0, X25
	VBROADCASTSS X25, Y25    // parent (float32)
	VPXORQ Z26, Z26, Z26     // 0
	VSUBPD Z23, Z26, Z27     // -alpha
	MOVL $0xff800000, R8     // float32 -Inf
	VPBROADCASTD R8, Y28
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPD (SI), Z0         // A.g
	VMOVUPD (DI), Z1         // A.h
	VSUBPD Z0, Z20, Z2       // B.g = G - A.g
	VSUBPD Z1, Z21, Z3       // B.h = H - A.h
	VCMPPD $0x1d, Z22, Z1, K1 // A.h >= mcw
	VCMPPD $0x1d, Z22, Z3, K2 // B.h >= mcw
	KANDW K1, K2, K1

	// gainL2(A): threshold, float32(t*t) / float32(h+lambda), 0 unless h > 0.
	VCMPPD $0x1e, Z23, Z0, K3 // g > alpha
	VCMPPD $0x11, Z27, Z0, K4 // g < -alpha
	VPXORQ Z4, Z4, Z4
	VADDPD Z23, Z0, K4, Z4    // g + alpha where g < -alpha
	VSUBPD Z23, Z0, K3, Z4    // g - alpha where g > alpha (wins, as in Go)
	VMULPD Z4, Z4, Z4
	VCVTPD2PS Z4, Y4
	VADDPD Z24, Z1, Z5
	VCVTPD2PS Z5, Y5
	VDIVPS Y5, Y4, Y4
	VCMPPD $0x1e, Z26, Z1, K5 // h > 0
	VMOVAPS.Z Y4, K5, Y6      // 0 where not

	// gainL2(B)
	VCMPPD $0x1e, Z23, Z2, K3
	VCMPPD $0x11, Z27, Z2, K4
	VPXORQ Z4, Z4, Z4
	VADDPD Z23, Z2, K4, Z4
	VSUBPD Z23, Z2, K3, Z4
	VMULPD Z4, Z4, Z4
	VCVTPD2PS Z4, Y4
	VADDPD Z24, Z3, Z5
	VCVTPD2PS Z5, Y5
	VDIVPS Y5, Y4, Y4
	VCMPPD $0x1e, Z26, Z3, K5
	VMOVAPS.Z Y4, K5, Y7

	VADDPS Y7, Y6, Y6         // gainL2(A) + gainL2(B)
	VSUBPS Y25, Y6, Y6        // - parent
	VMOVAPS Y28, Y8
	VMOVAPS Y6, K1, Y8        // -Inf where a side is under min_child_weight
	VMOVUPS Y8, (DX)

	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ loop

done:
	VZEROUPPER
	RET
