// Package correct builds the claims that close the loop on a remittance:
// the corrected (frequency 7) or void (frequency 8) 837P of a billed claim
// a payer denied for a fixable reason, and the secondary claim that carries
// the primary payer's adjudication to the next payer. It is pure: claims in
// (as their 837P sent them, see billedstore.Claim837), claims and the list
// of what changed out; File wraps them in ISA/GS/ST envelopes with the
// control numbers the caller gives.
//
// Fix reads the denial (category, codes, the denied line) and the payer
// profile (bilateral form, correction route) and changes only what the
// denial is about:
//
//   - modifier: 50 on a code that is never bilateral is dropped; 50 is
//     rewritten to the payer's bilateral form (RT and LT lines, or 2 units);
//     RT/LT pairs become one 50 line where the payer takes 50; LT/RT and 50
//     never stay together; an E/M billed with a procedure the same day gets
//     25; facet and trigger point on one date get 59 (XU under Medicare);
//     when the line already has the modifier the denial asks for (the payer
//     dropped it), the correction resends it with a line note saying why;
//   - coding_bundling: a line that is never billed with another line of the
//     claim (77003 with 62321/62323/64633–64636) is removed; one the NCCI
//     edits allow with a modifier gets 59 or XU;
//   - missing_claim_data: the remark says what: the rendering provider on
//     the line (N290), diagnosis pointers (M76, M81), units (M53);
//
// and every corrected claim gets CLM05-3 7, REF*F8 the payer claim control
// number from the latest 835 and new REF*6R line ids. Where the payer
// takes corrections as reopenings (Medicare), Fix says so (Result.Reopening)
// and builds no claim. What Fix cannot fix by itself is an error naming
// what is missing, never a value from the claim.
package correct
