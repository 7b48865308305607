// Package check validates the deployment files in deploy/ without a Docker
// engine or a Kubernetes cluster: Kubernetes manifests decode strictly into
// the typed API objects of k8s.io/api (an unknown or misspelt field fails),
// the compose file loads and validates with the Compose specification's own
// loader (compose-go), the NATS cluster configuration parses with
// nats-server's configuration parser, and the systemd units start binaries
// the repository builds. It is its own Go module so that these libraries do
// not become dependencies of remitq itself. Run by `make deploy-check`.
package check

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/nats-io/nats-server/v2/server"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const deployDir = ".."

// services are the binaries under services/ that the deployment runs.
var services = []string{"ingest", "matcher", "router", "api"}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strict decodes YAML into v, refusing unknown fields.
func strict(doc []byte, v any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func TestKubernetesManifests(t *testing.T) {
	var kust struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
	}
	if err := strict(read(t, filepath.Join(deployDir, "k8s", "kustomization.yaml")), &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files := append([]string{"secret.example.yaml"}, kust.Resources...)
	deployments := map[string]*appsv1.Deployment{}
	secretKeys := map[string]bool{}
	configMaps := map[string]bool{}
	for _, f := range files {
		for i, doc := range bytes.Split(read(t, filepath.Join(deployDir, "k8s", f)), []byte("\n---\n")) {
			var meta struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			var obj any
			switch meta.Kind {
			case "Namespace":
				obj = &corev1.Namespace{}
			case "ConfigMap":
				obj = &corev1.ConfigMap{}
			case "Secret":
				obj = &corev1.Secret{}
			case "Service":
				obj = &corev1.Service{}
			case "StatefulSet":
				obj = &appsv1.StatefulSet{}
			case "Deployment":
				obj = &appsv1.Deployment{}
			default:
				t.Fatalf("%s document %d: kind %q has no check", f, i+1, meta.Kind)
			}
			if err := strict(doc, obj); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i+1, meta.Kind, err)
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				deployments[o.Name] = o
			case *corev1.Secret:
				for k := range o.StringData {
					secretKeys[k] = true
				}
			case *corev1.ConfigMap:
				configMaps[o.Name] = true
			}
		}
	}
	for _, name := range services {
		d, ok := deployments[name]
		if !ok {
			t.Errorf("no Deployment for service %s", name)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		if len(c.Command) == 0 || c.Command[0] != "/usr/local/bin/"+name {
			t.Errorf("%s runs %v", name, c.Command)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: probes must be /readyz and /healthz", name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: no resource requests", name)
		}
		if d.Spec.Selector.MatchLabels["app"] != d.Spec.Template.Labels["app"] {
			t.Errorf("%s: selector does not match the pod labels", name)
		}
		names := map[string]bool{}
		for _, e := range c.Env {
			names[e.Name] = true
		}
		for _, k := range []string{"DATABASE_URL", "NATS_URL", "REMITQ_JWT_KEY", "REMITQ_PATIENT_KEY"} {
			if !names[k] {
				t.Errorf("%s: env %s unset", name, k)
			}
		}
		for _, e := range c.Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil && !secretKeys[ref.SecretKeyRef.Key] {
				t.Errorf("%s: env %s uses secret key %q that the example secret lacks", name, e.Name, ref.SecretKeyRef.Key)
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && !configMaps[ef.ConfigMapRef.Name] {
				t.Errorf("%s: config map %s is not defined", name, ef.ConfigMapRef.Name)
			}
		}
	}
}

func TestCompose(t *testing.T) {
	t.Setenv("REMITQ_NATS_PASSWORD", "x")
	t.Setenv("POSTGRES_PASSWORD", "x")
	t.Setenv("REMITQ_JWT_KEY", "x")
	t.Setenv("REMITQ_PATIENT_KEY", "x")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(deployDir, "compose", "docker-compose.yml")},
		cli.WithOsEnv, cli.WithWorkingDirectory(filepath.Join(deployDir, "compose")))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range services {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("compose has no service %s", name)
			continue
		}
		if len(s.Entrypoint) == 0 || s.Entrypoint[0] != "/usr/local/bin/"+name {
			t.Errorf("compose %s runs %v", name, s.Entrypoint)
		}
		for _, k := range []string{"DATABASE_URL", "NATS_URL", "NATS_REPLICAS", "REMITQ_JWT_KEY", "REMITQ_PATIENT_KEY"} {
			if v := s.Environment[k]; v == nil || *v == "" {
				t.Errorf("compose %s: %s unset", name, k)
			}
		}
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3", "postgres"} {
		if _, ok := p.Services[n]; !ok {
			t.Errorf("compose has no service %s", n)
		}
	}
}

func TestNATSConfig(t *testing.T) {
	t.Setenv("REMITQ_NATS_PASSWORD", "x")
	for i := 1; i <= 3; i++ {
		path := filepath.Join(deployDir, "nats", fmt.Sprintf("nats-%d.conf", i))
		o, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !o.JetStream || o.Cluster.Name != "remitq" || len(o.Routes) != 3 || o.ServerName != fmt.Sprintf("nats-%d", i) {
			t.Errorf("%s: jetstream %v, cluster %q, %d routes, name %q", path, o.JetStream, o.Cluster.Name, len(o.Routes), o.ServerName)
		}
	}
}

var execStart = regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/remitq-(\w+)$`)

func TestSystemdUnits(t *testing.T) {
	for _, name := range services {
		path := filepath.Join(deployDir, "systemd", "remitq-"+name+".service")
		unit := read(t, path)
		m := execStart.FindSubmatch(unit)
		if m == nil || string(m[1]) != name {
			t.Errorf("%s: ExecStart must run /usr/local/bin/remitq-%s", path, name)
		}
		sections := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(unit))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(l, "[") {
				sections[l] = true
			} else if l != "" && !strings.HasPrefix(l, "#") && !strings.Contains(l, "=") {
				t.Errorf("%s: line %q is not key=value", path, l)
			}
		}
		for _, s := range []string{"[Unit]", "[Service]", "[Install]"} {
			if !sections[s] {
				t.Errorf("%s: no %s section", path, s)
			}
		}
		if _, err := os.Stat(filepath.Join(deployDir, "..", "services", name, "main.go")); err != nil {
			t.Errorf("services/%s/main.go: %v", name, err)
		}
	}
}
