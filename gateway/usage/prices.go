package usage

import (
	"math"
	"strings"
)

// Bedrock on-demand list prices, USD per million tokens, us-east-1.
//
// Source: https://aws.amazon.com/bedrock/pricing/ (On-Demand tables per
// model provider), as transcribed on PriceDate. Cross-Region inference
// profiles cost the source Region's price (same page, "Cross-region
// inference"), so a "us."/"eu."/"apac."/"global." prefix maps to the base
// model. Estimates for attribution only: the AWS bill is authoritative.
//
// Not verified here: no document in this repository or in the shared
// reference notes it was built from (gateway-reference.md, gateway-peers.md,
// eks-reference.md) lists Bedrock per-model prices, so the figures below
// rest on the page alone and may be stale (AWS has repriced older models).
// To refresh or check them, read the page or its machine-readable form, the
// AWS Price List Bulk API offer AmazonBedrock:
// https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/us-east-1/index.json
const (
	PriceDate   = "2025-06-01"
	PriceSource = "https://aws.amazon.com/bedrock/pricing/"
)

// Price is the cost of a model's tokens, USD per million.
type Price struct {
	Input, Output         float64
	CacheRead, CacheWrite float64 // 0 where the model has no prompt caching
}

var bedrockPrices = map[string]Price{
	"anthropic.claude-3-haiku-20240307-v1:0":    {Input: 0.25, Output: 1.25},
	"anthropic.claude-3-sonnet-20240229-v1:0":   {Input: 3, Output: 15},
	"anthropic.claude-3-opus-20240229-v1:0":     {Input: 15, Output: 75},
	"anthropic.claude-3-5-haiku-20241022-v1:0":  {Input: 0.80, Output: 4, CacheRead: 0.08, CacheWrite: 1},
	"anthropic.claude-3-5-sonnet-20240620-v1:0": {Input: 3, Output: 15},
	"anthropic.claude-3-5-sonnet-20241022-v2:0": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"anthropic.claude-3-7-sonnet-20250219-v1:0": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"anthropic.claude-sonnet-4-20250514-v1:0":   {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"anthropic.claude-opus-4-20250514-v1:0":     {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
	"amazon.nova-micro-v1:0":                    {Input: 0.035, Output: 0.14, CacheRead: 0.00875},
	"amazon.nova-lite-v1:0":                     {Input: 0.06, Output: 0.24, CacheRead: 0.015},
	"amazon.nova-pro-v1:0":                      {Input: 0.80, Output: 3.20, CacheRead: 0.20},
	"amazon.titan-text-express-v1":              {Input: 0.20, Output: 0.60},
	"amazon.titan-text-lite-v1":                 {Input: 0.15, Output: 0.20},
	"amazon.titan-embed-text-v1":                {Input: 0.10},
	"amazon.titan-embed-text-v2:0":              {Input: 0.02},
	"cohere.embed-english-v3":                   {Input: 0.10},
	"cohere.embed-multilingual-v3":              {Input: 0.10},
	"meta.llama3-8b-instruct-v1:0":              {Input: 0.30, Output: 0.60},
	"meta.llama3-70b-instruct-v1:0":             {Input: 2.65, Output: 3.50},
	"meta.llama3-1-8b-instruct-v1:0":            {Input: 0.22, Output: 0.22},
	"meta.llama3-1-70b-instruct-v1:0":           {Input: 0.72, Output: 0.72},
	"meta.llama3-1-405b-instruct-v1:0":          {Input: 2.40, Output: 2.40},
	"meta.llama3-3-70b-instruct-v1:0":           {Input: 0.72, Output: 0.72},
	"mistral.mistral-7b-instruct-v0:2":          {Input: 0.15, Output: 0.20},
	"mistral.mixtral-8x7b-instruct-v0:1":        {Input: 0.45, Output: 0.70},
	"mistral.mistral-large-2402-v1:0":           {Input: 4, Output: 12},
}

// BedrockPrice returns the price of a Bedrock model id, inference profile id
// or ARN, and whether the table has it.
func BedrockPrice(modelID string) (Price, bool) {
	id := modelID
	if strings.HasPrefix(id, "arn:") {
		if i := strings.LastIndexByte(id, '/'); i >= 0 {
			id = id[i+1:]
		}
	}
	for _, geo := range []string{"us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca."} {
		if rest, ok := strings.CutPrefix(id, geo); ok {
			id = rest
			break
		}
	}
	p, ok := bedrockPrices[id]
	return p, ok
}

// Cost returns the estimated USD cost of tokens at p. Input counts every
// prompt token (cached and cache-written included, as OpenAI's prompt_tokens
// does); cached ones are charged at CacheRead and written ones at CacheWrite
// where the model has those prices.
func (p Price) Cost(input, output, cacheRead, cacheWrite int) float64 {
	plain := input
	c := 0.0
	if p.CacheRead > 0 {
		plain -= cacheRead
		c += float64(cacheRead) * p.CacheRead
	}
	if p.CacheWrite > 0 {
		plain -= cacheWrite
		c += float64(cacheWrite) * p.CacheWrite
	}
	c += float64(max(0, plain))*p.Input + float64(output)*p.Output
	// whole pico-dollars: no float noise (3.6000000000000007e-06) in the
	// access log
	return math.Round(c*1e6) / 1e12
}
