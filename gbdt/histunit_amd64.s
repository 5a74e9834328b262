//go:build amd64 && !purego

#include "textflag.h"

// UNITROW: the row at SI (CX rows left): its pair widened to float64 and
// repeated four times in Z0, the address of its masks in AX (masks BX,
// stride R15, pairs R10); the masks and pair of the row 16 ahead are
// prefetched when there is one (else on to nopf: a deep node's rows are
// scattered).
#define UNITROW(nopf) \
	MOVLQSX (SI), AX; \
	VPBROADCASTQ (R10)(AX*8), Y0; \
	VCVTPS2PD Y0, Z0; \
	IMULQ R15, AX; \
	ADDQ BX, AX; \
	CMPQ CX, $17; \
	JLT nopf; \
	MOVLQSX 64(SI), DX; \
	PREFETCHT0 (R10)(DX*8); \
	IMULQ R15, DX; \
	PREFETCHT0 (BX)(DX*1)

// SLOTROW: as UNITROW for the slot kernels: the row's pair widened in
// X0, the address of its slots (uint16, BX, stride R15) in AX.
#define SLOTROW(nopf) \
	MOVLQSX (SI), AX; \
	CVTPS2PD (R10)(AX*8), X0; \
	IMULQ R15, AX; \
	LEAQ (BX)(AX*2), AX; \
	CMPQ CX, $17; \
	JLT nopf; \
	MOVLQSX 64(SI), DX; \
	PREFETCHT0 (R10)(DX*8); \
	IMULQ R15, DX; \
	PREFETCHT0 (BX)(DX*2)

// ADDSLOT adds the pair in X0 into the bucket at DI+8·slot (slots are
// doubled), through x.
#define ADDSLOT(slot, x) \
	MOVUPD (DI)(slot*8), x; \
	ADDPD X0, x; \
	MOVUPD x, (DI)(slot*8)

// func histUnits16(acc *[unitPass * 8]float64, rows []int32, masks []uint8, stride int, gh []gradPair)
//
// Keeps 16 units' sums in Z16-Z31; per row, the pair widened to
// float64 and repeated four times (Z0), then per unit a masked add: each
// slot gets its rows' additions in row order. The masks and pairs of
// the row 16 ahead are prefetched (a deep node's rows are scattered).
TEXT ·histUnits16(SB), NOSPLIT, $0-88
	MOVQ acc+0(FP), DI
	MOVQ rows_base+8(FP), SI
	MOVQ rows_len+16(FP), CX
	MOVQ masks_base+32(FP), BX
	MOVQ stride+56(FP), R15
	MOVQ gh_base+64(FP), R10
	VMOVUPD 0(DI), Z16
	VMOVUPD 64(DI), Z17
	VMOVUPD 128(DI), Z18
	VMOVUPD 192(DI), Z19
	VMOVUPD 256(DI), Z20
	VMOVUPD 320(DI), Z21
	VMOVUPD 384(DI), Z22
	VMOVUPD 448(DI), Z23
	VMOVUPD 512(DI), Z24
	VMOVUPD 576(DI), Z25
	VMOVUPD 640(DI), Z26
	VMOVUPD 704(DI), Z27
	VMOVUPD 768(DI), Z28
	VMOVUPD 832(DI), Z29
	VMOVUPD 896(DI), Z30
	VMOVUPD 960(DI), Z31
	TESTQ CX, CX
	JEQ histUnits16_store
histUnits16_row:
	UNITROW(histUnits16_nopf)
histUnits16_nopf:
	KMOVB 0(AX), K1
	VADDPD Z0, Z16, K1, Z16
	KMOVB 1(AX), K2
	VADDPD Z0, Z17, K2, Z17
	KMOVB 2(AX), K3
	VADDPD Z0, Z18, K3, Z18
	KMOVB 3(AX), K4
	VADDPD Z0, Z19, K4, Z19
	KMOVB 4(AX), K5
	VADDPD Z0, Z20, K5, Z20
	KMOVB 5(AX), K6
	VADDPD Z0, Z21, K6, Z21
	KMOVB 6(AX), K7
	VADDPD Z0, Z22, K7, Z22
	KMOVB 7(AX), K1
	VADDPD Z0, Z23, K1, Z23
	KMOVB 8(AX), K2
	VADDPD Z0, Z24, K2, Z24
	KMOVB 9(AX), K3
	VADDPD Z0, Z25, K3, Z25
	KMOVB 10(AX), K4
	VADDPD Z0, Z26, K4, Z26
	KMOVB 11(AX), K5
	VADDPD Z0, Z27, K5, Z27
	KMOVB 12(AX), K6
	VADDPD Z0, Z28, K6, Z28
	KMOVB 13(AX), K7
	VADDPD Z0, Z29, K7, Z29
	KMOVB 14(AX), K1
	VADDPD Z0, Z30, K1, Z30
	KMOVB 15(AX), K2
	VADDPD Z0, Z31, K2, Z31
	ADDQ $4, SI
	DECQ CX
	JNZ histUnits16_row
histUnits16_store:
	VMOVUPD Z16, 0(DI)
	VMOVUPD Z17, 64(DI)
	VMOVUPD Z18, 128(DI)
	VMOVUPD Z19, 192(DI)
	VMOVUPD Z20, 256(DI)
	VMOVUPD Z21, 320(DI)
	VMOVUPD Z22, 384(DI)
	VMOVUPD Z23, 448(DI)
	VMOVUPD Z24, 512(DI)
	VMOVUPD Z25, 576(DI)
	VMOVUPD Z26, 640(DI)
	VMOVUPD Z27, 704(DI)
	VMOVUPD Z28, 768(DI)
	VMOVUPD Z29, 832(DI)
	VMOVUPD Z30, 896(DI)
	VMOVUPD Z31, 960(DI)
	VZEROUPPER
	RET

// func histUnits8(acc *[unitPass * 8]float64, rows []int32, masks []uint8, stride int, gh []gradPair)
//
// Keeps 8 units' sums in Z16-Z23; per row, the pair widened to
// float64 and repeated four times (Z0), then per unit a masked add: each
// slot gets its rows' additions in row order. The masks and pairs of
// the row 16 ahead are prefetched (a deep node's rows are scattered).
TEXT ·histUnits8(SB), NOSPLIT, $0-88
	MOVQ acc+0(FP), DI
	MOVQ rows_base+8(FP), SI
	MOVQ rows_len+16(FP), CX
	MOVQ masks_base+32(FP), BX
	MOVQ stride+56(FP), R15
	MOVQ gh_base+64(FP), R10
	VMOVUPD 0(DI), Z16
	VMOVUPD 64(DI), Z17
	VMOVUPD 128(DI), Z18
	VMOVUPD 192(DI), Z19
	VMOVUPD 256(DI), Z20
	VMOVUPD 320(DI), Z21
	VMOVUPD 384(DI), Z22
	VMOVUPD 448(DI), Z23
	TESTQ CX, CX
	JEQ histUnits8_store
histUnits8_row:
	UNITROW(histUnits8_nopf)
histUnits8_nopf:
	KMOVB 0(AX), K1
	VADDPD Z0, Z16, K1, Z16
	KMOVB 1(AX), K2
	VADDPD Z0, Z17, K2, Z17
	KMOVB 2(AX), K3
	VADDPD Z0, Z18, K3, Z18
	KMOVB 3(AX), K4
	VADDPD Z0, Z19, K4, Z19
	KMOVB 4(AX), K5
	VADDPD Z0, Z20, K5, Z20
	KMOVB 5(AX), K6
	VADDPD Z0, Z21, K6, Z21
	KMOVB 6(AX), K7
	VADDPD Z0, Z22, K7, Z22
	KMOVB 7(AX), K1
	VADDPD Z0, Z23, K1, Z23
	ADDQ $4, SI
	DECQ CX
	JNZ histUnits8_row
histUnits8_store:
	VMOVUPD Z16, 0(DI)
	VMOVUPD Z17, 64(DI)
	VMOVUPD Z18, 128(DI)
	VMOVUPD Z19, 192(DI)
	VMOVUPD Z20, 256(DI)
	VMOVUPD Z21, 320(DI)
	VMOVUPD Z22, 384(DI)
	VMOVUPD Z23, 448(DI)
	VZEROUPPER
	RET

// func histSlots(hist []bucket, rows []int32, slots []uint16, cols int, gh []gradPair)
//
// For each i, adds gh[rows[i]] (widened to float64) into the bucket at
// index slots[rows[i]*cols+j]/2 for every j < cols: the slots are
// doubled so that they scale by 8 in the address (a bucket is 16
// bytes). Rows in order, so each bucket gets its additions in row order.
// The caller guarantees every row, slot and pair is inside its slice.
TEXT ·histSlots(SB), NOSPLIT, $0-104
	MOVQ hist_base+0(FP), DI
	MOVQ rows_base+24(FP), SI
	MOVQ rows_len+32(FP), CX
	MOVQ slots_base+48(FP), BX
	MOVQ cols+72(FP), R15
	MOVQ gh_base+80(FP), R10
	TESTQ R15, R15
	JEQ histSlots_done
	TESTQ CX, CX
	JEQ histSlots_done
histSlots_row:
	SLOTROW(histSlots_nopf)
histSlots_nopf:
	XORQ R12, R12
	MOVQ R15, R13
	ANDQ $-2, R13
	JEQ histSlots_tail
histSlots_pair:
	MOVWQZX (AX)(R12*2), R8
	MOVWQZX 2(AX)(R12*2), R9
	ADDSLOT(R8, X4)
	ADDSLOT(R9, X5)
	ADDQ $2, R12
	CMPQ R12, R13
	JLT histSlots_pair
histSlots_tail:
	CMPQ R12, R15
	JGE histSlots_next
	MOVWQZX (AX)(R12*2), R8
	ADDSLOT(R8, X4)
histSlots_next:
	ADDQ $4, SI
	DECQ CX
	JNZ histSlots_row
histSlots_done:
	RET

// func histSlotsCols(hist []bucket, rows []int32, slots []uint16, stride int, cols []int, gh []gradPair)
//
// histSlots over the columns in cols only: for each i, adds gh[rows[i]]
// into the bucket at index slots[rows[i]*stride+j]/2 for every j in cols
// (distinct, so a bucket gets one addition per row, in row order). The
// caller guarantees every row, column, slot and pair is inside its slice.
TEXT ·histSlotsCols(SB), NOSPLIT, $0-128
	MOVQ hist_base+0(FP), DI
	MOVQ rows_base+24(FP), SI
	MOVQ rows_len+32(FP), CX
	MOVQ slots_base+48(FP), BX
	MOVQ stride+72(FP), R15
	MOVQ cols_base+80(FP), R11
	MOVQ cols_len+88(FP), R14
	MOVQ gh_base+104(FP), R10
	TESTQ R14, R14
	JEQ histSlotsCols_done
	TESTQ CX, CX
	JEQ histSlotsCols_done
	MOVQ R14, R13
	ANDQ $-2, R13
histSlotsCols_row:
	SLOTROW(histSlotsCols_nopf)
histSlotsCols_nopf:
	XORQ R12, R12
	TESTQ R13, R13
	JEQ histSlotsCols_tail
histSlotsCols_pair:
	MOVQ (R11)(R12*8), R8
	MOVQ 8(R11)(R12*8), R9
	MOVWQZX (AX)(R8*2), R8
	MOVWQZX (AX)(R9*2), R9
	ADDSLOT(R8, X4)
	ADDSLOT(R9, X5)
	ADDQ $2, R12
	CMPQ R12, R13
	JLT histSlotsCols_pair
histSlotsCols_tail:
	CMPQ R12, R14
	JGE histSlotsCols_next
	MOVQ (R11)(R12*8), R8
	MOVWQZX (AX)(R8*2), R8
	ADDSLOT(R8, X4)
histSlotsCols_next:
	ADDQ $4, SI
	DECQ CX
	JNZ histSlotsCols_row
histSlotsCols_done:
	RET
