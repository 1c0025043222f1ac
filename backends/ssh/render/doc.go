// Package render draws a term.Terminal into an RGBA surface: one cached
// alpha mask per glyph and style, composited with the cell's colours,
// redrawing only cells whose appearance changed and turning terminal
// scrolls into a single CopyRect.
//
// Layout follows guacd: a margin of dpi×2/25.4 px surrounds the grid, and
// GridSize keeps 16 px free on the right for the scrollbar guacd draws as
// a separate layer (drawing it is the caller's job). The surface is sized
// to exactly the grid plus margins.
//
// A Renderer is not safe for concurrent use.
package render
