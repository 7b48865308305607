package match

import (
	"encoding/hex"
	"strings"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// The remittance dedupe keys. Each joins its parts with "|" after trimming
// spaces; they are natural keys for unique constraints, not for display
// (the claim key holds no PHI, but do not log it needlessly either).

// FileKey is the file dedupe key: ISA13 + sender (ISA06) + sha256 of the bytes.
func FileKey(isa13, sender string, sha256 []byte) string {
	return join(isa13, sender, hex.EncodeToString(sha256))
}

// PaymentKey is the payment dedupe key: TRN02 + TRN03 + BPR02.
func PaymentKey(trn02, trn03 string, bpr02 money.Amount) string {
	return join(trn02, trn03, bpr02.String())
}

// ClaimKey is the claim dedupe key: payer + CLP07 + CLP02 + service date.
func ClaimKey(payer, clp07, clp02 string, serviceDate x12.Date) string {
	return join(payer, clp07, clp02, string(serviceDate))
}

func join(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, "|")
}
