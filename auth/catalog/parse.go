package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Protocols are the connection protocols a catalog file may name (guacd's
// set). A typo here would otherwise only surface when a user connects.
var Protocols = map[string]bool{"vnc": true, "ssh": true, "rdp": true, "telnet": true, "kubernetes": true}

// protocolList names the known protocols for error messages.
func protocolList() string {
	return strings.Join(slices.Sorted(maps.Keys(Protocols)), ", ")
}

// LoadError is a problem in a catalog file, with the line it is on (0 if
// unknown). Messages name keys and ids, never parameter values, so they are
// safe to log.
type LoadError struct {
	Path string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("catalog: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("catalog: %s: %s", e.Path, e.Msg)
}

// yamlLine finds the line number yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`line (\d+): `)

// grant is what a user, group or the defaults entry may open.
type grant struct {
	conns []string
	admin bool
}

// parser turns a YAML document into a File, checking the schema by hand so
// every error carries a line and no error echoes a value.
type parser struct {
	path string
	f    *File
}

func parse(path string, data []byte) (*File, error) {
	p := &parser{path: path, f: &File{
		conns:  map[string]Connection{},
		users:  map[string]grant{},
		groups: map[string]grant{},
	}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3's syntax messages carry no document text, so they are
		// safe to log; the line is where the enclosing block starts.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		le := &LoadError{Path: path, Msg: "invalid YAML: " + msg}
		if m := yamlLine.FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, m[0]) {
			le.Line, _ = strconv.Atoi(m[1])
			le.Msg = "invalid YAML: " + msg[len(m[0]):]
		}
		return nil, le
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &LoadError{Path: path, Msg: "empty file (write `connections: []` for an empty catalog)"}
	}
	// References are checked after all connections are known, so users may
	// come before connections in the file.
	type ref struct {
		id   string
		line int
	}
	var refs []ref
	readGrant := func(where string, n *yaml.Node, allowAdmin bool) (grant, error) {
		var g grant
		err := p.mapping(n, where, func(k, v *yaml.Node) error {
			switch k.Value {
			case "connections":
				return p.sequence(v, where+".connections", func(item *yaml.Node) error {
					id, err := p.scalar(item, where+".connections", true)
					if err != nil {
						return err
					}
					refs = append(refs, ref{id, item.Line})
					g.conns = append(g.conns, id)
					return nil
				})
			case "admin":
				if !allowAdmin {
					break
				}
				b, err := p.boolean(v, where+".admin")
				g.admin = b
				return err
			}
			return p.errAt(k, "%s: unknown key %q", where, k.Value)
		})
		return g, err
	}
	err := p.mapping(doc.Content[0], "top level", func(k, v *yaml.Node) error {
		switch k.Value {
		case "connections":
			return p.sequence(v, "connections", p.connection)
		case "users", "groups":
			dst := p.f.users
			if k.Value == "groups" {
				dst = p.f.groups
			}
			return p.mapping(v, k.Value, func(name, gv *yaml.Node) error {
				if name.Value == "" {
					return p.errAt(name, "%s: empty name", k.Value)
				}
				g, err := readGrant(fmt.Sprintf("%s[%q]", k.Value, name.Value), gv, true)
				dst[name.Value] = g
				return err
			})
		case "defaults":
			g, err := readGrant("defaults", v, false)
			p.f.defaults = g.conns
			return err
		}
		return p.errAt(k, "unknown top-level key %q (want connections, users, groups, defaults)", k.Value)
	})
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if _, ok := p.f.conns[r.id]; !ok {
			return nil, &LoadError{Path: path, Line: r.line, Msg: fmt.Sprintf("unknown connection %q", r.id)}
		}
	}
	return p.f, nil
}

// connection reads one entry of the connections list.
func (p *parser) connection(n *yaml.Node) error {
	var c Connection
	var idNode, protoNode *yaml.Node
	err := p.mapping(n, "connection", func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "id":
			idNode = v
			c.ID, err = p.scalar(v, "id", true)
		case "name":
			c.Name, err = p.scalar(v, "name", false)
		case "protocol":
			protoNode = v
			c.Protocol, err = p.scalar(v, "protocol", true)
		case "group":
			c.Group, err = p.scalar(v, "group", false)
		case "params":
			c.Params, err = p.params(v, "params")
		case "proxy_host":
			c.ProxyHost, err = p.scalar(v, "proxy_host", false)
		case "proxy_port":
			var s string
			if s, err = p.scalar(v, "proxy_port", true); err == nil {
				port, perr := strconv.Atoi(s)
				if perr != nil || port < 1 || port > 65535 {
					return p.errAt(v, "proxy_port: not a port number")
				}
				c.ProxyPort = port
			}
		case "sharing_profiles":
			err = p.sequence(v, "sharing_profiles", func(sn *yaml.Node) error {
				sp, err := p.sharingProfile(sn, c.SharingProfiles)
				c.SharingProfiles = append(c.SharingProfiles, sp)
				return err
			})
		default:
			err = p.errAt(k, "connection: unknown key %q", k.Value)
		}
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case idNode == nil:
		return p.errAt(n, "connection: id is required")
	case !validID(c.ID):
		return p.errAt(idNode, "connection id %q: use only letters, digits, '.', '_', '~' and '-'", c.ID)
	case protoNode == nil:
		return p.errAt(n, "connection %q: protocol is required", c.ID)
	case !Protocols[c.Protocol]:
		return p.errAt(protoNode, "connection %q: unknown protocol (want one of %s)", c.ID, protocolList())
	}
	if prev, dup := p.f.conns[c.ID]; dup {
		return p.errAt(idNode, "duplicate connection id %q (also used by %q)", c.ID, prev.Name)
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	p.f.conns[c.ID] = c
	return nil
}

func (p *parser) sharingProfile(n *yaml.Node, existing []SharingProfile) (SharingProfile, error) {
	var sp SharingProfile
	var idNode *yaml.Node
	err := p.mapping(n, "sharing profile", func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "id":
			idNode = v
			sp.ID, err = p.scalar(v, "sharing profile id", true)
		case "name":
			sp.Name, err = p.scalar(v, "sharing profile name", false)
		case "params":
			sp.Params, err = p.params(v, "sharing profile params")
		default:
			err = p.errAt(k, "sharing profile: unknown key %q", k.Value)
		}
		return err
	})
	if err != nil {
		return sp, err
	}
	if idNode == nil || !validID(sp.ID) {
		return sp, p.errAt(n, "sharing profile: id is required (letters, digits, '.', '_', '~', '-')")
	}
	for _, e := range existing {
		if e.ID == sp.ID {
			return sp, p.errAt(idNode, "duplicate sharing profile id %q", sp.ID)
		}
	}
	if sp.Name == "" {
		sp.Name = sp.ID
	}
	if sp.Params == nil {
		sp.Params = map[string]string{}
	}
	return sp, nil
}

// params reads a map of guacd arguments. Numbers and booleans are kept as
// written (port: 5901 → "5901"); null means empty.
func (p *parser) params(n *yaml.Node, where string) (map[string]string, error) {
	out := map[string]string{}
	err := p.mapping(n, where, func(k, v *yaml.Node) error {
		s, err := p.scalar(v, where+"."+k.Value, false)
		out[k.Value] = s
		return err
	})
	return out, err
}

// mapping calls fn for each key/value of a mapping node, refusing
// duplicate and non-scalar keys.
func (p *parser) mapping(n *yaml.Node, where string, fn func(k, v *yaml.Node) error) error {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, "%s: want a mapping", where)
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return p.errAt(k, "%s: keys must be plain strings", where)
		}
		if first, dup := seen[k.Value]; dup {
			return p.errAt(k, "%s: duplicate key %q (first on line %d)", where, k.Value, first)
		}
		seen[k.Value] = k.Line
		if err := fn(k, resolve(n.Content[i+1])); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) sequence(n *yaml.Node, where string, fn func(*yaml.Node) error) error {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return p.errAt(n, "%s: want a list", where)
	}
	for _, item := range n.Content {
		if err := fn(resolve(item)); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns a scalar's text. The value is never put in the error.
func (p *parser) scalar(n *yaml.Node, where string, required bool) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errAt(n, "%s: want a single value", where)
	}
	if n.Tag == "!!null" {
		if required {
			return "", p.errAt(n, "%s: must not be empty", where)
		}
		return "", nil
	}
	if required && n.Value == "" {
		return "", p.errAt(n, "%s: must not be empty", where)
	}
	return n.Value, nil
}

func (p *parser) boolean(n *yaml.Node, where string) (bool, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return strconv.ParseBool(n.Value)
	}
	return false, p.errAt(n, "%s: want true or false", where)
}

func (p *parser) errAt(n *yaml.Node, format string, args ...any) error {
	return &LoadError{Path: p.path, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// resolve follows YAML aliases (*name) to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// validID keeps connection ids safe to put in URLs and logs unescaped.
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '~' || r == '-') {
			return false
		}
	}
	return true
}
