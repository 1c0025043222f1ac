package display_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/goguacd/goguacd/backends/display"
)

// A producer draws into the framebuffer, says what changed, and flushes;
// a user joining later gets AppendState right after a Flush.
func Example() {
	e := display.New(4, 2, display.Options{Lossless: true})
	fmt.Printf("%s\n", e.Flush(nil, 0)) // the first frame: size and a black screen

	img := e.Image()
	for x := 0; x < 4; x++ {
		img.Set(x, 1, color.RGBA{255, 0, 0, 255})
	}
	e.Damage(image.Rect(0, 1, 4, 2))
	fmt.Printf("%s\n", e.Flush(nil, 0))

	e.CopyRect(image.Rect(0, 1, 4, 2), image.Pt(0, 0)) // e.g. a VNC CopyRect
	fmt.Printf("%s\n", e.Flush(nil, 0))
	// Output:
	// 4.size,1.0,1.4,1.2;4.rect,1.0,1.0,1.0,1.4,1.2;5.cfill,2.14,1.0,1.0,1.0,1.0,3.255;
	// 4.rect,1.0,1.0,1.1,1.4,1.1;5.cfill,2.14,1.0,3.255,1.0,1.0,3.255;
	// 4.copy,1.0,1.0,1.1,1.4,1.1,2.14,1.0,1.0,1.0;
}
