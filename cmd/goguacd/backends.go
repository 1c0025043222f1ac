package main

import (
	"log/slog"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/vnc"
)

// registerNative registers the backends goguacd implements itself.
func registerNative(reg *backends.Registry, logger *slog.Logger) {
	reg.Register("vnc", vnc.New())
}
