// Package bench holds goguacd's end-to-end benchmarks: a real goguacd
// process fed by deterministic fake backends and read by a measuring
// client that rebuilds the display, so CPU, bytes, frames, quality and
// latency are measured the way Apache guacd was (see RESULTS.md).
package bench
