package main

import (
	"fmt"
	"log/slog"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/passthrough"
	"github.com/goguacd/goguacd/backends/ssh"
	"github.com/goguacd/goguacd/backends/vnc"
)

// registerBackends registers the native backends and, for the configured
// protocols, passthrough to an upstream guacd.
func registerBackends(reg *backends.Registry, cfg Config, logger *slog.Logger) error {
	reg.Register("vnc", vnc.New())
	reg.Register("ssh", ssh.New())
	// Connections whose catalog entry names a guacd (proxy_hostname) are
	// relayed there, whatever their protocol.
	viaArgs := map[string][]string{"vnc": vnc.Args, "ssh": ssh.Args, "rdp": nil, "telnet": nil, "kubernetes": nil}
	for proto, args := range viaArgs {
		b, err := passthrough.New(passthrough.Config{Address: cfg.Passthrough.Address, Protocol: proto, Args: args, Logger: logger})
		if err != nil {
			return fmt.Errorf("passthrough: %s: %w", proto, err)
		}
		reg.Register(backends.ViaGuacd(proto), b)
	}
	for _, p := range cfg.Passthrough.Protocols {
		if _, native := reg.Lookup(p); native {
			return fmt.Errorf("passthrough.protocols: %q is served natively", p)
		}
		b, err := passthrough.New(passthrough.Config{Address: cfg.Passthrough.Address, Protocol: p, Logger: logger})
		if err != nil {
			return fmt.Errorf("passthrough.protocols: %q: %w", p, err)
		}
		reg.Register(p, b)
	}
	return nil
}
