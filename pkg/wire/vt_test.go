package wire_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// The generated encoders (MarshalVT, AppendVT, UnmarshalVT) must agree
// with protobuf-go's on real files: every message built from the committed
// 835 corpus decodes, either way round, to the same message.
func TestVTEncodingMatchesProto(t *testing.T) {
	files, err := filepath.Glob("../../x12/testdata/corpus/835/*.835")
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d corpus files (%v), want the committed 835 corpus", len(files), err)
	}
	msgs := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d := x12.NewRemitReader(bytes.NewReader(raw))
		for {
			rec, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				break // a file the reader refuses has no messages to compare
			}
			c, ok := rec.(*x12.ClaimPayment)
			if !ok {
				continue
			}
			out, err := wire.RemitMessages(wire.FileRef{ID: 1, SHA256: [32]byte{9}}, 3, c, true)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, m := range out {
				msgs++
				var viaVT, viaProto v1.ClaimPayment
				var lineVT, lineProto v1.ServiceLinePayment
				var a, b proto.Message = &viaVT, &viaProto
				if m.Header.Get("Remitq-Type") == "remitq.v1.ServiceLinePayment" {
					a, b = &lineVT, &lineProto
				}
				if err := a.(interface{ UnmarshalVT([]byte) error }).UnmarshalVT(m.Data); err != nil {
					t.Fatalf("%s: UnmarshalVT: %v", path, err)
				}
				if err := proto.Unmarshal(m.Data, b); err != nil {
					t.Fatalf("%s: proto.Unmarshal: %v", path, err)
				}
				if !proto.Equal(a, b) {
					t.Fatalf("%s: the two decoders disagree on %s", path, m.Subject)
				}
				plain, err := proto.Marshal(b)
				if err != nil {
					t.Fatal(err)
				}
				again, err := wire.AppendVT([]byte("prefix"), a.(interface {
					SizeVT() int
					MarshalToSizedBufferVT([]byte) (int, error)
				}))
				if err != nil || string(again[:6]) != "prefix" {
					t.Fatalf("AppendVT: %v", err)
				}
				back := proto.Clone(b)
				proto.Reset(back)
				if err := proto.Unmarshal(again[6:], back); err != nil || !proto.Equal(back, b) || len(again)-6 != len(plain) {
					t.Fatalf("%s: AppendVT gives %d bytes, proto.Marshal %d (%v)", path, len(again)-6, len(plain), err)
				}
			}
		}
	}
	if msgs < 100 {
		t.Fatalf("only %d messages compared", msgs)
	}
	t.Logf("%d messages from %d files", msgs, len(files))
}
