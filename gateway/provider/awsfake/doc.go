// Package awsfake runs stand-ins for the Amazon Bedrock Runtime and Amazon
// SageMaker Runtime APIs the gateway calls: httptest-style HTTP servers that
// follow the documented paths, headers, JSON bodies, error shapes and
// application/vnd.amazon.eventstream framing (encoded with aws-sdk-go-v2's
// eventstream encoder), and that recompute every request's SigV4 signature
// with aws-sdk-go-v2's signer, answering 403 InvalidSignatureException when
// it does not match. Replies can be scripted (errors, mid-stream exceptions,
// per-frame delays); Instant mode serves precomputed replies for benchmarks.
package awsfake
