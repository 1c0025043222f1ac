// Command goguacd is a guacd-compatible Guacamole protocol server. main only
// wires the packages together: flags and files → settings → listeners.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/tunnel"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitForced   = 3
	defaultGuacd = "/etc/guacamole/guacd.conf"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// options are the command line, parsed.
type options struct {
	host, port, pidFile, logLevel, cert, key string
	foreground, showVersion                  bool
	configFile, guacdConf, web               string
	set                                      map[string]bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("goguacd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.host, "b", "", "bind host (guacd -b; default 127.0.0.1)")
	fs.StringVar(&o.port, "l", "", "bind port (guacd -l; default 4822)")
	fs.StringVar(&o.pidFile, "p", "", "write the process ID to this file (guacd -p)")
	fs.StringVar(&o.logLevel, "L", "", "log level: trace, debug, info, warning, error (guacd -L)")
	fs.StringVar(&o.cert, "C", "", "TLS certificate chain (PEM) for the guacd listener (guacd -C)")
	fs.StringVar(&o.key, "K", "", "TLS private key (PEM) for the guacd listener (guacd -K)")
	fs.BoolVar(&o.foreground, "f", false, "run in the foreground (goguacd always does; accepted for guacd compatibility)")
	fs.BoolVar(&o.showVersion, "v", false, "print the version and exit")
	fs.StringVar(&o.configFile, "config", "", "goguacd YAML configuration file")
	fs.StringVar(&o.web, "web", "", "web client and tunnel listener host:port (default 127.0.0.1:8080; \"\" in the config disables it)")
	fs.StringVar(&o.guacdConf, "guacd-conf", "", "guacd.conf to read (default "+defaultGuacd+" if it exists)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	return o, nil
}

// settings merges defaults, guacd.conf, the YAML file and flags, in that
// order of precedence (flags win, as in guacd).
func settings(o options) (Config, error) {
	cfg := defaultConfig()
	confPath := o.guacdConf
	if confPath == "" {
		if _, err := os.Stat(defaultGuacd); err == nil {
			confPath = defaultGuacd
		}
	}
	host, port, err := net.SplitHostPort(cfg.Guacd.Listen)
	if err != nil {
		return cfg, err
	}
	if confPath != "" {
		gc, err := loadGuacdConf(confPath)
		if err != nil {
			return cfg, err
		}
		host, port = or(gc.BindHost, host), or(gc.BindPort, port)
		cfg.PIDFile, cfg.LogLevel = or(gc.PIDFile, cfg.PIDFile), or(gc.LogLevel, cfg.LogLevel)
		cfg.Guacd.Cert, cfg.Guacd.Key = or(gc.Cert, cfg.Guacd.Cert), or(gc.Key, cfg.Guacd.Key)
	}
	if o.configFile == "" {
		// The embedded default: a development user and the demo catalog,
		// which auth refuses anywhere but on loopback.
		cfg.Demo = true
		cfg.Auth.DevUser = demoUser
	} else {
		cfg.Guacd.Listen = net.JoinHostPort(host, port)
		if err := loadConfig(&cfg, o.configFile); err != nil {
			return cfg, err
		}
		if host, port, err = net.SplitHostPort(cfg.Guacd.Listen); err != nil {
			return cfg, fmt.Errorf("config %s: guacd.listen: %w", o.configFile, err)
		}
	}
	host, port = or(o.host, host), or(o.port, port)
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return cfg, fmt.Errorf("bind port %q: not a port number", port)
	}
	cfg.Guacd.Listen = net.JoinHostPort(host, port)
	cfg.Web.Listen = or(o.web, cfg.Web.Listen)
	cfg.PIDFile = or(o.pidFile, cfg.PIDFile)
	cfg.LogLevel = or(o.logLevel, cfg.LogLevel)
	cfg.Guacd.Cert, cfg.Guacd.Key = or(o.cert, cfg.Guacd.Cert), or(o.key, cfg.Guacd.Key)
	if (cfg.Guacd.Cert == "") != (cfg.Guacd.Key == "") {
		return cfg, errors.New("TLS needs both a certificate (-C, server_certificate) and a key (-K, server_key)")
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// levelTrace is below Debug: guacd's "trace".
const levelTrace = slog.LevelDebug - 4

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace":
		return levelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want trace, debug, info, warning or error", s)
}

func run(args []string, stderr io.Writer) int {
	tuneGC(os.Getenv)
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, "goguacd:", err)
		return exitUsage
	}
	if o.showVersion {
		fmt.Fprintln(stderr, "goguacd version", version)
		return exitOK
	}
	cfg, err := settings(o)
	if err != nil {
		fmt.Fprintln(stderr, "goguacd:", err)
		return exitUsage
	}
	level, _ := parseLevel(cfg.LogLevel)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := serve(cfg, logger); err != nil {
		if errors.Is(err, errForced) {
			return exitForced
		}
		logger.Error("goguacd stopped", "err", err)
		return exitFailure
	}
	return exitOK
}

var errForced = errors.New("forced exit on second signal")

func serve(cfg Config, logger *slog.Logger) error {
	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg := &backends.Registry{}
	if err := registerBackends(reg, cfg, logger); err != nil {
		return err
	}
	cluster, err := buildCluster(cfg.Cluster, logger)
	if err != nil {
		return err
	}
	srv := tunnel.NewServer(tunnel.Config{
		Backends:       reg,
		Logger:         logger,
		Metrics:        tunnel.NewMetrics(promReg),
		UserQueueLimit: cfg.UserQueue,
		Cluster:        cluster,
	})

	var tlsCfg *tls.Config
	if cfg.Guacd.Cert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Guacd.Cert, cfg.Guacd.Key)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.Guacd.Listen)
	if err != nil {
		return fmt.Errorf("guacd listener: %w", err)
	}
	if cfg.PIDFile != "" {
		if err := os.WriteFile(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			ln.Close()
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(cfg.PIDFile)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 4)
	go func() { errc <- srv.ServeListener(ctx, ln, tlsCfg) }()
	logger.Info("guacd listener ready", "addr", ln.Addr().String(), "tls", tlsCfg != nil, "protocols", strings.Join(reg.Names(), ","))

	web, err := buildWeb(ctx, cfg, srv, logger)
	if err != nil {
		ln.Close()
		return err
	}

	var admin *http.Server
	if cfg.Admin.Listen != "" {
		aln, err := net.Listen("tcp", cfg.Admin.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listener: %w", err)
		}
		admin = &http.Server{Handler: adminHandler(srv, promReg), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := admin.Serve(aln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("admin listener: %w", err)
			}
		}()
		logger.Info("admin listener ready", "addr", aln.Addr().String(), "paths", "/metrics /healthz /readyz")
	}

	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigc)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
wait:
	for {
		select {
		case err := <-errc:
			ln.Close()
			web.shutdown(context.Background())
			return err
		case <-hup:
			if web == nil || web.reload == nil {
				logger.Info("SIGHUP: nothing to reload")
				continue
			}
			if err := web.reload(); err != nil {
				logger.Error("SIGHUP: catalog reload failed; keeping the last good catalog", "err", err)
			} else {
				logger.Info("SIGHUP: catalog reloaded")
			}
		case sig := <-sigc:
			logger.Info("draining", "signal", sig.String(), "grace", cfg.ShutdownGrace)
			break wait
		}
	}
	ln.Close()
	drainCtx, drainCancel := context.WithTimeout(ctx, cfg.ShutdownGrace)
	defer drainCancel()
	done := make(chan error, 1)
	go func() {
		err := srv.Shutdown(drainCtx)
		web.shutdown(drainCtx)
		done <- err
	}()
	select {
	case <-done:
	case sig := <-sigc:
		logger.Warn("second signal: exiting now", "signal", sig.String())
		return errForced
	}
	if admin != nil {
		_ = admin.Shutdown(context.Background())
	}
	logger.Info("stopped")
	return nil
}

// adminHandler serves /metrics, /healthz (process alive), /readyz (ready
// for new sessions: not draining) and /debug/pprof/.
func adminHandler(srv *tunnel.Server, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Profiles for operators; the admin listener is loopback by default.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if srv.Draining() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	return mux
}
