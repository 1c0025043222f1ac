package auth

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestTrustedHeader(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name       string
		header     string // TrustedHeader.Header
		groupsHdr  string
		remote     string
		set        map[string]string
		wantUser   string
		wantGroups []string
		wantStatus int  // 0 = success
		wantNoCred bool // refusal must be ErrNoCredentials
		wantLog    bool
	}{
		{name: "trusted proxy", remote: "10.1.2.3:5555", set: map[string]string{"X-Pomerium-Claim-Email": "alice@example.com"}, wantUser: "alice@example.com"},
		{name: "trusted ipv6 proxy", remote: "[::1]:5555", set: map[string]string{"X-Pomerium-Claim-Email": "alice@example.com"}, wantUser: "alice@example.com"},
		{name: "ipv4-mapped peer", remote: "[::ffff:10.9.9.9]:5555", set: map[string]string{"X-Pomerium-Claim-Email": "bob@example.com"}, wantUser: "bob@example.com"},
		{name: "spoofed from untrusted peer", remote: "203.0.113.5:4444", set: map[string]string{"X-Pomerium-Claim-Email": "admin@example.com"}, wantStatus: 401, wantLog: true},
		{name: "non-IP peer", remote: "@", set: map[string]string{"X-Pomerium-Claim-Email": "admin@example.com"}, wantStatus: 401, wantLog: true},
		{name: "no header", remote: "10.1.2.3:5555", wantStatus: 401, wantNoCred: true},
		{name: "blank header", remote: "10.1.2.3:5555", set: map[string]string{"X-Pomerium-Claim-Email": "  "}, wantStatus: 401, wantNoCred: true},
		{name: "remote user style", header: "Remote-User", remote: "10.0.0.1:1", set: map[string]string{"Remote-User": "carol"}, wantUser: "carol"},
		{name: "other header ignored", header: "Remote-User", remote: "10.0.0.1:1", set: map[string]string{"X-Pomerium-Claim-Email": "x@example.com"}, wantStatus: 401, wantNoCred: true},
		{name: "groups", groupsHdr: "X-Pomerium-Claim-Groups", remote: "10.0.0.1:1",
			set:      map[string]string{"X-Pomerium-Claim-Email": "d@example.com", "X-Pomerium-Claim-Groups": "ops, researchers,,"},
			wantUser: "d@example.com", wantGroups: []string{"ops", "researchers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &TrustedHeader{Header: tt.header, GroupsHeader: tt.groupsHdr, TrustedProxies: proxies,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			r := httptest.NewRequest(http.MethodGet, "/websocket-tunnel", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.set {
				r.Header.Set(k, v)
			}
			id, err := h.Authenticate(r)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if id.Username != tt.wantUser || !slices.Equal(id.Groups, tt.wantGroups) {
					t.Fatalf("identity = %+v, want user %q groups %q", id, tt.wantUser, tt.wantGroups)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != tt.wantStatus {
				t.Fatalf("err = %v, want *Error with status %d", err, tt.wantStatus)
			}
			if got := errors.Is(err, ErrNoCredentials); got != tt.wantNoCred {
				t.Fatalf("errors.Is(err, ErrNoCredentials) = %v, want %v", got, tt.wantNoCred)
			}
			if tt.wantLog != strings.Contains(logs.String(), "peer="+tt.remote) {
				t.Fatalf("log %q: want peer logged = %v", logs.String(), tt.wantLog)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{in: []string{"10.0.0.0/8", "127.0.0.1", "::1", "192.168.1.7/24"}, want: []string{"10.0.0.0/8", "127.0.0.1/32", "::1/128", "192.168.1.0/24"}},
		{in: []string{"10.0.0.0/8", "nope"}, wantErr: "trusted_proxies[1]"},
		{in: []string{"10.0.0.0/33"}, wantErr: "trusted_proxies[0]"},
	}
	for _, tt := range tests {
		got, err := ParsePrefixes(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePrefixes(%q) err = %v, want mention of %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParsePrefixes(%q): %v", tt.in, err)
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !slices.Equal(s, tt.want) {
			t.Errorf("ParsePrefixes(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}
