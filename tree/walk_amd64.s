//go:build amd64 && !purego

#include "textflag.h"

// The AVX-512 batch walk of the complete layout (see flat.go: addWalk16,
// buildWalk16). Every row's leaf values are added to its sum tree by tree
// in order, as the scalar walks add them, so the sums are the same bit for
// bit; TestWalk16MatchesWalk and TestFill16MatchesFillLanes check them
// against the scalar code.

// Lane numbers 0-15: added to a split's slot offset they index one value
// per row of a lane group.
DATA lanes16<>+0(SB)/4, $0
DATA lanes16<>+4(SB)/4, $1
DATA lanes16<>+8(SB)/4, $2
DATA lanes16<>+12(SB)/4, $3
DATA lanes16<>+16(SB)/4, $4
DATA lanes16<>+20(SB)/4, $5
DATA lanes16<>+24(SB)/4, $6
DATA lanes16<>+28(SB)/4, $7
DATA lanes16<>+32(SB)/4, $8
DATA lanes16<>+36(SB)/4, $9
DATA lanes16<>+40(SB)/4, $10
DATA lanes16<>+44(SB)/4, $11
DATA lanes16<>+48(SB)/4, $12
DATA lanes16<>+52(SB)/4, $13
DATA lanes16<>+56(SB)/4, $14
DATA lanes16<>+60(SB)/4, $15
GLOBL lanes16<>(SB), RODATA|NOPTR, $64

// Split numbers 0-14, compared with each row's split index to pick the
// rows at that split.
DATA nodes<>+0(SB)/4, $0
DATA nodes<>+4(SB)/4, $1
DATA nodes<>+8(SB)/4, $2
DATA nodes<>+12(SB)/4, $3
DATA nodes<>+16(SB)/4, $4
DATA nodes<>+20(SB)/4, $5
DATA nodes<>+24(SB)/4, $6
DATA nodes<>+28(SB)/4, $7
DATA nodes<>+32(SB)/4, $8
DATA nodes<>+36(SB)/4, $9
DATA nodes<>+40(SB)/4, $10
DATA nodes<>+44(SB)/4, $11
DATA nodes<>+48(SB)/4, $12
DATA nodes<>+52(SB)/4, $13
DATA nodes<>+56(SB)/4, $14
GLOBL nodes<>(SB), RODATA|NOPTR, $60

// func walk16(feat *int32, thr *float32, leaves *float64, ntrees, levels0, level5, ns int, xb *float32, groupLen, groups int, acc *float64)
//
// Registers: Z0 lane numbers, Z1 ones, Z2 31s, Z8 ns; per tree Z16-Z19
// the split slots (levels 0-4, level 5), Z20-Z23 the thresholds; R11 the
// end of xb; per lane group Z3 the split index of every row.
TEXT ·walk16(SB), NOSPLIT, $0-88
	MOVQ feat+0(FP), DI
	MOVQ thr+8(FP), SI
	MOVQ leaves+16(FP), DX
	MOVQ ntrees+24(FP), CX
	MOVQ levels0+32(FP), R8
	MOVQ level5+40(FP), R13
	MOVQ xb+56(FP), R9
	MOVQ groupLen+64(FP), R10
	SHLQ $2, R10
	MOVQ groups+72(FP), R11
	IMULQ R10, R11
	ADDQ R9, R11
	MOVQ acc+80(FP), R12
	VMOVDQU32 lanes16<>(SB), Z0
	MOVL $1, AX
	VPBROADCASTD AX, Z1
	MOVL $31, AX
	VPBROADCASTD AX, Z2
	MOVQ ns+48(FP), AX
	VPBROADCASTD AX, Z8
	TESTQ CX, CX
	JZ   done
	CMPQ R11, R9
	JEQ  done

tree:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVUPS   0(SI), Z20
	VMOVUPS   64(SI), Z21
	VMOVUPS   128(SI), Z22
	VMOVUPS   192(SI), Z23
	MOVQ R9, BX
	MOVQ R12, R14

group:
	VPXORD Z3, Z3, Z3
	MOVQ   R8, AX

level:
	VMOVDQA32  Z3, Z4
	VPERMI2D   Z17, Z16, Z4
	VPADDD     Z0, Z4, Z4
	KXNORW     K1, K1, K1
	VPXORD     Z5, Z5, Z5
	VGATHERDPS (BX)(Z4*4), K1, Z5
	VMOVDQA32  Z3, Z6
	VPERMI2PS  Z21, Z20, Z6
	VCMPPS     $0x1d, Z6, Z5, K2
	VPADDD     Z3, Z3, Z3
	VPADDD     Z1, Z3, Z3
	VPADDD     Z1, Z3, K2, Z3
	DECQ       AX
	JNZ        level

	TESTQ R13, R13
	JZ    leaves
	VPSUBD     Z2, Z3, Z4
	VMOVDQA32  Z4, Z6
	VPERMI2D   Z19, Z18, Z4
	VPADDD     Z0, Z4, Z4
	KXNORW     K1, K1, K1
	VPXORD     Z5, Z5, Z5
	VGATHERDPS (BX)(Z4*4), K1, Z5
	VPERMI2PS  Z23, Z22, Z6
	VCMPPS     $0x1d, Z6, Z5, K2
	VPADDD     Z3, Z3, Z3
	VPADDD     Z1, Z3, Z3
	VPADDD     Z1, Z3, K2, Z3

leaves:
	VPSUBD         Z8, Z3, Z3
	VEXTRACTI64X4  $1, Z3, Y7
	KXNORW         K1, K1, K1
	VPXORD         Z9, Z9, Z9
	VGATHERDPD     (DX)(Y3*8), K1, Z9
	KXNORW         K1, K1, K1
	VPXORD         Z10, Z10, Z10
	VGATHERDPD     (DX)(Y7*8), K1, Z10
	VADDPD         0(R14), Z9, Z9
	VADDPD         64(R14), Z10, Z10
	VMOVUPD        Z9, 0(R14)
	VMOVUPD        Z10, 64(R14)

	ADDQ R10, BX
	ADDQ $128, R14
	CMPQ BX, R11
	JNE  group

	ADDQ $256, DI
	ADDQ $256, SI
	ADDQ $512, DX
	DECQ CX
	JNZ  tree

done:
	VZEROUPPER
	RET

// XSPLIT loads, into the lanes of Z5 whose split index Z3 is split o/4,
// the values of that split's slot: a masked contiguous load where a
// gather would fetch 16 values one by one.
#define XSPLIT(o) \
	MOVL          o(DI), AX; \
	VPCMPEQD.BCST nodes<>+o(SB), Z3, K4; \
	VMOVUPS       (BX)(AX*4), K4, Z5

// XFIRST loads split o/4's slot into every lane of Z5.
#define XFIRST(o) \
	MOVL    o(DI), AX; \
	VMOVUPS (BX)(AX*4), Z5

// STEP compares the row values Z5 with their splits' thresholds (levels
// 0-4: table Z20-Z21) and moves the split indices Z3 one level down.
#define STEP \
	VMOVDQA32 Z3, Z6; \
	VPERMI2PS Z21, Z20, Z6; \
	VCMPPS    $0x1d, Z6, Z5, K2; \
	VPADDD    Z3, Z3, Z3; \
	VPADDD    Z1, Z3, Z3; \
	VPADDD    Z1, Z3, K2, Z3

// Two lane groups at once (walk16d6's main loop): A in Z3 (split
// indices), Z4, Z5 (values), Z6, K1, K2, K4 at BX; B in Z13, Z28, Z15,
// Z14, K7, K6, K5 at R8. A split's slot offset is the same for both.

// XFIRST2 loads split o/4's slot into every lane of both groups.
#define XFIRST2(o) \
	MOVL    o(DI), AX; \
	VMOVUPS (BX)(AX*4), Z5; \
	VMOVUPS (R8)(AX*4), Z15

// XSPLIT2 is XSPLIT for both groups.
#define XSPLIT2(o) \
	MOVL          o(DI), AX; \
	VPCMPEQD.BCST nodes<>+o(SB), Z3, K4; \
	VPCMPEQD.BCST nodes<>+o(SB), Z13, K5; \
	VMOVUPS       (BX)(AX*4), K4, Z5; \
	VMOVUPS       (R8)(AX*4), K5, Z15

// STEPR is STEP for split indices idx, values x, scratch t, mask k.
#define STEPR(idx, x, t, k) \
	VMOVDQA32 idx, t; \
	VPERMI2PS Z21, Z20, t; \
	VCMPPS    $0x1d, t, x, k; \
	VPADDD    idx, idx, idx; \
	VPADDD    Z1, idx, idx; \
	VPADDD    Z1, idx, k, idx

// STEP2 is STEP for both groups.
#define STEP2 \
	STEPR(Z3, Z5, Z6, K2); \
	STEPR(Z13, Z15, Z14, K6)

// GATHER4 gathers level-4 values x at the splits idx of the group at base.
#define GATHER4(idx, gi, x, k, base) \
	VMOVDQA32  idx, gi; \
	VPERMI2D   Z17, Z16, gi; \
	VPADDD     Z0, gi, gi; \
	KXNORW     k, k, k; \
	VPXORD     x, x, x; \
	VGATHERDPS (base)(gi*4), k, x

// LEVEL5 is the sixth level (splits 31-62) for one group.
#define LEVEL5(idx, gi, x, t, kg, kc, base) \
	VPSUBD     Z2, idx, gi; \
	VMOVDQA32  gi, t; \
	VPERMI2D   Z19, Z18, gi; \
	VPADDD     Z0, gi, gi; \
	KXNORW     kg, kg, kg; \
	VPXORD     x, x, x; \
	VGATHERDPS (base)(gi*4), kg, x; \
	VPERMI2PS  Z23, Z22, t; \
	VCMPPS     $0x1d, t, x, kc; \
	VPADDD     idx, idx, idx; \
	VPADDD     Z1, idx, idx; \
	VPADDD     Z1, idx, kc, idx

// LEAF32 picks the float32 leaf values of leaf indices l from Z24-Z27
// and widens them: lanes 0-7 into lo, 8-15 into hi (a, ya, yt scratch).
#define LEAF32(l, a, ya, lo, hi, yt, k) \
	VMOVDQA32     l, a; \
	VPERMI2PS     Z25, Z24, a; \
	VMOVDQA32     l, lo; \
	VPERMI2PS     Z27, Z26, lo; \
	VPTESTMD      Z12, l, k; \
	VMOVAPS       lo, k, a; \
	VCVTPS2PD     ya, lo; \
	VEXTRACTF64X4 $1, a, yt; \
	VCVTPS2PD     yt, hi

// LEAFG gathers the float64 leaf values of leaf indices l (yl its low
// half, yt scratch): lanes 0-7 into lo, 8-15 into hi.
#define LEAFG(l, yl, lo, hi, yt, k) \
	VEXTRACTI64X4 $1, l, yt; \
	KXNORW        k, k, k; \
	VPXORD        lo, lo, lo; \
	VGATHERDPD    (DX)(yl*8), k, lo; \
	KXNORW        k, k, k; \
	VPXORD        hi, hi, hi; \
	VGATHERDPD    (DX)(yt*8), k, hi

// ADDACC adds lo and hi to the 16 sums at off(R14).
#define ADDACC(lo, hi, off) \
	VADDPD  off(R14), lo, lo; \
	VADDPD  off+64(R14), hi, hi; \
	VMOVUPD lo, off(R14); \
	VMOVUPD hi, off+64(R14)

// func walk16d6(feat *int32, thr *float32, leaves *float64, leaves32 *float32, ntrees int, xb *float32, groupLen, groups int, acc *float64)
//
// walk16 for trees of depth 6 exactly. The first four levels, where the
// 16 rows sit at 1, 2, 4 or 8 splits, load each split's slot whole and
// keep the lanes at that split (masked loads) instead of gathering; when
// leaves32 is not nil (every leaf value is a float32) the leaf values are
// picked from four registers instead of gathered.
TEXT ·walk16d6(SB), NOSPLIT, $0-72
	MOVQ feat+0(FP), DI
	MOVQ thr+8(FP), SI
	MOVQ leaves+16(FP), DX
	MOVQ leaves32+24(FP), R13
	MOVQ ntrees+32(FP), CX
	MOVQ xb+40(FP), R9
	MOVQ groupLen+48(FP), R10
	SHLQ $2, R10
	MOVQ groups+56(FP), R11
	IMULQ R10, R11
	ADDQ R9, R11
	MOVQ acc+64(FP), R12
	VMOVDQU32 lanes16<>(SB), Z0
	MOVL $1, AX
	VPBROADCASTD AX, Z1
	MOVL $31, AX
	VPBROADCASTD AX, Z2
	MOVL $63, AX
	VPBROADCASTD AX, Z8
	MOVL $32, AX
	VPBROADCASTD AX, Z12
	TESTQ CX, CX
	JZ   d6done
	CMPQ R11, R9
	JEQ  d6done

d6tree:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVUPS   0(SI), Z20
	VMOVUPS   64(SI), Z21
	VMOVUPS   128(SI), Z22
	VMOVUPS   192(SI), Z23
	TESTQ R13, R13
	JZ    d6noleaf32
	VMOVUPS 0(R13), Z24
	VMOVUPS 64(R13), Z25
	VMOVUPS 128(R13), Z26
	VMOVUPS 192(R13), Z27

d6noleaf32:
	MOVQ R9, BX
	MOVQ R12, R14

d6pair:
	// Two lane groups at a time while two remain: their dependency
	// chains overlap.
	LEAQ (BX)(R10*2), AX
	CMPQ AX, R11
	JA   d6group
	LEAQ (BX)(R10*1), R8
	VPXORD Z3, Z3, Z3
	VPXORD Z13, Z13, Z13
	XFIRST2(0)
	STEP2
	XFIRST2(4)
	XSPLIT2(8)
	STEP2
	XFIRST2(12)
	XSPLIT2(16)
	XSPLIT2(20)
	XSPLIT2(24)
	STEP2
	XFIRST2(28)
	XSPLIT2(32)
	XSPLIT2(36)
	XSPLIT2(40)
	XSPLIT2(44)
	XSPLIT2(48)
	XSPLIT2(52)
	XSPLIT2(56)
	STEP2
	GATHER4(Z3, Z4, Z5, K1, BX)
	GATHER4(Z13, Z28, Z15, K7, R8)
	STEP2
	LEVEL5(Z3, Z4, Z5, Z6, K1, K2, BX)
	LEVEL5(Z13, Z28, Z15, Z14, K7, K6, R8)
	VPSUBD Z8, Z3, Z3
	VPSUBD Z8, Z13, Z13
	TESTQ  R13, R13
	JZ     d6pairgather
	LEAF32(Z3, Z9, Y9, Z10, Z11, Y11, K3)
	LEAF32(Z13, Z29, Y29, Z30, Z31, Y31, K6)
	JMP d6pairadd

d6pairgather:
	LEAFG(Z3, Y3, Z10, Z11, Y7, K1)
	LEAFG(Z13, Y13, Z30, Z31, Y28, K7)

d6pairadd:
	ADDACC(Z10, Z11, 0)
	ADDACC(Z30, Z31, 128)
	LEAQ (BX)(R10*2), BX
	ADDQ $256, R14
	JMP  d6pair

d6group:
	CMPQ BX, R11
	JEQ  d6treeend
	// Level 0: every row at split 0.
	VPXORD Z3, Z3, Z3
	XFIRST(0)
	STEP
	// Level 1: splits 1-2.
	XFIRST(4)
	XSPLIT(8)
	STEP
	// Level 2: splits 3-6.
	XFIRST(12)
	XSPLIT(16)
	XSPLIT(20)
	XSPLIT(24)
	STEP
	// Level 3: splits 7-14.
	XFIRST(28)
	XSPLIT(32)
	XSPLIT(36)
	XSPLIT(40)
	XSPLIT(44)
	XSPLIT(48)
	XSPLIT(52)
	XSPLIT(56)
	STEP
	// Level 4: splits 15-30, gathered.
	VMOVDQA32  Z3, Z4
	VPERMI2D   Z17, Z16, Z4
	VPADDD     Z0, Z4, Z4
	KXNORW     K1, K1, K1
	VPXORD     Z5, Z5, Z5
	VGATHERDPS (BX)(Z4*4), K1, Z5
	STEP
	// Level 5: splits 31-62, gathered, tables Z18-Z19 and Z22-Z23.
	VPSUBD     Z2, Z3, Z4
	VMOVDQA32  Z4, Z6
	VPERMI2D   Z19, Z18, Z4
	VPADDD     Z0, Z4, Z4
	KXNORW     K1, K1, K1
	VPXORD     Z5, Z5, Z5
	VGATHERDPS (BX)(Z4*4), K1, Z5
	VPERMI2PS  Z23, Z22, Z6
	VCMPPS     $0x1d, Z6, Z5, K2
	VPADDD     Z3, Z3, Z3
	VPADDD     Z1, Z3, Z3
	VPADDD     Z1, Z3, K2, Z3

	// Leaves: index 63-126 less 63.
	VPSUBD Z8, Z3, Z3
	TESTQ  R13, R13
	JZ     d6gather
	VMOVDQA32     Z3, Z9
	VPERMI2PS     Z25, Z24, Z9
	VMOVDQA32     Z3, Z10
	VPERMI2PS     Z27, Z26, Z10
	VPTESTMD      Z12, Z3, K3
	VMOVAPS       Z10, K3, Z9
	VCVTPS2PD     Y9, Z10
	VEXTRACTF64X4 $1, Z9, Y11
	VCVTPS2PD     Y11, Z11
	JMP           d6add

d6gather:
	VEXTRACTI64X4 $1, Z3, Y7
	KXNORW        K1, K1, K1
	VPXORD        Z10, Z10, Z10
	VGATHERDPD    (DX)(Y3*8), K1, Z10
	KXNORW        K1, K1, K1
	VPXORD        Z11, Z11, Z11
	VGATHERDPD    (DX)(Y7*8), K1, Z11

d6add:
	VADDPD  0(R14), Z10, Z10
	VADDPD  64(R14), Z11, Z11
	VMOVUPD Z10, 0(R14)
	VMOVUPD Z11, 64(R14)

	ADDQ R10, BX
	ADDQ $128, R14
	JMP  d6group

d6treeend:
	ADDQ $256, DI
	ADDQ $256, SI
	ADDQ $512, DX
	TESTQ R13, R13
	JZ    d6next
	ADDQ  $256, R13

d6next:
	DECQ CX
	JNZ  d6tree

d6done:
	VZEROUPPER
	RET

// func fill16(xb *float32, x *float64, m, n int)
//
// fillLanes for 16 lanes: each feature of a lane group's rows gathered,
// converted to float32 and stored twice, NaN as −Inf and as +Inf.
TEXT ·fill16(SB), NOSPLIT, $0-32
	MOVQ xb+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ n+24(FP), DX
	TESTQ CX, CX
	JZ    filldone
	// Z20, Z21: lane × m for lanes 0-7 and 8-15.
	VPBROADCASTD CX, Z1
	VMOVDQU32    lanes16<>(SB), Z0
	VPMULLD      Z1, Z0, Z0
	VMOVDQA32    Z0, Z20
	VEXTRACTI64X4 $1, Z0, Y21
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z30
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z31
	// R8: bytes per lane group of rows (16·m·8).
	MOVQ CX, R8
	SHLQ $7, R8

fillgroup:
	TESTQ DX, DX
	JLE   filldone
	// Lane masks: R9 rows 0-7, R10 rows 8-15 of this group.
	MOVQ  $16, AX
	CMPQ  DX, AX
	CMOVQLT DX, AX
	MOVQ  $1, R9
	SHLXQ AX, R9, R9
	DECQ  R9
	MOVQ  R9, R10
	SHRQ  $8, R10
	ANDQ  $0xff, R9
	MOVQ  SI, BX
	MOVQ  CX, R11

fillfeat:
	KMOVW      R9, K1
	VPXORD     Z4, Z4, Z4
	VGATHERDPD (BX)(Y20*8), K1, Z4
	KMOVW      R10, K1
	VPXORD     Z5, Z5, Z5
	VGATHERDPD (BX)(Y21*8), K1, Z5
	VCVTPD2PS  Z4, Y4
	VCVTPD2PS  Z5, Y5
	VINSERTF64X4 $1, Y5, Z4, Z4
	VCMPPS     $3, Z4, Z4, K3
	VMOVAPS    Z4, Z6
	VMOVAPS    Z30, K3, Z4
	VMOVAPS    Z31, K3, Z6
	VMOVUPS    Z4, 0(DI)
	VMOVUPS    Z6, 64(DI)
	ADDQ       $8, BX
	ADDQ       $128, DI
	DECQ       R11
	JNZ        fillfeat

	ADDQ R8, SI
	SUBQ $16, DX
	JMP  fillgroup

filldone:
	VZEROUPPER
	RET

// DEEP is a level below the sixth for one group: the split's slot and
// threshold gathered from the (slot, threshold) pairs at R13, then the
// value.
#define DEEP(idx, gi, x, t, kg, kc, base) \
	KXNORW     kg, kg, kg; \
	VPXORD     gi, gi, gi; \
	VPGATHERDD (R13)(idx*8), kg, gi; \
	KXNORW     kg, kg, kg; \
	VPXORD     t, t, t; \
	VGATHERDPS 4(R13)(idx*8), kg, t; \
	VPADDD     Z0, gi, gi; \
	KXNORW     kg, kg, kg; \
	VPXORD     x, x, x; \
	VGATHERDPS (base)(gi*4), kg, x; \
	VCMPPS     $0x1d, t, x, kc; \
	VPADDD     idx, idx, idx; \
	VPADDD     Z1, idx, idx; \
	VPADDD     Z1, idx, kc, idx

// func walk16deep(feat *int32, thr *float32, all *int32, leaves *float64, ntrees, deep, stride, ns int, xb *float32, groupLen, groups int, acc *float64)
//
// walk16 for trees of depth 7 or 8 (6 + deep): the first six levels as
// walk16d6 (two lane groups at a time), the deeper ones gathering each
// row's split slot and threshold from all (a (slot, threshold bits) pair
// per split, stride splits per tree) as well as its value.
TEXT ·walk16deep(SB), NOSPLIT, $0-96
	MOVQ feat+0(FP), DI
	MOVQ thr+8(FP), SI
	MOVQ all+16(FP), R13
	MOVQ leaves+24(FP), DX
	MOVQ ntrees+32(FP), CX
	MOVQ xb+64(FP), R9
	MOVQ groupLen+72(FP), R10
	SHLQ $2, R10
	MOVQ groups+80(FP), R11
	IMULQ R10, R11
	ADDQ R9, R11
	MOVQ acc+88(FP), R12
	VMOVDQU32 lanes16<>(SB), Z0
	MOVL $1, AX
	VPBROADCASTD AX, Z1
	MOVL $31, AX
	VPBROADCASTD AX, Z2
	MOVQ ns+56(FP), AX
	VPBROADCASTD AX, Z8
	TESTQ CX, CX
	JZ   deepdone
	CMPQ R11, R9
	JEQ  deepdone

deeptree:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVUPS   0(SI), Z20
	VMOVUPS   64(SI), Z21
	VMOVUPS   128(SI), Z22
	VMOVUPS   192(SI), Z23
	MOVQ R9, BX
	MOVQ R12, R14

deeppair:
	LEAQ (BX)(R10*2), AX
	CMPQ AX, R11
	JA   deepgroup
	LEAQ (BX)(R10*1), R8
	VPXORD Z3, Z3, Z3
	VPXORD Z13, Z13, Z13
	XFIRST2(0)
	STEP2
	XFIRST2(4)
	XSPLIT2(8)
	STEP2
	XFIRST2(12)
	XSPLIT2(16)
	XSPLIT2(20)
	XSPLIT2(24)
	STEP2
	XFIRST2(28)
	XSPLIT2(32)
	XSPLIT2(36)
	XSPLIT2(40)
	XSPLIT2(44)
	XSPLIT2(48)
	XSPLIT2(52)
	XSPLIT2(56)
	STEP2
	GATHER4(Z3, Z4, Z5, K1, BX)
	GATHER4(Z13, Z28, Z15, K7, R8)
	STEP2
	LEVEL5(Z3, Z4, Z5, Z6, K1, K2, BX)
	LEVEL5(Z13, Z28, Z15, Z14, K7, K6, R8)
	MOVQ deep+40(FP), AX

deeppairlevel:
	DEEP(Z3, Z4, Z5, Z6, K1, K2, BX)
	DEEP(Z13, Z28, Z15, Z14, K7, K6, R8)
	DECQ AX
	JNZ  deeppairlevel

	VPSUBD Z8, Z3, Z3
	VPSUBD Z8, Z13, Z13
	LEAFG(Z3, Y3, Z10, Z11, Y7, K1)
	LEAFG(Z13, Y13, Z30, Z31, Y28, K7)
	ADDACC(Z10, Z11, 0)
	ADDACC(Z30, Z31, 128)
	LEAQ (BX)(R10*2), BX
	ADDQ $256, R14
	JMP  deeppair

deepgroup:
	CMPQ BX, R11
	JEQ  deeptreeend
	VPXORD Z3, Z3, Z3
	XFIRST(0)
	STEP
	XFIRST(4)
	XSPLIT(8)
	STEP
	XFIRST(12)
	XSPLIT(16)
	XSPLIT(20)
	XSPLIT(24)
	STEP
	XFIRST(28)
	XSPLIT(32)
	XSPLIT(36)
	XSPLIT(40)
	XSPLIT(44)
	XSPLIT(48)
	XSPLIT(52)
	XSPLIT(56)
	STEP
	GATHER4(Z3, Z4, Z5, K1, BX)
	STEP
	LEVEL5(Z3, Z4, Z5, Z6, K1, K2, BX)
	MOVQ deep+40(FP), AX

deeplevel:
	DEEP(Z3, Z4, Z5, Z6, K1, K2, BX)
	DECQ AX
	JNZ  deeplevel

	VPSUBD Z8, Z3, Z3
	LEAFG(Z3, Y3, Z10, Z11, Y7, K1)
	ADDACC(Z10, Z11, 0)
	ADDQ R10, BX
	ADDQ $128, R14
	JMP  deepgroup

deeptreeend:
	ADDQ $256, DI
	ADDQ $256, SI
	MOVQ stride+48(FP), AX
	SHLQ $3, AX
	ADDQ AX, R13
	ADDQ AX, DX
	DECQ CX
	JNZ  deeptree

deepdone:
	VZEROUPPER
	RET
