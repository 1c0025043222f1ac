package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// guacdConf holds the keys of guacd.conf goguacd understands: every key
// guacd 1.6 accepts.
type guacdConf struct {
	BindHost, BindPort string // [server]
	PIDFile, LogLevel  string // [daemon]
	Cert, Key          string // [ssl]
}

// guacdConfKeys maps section → key → field setter.
var guacdConfKeys = map[string]map[string]func(*guacdConf, string){
	"server": {
		"bind_host": func(c *guacdConf, v string) { c.BindHost = v },
		"bind_port": func(c *guacdConf, v string) { c.BindPort = v },
	},
	"daemon": {
		"pid_file":  func(c *guacdConf, v string) { c.PIDFile = v },
		"log_level": func(c *guacdConf, v string) { c.LogLevel = v },
	},
	"ssl": {
		"server_certificate": func(c *guacdConf, v string) { c.Cert = v },
		"server_key":         func(c *guacdConf, v string) { c.Key = v },
	},
}

// loadGuacdConf reads a guacd.conf file.
func loadGuacdConf(path string) (guacdConf, error) {
	f, err := os.Open(path)
	if err != nil {
		return guacdConf{}, err
	}
	defer f.Close()
	return parseGuacdConf(f, path)
}

// parseGuacdConf parses guacd.conf syntax: [section], name = value, # comments,
// double-quoted values with backslash escapes. Unknown sections and keys are
// errors, as in guacd.
func parseGuacdConf(r io.Reader, name string) (guacdConf, error) {
	var c guacdConf
	section := ""
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		if text[0] == '[' {
			end := strings.IndexByte(text, ']')
			if end < 0 {
				return c, fmt.Errorf("%s:%d: unterminated section header", name, line)
			}
			section = strings.TrimSpace(text[1:end])
			if _, ok := guacdConfKeys[section]; !ok {
				return c, fmt.Errorf("%s:%d: unknown section %q", name, line, section)
			}
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		if !ok {
			return c, fmt.Errorf("%s:%d: expected name = value", name, line)
		}
		key = strings.TrimSpace(key)
		val, err := confValue(strings.TrimSpace(val))
		if err != nil {
			return c, fmt.Errorf("%s:%d: %s: %w", name, line, key, err)
		}
		if section == "" {
			return c, fmt.Errorf("%s:%d: %q outside a section", name, line, key)
		}
		set, ok := guacdConfKeys[section][key]
		if !ok {
			return c, fmt.Errorf("%s:%d: unknown key %q in [%s]", name, line, key, section)
		}
		set(&c, val)
	}
	return c, sc.Err()
}

// confValue unquotes a value; an unquoted value ends at a # comment.
func confValue(v string) (string, error) {
	if v == "" || v[0] != '"' {
		if i := strings.IndexByte(v, '#'); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		return v, nil
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
			if i == len(v) {
				return "", fmt.Errorf("unterminated escape")
			}
			b.WriteByte(v[i])
		case '"':
			rest := strings.TrimSpace(v[i+1:])
			if rest != "" && rest[0] != '#' {
				return "", fmt.Errorf("unexpected text after quoted value")
			}
			return b.String(), nil
		default:
			b.WriteByte(v[i])
		}
	}
	return "", fmt.Errorf("unterminated quoted value")
}
