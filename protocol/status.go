package protocol

import "strconv"

// Status is a Guacamole status code (guac_protocol_status), sent in decimal
// in error and ack instructions.
type Status int

// Every status guacd 1.6 defines.
const (
	StatusSuccess             Status = 0x0000
	StatusUnsupported         Status = 0x0100
	StatusServerError         Status = 0x0200
	StatusServerBusy          Status = 0x0201
	StatusUpstreamTimeout     Status = 0x0202
	StatusUpstreamError       Status = 0x0203
	StatusResourceNotFound    Status = 0x0204
	StatusResourceConflict    Status = 0x0205
	StatusResourceClosed      Status = 0x0206
	StatusUpstreamNotFound    Status = 0x0207
	StatusUpstreamUnavailable Status = 0x0208
	StatusSessionConflict     Status = 0x0209
	StatusSessionTimeout      Status = 0x020A
	StatusSessionClosed       Status = 0x020B
	StatusClientBadRequest    Status = 0x0300
	StatusClientUnauthorized  Status = 0x0301
	StatusClientForbidden     Status = 0x0303
	StatusClientTimeout       Status = 0x0308
	StatusClientOverrun       Status = 0x030D
	StatusClientBadType       Status = 0x030F
	StatusClientTooMany       Status = 0x031D
)

// statusInfo holds what guacamole-client's GuacamoleStatus.java maps each
// status to, so the browser recovers the same status from a WebSocket close
// or an HTTP error.
type statusInfo struct {
	name string
	http int
	ws   int
}

var statuses = map[Status]statusInfo{
	StatusSuccess:             {"SUCCESS", 200, 1000},
	StatusUnsupported:         {"UNSUPPORTED", 501, 1011},
	StatusServerError:         {"SERVER_ERROR", 500, 1011},
	StatusServerBusy:          {"SERVER_BUSY", 503, 1008},
	StatusUpstreamTimeout:     {"UPSTREAM_TIMEOUT", 504, 1011},
	StatusUpstreamError:       {"UPSTREAM_ERROR", 502, 1011},
	StatusResourceNotFound:    {"RESOURCE_NOT_FOUND", 404, 1002},
	StatusResourceConflict:    {"RESOURCE_CONFLICT", 409, 1008},
	StatusResourceClosed:      {"RESOURCE_CLOSED", 404, 1002},
	StatusUpstreamNotFound:    {"UPSTREAM_NOT_FOUND", 502, 1011},
	StatusUpstreamUnavailable: {"UPSTREAM_UNAVAILABLE", 502, 1011},
	StatusSessionConflict:     {"SESSION_CONFLICT", 409, 1008},
	StatusSessionTimeout:      {"SESSION_TIMEOUT", 408, 1002},
	StatusSessionClosed:       {"SESSION_CLOSED", 404, 1002},
	StatusClientBadRequest:    {"CLIENT_BAD_REQUEST", 400, 1002},
	StatusClientUnauthorized:  {"CLIENT_UNAUTHORIZED", 403, 1008},
	StatusClientForbidden:     {"CLIENT_FORBIDDEN", 403, 1008},
	StatusClientTimeout:       {"CLIENT_TIMEOUT", 408, 1002},
	StatusClientOverrun:       {"CLIENT_OVERRUN", 413, 1009},
	StatusClientBadType:       {"CLIENT_BAD_TYPE", 415, 1003},
	StatusClientTooMany:       {"CLIENT_TOO_MANY", 429, 1008},
}

// String returns guacd's name for the status, e.g. "CLIENT_TIMEOUT", or
// "Status(N)" for a code guacd does not define.
func (s Status) String() string {
	if i, ok := statuses[s]; ok {
		return i.name
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Known reports whether guacd defines s.
func (s Status) Known() bool {
	_, ok := statuses[s]
	return ok
}

// WebSocketCode returns the WebSocket close code guacamole-client's
// WebSocket endpoint uses for s (GuacamoleStatus.getWebSocketCode). The
// endpoint also puts the decimal status in the close reason, which
// guacamole-common-js prefers; the code is the fallback it maps with
// Status.Code.fromWebSocketCode. Unknown statuses give 1011 (internal
// error), as SERVER_ERROR does.
func (s Status) WebSocketCode() int {
	if i, ok := statuses[s]; ok {
		return i.ws
	}
	return 1011
}

// HTTPStatus returns the HTTP status guacamole-client's HTTP tunnel uses for
// s (GuacamoleStatus.getHttpStatusCode); unknown statuses give 500.
func (s Status) HTTPStatus() int {
	if i, ok := statuses[s]; ok {
		return i.http
	}
	return 500
}

// ParseStatus parses a decimal status code as found in error and ack
// instructions. ok is false unless s is 1 to 5 ASCII digits; the code may
// still be one guacd does not define (see Known).
func ParseStatus(s []byte) (st Status, ok bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return Status(n), true
}

// StatusError is an error carrying a Guacamole status, for sending as an
// error instruction or a tunnel close. Message is safe to show users; Err
// holds the detail for logs.
type StatusError struct {
	Status  Status
	Message string
	Err     error
}

// Error implements error.
func (e *StatusError) Error() string {
	s := "protocol: " + e.Status.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, if any.
func (e *StatusError) Unwrap() error { return e.Err }
