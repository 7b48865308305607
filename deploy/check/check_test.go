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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
	t.Setenv("REMITQ_JS_KEY", "x")
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
		for _, k := range []string{"DATABASE_URL", "NATS_URL", "NATS_REPLICAS", "REMITQ_JWT_KEY", "REMITQ_PATIENT_KEY", "NATS_CA", "NATS_CERT", "NATS_KEY"} {
			if v := s.Environment[k]; v == nil || *v == "" {
				t.Errorf("compose %s: %s unset", name, k)
			}
		}
		if v := s.Environment["NATS_URL"]; v != nil && strings.Contains(*v, "nats://") {
			t.Errorf("compose %s: NATS_URL is not TLS (tls://)", name)
		}
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3", "postgres"} {
		if _, ok := p.Services[n]; !ok {
			t.Errorf("compose has no service %s", n)
		}
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		if v := p.Services[n].Environment["JS_KEY"]; v == nil || *v == "" {
			t.Errorf("compose %s: JS_KEY (the JetStream encryption key) unset", n)
		}
	}
}

func TestNATSConfig(t *testing.T) {
	t.Setenv("REMITQ_NATS_PASSWORD", "x")
	t.Setenv("JS_KEY", "0123456789abcdef0123456789abcdef")
	dir := t.TempDir()
	writeTLS(t, dir)
	t.Setenv("NATS_TLS_CERT", filepath.Join(dir, "server.crt"))
	t.Setenv("NATS_TLS_KEY", filepath.Join(dir, "server.key"))
	t.Setenv("NATS_TLS_CA", filepath.Join(dir, "ca.crt"))
	for i := 1; i <= 3; i++ {
		path := filepath.Join(deployDir, "nats", fmt.Sprintf("nats-%d.conf", i))
		o, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkNATSOptions(t, path, o)
		if o.ServerName != fmt.Sprintf("nats-%d", i) {
			t.Errorf("%s: name %q", path, o.ServerName)
		}
	}
	// The Kubernetes nats.conf, with its fixed TLS paths pointed at the
	// test certificates.
	var cm corev1.ConfigMap
	for _, doc := range bytes.Split(read(t, filepath.Join(deployDir, "k8s", "config.yaml")), []byte("\n---\n")) {
		if err := strict(doc, &cm); err == nil && cm.Name == "nats" {
			break
		}
	}
	conf, ok := cm.Data["nats.conf"]
	if !ok {
		t.Fatal("k8s/config.yaml has no nats.conf")
	}
	for k, v := range map[string]string{"/etc/nats/tls/tls.crt": "server.crt", "/etc/nats/tls/tls.key": "server.key", "/etc/nats/tls/ca.crt": "ca.crt"} {
		conf = strings.ReplaceAll(conf, k, filepath.Join(dir, v))
	}
	t.Setenv("SERVER_NAME", "nats-0")
	path := filepath.Join(dir, "k8s-nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("k8s nats.conf: %v", err)
	}
	checkNATSOptions(t, "k8s nats.conf", o)
}

// checkNATSOptions checks a server of the remitq cluster: JetStream
// encrypted at rest, mutual TLS for clients and routes.
func checkNATSOptions(t *testing.T, path string, o *server.Options) {
	t.Helper()
	if !o.JetStream || o.Cluster.Name != "remitq" || len(o.Routes) != 3 {
		t.Errorf("%s: jetstream %v, cluster %q, %d routes", path, o.JetStream, o.Cluster.Name, len(o.Routes))
	}
	if o.JetStreamCipher != server.AES || len(o.JetStreamKey) < 32 {
		t.Errorf("%s: JetStream store not encrypted (cipher %v, key of %d bytes)", path, o.JetStreamCipher, len(o.JetStreamKey))
	}
	if o.TLSConfig == nil || o.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Errorf("%s: clients are not on mutual TLS", path)
	}
	if o.Cluster.TLSConfig == nil || o.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Errorf("%s: routes are not on mutual TLS", path)
	}
}

// writeTLS writes a CA and a server certificate signed by it to dir.
func writeTLS(t *testing.T, dir string) {
	t.Helper()
	now := time.Now()
	gen := func(name string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		_ = os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		_ = os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
		c, _ := x509.ParseCertificate(der)
		return c, key
	}
	ca, caKey := gen("ca", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	gen("server", &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), DNSNames: []string{"nats-1", "nats-2", "nats-3"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, ca, caKey)
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
