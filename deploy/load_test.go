package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readFiles loads every file the checks look at, keyed by path relative to
// deploy/.
func readFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, pattern := range []string{"Dockerfile", "goguacd.yaml", "goguacd.service", "compose.yaml", "compose/*.yaml", "k8s/*.yaml"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("no file matches %s", pattern)
		}
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				return nil, err
			}
			files[filepath.ToSlash(m)] = b
		}
	}
	return files, nil
}

// strict decodes one YAML document into v, refusing unknown keys.
func strict(doc []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// documents splits a multi-document YAML file, returning each document
// re-encoded on its own with its kind.
func documents(data []byte) ([][]byte, []typeMeta, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	var metas []typeMeta
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, metas, nil
		}
		if err != nil {
			return nil, nil, err
		}
		var tm typeMeta
		if err := n.Decode(&tm); err != nil {
			return nil, nil, err
		}
		b, err := yaml.Marshal(&n)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, b)
		metas = append(metas, tm)
	}
}

// k8sObjects holds the decoded Kubernetes manifests.
type k8sObjects struct {
	kustomization  kustomization
	deployments    []deployment
	services       []service
	pdbs           []podDisruptionBudget
	hpas           []horizontalPodAutoscaler
	serviceMonitor []serviceMonitor
	configMaps     []configMap
	accounts       []serviceAccount
	roles          []role
	bindings       []roleBinding
}

// kinds maps apiVersion/kind to a decoder that appends to k8sObjects.
var kinds = map[string]func(*k8sObjects, []byte) error{
	"apps/v1/Deployment": func(o *k8sObjects, b []byte) error {
		var v deployment
		err := strict(b, &v)
		o.deployments = append(o.deployments, v)
		return err
	},
	"v1/Service": func(o *k8sObjects, b []byte) error {
		var v service
		err := strict(b, &v)
		o.services = append(o.services, v)
		return err
	},
	"policy/v1/PodDisruptionBudget": func(o *k8sObjects, b []byte) error {
		var v podDisruptionBudget
		err := strict(b, &v)
		o.pdbs = append(o.pdbs, v)
		return err
	},
	"autoscaling/v2/HorizontalPodAutoscaler": func(o *k8sObjects, b []byte) error {
		var v horizontalPodAutoscaler
		err := strict(b, &v)
		o.hpas = append(o.hpas, v)
		return err
	},
	"monitoring.coreos.com/v1/ServiceMonitor": func(o *k8sObjects, b []byte) error {
		var v serviceMonitor
		err := strict(b, &v)
		o.serviceMonitor = append(o.serviceMonitor, v)
		return err
	},
	"v1/ConfigMap": func(o *k8sObjects, b []byte) error {
		var v configMap
		err := strict(b, &v)
		o.configMaps = append(o.configMaps, v)
		return err
	},
	"v1/ServiceAccount": func(o *k8sObjects, b []byte) error {
		var v serviceAccount
		err := strict(b, &v)
		o.accounts = append(o.accounts, v)
		return err
	},
	"rbac.authorization.k8s.io/v1/Role": func(o *k8sObjects, b []byte) error {
		var v role
		err := strict(b, &v)
		o.roles = append(o.roles, v)
		return err
	},
	"rbac.authorization.k8s.io/v1/RoleBinding": func(o *k8sObjects, b []byte) error {
		var v roleBinding
		err := strict(b, &v)
		o.bindings = append(o.bindings, v)
		return err
	},
	"kustomize.config.k8s.io/v1beta1/Kustomization": func(o *k8sObjects, b []byte) error {
		return strict(b, &o.kustomization)
	},
}

// decodeK8s decodes every document of every k8s/ file strictly.
func decodeK8s(files map[string][]byte) (*k8sObjects, []error) {
	var errs []error
	o := &k8sObjects{}
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasPrefix(name, "k8s/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		docs, metas, err := documents(files[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		for i, doc := range docs {
			key := metas[i].APIVersion + "/" + metas[i].Kind
			dec, ok := kinds[key]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: document %d: unexpected kind %q", name, i+1, key))
				continue
			}
			if err := dec(o, doc); err != nil {
				errs = append(errs, fmt.Errorf("%s: document %d (%s): %w", name, i+1, metas[i].Kind, err))
			}
		}
	}
	return o, errs
}

// unit is a parsed systemd unit: section → key → values (keys may repeat).
type unit map[string]map[string][]string

func parseUnit(data []byte) (unit, error) {
	u := unit{}
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("line %d: not a key=value in a section: %q", i+1, line)
		}
		u[section][k] = append(u[section][k], v)
	}
	return u, nil
}

// dockerfile is a parsed Dockerfile: instructions with their arguments,
// continuation lines joined.
type dockerInstruction struct {
	cmd  string // upper case
	args string
}

func parseDockerfile(data []byte) []dockerInstruction {
	var out []dockerInstruction
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur.WriteString(strings.TrimSuffix(t, "\\"))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(t)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}
