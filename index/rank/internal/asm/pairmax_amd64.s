//go:build amd64 && !purego && !noasm

#include "textflag.h"

// func pairMaxAVX2(za, ma float64, rb, ib, mb []float64) float64
//
// v_b = |za − rb[b]|·ib[b]; mb[b] = max(mb[b], v_b); returns max(ma, max_b v_b)
// (see pairmax.go). Y0 = za, Y1/Y2 = running maxima, Y3 = abs mask.
TEXT ·pairMaxAVX2(SB), NOSPLIT, $0-96
	MOVQ rb_base+16(FP), SI
	MOVQ rb_len+24(FP), CX
	MOVQ ib_base+40(FP), DI
	MOVQ mb_base+64(FP), DX
	VBROADCASTSD za+0(FP), Y0
	VBROADCASTSD ma+8(FP), Y1
	VMOVAPD Y1, Y2
	MOVQ $0x7fffffffffffffff, AX
	MOVQ AX, X3
	VPBROADCASTQ X3, Y3
	XORQ AX, AX

loop8:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $8
	JL   loop4
	VMOVUPD (SI)(AX*8), Y4
	VMOVUPD 32(SI)(AX*8), Y5
	VSUBPD  Y4, Y0, Y4
	VSUBPD  Y5, Y0, Y5
	VANDPD  Y3, Y4, Y4
	VANDPD  Y3, Y5, Y5
	VMULPD  (DI)(AX*8), Y4, Y4
	VMULPD  32(DI)(AX*8), Y5, Y5
	VMAXPD  Y4, Y1, Y1
	VMAXPD  Y5, Y2, Y2
	VMOVUPD (DX)(AX*8), Y6
	VMOVUPD 32(DX)(AX*8), Y7
	VMAXPD  Y4, Y6, Y6
	VMAXPD  Y5, Y7, Y7
	VMOVUPD Y6, (DX)(AX*8)
	VMOVUPD Y7, 32(DX)(AX*8)
	ADDQ    $8, AX
	JMP     loop8

loop4:
	CMPQ BX, $4
	JL   reduce
	VMOVUPD (SI)(AX*8), Y4
	VSUBPD  Y4, Y0, Y4
	VANDPD  Y3, Y4, Y4
	VMULPD  (DI)(AX*8), Y4, Y4
	VMAXPD  Y4, Y1, Y1
	VMOVUPD (DX)(AX*8), Y6
	VMAXPD  Y4, Y6, Y6
	VMOVUPD Y6, (DX)(AX*8)
	ADDQ    $4, AX

reduce:
	VMAXPD       Y2, Y1, Y1
	VEXTRACTF128 $1, Y1, X2
	VMAXPD       X2, X1, X1
	VPERMILPD    $1, X1, X2
	VMAXSD       X2, X1, X1

tail:
	CMPQ AX, CX
	JGE  done
	VMOVSD (SI)(AX*8), X4
	VSUBSD X4, X0, X4
	VANDPD X3, X4, X4
	VMULSD (DI)(AX*8), X4, X4
	VMAXSD X4, X1, X1
	VMOVSD (DX)(AX*8), X6
	VMAXSD X4, X6, X6
	VMOVSD X6, (DX)(AX*8)
	INCQ   AX
	JMP    tail

done:
	VZEROUPPER
	MOVSD X1, ret+88(FP)
	RET
