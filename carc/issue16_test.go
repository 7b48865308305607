package carc

import (
	"strings"
	"testing"
)

// TestIssue16Advice: the hand-written texts issue 16 found wrong.
func TestIssue16Advice(t *testing.T) {
	for _, tc := range []struct {
		name        string
		group, code string
		rarcs       []string
		want, avoid []string // in Text + Action
		appealable  *bool
	}{
		{name: "CARC 4 does not call 50 on add-ons an error", group: "CO", code: "4",
			want: []string{"one line with 50 and 1 unit", "reopening"}, avoid: []string{"50 on an add-on code (64480"}},
		{name: "4 + N823 allows 50 on a Medicare bilateral add-on", group: "CO", code: "4", rarcs: []string{"N823"},
			want: []string{"valid on Medicare"}, avoid: []string{"e.g. 50 on an add-on code"}},
		{name: "N362 counts the facet add-ons at 1", group: "CO", code: "16", rarcs: []string{"N362"},
			want: []string{"64491/64494"}, avoid: []string{"4 for the add-on levels"}},
		{name: "151 + N362 is a units or levels denial", group: "CO", code: "151", rarcs: []string{"N362"},
			want: []string{"units or levels", "not a yearly session limit"}, avoid: []string{"12 months"}},
		{name: "97 + N20 names 25 for an E/M", group: "CO", code: "97", rarcs: []string{"N20"},
			want: []string{"25 on an E/M"}},
		{name: "CARC 18 on a second side: the payer's bilateral form", group: "CO", code: "18",
			want: []string{"bilateral form"}, avoid: []string{"59/XU, RT/LT or 76"}},
		{name: "16 + MA130 alone names no field", group: "CO", code: "16", rarcs: []string{"MA130"},
			want: []string{"names no missing field", "277CA"}, avoid: []string{"named by the other remark codes"}},
		{name: "16 + MA130 with another remark keeps pointing at it", group: "CO", code: "16", rarcs: []string{"MA130", "N290"},
			want: []string{"other remark codes"}},
		{name: "PR-204 is the patient's", group: "PR", code: "204",
			want: []string{"Bill the patient", "with or without a signed waiver"}, appealable: new(bool)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Explain(tc.group, tc.code, tc.rarcs)
			all := e.Text + " | " + e.Action
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("%q does not say %q", all, w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(all, a) {
					t.Errorf("%q still says %q", all, a)
				}
			}
			if tc.appealable != nil && e.Appealable != *tc.appealable {
				t.Errorf("appealable %v, want %v", e.Appealable, *tc.appealable)
			}
		})
	}
}
