package deploy

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// check runs every consistency check over files and returns what is wrong.
func check(files map[string][]byte) []error {
	var errs []error
	errs = append(errs, checkK8s(files)...)
	errs = append(errs, checkSystemd(files)...)
	errs = append(errs, checkDockerfile(files)...)
	errs = append(errs, checkCompose(files)...)
	return errs
}

// listenPort returns the port of a host:port listen address.
func listenPort(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}

func parseConfig(name string, data []byte) (goguacdConfig, error) {
	var c goguacdConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", name, err)
	}
	if c.ShutdownGrace <= 0 {
		return c, fmt.Errorf("%s: shutdown_grace must be set", name)
	}
	return c, nil
}

// selects reports whether every selector label is among labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkK8s(files map[string][]byte) []error {
	o, errs := decodeK8s(files)
	if len(errs) > 0 {
		return errs
	}
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("k8s: "+format, args...)) }

	// Every manifest is applied by the kustomization, and only those.
	var listed []string
	for _, r := range o.kustomization.Resources {
		listed = append(listed, "k8s/"+r)
	}
	var present []string
	for name := range files {
		if strings.HasPrefix(name, "k8s/") && name != "k8s/kustomization.yaml" {
			present = append(present, name)
		}
	}
	slices.Sort(listed)
	slices.Sort(present)
	if !slices.Equal(listed, present) {
		fail("kustomization resources %v, files %v", listed, present)
	}

	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.pdbs) != 1 || len(o.hpas) != 1 ||
		len(o.serviceMonitor) != 1 || len(o.configMaps) != 1 {
		fail("want one each of Deployment, Service, PDB, HPA, ServiceMonitor, ConfigMap")
		return errs
	}
	dep, svc, pdb, hpa, sm, cm := o.deployments[0], o.services[0], o.pdbs[0], o.hpas[0], o.serviceMonitor[0], o.configMaps[0]
	pod := dep.Spec.Template
	podLabels := pod.Metadata.Labels

	if !selects(dep.Spec.Selector.MatchLabels, podLabels) {
		fail("Deployment selector %v does not match pod labels %v", dep.Spec.Selector.MatchLabels, podLabels)
	}
	if !selects(svc.Spec.Selector, podLabels) {
		fail("Service selector %v does not match pod labels %v", svc.Spec.Selector, podLabels)
	}
	if !selects(pdb.Spec.Selector.MatchLabels, podLabels) {
		fail("PodDisruptionBudget selector %v does not match pod labels %v", pdb.Spec.Selector.MatchLabels, podLabels)
	}
	if (pdb.Spec.MaxUnavailable == nil) == (pdb.Spec.MinAvailable == nil) {
		fail("PodDisruptionBudget needs exactly one of maxUnavailable, minAvailable")
	}
	if r := hpa.Spec.ScaleTargetRef; r.APIVersion != "apps/v1" || r.Kind != "Deployment" || r.Name != dep.Metadata.Name {
		fail("HPA targets %s %s %q, not Deployment %q", r.APIVersion, r.Kind, r.Name, dep.Metadata.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
		fail("HPA replicas: need 2 ≤ minReplicas ≤ maxReplicas (%d) so the PDB can allow a disruption", hpa.Spec.MaxReplicas)
	}
	if !selects(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		fail("ServiceMonitor selector %v does not match Service labels %v", sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}

	if len(pod.Spec.Containers) != 1 {
		fail("want exactly one container")
		return errs
	}
	c := pod.Spec.Containers[0]
	byName := map[string]int{}
	byNumber := map[int]bool{}
	for _, p := range c.Ports {
		byName[p.Name] = p.ContainerPort
		byNumber[p.ContainerPort] = true
	}
	resolve := func(v intOrString) (int, bool) {
		if v.IsStr {
			p, ok := byName[v.Str]
			return p, ok
		}
		return v.Int, byNumber[v.Int]
	}

	// The configuration: mounted from the ConfigMap at the -config path.
	i := slices.Index(c.Args, "-config")
	if i < 0 || i+1 >= len(c.Args) {
		fail("container args %v lack -config FILE", c.Args)
		return errs
	}
	cfgPath := c.Args[i+1]
	var cfgVolume string
	for _, m := range c.VolumeMounts {
		if m.MountPath == path.Dir(cfgPath) {
			cfgVolume = m.Name
		}
	}
	var cfgData string
	volumes := map[string]volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	if v, ok := volumes[cfgVolume]; !ok || v.ConfigMap == nil || v.ConfigMap.Name != cm.Metadata.Name {
		fail("%s is not mounted from ConfigMap %q", cfgPath, cm.Metadata.Name)
	} else if cfgData, ok = cm.Data[path.Base(cfgPath)]; !ok {
		fail("ConfigMap %q has no key %q", cm.Metadata.Name, path.Base(cfgPath))
	}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			fail("volumeMount %q has no volume", m.Name)
		}
	}
	cfg, err := parseConfig("ConfigMap "+cm.Metadata.Name, []byte(cfgData))
	if err != nil {
		errs = append(errs, err)
		return errs
	}

	// Ports: every listener is a container port, the probes hit the admin
	// listener, the Service targets container ports.
	listeners := map[string]string{"guacd": cfg.Guacd.Listen, "web": cfg.Web.Listen, "admin": cfg.Admin.Listen}
	ports := map[string]int{}
	for name, addr := range listeners {
		p, err := listenPort(addr)
		if err != nil {
			fail("config %s.listen %q: %v", name, addr, err)
			continue
		}
		ports[name] = p
		if !byNumber[p] {
			fail("config %s.listen port %d is not a container port", name, p)
		}
	}
	if len(byNumber) != len(c.Ports) || len(c.Ports) != len(listeners) {
		fail("container ports %v do not match the listeners %v one to one", c.Ports, listeners)
	}
	for name, pr := range map[string]*probe{"/readyz": c.ReadinessProbe, "/healthz": c.LivenessProbe} {
		if pr == nil || pr.HTTPGet == nil {
			fail("no HTTP probe for %s", name)
			continue
		}
		if pr.HTTPGet.Path != name {
			fail("probe path %q, want %q", pr.HTTPGet.Path, name)
		}
		if p, ok := resolve(pr.HTTPGet.Port); !ok || p != ports["admin"] {
			fail("probe %s port %s is not the admin listener's port %d", name, pr.HTTPGet.Port, ports["admin"])
		}
	}
	svcPorts := map[int]bool{}
	for _, sp := range svc.Spec.Ports {
		p, ok := resolve(sp.TargetPort)
		if !ok {
			fail("Service port %q targets %s, which is not a container port", sp.Name, sp.TargetPort)
		} else if p != sp.Port {
			fail("Service port %q is %d but targets container port %d", sp.Name, sp.Port, p)
		}
		svcPorts[sp.Port] = true
	}
	for _, want := range []int{4822, 8080, 9822} {
		if !svcPorts[want] {
			fail("Service lacks port %d", want)
		}
	}
	var smPortOK bool
	for _, ep := range sm.Spec.Endpoints {
		for _, sp := range svc.Spec.Ports {
			if sp.Name == ep.Port {
				p, _ := resolve(sp.TargetPort)
				smPortOK = p == ports["admin"] && ep.Path == "/metrics"
			}
		}
	}
	if !smPortOK {
		fail("ServiceMonitor does not scrape /metrics on the Service port of the admin listener")
	}
	ann := pod.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(ports["admin"]) || ann["prometheus.io/path"] != "/metrics" {
		fail("pod prometheus.io annotations %v do not point at the admin listener", ann)
	}

	// Draining: the kubelet waits for preStop plus goguacd's grace.
	grace := cfg.ShutdownGrace
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		grace += time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if t := pod.Spec.TerminationGracePeriodSeconds; t == nil || time.Duration(*t)*time.Second <= grace {
		fail("terminationGracePeriodSeconds must exceed preStop + shutdown_grace (%v)", grace)
	}

	// Security and resources.
	sc := pod.Spec.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		fail("pod must run as a non-root user")
	}
	csc := c.SecurityContext
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
		fail("container needs readOnlyRootFilesystem, no privilege escalation and capabilities dropped")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		fail("container needs cpu and memory requests and a memory limit")
	}
	var secretRef bool
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != "" && e.ValueFrom.SecretKeyRef.Key != "" {
			secretRef = true
		}
	}
	if !secretRef {
		fail("database credentials must come from a Secret reference")
	}
	checkCluster(o, dep, svc, cm, fail)
	return errs
}

// checkCluster checks the wiring of join forwarding between replicas: the
// pod's service account may read exactly its Service's endpoints, the
// config names that Service and the guacd port, and the shared secret and
// pod IP reach the container.
func checkCluster(o *k8sObjects, dep deployment, svc service, cm configMap, fail func(string, ...any)) {
	cfg, err := parseConfig("ConfigMap goguacd.yaml", []byte(cm.Data["goguacd.yaml"]))
	if err != nil || cfg.Cluster == nil || cfg.Cluster.Kubernetes == nil {
		fail("the ConfigMap's config needs cluster.kubernetes (join forwarding between replicas): %v", err)
		return
	}
	cl := cfg.Cluster
	pod := dep.Spec.Template.Spec
	guacdPort, _ := listenPort(cfg.Guacd.Listen)
	if cl.Kubernetes.Service != svc.Metadata.Name {
		fail("cluster.kubernetes.service %q is not the Service %q", cl.Kubernetes.Service, svc.Metadata.Name)
	}
	if cl.Kubernetes.Port != guacdPort || !strings.HasSuffix(cl.Advertise, fmt.Sprintf(":%d", guacdPort)) {
		fail("cluster port %d / advertise %q do not match the guacd listener port %d", cl.Kubernetes.Port, cl.Advertise, guacdPort)
	}
	c := pod.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			env[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	if strings.Contains(cl.Advertise, "${POD_IP}") && env["POD_IP"] != "status.podIP" {
		fail("cluster.advertise uses ${POD_IP} but the container has no POD_IP from status.podIP")
	}
	if strings.Contains(cl.Kubernetes.Namespace, "${POD_NAMESPACE}") && env["POD_NAMESPACE"] != "metadata.namespace" {
		fail("cluster.kubernetes.namespace uses ${POD_NAMESPACE} but the container has no POD_NAMESPACE")
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if path.Dir(cl.SecretFile) == path.Clean(m.MountPath) {
			for _, v := range pod.Volumes {
				mounted = mounted || (v.Name == m.Name && v.Secret != nil)
			}
		}
	}
	if !mounted {
		fail("cluster.secret_file %q is not mounted from a Secret", cl.SecretFile)
	}
	if pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken || pod.ServiceAccountName == "" {
		fail("the pod needs a service account token to read the endpoints")
	}
	sa := false
	for _, a := range o.accounts {
		sa = sa || a.Metadata.Name == pod.ServiceAccountName
	}
	if !sa {
		fail("ServiceAccount %q does not exist", pod.ServiceAccountName)
	}
	granted := false
	for _, b := range o.bindings {
		bound := false
		for _, s := range b.Subjects {
			bound = bound || (s.Kind == "ServiceAccount" && s.Name == pod.ServiceAccountName)
		}
		if !bound || b.RoleRef.Kind != "Role" {
			continue
		}
		for _, r := range o.roles {
			if r.Metadata.Name != b.RoleRef.Name {
				continue
			}
			for _, rule := range r.Rules {
				granted = granted || (slices.Contains(rule.Resources, "endpoints") && slices.Contains(rule.Verbs, "get") &&
					(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, svc.Metadata.Name)))
			}
		}
	}
	if !granted {
		fail("no Role bound to %q lets it get the endpoints of Service %q", pod.ServiceAccountName, svc.Metadata.Name)
	}
}

// systemdRequired are hardening settings the unit must have, with their
// exact values.
var systemdRequired = map[string]string{
	"DynamicUser":             "yes",
	"NoNewPrivileges":         "yes",
	"ProtectSystem":           "strict",
	"ProtectHome":             "yes",
	"PrivateTmp":              "yes",
	"CapabilityBoundingSet":   "",
	"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	"SystemCallFilter":        "@system-service",
	"StateDirectory":          "goguacd",
	"KillSignal":              "SIGTERM",
}

// systemdKnown are the keys the unit may use, per section; anything else is
// taken for a typo (systemd itself only warns).
var systemdKnown = map[string][]string{
	"Unit":    {"Description", "Documentation", "After", "Wants", "Requires"},
	"Install": {"WantedBy"},
	"Service": {"Type", "ExecStart", "Restart", "RestartSec", "KillSignal", "KillMode", "TimeoutStopSec",
		"DynamicUser", "StateDirectory", "StateDirectoryMode", "ConfigurationDirectory", "UMask",
		"NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectSystem", "ProtectHome",
		"PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
		"ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset",
		"RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
		"LockPersonality", "MemoryDenyWriteExecute", "RemoveIPC", "SystemCallArchitectures",
		"SystemCallFilter", "SystemCallErrorNumber", "LimitNOFILE"},
}

func checkSystemd(files map[string][]byte) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("goguacd.service: "+format, args...)) }
	u, err := parseUnit(files["goguacd.service"])
	if err != nil {
		fail("%v", err)
		return errs
	}
	for section, keys := range u {
		known, ok := systemdKnown[section]
		if !ok {
			fail("unknown section [%s]", section)
			continue
		}
		for k := range keys {
			if !slices.Contains(known, k) {
				fail("unknown key %s in [%s]", k, section)
			}
		}
	}
	svc := u["Service"]
	for k, want := range systemdRequired {
		if !slices.Contains(svc[k], want) {
			fail("%s=%s missing (have %q)", k, want, svc[k])
		}
	}
	exec := strings.Fields(strings.Join(svc["ExecStart"], " "))
	i := slices.Index(exec, "-config")
	if i < 0 || i+1 >= len(exec) || exec[i+1] != "/etc/goguacd/goguacd.yaml" {
		fail("ExecStart %q must pass -config /etc/goguacd/goguacd.yaml", exec)
	}
	cfg, err := parseConfig("goguacd.yaml", files["goguacd.yaml"])
	if err != nil {
		return append(errs, err)
	}
	stop, err := time.ParseDuration(strings.Join(svc["TimeoutStopSec"], ""))
	if err != nil || stop <= cfg.ShutdownGrace {
		fail("TimeoutStopSec %q must be a duration above shutdown_grace %v", svc["TimeoutStopSec"], cfg.ShutdownGrace)
	}
	return errs
}

func checkDockerfile(files map[string][]byte) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("Dockerfile: "+format, args...)) }
	ins := parseDockerfile(files["Dockerfile"])
	last := -1
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	if last < 0 {
		fail("no FROM")
		return errs
	}
	if base := ins[last].args; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		fail("final stage %q is not distroless/static or scratch", base)
	}
	var user, cgo bool
	var exposed []string
	var cmd string
	copied := map[string]bool{}
	for i, in := range ins {
		switch {
		case in.cmd == "USER" && i > last:
			name, _, _ := strings.Cut(in.args, ":")
			user = name != "root" && name != "0" && name != ""
		case (in.cmd == "ENV" || in.cmd == "RUN") && i < last:
			if slices.Contains(strings.Fields(in.args), "CGO_ENABLED=0") {
				cgo = true
			}
		case in.cmd == "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case in.cmd == "CMD":
			cmd = in.args
		case in.cmd == "COPY" && i > last:
			f := strings.Fields(in.args)
			copied[f[len(f)-1]] = true
		case in.cmd == "HEALTHCHECK":
			fail("HEALTHCHECK cannot run in a shell-less image")
		}
	}
	if !user {
		fail("the final stage must switch to a non-root USER")
	}
	if !cgo {
		fail("the binary must be built with CGO_ENABLED=0")
	}
	slices.Sort(exposed)
	if !slices.Equal(exposed, []string{"4822", "8080", "9822"}) {
		fail("EXPOSE %v, want 4822 8080 9822", exposed)
	}
	if !strings.Contains(cmd, `"-config", "/etc/goguacd/goguacd.yaml"`) || !copied["/etc/goguacd/goguacd.yaml"] {
		fail("CMD must use the configuration file the image contains")
	}
	cfg, err := parseConfig("goguacd.yaml", files["goguacd.yaml"])
	if err != nil {
		return append(errs, err)
	}
	for _, addr := range []string{cfg.Guacd.Listen, cfg.Admin.Listen} {
		p, err := listenPort(addr)
		if err != nil || !slices.Contains(exposed, strconv.Itoa(p)) {
			fail("the image's listener %q is not exposed", addr)
		}
	}
	return errs
}

func checkCompose(files map[string][]byte) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("compose: "+format, args...)) }
	var cf composeFile
	if err := strict(files["compose.yaml"], &cf); err != nil {
		fail("compose.yaml: %v", err)
		return errs
	}
	for _, name := range []string{"postgres", "guacd", "goguacd", "pomerium"} {
		if _, ok := cf.Services[name]; !ok {
			fail("no %s service", name)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for name, s := range cf.Services {
		for _, n := range s.Networks {
			if _, ok := cf.Networks[n]; !ok {
				fail("service %s uses undeclared network %q", name, n)
			}
		}
		for _, d := range s.DependsOn {
			if _, ok := cf.Services[d]; !ok {
				fail("service %s depends on unknown service %q", name, d)
			}
		}
	}
	// mounts returns the host file mounted at target in service s.
	mounts := func(s composeService, target string) (string, bool) {
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && parts[1] == target {
				return strings.TrimPrefix(parts[0], "./"), true
			}
		}
		return "", false
	}
	g := cf.Services["goguacd"]
	if !g.ReadOnly {
		fail("goguacd must run with read_only: true")
	}
	i := slices.Index(g.Command, "-config")
	if i < 0 || i+1 >= len(g.Command) {
		fail("goguacd command %v lacks -config", g.Command)
		return errs
	}
	cfgFile, ok := mounts(g, g.Command[i+1])
	if !ok || files[cfgFile] == nil {
		fail("goguacd's -config %s is not mounted from a file in deploy/", g.Command[i+1])
		return errs
	}
	cfg, err := parseConfig(cfgFile, files[cfgFile])
	if err != nil {
		return append(errs, err)
	}
	if !slices.Contains(g.DependsOn, "postgres") || !slices.Contains(g.DependsOn, "guacd") {
		fail("goguacd must depend on postgres and guacd")
	}
	if dsn, err := url.Parse(cfg.Catalog.Postgres.DSN); err != nil || dsn.Hostname() != "postgres" {
		fail("catalog DSN %q does not point at the postgres service", cfg.Catalog.Postgres.DSN)
	} else if u := dsn.User.Username(); u != cf.Services["postgres"].Environment["POSTGRES_USER"] {
		fail("catalog DSN user %q is not POSTGRES_USER", u)
	}
	if g.Environment["PGPASSWORD"] != cf.Services["postgres"].Environment["POSTGRES_PASSWORD"] {
		fail("goguacd's PGPASSWORD differs from POSTGRES_PASSWORD")
	}
	if host, _, err := net.SplitHostPort(cfg.Passthrough.Address); err != nil || host != "guacd" {
		fail("passthrough address %q does not point at the guacd service", cfg.Passthrough.Address)
	}
	if d, err := time.ParseDuration(g.StopGracePeriod); err != nil || d <= cfg.ShutdownGrace {
		fail("goguacd stop_grace_period %q must exceed shutdown_grace %v", g.StopGracePeriod, cfg.ShutdownGrace)
	}

	p := cf.Services["pomerium"]
	pcFile, ok := mounts(p, "/pomerium/config.yaml")
	if !ok || files[pcFile] == nil {
		fail("pomerium's /pomerium/config.yaml is not mounted from a file in deploy/")
		return errs
	}
	var pc pomeriumConfig
	if err := strict(files[pcFile], &pc); err != nil {
		fail("%s: %v", pcFile, err)
		return errs
	}
	webPort, err := listenPort(cfg.Web.Listen)
	if err != nil {
		fail("web.listen %q: %v", cfg.Web.Listen, err)
	}
	if len(pc.Routes) == 0 {
		fail("%s has no routes", pcFile)
	}
	for _, r := range pc.Routes {
		to, err := url.Parse(r.To)
		if err != nil || to.Hostname() != "goguacd" || to.Port() != strconv.Itoa(webPort) {
			fail("Pomerium route to %q is not goguacd's web listener goguacd:%d", r.To, webPort)
		}
		if !r.PassIdentityHeaders || !r.AllowWebsockets || len(r.Policy) == 0 {
			fail("Pomerium route %q needs a policy, pass_identity_headers and allow_websockets", r.From)
		}
	}
	return errs
}

func TestManifests(t *testing.T) {
	files, err := readFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range check(files) {
		t.Error(err)
	}
}

// TestManifestMistakesAreCaught mutates one file at a time and expects the
// checks to notice.
func TestManifestMistakesAreCaught(t *testing.T) {
	files, err := readFiles()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, old, new string
	}{
		{"misspelt probe key", "k8s/deployment.yaml", "readinessProbe:", "readinesProbe:"},
		{"misplaced key", "k8s/deployment.yaml", "      terminationGracePeriodSeconds: 45", "      terminationGracePeriod: 45"},
		{"short grace period", "k8s/deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30"},
		{"admin port moved in the container only", "k8s/deployment.yaml", "containerPort: 9822", "containerPort: 9823"},
		{"probe on the wrong port", "k8s/deployment.yaml", "path: /readyz\n              port: admin", "path: /readyz\n              port: http"},
		{"probe path", "k8s/deployment.yaml", "path: /healthz", "path: /health"},
		{"root filesystem writable", "k8s/deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"},
		{"runs as root", "k8s/deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false"},
		{"no secret", "k8s/deployment.yaml", "secretKeyRef:", "configMapKeyRef:"},
		{"pod label changed", "k8s/deployment.yaml", "      labels:\n        app.kubernetes.io/name: goguacd", "      labels:\n        app.kubernetes.io/name: goguacd2"},
		{"admin moved in the config only", "k8s/configmap.yaml", "listen: 0.0.0.0:9822", "listen: 0.0.0.0:9823"},
		{"service target typo", "k8s/service.yaml", "targetPort: http", "targetPort: htp"},
		{"service selector", "k8s/service.yaml", "  selector:\n    app.kubernetes.io/name: goguacd", "  selector:\n    app: goguacd"},
		{"pdb selector", "k8s/pdb.yaml", "      app.kubernetes.io/name: goguacd", "      app.kubernetes.io/name: other"},
		{"hpa target", "k8s/hpa.yaml", "    name: goguacd\n  minReplicas", "    name: goguac\n  minReplicas"},
		{"hpa api version", "k8s/hpa.yaml", "apiVersion: autoscaling/v2", "apiVersion: autoscaling/v1"},
		{"service monitor port", "k8s/servicemonitor.yaml", "port: metrics", "port: metric"},
		{"kustomization misses a file", "k8s/kustomization.yaml", "  - pdb.yaml\n", ""},
		{"unit typo", "goguacd.service", "ProtectSystem=strict", "ProtectSytem=strict"},
		{"unit weakened", "goguacd.service", "DynamicUser=yes", "DynamicUser=no"},
		{"unit stops too soon", "goguacd.service", "TimeoutStopSec=40s", "TimeoutStopSec=20s"},
		{"image runs as root", "Dockerfile", "USER 65532:65532", "USER root"},
		{"cgo", "Dockerfile", "ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1"},
		{"port not exposed", "Dockerfile", "EXPOSE 4822 8080 9822", "EXPOSE 4822 8080"},
		{"compose typo", "compose.yaml", "stop_grace_period:", "stop_grace_periods:"},
		{"pomerium route", "compose/pomerium.yaml", "to: http://goguacd:8080", "to: http://goguacd:8081"},
		{"pomerium typo", "compose/pomerium.yaml", "pass_identity_headers: true", "pass_identity_header: true"},
		{"compose web port", "compose/goguacd.yaml", "listen: 0.0.0.0:8080", "listen: 0.0.0.0:8090"},
		{"role for another service", "k8s/rbac.yaml", `resourceNames: ["goguacd"]`, `resourceNames: ["guacd"]`},
		{"binding to another account", "k8s/rbac.yaml", "  - kind: ServiceAccount\n    name: goguacd", "  - kind: ServiceAccount\n    name: default"},
		{"rbac typo", "k8s/rbac.yaml", "roleRef:", "roleref:"},
		{"cluster names another service", "k8s/configmap.yaml", "service: goguacd", "service: goguacd-headless"},
		{"no pod ip", "k8s/deployment.yaml", "fieldPath: status.podIP", "fieldPath: status.hostIP"},
		{"cluster secret not mounted", "k8s/deployment.yaml", "mountPath: /etc/goguacd-cluster", "mountPath: /etc/cluster"},
		{"no service account token", "k8s/deployment.yaml", "automountServiceAccountToken: true", "automountServiceAccountToken: false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := string(files[tt.file])
			if strings.Count(orig, tt.old) != 1 {
				t.Fatalf("%s: %q occurs %d times, want once", tt.file, tt.old, strings.Count(orig, tt.old))
			}
			mutated := maps.Clone(files)
			mutated[tt.file] = []byte(strings.Replace(orig, tt.old, tt.new, 1))
			errs := check(mutated)
			if len(errs) == 0 {
				t.Fatalf("mutation not caught")
			}
			t.Log(errors.Join(errs...))
		})
	}
}
