//go:build !linux

package protocol

import "time"

// threadCPU is unavailable here; reportCPUThroughput then reports nothing.
func threadCPU() time.Duration { return 0 }
