package work

import "testing"

func TestOpen(t *testing.T) {
	want := map[string][2]bool{ // Open, DeadlineOpen
		New: {true, true}, Assigned: {true, true}, InProgress: {true, true}, Pended: {true, true},
		Appealed: {true, false}, Resubmitted: {true, false}, WrittenOff: {false, false}, Resolved: {false, false},
	}
	if len(want) != len(Statuses) {
		t.Fatalf("%d statuses checked of %d", len(want), len(Statuses))
	}
	for _, s := range Statuses {
		t.Run(s, func(t *testing.T) {
			if got := [2]bool{Open(s), DeadlineOpen(s)}; got != want[s] {
				t.Errorf("Open, DeadlineOpen(%s) = %v, want %v", s, got, want[s])
			}
		})
	}
}

func TestOpenSQL(t *testing.T) {
	for _, c := range []struct{ name, got, want string }{
		{"OpenSQL(w)", OpenSQL("w"), `w.status NOT IN ('resolved', 'written_off')`},
		{"OpenSQL()", OpenSQL(""), `status NOT IN ('resolved', 'written_off')`},
		{"DeadlineOpenSQL(w)", DeadlineOpenSQL("w"), `w.status NOT IN ('resolved', 'written_off', 'appealed', 'resubmitted')`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
			}
		})
	}
}
