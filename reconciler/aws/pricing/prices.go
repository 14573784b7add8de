package pricing

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"k8s.io/utils/clock"

	"github.com/gitplane/gitplane/schema/gpu"
)

// EC2API is the part of the EC2 client Live uses.
type EC2API interface {
	ec2.DescribeInstanceTypesAPIClient
	ec2.DescribeSpotPriceHistoryAPIClient
}

// Prices are the instance types and prices estimates use.
type Prices struct {
	Types   []gpu.InstanceType   // facts and on-demand price; OnDemandUSD 0 when unknown
	Spot    map[string]SpotPrice // by instance type; empty offline
	Source  string               // where the numbers come from, for previews
	Changes []string             // what the live refresh changed in the catalog
}

// Offline returns the embedded catalog with no spot prices.
func Offline() *Prices {
	return &Prices{
		Types:  gpu.Types(),
		Spot:   map[string]SpotPrice{},
		Source: "embedded catalog; on-demand: us-east-1 list prices of " + gpu.PriceDate + "; no spot prices (offline)",
	}
}

// LiveOptions configures Live.
type LiveOptions struct {
	Clock   clock.PassiveClock // default: the real clock
	Product string             // spot product description; default Linux/UNIX
}

// Live refreshes the catalog from EC2 and reads current spot prices.
func Live(ctx context.Context, api EC2API, opts LiveOptions) (*Prices, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Product == "" {
		opts.Product = "Linux/UNIX"
	}
	types, changes, err := Refresh(ctx, api, gpu.Types())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	now := opts.Clock.Now().UTC()
	spot, err := SpotPrices(ctx, api, names, opts.Product, now)
	if err != nil {
		return nil, err
	}
	return &Prices{
		Types:   types,
		Spot:    spot,
		Changes: changes,
		Source: fmt.Sprintf("instance types from ec2:DescribeInstanceTypes; spot: ec2:DescribeSpotPriceHistory (%s) at %s; on-demand: us-east-1 list prices of %s",
			opts.Product, now.Format(time.RFC3339), gpu.PriceDate),
	}, nil
}
