package bus

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// Stream names.
const (
	// StreamRemit holds what ingest publishes: lines, PLB adjustments and
	// claim summaries (subjects remit.v1.>).
	StreamRemit = "REMIT"
	// StreamMatched holds the matcher's results (subjects match.v1.>).
	StreamMatched = "MATCHED"
	// StreamDLQ holds dead letters (subjects dlq.v1.>).
	StreamDLQ = "DLQ"
)

// Durable consumer names created by [Setup].
const (
	// ConsumerMatcher is the matcher's durable pull consumer on [StreamRemit].
	ConsumerMatcher = "matcher"
	// ConsumerRouter is the router's durable pull consumer on [StreamMatched].
	ConsumerRouter = "router"
)

// Subject filters of the streams.
const (
	// SubjectsRemit is the subject filter of [StreamRemit].
	SubjectsRemit = "remit.v1.>"
	// SubjectsMatched is the subject filter of [StreamMatched].
	SubjectsMatched = "match.v1.>"
	// SubjectsDLQ is the subject filter of [StreamDLQ].
	SubjectsDLQ = "dlq.v1.>"
)

// UnknownPractice is the last subject token of a message whose payee did not
// resolve to a practice (practice id 0).
const UnknownPractice = "unknown"

// PracticeToken returns the subject token for a practice: its decimal id, or
// [UnknownPractice] for ids <= 0.
func PracticeToken(practiceID int64) string {
	if practiceID <= 0 {
		return UnknownPractice
	}
	return strconv.FormatInt(practiceID, 10)
}

// LineSubject is the subject of a [remitqv1.ServiceLinePayment]:
// remit.v1.line.<practice>.
func LineSubject(practiceID int64) string { return "remit.v1.line." + PracticeToken(practiceID) }

// PLBSubject is the subject of a [remitqv1.ProviderAdjustment]:
// remit.v1.plb.<practice>.
func PLBSubject(practiceID int64) string { return "remit.v1.plb." + PracticeToken(practiceID) }

// ClaimSubject is the subject of a [remitqv1.ClaimPayment]:
// remit.v1.claim.<practice>.
func ClaimSubject(practiceID int64) string { return "remit.v1.claim." + PracticeToken(practiceID) }

// MatchLineSubject is the subject of a [remitqv1.LineMatch]:
// match.v1.line.<practice>.
func MatchLineSubject(practiceID int64) string { return "match.v1.line." + PracticeToken(practiceID) }

// MatchClaimSubject is the subject of a [remitqv1.ClaimMatches], the
// LineMatch of every line of one paid claim: match.v1.claim.<practice>.
func MatchClaimSubject(practiceID int64) string { return "match.v1.claim." + PracticeToken(practiceID) }

// DLQSubject is the dead-letter subject for a message first published on
// original: dlq.v1.<original>.
func DLQSubject(original string) string { return "dlq.v1." + original }

// ErrBadSource reports a message whose SourceRef cannot make a message id
// (missing, no file hash, or no segment index).
var ErrBadSource = errors.New("bus: source needs file_sha256 and a segment_index > 0")

// Message ids (the Nats-Msg-Id header) are built from the source file hash
// and the 1-based segment index, so republishing a file within the stream's
// duplicate window stores nothing twice. Kinds that share a segment (the CLP
// of a claim summary and of a claim-level-only line; the six pairs of one
// PLB) get a suffix to stay distinct inside the REMIT stream.

// LineMsgID is the message id of a ServiceLinePayment: "<sha256>:<segment>".
func LineMsgID(src *remitqv1.SourceRef) (string, error) { return msgID(src, "") }

// ClaimMsgID is the message id of a ClaimPayment: "<sha256>:<segment>:clp".
func ClaimMsgID(src *remitqv1.SourceRef) (string, error) { return msgID(src, ":clp") }

// PLBMsgID is the message id of the ProviderAdjustment at position (1..6) of
// a PLB segment: "<sha256>:<segment>:plb<position>".
func PLBMsgID(src *remitqv1.SourceRef, position int32) (string, error) {
	if position < 1 || position > 6 {
		return "", fmt.Errorf("bus: PLB position %d outside 1..6", position)
	}
	return msgID(src, ":plb"+strconv.Itoa(int(position)))
}

// MatchMsgID is the message id of a LineMatch for the line from src:
// "<sha256>:<segment>:match".
func MatchMsgID(src *remitqv1.SourceRef) (string, error) { return msgID(src, ":match") }

// MatchClaimMsgID is the message id of a ClaimMatches for the paid claim
// whose CLP is at src: "<sha256>:<segment>:claimmatch", followed by
// ":r<revision>.<revision>…" (each line's revision, in order) when a line
// has been re-matched, so that every new answer for the claim is a new
// message and a re-sent one is the same.
func MatchClaimMsgID(src *remitqv1.SourceRef, revisions []int32) (string, error) {
	id, err := msgID(src, ":claimmatch")
	if err != nil || !slices.ContainsFunc(revisions, func(r int32) bool { return r != 0 }) {
		return id, err
	}
	b := []byte(id + ":r")
	for i, r := range revisions {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(r), 10)
	}
	return string(b), nil
}

func msgID(src *remitqv1.SourceRef, suffix string) (string, error) {
	if src == nil || src.GetFileSha256() == "" || src.GetSegmentIndex() <= 0 {
		return "", ErrBadSource
	}
	return src.GetFileSha256() + ":" + strconv.Itoa(int(src.GetSegmentIndex())) + suffix, nil
}
