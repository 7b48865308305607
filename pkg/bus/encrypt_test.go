package bus

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const secretName = "ZZPATIENT^SECRETNAME"

// storeHolds reports whether any file under dir holds s.
func storeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
			found = true
		}
		return nil
	})
	return found
}

func publishSecret(t *testing.T, o EmbeddedOptions) {
	t.Helper()
	ns, err := StartEmbedded(o)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ConnectEmbedded(ns)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "PHI", Subjects: []string{"phi.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "phi.x", []byte("NM1*QC*1*"+secretName+"~")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ns.Shutdown()
	ns.WaitForShutdown()
}

// Patient names sat in clear text in the JetStream store files; with a key
// the store is encrypted and the message still reads back after a restart.
func TestEmbeddedEncryptsAtRest(t *testing.T) {
	clear := t.TempDir()
	publishSecret(t, EmbeddedOptions{StoreDir: clear, Port: -1})
	if !storeHolds(t, clear, secretName) {
		t.Fatal("control: the unencrypted store does not hold the name; the grep proves nothing")
	}
	dir := t.TempDir()
	o := EmbeddedOptions{StoreDir: dir, Port: -1, Key: "0123456789abcdef0123456789abcdef"}
	publishSecret(t, o)
	if storeHolds(t, dir, secretName) {
		t.Fatal("the patient name is in clear text in the encrypted store")
	}
	ns, err := StartEmbedded(o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := ConnectEmbedded(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(t.Context(), "PHI")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(t.Context(), 1)
	if err != nil || !bytes.Contains(m.Data, []byte(secretName)) {
		t.Fatalf("message after restart: %v", err)
	}
}

// A store written with ChaCha20 (the cipher before AES-GCM) opens with the
// new cipher: every message reads back, the consumer keeps its acks (nothing
// acknowledged comes again, nothing unacknowledged is lost), new messages
// are stored, the names stay encrypted, and it opens again after that.
func TestEmbeddedChaChaStoreConverts(t *testing.T) {
	const total, acked = 600, 250
	dir := t.TempDir()
	o := EmbeddedOptions{StoreDir: dir, Port: -1, Key: "0123456789abcdef0123456789abcdef"}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	open := func(cipher server.StoreCipher) (*server.Server, *nats.Conn, jetstream.JetStream) {
		t.Helper()
		ns, err := startEmbedded(o, cipher)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := ConnectEmbedded(ns)
		if err != nil {
			t.Fatal(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return ns, nc, js
	}
	shut := func(ns *server.Server, nc *nats.Conn) {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	body := func(i int) []byte { return fmt.Appendf(nil, "NM1*QC*1*%s*%d~", secretName, i) }
	// fetch takes n messages from the consumer, checks they are the next
	// ones in order, and acks them.
	fetch := func(js jetstream.JetStream, from, n int) {
		t.Helper()
		c, err := js.Consumer(ctx, "PHI", "reader")
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for got < n {
			b, err := c.Fetch(n-got, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for m := range b.Messages() {
				if want := body(from + got); !bytes.Equal(m.Data(), want) {
					t.Fatalf("message %d reads %q, want %q", from+got, m.Data(), want)
				}
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatal(err)
				}
				got++
				k++
			}
			if k == 0 {
				t.Fatalf("consumer gave %d of %d messages from %d", got, n, from)
			}
		}
	}

	ns, nc, js := open(server.ChaCha)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PHI", Subjects: []string{"phi.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, "PHI", jetstream.ConsumerConfig{Durable: "reader", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	for i := range total {
		if _, err := js.Publish(ctx, "phi.x", body(i)); err != nil {
			t.Fatal(err)
		}
	}
	fetch(js, 0, acked)
	shut(ns, nc)

	ns, nc, js = open(StoreCipher)
	s, err := js.Stream(ctx, "PHI")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != total {
		t.Fatalf("stream holds %d messages after the cipher change, want %d", n, total)
	}
	for _, seq := range []uint64{1, total / 2, total} {
		m, err := s.GetMsg(ctx, seq)
		if err != nil || !bytes.Equal(m.Data, body(int(seq-1))) {
			t.Fatalf("message %d after the cipher change: %v", seq, err)
		}
	}
	fetch(js, acked, 100) // resumes after the acked ones
	if _, err := js.Publish(ctx, "phi.x", body(total)); err != nil {
		t.Fatal(err)
	}
	shut(ns, nc)
	if storeHolds(t, dir, secretName) {
		t.Fatal("the patient name is in clear text in the converted store")
	}

	ns, nc, js = open(StoreCipher)
	defer shut(ns, nc)
	fetch(js, acked+100, total+1-acked-100) // the rest, the new one included, once each
	c, err := js.Consumer(ctx, "PHI", "reader")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Stream != total+1 {
		t.Fatalf("consumer after two restarts: pending %d, ack pending %d, ack floor %d; want 0, 0, %d",
			info.NumPending, info.NumAckPending, info.AckFloor.Stream, total+1)
	}
}
