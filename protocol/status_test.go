package protocol

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestStatusTable(t *testing.T) {
	// guacd.md §3 and GuacamoleStatus.java (client-tunnel-auth.md §1.2).
	tests := []struct {
		s        Status
		code     int
		name     string
		http, ws int
	}{
		{StatusSuccess, 0, "SUCCESS", 200, 1000},
		{StatusUnsupported, 256, "UNSUPPORTED", 501, 1011},
		{StatusServerError, 512, "SERVER_ERROR", 500, 1011},
		{StatusServerBusy, 513, "SERVER_BUSY", 503, 1008},
		{StatusUpstreamTimeout, 514, "UPSTREAM_TIMEOUT", 504, 1011},
		{StatusUpstreamError, 515, "UPSTREAM_ERROR", 502, 1011},
		{StatusResourceNotFound, 516, "RESOURCE_NOT_FOUND", 404, 1002},
		{StatusResourceConflict, 517, "RESOURCE_CONFLICT", 409, 1008},
		{StatusResourceClosed, 518, "RESOURCE_CLOSED", 404, 1002},
		{StatusUpstreamNotFound, 519, "UPSTREAM_NOT_FOUND", 502, 1011},
		{StatusUpstreamUnavailable, 520, "UPSTREAM_UNAVAILABLE", 502, 1011},
		{StatusSessionConflict, 521, "SESSION_CONFLICT", 409, 1008},
		{StatusSessionTimeout, 522, "SESSION_TIMEOUT", 408, 1002},
		{StatusSessionClosed, 523, "SESSION_CLOSED", 404, 1002},
		{StatusClientBadRequest, 768, "CLIENT_BAD_REQUEST", 400, 1002},
		{StatusClientUnauthorized, 769, "CLIENT_UNAUTHORIZED", 403, 1008},
		{StatusClientForbidden, 771, "CLIENT_FORBIDDEN", 403, 1008},
		{StatusClientTimeout, 776, "CLIENT_TIMEOUT", 408, 1002},
		{StatusClientOverrun, 781, "CLIENT_OVERRUN", 413, 1009},
		{StatusClientBadType, 783, "CLIENT_BAD_TYPE", 415, 1003},
		{StatusClientTooMany, 797, "CLIENT_TOO_MANY", 429, 1008},
	}
	if len(tests) != len(statuses) {
		t.Errorf("table has %d statuses, package defines %d", len(tests), len(statuses))
	}
	for _, tt := range tests {
		if int(tt.s) != tt.code || tt.s.String() != tt.name || tt.s.HTTPStatus() != tt.http || tt.s.WebSocketCode() != tt.ws || !tt.s.Known() {
			t.Errorf("%s: code %d http %d ws %d", tt.s, int(tt.s), tt.s.HTTPStatus(), tt.s.WebSocketCode())
		}
		if got, ok := ParseStatus(fmt.Appendf(nil, "%d", tt.code)); !ok || got != tt.s {
			t.Errorf("ParseStatus(%d) = %v, %v", tt.code, got, ok)
		}
	}
	unknown := Status(1234)
	if unknown.Known() || unknown.String() != "Status(1234)" || unknown.WebSocketCode() != 1011 || unknown.HTTPStatus() != 500 {
		t.Errorf("unknown status: %s %d %d", unknown, unknown.WebSocketCode(), unknown.HTTPStatus())
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want Status
		ok   bool
	}{
		{"776", StatusClientTimeout, true},
		{"0", StatusSuccess, true},
		{"00516", StatusResourceNotFound, true},
		{"99999", Status(99999), true},
		{"", 0, false},
		{"123456", 0, false},
		{"-1", 0, false},
		{"7x6", 0, false},
		{"INVALID_TOKEN", 0, false}, // guacamole-lite's non-numeric status
	}
	for _, tt := range tests {
		got, ok := ParseStatus([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"776", "", "-1", "00516", "123456"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := ParseStatus(b)
		if !ok {
			return
		}
		// Accepted input is plain decimal that prints back the same number.
		var n int
		if _, err := fmt.Sscanf(string(b), "%d", &n); err != nil || n != int(s) || s < 0 {
			t.Fatalf("ParseStatus(%q) = %d, Sscanf %d %v", b, s, n, err)
		}
	})
}

func TestStatusError(t *testing.T) {
	tests := []struct {
		err  *StatusError
		want string
	}{
		{&StatusError{Status: StatusClientTimeout}, "protocol: CLIENT_TIMEOUT"},
		{&StatusError{Status: StatusUpstreamNotFound, Message: "Unable to connect"}, "protocol: UPSTREAM_NOT_FOUND: Unable to connect"},
		{&StatusError{Status: StatusServerError, Message: "Aborted. See logs.", Err: io.ErrUnexpectedEOF}, "protocol: SERVER_ERROR: Aborted. See logs.: unexpected EOF"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want {
			t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.want)
		}
	}
	wrapped := fmt.Errorf("session x: %w", tests[2].err)
	var se *StatusError
	if !errors.As(wrapped, &se) || se.Status != StatusServerError || !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Error("StatusError does not unwrap")
	}
}
