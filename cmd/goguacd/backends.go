package main

import (
	"log/slog"

	"github.com/goguacd/goguacd/backends"
)

// registerNative registers the backends goguacd implements itself.
func registerNative(reg *backends.Registry, logger *slog.Logger) {}
