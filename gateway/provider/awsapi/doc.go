// Package awsapi is the AWS plumbing the Bedrock and SageMaker providers
// share: one tuned HTTP client, SigV4 signing of prebuilt requests with
// aws-sdk-go-v2's signer (payload hash computed once over the pooled body),
// request paths escaped as the SDK escapes them, event-stream reading with
// aws-sdk-go-v2's decoder (CRCs checked), and the mapping of AWS errors and
// transport failures to provider.Error; JSON bodies posted and answers read
// (PostJSON, ReadJSON) the same way for every operation.
package awsapi
