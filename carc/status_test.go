package carc

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestStatusCategory(t *testing.T) {
	for _, tc := range []struct {
		code, prefix string
		found        bool
	}{
		{"A1", "Acknowledgement/Receipt", true},
		{"A2", "Acknowledgement/Acceptance into adjudication system", true},
		{"A3", "Acknowledgement/Returned as unprocessable claim", true},
		{"a7", "Acknowledgement/Rejected for Invalid Information", true},
		{" F2 ", "Finalized/Denial", true},
		{"R17", "Replacement of a Prior Request", true},
		{"ZZ", "", false},
		{"", "", false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			d, ok := StatusCategory(tc.code)
			if ok != tc.found || !strings.HasPrefix(d, tc.prefix) {
				t.Errorf("StatusCategory(%q) = %q, %v; want prefix %q, %v", tc.code, d, ok, tc.prefix, tc.found)
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	for _, tc := range []struct {
		code, prefix string
		found        bool
	}{
		{"0", "Cannot provide further status electronically.", true},
		{"20", "Accepted for processing.", true},
		{"21", "Missing or invalid information.", true},
		{"021", "Missing or invalid information.", true},
		{"33", "Subscriber and subscriber id not found.", true},
		{"116", "Claim submitted to incorrect payer.", true},
		{"164", "Entity's contract/member number.", true},
		{"562", "Entity's National Provider Identifier (NPI).", true},
		{"782", "Second surgical opinion", true},
		{"99999", "", false},
		{"A3", "", false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			d, ok := StatusCode(tc.code)
			if ok != tc.found || !strings.HasPrefix(d, tc.prefix) {
				t.Errorf("StatusCode(%q) = %q, %v; want prefix %q, %v", tc.code, d, ok, tc.prefix, tc.found)
			}
		})
	}
}

func TestStatusListsSize(t *testing.T) {
	cat, codes := statusTables()
	if len(cat) != 45 || len(codes) != 666 {
		t.Errorf("507: %d codes, 508: %d codes; want 45 and 666 (OpenDental X277.cs of 2024-10-01)", len(cat), len(codes))
	}
}

func TestRejectedCategory(t *testing.T) {
	for code, want := range map[string]bool{"A1": false, "A2": false, "A3": true, "A4": true, "A6": true, "A7": true, "a8": true, "P1": false} {
		if got := RejectedCategory(code); got != want {
			t.Errorf("RejectedCategory(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestLoadPairsRejectsDuplicates(t *testing.T) {
	fs := fstest.MapFS{"data/x.csv": {Data: []byte("code,description\n1,a\n1,b\n")}}
	if _, err := loadPairs(fs, "x.csv"); err == nil {
		t.Error("loadPairs accepted a repeated code")
	}
	fs = fstest.MapFS{"data/x.csv": {Data: []byte("code,description\n1,\n")}}
	if _, err := loadPairs(fs, "x.csv"); err == nil {
		t.Error("loadPairs accepted an empty description")
	}
}
