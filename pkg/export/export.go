// Package export holds the rules every file remitq hands to a person
// follows, whatever writes it (KPI reports, patient-share lists, work-item
// exports).
package export

// Cell neutralises a text cell of a CSV meant for a spreadsheet: text that
// starts with = + - @ or a tab or carriage return is what Excel, LibreOffice
// and Google Sheets evaluate as a formula (OWASP "CSV injection"), so it is
// written with a leading apostrophe, which the spreadsheet shows as text.
// Payer and practice names come from remittances anyone with an upload
// right can send, so every such cell goes through Cell. Numbers written by
// the program itself (a negative amount) are not text cells and are left
// alone.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
