//go:build integration

package render

import (
	"os"
	"testing"
)

// TestCJKFallback needs Noto Sans CJK (Debian fonts-noto-cjk): wide
// characters must come from it and fill their two cells.
func TestCJKFallback(t *testing.T) {
	const path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s missing: install the Debian package fonts-noto-cjk", path)
	}
	_, r, _ := newRig(t, 1, 1)
	face := r.faces.faceFor('中', styleRegular)
	if face == r.faces.main[styleRegular] {
		t.Fatal("中 not taken from a fallback font")
	}
	m := r.glyph(glyphKey{r: '中', wide: true}, 2*r.cw)
	left, right := 0, 0
	for y := range m.Rect.Dy() {
		for x := range m.Rect.Dx() {
			if m.AlphaAt(x, y).A > 0x80 {
				if x < r.cw {
					left++
				} else {
					right++
				}
			}
		}
	}
	if left == 0 || right == 0 {
		t.Errorf("中 ink left %d right %d: should span both cells", left, right)
	}
}
