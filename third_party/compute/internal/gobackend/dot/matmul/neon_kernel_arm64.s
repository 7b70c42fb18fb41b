// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build arm64

#include "textflag.h"

// func neonKernel8x8Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride uintptr)
//
// V16..V31 accumulate the 8×8 tile (row r in V(16+2r) for columns 0-3 and V(17+2r) for columns
// 4-7). Per contracting step: one 32-byte load of rhs (V0, V1), two load-and-replicate of 4 lhs
// values each (LD4R: V4..V11 hold rows 0..7 broadcast to 4 lanes), 16 multiply-adds in place.
// Go's VFMLA Vm, Vn, Vd computes Vd += Vn·Vm. The tile is overwritten (accumulators start at 0).
TEXT ·neonKernel8x8Float32(SB), NOSPLIT, $0-40
	MOVD lhs+0(FP), R0
	MOVD rhs+8(FP), R1
	MOVD out+16(FP), R2
	MOVD contractingLen+24(FP), R3
	MOVD outStride+32(FP), R4
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16
	CBZ  R3, store

loop:
	VLD1.P  32(R1), [V0.S4, V1.S4]
	VLD4R.P 16(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD4R.P 16(R0), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA   V4.S4, V0.S4, V16.S4
	VFMLA   V4.S4, V1.S4, V17.S4
	VFMLA   V5.S4, V0.S4, V18.S4
	VFMLA   V5.S4, V1.S4, V19.S4
	VFMLA   V6.S4, V0.S4, V20.S4
	VFMLA   V6.S4, V1.S4, V21.S4
	VFMLA   V7.S4, V0.S4, V22.S4
	VFMLA   V7.S4, V1.S4, V23.S4
	VFMLA   V8.S4, V0.S4, V24.S4
	VFMLA   V8.S4, V1.S4, V25.S4
	VFMLA   V9.S4, V0.S4, V26.S4
	VFMLA   V9.S4, V1.S4, V27.S4
	VFMLA   V10.S4, V0.S4, V28.S4
	VFMLA   V10.S4, V1.S4, V29.S4
	VFMLA   V11.S4, V0.S4, V30.S4
	VFMLA   V11.S4, V1.S4, V31.S4
	SUBS    $1, R3, R3
	BNE     loop

store:
	VST1 [V16.S4, V17.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V18.S4, V19.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V20.S4, V21.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V22.S4, V23.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V24.S4, V25.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V26.S4, V27.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V28.S4, V29.S4], (R2)
	ADD  R4, R2, R2
	VST1 [V30.S4, V31.S4], (R2)
	RET
