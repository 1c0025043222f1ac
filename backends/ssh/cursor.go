package ssh

import (
	"image"
	"image/color"
)

// ibeam is the text pointer shown over the terminal, as guacd's terminal
// sets one: a white I-beam with a black outline, so it shows on any
// background.
var ibeam = func() *image.RGBA {
	const w, h = 7, 16
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	black, white := color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255}
	shape := [h]string{
		"BBB.BBB",
		"BWWBWWB",
		"BBBWBBB",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"..BWB..",
		"BBBWBBB",
		"BWWBWWB",
		"BBB.BBB",
	}
	for y, row := range shape {
		for x, c := range row {
			switch c {
			case 'B':
				img.SetRGBA(x, y, black)
			case 'W':
				img.SetRGBA(x, y, white)
			}
		}
	}
	return img
}()
