package ws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel"
)

// Connect-data parameter names of the stock web application
// (guacamole-client TunnelRequest), plus goguacd's own.
const (
	paramType    = "GUAC_TYPE"
	paramID      = "GUAC_ID"
	paramWidth   = "GUAC_WIDTH"
	paramHeight  = "GUAC_HEIGHT"
	paramDPI     = "GUAC_DPI"
	paramTZ      = "GUAC_TIMEZONE"
	paramAudio   = "GUAC_AUDIO"
	paramVideo   = "GUAC_VIDEO"
	paramImage   = "GUAC_IMAGE"
	paramShare   = "GUAC_SHARE"      // goguacd: "ro" or a sharing profile id, when joining
	paramLengths = "GOGUACD_LENGTHS" // goguacd: "utf16" for clients counting UTF-16 units
)

// Values of GUAC_TYPE.
const (
	typeConnection = "c" // a catalog connection, GUAC_ID = its catalog id
	typeActive     = "a" // an active connection, GUAC_ID = "$…", to join it
)

// connectData is the parsed connect string.
type connectData struct {
	typ, id, share string
	info           backends.ClientInfo
	utf16          bool
}

func badRequest(format string, args ...any) *protocol.StatusError {
	return &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: fmt.Sprintf(format, args...)}
}

// parseConnect reads the connect data as guacamole-client's TunnelRequest
// does: integers must be integers, absent sizes default to 1024×768 at 96 DPI.
func parseConnect(v url.Values) (connectData, error) {
	cd := connectData{
		typ:   v.Get(paramType),
		id:    v.Get(paramID),
		share: v.Get(paramShare),
		utf16: v.Get(paramLengths) == "utf16",
		info: backends.ClientInfo{
			Width: 1024, Height: 768, DPI: 96,
			Audio: v[paramAudio], Video: v[paramVideo], Image: v[paramImage],
			Timezone: v.Get(paramTZ),
			Version:  protocol.VersionLatest,
		},
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{paramWidth, &cd.info.Width}, {paramHeight, &cd.info.Height}, {paramDPI, &cd.info.DPI}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 16384 {
			return cd, badRequest("Parameter %q must be a valid integer.", p.name)
		}
		*p.dst = n
	}
	return cd, nil
}

// plan is an authorised session waiting to start.
type plan struct {
	req       tunnel.Request
	catalogID string // catalog connection opened or joined; "" for tokens
	release   func() // from catalog.Tracker; never nil
}

// httpError is a refusal before any tunnel exists.
type httpError struct {
	status  int             // HTTP status to answer
	guac    protocol.Status // for Guacamole-Status-Code
	message string          // plain words for the user
	err     error           // detail for logs
}

func (e *httpError) Error() string {
	if e.err != nil {
		return "ws: " + e.message + ": " + e.err.Error()
	}
	return "ws: " + e.message
}

func (e *httpError) Unwrap() error { return e.err }

// refusal maps an authentication, catalog or request error to what the
// browser is told.
func refusal(err error) *httpError {
	var ae *auth.Error
	var se *protocol.StatusError
	switch {
	case errors.As(err, &ae):
		st := protocol.StatusClientUnauthorized
		if ae.Status == http.StatusForbidden {
			st = protocol.StatusClientForbidden
		}
		return &httpError{status: ae.Status, guac: st, message: ae.Message, err: err}
	case errors.Is(err, catalog.ErrNotFound):
		return &httpError{http.StatusNotFound, protocol.StatusResourceNotFound, "No such connection.", err}
	case errors.Is(err, catalog.ErrForbidden):
		return &httpError{http.StatusForbidden, protocol.StatusClientForbidden, "You are not allowed to open this connection.", err}
	case errors.Is(err, catalog.ErrTooMany):
		return &httpError{http.StatusTooManyRequests, protocol.StatusClientTooMany, "Too many connections.", err}
	case errors.Is(err, catalog.ErrUnavailable):
		return &httpError{http.StatusServiceUnavailable, protocol.StatusServerBusy, "The connection list is unavailable. Try again later.", err}
	case errors.As(err, &se):
		return &httpError{se.Status.HTTPStatus(), se.Status, se.Message, err}
	}
	return &httpError{http.StatusInternalServerError, protocol.StatusServerError, "Internal error.", err}
}

// authorize authenticates r and turns its connect data into a plan, before
// any upgrade or backend contact.
func (h *Handler) authorize(ctx context.Context, r *http.Request, v url.Values, remote string) (plan, connectData, error) {
	cd, err := parseConnect(v)
	if err != nil {
		return plan{}, cd, err
	}
	id, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		return plan{}, cd, err
	}
	p := plan{release: func() {}}
	p.req.Info = cd.info
	p.req.Username = id.Username
	p.req.Info.Name = id.Username

	if id.Token != nil {
		// A guacamole-lite token names the connection itself.
		tc := id.Token.Connection
		p.req.Params = tc.Params()
		if tc.Join != "" {
			p.req.JoinID = tc.Join
		} else {
			p.req.Protocol = tc.Type
		}
		return p, cd, nil
	}
	if h.cfg.Catalog == nil {
		return p, cd, catalog.ErrNotFound
	}

	switch cd.typ {
	case typeConnection:
		c, err := h.cfg.Catalog.Get(ctx, id, cd.id)
		if err != nil {
			return p, cd, err
		}
		p.catalogID = c.ID
		p.req.Tag = c.ID // lets users join it later, on any replica
		p.req.Protocol = c.Protocol
		p.req.Params = copyParams(c.Params)
		if c.ProxyHost != "" {
			// The operator named the guacd that serves this connection.
			p.req.Protocol = backends.ViaGuacd(c.Protocol)
			p.req.Params[backends.ParamProxyHostname] = c.ProxyHost
			if c.ProxyPort > 0 {
				p.req.Params[backends.ParamProxyPort] = strconv.Itoa(c.ProxyPort)
			}
		}
		if err := h.acquire(ctx, &p, id, c, remote); err != nil {
			return p, cd, err
		}
	case typeActive:
		// The connection's tag is the catalog connection it was opened
		// from; the engine asks the owning replica when it is elsewhere.
		catalogID, ok, err := h.cfg.Server.ConnectionTag(ctx, cd.id)
		if err != nil {
			return p, cd, &protocol.StatusError{Status: protocol.StatusUpstreamUnavailable, Message: "The server running this shared session is unreachable.", Err: err}
		}
		if !ok || catalogID == "" {
			return p, cd, &protocol.StatusError{Status: protocol.StatusResourceNotFound, Message: "This shared session has ended."}
		}
		c, err := h.cfg.Catalog.Get(ctx, id, catalogID)
		if err != nil {
			return p, cd, err
		}
		p.catalogID = c.ID
		p.req.JoinID = cd.id
		switch cd.share {
		case "":
			p.req.Params = backends.Params{}
		case "ro":
			p.req.Params = backends.Params{"read-only": "true"}
		default:
			sp, ok := sharingProfile(c, cd.share)
			if !ok {
				return p, cd, catalog.ErrNotFound
			}
			p.req.Params = copyParams(sp.Params)
		}
		if err := h.acquire(ctx, &p, id, c, remote); err != nil {
			return p, cd, err
		}
	default:
		return p, cd, badRequest("Illegal identifier - unknown type.")
	}
	return p, cd, nil
}

// acquire applies the catalog's connection limits, if it has any.
func (h *Handler) acquire(ctx context.Context, p *plan, id auth.Identity, c catalog.Connection, remote string) error {
	t, ok := h.cfg.Catalog.(catalog.Tracker)
	if !ok {
		return nil
	}
	release, err := t.Acquire(ctx, id, c, remote)
	if err != nil {
		return err
	}
	var once sync.Once
	p.release = func() { once.Do(release) }
	return nil
}

func sharingProfile(c catalog.Connection, id string) (catalog.SharingProfile, bool) {
	for _, sp := range c.SharingProfiles {
		if sp.ID == id {
			return sp, true
		}
	}
	return catalog.SharingProfile{}, false
}

// copyParams copies src so a session never shares the catalog's map.
func copyParams(src map[string]string) backends.Params {
	dst := make(backends.Params, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
