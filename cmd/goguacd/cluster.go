package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/tunnel"
)

// ClusterConfig is the `cluster` section: several replicas serving one set
// of users, joins forwarded to the replica that owns the connection.
type ClusterConfig struct {
	Advertise       string   `yaml:"advertise"`   // this replica's guacd address as peers reach it (IPv4:port)
	Peers           []string `yaml:"peers"`       // static peer guacd addresses (this one may be listed too)
	SecretFile      string   `yaml:"secret_file"` // file holding the shared secret (e.g. a mounted Secret)
	RequirePeerJoin bool     `yaml:"require_peer_join"`
	Kubernetes      *struct {
		Namespace string `yaml:"namespace"`
		Service   string `yaml:"service"` // its endpoints are the peers
		Port      uint16 `yaml:"port"`    // guacd port on each pod; default 4822
		API       string `yaml:"api"`     // default https://kubernetes.default.svc
	} `yaml:"kubernetes"`
}

// buildCluster turns the section into the engine's settings; nil when no
// cluster is configured.
func buildCluster(c *ClusterConfig, logger *slog.Logger) (*tunnel.Cluster, error) {
	if c == nil {
		return nil, nil
	}
	// ${VAR} in advertise and namespace: the pod's IP and namespace come
	// from the Kubernetes downward API as environment variables.
	advertise := os.ExpandEnv(c.Advertise)
	self, err := netip.ParseAddrPort(advertise)
	if err != nil || !self.Addr().Is4() {
		return nil, fmt.Errorf("cluster.advertise: want IPv4:port, got %q", advertise)
	}
	secret, err := os.ReadFile(c.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("cluster.secret_file: %w", err)
	}
	secret = []byte(strings.TrimSpace(string(secret)))
	if len(secret) < 16 {
		return nil, errors.New("cluster.secret_file: the secret must be at least 16 bytes")
	}
	cl := &tunnel.Cluster{Self: self, Secret: secret, RequirePeerJoin: c.RequirePeerJoin}
	switch {
	case c.Kubernetes != nil:
		k := c.Kubernetes
		if k.Namespace == "" || k.Service == "" {
			return nil, errors.New("cluster.kubernetes: namespace and service are required")
		}
		ep, err := newEndpoints(k.API, os.ExpandEnv(k.Namespace), k.Service, k.Port, logger)
		if err != nil {
			return nil, fmt.Errorf("cluster.kubernetes: %w", err)
		}
		cl.Peers = ep.peers
	default:
		var peers []netip.AddrPort
		for i, p := range c.Peers {
			ap, err := netip.ParseAddrPort(p)
			if err != nil {
				return nil, fmt.Errorf("cluster.peers[%d]: %w", i, err)
			}
			peers = append(peers, ap)
		}
		cl.Peers = func() []netip.AddrPort { return peers }
	}
	return cl, nil
}

// Service account files of a pod.
const (
	saDir         = "/var/run/secrets/kubernetes.io/serviceaccount"
	endpointsTTL  = 5 * time.Second
	defaultK8sAPI = "https://kubernetes.default.svc"
)

// endpoints lists the ready pod addresses of a Service from the
// Kubernetes API, cached for a few seconds.
type endpoints struct {
	url, tokenFile string
	port           uint16
	client         *http.Client
	log            *slog.Logger

	mu      sync.Mutex
	fetched time.Time
	cache   []netip.AddrPort
}

func newEndpoints(api, ns, svc string, port uint16, log *slog.Logger) (*endpoints, error) {
	if api == "" {
		api = defaultK8sAPI
	}
	if port == 0 {
		port = 4822
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if ca, err := os.ReadFile(saDir + "/ca.crt"); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &endpoints{
		url:       strings.TrimRight(api, "/") + "/api/v1/namespaces/" + ns + "/endpoints/" + svc,
		tokenFile: saDir + "/token",
		port:      port,
		client:    &http.Client{Transport: tr, Timeout: 5 * time.Second},
		log:       log,
	}, nil
}

// peers returns the cached addresses, refreshing them when stale; on an
// API error the last good list is kept.
func (e *endpoints) peers() []netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Since(e.fetched) < endpointsTTL {
		return e.cache
	}
	e.fetched = time.Now()
	list, err := e.fetch()
	if err != nil {
		e.log.Warn("cluster: reading the Service endpoints failed; keeping the last list", "err", err)
		return e.cache
	}
	e.cache = list
	return list
}

func (e *endpoints) fetch() ([]netip.AddrPort, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return nil, err
	}
	if tok, err := os.ReadFile(e.tokenFile); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", e.url, resp.Status)
	}
	var ep struct {
		Subsets []struct {
			Addresses []struct {
				IP string `json:"ip"`
			} `json:"addresses"`
		} `json:"subsets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ep); err != nil {
		return nil, fmt.Errorf("decode endpoints: %w", err)
	}
	var out []netip.AddrPort
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			if ip, err := netip.ParseAddr(a.IP); err == nil {
				out = append(out, netip.AddrPortFrom(ip, e.port))
			}
		}
	}
	return out, nil
}
