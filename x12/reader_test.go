package x12

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// tok is a segment as the tests compare it.
type tok struct {
	Index  int
	Offset int64
	ID     string
	Raw    string
}

// tokenized is everything a Reader returned for an input.
type tokenized struct {
	Segs     []tok
	Errs     []string // errors returned with a segment or before io.EOF, formatted
	Final    error    // io.EOF or a final error
	Delims   Delimiters
	Warnings []string
}

// tokenize reads src to the end.
func tokenize(src io.Reader, maxSeg int) tokenized {
	r := NewReader(src)
	if maxSeg > 0 {
		r.MaxSegmentSize = maxSeg
	}
	var out tokenized
	for range 10_000_000 { // a bound, so a looping reader fails instead of hanging
		s, err := r.Next()
		if s == nil {
			if errors.Is(err, ErrTruncated) {
				out.Errs = append(out.Errs, err.Error())
				continue
			}
			out.Final = err
			break
		}
		out.Segs = append(out.Segs, tok{s.Index, s.Offset, s.ID(), string(s.Raw())})
		if err != nil {
			out.Errs = append(out.Errs, err.Error())
		}
	}
	out.Delims = r.Delimiters()
	for _, w := range r.Warnings() {
		out.Warnings = append(out.Warnings, w.Error())
	}
	return out
}

// isaFor builds a fixed-width ISA through ISA16 (no terminator).
func isaFor(el, comp byte, rep string, ver string) string {
	f := []string{"ISA", "00", strings.Repeat(" ", 10), "00", strings.Repeat(" ", 10), "ZZ", pad("SUMMITHP", 15),
		"ZZ", pad("ALPINEPAIN", 15), "260206", "0930", rep, ver, "000000001", "0", "T", string(comp)}
	return strings.Join(f, string(el))
}

// build joins segments (written with * and :) into a stream with the given
// delimiters, segment separator (line break) and returns the expected tokens.
func build(isa string, d Delimiters, sep string, segs ...string) (string, []tok) {
	var b strings.Builder
	var toks []tok
	add := func(raw string) {
		toks = append(toks, tok{len(toks) + 1, int64(b.Len()), raw[:strings.IndexFunc(raw+"*", func(r rune) bool { return r == rune(d.Element) || r == '*' })], raw})
		b.WriteString(raw)
		b.WriteByte(d.Segment)
		b.WriteString(sep)
	}
	if isa != "" {
		add(isa)
	}
	for _, s := range segs {
		s = strings.NewReplacer("*", string(d.Element), ":", string(d.Component)).Replace(s)
		add(s)
	}
	return b.String(), toks
}

var envelope835 = []string{
	"GS*HP*SUMMITHP*ALPINEPAIN*20260206*0930*1*X*005010X221A1",
	"ST*835*0001*005010X221A1",
	"BPR*I*220*C*CHK************20260213",
	"CLP*PAIN26041*1*300*220*30*12*2604400012341*11*1",
	"SVC*HC:64483:RT*300*220**1",
	"CAS*CO*45*50*1*253*30",
	"SE*6*0001",
	"GE*1*1",
	"IEA*1*000000001",
}

func TestReaderDelimiters(t *testing.T) {
	tests := []struct {
		name     string
		isa      string // "" for envelope-less
		d        Delimiters
		sep      string
		segs     []string
		warnings int
	}{
		{"star colon caret tilde", isaFor('*', ':', "^", "00501"), Delimiters{'*', ':', '^', '~'}, "", envelope835, 0},
		{"pipe greater caret tilde with line breaks", isaFor('|', '>', "^", "00501"), Delimiters{'|', '>', '^', '~'}, "\n", envelope835, 0},
		{"tilde caret none underscore", isaFor('~', '^', "U", "00501"), Delimiters{'~', '^', 0, '_'}, "", envelope835, 0},
		{"newline terminator", isaFor('*', ':', "^", "00501"), Delimiters{'*', ':', '^', '\n'}, "", envelope835, 0},
		{"bare CR terminator", isaFor('*', ':', "^", "00501"), Delimiters{'*', ':', '^', '\r'}, "", envelope835, 0},
		{"bang element", isaFor('!', ':', "^", "00501"), Delimiters{'!', ':', '^', '~'}, "\r\n", envelope835, 0},
		{"4010 ISA11 U", isaFor('*', ':', "U", "00401"), Delimiters{'*', ':', 0, '~'}, "\n", envelope835, 0},
		{"CRLF", isaFor('*', ':', "^", "00501"), Delimiters{'*', ':', '^', '~'}, "\r\n", envelope835, 0},
		{"envelope-less ST…SE", "", Delimiters{'*', '>', 0, '~'}, "\n", []string{
			"ST*835*0001", "BPR*I*220*C*CHK", "CLP*PAIN26041*1*300*220", "SVC*HC:64483:RT*300*220", "SE*5*0001"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isa := tt.isa
			if isa != "" {
				isa = strings.NewReplacer("*", string(tt.d.Element)).Replace(isa)
			}
			in, want := build(isa, tt.d, tt.sep, tt.segs...)
			got := tokenize(strings.NewReader(in), 0)
			if got.Delims != tt.d {
				t.Errorf("delimiters %q, want %q", fmtDelims(got.Delims), fmtDelims(tt.d))
			}
			checkToks(t, got, want)
			if len(got.Errs) > 0 || got.Final != io.EOF {
				t.Errorf("errors %q, final %v", got.Errs, got.Final)
			}
			if len(got.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", got.Warnings, tt.warnings)
			}
		})
	}
}

func fmtDelims(d Delimiters) string {
	return fmt.Sprintf("%q %q %q %q", d.Element, d.Component, d.Repetition, d.Segment)
}

func checkToks(t *testing.T, got tokenized, want []tok) {
	t.Helper()
	if !slices.Equal(got.Segs, want) {
		for i := range max(len(got.Segs), len(want)) {
			var g, w tok
			if i < len(got.Segs) {
				g = got.Segs[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("segment %d = %+v, want %+v", i+1, g, w)
			}
		}
	}
}

// TestReaderLayout: byte-order mark, CRLF, indentation, an ISA that is not
// fixed-width, a missing ISA16 and a last segment without terminator, with
// exact offsets and segment numbers.
func TestReaderLayout(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []tok
		d        Delimiters
		warnings []string // substrings, in order
	}{
		{
			name: "BOM CRLF indentation",
			in:   "\xEF\xBB\xBF" + isaFor('*', ':', "^", "00501") + "~\r\n  GS*HP*A*B*20260206*0930*1*X*005010X221A1~\r\n    ST*835*1~\r\n\tSE*2*1~\r\n  GE*1*1~\r\nIEA*1*000000001~\r\n",
			want: []tok{
				{1, 3, "ISA", isaFor('*', ':', "^", "00501")},
				{2, 113, "GS", "GS*HP*A*B*20260206*0930*1*X*005010X221A1"},
				{3, 160, "ST", "ST*835*1"},
				{4, 172, "SE", "SE*2*1"},
				{5, 183, "GE", "GE*1*1"},
				{6, 192, "IEA", "IEA*1*000000001"},
			},
			d:        DefaultDelimiters,
			warnings: []string{"byte-order mark", "segment 2 at byte 111: tolerated: segments indented"},
		},
		{
			name: "ISA not fixed-width",
			in:   "ISA *00 * *00 * *ZZ *SUMMITHP *ZZ *ALPINE *260206 *0930 *^ *00501 *1 *0 *P *>~ST*835*1~SE*2*1~",
			want: []tok{
				{1, 0, "ISA", "ISA *00 * *00 * *ZZ *SUMMITHP *ZZ *ALPINE *260206 *0930 *^ *00501 *1 *0 *P *>"},
				{2, 78, "ST", "ST*835*1"},
				{3, 87, "SE", "SE*2*1"},
			},
			d:        Delimiters{'*', '>', '^', '~'},
			warnings: []string{"spaces before the element separator", "not fixed-width (106 characters)", "missing IEA"},
		},
		{
			name: "ISA16 missing",
			in:   strings.TrimSuffix(isaFor('*', ':', "^", "00501"), ":") + "\nST*835*1\nSE*2*1\n",
			want: []tok{
				{1, 0, "ISA", strings.TrimSuffix(isaFor('*', ':', "^", "00501"), ":")},
				{2, 105, "ST", "ST*835*1"},
				{3, 114, "SE", "SE*2*1"},
			},
			d:        Delimiters{'*', ':', '^', '\n'},
			warnings: []string{"ISA16 (component separator) missing", "missing IEA"},
		},
		{
			name: "last segment without terminator",
			in:   "ST*835*1~BPR*I*0~SE*3*1",
			want: []tok{{1, 0, "ST", "ST*835*1"}, {2, 9, "BPR", "BPR*I*0"}, {3, 17, "SE", "SE*3*1"}},
			d:    Delimiters{'*', ':', 0, '~'},
			warnings: []string{"segment 1 at byte 0: tolerated: no ISA/GS envelope",
				"segment 3 at byte 17: tolerated: last segment has no segment terminator"},
		},
		{
			name: "spaces around a segment identifier and empty segments",
			in:   "ST*835*1~~BPR *I*0~SE*3*1~",
			want: []tok{{1, 0, "ST", "ST*835*1"}, {2, 10, "BPR", "BPR *I*0"}, {3, 19, "SE", "SE*3*1"}},
			d:    Delimiters{'*', ':', 0, '~'},
			warnings: []string{"no ISA/GS envelope",
				"segment 2 at byte 10: tolerated: spaces around a segment identifier"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tokenize(strings.NewReader(tt.in), 0)
			checkToks(t, got, tt.want)
			if got.Delims != tt.d {
				t.Errorf("delimiters %s, want %s", fmtDelims(got.Delims), fmtDelims(tt.d))
			}
			all := append(append([]string(nil), got.Warnings...), got.Errs...)
			j := 0
			for _, w := range all {
				if j < len(tt.warnings) && strings.Contains(w, tt.warnings[j]) {
					j++
				}
			}
			if j < len(tt.warnings) {
				t.Errorf("warnings and errors %q lack %q", all, tt.warnings[j])
			}
			// Each offset points at the segment's first byte.
			for _, s := range got.Segs {
				if !strings.HasPrefix(tt.in[s.Offset:], s.Raw) {
					t.Errorf("segment %d: %q is not at byte %d", s.Index, s.Raw, s.Offset)
				}
			}
		})
	}
}

// TestReaderEnvelope checks the envelope errors, each positioned exactly and
// returned with its segment.
func TestReaderEnvelope(t *testing.T) {
	isa := isaFor('*', ':', "^", "00501")
	tests := []struct {
		name  string
		segs  []string
		class error
		seg   int
		elem  int
	}{
		{"SE01 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*3*1", "GE*1*1", "IEA*1*1"}, ErrCount, 4, 1},
		{"SE02 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*2*2", "GE*1*1", "IEA*1*1"}, ErrControlNumber, 4, 2},
		{"GE01 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*2*1", "GE*0*1", "IEA*1*1"}, ErrCount, 5, 1},
		{"GE02 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*2*1", "GE*1*7", "IEA*1*1"}, ErrControlNumber, 5, 2},
		{"IEA01 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*2*1", "GE*1*1", "IEA*2*1"}, ErrCount, 6, 1},
		{"IEA02 wrong", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "SE*2*1", "GE*1*1", "IEA*1*2"}, ErrControlNumber, 6, 2},
		{"ST inside ST", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "ST*835*2", "SE*2*2", "GE*2*1", "IEA*1*1"}, ErrEnvelope, 4, 0},
		{"SE without ST", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "SE*2*1", "GE*0*1", "IEA*1*1"}, ErrEnvelope, 3, 0},
		{"GE without GS", []string{isa, "GE*0*1", "IEA*0*1"}, ErrEnvelope, 2, 0},
		{"GS inside GS", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "GS*HP*A*B*20260206*0930*2*X", "GE*0*2", "IEA*2*1"}, ErrEnvelope, 3, 0},
		{"ISA inside ISA", []string{isa, isa, "IEA*0*1"}, ErrEnvelope, 2, 0},
		{"IEA without ISA", []string{isa, "IEA*0*1", "IEA*0*1"}, ErrEnvelope, 3, 0},
		{"segment outside ST", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "BPR*I*0", "GE*0*1", "IEA*1*1"}, ErrEnvelope, 3, 0},
		{"bad segment identifier", []string{isa, "GS*HP*A*B*20260206*0930*1*X", "ST*835*1", "B-R*I*0", "SE*3*1", "GE*1*1", "IEA*1*1"}, ErrSegmentID, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Join(tt.segs, "~\n") + "~\n"
			r := NewReader(strings.NewReader(in))
			var errs []*Error
			for {
				s, err := r.Next()
				if s == nil {
					if err != io.EOF {
						t.Fatalf("final error %v", err)
					}
					break
				}
				if err != nil {
					var xe *Error
					if !errors.As(err, &xe) {
						t.Fatalf("error %v is not an *Error", err)
					}
					if xe.Segment != s.Index || xe.Offset != s.Offset {
						t.Errorf("error %v returned with segment %d at %d", err, s.Index, s.Offset)
					}
					errs = append(errs, xe)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("errors %v, want one", errs)
			}
			e := errs[0]
			off := int64(0)
			for _, s := range tt.segs[:tt.seg-1] {
				off += int64(len(s) + 2)
			}
			if !errors.Is(e, tt.class) || e.Segment != tt.seg || e.Offset != off || e.Element != tt.elem {
				t.Errorf("error {%v %d %d %d} %v, want {%v %d %d %d}", e.Err, e.Segment, e.Offset, e.Element, e, tt.class, tt.seg, off, tt.elem)
			}
		})
	}
	// Control numbers are numbers: 000000001 and 1 are the same.
	in := isa + "~GS*HP*A*B*20260206*0930*0001*X~ST*835*0042~SE*2*42~GE*1*1~IEA*1*1~"
	if got := tokenize(strings.NewReader(in), 0); len(got.Errs) > 0 {
		t.Errorf("numeric control numbers: %q", got.Errs)
	}
}

func TestReaderStartErrors(t *testing.T) {
	isa := isaFor('*', ':', "^", "00501")
	tests := []struct {
		name  string
		in    string
		class error
		seg   int
		id    string
	}{
		{"empty", "", ErrNoHeader, 0, ""},
		{"only white space", " \r\n\t", ErrNoHeader, 0, ""},
		{"garbage", "HELLO~", ErrNoHeader, 0, ""},
		{"ISA with fewer than 16 elements", "ISA*00*01*02~", ErrDelimiters, 1, "ISA"},
		{"ISA16 repeats the element separator", strings.TrimSuffix(isa, ":") + "*~ST*835*1~", ErrDelimiters, 1, "ISA"},
		{"terminator is a letter", isa + "XST*835*1X", ErrDelimiters, 1, "ISA"},
		{"ST without terminator", "ST*835*1", ErrDelimiters, 1, "ST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in))
			s, err := r.Next()
			var xe *Error
			if s != nil || !errors.As(err, &xe) || !errors.Is(err, tt.class) || xe.Segment != tt.seg || xe.ID != tt.id {
				t.Fatalf("Next = %v, %v; want %v at segment %d (%s)", s, err, tt.class, tt.seg, tt.id)
			}
			// The error is final.
			if s, err2 := r.Next(); s != nil || err2 != err {
				t.Errorf("second Next = %v, %v", s, err2)
			}
		})
	}
}

func TestReaderMaxSegmentSize(t *testing.T) {
	long := "ST*835*1~NTE*" + strings.Repeat("A", 200) + "~SE*3*1~"
	// A terminator within the buffer but beyond MaxSegmentSize.
	got := tokenize(strings.NewReader(long), 100)
	var xe *Error
	if !errors.As(got.Final, &xe) || !errors.Is(got.Final, ErrSegmentTooLong) || xe.Segment != 2 || xe.Offset != 9 {
		t.Errorf("final %v, want ErrSegmentTooLong at segment 2, byte 9", got.Final)
	}
	if len(got.Segs) != 1 {
		t.Errorf("segments %v, want only ST", got.Segs)
	}
	// Within the limit it reads.
	if got := tokenize(strings.NewReader(long), 300); got.Final != io.EOF || len(got.Segs) != 3 {
		t.Errorf("MaxSegmentSize 300: %+v", got.Final)
	}
	// The default limit (1 MiB), with and without a terminator after it.
	huge := "ST*835*1~NTE*" + strings.Repeat("A", defaultMaxSegmentSize+10)
	for _, in := range []string{huge, huge + "~SE*3*1~"} {
		got := tokenize(strings.NewReader(in), 0)
		if !errors.Is(got.Final, ErrSegmentTooLong) || !errors.As(got.Final, &xe) || xe.Offset != 9 {
			t.Errorf("%d bytes: final %v, want ErrSegmentTooLong at byte 9", len(in), got.Final)
		}
	}
}

// streamInputs returns every test and corpus file plus generated inputs
// with segments across the 64 KiB buffer boundary.
func streamInputs(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	for _, pattern := range []string{"testdata/835/*.835", "testdata/broken/*.835", filepath.Join(committedCorpus, "835", "*.835")} {
		for _, f := range testdataFiles(t, pattern) {
			in[f] = readFile(t, f)
		}
	}
	in["straddle"] = []byte(straddleInput())
	return in
}

// straddleInput holds a segment that starts before byte 65536 and ends after
// it, and segments of growing length over several buffer lengths.
func straddleInput() string {
	var b strings.Builder
	b.WriteString("ST*835*1~")
	fill := defaultBufSize - 20 - b.Len() - len("NTE*~")
	b.WriteString("NTE*" + strings.Repeat("F", fill) + "~")
	b.WriteString("NTE*" + strings.Repeat("S", 40) + "~") // bytes 65516..65560
	for i := range 400 {
		b.WriteString("NTE*" + strings.Repeat(string(rune('A'+i%26)), i*7) + "~\n")
	}
	b.WriteString("SE*404*1~")
	return b.String()
}

// TestReaderStreaming reads every input whole, one byte at a time and in
// halves: the segments, errors and warnings are the same.
func TestReaderStreaming(t *testing.T) {
	for name, data := range streamInputs(t) {
		whole := tokenize(bytes.NewReader(data), 0)
		for _, r := range []struct {
			kind string
			src  io.Reader
		}{
			{"OneByteReader", iotest.OneByteReader(bytes.NewReader(data))},
			{"HalfReader", iotest.HalfReader(bytes.NewReader(data))},
			{"DataErrReader", iotest.DataErrReader(bytes.NewReader(data))},
		} {
			t.Run(name+"/"+r.kind, func(t *testing.T) {
				got := tokenize(r.src, 0)
				if !slices.Equal(got.Segs, whole.Segs) || !slices.Equal(got.Errs, whole.Errs) ||
					!slices.Equal(got.Warnings, whole.Warnings) || got.Delims != whole.Delims || !sameErr(got.Final, whole.Final) {
					t.Errorf("%d segments %q %v, whole: %d segments %q %v",
						len(got.Segs), got.Errs, got.Final, len(whole.Segs), whole.Errs, whole.Final)
				}
			})
		}
	}
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func TestReaderStraddle(t *testing.T) {
	in := straddleInput()
	got := tokenize(strings.NewReader(in), 0)
	if got.Final != io.EOF || len(got.Errs) > 0 {
		t.Fatalf("final %v, errors %q", got.Final, got.Errs)
	}
	if len(got.Segs) != 404 {
		t.Fatalf("%d segments, want 404", len(got.Segs))
	}
	s := got.Segs[2]
	if s.Offset >= defaultBufSize || s.Offset+int64(len(s.Raw)) <= defaultBufSize {
		t.Fatalf("segment 3 at %d..%d does not straddle %d", s.Offset, s.Offset+int64(len(s.Raw)), defaultBufSize)
	}
	if s.Raw != "NTE*"+strings.Repeat("S", 40) {
		t.Errorf("straddling segment %q", s.Raw)
	}
	// Every offset points at its segment, and the numbers count up by one.
	for i, s := range got.Segs {
		if s.Index != i+1 || !strings.HasPrefix(in[s.Offset:], s.Raw) {
			t.Errorf("segment %d: index %d, offset %d", i+1, s.Index, s.Offset)
		}
	}
}

// TestReaderAllocs: after the reader is set up, tokenizing allocates nothing
// per segment.
func TestReaderAllocs(t *testing.T) {
	var b strings.Builder
	b.WriteString(isaFor('*', ':', "^", "00501") + "~\nGS*HP*A*B*20260206*0930*1*X*005010X221A1~\nST*835*1*005010X221A1~\n")
	b.WriteString("BPR*I*0*C*NON************20260206~\nTRN*1*T*1~\nN1*PR*P~\nN1*PE*Q*XX*1234567893~\nLX*1~\n")
	n := 6 // ST BPR TRN N1 N1 LX
	for i := range 1000 {
		fmt.Fprintf(&b, "CLP*PAIN%05d*1*300*220*30*12*PCN%05d*11*1~\nSVC*HC:20552*300*220**1~\nDTM*472*20260112~\nCAS*CO*45*50~\nCAS*PR*2*30~\n", i, i)
		n += 5
	}
	fmt.Fprintf(&b, "SE*%d*1~\nGE*1*1~\nIEA*1*000000001~\n", n+1)
	data := []byte(b.String())
	segs := 0
	br := bytes.NewReader(data)
	r := NewReader(br)
	allocs := testing.AllocsPerRun(5, func() {
		br.Reset(data)
		*r = Reader{src: br, MaxSegmentSize: defaultMaxSegmentSize, warned: r.warned, buf: r.buf, seg: Segment{ends: r.seg.ends[:0]}}
		segs = 0
		for {
			s, err := r.Next()
			if s == nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			segs++
		}
	})
	if segs < 5000 {
		t.Fatalf("%d segments", segs)
	}
	t.Logf("%d segments: %.1f allocations with a reused Reader", segs, allocs)
	if per := allocs / float64(segs); per >= 0.01 {
		t.Errorf("%.1f allocations for %d segments: %.4f per segment, want < 0.01", allocs, segs, per)
	}
	// A fresh Reader costs a handful of allocations, not one per segment.
	fresh := testing.AllocsPerRun(3, func() {
		r := NewReader(bytes.NewReader(data))
		for {
			if s, _ := r.Next(); s == nil {
				break
			}
		}
	})
	t.Logf("%.1f allocations with a new Reader", fresh)
	if per := fresh / float64(segs); per >= 0.01 {
		t.Errorf("new Reader: %.1f allocations for %d segments (%.4f per segment)", fresh, segs, per)
	}
}
