// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// Z0..Z7 accumulate the 4×32 tile (row r in Z(2r), Z(2r+1)); per contracting step: two 16-float
// loads of rhs, one broadcast-load of each of the 4 lhs values, 8 multiply-adds in place. With
// add != 0 the tile is added to what out holds (estil patch 17), else it overwrites it.

// LOAD_ARGUMENTS_AND_ZERO reads the six arguments (SI lhs, DI rhs, DX out, CX contractingLen,
// R8 outStride, R9 add) and clears the accumulators.
#define LOAD_ARGUMENTS_AND_ZERO \
	MOVQ lhs+0(FP), SI; \
	MOVQ rhs+8(FP), DI; \
	MOVQ out+16(FP), DX; \
	MOVQ contractingLen+24(FP), CX; \
	MOVQ outStride+32(FP), R8; \
	MOVQ add+40(FP), R9; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

// STEP is one contracting step: Z0..Z7 += lhs[0..3] × rhs[0..31]; SI and DI move to the next.
#define STEP \
	VMOVUPS      (DI), Z8; \
	VMOVUPS      64(DI), Z9; \
	VBROADCASTSS (SI), Z10; \
	VFMADD231PS  Z10, Z8, Z0; \
	VFMADD231PS  Z10, Z9, Z1; \
	VBROADCASTSS 4(SI), Z11; \
	VFMADD231PS  Z11, Z8, Z2; \
	VFMADD231PS  Z11, Z9, Z3; \
	VBROADCASTSS 8(SI), Z12; \
	VFMADD231PS  Z12, Z8, Z4; \
	VFMADD231PS  Z12, Z9, Z5; \
	VBROADCASTSS 12(SI), Z13; \
	VFMADD231PS  Z13, Z8, Z6; \
	VFMADD231PS  Z13, Z9, Z7; \
	ADDQ         $16, SI; \
	ADDQ         $128, DI

// ADD_OUT adds the 4×32 values out holds to Z0..Z7 (rows R8 bytes apart).
#define ADD_OUT \
	VADDPS (DX), Z0, Z0; \
	VADDPS 64(DX), Z1, Z1; \
	VADDPS (DX)(R8*1), Z2, Z2; \
	VADDPS 64(DX)(R8*1), Z3, Z3; \
	VADDPS (DX)(R8*2), Z4, Z4; \
	VADDPS 64(DX)(R8*2), Z5, Z5; \
	LEAQ   (R8)(R8*2), R10; \
	VADDPS (DX)(R10*1), Z6, Z6; \
	VADDPS 64(DX)(R10*1), Z7, Z7

// WRITE_OUT writes Z0..Z7 to out.
#define WRITE_OUT \
	VMOVUPS Z0, (DX); \
	VMOVUPS Z1, 64(DX); \
	ADDQ    R8, DX; \
	VMOVUPS Z2, (DX); \
	VMOVUPS Z3, 64(DX); \
	ADDQ    R8, DX; \
	VMOVUPS Z4, (DX); \
	VMOVUPS Z5, 64(DX); \
	ADDQ    R8, DX; \
	VMOVUPS Z6, (DX); \
	VMOVUPS Z7, 64(DX); \
	VZEROUPPER

// func avx512Kernel4x32Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride, add uintptr)
TEXT ·avx512Kernel4x32Float32(SB), NOSPLIT, $0-48
	LOAD_ARGUMENTS_AND_ZERO
	TESTQ CX, CX
	JZ    store

loop:
	STEP
	DECQ CX
	JNZ  loop

store:
	TESTQ R9, R9
	JZ    write
	ADD_OUT

write:
	WRITE_OUT
	RET

// func avx512Kernel4x32StreamFloat32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride, add uintptr)
//
// The same tile, for an lhs read from memory rather than from a panel just packed into L1 (estil
// patch 28: kernels packed ahead of time): each step also prefetches the lhs 2 KB ahead, 128
// steps, which is the next 4-row strip of a 128-wide block, so that its cache lines arrive
// before the multiply-adds wait for them.
TEXT ·avx512Kernel4x32StreamFloat32(SB), NOSPLIT, $0-48
	LOAD_ARGUMENTS_AND_ZERO
	TESTQ CX, CX
	JZ    store

loop:
	PREFETCHT0 2048(SI)
	STEP
	DECQ CX
	JNZ  loop

store:
	TESTQ R9, R9
	JZ    write
	ADD_OUT

write:
	WRITE_OUT
	RET
