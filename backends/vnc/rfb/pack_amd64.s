#include "textflag.h"

// packshuf moves the R, G and B bytes of each lane's four RGBX pixels to
// the lane's first 12 bytes.
DATA packshuf<>+0(SB)/8, $0x0908060504020100
DATA packshuf<>+8(SB)/8, $0x808080800e0d0c0a
DATA packshuf<>+16(SB)/8, $0x0908060504020100
DATA packshuf<>+24(SB)/8, $0x808080800e0d0c0a
GLOBL packshuf<>(SB), RODATA|NOPTR, $32

// packperm joins the two lanes' 12 bytes into the first 24.
DATA packperm<>+0(SB)/4, $0
DATA packperm<>+4(SB)/4, $1
DATA packperm<>+8(SB)/4, $2
DATA packperm<>+12(SB)/4, $4
DATA packperm<>+16(SB)/4, $5
DATA packperm<>+20(SB)/4, $6
DATA packperm<>+24(SB)/4, $3
DATA packperm<>+28(SB)/4, $7
GLOBL packperm<>(SB), RODATA|NOPTR, $32

// func packRGBXAVX2(dst, src *byte, groups int)
TEXT ·packRGBXAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ groups+16(FP), CX
	TESTQ CX, CX
	JZ done
	VMOVDQU packshuf<>(SB), Y2
	VMOVDQU packperm<>(SB), Y3
loop:
	VMOVDQU (SI), Y0
	VPSHUFB Y2, Y0, Y0
	VPERMD Y0, Y3, Y0
	// Exactly 24 bytes out: 16, then the upper lane's low 8.
	VMOVDQU X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	VMOVQ X1, 16(DI)
	ADDQ $32, SI
	ADDQ $24, DI
	DECQ CX
	JNZ loop
	VZEROUPPER
done:
	RET
