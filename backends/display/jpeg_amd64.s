#include "textflag.h"

// AVX2 kernels of the JPEG encoder; see jpeg_amd64.go.

// SPLAT defines name<> as eight copies of the 4-byte v: one YMM register.
#define SPLAT(name, v) \
	DATA name<>+0(SB)/4, v; \
	DATA name<>+4(SB)/4, v; \
	DATA name<>+8(SB)/4, v; \
	DATA name<>+12(SB)/4, v; \
	DATA name<>+16(SB)/4, v; \
	DATA name<>+20(SB)/4, v; \
	DATA name<>+24(SB)/4, v; \
	DATA name<>+28(SB)/4, v; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

SPLAT(jc707, $0.707106781)
SPLAT(jc382, $0.382683433)
SPLAT(jc541, $0.541196100)
SPLAT(jc1306, $1.306562965)

// FDCT8 runs the AAN 8-point DCT across registers Y0-Y7 (element i of
// each of the eight vectors is one transform), leaving the outputs in
// Y0-Y7 in frequency order. Uses Y8-Y15.
#define FDCT8 \
	VADDPS Y7, Y0, Y8; \
	VSUBPS Y7, Y0, Y15; \
	VADDPS Y6, Y1, Y9; \
	VSUBPS Y6, Y1, Y14; \
	VADDPS Y5, Y2, Y10; \
	VSUBPS Y5, Y2, Y13; \
	VADDPS Y4, Y3, Y11; \
	VSUBPS Y4, Y3, Y12; \
	VADDPS Y11, Y8, Y0; \
	VSUBPS Y11, Y8, Y1; \
	VADDPS Y10, Y9, Y2; \
	VSUBPS Y10, Y9, Y3; \
	VADDPS Y2, Y0, Y4; \
	VSUBPS Y2, Y0, Y5; \
	VADDPS Y1, Y3, Y3; \
	VMULPS jc707<>(SB), Y3, Y3; \
	VADDPS Y3, Y1, Y6; \
	VSUBPS Y3, Y1, Y7; \
	VADDPS Y13, Y12, Y8; \
	VADDPS Y14, Y13, Y9; \
	VADDPS Y15, Y14, Y10; \
	VSUBPS Y10, Y8, Y11; \
	VMULPS jc382<>(SB), Y11, Y11; \
	VMULPS jc541<>(SB), Y8, Y8; \
	VADDPS Y11, Y8, Y8; \
	VMULPS jc1306<>(SB), Y10, Y10; \
	VADDPS Y11, Y10, Y10; \
	VMULPS jc707<>(SB), Y9, Y9; \
	VADDPS Y9, Y15, Y12; \
	VSUBPS Y9, Y15, Y13; \
	VMOVAPS Y4, Y0; \
	VMOVAPS Y6, Y2; \
	VMOVAPS Y5, Y4; \
	VMOVAPS Y7, Y6; \
	VADDPS Y10, Y12, Y1; \
	VSUBPS Y8, Y13, Y3; \
	VADDPS Y8, Y13, Y5; \
	VSUBPS Y10, Y12, Y7

// TRANSPOSE8 transposes the 8x8 matrix whose rows are Y0-Y7, in place.
// Uses Y8-Y15.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15; \
	VMOVAPS Y8, Y0; \
	VMOVAPS Y9, Y1; \
	VMOVAPS Y10, Y2; \
	VMOVAPS Y11, Y3; \
	VMOVAPS Y12, Y4; \
	VMOVAPS Y13, Y5; \
	VMOVAPS Y14, Y6; \
	VMOVAPS Y15, Y7

// func fdctQuantAVX2(b *[64]float32, divT *[64]float32, out *[64]int16) uint64
TEXT ·fdctQuantAVX2(SB), NOSPLIT, $0-32
	MOVQ b+0(FP), SI
	MOVQ divT+8(FP), DX
	MOVQ out+16(FP), DI
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS 128(SI), Y4
	VMOVUPS 160(SI), Y5
	VMOVUPS 192(SI), Y6
	VMOVUPS 224(SI), Y7
	FDCT8
	TRANSPOSE8
	FDCT8
	VMULPS 0(DX), Y0, Y0
	VMULPS 32(DX), Y1, Y1
	VMULPS 64(DX), Y2, Y2
	VMULPS 96(DX), Y3, Y3
	VMULPS 128(DX), Y4, Y4
	VMULPS 160(DX), Y5, Y5
	VMULPS 192(DX), Y6, Y6
	VMULPS 224(DX), Y7, Y7
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VCVTPS2DQ Y4, Y4
	VCVTPS2DQ Y5, Y5
	VCVTPS2DQ Y6, Y6
	VCVTPS2DQ Y7, Y7
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSDW Y5, Y4, Y4
	VPACKSSDW Y7, Y6, Y6
	VPERMQ $0xD8, Y0, Y0
	VPERMQ $0xD8, Y2, Y2
	VPERMQ $0xD8, Y4, Y4
	VPERMQ $0xD8, Y6, Y6
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y4, 64(DI)
	VMOVDQU Y6, 96(DI)
	// Mask of the zero coefficients: compare words with zero, pack the
	// word results to bytes (in lane order, hence VPERMQ) and take the
	// byte sign bits; invert for the nonzero ones.
	VPXOR Y8, Y8, Y8
	VPCMPEQW Y8, Y0, Y0
	VPCMPEQW Y8, Y2, Y2
	VPCMPEQW Y8, Y4, Y4
	VPCMPEQW Y8, Y6, Y6
	VPACKSSWB Y2, Y0, Y0
	VPACKSSWB Y6, Y4, Y4
	VPERMQ $0xD8, Y0, Y0
	VPERMQ $0xD8, Y4, Y4
	VPMOVMSKB Y0, AX
	VPMOVMSKB Y4, BX
	SHLQ $32, BX
	ORQ BX, AX
	NOTQ AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET


SPLAT(jbyte, $0xff)
SPLAT(jyr, $0.299)
SPLAT(jyg, $0.587)
SPLAT(jyb, $0.114)
SPLAT(j128, $128.0)
SPLAT(jcbr, $-0.042184)
SPLAT(jcbg, $-0.082816)
SPLAT(jc125, $0.125)
SPLAT(jcrg, $-0.104672)
SPLAT(jcrb, $-0.020328)

// CHANNELS splits the eight pixel words in V into float R, G, B; R may
// be V.
#define CHANNELS(V, R, G, B) \
	VPSRLD $16, V, B; \
	VPAND Y15, B, B; \
	VPSRLD $8, V, G; \
	VPAND Y15, G, G; \
	VPAND Y15, V, R; \
	VCVTDQ2PS R, R; \
	VCVTDQ2PS G, G; \
	VCVTDQ2PS B, B

// LUMA stores the level-shifted luma of R, G, B at dst. Uses Y6, Y7.
#define LUMA(R, G, B, dst) \
	VMULPS Y14, R, Y6; \
	VMULPS Y13, G, Y7; \
	VADDPS Y7, Y6, Y6; \
	VMULPS Y12, B, Y7; \
	VADDPS Y7, Y6, Y6; \
	VSUBPS Y11, Y6, Y6; \
	VMOVUPS Y6, dst

// jrgb spreads the four packed RGB pixels in the first 12 bytes of each
// lane over four words (R in the low byte, 0 in the high one).
DATA jrgb<>+0(SB)/8, $0x8005040380020100
DATA jrgb<>+8(SB)/8, $0x800b0a0980080706
DATA jrgb<>+16(SB)/8, $0x8005040380020100
DATA jrgb<>+24(SB)/8, $0x800b0a0980080706
GLOBL jrgb<>(SB), RODATA|NOPTR, $32

// RGB8 loads the eight packed RGB pixels at a (24 bytes; a16 is a+16) into
// V as words, reading no byte past them: bytes 0-15 form the low lane,
// VPALIGNR gathers bytes 12-23 for the high lane, and one in-lane shuffle
// spreads each lane's four pixels. X is V's low half; T is scratch.
#define RGB8(a, a16, V, X, T) \
	VMOVDQU a, X; \
	VMOVQ a16, T; \
	VPALIGNR $12, X, T, T; \
	VINSERTI128 $1, T, V, V; \
	VPSHUFB jrgb<>(SB), V, V

// HALF converts pixels 8*h..8*h+7 of the rows at SI and SI+BX to luma
// rows at DI+off and DI+off+32, leaving the 2-row channel sums in
// Y0 (R), Y1 (G), Y2 (B).
#define HALF(h, off) \
	RGB8((h*24)(SI), (h*24+16)(SI), Y0, X0, X4); \
	RGB8((h*24)(SI)(BX*1), (h*24+16)(SI)(BX*1), Y3, X3, X5); \
	CHANNELS(Y0, Y0, Y1, Y2); \
	CHANNELS(Y3, Y3, Y4, Y5); \
	LUMA(Y0, Y1, Y2, off(DI)); \
	LUMA(Y3, Y4, Y5, (off+32)(DI)); \
	VADDPS Y3, Y0, Y0; \
	VADDPS Y4, Y1, Y1; \
	VADDPS Y5, Y2, Y2

// CHROMA stores one row of a chroma block at dst: the weighted sums of
// the 2x2-summed channels Y8 (R), Y9 (G), Y10 (B).
#define CHROMA(wr, wg, wb, dst) \
	VMULPS wr<>(SB), Y8, Y3; \
	VMULPS wg<>(SB), Y9, Y4; \
	VADDPS Y4, Y3, Y3; \
	VMULPS wb<>(SB), Y10, Y4; \
	VADDPS Y4, Y3, Y3; \
	VMOVUPS Y3, dst

// func mcuAVX2(pix *byte, stride int, y *[4][64]float32, cb, cr *[64]float32)
TEXT ·mcuAVX2(SB), NOSPLIT, $0-40
	MOVQ pix+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ cb+24(FP), R8
	MOVQ cr+32(FP), R9
	VMOVUPS jbyte<>(SB), Y15
	VMOVUPS jyr<>(SB), Y14
	VMOVUPS jyg<>(SB), Y13
	VMOVUPS jyb<>(SB), Y12
	VMOVUPS j128<>(SB), Y11
	MOVQ $2, R10 // block rows
blockrow:
	MOVQ $4, CX // row pairs per block row
rowpair:
	HALF(0, 0)
	VMOVAPS Y0, Y8
	VMOVAPS Y1, Y9
	VMOVAPS Y2, Y10
	HALF(1, 256)
	// Horizontal pair sums: VHADDPS interleaves the halves by 128-bit
	// lane; VPERMPD puts the eight sums back in x order.
	VHADDPS Y0, Y8, Y8
	VHADDPS Y1, Y9, Y9
	VHADDPS Y2, Y10, Y10
	VPERMPD $0xD8, Y8, Y8
	VPERMPD $0xD8, Y9, Y9
	VPERMPD $0xD8, Y10, Y10
	CHROMA(jcbr, jcbg, jc125, (R8))
	CHROMA(jc125, jcrg, jcrb, (R9))
	LEAQ (SI)(BX*2), SI
	ADDQ $64, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ rowpair
	ADDQ $256, DI
	DECQ R10
	JNZ blockrow
	VZEROUPPER
	RET
