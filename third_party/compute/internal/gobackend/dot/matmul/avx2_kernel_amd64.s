// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// One contracting step of the 4×16 tile: two 8-float loads of rhs (at rhs+roff), one
// broadcast-load of each of the 4 lhs values (at lhs+loff), 8 multiply-adds in place.
#define STEP(loff, roff) \
	VMOVUPS      roff(DI), Y8; \
	VMOVUPS      roff+32(DI), Y9; \
	VBROADCASTSS loff(SI), Y10; \
	VFMADD231PS  Y10, Y8, Y0; \
	VFMADD231PS  Y10, Y9, Y1; \
	VBROADCASTSS loff+4(SI), Y11; \
	VFMADD231PS  Y11, Y8, Y2; \
	VFMADD231PS  Y11, Y9, Y3; \
	VBROADCASTSS loff+8(SI), Y12; \
	VFMADD231PS  Y12, Y8, Y4; \
	VFMADD231PS  Y12, Y9, Y5; \
	VBROADCASTSS loff+12(SI), Y13; \
	VFMADD231PS  Y13, Y8, Y6; \
	VFMADD231PS  Y13, Y9, Y7

// func avx2Kernel4x16Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride uintptr)
//
// Y0..Y7 accumulate the 4×16 tile (row r in Y(2r), Y(2r+1)). The contracting loop is unrolled
// by 4, then the remaining 0..3 steps run one at a time. The tile is overwritten, not added to.
TEXT ·avx2Kernel4x16Float32(SB), NOSPLIT, $0-40
	MOVQ   lhs+0(FP), SI
	MOVQ   rhs+8(FP), DI
	MOVQ   out+16(FP), DX
	MOVQ   contractingLen+24(FP), CX
	MOVQ   outStride+32(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   CX, BX
	SHRQ   $2, BX
	ANDQ   $3, CX
	TESTQ  BX, BX
	JZ     tail

loop4:
	STEP(0, 0)
	STEP(16, 64)
	STEP(32, 128)
	STEP(48, 192)
	ADDQ $64, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET
