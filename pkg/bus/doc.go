// Package bus is remitq's NATS JetStream plumbing: the stream and consumer
// layout, subjects and message ids, a publisher that checks every ack, and a
// consumer loop that turns handler results into Ack, Nak-with-backoff or a
// dead letter.
//
// # Layout
//
// Subjects are <kind>.v1.<what>.<practice>, practice being the numeric
// practice id or "unknown":
//
//	stream   subjects     messages (package remitqv1)             durable consumer
//	REMIT    remit.v1.>   remit.v1.line.<p>  ServiceLinePayment   matcher
//	                      remit.v1.plb.<p>   ProviderAdjustment
//	                      remit.v1.claim.<p> ClaimPayment
//	MATCHED  match.v1.>   match.v1.claim.<p> ClaimMatches         router
//	                      match.v1.line.<p>  LineMatch
//	DLQ      dlq.v1.>     dlq.v1.<original subject> DeadLetter     (people)
//
// The matcher consumer is filtered to [MatcherSubjects] (whole claims and
// PLB pairs), the router consumer to [RouterSubjects] (whole claims); the
// per-line messages serve other consumers, and their publishers send them
// only when some consumer takes them ([LinePolicy]).
//
// [Setup] creates or updates all of it and is safe to call at every start.
// Streams are file-backed with limits retention; consumers are durable pull
// consumers with explicit acks.
//
// # Delivery
//
// Every hop is at-least-once. Each message carries a Nats-Msg-Id built from
// the source file hash and segment index ([LineMsgID] and kin), so a file
// published twice inside the duplicate window is stored once; after the
// window the database's natural keys dedupe.
//
// [Publisher] publishes asynchronously and waits for acks in batches,
// reporting the first failed message as a [*PublishError].
//
// [ConsumeBatch] runs a [BatchHandler] per fetched batch, with one result
// per message: nil acks, an error Naks with the consumer's backoff, an
// error wrapping [ErrPermanent] (or a failure on the last allowed delivery)
// parks the message on the DLQ as a [remitqv1.DeadLetter] with the reason
// and terminates it. [BatchMiddleware] such as [BatchRecoverer] (a panic
// becomes a logged, dead-lettered message instead of a crash) and
// [BatchLogging] wraps handlers; nothing here logs a message body, because
// bodies contain PHI.
//
// For tests and the all-in-one binary, [StartEmbedded] runs a JetStream
// server in the process and [ConnectEmbedded] connects to it without a
// socket.
package bus
