package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/pgcatalog"
)

// Config is goguacd's own configuration (-config FILE, YAML). Every field
// has a working default, so goguacd runs with no file at all.
type Config struct {
	Guacd struct {
		Listen string `yaml:"listen"` // host:port of the guacd-protocol listener
		Cert   string `yaml:"tls_cert"`
		Key    string `yaml:"tls_key"`
	} `yaml:"guacd"`
	Admin struct {
		Listen string `yaml:"listen"` // /metrics, /healthz, /readyz; "" disables
	} `yaml:"admin"`
	// Web is the browser-facing listener: the built-in web client and the
	// WebSocket and HTTP tunnels.
	Web struct {
		Listen         string   `yaml:"listen"` // "" disables
		BasePath       string   `yaml:"base_path"`
		AllowedOrigins []string `yaml:"allowed_origins"`
	} `yaml:"web"`
	Auth    auth.Config `yaml:"auth"`
	Catalog struct {
		File     string            `yaml:"file"`     // YAML catalog, reloaded on change and SIGHUP
		Postgres *pgcatalog.Config `yaml:"postgres"` // the Guacamole database
	} `yaml:"catalog"`
	// Passthrough relays protocols goguacd does not implement to a guacd.
	Passthrough struct {
		Address   string   `yaml:"address"`
		Protocols []string `yaml:"protocols"`
	} `yaml:"passthrough"`
	// Cluster forwards joins to the replica that owns the connection.
	Cluster *ClusterConfig `yaml:"cluster"`
	// Demo serves the built-in demo desktop and terminal (on by default
	// only when goguacd runs without a configuration file).
	Demo bool `yaml:"demo"`

	LogLevel      string        `yaml:"log_level"`
	PIDFile       string        `yaml:"pid_file"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	UserQueue     int           `yaml:"user_queue_bytes"`
}

func defaultConfig() Config {
	var c Config
	c.Guacd.Listen = "127.0.0.1:4822"
	c.Admin.Listen = "127.0.0.1:9822"
	c.LogLevel = "info"
	c.Web.Listen = "127.0.0.1:8080"
	c.ShutdownGrace = 30 * time.Second
	return c
}

// loadConfig overlays the YAML file at path on c. Unknown keys are errors
// that name the key, the file and the line.
func loadConfig(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if c.Catalog.File != "" && c.Catalog.Postgres != nil {
		return fmt.Errorf("config %s: catalog: set file or postgres, not both", path)
	}
	if c.ShutdownGrace < 0 {
		return fmt.Errorf("config %s: shutdown_grace: must not be negative", path)
	}
	return nil
}
